"""The engine's commands under clumsy or hostile use: one clear line, nothing changed.

Through the real `copydesk` processes: a provider that stops accepting the key mid-batch,
Ctrl+C once and twice, a read-only database, bad job IDs and purge ages, a retry of an
article already queued, and a PostgreSQL URL without its driver.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI, REPO
from tests.fakes.llm_server import FakeLLMServer
from tests.integration.test_engine_recovery import completed_stages, query, wait_until
from tests.pipeline_helpers import TEST_KEY

pytestmark = pytest.mark.slow
ENV = {"OPENAI_API_KEY": TEST_KEY}


def test_a_key_refused_inside_a_stage_fails_at_once_not_after_three_retries(cli: CLI, home: Path) -> None:
    with FakeLLMServer(seed=21) as fake:
        cli("demo", check=True)
        queued = cli.json("generate", "--keyword", "1", "--provider", "openai", "--base-url", fake.url_openai,
                          env=ENV)
        fake.required_key = "a-key-the-server-now-wants"     # revoked after the preflight check
        worker = cli("worker", "--until-idle", "--workers", "1", env=ENV, timeout=100)
        assert worker.returncode == 0, worker.stderr
        refused = sum(1 for r in fake.requests if r.status == 401)
    article = cli.json("articles", "show", str(queued["article_ids"][0]))
    assert article["status"] == "failed" and "rejected the API key (401)" in article["error_log"]
    assert "retrying" not in article["error_log"] and article["retry_count"] == 0
    job = cli.json("jobs", "list")[0]
    assert job["status"] == "FAILURE" and job["attempts"] == 1
    assert refused >= 1


@pytest.fixture
def engine_with_slow_provider(cli: CLI, home: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    with FakeLLMServer(latency_s=0.7, seed=22) as fake:
        cli("demo", check=True)
        errors = tmp_path / "stderr.txt"
        with errors.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "app", "--home", str(home), "generate", "--approved", "--wait", "--workers",
                 "1", "--provider", "openai", "--base-url", fake.url_openai],
                cwd=REPO, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=sink,
                start_new_session=True)
        try:
            wait_until(lambda: completed_stages(home) >= 2, 90, "stages to complete")
            yield process, errors
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def interrupt(process: subprocess.Popen) -> None:
    """Ctrl+C in a terminal: SIGINT to the whole foreground process group, workers included."""
    os.killpg(process.pid, signal.SIGINT)


def test_ctrl_c_stops_gracefully_without_a_traceback(engine_with_slow_provider, cli: CLI, home: Path) -> None:
    process, errors = engine_with_slow_provider
    interrupt(process)
    assert process.wait(timeout=60) == 130
    text = errors.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    assert "running stages will checkpoint" in text
    statuses = {status for (status,) in query(home, "SELECT status FROM ai_articles")}
    assert "generating" not in statuses and query(home, "SELECT count(*) FROM jobs WHERE status = 'STARTED'") == [(0,)]


def test_a_second_ctrl_c_stops_at_once(engine_with_slow_provider) -> None:
    process, errors = engine_with_slow_provider
    interrupt(process)
    wait_until(lambda: "running stages will checkpoint" in errors.read_text(), 30, "the graceful stop to begin")
    interrupt(process)
    assert process.wait(timeout=30) == 130
    text = errors.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text and "stopping now" in text


def test_a_read_only_database_is_one_line_without_sql(cli: CLI, home: Path) -> None:
    cli("keywords", "add", "Heat wave", check=True)
    database = home / "copydesk.db"
    database.chmod(0o444)
    env = {}
    if os.geteuid() == 0:
        # root writes a 0444 file anyway (and nobody else may run this venv): SQLite's own
        # read-only mode refuses the write the same way ("attempt to write a readonly database").
        env = {"COPYDESK_DATABASE_URL": f"sqlite:///{database.as_uri()}?mode=ro&uri=true"}
    before = database.read_bytes()
    result = cli("keywords", "add", "Flood", env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "cannot be written" in result.stderr, result.stderr
    assert "INSERT" not in result.stderr and "[parameters" not in result.stderr
    assert database.read_bytes() == before


def test_retry_refuses_an_article_already_queued(cli: CLI) -> None:
    cli("demo", check=True)
    article_id = cli.json("generate", "--keyword", "1")["article_ids"][0]
    job_id = cli.json("jobs", "list")[0]["id"]
    result = cli("retry", str(article_id), "--stage", "draft")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert f"already queued (job #{job_id})" in result.stderr
    assert len(cli.json("jobs", "list")) == 1
    assert cli.json("articles", "show", str(article_id))["retry_count"] == 0


@pytest.mark.parametrize("days", ["nan", "inf", "1e308", "-1"])
def test_purge_refuses_ages_that_are_not_a_number_of_days(cli: CLI, days: str) -> None:
    cli("demo", check=True)
    cli("generate", "--keyword", "1", "--wait", "--workers", "1", check=True)
    result = cli("jobs", "purge", f"--finished-before={days}")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--finished-before takes a number of days" in result.stderr
    assert len(cli.json("jobs", "list")) == 1


def test_cancel_and_priority_name_unknown_job_ids_and_change_nothing(cli: CLI) -> None:
    cli("demo", check=True)
    cli("generate", "--keyword", "1", check=True)
    job = cli.json("jobs", "list")[0]
    cancel = cli("jobs", "cancel", str(job["id"]), "98", "99")
    assert cancel.returncode == 1 and "no job with ids 98, 99" in cancel.stderr
    priority = cli("jobs", "priority", "5", str(job["id"]), "99")
    assert priority.returncode == 1 and "no job with id 99" in priority.stderr
    too_high = cli("jobs", "priority", str(2**63), str(job["id"]))
    assert too_high.returncode == 2 and "a priority is a whole number" in too_high.stderr
    after = cli.json("jobs", "show", str(job["id"]))
    assert after["status"] == "PENDING" and after["priority"] == job["priority"]


def test_a_postgresql_url_without_its_driver_is_one_line(cli: CLI) -> None:
    if importlib.util.find_spec("psycopg") is not None:
        pytest.skip("psycopg is installed here")
    result = cli("jobs", "stats", env={"COPYDESK_DATABASE_URL": "postgresql://editor:s3cret@127.0.0.1/copydesk"})
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "pip install 'copydesk[postgres]'" in result.stderr and "s3cret" not in result.stderr

