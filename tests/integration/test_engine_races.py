"""Races between an editor's command and the engine, played in a fixed order on a real database.

The dispatcher is not started: the test plays its worker and sends the message the worker
would, at the moment that makes the race happen.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

from sqlalchemy import select

from engine.events import JobFinished
from engine.execution.dispatcher import Dispatcher, InFlight
from engine.execution.queue import JobQueue
from engine.execution.settings import EngineSettings
from engine.execution.tasks import batch_generate_articles
from engine.store.db import Database
from engine.store.models import AIArticle, Job
from tests.pipeline_helpers import seed


def claimed_in_flight(db: Database) -> tuple[Dispatcher, SimpleNamespace, int, int]:
    article_id = batch_generate_articles(db, seed(db)[:1], EngineSettings()).article_ids[0]
    dispatcher = Dispatcher(db, EngineSettings(workers=1))
    job = dispatcher.queue.claim(dispatcher.owner, 1, 30)[0]
    worker = SimpleNamespace(jobs={job.id}, solo=False)
    dispatcher.inflight[job.id] = InFlight(job, worker, time.monotonic(), article_id)  # type: ignore[arg-type]
    return dispatcher, worker, job.id, article_id


def outcome(db: Database, job_id: int, article_id: int) -> tuple[str, str]:
    with db.read() as session:
        return session.scalar(select(Job.status).where(Job.id == job_id)), session.get(AIArticle, article_id).status


def test_a_cancel_committed_just_before_the_article_completes_wins(db: Database) -> None:
    dispatcher, worker, job_id, article_id = claimed_in_flight(db)
    assert JobQueue(db).cancel([job_id]) == [job_id]           # the editor's cancel lands first
    dispatcher._process([(worker, JobFinished(job_id, article_id, "completed"))])   # then the worker's end
    assert outcome(db, job_id, article_id) == ("REVOKED", "cancelled")


def test_a_cancel_committed_just_before_a_failure_is_not_retried(db: Database) -> None:
    dispatcher, worker, job_id, article_id = claimed_in_flight(db)
    assert JobQueue(db).cancel([job_id]) == [job_id]
    dispatcher._process([(worker, JobFinished(job_id, article_id, "failed", "draft: 500 server error"))])
    assert outcome(db, job_id, article_id) == ("REVOKED", "cancelled")

