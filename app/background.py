"""Blocking work (database queries, file parsing, fetching a page) off the GUI thread.

The shape is Anki's `CollectionOp(...).success(cb).failure(cb).run_in_background()`
on top of asyncio: qasync runs the asyncio loop on Qt's event loop, so a result
computed in a worker thread comes back to the GUI thread as an ordinary loop
callback, and the success/failure callbacks may touch widgets.

    ops.run(book.counts, success=show_counts)              # callback form
    counts = await ops.call(book.counts)                   # awaitable form

Every failure is logged (with its traceback when it was not an error written
for the user) and reported once through the `failed` signal as one readable
line; a failure callback is for cleaning up, not for showing the message again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from engine.errors import EditorError
from engine.store.db import DatabaseError

log = logging.getLogger("copydesk.app")

T = TypeVar("T")

# Errors whose str() is already one line written for the editor ("too short", "article #4
# must be approved before it is published"): a traceback in the log would add nothing.
# DatabaseError (a damaged or read-only database) is not an EditorError yet (issue 12).
EDITOR_FACING: tuple[type[Exception], ...] = (EditorError, DatabaseError)


def describe(error: BaseException) -> str:
    """One readable line for a failed operation."""
    if isinstance(error, EDITOR_FACING):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror}{where}"
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    detail = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    return f"Something went wrong ({detail}). The details are in the log."


class LatestRequest:
    """Numbers requests so that only the newest one's result is delivered.

    calibre's gui2/llm.py trick: search-as-you-type fires a query per pause,
    and a slow early query must not overwrite the answer to a later one.
    """

    def __init__(self) -> None:
        self._number = 0

    def begin(self) -> Callable[[], bool]:
        """Start a request; the returned check says whether it is still the newest."""
        self._number += 1
        number = self._number
        return lambda: number == self._number

    def cancel(self) -> None:
        """Drop whatever is in flight (the screen moved on)."""
        self._number += 1


class BackgroundOps(QObject):
    """A small thread pool whose results come back on the GUI thread through asyncio.

    Two workers: database work is short, and a second thread keeps a slow
    page fetch (up to 15 s) from holding up list loads.
    """

    # One readable line for every failure, for the main window to show.
    failed = Signal(str)

    def __init__(self, workers: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="copydesk-bg")
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while any operation started with run() has not delivered its result."""
        return bool(self._tasks)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) in the pool and await its result; exceptions propagate to the awaiter."""
        if self._closed:
            raise RuntimeError("background operations were shut down")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def run(self, fn: Callable[..., T], *args: Any,
            success: Callable[[T], object] | None = None,
            failure: Callable[[BaseException], object] | None = None,
            latest: LatestRequest | None = None) -> asyncio.Task[None]:
        """Run fn(*args) in the background, then success(result) or failure(error) on the GUI thread.

        With `latest`, the result of a request that a newer one superseded is
        dropped, failures included: nobody is waiting for it any more.
        """
        is_current = latest.begin() if latest is not None else None

        async def operation() -> None:
            try:
                result = await self.call(fn, *args)
            except Exception as error:
                if self._wanted(is_current):
                    self._report(fn, error)
                    if failure is not None:
                        self._deliver(failure, error)
                return
            if self._wanted(is_current) and success is not None:
                self._deliver(success, result)

        task = asyncio.get_running_loop().create_task(operation())
        # The loop keeps only weak references to tasks; hold them until they finish.
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking work, cancel queued work, and drop results still on their way.

        wait=False lets the window close while a page fetch finishes on its own.
        """
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def _wanted(self, is_current: Callable[[], bool] | None) -> bool:
        return not self._closed and (is_current is None or is_current())

    def _report(self, fn: Callable[..., object], error: Exception) -> None:
        name = getattr(fn, "__qualname__", repr(fn))
        if isinstance(error, EDITOR_FACING):
            log.warning("%s: %s", name, error)
        else:
            log.error("%s failed", name, exc_info=error)
        self.failed.emit(describe(error))

    def _deliver(self, callback: Callable[[Any], object], value: object) -> None:
        # A bug in a callback is reported like a failed operation, not left to
        # asyncio's "exception was never retrieved" on stderr.
        try:
            callback(value)
        except Exception as error:
            self._report(callback, error)
