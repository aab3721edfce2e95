"""Message boxes that never start a nested event loop.

Each box is opened with open() (window-modal, returns at once) and deletes
itself when closed, so background results keep arriving while it is up and
tests can find it among the parent's children and click a button.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def inform(parent: QWidget, title: str, text: str, *, detail: str | None = None,
           icon: QMessageBox.Icon = QMessageBox.Icon.Information) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    if detail:
        box.setInformativeText(detail)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def confirm(parent: QWidget, title: str, text: str, action: str, on_confirm: Callable[[], object], *,
            detail: str | None = None, destructive: bool = False) -> QMessageBox:
    """Ask before doing something; on_confirm runs only if the `action` button is pressed."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    if detail:
        box.setInformativeText(detail)
    role = QMessageBox.ButtonRole.DestructiveRole if destructive else QMessageBox.ButtonRole.AcceptRole
    yes = box.addButton(action, role)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel if destructive else yes)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda button: on_confirm() if button is yes else None)
    box.open()
    return box
