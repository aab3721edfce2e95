"""Schedules as the editor manages them: add, edit, pause, resume, remove, list.

Every input is checked before anything is written (an invalid cron, a bad URL,
an unreachable feed: one line, nothing changed). A poll_feed schedule's URL is
fetched and parsed once when it is added or changed, so a typo is caught then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.errors import EditorError
from engine.keywords import ImportFileError, parse_import_bytes
from engine.schedules.feeds import FeedFetchError, check_feed_url, fetch_feed
from engine.schedules.timing import Timing
from engine.store.db import Database
from engine.store.models import SCHEDULE_KINDS, Schedule, utcnow

MAX_NAME = 100
__all__ = ["SCHEDULE_KINDS", "ScheduleBook", "ScheduleError", "ScheduleRow", "check_args", "probe_feed"]


class ScheduleError(EditorError, ValueError):
    """A schedule request that cannot be met; str() is one line."""


@dataclass(frozen=True)
class ScheduleRow:
    id: int
    name: str
    kind: str
    args: dict[str, Any]
    cron: str | None
    interval_s: int | None
    timezone: str
    enabled: bool
    last_run_at: datetime | None
    next_run_at: datetime | None
    last_outcome: str | None
    last_message: str | None

    @property
    def timing(self) -> Timing:
        return Timing(self.cron, self.interval_s, self.timezone)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "args": self.args, "cron": self.cron,
                "interval_s": self.interval_s, "timezone": self.timezone, "enabled": self.enabled,
                "when": self.timing.describe(),
                "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
                "next_run_at": self.next_run_at.isoformat() if self.next_run_at else None,
                "last_outcome": self.last_outcome, "last_message": self.last_message}


def _row(schedule: Schedule) -> ScheduleRow:
    return ScheduleRow(schedule.id, schedule.name, schedule.kind, dict(schedule.args), schedule.cron,
                       schedule.interval_s, schedule.timezone, schedule.enabled, schedule.last_run_at,
                       schedule.next_run_at, schedule.last_outcome, schedule.last_message)


def _number(args: dict[str, Any], key: str, kind: type, minimum: float) -> None:
    value = args.get(key)
    if value is None:
        args.pop(key, None)
        return
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise ScheduleError(f"{key} must be a number, not {value!r}") from None
    if value < minimum or value != value:
        raise ScheduleError(f"{key} must be at least {minimum:g}")
    args[key] = value


def check_args(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments a kind takes, checked and typed: poll_feed {url}; generate_approved
    {budget_usd?, max_count?}; recheck_published {days}."""
    if kind not in SCHEDULE_KINDS:
        raise ScheduleError(f"unknown schedule kind {kind!r}; choose one of {', '.join(SCHEDULE_KINDS)}")
    args = {k: v for k, v in args.items() if v is not None}
    allowed = {"poll_feed": {"url"}, "generate_approved": {"budget_usd", "max_count"},
               "recheck_published": {"days"}}[kind]
    extra = sorted(set(args) - allowed)
    if extra:
        raise ScheduleError(f"a {kind} schedule takes no {', '.join(extra)}")
    if kind == "poll_feed":
        if "url" not in args:
            raise ScheduleError("a poll_feed schedule needs the feed's URL")
        try:
            args["url"] = check_feed_url(str(args["url"]))
        except FeedFetchError as error:
            raise ScheduleError(str(error)) from None
    elif kind == "generate_approved":
        _number(args, "budget_usd", float, 0.0)
        _number(args, "max_count", int, 1)
    else:
        args.setdefault("days", 7)
        _number(args, "days", int, 1)
    return args


def probe_feed(url: str) -> int:
    """Fetch and parse the feed once; its item count, or ScheduleError saying why it cannot be used."""
    try:
        fetched = fetch_feed(url)
    except FeedFetchError as error:
        raise ScheduleError(f"{url}: {error}") from None
    try:
        plan = parse_import_bytes(fetched.body, "feed.xml")
    except ImportFileError as error:
        raise ScheduleError(f"{url}: {error}") from None
    return len(plan.rows)


class ScheduleBook:
    def __init__(self, db: Database, *, now: Callable[[], datetime] = utcnow,
                 probe: Callable[[str], int] | None = probe_feed) -> None:
        self.db = db
        self.now = now
        self.probe = probe   # None: do not fetch a new feed URL before saving it

    def _find(self, session: Any, ref: int | str) -> Schedule:
        if isinstance(ref, int) or str(ref).isdigit():
            schedule = session.get(Schedule, int(ref))
        else:
            schedule = session.scalar(select(Schedule).where(Schedule.name == ref))
        if schedule is None:
            raise ScheduleError(f"no schedule {ref!r}; see `copydesk schedules list`")
        return schedule

    def get(self, ref: int | str) -> ScheduleRow:
        with self.db.read() as session:
            return _row(self._find(session, ref))

    def list(self) -> list[ScheduleRow]:
        with self.db.read() as session:
            return [_row(s) for s in session.scalars(select(Schedule).order_by(Schedule.name))]

    def add(self, name: str, kind: str, args: dict[str, Any], timing: Timing) -> ScheduleRow:
        name = " ".join((name or "").split())
        if not name or len(name) > MAX_NAME or name.isdigit():
            raise ScheduleError(f"a schedule's name is 1 to {MAX_NAME} characters and not only digits")
        args = check_args(kind, args)
        if kind == "poll_feed" and self.probe is not None:
            self.probe(args["url"])
        with self.db.write() as session:
            if session.scalar(select(Schedule.id).where(Schedule.name == name)) is not None:
                raise ScheduleError(f"a schedule named {name!r} exists already")
            schedule = Schedule(name=name, kind=kind, args=args, cron=timing.cron, interval_s=timing.interval_s,
                                timezone=timing.timezone, enabled=True, state={},
                                next_run_at=timing.next_run(self.now()))
            session.add(schedule)
            session.flush()
            return _row(schedule)

    def edit(self, ref: int | str, *, args: dict[str, Any] | None = None, timing: Timing | None = None,
             name: str | None = None) -> ScheduleRow:
        current = self.get(ref)
        new_args = check_args(current.kind, {**current.args, **args}) if args else current.args
        url_changed = current.kind == "poll_feed" and new_args.get("url") != current.args.get("url")
        if url_changed and self.probe is not None:
            self.probe(new_args["url"])
        with self.db.write() as session:
            schedule = self._find(session, current.id)
            if name is not None:
                name = " ".join(name.split())
                if not name or len(name) > MAX_NAME or name.isdigit():
                    raise ScheduleError(f"a schedule's name is 1 to {MAX_NAME} characters and not only digits")
                clash = session.scalar(select(Schedule.id).where(Schedule.name == name, Schedule.id != current.id))
                if clash is not None:
                    raise ScheduleError(f"a schedule named {name!r} exists already")
                schedule.name = name
            schedule.args = new_args
            if url_changed:
                schedule.state = {}   # another feed: its ETag and seen items do not apply
            if timing is not None:
                schedule.cron, schedule.interval_s, schedule.timezone = timing.cron, timing.interval_s, timing.timezone
                if schedule.enabled:
                    schedule.next_run_at = timing.next_run(self.now())
            session.flush()
            return _row(schedule)

    def set_enabled(self, ref: int | str, enabled: bool) -> ScheduleRow:
        with self.db.write() as session:
            schedule = self._find(session, ref)
            if schedule.enabled != enabled:
                schedule.enabled = enabled
                # Paused: no next run. Resumed: the next one from now, not the ones missed while paused.
                schedule.next_run_at = (Timing(schedule.cron, schedule.interval_s, schedule.timezone)
                                        .next_run(self.now()) if enabled else None)
            session.flush()
            return _row(schedule)

    def remove(self, ref: int | str) -> ScheduleRow:
        with self.db.write() as session:
            schedule = self._find(session, ref)
            row = _row(schedule)
            session.delete(schedule)
            return row
