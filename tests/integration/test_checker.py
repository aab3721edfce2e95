"""The checker-model route through the real OpenAI SDK against the fake server: an offline
draft checked by a grounded fact-checking model ("minicheck" protocol), and an article's
checks re-run by a general LLM judge from the command line."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from engine.articles import article_detail
from engine.pipeline.runner import process_article
from engine.quality import CheckerSettings, SourceDoc, analyze_text, analyze_text_with_checker
from engine.quality.checker import MINICHECK_CONFIDENCE
from engine.review import export_article
from engine.store.db import Database
from engine.store.models import AIGenerationConfig, AIWorkflowLog
from tests.conftest import CLI
from tests.fakes.fixtures import fake_llm  # noqa: F401
from tests.fakes.llm_server import FakeLLMServer
from tests.pipeline_helpers import FAST_TUNING, TEST_KEY, new_articles, seed


def set_checker(db: Database, **checker: str) -> None:
    with db.write() as session:
        config = session.scalar(select(AIGenerationConfig).where(AIGenerationConfig.is_default))
        assert config is not None
        config.checker = checker


def _last_message(record_body: dict) -> str:
    return record_body["messages"][-1]["content"]


def test_offline_draft_checked_by_a_minicheck_model(db: Database, cli: CLI, fake_llm: FakeLLMServer,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    set_checker(db, provider="openai", model="bespoke-minicheck", base_url=fake_llm.url_openai)
    article_id = new_articles(db, seed(db)[:1])[0]
    assert asyncio.run(process_article(db, article_id)).status == "completed"

    requests = fake_llm.requests
    assert requests, "the checker was never asked"
    # Generation stayed offline; only fact checks reached the checker, one claim per request,
    # in the model's own protocol, with logprobs asked for.
    assert {r.stage for r in requests} == {"fact_verification"}
    for record in requests:
        assert record.model == "bespoke-minicheck" and record.api_key == TEST_KEY
        prompt = _last_message(record.body)
        assert prompt.startswith("Document: ") and prompt.count("\nClaim: ") == 1
        assert record.body["logprobs"] is True and "response_format" not in record.body
    with db.read() as session:
        logs = {row.stage: row for row in session.scalars(
            select(AIWorkflowLog).where(AIWorkflowLog.article_id == article_id))}
    checked = logs["fact_verification"].output["report"]["claims"]
    final_claims = logs["finalization"].output["fact"]["claims"]
    assert len(requests) == len(checked) + len(final_claims)
    assert logs["draft"].model == "offline" and logs["fact_verification"].model == "bespoke-minicheck"

    detail = article_detail(db, article_id)
    assert detail["claims"]
    for claim in detail["claims"]:
        assert claim["checker"].startswith("openai:bespoke-minicheck")
        assert claim["confidence"] == pytest.approx(0.9)     # from the fake server's logprobs
    checkers = detail["quality_checkers"]
    assert checkers["fact_check"]["checker"] == "openai:bespoke-minicheck"
    assert checkers["fact_check"]["confidence"] == pytest.approx(0.9)
    # A fact checker says nothing about wording, voices or copying: those stay with the rules.
    assert {checkers[k]["checker"] for k in ("bias", "perspective", "originality")} == {"offline rules"}
    # The offline draft repeats its sources word for word: the originality gate stops it.
    assert detail["originality_score"] < 40 and detail["quality_passed"] is False
    assert any(gate.startswith("originality_score ") for gate in detail["failed_gates"])

    # `articles show` says the same, in text and JSON.
    shown = cli("articles", "show", str(article_id), check=True).stdout
    assert "fact-check checked by openai:bespoke-minicheck, 90 % sure" in shown
    assert "bias, perspective, originality checked by offline rules" in shown
    assert f"({detail['claims'][0]['checker']}, 90 % sure)" in shown
    shown_json = cli.json("articles", "show", str(article_id))
    assert shown_json["quality_checkers"] == checkers and shown_json["claims"][0]["confidence"] == pytest.approx(0.9)

    # So do the exports: JSON in fields, Markdown and HTML in a comment no reader sees.
    exports = {fmt: export_article(db, article_id, fmt).content for fmt in ("md", "html", "json")}
    assert json.loads(exports["json"])["quality_checkers"] == checkers
    for fmt in ("md", "html"):
        notes = exports[fmt][exports[fmt].rindex("<!--"):]
        assert "fact-check" in notes and "(openai:bespoke-minicheck, 90 % sure)" in notes and notes.rstrip().endswith(
            "-->" if fmt == "md" else "</html>")
        assert "bias 0 (offline rules)" in notes or "(offline rules)" in notes


SOURCE = SourceDoc("S1", "Council minutes", "The council approved the library budget of $2.4 million on Monday. "
                   "Two members voted against it.")
TEXT = ("The council approved the library budget of $2.4 million on Monday [S1]. "
        "The mayor promised a new swimming pool by 2028 [S1].\n")


def test_minicheck_verdicts_say_who_decided_how_sure_and_what_next(fake_llm: FakeLLMServer,  # noqa: F811
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    checker = CheckerSettings.of("openai", "bespoke-minicheck", fake_llm.url_openai, **FAST_TUNING)
    report = asyncio.run(analyze_text_with_checker(checker, TEXT, [SOURCE]))
    supported, pool = report.fact.claims
    assert (supported.verdict, supported.checker, supported.source_label) == (
        "supported", "openai:bespoke-minicheck", "S1")
    assert pool.verdict == "unverifiable" and pool.checker == "openai:bespoke-minicheck"
    assert pool.confidence == pytest.approx(0.9) and "no support" in pool.reason
    assert report.fact.checker == "openai:bespoke-minicheck" and report.bias.checker == "offline rules"
    assert report.fact.fact_check_score < 100

    fake_llm.send_logprobs = False   # a server that ignores the option: the documented fixed value
    again = asyncio.run(analyze_text_with_checker(checker, TEXT, [SOURCE]))
    assert {c.confidence for c in again.fact.claims} == {MINICHECK_CONFIDENCE}


def test_check_with_a_general_llm_checker(db: Database, cli: CLI, fake_llm: FakeLLMServer) -> None:  # noqa: F811
    article_id = new_articles(db, seed(db)[:1])[0]
    assert asyncio.run(process_article(db, article_id)).status == "completed"
    before = article_detail(db, article_id)
    assert {c["checker"] for c in before["claims"]} == {"offline rules"}

    result = cli("check", str(article_id), "--checker-provider", "openai", "--checker-model", "judge-model",
                 "--checker-base-url", fake_llm.url_openai, "--json", env={"OPENAI_API_KEY": TEST_KEY}, check=True)
    report = json.loads(result.stdout)
    # The judge answers in a schema per tool: claims with passages, and findings.
    assert {r.stage for r in fake_llm.requests} == {
        "fact_verification", "bias_detection", "perspective_analysis", "originality_check"}
    assert all(r.model == "judge-model" and r.body.get("response_format") for r in fake_llm.requests)
    checkers = report["quality_checkers"]
    assert all("openai:judge-model" in checkers[k]["checker"] for k in ("fact_check", "bias"))
    assert all(c["checker"] in ("offline rules", "openai:judge-model", "openai:judge-model + offline rules")
               for c in report["claims"])
    assert any("judge-model" in c["checker"] for c in report["claims"])
    for claim in report["claims"]:
        assert 0 <= claim["confidence"] <= 1
        assert bool(claim["next_step"]) == (claim["effective_verdict"] != "supported")
    # The key reached the server and nothing else.
    assert all(r.api_key == TEST_KEY for r in fake_llm.requests)
    assert TEST_KEY not in result.stdout + result.stderr
    for log_file in (cli.home / "logs").glob("*"):
        assert TEST_KEY not in log_file.read_text(encoding="utf-8", errors="replace")
    assert TEST_KEY not in (cli.home / "copydesk.db").read_bytes().decode("utf-8", errors="replace")


def test_a_bad_checker_setting_is_one_line(db: Database, cli: CLI) -> None:
    article_id = new_articles(db, seed(db)[:1])[0]
    assert asyncio.run(process_article(db, article_id)).status == "completed"
    result = cli("check", str(article_id), "--checker-provider", "openai", "--checker-model", "x",
                 "--checker-protocol", "telepathy")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "checker protocol must be one of" in result.stderr


def test_a_models_preamble_is_not_a_claim(db: Database, fake_llm: FakeLLMServer,  # noqa: F811
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.pipeline_helpers import use_provider

    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    use_provider(db, "openai", fake_llm.url_openai)
    fake_llm.answer_with("claims", {"claims": [
        {"text": "Here are the checkable claims from the article:"},
        {"text": "Sure! Below is the list you asked for."},
        {"text": "The council approved the budget on Monday."},
    ]})
    article_id = new_articles(db, seed(db)[:1])[0]
    assert asyncio.run(process_article(db, article_id)).status == "completed"
    with db.read() as session:
        claims = session.scalar(select(AIWorkflowLog.output).where(AIWorkflowLog.article_id == article_id,
                                                                   AIWorkflowLog.stage == "claims"))
        checked = session.scalar(select(AIWorkflowLog.output).where(
            AIWorkflowLog.article_id == article_id, AIWorkflowLog.stage == "fact_verification"))
    assert [c["text"] for c in claims["claims"]] == ["The council approved the budget on Monday."]
    assert [c["text"] for c in checked["report"]["claims"]] == ["The council approved the budget on Monday."]


@pytest.mark.slow
def test_generate_in_the_worker_pool_with_a_checker_from_the_environment(cli: CLI) -> None:
    """The route through the dispatcher and a worker process: COPYDESK_CHECKER_* pick the checker."""
    with FakeLLMServer(seed=1) as fake:
        cli("demo", check=True)
        env = {"OPENAI_API_KEY": TEST_KEY, "COPYDESK_CHECKER_PROVIDER": "openai",
               "COPYDESK_CHECKER_MODEL": "bespoke-minicheck", "COPYDESK_CHECKER_BASE_URL": fake.url_openai}
        result = cli.json("generate", "--keyword", "1", "--wait", "--workers", "1", env=env)
        article = result["articles"][0]
        assert article["status"] == "completed" and article["model"] == "offline"
        # generate's preflight tried the checker's server once; then only fact checks reached it.
        assert [r.stage for r in fake.requests].count("check_connection") == 1
        checks = [r for r in fake.requests if r.stage != "check_connection"]
        assert checks and {r.stage for r in checks} == {"fact_verification"}
        assert all(_last_message(r.body).startswith("Document: ") for r in checks)
        shown = cli.json("articles", "show", str(article["id"]))
        assert shown["quality_checkers"]["fact_check"]["checker"] == "openai:bespoke-minicheck"


@pytest.mark.slow
def test_an_edited_articles_checks_run_in_a_worker_with_the_profiles_checker(
        db: Database, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """run_quality_checks (what the Review screen queues after an edit) in a worker process."""
    from engine.execution.dispatcher import Dispatcher
    from engine.execution.settings import EngineSettings
    from engine.execution.tasks import run_quality_checks
    from engine.review import save_edit
    from engine.store.models import Job

    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)      # the worker process inherits it
    article_id = new_articles(db, seed(db)[:1])[0]
    assert asyncio.run(process_article(db, article_id)).status == "completed"
    set_checker(db, provider="openai", model="bespoke-minicheck", base_url=fake_llm.url_openai)
    detail = article_detail(db, article_id)
    save_edit(db, article_id, headline=detail["headline"], dek=detail["dek"],
              body=detail["body"] + "\nThe mayor promised a new swimming pool by 2028 [S1].\n", editor="ana")
    job_id = run_quality_checks(db, article_id)
    dispatcher = Dispatcher(db, EngineSettings(workers=1, slots=2, lease_s=5.0), poll_s=0.02)
    dispatcher.start()
    try:
        def ended() -> bool:
            with db.read() as session:
                return session.get(Job, job_id).status in ("SUCCESS", "FAILURE")

        assert dispatcher.wait_for(ended, timeout_s=60)
    finally:
        dispatcher.stop(graceful=False)
    with db.read() as session:
        assert session.get(Job, job_id).status == "SUCCESS"
    claims = article_detail(db, article_id)["claims"]
    assert {c["checker"].split(" + ")[0] for c in claims} == {"openai:bespoke-minicheck"}
    pool = next(c for c in claims if c["text"].startswith("The mayor promised"))
    assert pool["verdict"] == "unverifiable" and pool["next_step"].endswith("or cut the claim.")
    assert {r.stage for r in fake_llm.requests} == {"fact_verification"}


def test_the_batch_estimate_prices_the_checks_at_the_checkers_model(db: Database) -> None:
    from engine.estimate import estimate_batch
    from engine.providers.pricing import load_pricing

    keywords, pricing = seed(db), load_pricing()
    assert estimate_batch(db, keywords, pricing).cost_usd == 0            # offline throughout
    set_checker(db, provider="openai", model="gpt-4o-mini")              # offline drafts, a paid judge
    judged = estimate_batch(db, keywords, pricing)
    assert judged.provider == "offline" and judged.cost_usd > 0 and judged.price_known
    set_checker(db, provider="openai", model="bespoke-minicheck", base_url="http://localhost:11434/v1")
    local = estimate_batch(db, keywords, pricing)
    assert local.cost_usd == 0 and local.tokens > 0 and local.price_known   # a model on this machine is free


def test_a_minicheck_yes_is_held_to_the_figures(fake_llm: FakeLLMServer,  # noqa: F811
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    checker = CheckerSettings.of("openai", "bespoke-minicheck", fake_llm.url_openai, **FAST_TUNING)
    wrong = "The council approved the library budget of $3.1 million on Monday [S1].\n"
    rules = analyze_text(wrong, [SOURCE]).fact.claims[0]
    report = asyncio.run(analyze_text_with_checker(checker, wrong, [SOURCE]))
    claim = report.fact.claims[0]
    # The fake model says Yes (it ignores figures); the rules' contradiction stands, with their confidence.
    assert _last_message(fake_llm.requests[0].body).endswith("Claim: " + claim.text)
    assert (claim.verdict, claim.checker) == ("contradicted", "openai:bespoke-minicheck + offline rules")
    assert claim.confidence == rules.confidence and "$2.4 million" in claim.reason
