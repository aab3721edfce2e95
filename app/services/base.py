"""What every service shares: callback types, and running a mutation that announces what it changed.

A service method hands engine work to `BackgroundOps`; a mutation's work
returns `(result, changes)`, and `run_mutation` emits `changes` on the
service's signal (when anything changed) before giving `result` to the
caller's success callback. Errors written for the editor (engine.errors.
EditorError) reach `BackgroundOps.failed` as their one line, like any failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.background import BackgroundOps

T = TypeVar("T")
C = TypeVar("C")
Success = Callable[[T], object] | None
Failure = Callable[[BaseException], object] | None


def run_mutation(ops: BackgroundOps, work: Callable[..., tuple[T, C]], *args: Any, announce: Callable[[C], object],
                 success: Success[T], failure: Failure, nothing: C | None = None) -> None:
    """Run `work(*args)` in the background; on the GUI thread announce its changes (unless they equal
    `nothing`), then pass its result to `success`."""
    def done(outcome: tuple[T, C]) -> None:
        result, changes = outcome
        if nothing is None or changes != nothing:
            announce(changes)
        if success is not None:
            success(result)

    ops.run(work, *args, success=done, failure=failure)
