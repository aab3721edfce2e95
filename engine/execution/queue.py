"""The durable queue: the Job table, claimed atomically, leased, and recovered after crashes.

Claiming is one `UPDATE ... RETURNING` inside a `BEGIN IMMEDIATE` transaction
(on PostgreSQL the inner SELECT adds FOR UPDATE SKIP LOCKED), highest
priority first, then oldest. A claimed job carries a lease its dispatcher
renews; a lease that runs out means its dispatcher died, and the job goes
back to PENDING so its article resumes from the last checkpoint. Each of
these moves is made by engine.execution.jobs.JobManager inside the
transaction this module opens.

A holder on this host is not waited for: its owner name carries its pid and
its process's start time, so a dead holder (or a pid since reused by another
process) is recognised at once and its lease and jobs are taken over.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session

from engine.events import QueueSummary
from engine.execution.jobs import ClaimedJob, JobManager, TaskPolicy, announce_queue_news
from engine.states import ArticleStatus, JobStatus
from engine.store.db import Database
from engine.store.models import AIArticle, AIWorkflowLog, AppSetting, EngineLease, Job, utcnow

FINISHED_JOB = (JobStatus.SUCCESS, JobStatus.FAILURE, JobStatus.REVOKED)
ENGINE_LEASE = "dispatcher"
PAUSED_KEY = "queue_paused"
# Owner names fit the 100-character lease_owner column with a long host name.
_HOST = socket.gethostname()[:60]
# psutil derives a start time from the boot time, which the clock's adjustments can move by a
# second; a pid reused by another process within that second of the holder's start is not a risk.
_START_TOLERANCE_S = 1.0
# Job.priority is a 32-bit INTEGER on PostgreSQL.
PRIORITY_LIMIT = 2**31
# The longest --finished-before accepted: a century.
MAX_PURGE_DAYS = 36_500.0


class QueueError(ValueError):
    """A request the queue refuses; str() is one line for the user."""


# The original system's retry semantics (configurable through app settings).
DEFAULT_POLICIES = {
    "generate_article": TaskPolicy(3, 60.0),
    "retry_article_stage": TaskPolicy(2, 30.0),
    "run_quality_checks": TaskPolicy(0, 0.0),
    "batch_generate_articles": TaskPolicy(0, 0.0),
}


class JobQueue:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ producing

    def enqueue(self, kind: str, args: dict[str, Any], *, article_id: int | None = None,
                batch_id: str | None = None, priority: int = 0,
                policy: TaskPolicy | None = None) -> int:
        return self.enqueue_many([(kind, args, article_id)], batch_id=batch_id, priority=priority,
                                 policy=policy)[0]

    def enqueue_many(self, jobs: Sequence[tuple[str, dict[str, Any], int | None]], *,
                     batch_id: str | None = None, priority: int = 0,
                     policy: TaskPolicy | None = None) -> list[int]:
        with self.db.write() as session:
            return add_jobs(session, jobs, batch_id=batch_id, priority=priority, policy=policy)

    # ------------------------------------------------------------------ consuming

    def claim(self, owner: str, limit: int, lease_s: float) -> list[ClaimedJob]:
        """Atomically take up to `limit` runnable jobs for `owner`."""
        if limit <= 0:
            return []
        with self.db.write() as session:
            return JobManager(session).claim(owner, limit, lease_s)

    def renew(self, owner: str, job_ids: Sequence[int], lease_s: float) -> None:
        if job_ids:
            with self.db.write() as session:
                JobManager(session).renew(owner, job_ids, lease_s)

    def recover_expired(self) -> list[int]:
        """Jobs whose dispatcher stopped renewing go back to PENDING (their articles resume)."""
        with self.db.write() as session:
            return JobManager(session).recover(expired_before=utcnow())

    def recover_orphans(self, owner: str) -> list[int]:
        """Jobs still leased to a dispatcher that is certainly dead go back to PENDING now,
        without waiting for their leases to run out. `owner` (the caller) keeps its own."""
        with self.db.read() as session:
            owners = set(session.scalars(select(Job.lease_owner).where(
                Job.status == JobStatus.STARTED, Job.lease_owner.is_not(None), Job.lease_owner != owner)))
        dead = [name for name in owners if owner_is_dead(name)]
        if not dead:
            return []
        with self.db.write() as session:
            return JobManager(session).recover(owners=dead)

    def release(self, job_ids: Sequence[int], *, count_attempt: bool = False, owner: str | None = None) -> None:
        """Put claimed jobs back (graceful shutdown, a worker lost through no fault of theirs).
        With `owner`, only the jobs it still holds: a job another dispatcher took over stays its."""
        if job_ids:
            with self.db.write() as session:
                JobManager(session).release(job_ids, count_attempt=count_attempt, owner=owner)

    # ------------------------------------------------------------------ control

    def cancel(self, job_ids: Sequence[int]) -> list[int]:
        """Revoke pending or running jobs; their articles become cancelled. Returns the ids revoked."""
        with self.db.write() as session:
            return JobManager(session).revoke(job_ids)

    def cancel_batch(self, batch_id: str) -> list[int]:
        with self.db.read() as session:
            ids = list(session.scalars(select(Job.id).where(Job.batch_id == batch_id)))
        return self.cancel(ids)

    def set_priority(self, job_ids: Sequence[int], priority: int) -> int:
        if not -PRIORITY_LIMIT <= priority < PRIORITY_LIMIT:
            raise QueueError(f"a priority is a whole number from {-PRIORITY_LIMIT} to {PRIORITY_LIMIT - 1}, "
                             f"not {priority}")
        with self.db.write() as session:
            return session.execute(update(Job).where(Job.id.in_(list(job_ids)), Job.status == JobStatus.PENDING)
                                   .values(priority=priority)).rowcount

    def set_paused(self, paused: bool) -> None:
        with self.db.write() as session:
            session.merge(AppSetting(key=PAUSED_KEY, value=paused))
        announce_queue_news(str(self.db.engine.url))

    def look(self) -> tuple[bool, bool]:
        """(paused, a job is runnable) in one read: an idle dispatcher claims, a write, only
        when both say so."""
        with self.db.read() as session:
            paused = bool(session.scalar(select(AppSetting.value).where(AppSetting.key == PAUSED_KEY)))
            return paused, JobManager(session).any_runnable()

    def is_paused(self) -> bool:
        with self.db.read() as session:
            return bool(session.scalar(select(AppSetting.value).where(AppSetting.key == PAUSED_KEY)))

    def revoked_among(self, job_ids: Sequence[int]) -> list[int]:
        if not job_ids:
            return []
        with self.db.read() as session:
            return list(session.scalars(select(Job.id).where(Job.id.in_(list(job_ids)), Job.status == JobStatus.REVOKED)))

    def purge(self, finished_before_days: float | None = None) -> int:
        """Delete finished jobs (SUCCESS, FAILURE, REVOKED), optionally only older ones."""
        condition = Job.status.in_(FINISHED_JOB)
        if finished_before_days is not None:
            if not 0 <= finished_before_days <= MAX_PURGE_DAYS:   # also false for nan
                raise QueueError(f"--finished-before takes a number of days from 0 to {MAX_PURGE_DAYS:g}, "
                                 f"not {finished_before_days!r}")
            condition = and_(condition, Job.finished_at < utcnow() - timedelta(days=finished_before_days))
        with self.db.write() as session:
            return session.execute(delete(Job).where(condition)).rowcount

    def stats(self) -> dict[str, Any]:
        with self.db.read() as session:
            by_status = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
            by_kind = dict(session.execute(select(Job.kind, func.count()).where(Job.status == JobStatus.STARTED)
                                           .group_by(Job.kind)).all())
            lease = session.get(EngineLease, ENGINE_LEASE)
            owners = list(session.scalars(select(Job.lease_owner).where(Job.status == JobStatus.STARTED).distinct()))
        return {
            "by_status": {str(s): by_status.get(s, 0) for s in JobStatus},
            "active_by_kind": by_kind,
            "paused": self.is_paused(),
            "engine": None if lease is None else {
                "owner": lease.owner, "pid": lease.pid, "host": lease.host,
                "expires_at": lease.expires_at.isoformat(), "alive": holder_state(lease) == "alive",
                "state": holder_state(lease)},
            "active_owners": owners,
        }


def add_jobs(session: Session, jobs: Sequence[tuple[str, dict[str, Any], int | None]], *,
             batch_id: str | None = None, priority: int = 0, policy: TaskPolicy | None = None) -> list[int]:
    """JobQueue.enqueue_many inside the caller's transaction (articles and their jobs land together)."""
    return JobManager(session).enqueue(jobs, DEFAULT_POLICIES, batch_id=batch_id, priority=priority, policy=policy)


def engine_owner_name() -> str:
    """host:pid:process start time:random. Unique per dispatcher (two in one process are told
    apart too), and enough for another process on this host to tell whether it still lives."""
    import psutil  # here: the desktop app imports this module before its first paint

    started = psutil.Process().create_time()
    return f"{_HOST}:{os.getpid()}:{started:.2f}:{uuid.uuid4().hex[:6]}"


def owner_is_dead(owner: str) -> bool:
    """True only when certain: the owner ran on this host, and its pid is gone, a zombie, or
    now belongs to a process started at another time (the pid was reused). An owner on
    another host, or one we may not inspect, counts as alive (its lease will tell)."""
    parts = owner.split(":")
    if len(parts) < 3 or parts[0] != _HOST or not parts[1].isdigit():
        return False
    import psutil

    try:
        process = psutil.Process(int(parts[1]))
        if process.status() == psutil.STATUS_ZOMBIE:
            return True
        started = process.create_time()
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False
    try:
        recorded = float(parts[2])
    except ValueError:       # a name from before start times were recorded: the pid lives
        return False
    return abs(started - recorded) > _START_TOLERANCE_S


def holder_state(lease: EngineLease) -> str:
    """"alive", "expired" (it stopped renewing) or "dead" (its process is gone, on this host)."""
    if owner_is_dead(lease.owner):
        return "dead"
    return "alive" if lease.expires_at > utcnow() else "expired"


class EngineLeaseHeld(Exception):
    """Another dispatcher runs on this database; str() names it."""


def acquire_engine_lease(db: Database, owner: str, ttl_s: float) -> str | None:
    """Take (or renew) the one-dispatcher-per-database lease, or raise EngineLeaseHeld.

    A lease whose holder is dead (on this host) or that expired (any host) is taken over;
    the previous holder's name is returned then, None otherwise."""
    now = utcnow()
    with db.write() as session:
        lease = session.get(EngineLease, ENGINE_LEASE)
        previous = None
        if lease is not None and lease.owner != owner:
            state = holder_state(lease)
            if state == "alive":
                raise EngineLeaseHeld(f"the engine is already running on this database (pid {lease.pid} on "
                                      f"{lease.host}); attaching as a viewer until it stops")
            previous = lease.owner
        if lease is None:
            lease = EngineLease(name=ENGINE_LEASE, owner=owner, pid=os.getpid(), host=_HOST, expires_at=now)
            session.add(lease)
        lease.owner, lease.pid, lease.host = owner, os.getpid(), _HOST
        lease.expires_at = now + timedelta(seconds=ttl_s)
    return previous


def release_engine_lease(db: Database, owner: str) -> None:
    with db.write() as session:
        session.execute(delete(EngineLease).where(EngineLease.name == ENGINE_LEASE, EngineLease.owner == owner))


def queue_summary(db: Database, *, running: int | None = None, paused: bool | None = None) -> QueueSummary:
    """Totals for status bars: articles by status, and tokens and cost of today's stages (UTC).

    `running` defaults to the jobs holding a lease (what a viewer without the engine sees).
    """
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    with db.read() as session:
        articles = dict(session.execute(select(AIArticle.status, func.count()).group_by(AIArticle.status)).all())
        tokens, cost = session.execute(
            select(func.coalesce(func.sum(AIWorkflowLog.tokens_in + AIWorkflowLog.tokens_out), 0),
                   func.coalesce(func.sum(AIWorkflowLog.cost_usd), 0.0))
            .where(AIWorkflowLog.finished_at >= today)).one()
        if running is None:
            running = session.scalar(select(func.count()).where(Job.status == JobStatus.STARTED)) or 0
        if paused is None:
            paused = bool(session.scalar(select(AppSetting.value).where(AppSetting.key == PAUSED_KEY)))
    return QueueSummary(queued=articles.get(ArticleStatus.QUEUED, 0), running=running,
                        completed=articles.get(ArticleStatus.COMPLETED, 0), failed=articles.get(ArticleStatus.FAILED, 0),
                        cancelled=articles.get(ArticleStatus.CANCELLED, 0), tokens=int(tokens), cost_usd=float(cost),
                        paused=paused)
