"""Firing schedules: which are due, claiming a run, running its kind, recording the outcome.

A run is claimed in one UPDATE that only succeeds while nobody holds the
schedule's lease and (for a due run) its next run is still the one we read, so
two engines, or an engine and `copydesk schedules run`, never run it twice. The
claim moves next_run_at to the first run after now: a schedule missed over a
night runs once, not once per missed tick. A failure (an unreachable feed, a
refused batch) is recorded as the last outcome; the schedule itself is kept.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from engine.errors import EditorError
from engine.execution.settings import EngineSettings, load_engine_settings
from engine.execution.tasks import run_quality_checks
from engine.keywords import ImportFileError, ImportPlan, KeywordBook, parse_import_bytes
from engine.operations import generation
from engine.pipeline.persist import RunError
from engine.providers.pricing import load_pricing
from engine.schedules.feeds import FeedFetchError, fetch_feed
from engine.schedules.timing import Timing
from engine.states import JobStatus, ReviewStatus
from engine.store.db import Database
from engine.store.models import AIArticle, Job, Schedule, utcnow

log = logging.getLogger("copydesk.schedules")

LEASE_S = 300.0            # longer than a feed fetch's time-out; an engine that dies mid-run frees it then
MAX_SEEN_ITEMS = 5000      # a feed's item ids remembered, newest kept
_MESSAGE_CHARS = 500


@dataclass(frozen=True)
class RunOutcome:
    schedule_id: int
    name: str
    ok: bool
    message: str
    result: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"schedule_id": self.schedule_id, "name": self.name, "ok": self.ok, "message": self.message,
                **self.result}


class _Failed(Exception):
    def __init__(self, message: str, state: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.state = state


def _item_id(entry: Any) -> str:
    return str(entry.get("id") or entry.get("link") or entry.get("title") or "")[:500]


def poll_feed(db: Database, args: dict[str, Any], state: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    import feedparser

    try:
        fetched = fetch_feed(args["url"], etag=state.get("etag"), last_modified=state.get("last_modified"))
    except FeedFetchError as error:
        raise _Failed(str(error)) from None
    if fetched.status == 304:
        return "not modified since the last poll", {"added": 0, "not_modified": True}, state
    try:
        plan = parse_import_bytes(fetched.body, "feed.xml")
    except ImportFileError as error:
        raise _Failed(str(error)) from None
    # Items are recognised by their guid (else link): an edited headline is not a new topic.
    entries = feedparser.parse(fetched.body).get("entries") or []
    ids = [_item_id(e) for e in entries]
    seen = set(state.get("seen", []))
    fresh = [row for row in plan.rows if ids[row.position - 1] not in seen]
    report = KeywordBook(db).add_plan(ImportPlan("feed", fresh, [], notes=[
        n for n in plan.notes if ids[n.position - 1] not in seen]))
    remembered = [i for i in state.get("seen", []) if i not in set(ids)] + ids
    new_state = {"etag": fetched.etag, "last_modified": fetched.last_modified,
                 "seen": remembered[-MAX_SEEN_ITEMS:]}
    added = len(report.added)
    return (f"{added} new keyword{'s' if added != 1 else ''} from {len(entries)} item{'s' if len(entries) != 1 else ''}",
            {"added": added, "keyword_ids": [kid for _pos, _kw, kid in report.added]}, new_state)


def generate_approved(db: Database, args: dict[str, Any], settings: EngineSettings) -> tuple[str, dict[str, Any]]:
    keyword_ids = generation.waiting_keyword_ids(db)
    if args.get("max_count"):
        keyword_ids = keyword_ids[:int(args["max_count"])]
    if not keyword_ids:
        return "no approved keyword is waiting for an article", {"queued": 0}
    done = generation.generate_within_budget(db, keyword_ids, float(args.get("budget_usd") or 0), settings,
                                             load_pricing())
    if done.batch is None or not done.batch.article_ids:
        raise _Failed(done.refused or "nothing was queued")
    queued = len(done.batch.article_ids)
    return (f"queued {queued} article{'s' if queued != 1 else ''} (batch {done.batch.batch_id})",
            {"queued": queued, "batch_id": done.batch.batch_id, "article_ids": list(done.batch.article_ids)})


def recheck_published(db: Database, args: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    since = now - timedelta(days=int(args.get("days", 7)))
    with db.read() as session:
        checking = select(Job.article_id).where(
            Job.kind == "run_quality_checks", Job.status.in_((JobStatus.PENDING.value, JobStatus.STARTED.value)),
            Job.article_id.is_not(None))
        article_ids = list(session.scalars(select(AIArticle.id).where(
            AIArticle.published_at >= since, AIArticle.review_status == ReviewStatus.PUBLISHED.value,
            AIArticle.id.not_in(checking)).order_by(AIArticle.id)))
    job_ids = []
    for article_id in article_ids:
        try:
            job_ids.append(run_quality_checks(db, article_id))
        except RunError as error:   # no text any more: the others are still checked
            log.warning("schedule: article #%s not re-checked: %s", article_id, error)
    return (f"queued quality checks for {len(job_ids)} published article{'s' if len(job_ids) != 1 else ''}",
            {"queued": len(job_ids), "job_ids": job_ids})


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claim(db: Database, schedule_id: int, owner: str, now: datetime, *, due_at: datetime | None) -> bool:
    """Take the schedule's lease; for a due run, only while next_run_at is still `due_at`."""
    with db.write() as session:
        schedule = session.get(Schedule, schedule_id)
        if schedule is None:
            return False
        timing = Timing(schedule.cron, schedule.interval_s, schedule.timezone)
        values: dict[str, Any] = {"lease_owner": owner, "lease_expires_at": now + timedelta(seconds=LEASE_S)}
        conditions = [Schedule.id == schedule_id,
                      or_(Schedule.lease_expires_at.is_(None), Schedule.lease_expires_at < now)]
        if due_at is not None:
            conditions += [Schedule.enabled.is_(True), Schedule.next_run_at == due_at]
            values["next_run_at"] = timing.next_run(now)
        claimed = session.execute(update(Schedule).where(*conditions).values(**values)).rowcount
        return bool(claimed)


def run_schedule(db: Database, schedule_id: int, *, now: datetime | None = None, owner: str | None = None,
                 settings: EngineSettings | None = None, due_at: datetime | None = None) -> RunOutcome | None:
    """Run one schedule now (due_at None: "Run now") and record its outcome; None if another holds it."""
    now = now or utcnow()
    owner = owner or default_owner()
    if not _claim(db, schedule_id, owner, now, due_at=due_at):
        return None
    with db.read() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        name, kind, args, state = schedule.name, schedule.kind, dict(schedule.args), dict(schedule.state)
    new_state = state
    try:
        if kind == "poll_feed":
            message, result, new_state = poll_feed(db, args, state)
        elif kind == "generate_approved":
            message, result = generate_approved(db, args, settings or load_engine_settings(db))
        else:
            message, result = recheck_published(db, args, now)
        ok = True
    except (_Failed, EditorError) as error:
        ok, message, result = False, str(error), {}
    except Exception as error:   # a bug: logged with its traceback, recorded, the schedule kept
        log.exception("schedule %r (%s) failed", name, kind)
        ok, message, result = False, f"internal error: {type(error).__name__}: {error}", {}
    with db.write() as session:
        schedule = session.get(Schedule, schedule_id)
        if schedule is not None and schedule.lease_owner == owner:
            schedule.last_run_at = now
            schedule.last_outcome = "ok" if ok else "failed"
            schedule.last_message = message[:_MESSAGE_CHARS]
            schedule.state = new_state
            schedule.lease_owner = schedule.lease_expires_at = None
    log.info("schedule %r (%s): %s", name, kind, message)
    return RunOutcome(schedule_id, name, ok, message, result)


def fire_due(db: Database, *, now: datetime | None = None, owner: str | None = None,
             settings: EngineSettings | None = None) -> list[RunOutcome]:
    """Run every enabled schedule whose next run has come, once each."""
    now = now or utcnow()
    owner = owner or default_owner()
    with db.read() as session:
        due = list(session.execute(select(Schedule.id, Schedule.next_run_at).where(
            Schedule.enabled.is_(True), Schedule.next_run_at <= now).order_by(Schedule.next_run_at)))
    outcomes = []
    for schedule_id, due_at in due:
        outcome = run_schedule(db, schedule_id, now=now, owner=owner, settings=settings, due_at=due_at)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


class ScheduleFirer:
    """The engine's periodic duty: fire due schedules on a thread of their own, so a slow
    feed never holds up the dispatcher's loop; a tick while a round still runs does nothing."""

    def __init__(self, db: Database, settings: Callable[[], EngineSettings] | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.owner = default_owner()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        # One indexed read on the loop's thread; a round's thread only when something is due.
        with self.db.read() as session:
            due = session.scalar(select(Schedule.id).where(
                Schedule.enabled.is_(True), Schedule.next_run_at <= self.clock()).limit(1))
        if due is None:
            return
        self._thread = threading.Thread(target=self._round, name="copydesk-schedules", daemon=True)
        self._thread.start()

    def _round(self) -> None:
        try:
            fire_due(self.db, now=self.clock(), owner=self.owner,
                     settings=self.settings() if self.settings else None)
        except Exception:   # the engine keeps running; the next tick tries again
            log.exception("firing schedules failed")

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
