"""Generation operations: generate approved, retry from a stage, regenerate, cancel, raise priority.

One function per editor action, holding its rule once; `copydesk generate`,
`copydesk retry` and the Queue and Review screens' services all call these.

What "generate approved" means: one article for each approved keyword that has
no article yet. A keyword whose only articles were cancelled counts as waiting
(the editor stopped that run, nothing of it is kept for review); a failed
article still counts as the keyword's article, because "Retry" resumes it from
its failed stage with the work already done. So running it twice queues each
keyword once. `waiting_keyword_ids` is that list (the GUI's "Generate approved
(N)" counts it); the CLI asks `require_waiting_keywords`, which says why none
waits, and the GUI `generate_within_budget`, which also applies a cost cap.

What may run again (retry from a stage, regenerate): never a published article,
and never one with a pipeline job still waiting or running (two runs would
race). Regenerate is for finished, reviewed work: a completed article only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select

from engine.articles import ArticleError, BatchResult
from engine.estimate import BatchEstimate, estimate_batch
from engine.execution.jobs import PIPELINE_KINDS
from engine.execution.queue import JobQueue
from engine.execution.settings import EngineSettings
from engine.execution.tasks import batch_generate_articles, retry_article_stage
from engine.pipeline.names import STAGE_NAMES
from engine.pipeline.persist import RunError, latest_checkpoints
from engine.providers.pricing import PricingTable
from engine.states import (
    STOPPED_ARTICLE,
    ArticleStatus,
    JobStatus,
    KeywordStatus,
    Priority,
    ReviewStatus,
    require_article_move,
)
from engine.store.db import Database
from engine.store.models import AIArticle, Job, KeywordSource

_PRIORITY_RANK = {Priority.HIGH.value: 0, Priority.NORMAL.value: 1, Priority.LOW.value: 2}
_OPEN = (JobStatus.PENDING.value, JobStatus.STARTED.value)


class NothingToGenerate(ArticleError):
    """"Generate approved" found no approved keyword waiting for an article."""


def waiting_keyword_ids(db: Database) -> list[int]:
    """Approved keywords that "generate approved" would queue (see the module's docstring), high priority first."""
    with db.read() as session:
        has_article = select(AIArticle.keyword_id).where(AIArticle.status != ArticleStatus.CANCELLED.value)
        rank = case(_PRIORITY_RANK, value=KeywordSource.priority, else_=len(_PRIORITY_RANK))
        return list(session.scalars(
            select(KeywordSource.id)
            .where(KeywordSource.approval_status == KeywordStatus.APPROVED.value,
                   KeywordSource.id.not_in(has_article))
            .order_by(rank, KeywordSource.id)))


def generate(db: Database, keyword_ids: Sequence[int], settings: EngineSettings, *,
             overrides: dict[str, str] | None = None) -> BatchResult:
    """One queued article per keyword in `keyword_ids` (each must be approved; a bad one is reported)."""
    return batch_generate_articles(db, list(keyword_ids), settings, overrides=overrides)


def require_waiting_keywords(db: Database) -> list[int]:
    """waiting_keyword_ids, or NothingToGenerate saying why none is waiting."""
    keyword_ids = waiting_keyword_ids(db)
    if keyword_ids:
        return keyword_ids
    with db.read() as session:
        approved = session.scalar(select(func.count()).select_from(KeywordSource).where(
            KeywordSource.approval_status == KeywordStatus.APPROVED.value)) or 0
    if approved:
        raise NothingToGenerate(f"every approved keyword ({approved:,}) already has an article; retry a failed "
                                "one with `copydesk retry`, or name keywords with --keyword")
    raise NothingToGenerate("no approved keywords to generate; approve some with `copydesk keywords approve`")


@dataclass(frozen=True)
class BudgetFit:
    """How much of a list of keywords a budget cap allows (all of them when the cap is 0: no cap)."""

    keyword_ids: tuple[int, ...]
    estimate: BatchEstimate
    left_out: int


def fit_budget(db: Database, keyword_ids: Sequence[int], cap_usd: float, pricing: PricingTable) -> BudgetFit:
    """The longest prefix of `keyword_ids` whose estimated cost is within `cap_usd` (0: no cap)."""
    ids = tuple(keyword_ids)
    whole = estimate_batch(db, list(ids), pricing)
    if cap_usd <= 0 or whole.cost_usd <= cap_usd:
        return BudgetFit(ids, whole, 0)
    # A batch's estimate grows with every keyword added (each adds its sources and its
    # calls), so the longest prefix within the cap is found by bisection: ~log2(n) estimates.
    fits, over = 0, len(ids)
    best = estimate_batch(db, [], pricing)
    while over - fits > 1:
        middle = (fits + over) // 2
        estimate = estimate_batch(db, list(ids[:middle]), pricing)
        if estimate.cost_usd <= cap_usd:
            fits, best = middle, estimate
        else:
            over = middle
    return BudgetFit(ids[:fits], best, len(ids) - fits)


@dataclass(frozen=True)
class Generated:
    batch: BatchResult | None       # None when nothing was queued
    fit: BudgetFit | None
    refused: str | None             # why nothing was queued, if nothing was


def generate_within_budget(db: Database, keyword_ids: Sequence[int], cap_usd: float, settings: EngineSettings,
                           pricing: PricingTable) -> Generated:
    """Queue one article per keyword, as many as the budget cap allows (0: no cap), first ones first.

    The estimate is made here, against the database as it is now (a confirmation
    dialog's figures may be a minute old); keywords over the cap stay approved for a later batch.
    """
    if not keyword_ids:
        return Generated(None, None, "No approved keywords are waiting for an article.")
    fit = fit_budget(db, keyword_ids, cap_usd, pricing)
    if not fit.keyword_ids:
        first = estimate_batch(db, list(keyword_ids[:1]), pricing)
        return Generated(None, fit, f"Nothing was queued: one article is estimated at ${first.cost_usd:,.2f}, "
                                    f"over the ${cap_usd:,.2f} budget cap.")
    batch = generate(db, fit.keyword_ids, settings)
    return Generated(batch, fit, None if batch.article_ids else "Nothing was queued.")


def open_jobs(db: Database, article_ids: Sequence[int],
              statuses: Sequence[str] = _OPEN) -> dict[int, list[int]]:
    """Article id -> ids of its jobs (any kind) in these statuses (default: waiting or running)."""
    found: dict[int, list[int]] = {}
    with db.read() as session:
        for job_id, article_id in session.execute(
                select(Job.id, Job.article_id).where(Job.article_id.in_(list(article_ids)),
                                                     Job.status.in_(list(statuses)))):
            found.setdefault(article_id, []).append(job_id)
    return found


@dataclass(frozen=True)
class _RunState:
    status: str
    review_status: str
    open_job: int | None


def _run_state(db: Database, article_id: int) -> _RunState:
    with db.read() as session:
        article = session.get(AIArticle, article_id)
        if article is None:
            raise RunError(f"no article with id {article_id}")
        open_job = session.scalar(select(Job.id).where(Job.article_id == article_id, Job.kind.in_(PIPELINE_KINDS),
                                                       Job.status.in_(_OPEN)))
        return _RunState(article.status, article.review_status, open_job)


def rerun_refusal(article_id: int, status: str, review_status: str, open_job: int | None) -> str | None:
    """Why the article may not run again (retry or regenerate), or None when it may."""
    if review_status == ReviewStatus.PUBLISHED:
        return f"article #{article_id} is published; it can no longer be run again"
    if open_job is not None:   # an article left "queued" by a lost job may be run again
        return (f"article #{article_id} is already {status} (job #{open_job}); wait for it to finish, or cancel "
                f"it with `copydesk jobs cancel {open_job}`")
    return None


def next_stage(db: Database, article_id: int) -> str:
    """The stage after the article's last checkpoint (the first stage when it has none, the last when all)."""
    with db.read() as session:
        checkpoints, _ = latest_checkpoints(session, article_id)
    return next((name for name in STAGE_NAMES if name not in checkpoints), STAGE_NAMES[-1])


def retry(db: Database, article_id: int, settings: EngineSettings, stage: str | None = None) -> int:
    """Queue the article again from `stage` (default: after its last checkpoint); returns the job id.

    Refused (RunError) for a published article or one with a pipeline job open.
    """
    state = _run_state(db, article_id)
    refusal = rerun_refusal(article_id, state.status, state.review_status, state.open_job)
    if refusal is not None:
        raise RunError(refusal)
    require_article_move(article_id, state.status, ArticleStatus.QUEUED, RunError)
    # retry_article_stage checks the open job again inside its write: no second run slips in between.
    return retry_article_stage(db, article_id, stage or next_stage(db, article_id), settings)


def regenerate(db: Database, article_id: int, stage: str, settings: EngineSettings) -> int:
    """Run a completed, unpublished article's pipeline again from `stage`; it leaves review until it completes."""
    state = _run_state(db, article_id)
    if state.status != ArticleStatus.COMPLETED and state.open_job is None:
        raise RunError(f"article #{article_id} is {state.status}; only a completed article is regenerated "
                       "(retry a failed or cancelled one)")
    return retry(db, article_id, settings, stage)


@dataclass(frozen=True)
class RetryOutcome:
    retried: tuple[int, ...]
    skipped: tuple[int, ...]        # not stopped (failed or cancelled), published, or with a job open


def retry_stopped(db: Database, article_ids: Sequence[int], settings: EngineSettings) -> RetryOutcome:
    """The Queue screen's Retry: each failed or cancelled article again from the stage where it stopped."""
    retried: list[int] = []
    for article_id in article_ids:
        try:
            state = _run_state(db, article_id)
            if state.status not in STOPPED_ARTICLE:
                continue
            with db.read() as session:
                current = session.get(AIArticle, article_id)
                # Cancelled before its first stage: it starts from the beginning.
                stage = (current.current_stage if current is not None else None) or STAGE_NAMES[0]
            retry(db, article_id, settings, stage)
        except RunError:
            continue
        retried.append(article_id)
    return RetryOutcome(tuple(retried), tuple(a for a in article_ids if a not in retried))


@dataclass(frozen=True)
class CancelOutcome:
    cancelled: tuple[int, ...]
    not_running: tuple[int, ...]    # no waiting or running job


def cancel(db: Database, article_ids: Sequence[int]) -> CancelOutcome:
    """Revoke the waiting or running jobs of these articles; running ones stop at their next check."""
    ids = list(article_ids)
    jobs = open_jobs(db, ids)
    revoked = set(JobQueue(db).cancel([j for job_ids in jobs.values() for j in job_ids]))
    cancelled = tuple(a for a, job_ids in jobs.items() if revoked & set(job_ids))
    return CancelOutcome(cancelled, tuple(a for a in ids if a not in cancelled))


@dataclass(frozen=True)
class PriorityOutcome:
    raised: tuple[int, ...]
    running: tuple[int, ...]        # already running or finished: nothing to raise


def raise_priority(db: Database, article_ids: Sequence[int]) -> PriorityOutcome:
    """Move these articles' waiting jobs ahead of every other waiting job."""
    ids = list(article_ids)
    jobs = open_jobs(db, ids, (JobStatus.PENDING.value,))
    with db.read() as session:
        top = session.scalar(select(func.max(Job.priority)).where(Job.status == JobStatus.PENDING.value)) or 0
    JobQueue(db).set_priority([j for job_ids in jobs.values() for j in job_ids], top + 1)
    raised = tuple(a for a in ids if a in jobs)
    return PriorityOutcome(raised, tuple(a for a in ids if a not in jobs))
