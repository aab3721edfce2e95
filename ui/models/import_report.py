"""One line per imported, skipped or rejected row of an import, problems first."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.services.keywords import ImportReport

OUTCOME, POSITION, TEXT, DETAIL = range(4)

_DISPLAY = Qt.ItemDataRole.DisplayRole
_position = attrgetter("position")
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


class ImportReportTableModel(QAbstractTableModel):
    def __init__(self, report: ImportReport, parent: Any = None) -> None:
        super().__init__(parent)
        self._headers = ("Outcome", report.unit.capitalize(), "Keyword", "Detail")
        notes = {note.position: f"; {note.reason}" for note in report.notes}   # e.g. a link dropped
        # Rejected and skipped rows are what the editor has to act on, so they come first.
        self._rows: list[tuple[str, int, str, str]] = [
            *(("Rejected", p.position, p.text, p.reason) for p in sorted(report.rejected, key=_position)),
            *(("Skipped", p.position, p.text, p.reason) for p in sorted(report.skipped, key=_position)),
            *(("Added", position, keyword, f"added as #{kid}{notes.get(position, '')}")
              for position, keyword, kid in sorted(report.added)),
        ]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if role in (_DISPLAY, _TOOLTIP):
            value = self._rows[index.row()][index.column()]
            return str(value) if role == _DISPLAY or index.column() in (TEXT, DETAIL) else None
        if role == _ALIGNMENT and index.column() == POSITION:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return self._headers[section]
        return None
