"""Plain event objects the engine tells the world about (no Qt, picklable).

The CLI's console sink and the GUI's Qt bridge both receive these through an
`EventSink`; worker processes send them to the dispatcher over a channel.
After each commit that changes an article, the single writer emits
`ArticleUpdated` with the committed row as a frozen `ArticleView`.

Statuses (engine.states): a stage ends completed | failed | cancelled; a job
ends completed | failed | cancelled | retrying (JobOutcome); an article is
queued | generating | completed | failed | cancelled (ArticleStatus).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class JobStarted:
    job_id: int | None
    article_id: int
    keyword: str
    start_stage: int


@dataclass(frozen=True)
class StageStarted:
    article_id: int
    stage: str
    index: int            # 1..14
    attempt: int


@dataclass(frozen=True)
class StageProgress:
    article_id: int
    stage: str
    index: int
    fraction: float       # overall 0..1 for the article (stage k maps into its slice)
    message: str


@dataclass(frozen=True)
class StageFinished:
    """A stage attempt ended; `output` is the checkpoint (JSON-ready) when it completed."""

    article_id: int
    stage: str
    index: int
    attempt: int
    status: str           # completed | failed | cancelled
    started_at: float     # POSIX seconds (UTC)
    finished_at: float
    model: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    output: dict[str, Any] | None
    error: str | None = None
    retries: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class JobFinished:
    job_id: int | None
    article_id: int
    status: str           # engine.states.JobOutcome: completed | failed | cancelled | retrying
    error: str | None = None
    failed_stage: str | None = None


@dataclass(frozen=True)
class QueueSummary:
    """Periodic totals for status bars and progress displays."""

    queued: int
    running: int
    completed: int
    failed: int
    cancelled: int
    tokens: int
    cost_usd: float
    paused: bool = False


@dataclass(frozen=True)
class ArticleView:
    """An article row as committed: what a queue or review list shows of it."""

    id: int
    keyword: str
    status: str                     # engine.states.ArticleStatus
    current_stage: str | None
    stage_index: int                # the stage k of `stage_count` last recorded (0 before the first)
    stage_count: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    error: str | None               # the newest line of the article's error log
    retry_count: int
    overall_quality_score: float | None = None   # scores: None until a check has run
    bias_score: float | None = None
    fact_check_score: float | None = None
    perspective_balance_score: float | None = None
    originality_score: float | None = None
    quality_passed: bool | None = None


@dataclass(frozen=True)
class ArticleUpdated:
    """The single writer committed a change to this article."""

    article: ArticleView


Event = (JobStarted | StageStarted | StageProgress | StageFinished | JobFinished | QueueSummary
         | ArticleUpdated)


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


class NullSink:
    def emit(self, event: Event) -> None:
        """Discards events (used where nobody is watching)."""
