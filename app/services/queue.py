"""The generation queue as the Queue screen uses it: rows, stage logs, batches and job control.

Reads and mutations run through `BackgroundOps`. Mutations answer with what
changed (the articles as they are after the write) and announce it on
`queue_changed`; the caller's success callback gets the same value for what
only it does (a status-bar line). Outcomes an editor can cause (nothing to
generate, a budget too small, jobs already finished) are values, not
exceptions: only the unexpected reaches `BackgroundOps.failed`.

Live progress does not come from here: the engine bridge's signals carry it
(each committed change as an `ArticleView`, which `apply_view` folds into a
row). The list query runs when the screen is first shown or refreshed; after
that only articles the screen has not seen yet are read, by id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.background import BackgroundOps, LatestRequest
from app.context import AppContext
from app.engine_host import EngineHost, EngineMode, Owner, Stopped, Viewer
from app.services.base import Failure, Success, T, run_mutation
from engine.articles import default_profile_name, list_articles, queue_article_ids, stage_log
from engine.estimate import BatchEstimate, estimate_batch
from engine.events import ArticleView, QueueSummary
from engine.execution.queue import JobQueue
from engine.execution.settings import load_engine_settings
from engine.operations import generation
from engine.operations.review import Action, allowed_actions
from engine.pipeline.names import CONCURRENT_STAGES, STAGE_COUNT, STAGE_NAMES
from engine.providers.pricing import PricingTable, load_pricing
from engine.states import (
    ACTIVE_ARTICLE,
    FINISHED_ARTICLE,
    ArticleStatus,
    JobOutcome,
    ReviewStatus,
)

# The engine's value types the screen reads, so that ui/ depends on this service only.
__all__ = ["ACTIVE", "Action", "ArticleStatus", "ArticleView", "JobOutcome", "CONCURRENT_STAGES", "FINISHED",
           "STAGE_COUNT", "STAGE_NAMES", "BatchEstimate", "BudgetFit", "CancelResult", "EngineMode",
           "GenerationPlan", "GenerationResult", "Owner", "PriorityResult", "QueueChanges", "QueueRow",
           "QueueService", "QueueSummary", "RetryResult", "StageAttempt", "Stopped", "Viewer", "apply_view"]

# Article statuses as the screen groups them (engine/states.py).
ACTIVE = tuple(s.value for s in ArticleStatus if s in ACTIVE_ARTICLE)
FINISHED = tuple(s.value for s in ArticleStatus if s in FINISHED_ARTICLE)
# The queue shows unreviewed articles of this many recent batches, plus every article
# still waiting or running whatever its batch; reviewed ones belong to the Review screen.
RECENT_BATCHES = 10
MAX_ROWS = 5_000


@dataclass(frozen=True)
class QueueRow:
    """One article in the queue, as read from the database (the screen updates it from events)."""

    id: int
    keyword: str
    status: str                     # queued | generating | completed | failed | cancelled
    stage: str | None               # the stage it is at (the last one recorded, or the one running)
    stage_index: int                # 1..14, 0 before the first stage
    fraction: float                 # overall 0..1
    tokens: int
    cost_usd: float
    retry_count: int
    started_at: datetime | None
    finished_at: datetime | None
    batch_id: str | None
    error_log: str | None
    review_status: str = ReviewStatus.PENDING_REVIEW   # the queue lists unreviewed articles

    @property
    def actions(self) -> frozenset[Action]:
        """What the editor may do with it now (engine.operations.review.allowed_actions)."""
        return allowed_actions(self)


@dataclass(frozen=True)
class StageAttempt:
    """One attempt of one stage (the stage-log panel's row)."""

    stage: str
    index: int
    attempt: int
    status: str
    duration_s: float
    model: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    error: str | None
    retries: tuple[str, ...]        # one line per provider retry ("429 rate limited, waited 2 s")


@dataclass(frozen=True)
class GenerationPlan:
    """What "Generate approved" would do now: the keywords in the order they would go, and the estimate."""

    keyword_ids: tuple[int, ...]
    estimate: BatchEstimate
    profile: str

    @property
    def free(self) -> bool:
        return self.estimate.cost_usd == 0 and self.estimate.price_known


BudgetFit = generation.BudgetFit       # how much of a plan a budget cap allows


@dataclass(frozen=True)
class GenerationResult:
    batch_id: str | None
    article_ids: tuple[int, ...]
    estimate: BatchEstimate | None  # of what was queued
    left_out: int                   # keywords over the budget cap, left approved for a later batch
    refused: str | None             # why nothing was queued, if nothing was
    errors: tuple[str, ...]         # keywords that could not be queued (deleted or un-approved meanwhile)


# The engine's answers to cancel, retry and raise priority (engine.operations.generation).
CancelResult = generation.CancelOutcome
RetryResult = generation.RetryOutcome
PriorityResult = generation.PriorityOutcome


@dataclass(frozen=True)
class QueueChanges:
    """The payload of `queue_changed`: new articles (the rows need a reload) and changed ones."""

    added: tuple[int, ...] = ()
    updated: tuple[QueueRow, ...] = ()


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def apply_view(row: QueueRow, view: ArticleView, now: datetime) -> QueueRow:
    """The row as the engine committed it. The view does not carry the start and end times: the
    row keeps its own, and takes `now` as the moment it started or ended running."""
    status = view.status
    base = 1.0 if status == ArticleStatus.COMPLETED else view.stage_index / STAGE_COUNT
    # Live progress inside a stage may already be past the last commit: a running row does not go back.
    fraction = max(row.fraction, base) if status == row.status == ArticleStatus.GENERATING else base
    started_at, finished_at = row.started_at, row.finished_at
    if status == ArticleStatus.GENERATING and row.status != ArticleStatus.GENERATING:
        started_at, finished_at = (row.started_at if row.status == ArticleStatus.QUEUED else None) or now, None
    elif status in FINISHED and row.status not in FINISHED:
        finished_at = now
    elif status not in FINISHED:
        finished_at = None
    return dataclasses.replace(
        row, keyword=view.keyword, status=status, stage=view.current_stage, stage_index=view.stage_index,
        fraction=fraction, tokens=view.tokens_in + view.tokens_out, cost_usd=view.cost_usd,
        retry_count=view.retry_count, error_log=view.error if view.error is not None else row.error_log,
        started_at=started_at, finished_at=finished_at)


def _row(data: dict[str, Any]) -> QueueRow:
    index = data["current_stage_index"] or 0
    status = data["status"]
    return QueueRow(
        id=data["id"], keyword=data["keyword"], status=status, stage=data["current_stage"], stage_index=index,
        fraction=1.0 if status == ArticleStatus.COMPLETED else index / STAGE_COUNT,
        tokens=(data["tokens_in"] or 0) + (data["tokens_out"] or 0), cost_usd=data["cost_usd"] or 0.0,
        retry_count=data["retry_count"] or 0, started_at=_when(data["started_at"]),
        finished_at=_when(data["finished_at"]), batch_id=data["batch_id"], error_log=data["error_log"],
        review_status=data["review_status"])


def _retry_line(retry: Any) -> str:
    if isinstance(retry, dict):
        reason = retry.get("reason") or "retried"
        delay = retry.get("delay_s")
        return f"{reason}, waited {delay:g} s" if isinstance(delay, int | float) else str(reason)
    return str(retry)


def _attempt(data: dict[str, Any]) -> StageAttempt:
    return StageAttempt(stage=data["stage"], index=data["index"], attempt=data["attempt"], status=data["status"],
                        duration_s=data["duration_s"] or 0.0, model=data["model"], tokens_in=data["tokens_in"] or 0,
                        tokens_out=data["tokens_out"] or 0, cost_usd=data["cost_usd"] or 0.0, error=data["error"],
                        retries=tuple(_retry_line(r) for r in data["retries"] or ()))


class QueueService(QObject):
    """Queue operations for the Queue screen (and whoever shows the queue's state).

    `host` is the app's engine host, if any: the service passes on whether this
    window runs the engine, only watches another process's, or saw its engine
    stop (`engine_mode_changed`).
    """

    queue_changed = Signal(object)      # QueueChanges
    paused_changed = Signal(bool)
    engine_mode_changed = Signal(object)    # EngineMode

    def __init__(self, context: AppContext, ops: BackgroundOps, host: EngineHost | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = context.db
        self._pricing_override = context.home.pricing_override
        self._ops = ops
        self._host = host
        if host is not None:
            host.mode_changed.connect(self.engine_mode_changed)

    @property
    def engine_mode(self) -> EngineMode | None:
        """Owner, Viewer(holder) or Stopped(reason); None while no engine has started here."""
        return self._host.mode if self._host is not None else None

    # ------------------------------------------------------------------ reads

    def load(self, *, success: Success[list[QueueRow]], failure: Failure = None,
             latest: LatestRequest | None = None) -> None:
        """The queue's rows, newest first."""
        self._ops.run(self._load, success=success, failure=failure, latest=latest)

    def load_rows(self, article_ids: Sequence[int], *, success: Success[list[QueueRow]],
                  failure: Failure = None) -> None:
        """These articles as they are now (ones the screen has not seen: new, or queued elsewhere)."""
        self._ops.run(self._rows, list(article_ids), success=success, failure=failure)

    def stage_log(self, article_id: int, *, success: Success[list[StageAttempt]], failure: Failure = None,
                  latest: LatestRequest | None = None) -> None:
        """Every stage attempt of the article, in the order they finished."""
        self._ops.run(self._stage_log, article_id, success=success, failure=failure, latest=latest)

    def waiting_count(self, *, success: Success[int], failure: Failure = None) -> None:
        """How many approved keywords have no article yet (what "Generate approved" would queue)."""
        self._ops.run(self._waiting_count, success=success, failure=failure)

    def is_paused(self, *, success: Success[bool], failure: Failure = None) -> None:
        self._ops.run(JobQueue(self._db).is_paused, success=success, failure=failure)

    def plan_generation(self, *, success: Success[GenerationPlan], failure: Failure = None) -> None:
        """The keywords "Generate approved" would queue, with the estimated tokens and cost."""
        self._ops.run(self._plan, success=success, failure=failure)

    def fit_budget(self, plan: GenerationPlan, cap_usd: float, *, success: Success[BudgetFit],
                   failure: Failure = None, latest: LatestRequest | None = None) -> None:
        """How many of the plan's keywords fit in `cap_usd` (0: no cap), first ones first."""
        self._ops.run(self._fit, plan.keyword_ids, cap_usd, success=success, failure=failure, latest=latest)

    # -------------------------------------------------------------- mutations

    def generate(self, keyword_ids: Sequence[int], cap_usd: float = 0.0, *,
                 success: Success[GenerationResult] = None, failure: Failure = None) -> None:
        """Queue one article per keyword, as many as the budget cap allows (0: no cap).

        The estimate is made again here, against the database as it is now: the
        dialog's figures may be a minute old.
        """
        self._mutate(self._generate, list(keyword_ids), cap_usd, success=success, failure=failure)

    def cancel(self, article_ids: Sequence[int], *, success: Success[CancelResult] = None,
               failure: Failure = None) -> None:
        """Revoke the waiting or running jobs of these articles; running ones stop at their next check."""
        self._mutate(self._cancel, list(article_ids), success=success, failure=failure)

    def retry(self, article_ids: Sequence[int], *, success: Success[RetryResult] = None,
              failure: Failure = None) -> None:
        """Queue failed or cancelled articles again, each from the stage where it stopped."""
        self._mutate(self._retry, list(article_ids), success=success, failure=failure)

    def raise_priority(self, article_ids: Sequence[int], *, success: Success[PriorityResult] = None,
                       failure: Failure = None) -> None:
        """Move these articles' waiting jobs ahead of every other waiting job."""
        self._mutate(self._raise_priority, list(article_ids), success=success, failure=failure)

    def set_paused(self, paused: bool, *, success: Success[bool] = None, failure: Failure = None) -> None:
        """Pause (running jobs finish, no new ones start) or resume the queue."""

        def done(now_paused: bool) -> None:
            self.paused_changed.emit(now_paused)
            if success is not None:
                success(now_paused)

        self._ops.run(self._set_paused, paused, success=done, failure=failure)

    # ------------------------------------------------- work in the background

    def _load(self) -> list[QueueRow]:
        return self._rows(queue_article_ids(self._db, recent_batches=RECENT_BATCHES, limit=MAX_ROWS))

    def _rows(self, ids: list[int]) -> list[QueueRow]:
        if not ids:
            return []
        rows = [_row(data) for data in list_articles(self._db, ids=ids)]
        rows.sort(key=lambda row: row.id, reverse=True)
        return rows

    def _stage_log(self, article_id: int) -> list[StageAttempt]:
        return [_attempt(data) for data in stage_log(self._db, article_id)]

    def _waiting_count(self) -> int:
        return len(generation.waiting_keyword_ids(self._db))

    def _plan(self) -> GenerationPlan:
        ids = tuple(generation.waiting_keyword_ids(self._db))
        return GenerationPlan(ids, self._estimate(ids), default_profile_name(self._db))

    def _estimate(self, keyword_ids: Sequence[int]) -> BatchEstimate:
        return estimate_batch(self._db, list(keyword_ids), self._pricing())

    def _fit(self, keyword_ids: Sequence[int], cap_usd: float) -> BudgetFit:
        return generation.fit_budget(self._db, keyword_ids, cap_usd, self._pricing())

    def _pricing(self) -> PricingTable:
        return load_pricing(self._pricing_override)

    def _generate(self, keyword_ids: list[int], cap_usd: float) -> tuple[GenerationResult, QueueChanges]:
        done = generation.generate_within_budget(self._db, keyword_ids, cap_usd, load_engine_settings(self._db),
                                                 self._pricing())
        left_out = done.fit.left_out if done.fit is not None else 0
        if done.batch is None:
            return GenerationResult(None, (), None, left_out, done.refused, ()), QueueChanges()
        assert done.fit is not None
        errors = tuple(error["error"] for error in done.batch.errors)
        result = GenerationResult(done.batch.batch_id, tuple(done.batch.article_ids), done.fit.estimate, left_out,
                                  done.refused, errors)
        return result, QueueChanges(added=result.article_ids)

    def _cancel(self, article_ids: list[int]) -> tuple[CancelResult, QueueChanges]:
        result = generation.cancel(self._db, article_ids)
        return result, QueueChanges(updated=tuple(self._rows(list(result.cancelled))))

    def _retry(self, article_ids: list[int]) -> tuple[RetryResult, QueueChanges]:
        result = generation.retry_stopped(self._db, article_ids, load_engine_settings(self._db))
        return result, QueueChanges(updated=tuple(self._rows(list(result.retried))))

    def _raise_priority(self, article_ids: list[int]) -> tuple[PriorityResult, QueueChanges]:
        return generation.raise_priority(self._db, article_ids), QueueChanges()

    def _set_paused(self, paused: bool) -> bool:
        queue = JobQueue(self._db)
        queue.set_paused(paused)
        return queue.is_paused()

    def _mutate(self, work: Any, *args: Any, success: Success[T], failure: Failure) -> None:
        run_mutation(self._ops, work, *args, announce=self.queue_changed.emit, success=success, failure=failure,
                     nothing=QueueChanges())
