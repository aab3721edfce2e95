"""What an import or a paste did: added, skipped and rejected rows with their line numbers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QVBoxLayout, QWidget

from app.services.keywords import ImportReport
from ui.models.import_report import DETAIL, OUTCOME, POSITION, TEXT, ImportReportTableModel
from ui.widgets.table_view import PlaceholderTableView

_FORMATS = {"csv": "CSV", "text": "plain text", "feed": "RSS/Atom feed"}


def summary(report: ImportReport) -> str:
    """One line, e.g. "Added 5, skipped 2 duplicates, rejected 1 (CSV)."."""
    comments = sum(1 for problem in report.skipped if problem.reason.startswith("comment"))
    skipped = len(report.skipped) - comments
    duplicates = "duplicate" if skipped == 1 else "duplicates"
    comment_lines = f", {comments:,} comment line{'s' if comments != 1 else ''}" if comments else ""
    return (f"Added {len(report.added):,}, skipped {skipped:,} {duplicates}{comment_lines}, "
            f"rejected {len(report.rejected):,} ({_FORMATS.get(report.format, report.format)}).")


class ImportReportDialog(QDialog):
    def __init__(self, report: ImportReport, source: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import report: {source}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary_label = QLabel(summary(report))
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = ImportReportTableModel(report, self)
        self.table = PlaceholderTableView()
        self.table.setModel(self.model)
        self.table.set_placeholder("The input held no keywords.")
        header = self.table.horizontalHeader()
        for column, width in ((OUTCOME, 90), (POSITION, 60), (TEXT, 260)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(DETAIL, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(760, 420)
