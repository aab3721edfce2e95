"""The main window: a sidebar of screens, menus, a status bar, and remembered geometry.

A screen is a QWidget with
    announced: Signal(str)          short lines for the status bar
    refresh() -> None               reload what it shows (View > Refresh, F5)
    save_state(QSettings) / restore_state(QSettings)
and, if it has undoable actions, an `undo_action` (QAction) that Edit > Undo
shows while the screen is current. Adding a screen is one add_screen() line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QSystemTrayIcon,
    QWidget,
)

from app.engine_host import EngineMode, Stopped, Viewer
from app.services.keywords import DemoResult, KeywordService
from app.version import __version__
from engine.events import QueueSummary
from ui.screens.keywords import KeywordsScreen
from ui.theme import app_icon, tinted_icon
from ui.widgets.messages import confirm, inform

_ICON_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_MESSAGE_MS = 6000


class _NotBuiltYet(QWidget):
    """Holds a screen's place in the stack until its first visit."""

    announced = Signal(str)

    def __init__(self, build: Callable[[], QWidget]) -> None:
        super().__init__()
        self.build = build

    def refresh(self) -> None:
        pass

    def save_state(self, settings: QSettings) -> None:
        pass   # nothing changed on a screen never opened; what was saved before stays

    def restore_state(self, settings: QSettings) -> None:
        pass


class MainWindow(QMainWindow):
    """Hooks for whoever runs alongside the window (the engine host, in app/gui.py):
    `closed` is emitted once the window has closed and saved its state; `close_guard`, if
    set, returns a question to ask before closing (None: close at once).
    """

    closed = Signal()

    def __init__(self, *, keywords: KeywordService, database: str, settings_path: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Copydesk")
        self.setWindowIcon(app_icon())
        self._keywords = keywords
        self._settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        self._restored = False
        self.close_guard: Callable[[], str | None] | None = None
        self._close_confirmed = False
        self._queue_was_busy = False
        self._tray: QSystemTrayIcon | None = None

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFixedWidth(160)
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self._build_status_bar(database)

        self.keywords_screen = KeywordsScreen(keywords)
        self.add_screen("Keywords", "keywords", self.keywords_screen)
        # Queue, Review and Settings join here, one add_screen() each, when the engine lands.

        # Adding and importing keywords are File commands wherever the editor is.
        self._file_menu.insertActions(self._file_separator, [self.keywords_screen.add_action,
                                                             self.keywords_screen.import_action])

        self.sidebar.currentRowChanged.connect(self._on_screen_changed)
        self.sidebar.setCurrentRow(0)
        keywords.keywords_changed.connect(self._refresh_counts)
        self._refresh_counts()
        self._restore_state()
        self._restored = True

    # ------------------------------------------------------------ screens

    def add_screen(self, title: str, icon: str, screen: QWidget) -> None:
        """Sidebar entry, View menu entry (Ctrl+<n>) and status-bar messages for a screen."""
        index = self.stack.addWidget(screen)
        item = QListWidgetItem(title)
        item.setData(_ICON_ROLE, icon)
        item.setIcon(tinted_icon(icon, self.palette().color(QPalette.ColorRole.WindowText)))
        self.sidebar.addItem(item)
        go = QAction(title, self._screen_actions, checkable=True)
        go.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
        go.triggered.connect(lambda: self.sidebar.setCurrentRow(index))
        self._view_menu.insertAction(self._view_separator, go)
        screen.announced.connect(self.show_message)
        if self._restored:   # added after the window restored its state: restore the screen's now
            screen.restore_state(self._settings)

    def add_screen_on_first_visit(self, title: str, icon: str, build: Callable[[], QWidget]) -> None:
        """A screen whose widgets are built when the editor first opens it, not while the window starts
        (building the Settings screen stalled the GUI thread about 0.3 s right after the first paint)."""
        self.add_screen(title, icon, _NotBuiltYet(build))

    def screen(self, index: int) -> QWidget:
        """The screen at `index`, built now if it waited for its first visit."""
        widget = self.stack.widget(index)
        if not isinstance(widget, _NotBuiltYet):
            return widget
        built = widget.build()
        self.stack.insertWidget(index, built)
        self.stack.removeWidget(widget)
        widget.deleteLater()
        built.announced.connect(self.show_message)
        built.restore_state(self._settings)
        return built

    def current_screen(self) -> QWidget:
        return self.stack.currentWidget()

    # ------------------------------------------------------------ status bar

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MESSAGE_MS)

    def show_error(self, text: str) -> None:
        """A failed operation: one readable line (the traceback, if any, is in the log)."""
        self.show_message(text)
        inform(self, "Copydesk", text, icon=QMessageBox.Icon.Warning)

    def set_queue_summary(self, text: str) -> None:
        """The generation queue's one-line state (e.g. "3 running, 12 queued"); empty hides it."""
        self.queue_label.setText(text)
        self.queue_label.setVisible(bool(text))

    def show_queue_summary(self, summary: QueueSummary) -> None:
        """The engine's periodic totals: the status bar line, and a notice when a batch ends."""
        parts = [f"{summary.running} running", f"{summary.queued} queued"]
        if summary.failed:
            parts.append(f"{summary.failed} failed")
        parts.append(f"{summary.tokens:,} tokens, ${summary.cost_usd:.2f} today")
        self.set_queue_summary(("Paused · " if summary.paused else "") + " · ".join(parts))
        busy = summary.running + summary.queued > 0
        if self._queue_was_busy and not busy:
            self.notify("Batch finished", f"{summary.completed} article(s) completed, {summary.failed} failed.")
        self._queue_was_busy = busy

    def show_engine_mode(self, mode: EngineMode) -> None:
        """The engine's role in one line beside the queue's: watching another process's, or stopped and why."""
        if isinstance(mode, Stopped):
            self.engine_label.setText(f"Engine stopped: {mode.reason}")
            self.engine_label.setToolTip("Nothing runs until Copydesk is opened again; the log has the details.")
            self.show_message(f"The engine stopped: {mode.reason}")
        elif isinstance(mode, Viewer):
            self.engine_label.setText("Watching another process's engine")
            self.engine_label.setToolTip(mode.holder)
        self.engine_label.setVisible(isinstance(mode, Stopped | Viewer))

    def notify(self, title: str, text: str) -> None:
        """A desktop notification (tray message) where the desktop has a tray, and the status bar."""
        self.show_message(f"{title}: {text}")
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(app_icon(), self)
                self._tray.activated.connect(lambda _reason: (self.showNormal(), self.activateWindow()))
                self._tray.show()
            self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def force_close(self) -> None:
        """Close without asking (the session is ending: SIGTERM, logout)."""
        self._close_confirmed = True
        self.close()

    # ------------------------------------------------------------ demo

    def offer_demo_if_empty(self) -> None:
        """Offer the demo newsroom if the database has no keywords at all."""
        self._keywords.counts(success=lambda counts: self.offer_demo() if counts["all"] == 0 else None)

    def offer_demo(self) -> None:
        """Asked on an empty database; does not block, and the seeding runs in the background."""
        confirm(self, "Start with the demo newsroom?",
                "There are no keywords yet. Load the demo newsroom: twelve local-news topics from "
                "Calder Bay, with source material, some already approved?",
                "Load demo newsroom", self._load_demo,
                detail="Everything stays on this computer, and the demo keywords can be deleted later.")

    def _load_demo(self) -> None:
        self.show_message("Loading the demo newsroom…")
        self._keywords.seed_demo(success=self._demo_loaded)

    def _demo_loaded(self, result: DemoResult) -> None:
        self.show_message(f"Demo newsroom: added {result.added} keywords, {result.approved} of them approved.")

    # ------------------------------------------------------------ internal

    def _build_menus(self) -> None:
        menus = self.menuBar()
        self._file_menu = menus.addMenu("&File")
        self._file_separator = self._file_menu.addSeparator()
        quit_action = self._file_menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)

        self._edit_menu = menus.addMenu("&Edit")
        self._undo_in_menu: QAction | None = None

        self._view_menu = menus.addMenu("&View")
        self._screen_actions = QActionGroup(self)
        self._view_separator = self._view_menu.addSeparator()
        refresh = self._view_menu.addAction("&Refresh")
        refresh.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        refresh.triggered.connect(lambda: self.current_screen().refresh())
        sidebar = self._view_menu.addAction("&Sidebar")
        sidebar.setCheckable(True)
        sidebar.setChecked(True)
        sidebar.toggled.connect(self.sidebar.setVisible)

        help_menu = menus.addMenu("&Help")
        about = help_menu.addAction("&About Copydesk")
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self._about)

    def _build_status_bar(self, database: str) -> None:
        bar = self.statusBar()
        self.database_label = QLabel(f"Database: {database}")
        self.database_label.setToolTip(database)
        self.counts_label = QLabel()
        self.queue_label = QLabel()
        self.queue_label.hide()
        self.engine_label = QLabel()
        self.engine_label.setObjectName("engineLabel")
        self.engine_label.hide()
        for label in (self.engine_label, self.queue_label, self.counts_label, self.database_label):
            bar.addPermanentWidget(label)

    def _on_screen_changed(self, index: int) -> None:
        self.screen(index)
        self.stack.setCurrentIndex(index)
        self._screen_actions.actions()[index].setChecked(True)
        screen = self.stack.widget(index)
        # Edit > Undo belongs to the current screen, so Ctrl+Z never undoes something out of sight.
        if self._undo_in_menu is not None:
            self._edit_menu.removeAction(self._undo_in_menu)
        self._undo_in_menu = getattr(screen, "undo_action", None)
        if self._undo_in_menu is not None:
            self._edit_menu.addAction(self._undo_in_menu)
        self._edit_menu.setEnabled(self._undo_in_menu is not None)

    def _refresh_counts(self) -> None:
        self._keywords.counts(success=self._show_counts)

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.counts_label.setText(f"{counts['all']:,} keywords: {counts['pending']:,} pending, "
                                  f"{counts['approved']:,} approved, {counts['rejected']:,} rejected")

    def _about(self) -> None:
        inform(self, "About Copydesk", f"Copydesk {__version__}",
               detail="Approve the topics worth covering, generate checked drafts, and review bias, "
                      "fact-check and perspective scores before anything is published.")

    def _restore_state(self) -> None:
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self._settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for index in range(self.stack.count()):
            self.stack.widget(index).restore_state(self._settings)

    def _save_state(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        for index in range(self.stack.count()):
            self.stack.widget(index).save_state(self._settings)
        self._settings.sync()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            colour = self.palette().color(QPalette.ColorRole.WindowText)
            for row in range(self.sidebar.count()):
                item = self.sidebar.item(row)
                item.setIcon(tinted_icon(item.data(_ICON_ROLE), colour))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        question = None if self._close_confirmed or self.close_guard is None else self.close_guard()
        if question:
            event.ignore()
            confirm(self, "Quit Copydesk?", question, "Quit", self.force_close)
            return
        self._save_state()
        super().closeEvent(event)
        self.closed.emit()
