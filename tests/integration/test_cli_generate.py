"""generate, retry, articles, check, analyze and jobs through the real `copydesk` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.fakes.llm_server import FakeLLMServer
from tests.pipeline_helpers import TEST_KEY

pytestmark = pytest.mark.slow


def test_generate_approved_wait_completes_every_article(cli: CLI) -> None:
    cli("demo", check=True)
    result = cli.json("generate", "--approved", "--wait", "--workers", "2")
    assert result["total"] == result["created"] == len(result["article_ids"]) >= 5 and result["failed"] == 0
    assert {a["status"] for a in result["articles"]} == {"completed"}
    listed = cli.json("articles", "list", "--status", "completed")
    assert sorted(a["id"] for a in listed) == sorted(result["article_ids"])
    first = listed[0]
    for key in ("keyword", "review_status", "current_stage", "bias_score", "fact_check_score",
                "perspective_balance_score", "overall_quality_score", "quality_passed", "retry_count",
                "error_log", "tokens_in", "tokens_out", "cost_usd"):
        assert key in first
    shown = cli.json("articles", "show", str(first["id"]))
    assert shown["body"] and shown["headline"] and shown["slug"] and len(shown["stage_log"]) == 14
    jobs = cli.json("jobs", "list", "--status", "SUCCESS")
    assert len(jobs) == len(result["article_ids"])
    stats = cli.json("jobs", "stats")
    assert stats["by_status"]["SUCCESS"] == len(jobs) and stats["engine"] is None
    assert cli.json("jobs", "purge")["deleted"] == len(jobs)


def test_generate_without_wait_queues_and_worker_runs_it(cli: CLI) -> None:
    cli("demo", check=True)
    result = cli("generate", "--keyword", "1", "99", "--json")
    assert result.returncode == 1, "a batch with a refused keyword is not a full success"
    queued = json.loads(result.stdout)
    assert queued["created"] == 1 and queued["failed"] == 1
    assert "no keyword with id 99" in queued["errors"][0]["error"]
    assert cli.json("jobs", "list", "--status", "PENDING")[0]["article_id"] == queued["article_ids"][0]
    cli("worker", "--until-idle", "--workers", "1", check=True)
    assert cli.json("articles", "show", str(queued["article_ids"][0]))["status"] == "completed"


def test_generate_refuses_unapproved_and_missing_keywords(cli: CLI) -> None:
    cli("keywords", "add", "Heat wave", check=True)
    result = cli("generate", "--keyword", "1")
    assert result.returncode == 1 and "pending, not approved" in result.stderr
    result = cli("generate", "--approved")
    assert result.returncode == 1 and "no approved keywords" in result.stderr


def test_missing_key_fails_fast_before_anything_is_queued(cli: CLI) -> None:
    cli("demo", check=True)
    result = cli("generate", "--approved", "--provider", "openai")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "OPENAI_API_KEY" in result.stderr
    assert cli.json("jobs", "list") == []


def test_unreachable_provider_fails_fast(cli: CLI) -> None:
    cli("demo", check=True)
    result = cli("generate", "--approved", "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1")
    assert result.returncode == 1 and "Could not reach" in result.stderr
    assert result.stderr.count("\n") == 1


def test_generate_and_retry_with_the_fake_server(cli: CLI) -> None:
    with FakeLLMServer(seed=3) as fake:
        cli("demo", check=True)
        env = {"OPENAI_API_KEY": TEST_KEY}
        result = cli.json("generate", "--keyword", "1", "--wait", "--provider", "openai", "--base-url",
                          fake.url_openai, "--workers", "1", env=env)
        article_id = result["article_ids"][0]
        assert result["articles"][0]["status"] == "completed" and result["articles"][0]["model"] == "gpt-4o-mini"
        before = fake.count("keyword_analysis")
        retried = cli.json("retry", str(article_id), "--stage", "revision", env=env)
        assert retried[0]["status"] == "completed" and retried[0]["retry_count"] == 1
        assert fake.count("keyword_analysis") == before
        log = cli.json("articles", "show", str(article_id))["stage_log"]
        assert [e["attempt"] for e in log if e["stage"] == "revision"] == [1, 2]
        assert [e["attempt"] for e in log if e["stage"] == "draft"] == [1]


def test_check_recomputes_scores(cli: CLI) -> None:
    cli("demo", check=True)
    article_id = cli.json("generate", "--keyword", "1", "--wait", "--workers", "1")["article_ids"][0]
    checked = cli.json("check", str(article_id))
    shown = cli.json("articles", "show", str(article_id))
    assert checked["overall_quality_score"] == shown["overall_quality_score"]
    assert len(checked["claims"]) == len(shown["claims"])
    assert cli("check", "999").returncode == 1
    exported = Path(cli("export", str(article_id), "--format", "html", check=True).stdout.strip())
    assert exported.parent == cli.home / "exports" and exported.read_text(encoding="utf-8").startswith("<!DOCTYPE")


def test_analyze_any_markdown_against_sources(cli: CLI, tmp_path: Path) -> None:
    article = tmp_path / "story.md"
    article.write_text("# Vote\n\nThe council voted 6-1 on June 4 to delay the budget [S1]. This disastrous "
                       "plan will obviously hurt everyone.\n", encoding="utf-8")
    source = tmp_path / "minutes.txt"
    source.write_text("The council voted 5-2 on June 4 to delay the budget.", encoding="utf-8")
    report = cli.json("analyze", str(article), "--source", str(source))
    text = article.read_text(encoding="utf-8")
    assert report["claims"][0]["verdict"] == "contradicted"
    assert {"disastrous", "obviously"} <= {f["text"] for f in report["findings"]}
    assert all(text[f["start"]:f["end"]] == f["text"] for f in report["findings"])
    assert report["quality_passed"] is False and report["failed_gates"]
    human = cli("analyze", str(article), "--source", str(source), check=True).stdout
    assert "contradicted" in human and "FAILED" in human
    missing = cli("analyze", str(tmp_path / "nope.md"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_jobs_cancel_pause_and_priority(cli: CLI) -> None:
    cli("demo", check=True)
    queued = cli.json("generate", "--approved")
    jobs = cli.json("jobs", "list")
    assert len(jobs) == queued["created"]
    cli("jobs", "pause", check=True)
    assert cli.json("jobs", "stats")["paused"] is True
    cli("jobs", "priority", "5", str(jobs[-1]["id"]), check=True)
    assert cli.json("jobs", "show", str(jobs[-1]["id"]))["priority"] == 5
    assert cli.json("jobs", "cancel", str(jobs[0]["id"]))["revoked"] == [jobs[0]["id"]]
    assert cli.json("articles", "show", str(jobs[0]["article_id"]))["status"] == "cancelled"
    revoked = cli.json("jobs", "cancel", "--batch", queued["batch_id"])["revoked"]
    assert len(revoked) == len(jobs) - 1
    cli("jobs", "resume", check=True)
    assert cli.json("jobs", "stats")["paused"] is False
