"""When a schedule runs: a cron expression or an interval, read in a named time zone.

Cron is evaluated in the schedule's own zone by cronsim, which follows cron's
DST rules: a time skipped by the spring change runs at the first minute that
exists (02:30 on the skipped night runs at 03:00), a time repeated in autumn
runs once. A missed run is never replayed per tick: the next run is always the
first one after *now*, so a laptop closed overnight runs a schedule once on wake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from engine.errors import EditorError

MIN_INTERVAL_S = 60
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class TimingError(EditorError, ValueError):
    """A cron expression, interval or time zone that cannot be used."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimingError(f"unknown time zone {name!r} (use an IANA name such as Europe/Paris or UTC)") from None


def check_cron(expression: str) -> str:
    expression = " ".join(expression.split())
    if len(expression.split(" ")) != 5:
        raise TimingError(f"invalid cron expression {expression!r}: it needs five fields "
                          "(minute hour day-of-month month day-of-week), e.g. '0 6 * * 1-5'")
    try:
        CronSim(expression, datetime(2026, 1, 1, tzinfo=UTC))
    except CronSimError as error:
        raise TimingError(f"invalid cron expression {expression!r}: {error}") from None
    return expression


def parse_interval(text: str) -> int:
    """'15m', '2h', '1d', '90s' as seconds (at least a minute)."""
    match = _INTERVAL.match(text or "")
    if not match:
        raise TimingError(f"invalid interval {text!r}: write a number and a unit, e.g. 15m, 2h or 1d")
    seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds < MIN_INTERVAL_S:
        raise TimingError(f"interval {text!r} is too short: at least 1 minute")
    return seconds


def describe_interval(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"every {seconds // size}{unit}"
    return f"every {seconds}s"


@dataclass(frozen=True)
class Timing:
    cron: str | None
    interval_s: int | None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.interval_s is None):
            raise TimingError("give either a cron expression or an interval, not both or neither")
        zone(self.timezone)

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron '{self.cron}' ({self.timezone})"
        assert self.interval_s is not None
        return describe_interval(self.interval_s)

    def next_runs(self, after: datetime, count: int = 1) -> list[datetime]:
        """The next `count` run times strictly after `after`, as aware UTC."""
        if after.tzinfo is None:
            raise ValueError("naive datetime given to next_runs")
        if self.interval_s is not None:
            step = timedelta(seconds=self.interval_s)
            return [(after + step * (i + 1)).astimezone(UTC) for i in range(count)]
        assert self.cron is not None
        local = after.astimezone(zone(self.timezone))
        runs = CronSim(self.cron, local)
        return [next(runs).astimezone(UTC) for _ in range(count)]

    def next_run(self, after: datetime) -> datetime:
        return self.next_runs(after, 1)[0]
