"""The local engine with real worker processes: crashes, limits, cancellation, recovery."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select

from engine.events import ArticleUpdated, JobFinished, StageFinished
from engine.execution.dispatcher import Dispatcher
from engine.execution.policies import TIME_LIMITS_ARG
from engine.execution.queue import EngineLeaseHeld, JobQueue
from engine.execution.settings import EngineSettings, save_engine_settings
from engine.execution.tasks import batch_generate_articles
from engine.keywords import KeywordBook, SourceInput
from engine.store.db import Database, open_database
from engine.store.models import AIArticle, AIWorkflowLog, Job
from tests.conftest import REPO
from tests.fakes.llm_server import FakeLLMServer
from tests.pipeline_helpers import TEST_KEY, seed, use_provider

pytestmark = pytest.mark.slow
HOOKS = str(Path(__file__).resolve().parents[1] / "fakes" / "worker_hooks")


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []
        self.lock = threading.Lock()

    def emit(self, event: object) -> None:
        with self.lock:
            self.events.append(event)

    def finished(self) -> list[JobFinished]:
        with self.lock:
            return [e for e in self.events if isinstance(e, JobFinished)]


@pytest.fixture
def engine_factory(db: Database) -> Iterator:
    started: list[Dispatcher] = []

    def make(**settings: object) -> tuple[Dispatcher, Recorder]:
        defaults = dict(workers=2, slots=4, lease_s=5.0, generate_retry_delay_s=0.2, stage_retry_delay_s=0.2)
        recorder = Recorder()
        dispatcher = Dispatcher(db, EngineSettings(**{**defaults, **settings}), sink=recorder, poll_s=0.02)
        dispatcher.start()
        started.append(dispatcher)
        return dispatcher, recorder

    yield make
    for dispatcher in started:
        dispatcher.stop(graceful=False)
    assert not live_workers(psutil.Process().children(recursive=True)), "worker processes outlived the engine"


def live_workers(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Worker processes still running (multiprocessing's resource tracker is not a worker)."""
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(process.cmdline()):
                alive.append(process)
        except psutil.NoSuchProcess:
            continue
    return alive


def more_keywords(db: Database, count: int, prefix: str = "Topic") -> list[int]:
    """Extra approved keywords with a short source each."""
    book = KeywordBook(db)
    report = book.add([f"{prefix} {n}" for n in range(count)])
    ids = [kid for _pos, _kw, kid in report.added]
    for kid in ids:
        book.add_source(kid, SourceInput("Council minutes", "The council voted 5-2 on June 4 to fund the plan. "
                                         "\"It is overdue,\" said Mayor Ada Okafor. Residents said costs of $2 million "
                                         "were too high, according to the Neighbors Association."))
    book.decide(ids, "approved", editor="test")
    return ids


def batch(db: Database, keyword_ids: list[int], settings: EngineSettings | None = None) -> list[int]:
    return batch_generate_articles(db, keyword_ids, settings or EngineSettings()).article_ids


def statuses(db: Database, article_ids: list[int]) -> dict[int, str]:
    with db.read() as session:
        return dict(session.execute(select(AIArticle.id, AIArticle.status).where(AIArticle.id.in_(article_ids))).all())


def all_done(db: Database, article_ids: list[int]) -> bool:
    return all(s in ("completed", "failed", "cancelled") for s in statuses(db, article_ids).values()) and \
        JobQueue(db).stats()["by_status"]["STARTED"] == 0 and JobQueue(db).stats()["by_status"]["PENDING"] == 0


def assert_one_checkpoint_per_stage(db: Database, article_ids: list[int]) -> None:
    with db.read() as session:
        rows = session.execute(
            select(AIWorkflowLog.article_id, AIWorkflowLog.stage, func.count())
            .where(AIWorkflowLog.status == "completed", AIWorkflowLog.article_id.in_(article_ids))
            .group_by(AIWorkflowLog.article_id, AIWorkflowLog.stage)).all()
    assert len(rows) == 14 * len(article_ids)
    assert all(count == 1 for _a, _s, count in rows)


def integrity_ok(db: Database) -> bool:
    with sqlite3.connect(db.engine.url.database) as raw:
        return raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_offline_batch_completes_with_real_workers(db: Database, engine_factory) -> None:
    articles = batch(db, seed(db))
    dispatcher, recorder = engine_factory()
    assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=120)
    assert set(statuses(db, articles).values()) == {"completed"}
    assert_one_checkpoint_per_stage(db, articles)
    assert {e.status for e in recorder.finished()} == {"completed"}
    with db.read() as session:
        assert set(session.scalars(select(Job.status))) == {"SUCCESS"}


def test_second_dispatcher_attaches_as_viewer(db: Database, engine_factory) -> None:
    engine_factory(workers=1)
    second = Dispatcher(db, EngineSettings(workers=1))
    with pytest.raises(EngineLeaseHeld, match="already running"):
        second.start()


def test_kill_worker_twenty_times_every_article_completes(db: Database, engine_factory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLMServer(latency_s=0.15, seed=1) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        use_provider(db, "openai", fake.url_openai)
        keywords = seed(db)
        articles = batch(db, keywords + more_keywords(db, 33))
        dispatcher, _recorder = engine_factory(workers=2, slots=6)
        kills = 0
        deadline = time.monotonic() + 240
        while kills < 20 and time.monotonic() < deadline and not all_done(db, articles):
            busy = [w for w in list(dispatcher.pool.workers.values()) if len(w.jobs) >= 2 and w.process.is_alive()]
            if busy:
                os.kill(busy[0].pid, signal.SIGKILL)
                kills += 1
                time.sleep(0.6)
            else:
                time.sleep(0.05)
        assert kills >= 10, "the batch ended before enough workers could be killed"
        assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=300)
    assert set(statuses(db, articles).values()) == {"completed"}
    assert_one_checkpoint_per_stage(db, articles)
    with db.read() as session:
        assert session.scalar(select(func.count(AIArticle.id))) == len(articles)
    assert integrity_ok(db)


def test_faults_on_thirty_percent_of_calls_all_articles_complete(db: Database, engine_factory,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLMServer(fault_rate=0.3, seed=7, hang_s=5) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
        use_provider(db, "anthropic", fake.url_anthropic)
        articles = batch(db, seed(db))
        dispatcher, _ = engine_factory(workers=2, slots=8)
        assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=300)
        faults = sum(1 for r in fake.requests if r.fault)
    assert set(statuses(db, articles).values()) == {"completed"}
    assert faults > 10


def test_cancel_takes_effect_within_two_seconds_and_writes_nothing_after(
        db: Database, engine_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLMServer(latency_s=0.3, seed=2) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        use_provider(db, "openai", fake.url_openai)
        articles = batch(db, seed(db)[:2])
        dispatcher, recorder = engine_factory(workers=1, slots=4)
        assert dispatcher.wait_for(lambda: fake.count("research") >= 1, timeout_s=30)
        with db.read() as session:
            job_id = session.scalar(select(Job.id).where(Job.article_id == articles[0]))
        cancelled_at = time.monotonic()
        assert JobQueue(db).cancel([job_id]) == [job_id]
        assert dispatcher.wait_for(lambda: any(e.status == "cancelled" and e.article_id == articles[0]
                                               for e in recorder.finished()), timeout_s=5)
        assert time.monotonic() - cancelled_at < 2.0
        with db.read() as session:
            rows_at_cancel = session.scalar(select(func.count()).where(AIWorkflowLog.article_id == articles[0]))
        requests_at_cancel = len([r for r in fake.requests if r.article == str(articles[0])])
        assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=60)
        time.sleep(0.5)
        assert len([r for r in fake.requests if r.article == str(articles[0])]) == requests_at_cancel
    with db.read() as session:
        assert session.scalar(select(func.count()).where(AIWorkflowLog.article_id == articles[0])) == rows_at_cancel
    assert statuses(db, articles) == {articles[0]: "cancelled", articles[1]: "completed"}


def test_soft_time_limit_stops_the_job_and_records_it(db: Database, engine_factory,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLMServer(latency_s=2.5, seed=3) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        use_provider(db, "openai", fake.url_openai)
        articles = batch(db, seed(db)[:1], EngineSettings(generate_retries=0, generate_retry_delay_s=0))
        dispatcher, _ = engine_factory(workers=1, soft_time_limit_s=1.5, hard_time_limit_s=60)
        assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=60)
    with db.read() as session:
        article = session.get(AIArticle, articles[0])
        job = session.scalar(select(Job).where(Job.article_id == articles[0]))
    assert article.status == "failed" and "soft time limit" in article.error_log
    assert job.status == "FAILURE" and "soft time limit" in job.traceback


def test_hard_time_limit_replaces_the_worker_and_requeues_the_others(db: Database, engine_factory,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", HOOKS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("COPYDESK_TEST_BLOCK", "Stuck")
    others = seed(db)[:3]
    stuck = more_keywords(db, 1, prefix="Stuck")
    articles = batch(db, stuck + others, EngineSettings(generate_retries=0, generate_retry_delay_s=0))
    # Only the stuck job has short limits of its own; the healthy ones get the engine's generous
    # ones, so a loaded machine cannot push them past a limit.
    with db.write() as session:
        job = session.scalar(select(Job).where(Job.article_id == articles[0]))
        job.args = {**job.args, TIME_LIMITS_ARG: {"soft_s": 2, "hard_s": 4}}
    dispatcher, _ = engine_factory(workers=1, slots=4, soft_time_limit_s=300, hard_time_limit_s=600)
    assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=90)
    result = statuses(db, articles)
    assert result[articles[0]] == "failed"
    assert all(result[a] == "completed" for a in articles[1:])
    assert -signal.SIGKILL in dispatcher.worker_exits
    with db.read() as session:
        assert "hard time limit" in session.get(AIArticle, articles[0]).error_log


def test_workers_are_recycled_after_max_tasks(db: Database, engine_factory) -> None:
    articles = batch(db, seed(db)[:5])
    dispatcher, _ = engine_factory(workers=1, slots=1, max_tasks_per_child=2)
    assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=120)
    assert set(statuses(db, articles).values()) == {"completed"}
    assert dispatcher.worker_exits.count(0) >= 2


def test_poison_job_fails_after_its_budget_while_others_flow(db: Database, engine_factory,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", HOOKS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("COPYDESK_TEST_POISON", "Poison")
    others = seed(db)
    poison = more_keywords(db, 1, prefix="Poison")
    articles = batch(db, poison + others, EngineSettings(generate_retries=2, generate_retry_delay_s=0.2))
    dispatcher, _ = engine_factory(workers=2, slots=4)
    assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=180)
    result = statuses(db, articles)
    assert result[articles[0]] == "failed"
    assert all(result[a] == "completed" for a in articles[1:])
    with db.read() as session:
        job = session.scalar(select(Job).where(Job.article_id == articles[0]))
    assert job.status == "FAILURE" and job.attempts == 3 and "crashed" in job.traceback


def test_graceful_stop_hands_work_back_and_a_restart_finishes_it(db: Database,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLMServer(latency_s=0.2, seed=4) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        use_provider(db, "openai", fake.url_openai)
        articles = batch(db, seed(db)[:4])
        first = Dispatcher(db, EngineSettings(workers=1, slots=4, lease_s=5), poll_s=0.02)
        first.start()
        assert first.wait_for(lambda: fake.count("outline") >= 2, timeout_s=60)
        first.stop(graceful=True)
        with db.read() as session:
            assert session.scalar(select(func.count()).where(Job.status == "STARTED")) == 0
            done_before = set(session.execute(select(AIWorkflowLog.article_id, AIWorkflowLog.stage)
                                              .where(AIWorkflowLog.status == "completed")).all())
        assert done_before
        restarted_at = time.monotonic()
        second = Dispatcher(db, EngineSettings(workers=1, slots=4, lease_s=5), poll_s=0.02)
        second.start()
        try:
            assert second.wait_for(lambda: all_done(db, articles), timeout_s=120)
        finally:
            second.stop()
        repeated = {(int(r.article), r.stage) for r in fake.requests if r.time > restarted_at and r.status == 200}
    assert not repeated & done_before, "a completed stage was called again after the restart"
    assert set(statuses(db, articles).values()) == {"completed"}


def test_killing_the_engine_process_resumes_after_the_lease(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{home / 'copydesk.db'}"
    db = open_database(url)
    with FakeLLMServer(latency_s=0.15, seed=5) as fake:
        use_provider(db, "openai", fake.url_openai)
        save_engine_settings(db, EngineSettings(workers=1, slots=8, lease_s=3))
        articles = batch(db, seed(db))
        env = {**os.environ, "OPENAI_API_KEY": TEST_KEY}
        engine = subprocess.Popen([sys.executable, "-m", "app", "--home", str(home), "worker"], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while fake.count("draft") < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            children = psutil.Process(engine.pid).children(recursive=True)
            engine.send_signal(signal.SIGKILL)
            engine.wait(timeout=10)
        finally:
            if engine.poll() is None:
                engine.kill()
        killed_at = time.monotonic()
        psutil.wait_procs(children, timeout=5)     # orphaned workers notice and exit
        assert not live_workers(children)
        with db.read() as session:
            done_before = set(session.execute(select(AIWorkflowLog.article_id, AIWorkflowLog.stage)
                                              .where(AIWorkflowLog.status == "completed")).all())
        resumed = Dispatcher(db, EngineSettings(workers=1, slots=8, lease_s=3), poll_s=0.02)
        deadline = time.monotonic() + 3 + 5
        while True:
            try:
                resumed.start()
                break
            except EngineLeaseHeld:
                assert time.monotonic() < deadline, "the dead engine's lease never expired"
                time.sleep(0.2)
        try:
            assert resumed.wait_for(lambda: fake.count() > 0 and any(r.time > killed_at for r in fake.requests),
                                    timeout_s=3 + 5)
            assert resumed.wait_for(lambda: all_done(db, articles), timeout_s=180)
        finally:
            resumed.stop()
        repeated = {(int(r.article), r.stage) for r in fake.requests if r.time > killed_at and r.status == 200}
    assert not repeated & done_before
    assert set(statuses(db, articles).values()) == {"completed"}
    assert_one_checkpoint_per_stage(db, articles)
    db.dispose()


def test_batch_and_quality_check_tasks_run_in_the_engine(db: Database, engine_factory) -> None:
    from engine.execution.tasks import queue_batch, run_quality_checks
    from engine.review import save_edit

    keywords = seed(db)[:2]
    batch_job = queue_batch(db, keywords + [9999])
    dispatcher, _ = engine_factory(workers=1, slots=4)

    def batch_result() -> dict | None:
        with db.read() as session:
            job = session.get(Job, batch_job)
            return job.result if job.status == "SUCCESS" else None

    assert dispatcher.wait_for(lambda: batch_result() is not None, timeout_s=30)
    result = batch_result()
    assert (result["total"], result["created"], result["failed"]) == (3, 2, 1)
    articles = result["article_ids"]
    assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=60)
    save_edit(db, articles[0], headline="Edited", dek="", body="The council voted 9-0 on June 4. "
              "This disastrous plan is obviously doomed.", editor="ana")
    check_job = run_quality_checks(db, articles[0])

    def check_ended() -> bool:
        with db.read() as session:
            return session.get(Job, check_job).status in ("SUCCESS", "FAILURE")

    # The articles are already done: wait for the check job itself.
    assert dispatcher.wait_for(check_ended, timeout_s=60)
    with db.read() as session:
        job = session.get(Job, check_job)
        article = session.get(AIArticle, articles[0])
    assert job.status == "SUCCESS" and job.result["quality_passed"] is False
    assert article.bias_score > 20 and article.quality_passed is False


def test_article_updated_follows_every_commit_to_the_committed_row(db: Database, engine_factory,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeLLMServer(latency_s=0.0, seed=5) as fake:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        use_provider(db, "openai", fake.url_openai)
        articles = batch(db, seed(db)[:2])
        dispatcher, recorder = engine_factory(workers=1, slots=2)
        assert dispatcher.wait_for(lambda: all_done(db, articles), timeout_s=120)
    with recorder.lock:
        updates = [e.article for e in recorder.events if isinstance(e, ArticleUpdated)]
        stages = [e for e in recorder.events if isinstance(e, StageFinished)]
    for article_id in articles:
        seen = [view for view in updates if view.id == article_id]
        assert [view.status for view in seen][:1] == ["generating"] and seen[-1].status == "completed"
        assert max(view.stage_index for view in seen if view.status == "generating") == 14
        with db.read() as session:
            row = session.get(AIArticle, article_id)
            expected = (row.status, row.current_stage, row.current_stage_index, row.tokens_in, row.tokens_out,
                        row.cost_usd, row.retry_count, row.overall_quality_score, row.quality_passed)
        last = seen[-1]
        assert (last.status, last.current_stage, last.stage_index, last.tokens_in, last.tokens_out, last.cost_usd,
                last.retry_count, last.overall_quality_score, last.quality_passed) == expected
        assert last.stage_count == 14 and last.overall_quality_score is not None
        own = [e for e in stages if e.article_id == article_id]
        # StageFinished still carries what the stage cost (and its error, when it failed).
        assert sum(e.tokens_in for e in own) == last.tokens_in > 0 and all(e.error is None for e in own)
