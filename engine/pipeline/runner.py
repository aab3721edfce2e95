"""Running one article in this process, committing each checkpoint as it is made.

The worker pool (engine.execution) runs the same `run_pipeline` in worker
processes and commits through the dispatcher instead; this runner serves the
CLI's in-process paths and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from engine.events import EventSink, JobFinished, JobStarted, NullSink, StageFinished
from engine.execution.jobs import JobManager
from engine.pipeline.orchestrator import PipelineOutcome, run_pipeline
from engine.pipeline.persist import (
    complete_article,
    latest_checkpoints,
    load_run_request,
    record_stages,
)
from engine.providers import make_provider
from engine.providers.base import Provider, ProviderError
from engine.providers.pricing import PricingTable, load_pricing
from engine.states import FINISHED_ARTICLE, ArticleStatus
from engine.store.db import Database
from engine.store.models import AIArticle


class DatabaseCheckpointWriter:
    """Commits each stage attempt in its own short transaction before the next stage starts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def stage_finished(self, event: StageFinished) -> None:
        with self.db.write() as session:
            record_stages(JobManager(session), [event])


def finish_article(db: Database, article_id: int, outcome: PipelineOutcome) -> None:
    with db.write() as session:
        jobs = JobManager(session)
        if outcome.status == ArticleStatus.COMPLETED:
            checkpoints, _attempts = latest_checkpoints(session, article_id)
            complete_article(jobs, article_id, checkpoints)
        else:
            jobs.fail_article(article_id, outcome.error or "", status=ArticleStatus(outcome.status))


async def process_article(
    db: Database,
    article_id: int,
    start_stage: str | None = None,
    *,
    sink: EventSink | None = None,
    overrides: Mapping[str, str] | None = None,
    pricing: PricingTable | None = None,
    provider: Provider | None = None,
    is_cancelled: Callable[[], bool] = lambda: False,
) -> PipelineOutcome:
    """Run (or resume) one article to the end. Without `start_stage`, it resumes after its last
    checkpoint; with one, stages before it are read from their checkpoints, never re-run."""
    sink = sink or NullSink()
    with db.write() as session:
        request = load_run_request(session, article_id, start_stage, overrides)
        jobs = JobManager(session)
        if session.get(AIArticle, article_id).status in FINISHED_ARTICLE:   # run again: queued first
            jobs.requeue_article(article_id)
        jobs.start_article(article_id, request.brief.profile.provider, request.brief.profile.model)
    sink.emit(JobStarted(None, article_id, request.brief.keyword, request.start_index))
    settings = request.provider_settings
    owns_provider = provider is None
    checker_provider: Provider | None = None
    try:
        if provider is None and settings is not None:
            provider = make_provider(settings)
        if request.checker_settings is not None:
            checker_provider = make_provider(request.checker_settings.provider)
    except ProviderError as error:
        outcome = PipelineOutcome("failed", failed_stage=None, error=str(error))
        if owns_provider and provider is not None:   # the checker's could not be built
            await provider.aclose()
    else:
        try:
            outcome = await run_pipeline(
                request, provider, DatabaseCheckpointWriter(db), sink=sink,
                pricing=pricing or load_pricing(None), is_cancelled=is_cancelled,
                local_model=bool(settings and settings.is_local()), checker_provider=checker_provider,
            )
        finally:
            if owns_provider and provider is not None:
                await provider.aclose()
            if checker_provider is not None:
                await checker_provider.aclose()
    finish_article(db, article_id, outcome)
    sink.emit(JobFinished(None, article_id, outcome.status, outcome.error, outcome.failed_stage))
    return outcome
