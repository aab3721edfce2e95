"""Dialogs of the Review screen: reject with a reason, edit the text, regenerate from a stage.

Each is opened with open() (window-modal, returns at once) and deletes itself
when closed; the screen reads it after `accepted`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.review import STAGE_NAMES, ArticleView

_OK = QDialogButtonBox.StandardButton.Ok
_CANCEL = QDialogButtonBox.StandardButton.Cancel


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(_OK | _CANCEL)
    buttons.button(_OK).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class ReviewRejectDialog(QDialog):
    """Asks why; the reason is stored with the decision and shown to whoever looks at the article later."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reject article")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        prompt = QLabel(f"Reject “{title}”?")
        prompt.setWordWrap(True)
        prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("Reason, e.g. one-sided: no resident is quoted")
        self.buttons = _buttons(self, "Reject")
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._update_ok)
        self._update_ok()
        self.resize(460, self.sizeHint().height())

    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def _update_ok(self) -> None:
        # An article rejection without a reason teaches the next draft nothing.
        self.buttons.button(_OK).setEnabled(bool(self.reason()))


class ReviewEditDialog(QDialog):
    """Headline, dek and Markdown body; saving stores a new revision and runs the checks again."""

    def __init__(self, view: ArticleView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit article #{view.id}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.headline_edit = QLineEdit(view.headline)
        self.dek_edit = QLineEdit(view.dek)
        self.body_edit = QPlainTextEdit(view.body)
        self.body_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.body_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.body_edit.setTabChangesFocus(True)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Optional: what changed, for the revision history")
        hint = QLabel("The body is Markdown. Saving keeps the current text as an earlier revision, "
                      "returns the article to pending review and checks it again.")
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Headline:", self.headline_edit)
        form.addRow("&Dek:", self.dek_edit)
        form.addRow("&Body:", self.body_edit)
        form.addRow("&Note:", self.note_edit)
        self.buttons = _buttons(self, "Save and re-check")
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.headline_edit.textChanged.connect(self._update_ok)
        self.body_edit.textChanged.connect(self._update_ok)
        self._update_ok()
        self.resize(760, 640)

    def headline(self) -> str:
        return self.headline_edit.text().strip()

    def dek(self) -> str:
        return self.dek_edit.text().strip()

    def body(self) -> str:
        return self.body_edit.toPlainText()

    def note(self) -> str | None:
        return self.note_edit.text().strip() or None

    def _update_ok(self) -> None:
        # The engine refuses an empty headline or body; say so here rather than after a round trip.
        self.buttons.button(_OK).setEnabled(bool(self.headline() and self.body().strip()))


class ReviewRegenerateDialog(QDialog):
    """The fourteen stages; the chosen one and every later one run again, earlier results are kept."""

    DEFAULT_STAGE = "draft"

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Regenerate article")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        prompt = QLabel(f"Regenerate “{title}” from which stage? That stage and every later one run again; "
                        "earlier results are kept. The article leaves review until it has finished.")
        prompt.setWordWrap(True)
        self.stage_list = QListWidget()
        for number, name in enumerate(STAGE_NAMES, start=1):
            self.stage_list.addItem(f"{number:>2}. {name.replace('_', ' ')}")
        self.stage_list.setCurrentRow(STAGE_NAMES.index(self.DEFAULT_STAGE))
        self.stage_list.itemDoubleClicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.stage_list, 1)
        layout.addWidget(_buttons(self, "Regenerate"))
        self.resize(420, 480)

    def stage(self) -> str:
        return STAGE_NAMES[self.stage_list.currentRow()]
