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
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from app.background import BackgroundOps, describe
from app.context import AppContext, default_editor
from app.services.keywords import KeywordService
from app.version import __version__
from engine.keywords import KeywordBook
from engine.store.db import DatabaseError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

log = logging.getLogger("copydesk.app")


def run_gui(cli_home: str | None) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ui.theme import app_icon, follow_system_colour_scheme

    # Python's default cycle collector runs a full pass every few hundred thousand
    # allocations; with 100,000 keywords loaded each pass held the GIL for 0.1-0.7 s,
    # freezing the window while a background query built its rows. Collecting less often
    # cut the worst stall of a 60,000-row load from 300 ms to 50 ms (measured). Almost
    # everything here is freed by reference counting; cycles just wait a little longer.
    gc.set_threshold(50_000, 50, 100)
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


def build_main_window(context: AppContext, ops: BackgroundOps) -> MainWindow:
    """Services for this data home and the window over them (also what the GUI tests build)."""
    from ui.main_window import MainWindow

    keywords = KeywordService(KeywordBook(context.db), ops, editor=default_editor())
    window = MainWindow(keywords=keywords, database=str(context.home.database_path),
                        settings_path=context.home.root / "window.ini")
    keywords.setParent(window)
    ops.failed.connect(window.show_error)
    return window


async def _session(application: QApplication, context: AppContext) -> int:
    ops = BackgroundOps()
    window = build_main_window(context, ops)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    # The session ends when the window closes, not when Qt sees its last window go: the
    # shutdown below must still run inside the loop.
    quit_on_last = application.quitOnLastWindowClosed()
    application.setQuitOnLastWindowClosed(False)
    previous_hook = sys.excepthook
    sys.excepthook = _reporting_hook(window)
    try:
        window.show()
        window.keywords_screen.setFocus()
        window.offer_demo_if_empty()
        await closed.wait()
    finally:
        sys.excepthook = previous_hook
        application.setQuitOnLastWindowClosed(quit_on_last)
        # A page fetch may take 15 s more; the window is already gone, the process waits for it.
        ops.shutdown(wait=False)
    return 0


def _reporting_hook(window: MainWindow) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """An exception escaping a Qt slot goes to the log, and the editor sees one line."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        log.error("Unhandled error", exc_info=(kind, error, trace))
        if isinstance(error, Exception):
            window.show_error(describe(error))

    return hook
