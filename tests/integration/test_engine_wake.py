"""An idle engine polls the queue slowly; work queued in its own process wakes it at once.

The dispatcher runs on a frozen fake clock: its periodic asks of the queue never
come due again after the first, so a job started here was started by `wake`
(the in-process enqueue's announcement), and one queued by another process waits
until the clock has moved by the longest back-off.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from engine.execution.dispatcher import CLAIM_RECHECK_LONGEST_S, Dispatcher
from engine.execution.settings import EngineSettings
from engine.execution.tasks import queue_batch
from engine.states import JobStatus
from engine.store.db import Database
from engine.store.models import Job
from tests.conftest import REPO

pytestmark = pytest.mark.slow


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def idle_engine(db: Database) -> Iterator[tuple[Dispatcher, FrozenClock]]:
    clock = FrozenClock()
    dispatcher = Dispatcher(db, EngineSettings(workers=1, slots=2), clock=clock)
    dispatcher.start()
    assert dispatcher.wait_for(lambda: all(w.ready for w in dispatcher.pool.workers.values()), timeout_s=60)
    yield dispatcher, clock
    dispatcher.stop(graceful=False)


def status(db: Database, job_id: int) -> str:
    with db.read() as session:
        return session.scalar(select(Job.status).where(Job.id == job_id))


def finished(db: Database, job_id: int) -> bool:
    return status(db, job_id) in (JobStatus.SUCCESS, JobStatus.FAILURE)


def test_a_job_queued_in_this_process_is_claimed_without_waiting_for_a_poll(
        idle_engine: tuple[Dispatcher, FrozenClock], db: Database) -> None:
    dispatcher, _clock = idle_engine
    job_id = queue_batch(db, [])
    assert dispatcher.wait_for(lambda: finished(db, job_id), timeout_s=30)
    assert status(db, job_id) == JobStatus.SUCCESS


def test_a_job_queued_by_another_process_is_claimed_at_the_next_poll(
        idle_engine: tuple[Dispatcher, FrozenClock], db: Database) -> None:
    dispatcher, clock = idle_engine
    queued = subprocess.run(
        [sys.executable, "-c", "import sys; from engine.store.db import open_database; "
         "from engine.execution.tasks import queue_batch; print(queue_batch(open_database(sys.argv[1]), []))",
         db.url], cwd=REPO, capture_output=True, text=True, check=True)
    job_id = int(queued.stdout)
    assert status(db, job_id) == JobStatus.PENDING
    clock.now += CLAIM_RECHECK_LONGEST_S      # however long the engine had been idle, it asks again by now
    assert dispatcher.wait_for(lambda: finished(db, job_id), timeout_s=30)
    assert status(db, job_id) == JobStatus.SUCCESS
