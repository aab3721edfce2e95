"""GUI fixtures: the real services and main window on a fresh data home, with qasync's loop.

Background results come back through asyncio on Qt's event loop, exactly as in
the app: one qasync loop is built on pytest-qt's QApplication (qasync's
`already_running=True`, meant for an application that is already running) and
is the running asyncio loop only while a GUI test runs, so that other tests'
asyncio.run() still works. qtbot's waits process Qt events, and with them the
loop's callbacks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from app.background import BackgroundOps
from app.context import AppContext
from app.gui import build_main_window
from app.services.keywords import KeywordService
from engine.keywords import KeywordBook
from ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def restore_copydesk_logging() -> Iterator[None]:
    """AppContext.open (and so run_gui) sets the "copydesk" logger up for its home, process-wide;
    later tests expect it as it was, and the log file handler must not outlive the home."""
    logger = logging.getLogger("copydesk")
    level, handlers = logger.level, list(logger.handlers)
    yield
    for handler in logger.handlers:
        if handler not in handlers:
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)


@pytest.fixture(scope="session")
def qasync_loop(qapp: QApplication) -> QEventLoop:
    loop = QEventLoop(qapp, already_running=True)
    asyncio._set_running_loop(None)     # the constructor made it the running loop; only GUI tests want that
    return loop


@pytest.fixture
def running_loop(qasync_loop: QEventLoop) -> Iterator[QEventLoop]:
    asyncio._set_running_loop(qasync_loop)
    yield qasync_loop
    asyncio._set_running_loop(None)


@pytest.fixture
def ops(running_loop: QEventLoop, qtbot) -> Iterator[BackgroundOps]:
    operations = BackgroundOps()
    yield operations
    operations.shutdown(wait=True)
    qtbot.waitUntil(lambda: not operations.busy)


@pytest.fixture
def context(home: Path) -> Iterator[AppContext]:
    opened = AppContext.open(str(home))
    yield opened
    opened.close()


@pytest.fixture
def book(context: AppContext) -> KeywordBook:
    return KeywordBook(context.db)


@pytest.fixture
def service(book: KeywordBook, ops: BackgroundOps) -> KeywordService:
    return KeywordService(book, ops, editor="tester")


@pytest.fixture
def make_window(context: AppContext, ops: BackgroundOps, qtbot) -> Iterator[Callable[[], MainWindow]]:
    """Builds the window as app.gui does, shows and activates it (keyboard shortcuts need that)."""
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = build_main_window(context, ops)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        window.keywords_screen.table.setFocus()
        return window

    yield make
    for window in windows:
        window.close()
        window.deleteLater()


@pytest.fixture
def window(make_window: Callable[[], MainWindow]) -> MainWindow:
    return make_window()
