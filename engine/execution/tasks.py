"""The four tasks of the system Copydesk replaces, with its names and retry semantics.

- generate_article(article_id): the whole pipeline; up to 3 retries 60 s apart,
  each resuming from the failed stage.
- retry_article_stage(article_id, failed_stage): from that stage; up to 2 retries
  30 s apart; increments retry_count.
- run_quality_checks(article_id): the checking stages on the current text;
  idempotent, never retried.
- batch_generate_articles(keyword_ids): one queued article per keyword; a bad
  keyword does not stop the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from engine.articles import BatchResult, add_articles, default_config_id
from engine.execution.jobs import PIPELINE_KINDS, JobManager
from engine.execution.queue import JobQueue, add_jobs
from engine.execution.settings import EngineSettings
from engine.pipeline.names import stage_index
from engine.pipeline.persist import RunError
from engine.states import OPEN_JOB
from engine.store.db import Database
from engine.store.models import AIArticle, Job


def batch_generate_articles(db: Database, keyword_ids: Sequence[int], settings: EngineSettings, *,
                            batch_id: str | None = None, priority: int = 0, config_id: int | None = None,
                            overrides: dict[str, str] | None = None) -> BatchResult:
    """Create one article per keyword and queue a generate_article job for each.

    `overrides` (provider, model, base_url) apply to this batch only and travel with its jobs.
    The articles and their jobs are written in one transaction, after an integrity check: a
    damaged database raises DatabaseError and gets no queued article that nothing would run.
    """
    db.check_integrity()
    config_id = config_id or default_config_id(db)
    extra = {"overrides": overrides} if overrides else {}
    with db.write() as session:
        result = add_articles(session, keyword_ids, config_id=config_id, batch_id=batch_id)
        if result.article_ids:
            add_jobs(session, [("generate_article", {"article_id": a, **extra}, a) for a in result.article_ids],
                     batch_id=result.batch_id, priority=priority, policy=settings.policy("generate_article"))
    return result


def generate_article(db: Database, article_id: int, settings: EngineSettings, priority: int = 0) -> int:
    return JobQueue(db).enqueue("generate_article", {"article_id": article_id}, article_id=article_id,
                                priority=priority, policy=settings.policy("generate_article"))


def retry_article_stage(db: Database, article_id: int, failed_stage: str, settings: EngineSettings,
                        priority: int = 1) -> int:
    """Queue the article again from `failed_stage`. Refused while a pipeline job for it is
    pending or running (the article is queued or generating): two runs would race."""
    try:
        stage_index(failed_stage)
    except ValueError as error:
        raise RunError(str(error)) from None
    with db.write() as session:   # checked and queued in one transaction: no second retry slips in
        article = session.get(AIArticle, article_id)
        if article is None:
            raise RunError(f"no article with id {article_id}")
        open_job = session.scalar(select(Job.id).where(Job.article_id == article_id, Job.kind.in_(PIPELINE_KINDS),
                                                       Job.status.in_(OPEN_JOB)))
        if open_job is not None:   # an article left "queued" by a lost job may be retried
            raise RunError(f"article #{article_id} is already {article.status} (job #{open_job}); wait for it "
                           f"to finish, or cancel it with `copydesk jobs cancel {open_job}`")
        JobManager(session).requeue_article(article_id, count_retry=True)
        return add_jobs(session, [("retry_article_stage", {"article_id": article_id, "start_stage": failed_stage},
                                   article_id)], priority=priority, policy=settings.policy("retry_article_stage"))[0]


def run_quality_checks(db: Database, article_id: int, priority: int = 1) -> int:
    with db.read() as session:
        article = session.get(AIArticle, article_id)
        if article is None:
            raise RunError(f"no article with id {article_id}")
        if not article.body:
            raise RunError(f"article #{article_id} has no text to check yet")
    return JobQueue(db).enqueue("run_quality_checks", {"article_id": article_id}, article_id=article_id,
                                priority=priority)


def queue_batch(db: Database, keyword_ids: Sequence[int], priority: int = 0) -> int:
    """Queue batch_generate_articles itself (the GUI's one-click path); the engine creates the articles."""
    return JobQueue(db).enqueue("batch_generate_articles", {"keyword_ids": list(keyword_ids)}, priority=priority)
