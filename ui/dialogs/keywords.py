"""Small dialogs of the Keywords screen: add keywords, reject with a reason."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.keywords import PRIORITIES


class AddKeywordsDialog(QDialog):
    """Keyword text (one per line), priority and notes; read after `accepted`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add keywords")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText("One keyword per line, e.g.\nWater rate increase\nBus route cuts")
        self.text_edit.setTabChangesFocus(True)
        self.priority_box = QComboBox()
        self.priority_box.addItems([p.capitalize() for p in PRIORITIES])
        self.priority_box.setCurrentIndex(PRIORITIES.index("normal"))
        self.notes_edit = QLineEdit()
        self.notes_edit.setPlaceholderText("Optional, applies to every keyword above")

        form = QFormLayout()
        form.addRow("&Keywords:", self.text_edit)
        form.addRow("&Priority:", self.priority_box)
        form.addRow("&Notes:", self.notes_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.text_edit.textChanged.connect(self._update_ok)
        self._update_ok()
        self.resize(480, 320)

    def keywords(self) -> list[str]:
        return [line for line in self.text_edit.toPlainText().splitlines() if line.strip()]

    def priority(self) -> str:
        return PRIORITIES[self.priority_box.currentIndex()]

    def notes(self) -> str | None:
        return self.notes_edit.text().strip() or None

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.keywords()))


class RejectDialog(QDialog):
    """Asks for an optional reason before rejecting; the reason goes into the audit trail."""

    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reject keywords")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        what = "this keyword" if count == 1 else f"these {count:,} keywords"
        prompt = QLabel(f"Reject {what}? A reason helps whoever reads the decision later.")
        prompt.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("Reason (optional), e.g. already covered last week")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Reject")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.reason_edit)
        layout.addWidget(buttons)
        self.resize(420, self.sizeHint().height())

    def reason(self) -> str | None:
        return self.reason_edit.text().strip() or None
