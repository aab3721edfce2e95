"""News for a dispatcher in this process: jobs queued or revoked, the queue paused or resumed.

Heard once the transaction has committed (a dispatcher woken earlier would find
nothing to claim), never for a transaction rolled back, only for its own database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.execution.jobs import listen_for_queue_news
from engine.execution.queue import JobQueue, add_jobs
from engine.store.db import Database, open_database
from engine.store.models import Job


def listen(db: Database) -> tuple[list[int], object]:
    """Record, at each announcement, how many jobs a fresh read sees (committed ones only)."""
    heard: list[int] = []

    def committed_jobs() -> None:
        with db.read() as session:
            heard.append(session.scalar(select(func.count()).select_from(Job)) or 0)
    return heard, listen_for_queue_news(str(db.engine.url), committed_jobs)


def test_queued_jobs_are_announced_once_their_transaction_has_committed(db: Database) -> None:
    heard, stop = listen(db)
    JobQueue(db).enqueue("batch_generate_articles", {"keyword_ids": []})
    with db.write() as session:   # articles and their jobs in one transaction: one announcement, after it
        add_jobs(session, [("batch_generate_articles", {"keyword_ids": []}, None)])
        add_jobs(session, [("batch_generate_articles", {"keyword_ids": []}, None)])
    stop()
    assert heard == [1, 3]


def test_a_rolled_back_enqueue_is_not_announced(db: Database) -> None:
    heard, stop = listen(db)
    with pytest.raises(RuntimeError), db.write() as session:
        add_jobs(session, [("batch_generate_articles", {"keyword_ids": []}, None)])
        raise RuntimeError("the keywords were refused")
    stop()
    assert heard == []


def test_revoking_jobs_and_pausing_are_announced_revoking_nothing_is_not(db: Database) -> None:
    queue = JobQueue(db)
    job_id = queue.enqueue("batch_generate_articles", {"keyword_ids": []})
    heard, stop = listen(db)
    assert queue.cancel([job_id]) == [job_id]
    assert queue.cancel([job_id]) == []            # already revoked: nothing changed
    queue.set_paused(True)
    queue.set_paused(False)
    stop()
    assert heard == [1, 1, 1]


def test_only_the_same_database_is_told_and_a_stopped_listener_hears_nothing(db: Database, tmp_path: Path) -> None:
    other = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        heard, stop = listen(db)
        heard_other, stop_other = listen(other)
        JobQueue(other).enqueue("batch_generate_articles", {"keyword_ids": []})
        stop()
        JobQueue(db).enqueue("batch_generate_articles", {"keyword_ids": []})
        stop_other()
        assert heard == [] and heard_other == [1]
    finally:
        other.dispose()
