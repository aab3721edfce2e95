"""Starting the desktop app: the composition root that wires services into the main window.

Order matters: the QApplication first (message boxes need it), then the data
home and its database (migrations run here, before any window), then the
asyncio loop on Qt's (qasync), the services and the window.

The engine host (dispatcher and worker pool) plugs into `_session`: start it
after `window.show()`, stop it after `await closed.wait()`; the window's
`closed` signal ends the session.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from app.background import BackgroundOps, describe
from app.context import AppContext, default_editor
from app.engine_bridge import EngineBridge
from app.engine_host import EngineHost
from app.services.keywords import KeywordService
from app.version import __version__
from engine.keywords import KeywordBook
from engine.store.db import DatabaseError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

SIGNAL_CHECK_MS = 500      # how late SIGTERM may be noticed by an idle window

log = logging.getLogger("copydesk.app")


def run_gui(cli_home: str | None) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ui.theme import app_icon, follow_system_colour_scheme

    tune_garbage_collection()
    application = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(application, QApplication)
    application.setApplicationName("Copydesk")
    application.setOrganizationName("Copydesk")
    application.setApplicationVersion(__version__)
    application.setWindowIcon(app_icon())
    follow_system_colour_scheme(application)
    try:
        context = AppContext.open(cli_home)
    except (DatabaseError, OSError) as error:
        QMessageBox.critical(None, "Copydesk cannot open its database", describe(error))
        return 1
    try:
        # qasync's documented start on Python 3.11; from 3.12 it is asyncio.run(..., loop_factory=QEventLoop).
        return qasync.run(_session(application, context))
    finally:
        context.close()


def tune_garbage_collection() -> None:
    """The GUI process's collector policy (the heartbeat test applies it too).

    Python's default cycle collector runs a full pass every few hundred thousand
    allocations; with 100,000 keywords loaded each pass held the GIL for 0.1-0.7 s,
    freezing the window while a background query built its rows. Collecting less often
    cut the worst stall of a 60,000-row load from 300 ms to 50 ms (measured). Freezing
    what start-up imported keeps those objects out of every later full pass. Almost
    everything here is freed by reference counting; cycles just wait a little longer.
    """
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def build_main_window(context: AppContext, ops: BackgroundOps, bridge: EngineBridge | None = None,
                      host: EngineHost | None = None) -> MainWindow:
    """Services for this data home and the window over them (also what the GUI tests build).

    `bridge` carries the running engine's events to the screens that show live work; without
    one (tests of single screens) they show what the database holds.
    """
    window = build_keywords_window(context, ops)
    add_engine_screens(window, context, ops, bridge or EngineBridge(window), host)
    return window


def build_keywords_window(context: AppContext, ops: BackgroundOps) -> MainWindow:
    """The window with its first screen, Keywords: all the app shows at its first paint."""
    from ui.main_window import MainWindow

    keywords = KeywordService(KeywordBook(context.db), ops, editor=default_editor())
    window = MainWindow(keywords=keywords, database=str(context.home.database_path),
                        settings_path=context.home.root / "window.ini")
    keywords.setParent(window)
    ops.failed.connect(window.show_error)
    return window


def add_engine_screens(window: MainWindow, context: AppContext, ops: BackgroundOps, bridge: EngineBridge,
                       host: EngineHost | None) -> None:
    """Queue, Review and Settings. Imported here, not at start-up: their services bring in
    the pipeline's models and the providers (pydantic, keyring), half a second that the
    first paint need not wait for."""
    from app.services.queue import QueueService
    from app.services.review import ReviewService
    from app.services.settings import SettingsService
    from ui.screens.queue import QueueScreen
    from ui.screens.review import ReviewScreen
    from ui.screens.settings import SettingsScreen

    editor = default_editor()
    window.queue_screen = QueueScreen(QueueService(context, ops, host, parent=window), bridge)
    window.add_screen("Queue", "queue", window.queue_screen)
    review = ReviewService(context.db, ops, editor=editor, exports_dir=context.home.exports_dir, parent=window)
    window.review_screen = ReviewScreen(review, bridge)
    window.add_screen(window.review_screen.title, "review", window.review_screen)
    window.add_screen_on_first_visit("Schedules", "schedules", lambda: _schedules_screen(window, context, ops))
    window.add_screen_on_first_visit("Settings", "settings",
                                     lambda: SettingsScreen(SettingsService(context, ops, parent=window)))
    bridge.queue_summary_changed.connect(window.show_queue_summary)
    if host is not None:
        host.mode_changed.connect(window.show_engine_mode)


def _schedules_screen(window: MainWindow, context: AppContext, ops: BackgroundOps) -> QWidget:
    from app.services.schedules import ScheduleService
    from ui.screens.schedules import SchedulesScreen

    return SchedulesScreen(ScheduleService(context.db, ops, parent=window))


async def _session(application: QApplication, context: AppContext) -> int:
    ops = BackgroundOps()
    bridge = EngineBridge()
    host = EngineHost(context, ops, bridge)
    window = build_keywords_window(context, ops)
    window.close_guard = lambda: _close_question(host)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    # SIGTERM (logout, `kill`, the packaging test) closes like File > Quit, without asking. Python
    # runs the handler only when the GUI thread next runs Python, and an idle window may not for a
    # long while (the engine bridge no longer polls): this timer's empty slot is such a moment.
    previous_sigterm = signal.signal(signal.SIGTERM, lambda *_: QTimer.singleShot(0, window.force_close))
    signal_check = QTimer(window)
    signal_check.timeout.connect(lambda: None)
    signal_check.start(SIGNAL_CHECK_MS)
    # The session ends when the window closes, not when Qt sees its last window go: the
    # shutdown below must still run inside the loop.
    quit_on_last = application.quitOnLastWindowClosed()
    application.setQuitOnLastWindowClosed(False)
    previous_hook = sys.excepthook
    sys.excepthook = _reporting_hook(window)
    try:
        window.show()
        window.keywords_screen.setFocus()
        # The other screens once the window has painted: the editor sees it while they load.
        await _first_paint(application, window)
        add_engine_screens(window, context, ops, bridge, host)
        window.offer_demo_if_empty()
        host.start()
        await closed.wait()
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        # Running stages get a few seconds to checkpoint; everything else resumes next time.
        host.stop()
        sys.excepthook = previous_hook
        application.setQuitOnLastWindowClosed(quit_on_last)
        # A page fetch may take 15 s more; the window is already gone, the process waits for it.
        ops.shutdown(wait=False)
    return 0


async def _first_paint(application: QApplication, window: QWidget, timeout_s: float = 1.0) -> None:
    """Return once something in `window` has painted (at most `timeout_s` later)."""
    from PySide6.QtCore import QEvent, QObject

    painted = asyncio.get_running_loop().create_future()

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if (event.type() == QEvent.Type.Paint and not painted.done() and isinstance(watched, QWidget)
                    and watched.window() is window):
                painted.set_result(None)
            return False

    watch = PaintWatch()
    application.installEventFilter(watch)
    try:
        await asyncio.wait_for(painted, timeout_s)
    except TimeoutError:
        log.info("The window had not painted %.1f s after it was shown", timeout_s)
    finally:
        application.removeEventFilter(watch)


def _close_question(host: EngineHost) -> str | None:
    running = host.running_jobs()
    if not running:
        return None
    return (f"{running} article(s) are being generated. Copydesk will stop them after their current "
            f"stage; they resume from there the next time you open it.")


def _reporting_hook(window: MainWindow) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """An exception escaping a Qt slot goes to the log, and the editor sees one line."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        log.error("Unhandled error", exc_info=(kind, error, trace))
        if isinstance(error, Exception):
            window.show_error(describe(error))

    return hook
