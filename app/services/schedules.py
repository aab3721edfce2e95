"""Schedules as the Schedules screen uses them: off the GUI thread, announcing what changed.

The rules (checks, the feed probe, firing, the lease) live in engine/schedules;
this adapts them to callbacks on the GUI thread. `preview` is pure arithmetic
on the cron expression and runs on the caller's thread, so the form can show
the next five runs as the editor types.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.background import BackgroundOps
from app.services.base import Failure, Success, run_mutation
from engine.schedules.book import SCHEDULE_KINDS, ScheduleBook, ScheduleRow
from engine.schedules.firing import RunOutcome, run_schedule
from engine.schedules.timing import Timing, check_cron, parse_interval, zone
from engine.store.db import Database

__all__ = ["SCHEDULE_KINDS", "RunOutcome", "ScheduleRow", "ScheduleService", "Timing"]


def timing_from(mode: str, text: str, zone_name: str) -> Timing:
    """The form's "cron" / "interval" choice and text as a Timing, or TimingError (one line)."""
    zone_name = zone_name.strip() or "UTC"
    zone(zone_name)
    if mode == "cron":
        return Timing(check_cron(text), None, zone_name)
    return Timing(None, parse_interval(text), zone_name)


def in_words(moments: Sequence[datetime], zone_name: str) -> list[str]:
    """'Wed 2 Dec 2026, 06:00 CET' for each run, in the schedule's zone."""
    local = zone(zone_name)
    return [m.astimezone(local).strftime("%a %d %b %Y, %H:%M %Z").replace(" 0", " ", 1) for m in moments]


class ScheduleService(QObject):
    schedules_changed = Signal()

    def __init__(self, db: Database, ops: BackgroundOps, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._ops = ops

    def preview(self, timing: Timing, count: int = 5) -> list[str]:
        return in_words(timing.next_runs(datetime.now(UTC), count), timing.timezone)

    def load(self, *, success: Success[list[ScheduleRow]], failure: Failure = None) -> None:
        self._ops.run(lambda: ScheduleBook(self._db).list(), success=success, failure=failure)

    def add(self, name: str, kind: str, args: dict[str, Any], timing: Timing, *,
            success: Success[ScheduleRow] = None, failure: Failure = None) -> None:
        """Add a schedule (a feed's URL is fetched once first: an unreachable feed is refused)."""
        self._mutate(lambda: ScheduleBook(self._db).add(name, kind, args, timing), success, failure)

    def edit(self, schedule_id: int, args: dict[str, Any], timing: Timing, *,
             success: Success[ScheduleRow] = None, failure: Failure = None) -> None:
        self._mutate(lambda: ScheduleBook(self._db).edit(schedule_id, args=args, timing=timing), success, failure)

    def set_enabled(self, schedule_id: int, enabled: bool, *, success: Success[ScheduleRow] = None,
                    failure: Failure = None) -> None:
        self._mutate(lambda: ScheduleBook(self._db).set_enabled(schedule_id, enabled), success, failure)

    def remove(self, schedule_id: int, *, success: Success[ScheduleRow] = None, failure: Failure = None) -> None:
        self._mutate(lambda: ScheduleBook(self._db).remove(schedule_id), success, failure)

    def run_now(self, schedule_id: int, *, success: Success[RunOutcome | None] = None,
                failure: Failure = None) -> None:
        """Run it once now; None when another engine is running it at this moment."""
        self._mutate(lambda: run_schedule(self._db, schedule_id), success, failure)

    def _mutate(self, work: Any, success: Success[Any], failure: Failure) -> None:
        run_mutation(self._ops, lambda: (work(), True), announce=lambda _c: self.schedules_changed.emit(),
                     success=success, failure=failure)
