"""What the screens share: counted words, and the QAction every toolbar button and shortcut is made with."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def plural(count: int, word: str) -> str:
    """'1 keyword', '2,500 keywords'."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def make_action(parent: QWidget, text: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
                slot: Callable[..., object], tip: str,
                context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut) -> QAction:
    """An action with its shortcut named in its tooltip ("Approve the article (A)")."""
    action = QAction(text, parent)
    if shortcut:
        keys = QKeySequence(shortcut)
        action.setShortcut(keys)
        action.setShortcutContext(context)
        tip = f"{tip} ({keys.toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.triggered.connect(slot)
    return action
