"""BackgroundOps: results on the GUI thread, one-line failures, superseded requests dropped."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from app.background import BackgroundOps, LatestRequest, describe
from engine.keywords import KeywordError


def test_success_is_delivered_on_the_gui_thread(qtbot, ops: BackgroundOps) -> None:
    seen: list[tuple[int, int]] = []
    ops.run(lambda a, b: (a + b, threading.get_ident()), 2, 3, success=seen.append)
    qtbot.waitUntil(lambda: bool(seen))
    total, worker_thread = seen[0]
    assert total == 5
    assert worker_thread != threading.get_ident()
    assert not ops.busy


def test_awaitable_form_returns_the_result(qtbot, ops: BackgroundOps) -> None:
    task = asyncio.ensure_future(ops.call(sum, [1, 2, 3]))
    qtbot.waitUntil(task.done)
    assert task.result() == 6


def test_unexpected_failure_logs_the_traceback_and_reports_one_line(qtbot, ops: BackgroundOps, caplog) -> None:
    def explode() -> None:
        raise ValueError("boom\nsecond line")

    failures: list[BaseException] = []
    caplog.set_level(logging.ERROR, logger="copydesk.app")
    with qtbot.waitSignal(ops.failed) as signal:
        ops.run(explode, success=lambda _: pytest.fail("no success after a failure"), failure=failures.append)
    qtbot.waitUntil(lambda: bool(failures))
    message = signal.args[0]
    assert message == "Something went wrong (ValueError: boom). The details are in the log."
    assert "\n" not in message
    assert isinstance(failures[0], ValueError)
    record = next(r for r in caplog.records if r.name == "copydesk.app")
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_user_error_is_reported_as_written_without_a_traceback(qtbot, ops: BackgroundOps, caplog) -> None:
    def refuse() -> None:
        raise KeywordError("too short (1 character; at least 2)")

    caplog.set_level(logging.WARNING, logger="copydesk.app")
    with qtbot.waitSignal(ops.failed) as signal:
        ops.run(refuse)
    assert signal.args == ["too short (1 character; at least 2)"]
    assert all(r.exc_info is None for r in caplog.records if r.name == "copydesk.app")


def test_a_failing_callback_is_reported_not_swallowed(qtbot, ops: BackgroundOps) -> None:
    def broken_callback(_result: object) -> None:
        raise RuntimeError("callback bug")

    with qtbot.waitSignal(ops.failed) as signal:
        ops.run(int, "7", success=broken_callback)
    assert "RuntimeError: callback bug" in signal.args[0]


def test_only_the_latest_request_is_delivered(qtbot, ops: BackgroundOps) -> None:
    latest = LatestRequest()
    release_first = threading.Event()
    delivered: list[str] = []

    def slow_first() -> str:
        release_first.wait(timeout=10)
        return "first"

    ops.run(slow_first, success=delivered.append, latest=latest)
    ops.run(lambda: "second", success=delivered.append, latest=latest)
    qtbot.waitUntil(lambda: delivered == ["second"])
    release_first.set()
    qtbot.waitUntil(lambda: not ops.busy)
    assert delivered == ["second"]


def test_cancel_drops_the_request_in_flight(qtbot, ops: BackgroundOps) -> None:
    latest = LatestRequest()
    delivered: list[int] = []
    ops.run(int, "1", success=delivered.append, latest=latest)
    latest.cancel()
    qtbot.waitUntil(lambda: not ops.busy)
    assert delivered == []


def test_results_after_shutdown_are_dropped(qtbot, running_loop) -> None:
    operations = BackgroundOps()
    release = threading.Event()
    delivered: list[str] = []
    operations.run(lambda: release.wait(timeout=10) and "late", success=delivered.append)
    operations.shutdown(wait=False)
    release.set()
    qtbot.waitUntil(lambda: not operations.busy)
    assert delivered == []


def test_describe_gives_one_line() -> None:
    assert describe(KeywordError("empty keyword")) == "empty keyword"
    assert describe(FileNotFoundError(2, "No such file or directory", "/x/y.csv")) == \
        "No such file or directory (/x/y.csv)"
    assert describe(RuntimeError()) == "Something went wrong (RuntimeError). The details are in the log."
