"""Crash recovery and a database that goes bad, through the real `copydesk` processes.

An engine killed with -9 must not leave the next one waiting; an engine whose database
file is deleted, replaced or damaged must stop and say so in one line.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI, REPO
from tests.fakes.llm_server import FakeLLMServer
from tests.pipeline_helpers import TEST_KEY

pytestmark = pytest.mark.slow
ENV = {"OPENAI_API_KEY": TEST_KEY}


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` until it holds (a waitUntil for plain processes)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def query(home: Path, sql: str) -> list[tuple]:
    """Read the database as another program would, without opening it through Copydesk."""
    with sqlite3.connect(f"{(home / 'copydesk.db').as_uri()}?mode=ro", uri=True, timeout=15) as raw:
        return raw.execute(sql).fetchall()


def completed_stages(home: Path) -> int:
    return query(home, "SELECT count(*) FROM ai_workflow_logs WHERE status = 'completed'")[0][0]


def article_statuses(home: Path) -> list[str]:
    return [status for (status,) in query(home, "SELECT status FROM ai_articles ORDER BY id")]


class Spawned:
    """`copydesk ...` started in its own session (as `setsid copydesk ... &` would)."""

    def __init__(self, home: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "--home", str(home), *args], cwd=REPO, env={**os.environ, **ENV},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def kill_group(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def finish(self, timeout_s: float) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=timeout_s)
        return self.process.returncode, out, err

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate(timeout=10)


@pytest.fixture
def spawned(home: Path) -> Iterator[Callable[..., Spawned]]:
    started: list[Spawned] = []

    def spawn(*args: str) -> Spawned:
        started.append(Spawned(home, *args))
        return started[-1]

    yield spawn
    for process in started:
        process.stop()


def approved_keywords(cli: CLI, count: int) -> None:
    cli("keywords", "add", *[f"Council budget vote {n}" for n in range(1, count + 1)], check=True)
    cli("keywords", "approve", *[str(n) for n in range(1, count + 1)], check=True)


def generate_args(fake: FakeLLMServer, *keywords: str) -> tuple[str, ...]:
    which = ("--keyword", *keywords) if keywords else ("--approved",)
    return ("generate", *which, "--wait", "--workers", "1", "--provider", "openai", "--base-url", fake.url_openai)


def test_after_kill_9_of_the_engine_the_next_worker_takes_over_at_once(cli: CLI, home: Path, spawned) -> None:
    """The issue's reproduction: 3 keywords, a provider answering in 1 s, kill -9 mid-batch."""
    with FakeLLMServer(latency_s=1.0, seed=11) as fake:
        approved_keywords(cli, 3)
        engine = spawned(*generate_args(fake))
        wait_until(lambda: (home / "copydesk.db").exists() and completed_stages(home) >= 3, 90, "stages to complete")
        assert "completed" not in article_statuses(home), "the batch ended before the kill"
        engine.kill_group()

        stats = cli.json("jobs", "stats")
        assert stats["engine"]["state"] == "dead" and stats["engine"]["alive"] is False
        assert "no longer running" in cli("jobs", "stats", check=True).stdout

        worker = cli("worker", "--until-idle", timeout=120, env=ENV)
        assert worker.returncode == 0, worker.stderr
        assert "taking over" in worker.stderr and "attaching as a viewer" not in worker.stderr
    assert article_statuses(home) == ["completed"] * 3
    assert query(home, "SELECT DISTINCT status FROM jobs") == [("SUCCESS",)]
    assert cli.json("jobs", "stats")["engine"] is None


def test_two_generate_waits_started_together_both_finish(cli: CLI, home: Path, spawned) -> None:
    """The second waits as a viewer and, when the first stops after its own batch, runs the rest."""
    with FakeLLMServer(latency_s=0.2, seed=12) as fake:
        approved_keywords(cli, 4)
        # One article at a time: the first cannot also finish the second's batch before its own ends.
        first = spawned(*generate_args(fake, "1", "2"), "--slots", "1")
        wait_until(lambda: (home / "copydesk.db").exists()
                   and query(home, "SELECT count(*) FROM engine_lease")[0][0] == 1, 60, "the first engine")
        second = spawned(*generate_args(fake, "3", "4"), "--slots", "1")
        first_code, _out, first_err = first.finish(180)
        second_code, _out, second_err = second.finish(180)
    assert (first_code, second_code) == (0, 0), (first_err, second_err)
    assert article_statuses(home) == ["completed"] * 4
    assert "attaching as a viewer" in second_err and "runs the engine now" in second_err


def test_deleting_the_database_stops_the_engine_with_one_line(cli: CLI, home: Path, spawned) -> None:
    with FakeLLMServer(latency_s=0.5, seed=13) as fake:
        approved_keywords(cli, 2)
        engine = spawned(*generate_args(fake))
        wait_until(lambda: completed_stages(home) >= 2, 90, "stages to complete")
        (home / "copydesk.db").unlink()
        code, _out, err = engine.finish(60)
    assert code == 1
    lines = err.strip().splitlines()
    assert "was deleted while Copydesk was using it" in lines[-1] and "Traceback" not in err
    assert not (home / "copydesk.db").exists(), "a new, empty database was created in its place"


def test_replacing_the_database_stops_the_engine_and_leaves_the_new_file_alone(cli: CLI, home: Path,
                                                                               spawned, tmp_path: Path) -> None:
    with FakeLLMServer(latency_s=0.5, seed=14) as fake:
        approved_keywords(cli, 2)
        replacement = tmp_path / "restored.db"
        with sqlite3.connect(home / "copydesk.db") as source, sqlite3.connect(replacement) as target:
            source.backup(target)
        engine = spawned(*generate_args(fake))
        wait_until(lambda: completed_stages(home) >= 2, 90, "stages to complete")
        before = replacement.read_bytes()
        os.replace(replacement, home / "copydesk.db")
        code, _out, err = engine.finish(60)
    assert code == 1 and "was replaced by another file" in err.strip().splitlines()[-1]
    assert (home / "copydesk.db").read_bytes() == before, "the engine wrote into the file put in its place"


def damage_a_page_of(path: Path, table: str) -> None:
    """Overwrite one page of `table`'s b-tree in the middle of the file, as a bad disk would."""
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        pages = [n for (n,) in raw.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,))]
    assert len(pages) >= 3, f"{table} needs a few pages to damage one in the middle"
    with path.open("r+b") as file:
        file.seek((pages[len(pages) // 2] - 1) * page_size)
        file.write(os.urandom(page_size))


def test_a_damaged_database_is_named_and_nothing_new_is_queued(cli: CLI, home: Path) -> None:
    cli("demo", check=True)
    cli("generate", "--keyword", "1", "2", "--wait", "--workers", "1", check=True)   # stage logs fill pages
    articles_before = query(home, "SELECT count(*) FROM ai_articles")[0][0]
    jobs_before = query(home, "SELECT count(*) FROM jobs")[0][0]
    damage_a_page_of(home / "copydesk.db", "ai_workflow_logs")

    result = cli("generate", "--approved", "--wait", "--workers", "1")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "the database file is damaged" in result.stderr
    assert str(home / "backups") in result.stderr and "Traceback" not in result.stderr
    assert query(home, "SELECT count(*) FROM ai_articles")[0][0] == articles_before
    assert query(home, "SELECT count(*) FROM jobs")[0][0] == jobs_before

    worker = cli("worker", "--until-idle", "--workers", "1")
    assert worker.returncode == 1 and "the database file is damaged" in worker.stderr


def test_a_zero_byte_database_is_refused_not_reinitialised(cli: CLI, home: Path) -> None:
    (home / "copydesk.db").write_bytes(b"")
    result = cli("keywords", "list")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "is empty (0 bytes)" in result.stderr
    assert (home / "copydesk.db").stat().st_size == 0



def test_a_lease_held_on_another_host_is_waited_for_then_taken_over(cli: CLI, home: Path) -> None:
    """Another machine's engine cannot be asked whether it lives: its lease is waited out,
    and the viewer takes over as soon as it runs out."""
    cli("demo", check=True)
    cli("generate", "--keyword", "1", check=True)
    with sqlite3.connect(home / "copydesk.db") as raw:
        raw.execute("INSERT INTO engine_lease (name, owner, pid, host, expires_at) VALUES "
                    "('dispatcher', 'newsroom-server:4242:1700000000.00:abcdef', 4242, 'newsroom-server', "
                    "datetime('now', '+4 seconds'))")
    worker = cli("worker", "--until-idle", "--workers", "1", timeout=120)
    assert worker.returncode == 0, worker.stderr
    assert "pid 4242 on newsroom-server" in worker.stderr and "runs the engine now" in worker.stderr
    assert article_statuses(home) == ["completed"]
