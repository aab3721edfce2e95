"""A settings field with its inline problem: a red border around the editor and the reason under it.

The border is drawn by a thin frame around the editor, from the `invalid`
dynamic property and one style rule (FIELD_STYLE, set on the screen). A rule
on the editor itself would do for a line edit but not for a spin box, whose
arrows Qt then draws from the style sheet too (as bare lines); the frame leaves
every editor its platform look.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

ERROR_COLOUR = "#d0453b"
FIELD_STYLE = f"""
QFrame#fieldFrame[invalid="true"] {{ border: 1px solid {ERROR_COLOUR}; border-radius: 4px; }}
QLabel#fieldProblem {{ color: {ERROR_COLOUR}; }}
QLabel#fieldHint {{ color: palette(placeholder-text); }}
"""


class SettingsField(QWidget):
    """`editor` with an optional hint line under it, and room for a problem line."""

    def __init__(self, editor: QWidget, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.problem_label = QLabel()
        self.problem_label.setObjectName("fieldProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.hint_label = QLabel(hint)
        self.hint_label.setObjectName("fieldHint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setVisible(bool(hint))
        self.frame = QFrame()
        self.frame.setObjectName("fieldFrame")
        around = QHBoxLayout(self.frame)
        around.setContentsMargins(1, 1, 1, 1)
        around.addWidget(editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if editor.minimumWidth() == editor.maximumWidth():
            # A fixed-width editor (a number) keeps its frame tight, not the whole row wide.
            self.frame.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            layout.addWidget(self.frame, 0, Qt.AlignmentFlag.AlignLeft)
        else:
            layout.addWidget(self.frame)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.hint_label)

    @property
    def problem(self) -> str:
        return self.problem_label.text() if self.problem_label.isVisibleTo(self) else ""

    def set_problem(self, reason: str | None) -> None:
        """Show why the value is refused (None or "": it is fine)."""
        text = (reason[:1].upper() + reason[1:]) if reason else ""
        if text == self.problem and bool(self.frame.property("invalid")) == bool(text):
            return
        self.frame.setProperty("invalid", bool(text))
        # A dynamic property does not restyle by itself.
        self.frame.style().unpolish(self.frame)
        self.frame.style().polish(self.frame)
        self.frame.update()
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def set_hint(self, text: str) -> None:
        self.hint_label.setText(text)
        self.hint_label.setVisible(bool(text))
