"""The state owner on a real SQLite file: every job and article move, the illegal ones refused,
and the ArticleUpdated events the single writer emits after it commits."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine.events import ArticleUpdated, JobFinished, StageFinished
from engine.execution.dispatcher import Dispatcher, InFlight
from engine.execution.jobs import JobManager
from engine.execution.settings import EngineSettings
from engine.execution.tasks import batch_generate_articles
from engine.states import IllegalTransition, JobStatus, require_job_move
from engine.store.db import Database
from engine.store.models import AIArticle, Job
from tests.pipeline_helpers import seed

OWNER = "test-owner"


def queued_article(db: Database) -> int:
    return batch_generate_articles(db, seed(db)[:1], EngineSettings()).article_ids[0]


def state(db: Database, article_id: int) -> tuple[str, str, int]:
    with db.read() as session:
        article = session.get(AIArticle, article_id)
        job = session.scalars(select(Job).where(Job.article_id == article_id).order_by(Job.id.desc())).first()
        return job.status, article.status, article.retry_count


def test_claim_start_retry_then_fail(db: Database) -> None:
    article_id = queued_article(db)
    with db.write() as session:
        jobs = JobManager(session, OWNER)
        [job] = jobs.claim(OWNER, 5, 30)
        jobs.start_article(article_id, "offline", "offline")
    assert state(db, article_id) == ("STARTED", "generating", 0)
    with db.write() as session:
        assert JobManager(session, OWNER).retry(job, "draft: 500", 0)
    assert state(db, article_id) == ("PENDING", "queued", 1)
    with db.write() as session:
        jobs = JobManager(session, OWNER)
        [again] = jobs.claim(OWNER, 5, 30)
        jobs.start_article(article_id, "offline", "offline")
        assert jobs.fail(again, "draft: 500 again")
    assert state(db, article_id) == ("FAILURE", "failed", 1)
    with db.read() as session:
        assert session.get(AIArticle, article_id).error_log.endswith("draft: 500 again")


def test_illegal_moves_raise_and_change_nothing(db: Database) -> None:
    article_id = queued_article(db)
    with pytest.raises(IllegalTransition, match="is queued; it cannot become completed"):
        with db.write() as session:
            jobs = JobManager(session, OWNER)
            jobs.complete_article(session.get(AIArticle, article_id))
    assert state(db, article_id) == ("PENDING", "queued", 0)
    with pytest.raises(IllegalTransition, match="SUCCESS; it cannot become PENDING"):
        require_job_move(1, JobStatus.SUCCESS, JobStatus.PENDING)
    with pytest.raises(IllegalTransition):
        require_job_move(1, JobStatus.PENDING, JobStatus.SUCCESS)


def test_a_revoked_job_cannot_be_finished_and_its_article_stays_cancelled(db: Database) -> None:
    article_id = queued_article(db)
    with db.write() as session:
        jobs = JobManager(session, OWNER)
        [job] = jobs.claim(OWNER, 1, 30)
        jobs.start_article(article_id, "offline", "offline")
    with db.write() as session:
        assert JobManager(session).revoke([job.id]) == [job.id]
    with db.write() as session:
        jobs = JobManager(session, OWNER)
        assert not jobs.succeed(job.id) and not jobs.fail(job, "late") and not jobs.retry(job, "late", 0)
    assert state(db, article_id) == ("REVOKED", "cancelled", 0)


def test_release_and_recovery_put_jobs_back_and_their_articles_in_the_queue(db: Database) -> None:
    article_id = queued_article(db)
    with db.write() as session:
        jobs = JobManager(session, OWNER)
        [job] = jobs.claim(OWNER, 1, 30)
        jobs.start_article(article_id, "offline", "offline")
    with db.write() as session:
        JobManager(session).release([job.id], owner="someone-else")   # not theirs: untouched
    assert state(db, article_id) == ("STARTED", "generating", 0)
    with db.write() as session:
        assert JobManager(session).recover(owners=[OWNER]) == [job.id]
    assert state(db, article_id) == ("PENDING", "queued", 0)


def test_a_failing_quality_check_leaves_its_article_alone(db: Database) -> None:
    article_id = queued_article(db)
    with db.write() as session:
        session.get(AIArticle, article_id).status = "completed"
        session.execute(Job.__table__.update().values(status="SUCCESS"))
        JobManager(session).enqueue([("run_quality_checks", {"article_id": article_id}, article_id)],
                                    {"run_quality_checks": EngineSettings().policy("run_quality_checks")})
    with db.write() as session:
        jobs = JobManager(session, OWNER)
        [check] = jobs.claim(OWNER, 1, 30)
        assert jobs.fail(check, "checker: 500")
    assert state(db, article_id) == ("FAILURE", "completed", 0)


def test_views_carry_the_committed_row(db: Database) -> None:
    article_id = queued_article(db)
    with db.write() as session:
        jobs = JobManager(session, OWNER)
        jobs.claim(OWNER, 1, 30)
        jobs.start_article(article_id, "offline", "offline")
        now = time.time()
        jobs.advance_articles([StageFinished(article_id, "keyword_analysis", 1, 1, "completed", now, now,
                                             "offline", 120, 30, 0.25, {})])
        [view] = jobs.views()
    assert (view.id, view.status, view.current_stage, view.stage_index, view.stage_count) == (
        article_id, "generating", "keyword_analysis", 1, 14)
    assert (view.tokens_in, view.tokens_out, view.cost_usd, view.overall_quality_score) == (120, 30, 0.25, None)
    assert view.keyword


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []

    def emit(self, event: object) -> None:
        self.events.append(event)


def test_the_single_writer_emits_article_updated_after_each_commit(db: Database) -> None:
    article_id = queued_article(db)
    recorder = Recorder()
    dispatcher = Dispatcher(db, EngineSettings(workers=1, generate_retry_delay_s=0), sink=recorder)
    [job] = dispatcher.queue.claim(dispatcher.owner, 1, 30)
    worker = SimpleNamespace(jobs={job.id}, solo=False)
    dispatcher.inflight[job.id] = InFlight(job, worker, time.monotonic(), article_id)  # type: ignore[arg-type]
    dispatcher._process([(worker, JobFinished(job.id, article_id, "failed", "draft: 500 server error", "draft"))])
    updated = [e for e in recorder.events if isinstance(e, ArticleUpdated)]
    finished = [e for e in recorder.events if isinstance(e, JobFinished)]
    assert [(u.article.id, u.article.status, u.article.retry_count) for u in updated] == [(article_id, "queued", 1)]
    assert "retrying" in updated[0].article.error
    assert [(f.status, f.failed_stage) for f in finished] == [("retrying", "draft")]
    assert recorder.events.index(updated[0]) < recorder.events.index(finished[0])
