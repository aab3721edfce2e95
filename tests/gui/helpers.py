"""Waiting helpers for GUI tests (no sleeps: Qt events are processed until the condition holds)."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

W = TypeVar("W", bound=QWidget)


def wait_for_dialog(qtbot, parent: QWidget, kind: type[W]) -> W:
    """The visible dialog of this type that `parent` opened (dialogs here never block)."""
    found: list[W] = []

    def visible() -> bool:
        found[:] = [w for w in parent.findChildren(kind) if w.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible)
    return found[-1]


def wait_loaded(qtbot, screen, rows: int) -> None:
    qtbot.waitUntil(lambda: not screen.is_loading and screen.model.rowCount() == rows)


def click_message_button(qtbot, parent: QWidget, text: str) -> QMessageBox:
    """Press the button labelled `text` on the message box `parent` opened."""
    box = wait_for_dialog(qtbot, parent, QMessageBox)
    button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
    assert isinstance(button, QPushButton)
    button.click()
    return box


def focus(qtbot, widget: QWidget) -> None:
    """Give `widget` the keyboard focus in an active window.

    The offscreen platform has no window manager: closing a dialog leaves no
    window active, where a desktop would reactivate the main window.
    """
    window = widget.window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


class ArticleQueries:
    """Counts the SELECTs over ai_articles that this database runs (real statements, any thread):
    `listed` those that read a whole list, `by_id` those that read named articles (`id IN (...)`, `id = ?`),
    `queue_lists` the Queue screen's list query (engine.articles.queue_article_ids) among `listed`."""

    def __init__(self, db) -> None:
        from sqlalchemy import event

        self.listed = 0
        self.by_id = 0
        self.queue_lists = 0
        self._engine = db.engine
        self._event = event
        event.listen(self._engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection, _cursor, statement: str, *_args) -> None:
        if not statement.lstrip().upper().startswith("SELECT") or "FROM ai_articles" not in statement:
            return
        if "ai_articles.id IN" in statement or "ai_articles.id = ?" in statement:
            self.by_id += 1
        else:
            self.listed += 1
            self.queue_lists += "GROUP BY ai_articles.batch_id" in statement

    def close(self) -> None:
        self._event.remove(self._engine, "before_cursor_execute", self._seen)
