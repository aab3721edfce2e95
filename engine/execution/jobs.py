"""The one owner of job rows and of an article's execution status (procrastinate's JobManager is the model).

Every change to a job's status, lease or attempts, and to an article's
`status` / `current_stage`, goes through a `JobManager` bound to the caller's
transaction: the queue (claim, renew, release, recover, revoke), the tasks
(enqueue, retry), the dispatcher's single writer (start, finish, retry, fail)
and the in-process runner. Moves follow the tables in engine.states: a move
of one named row that the table forbids raises IllegalTransition; a bulk
move matches only the rows the table lets move (a job revoked meanwhile is
left alone, which is how the cancel/complete race resolves).

The manager remembers the articles it changed; `views()` reads them back as
frozen ArticleViews inside the same transaction, for the ArticleUpdated
events the single writer emits once it has committed.

Once a transaction that queued or revoked jobs has committed, the listeners of
`listen_for_queue_news` in this process are called: a dispatcher running here
looks at the queue at once instead of at its next poll.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, event, func, select, update
from sqlalchemy.orm import Session

from engine.events import ArticleView, StageFinished
from engine.pipeline.names import STAGE_COUNT, STAGE_NAMES
from engine.states import (
    ACTIVE_ARTICLE,
    ARTICLE_MOVES,
    JOB_MOVES,
    ArticleStatus,
    JobStatus,
    require_article_move,
    require_job_move,
    sources_of,
)
from engine.store.models import AIArticle, Job, KeywordSource, utcnow

# The jobs that run an article's pipeline and so move its status (a quality check only reads its text).
PIPELINE_KINDS = ("generate_article", "retry_article_stage")


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    args: dict[str, Any]
    article_id: int | None
    batch_id: str | None
    attempts: int
    max_retries: int
    retry_delay_s: float

    @property
    def moves_article(self) -> bool:
        return self.article_id is not None and self.kind in PIPELINE_KINDS


@dataclass(frozen=True)
class TaskPolicy:
    max_retries: int
    retry_delay_s: float


def _into(moves: dict, to: str) -> list[str]:
    return sorted(str(status) for status in sources_of(moves, to))


def _runnable(now: datetime) -> tuple[Any, ...]:
    return (Job.status.in_(_into(JOB_MOVES, JobStatus.STARTED)), (Job.not_before.is_(None)) | (Job.not_before <= now))


# ---------------------------------------------------------------------- news for a dispatcher in this process

_news_listeners: dict[str, list[Callable[[], None]]] = {}   # by database URL
_news_lock = threading.Lock()
_ANNOUNCING = "copydesk.queue_news"   # Session.info key: an announcement waits for this session's commit


def listen_for_queue_news(url: str, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` whenever this process has committed jobs queued or revoked, or the
    pause flag changed, on the database at `url` (from the committing thread; it must be quick
    and thread-safe). Returns the function that stops it. Other processes' changes are not
    heard here: the dispatcher's own polling finds them."""
    with _news_lock:
        _news_listeners.setdefault(url, []).append(callback)

    def stop() -> None:
        with _news_lock:
            listeners = _news_listeners.get(url, [])
            if callback in listeners:
                listeners.remove(callback)
            if not listeners:
                _news_listeners.pop(url, None)
    return stop


def announce_queue_news(url: str) -> None:
    with _news_lock:
        listeners = list(_news_listeners.get(url, ()))
    for callback in listeners:
        callback()


def _announce_after_commit(session: Session) -> None:
    if session.info.get(_ANNOUNCING):
        return
    session.info[_ANNOUNCING] = True
    url = str(session.get_bind().url)

    def committed(committed_session: Session) -> None:
        committed_session.info.pop(_ANNOUNCING, None)
        announce_queue_news(url)

    # After a rollback it stays registered, and fires at the session's next commit, if any.
    event.listen(session, "after_commit", committed, once=True)


_ARTICLES = AIArticle.__table__
# Compiled once, run with many parameter sets: the single writer records every stage of a tick at once.
_ADVANCE = (
    update(_ARTICLES).where(_ARTICLES.c.id == bindparam("aid")).values(
        current_stage=bindparam("stage"), current_stage_index=bindparam("stage_index"),
        tokens_in=_ARTICLES.c.tokens_in + bindparam("tin"), tokens_out=_ARTICLES.c.tokens_out + bindparam("tout"),
        cost_usd=_ARTICLES.c.cost_usd + bindparam("cost"))
)


class JobManager:
    """Job and article-execution transitions inside one transaction (`session`).

    `owner` is the dispatcher holding the jobs; moves of a job it runs (finish, retry,
    fail) match only while the job is STARTED under its lease."""

    def __init__(self, session: Session, owner: str | None = None) -> None:
        self.session = session
        self.owner = owner
        self.touched: set[int] = set()

    # ------------------------------------------------------------------ jobs: producing and consuming

    def enqueue(self, jobs: Sequence[tuple[str, dict[str, Any], int | None]], policies: dict[str, TaskPolicy], *,
                batch_id: str | None = None, priority: int = 0, policy: TaskPolicy | None = None) -> list[int]:
        now = utcnow()
        rows = []
        for kind, args, article_id in jobs:
            chosen = policy or policies[kind]
            rows.append(Job(kind=kind, args=args, article_id=article_id, batch_id=batch_id, priority=priority,
                            status=JobStatus.PENDING, max_retries=chosen.max_retries,
                            retry_delay_s=chosen.retry_delay_s, enqueued_at=now))
        self.session.add_all(rows)
        self.session.flush()
        _announce_after_commit(self.session)
        return [row.id for row in rows]

    def claim(self, owner: str, limit: int, lease_s: float) -> list[ClaimedJob]:
        """Atomically take up to `limit` runnable jobs, highest priority first, then oldest."""
        if limit <= 0:
            return []
        now = utcnow()
        runnable = (
            select(Job.id)
            .where(*_runnable(now))
            .order_by(Job.priority.desc(), Job.enqueued_at, Job.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            runnable = runnable.with_for_update(skip_locked=True)
        rows = self.session.execute(
            update(Job).where(Job.id.in_(runnable.scalar_subquery()))
            .values(status=JobStatus.STARTED, lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_s),
                    started_at=now, attempts=Job.attempts + 1)
            .returning(Job.id, Job.kind, Job.args, Job.article_id, Job.batch_id, Job.attempts,
                       Job.max_retries, Job.retry_delay_s)
        ).all()
        return sorted((ClaimedJob(*row) for row in rows), key=lambda job: job.id)

    def any_runnable(self) -> bool:
        """Whether a claim now would get a job: what an idle dispatcher asks, in a read."""
        return self.session.scalar(select(Job.id).where(*_runnable(utcnow())).limit(1)) is not None

    def renew(self, owner: str, job_ids: Sequence[int], lease_s: float) -> None:
        if job_ids:
            self.session.execute(update(Job).where(Job.id.in_(list(job_ids)), Job.lease_owner == owner,
                                                   Job.status == JobStatus.STARTED)
                                 .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s)))

    def still_ours(self, job_id: int) -> bool:
        return self.session.scalar(select(Job.id).where(*self._ours(job_id))) is not None

    def _ours(self, job_id: int) -> tuple[Any, ...]:
        """The job runs under our lease: neither revoked nor taken over by another engine."""
        return Job.id == job_id, Job.status == JobStatus.STARTED, Job.lease_owner == self.owner

    def _end(self, job_id: int, status: JobStatus, *, result: dict | None = None,
             traceback: str | None = None) -> bool:
        require_job_move(job_id, JobStatus.STARTED, status)
        return self.session.execute(update(Job).where(*self._ours(job_id)).values(
            status=status, finished_at=utcnow(), lease_owner=None, lease_expires_at=None, result=result,
            traceback=traceback)).rowcount > 0

    # ------------------------------------------------------------------ jobs: how a run ends

    def succeed(self, job_id: int, result: dict | None = None) -> bool:
        """SUCCESS for a job we hold; False if it was revoked (or taken over) meanwhile."""
        return self._end(job_id, JobStatus.SUCCESS, result=result)

    def fail(self, job: ClaimedJob, error: str) -> bool:
        """FAILURE for a job we hold, and its article failed when the job ran its pipeline;
        False (nothing changed) if the job was revoked or taken over meanwhile."""
        finished = self._end(job.id, JobStatus.FAILURE, traceback=error,
                             result={"article_id": job.article_id, "status": ArticleStatus.FAILED, "error": error})
        if finished and job.moves_article and job.article_id is not None:
            status = self.session.scalar(select(AIArticle.status).where(AIArticle.id == job.article_id))
            if status in ACTIVE_ARTICLE:   # a job that could not even start may find it finished, or gone
                self.fail_article(job.article_id, error)
        return finished

    def retry(self, job: ClaimedJob, error: str, delay_s: float) -> bool:
        """Back to PENDING after `delay_s`, its article queued again with the attempt noted;
        False if the job was revoked or taken over meanwhile (theirs to decide)."""
        require_job_move(job.id, JobStatus.STARTED, JobStatus.PENDING)
        requeued = self.session.execute(update(Job).where(*self._ours(job.id)).values(
            status=JobStatus.PENDING, lease_owner=None, lease_expires_at=None, traceback=error,
            not_before=utcnow() + timedelta(seconds=delay_s))).rowcount > 0
        if requeued and job.moves_article and job.article_id is not None:
            self.requeue_article(job.article_id, count_retry=True,
                                 note=f"attempt {job.attempts} failed: {error}; retrying in {delay_s:g} s")
        return requeued

    def release(self, job_ids: Sequence[int], *, count_attempt: bool = False, owner: str | None = None) -> None:
        """Put claimed jobs back (shutdown, a worker lost through no fault of theirs); their
        generating articles are queued again. With `owner`, only the jobs it still holds."""
        if not job_ids:
            return
        values: dict[str, Any] = {"status": JobStatus.PENDING, "lease_owner": None, "lease_expires_at": None}
        if not count_attempt:
            values["attempts"] = (func.max if self.session.get_bind().dialect.name == "sqlite"
                                  else func.greatest)(Job.attempts - 1, 0)
        condition = and_(Job.id.in_(list(job_ids)), Job.status.in_(_into(JOB_MOVES, JobStatus.PENDING)))
        if owner is not None:
            condition = and_(condition, Job.lease_owner == owner)
        released = list(self.session.scalars(update(Job).where(condition).values(**values).returning(Job.id)))
        self._requeue_articles_of(released)

    def recover(self, *, expired_before: datetime | None = None, owners: Iterable[str] = ()) -> list[int]:
        """Jobs whose dispatcher stopped renewing (lease older than `expired_before`) or is
        certainly dead (`owners`) go back to PENDING; their articles resume from the last checkpoint."""
        dead = list(owners)
        conditions = []
        if expired_before is not None:
            conditions.append(Job.lease_expires_at < expired_before)
        if dead:
            conditions.append(Job.lease_owner.in_(dead))
        if not conditions:
            return []
        condition = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
        ids = list(self.session.scalars(
            update(Job).where(Job.status == JobStatus.STARTED, condition)
            .values(status=JobStatus.PENDING, lease_owner=None, lease_expires_at=None).returning(Job.id)))
        self._requeue_articles_of(ids)
        return ids

    def requeue_waiting_articles(self) -> None:
        """Articles left generating while their job waits again (a lease that ran out) are queued."""
        waiting = select(Job.article_id).where(Job.status == JobStatus.PENDING, Job.article_id.is_not(None),
                                               Job.kind.in_(PIPELINE_KINDS))
        self._bulk_articles(AIArticle.id.in_(waiting), ArticleStatus.QUEUED, only=(ArticleStatus.GENERATING,))

    def revoke(self, job_ids: Sequence[int]) -> list[int]:
        """Revoke pending or running jobs; the articles they were running become cancelled."""
        now = utcnow()
        revoked = list(self.session.scalars(
            update(Job).where(Job.id.in_(list(job_ids)), Job.status.in_(_into(JOB_MOVES, JobStatus.REVOKED)))
            .values(status=JobStatus.REVOKED, finished_at=now, lease_owner=None).returning(Job.id)))
        if revoked:
            _announce_after_commit(self.session)
        articles = select(Job.article_id).where(Job.id.in_(revoked), Job.kind.in_(PIPELINE_KINDS))
        self._bulk_articles(AIArticle.id.in_(articles), ArticleStatus.CANCELLED,
                            only=(ArticleStatus.QUEUED, ArticleStatus.GENERATING), finished_at=now)
        return revoked

    def _requeue_articles_of(self, job_ids: list[int]) -> None:
        if job_ids:
            articles = select(Job.article_id).where(Job.id.in_(job_ids), Job.kind.in_(PIPELINE_KINDS))
            self._bulk_articles(AIArticle.id.in_(articles), ArticleStatus.QUEUED, only=(ArticleStatus.GENERATING,))

    def _bulk_articles(self, condition: Any, to: ArticleStatus, *, only: Sequence[ArticleStatus],
                       **values: Any) -> None:
        allowed = [status for status in only if status in sources_of(ARTICLE_MOVES, to)]
        ids = self.session.scalars(update(AIArticle).where(condition, AIArticle.status.in_(allowed))
                                   .values(status=to, **values).returning(AIArticle.id))
        self.touched.update(ids)

    # ------------------------------------------------------------------ articles

    def _article(self, article_id: int, to: ArticleStatus) -> AIArticle:
        article = self.session.get(AIArticle, article_id)
        if article is None:
            raise LookupError(f"no article with id {article_id}")
        require_article_move(article_id, article.status, to)
        self.touched.add(article_id)
        return article

    def start_article(self, article_id: int, provider: str, model: str) -> None:
        """queued (or a generating run resumed in place) -> generating."""
        article = self._article(article_id, ArticleStatus.GENERATING)
        article.status = ArticleStatus.GENERATING
        article.provider, article.model = provider, model
        article.started_at = article.started_at or utcnow()
        article.finished_at = None

    def complete_article(self, article: AIArticle) -> None:
        """generating -> completed, at the last stage (its text and scores are the caller's)."""
        self._article(article.id, ArticleStatus.COMPLETED)
        article.status = ArticleStatus.COMPLETED
        article.current_stage, article.current_stage_index = STAGE_NAMES[-1], STAGE_COUNT
        article.finished_at = utcnow()

    def fail_article(self, article_id: int, error: str, *, status: ArticleStatus = ArticleStatus.FAILED) -> None:
        """-> failed (the error appended to its log) or cancelled."""
        article = self._article(article_id, status)
        article.status = status
        article.finished_at = utcnow()
        if status == ArticleStatus.FAILED and error and not (article.error_log or "").endswith(error):
            article.error_log = f"{article.error_log}\n{error}" if article.error_log else error

    def requeue_article(self, article_id: int, *, count_retry: bool = False, note: str | None = None) -> None:
        """-> queued: an attempt retried, or a finished article run again."""
        article = self._article(article_id, ArticleStatus.QUEUED)
        article.status = ArticleStatus.QUEUED
        if count_retry:
            article.retry_count += 1
        if note:
            article.error_log = f"{article.error_log}\n{note}" if article.error_log else note

    def advance_articles(self, stages: Sequence[StageFinished]) -> None:
        """Each article's current stage and running totals after newly recorded stage attempts."""
        if stages:
            self.session.connection().execute(_ADVANCE, [
                dict(aid=e.article_id, stage=e.stage, stage_index=e.index, tin=e.tokens_in, tout=e.tokens_out,
                     cost=e.cost_usd) for e in sorted(stages, key=lambda e: e.index)])
            self.touched.update(e.article_id for e in stages)

    def note(self, article_id: int) -> None:
        """A change the caller made to the article (scores, its error log) that its readers should see."""
        self.touched.add(article_id)

    # ------------------------------------------------------------------ read models

    def views(self) -> list[ArticleView]:
        """The articles this transaction changed, as they will be committed."""
        if not self.touched:
            return []
        self.session.flush()
        return article_views(self.session, sorted(self.touched))


def article_views(session: Session, article_ids: Sequence[int]) -> list[ArticleView]:
    a = AIArticle
    rows = session.execute(
        select(a.id, KeywordSource.keyword, a.status, a.current_stage, a.current_stage_index, a.tokens_in,
               a.tokens_out, a.cost_usd, a.error_log, a.retry_count, a.overall_quality_score, a.bias_score,
               a.fact_check_score, a.perspective_balance_score, a.originality_score, a.quality_passed)
        .join(KeywordSource, KeywordSource.id == a.keyword_id).where(a.id.in_(list(article_ids))).order_by(a.id))
    return [ArticleView(id=r[0], keyword=r[1], status=r[2], current_stage=r[3], stage_index=r[4] or 0,
                        stage_count=STAGE_COUNT, tokens_in=r[5] or 0, tokens_out=r[6] or 0, cost_usd=r[7] or 0.0,
                        error=(r[8] or "").rstrip().rsplit("\n", 1)[-1] or None, retry_count=r[9] or 0,
                        overall_quality_score=r[10], bias_score=r[11], fact_check_score=r[12],
                        perspective_balance_score=r[13], originality_score=r[14], quality_passed=r[15])
            for r in rows]
