"""Attaching source material to a keyword: a URL to fetch, or pasted text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class AttachSourceDialog(QDialog):
    """kind "url": a page to fetch; kind "text": pasted text. Both take an optional title."""

    def __init__(self, kind: str, keyword: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if kind not in ("url", "text"):
            raise ValueError(f"unknown source kind {kind!r}")
        self.kind = kind
        self.setWindowTitle(f"Attach a source to “{keyword}”")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://…")
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText("Paste the minutes, press release, interview notes…")
        self.text_edit.setTabChangesFocus(True)
        self.title_edit = QLineEdit()
        form = QFormLayout()
        if kind == "url":
            form.addRow("&URL:", self.url_edit)
            self.title_edit.setPlaceholderText("Optional; the URL if empty")
        else:
            form.addRow("&Text:", self.text_edit)
            self.title_edit.setPlaceholderText("Optional; the first line if empty")
        form.addRow("T&itle:", self.title_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Attach")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.url_edit.textChanged.connect(self._update_ok)
        self.text_edit.textChanged.connect(self._update_ok)
        self._update_ok()
        self.resize(560, 360 if kind == "text" else self.sizeHint().height())

    def url(self) -> str:
        return self.url_edit.text().strip()

    def text(self) -> str:
        return self.text_edit.toPlainText().strip()

    def title(self) -> str | None:
        return self.title_edit.text().strip() or None

    def _update_ok(self) -> None:
        ready = bool(self.url() if self.kind == "url" else self.text())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ready)
