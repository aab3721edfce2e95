"""The fourteen stages end to end: offline, and through the real SDKs against the fake server."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.articles import article_detail
from engine.pipeline.names import CONCURRENT_STAGES, STAGE_NAMES
from engine.pipeline.runner import process_article
from engine.store.db import Database
from engine.store.models import AIArticle, AIWorkflowLog, ArticleRevision
from tests.fakes.fixtures import fake_llm  # noqa: F401
from tests.fakes.llm_server import FakeLLMServer
from tests.pipeline_helpers import FAST_TUNING, TEST_KEY, new_articles, seed, use_provider

LLM_STAGES = ("keyword_analysis", "research", "perspectives", "outline", "draft", "claims", "revision",
              "seo_optimization", "meta_generation")


def run(db: Database, article_id: int, start_stage: str | None = None) -> str:
    return asyncio.run(process_article(db, article_id, start_stage)).status


def stage_rows(db: Database, article_id: int) -> list[tuple[str, int, str]]:
    with db.read() as session:
        return session.execute(select(AIWorkflowLog.stage, AIWorkflowLog.attempt, AIWorkflowLog.status)
                               .where(AIWorkflowLog.article_id == article_id).order_by(AIWorkflowLog.id)).all()


def test_offline_pipeline_end_to_end(db: Database) -> None:
    article_id = new_articles(db, seed(db)[:1])[0]
    assert run(db, article_id) == "completed"
    assert [(s, a, st) for s, a, st in stage_rows(db, article_id)] == [(n, 1, "completed") for n in STAGE_NAMES]
    detail = article_detail(db, article_id)
    assert detail["status"] == "completed" and detail["current_stage"] == "finalization"
    assert "offline draft" in detail["body"]
    with db.read() as session:
        source_count = len(session.get(AIArticle, article_id).keyword.sources)
    cited = {int(n) for n in re.findall(r"\[S(\d+)\]", detail["body"])}
    assert cited and cited <= set(range(1, source_count + 1))
    for score in ("bias_score", "fact_check_score", "perspective_balance_score", "overall_quality_score"):
        assert 0 <= detail[score] <= 100
    assert isinstance(detail["quality_passed"], bool)
    assert detail["slug"] and detail["tags"] and detail["summary"] and detail["meta_description"]
    assert detail["claims"], "an extractive draft full of numbers has checkable claims"
    assert all(c["verdict"] in ("supported", "contradicted", "unverifiable") for c in detail["claims"])
    for finding in detail["findings"]:
        assert detail["body"][finding["start"]:finding["end"]] == finding["text"]
    with db.read() as session:
        authors = session.scalars(select(ArticleRevision.author).where(ArticleRevision.article_id == article_id)
                                  .order_by(ArticleRevision.number)).all()
    assert authors == ["pipeline:draft", "pipeline:revision"]
    assert detail["tokens_in"] == 0 and detail["cost_usd"] == 0


def test_offline_draft_without_sources_says_what_to_attach(db: Database) -> None:
    from engine.keywords import KeywordBook

    book = KeywordBook(db)
    book.add(["Library opening hours"])
    kid = book.list()[0].id
    book.decide([kid], "approved", editor="ana")
    article_id = new_articles(db, [kid])[0]
    assert run(db, article_id) == "completed"
    body = article_detail(db, article_id)["body"]
    assert "no sources are attached" in body and "Attach source material" in body


def test_resume_reuses_checkpoints_and_never_reruns_them(db: Database, fake_llm: FakeLLMServer,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    keyword_ids = seed(db)[:1]
    use_provider(db, "openai", fake_llm.url_openai)
    first, second = new_articles(db, keyword_ids * 1) + new_articles(db, keyword_ids)
    fake_llm.add_fault("500", times=FAST_TUNING["max_attempts"], stage="outline")
    assert run(db, first) == "failed"
    with db.read() as session:
        article = session.get(AIArticle, first)
        assert article.status == "failed" and "outline" in article.error_log
    assert [r for r in stage_rows(db, first) if r[0] == "outline"] == [("outline", 1, "failed")]
    calls_before = {stage: fake_llm.count(stage) for stage in ("keyword_analysis", "research", "perspectives")}
    assert run(db, first, start_stage="outline") == "completed"
    for stage, count in calls_before.items():
        assert fake_llm.count(stage) == count, f"{stage} was called again on resume"
    assert [r for r in stage_rows(db, first) if r[0] == "outline"] == [("outline", 1, "failed"),
                                                                       ("outline", 2, "completed")]
    # An uninterrupted run of the same keyword gives the same article.
    assert run(db, second) == "completed"
    a, b = article_detail(db, first), article_detail(db, second)
    for field in ("headline", "dek", "body", "overall_quality_score", "fact_check_score", "bias_score"):
        assert a[field] == b[field]


def test_the_four_checks_run_at_the_same_time(db: Database, fake_llm: FakeLLMServer,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    use_provider(db, "openai", fake_llm.url_openai)
    article_id = new_articles(db, seed(db)[:1])[0]
    fake_llm.latency_s = 0.3
    assert run(db, article_id) == "completed"
    with db.read() as session:
        logs = {row.stage: row for row in session.scalars(
            select(AIWorkflowLog).where(AIWorkflowLog.article_id == article_id))}
    checks = [logs[name] for name in CONCURRENT_STAGES]
    # Every check started before any of them ended, and after the claims were committed.
    assert max(log.started_at for log in checks) < min(log.finished_at for log in checks)
    assert min(log.started_at for log in checks) >= logs["claims"].finished_at
    assert logs["revision"].started_at >= max(log.finished_at for log in checks)
    # Their four requests were at the fake server together (finalization's four come later).
    arrivals = sorted(r.time for r in fake_llm.requests if r.stage in CONCURRENT_STAGES)[:4]
    assert arrivals[-1] - arrivals[0] < 0.3


def test_a_failed_check_resumes_alone(db: Database, fake_llm: FakeLLMServer,  # noqa: F811
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    use_provider(db, "openai", fake_llm.url_openai)
    article_id = new_articles(db, seed(db)[:1])[0]
    fake_llm.add_fault("500", times=FAST_TUNING["max_attempts"], stage="bias_detection")
    # A revised text with a checkable claim, so that finalization has a claim to ask about.
    fake_llm.answer_with("revision", {
        "headline": "Council adopts the budget", "dek": "A 5-2 vote.",
        "body": "The council approved a $4.2 million budget on Monday by a 5-2 vote. [S1]", "changes": []})
    assert run(db, article_id) == "failed"
    rows = stage_rows(db, article_id)
    # The other three checks finished beside the failing one and kept their checkpoints.
    assert {(s, st) for s, _a, st in rows if s in CONCURRENT_STAGES} == {
        ("fact_verification", "completed"), ("bias_detection", "failed"),
        ("perspective_analysis", "completed"), ("originality_check", "completed")}
    with db.read() as session:
        assert "\nbias_detection: " in session.get(AIArticle, article_id).error_log
    calls_before = {stage: fake_llm.count(stage) for stage in CONCURRENT_STAGES}
    assert run(db, article_id) == "completed"
    # Finalization asks each tool once more (its requests carry the tool's name); only the
    # failed check itself was run again.
    assert {stage: fake_llm.count(stage) - calls_before[stage] for stage in CONCURRENT_STAGES} == {
        "fact_verification": 1, "bias_detection": 2, "perspective_analysis": 1, "originality_check": 1}
    assert [(s, a, st) for s, a, st in stage_rows(db, article_id) if s == "bias_detection"] == [
        ("bias_detection", 1, "failed"), ("bias_detection", 2, "completed")]


def test_resuming_a_failed_regeneration_does_not_fall_back_on_the_old_text(
        db: Database, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    use_provider(db, "openai", fake_llm.url_openai)
    article_id = new_articles(db, seed(db)[:1])[0]
    assert run(db, article_id) == "completed"
    fake_llm.add_fault("500", times=FAST_TUNING["max_attempts"], stage="draft")
    assert run(db, article_id, start_stage="draft") == "failed"
    drafts_before = fake_llm.count("draft")
    # Resuming (what a job's next attempt does) starts at the draft again, not after the old one.
    assert run(db, article_id) == "completed"
    assert fake_llm.count("draft") == drafts_before + 1
    assert [(a, st) for s, a, st in stage_rows(db, article_id) if s == "draft"] == [
        (1, "completed"), (2, "failed"), (3, "completed")]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_llm_pipeline_through_real_sdks(db: Database, fake_llm: FakeLLMServer, provider: str,  # noqa: F811
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY" if provider == "openai" else "ANTHROPIC_API_KEY", TEST_KEY)
    url = fake_llm.url_openai if provider == "openai" else fake_llm.url_anthropic
    use_provider(db, provider, url)
    article_id = new_articles(db, seed(db)[:1])[0]
    assert run(db, article_id) == "completed"
    for stage in LLM_STAGES:
        assert fake_llm.count(stage) >= 1, f"{stage} never reached the provider"
    assert all(r.key_header and r.api_key == TEST_KEY for r in fake_llm.requests)
    detail = article_detail(db, article_id)
    assert detail["tokens_in"] > 0 and detail["tokens_out"] > 0
    assert detail["cost_usd"] == 0, "a server on 127.0.0.1 is a local model: it costs nothing"
    assert all(entry["model"] for entry in detail["stage_log"])


def test_long_drafts_are_streamed(db: Database, fake_llm: FakeLLMServer,  # noqa: F811
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    use_provider(db, "anthropic", fake_llm.url_anthropic, target_length=5000)
    article_id = new_articles(db, seed(db)[:1])[0]
    assert run(db, article_id) == "completed"
    drafts = [r for r in fake_llm.requests if r.stage == "draft"]
    assert drafts and all(r.streamed for r in drafts)
    assert not any(r.streamed for r in fake_llm.requests if r.stage == "keyword_analysis")


@pytest.mark.parametrize("fault", ["429", "500", "529", "hang", "reset", "malformed_json", "invalid_schema"])
def test_each_fault_recovers_after_a_retry(db: Database, fake_llm: FakeLLMServer, fault: str,  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    use_provider(db, "openai", fake_llm.url_openai)
    article_id = new_articles(db, seed(db)[:1])[0]
    fake_llm.add_fault(fault, times=1, stage="research", retry_after=0.3, seconds=5)
    assert run(db, article_id) == "completed"
    research = [e for e in article_detail(db, article_id)["stage_log"] if e["stage"] == "research"]
    assert research[0]["status"] == "completed"
    if fault not in ("malformed_json", "invalid_schema"):   # those are repaired, not retried
        assert research[0]["retries"], "the retry is logged on the stage"


@pytest.mark.parametrize("fault", ["429", "500", "529", "invalid_schema"])
def test_exhausted_retries_fail_the_stage_readably(db: Database, fake_llm: FakeLLMServer,  # noqa: F811
                                                   fault: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    use_provider(db, "openai", fake_llm.url_openai)
    article_id = new_articles(db, seed(db)[:1])[0]
    fake_llm.add_fault(fault, times=20, stage="draft", retry_after=0.05)
    assert run(db, article_id) == "failed"
    with db.read() as session:
        article = session.get(AIArticle, article_id)
        error_log = article.error_log
    assert "draft" in error_log and "Traceback" not in error_log
    assert len(error_log.splitlines()[-1]) < 400
    with db.read() as session:
        assert session.scalar(select(func.count()).where(AIWorkflowLog.article_id == article_id,
                                                         AIWorkflowLog.stage == "outline")) == 1


def test_retry_after_is_respected(db: Database, fake_llm: FakeLLMServer,  # noqa: F811
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    use_provider(db, "openai", fake_llm.url_openai)
    article_id = new_articles(db, seed(db)[:1])[0]
    fake_llm.add_fault("429", times=1, stage="keyword_analysis", retry_after=1.0)
    assert run(db, article_id) == "completed"
    attempts = [r for r in fake_llm.requests if r.stage == "keyword_analysis"]
    assert attempts[0].status == 429 and attempts[1].status == 200
    assert attempts[1].time - attempts[0].time >= 0.95


def test_missing_key_fails_fast_with_one_line(db: Database, fake_llm: FakeLLMServer) -> None:  # noqa: F811
    use_provider(db, "anthropic", None)
    article_id = new_articles(db, seed(db)[:1])[0]
    assert run(db, article_id) == "failed"
    with db.read() as session:
        error = session.get(AIArticle, article_id).error_log
    assert error.count("\n") == 0 and "ANTHROPIC_API_KEY" in error
    assert stage_rows(db, article_id) == []


def test_api_key_never_reaches_database_logs_or_exports(home: Path, fake_llm: FakeLLMServer,  # noqa: F811
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.context import AppContext

    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    context = AppContext.open(str(home))
    try:
        use_provider(context.db, "openai", fake_llm.url_openai)
        article_id = new_articles(context.db, seed(context.db)[:1])[0]
        fake_llm.required_key = "some-other-key-entirely"   # a 401 whose body quotes the key we sent
        assert run(context.db, article_id) == "failed"
        fake_llm.required_key = None
        assert run(context.db, article_id) == "completed"
        exported = json.dumps(article_detail(context.db, article_id), default=str)
    finally:
        context.close()
    assert TEST_KEY not in exported
    for path in [home / "copydesk.db", *home.glob("copydesk.db-*"), *(home / "logs").glob("*")]:
        assert TEST_KEY.encode() not in path.read_bytes(), f"the key leaked into {path.name}"

