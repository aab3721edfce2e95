"""The Review screen says who checked each score and claim, how sure it is, and what to do next.

Two finished articles: one checked by the offline rules, one whose facts were checked by a
grounded fact-checking model (the fake server's "minicheck" model through the real OpenAI
SDK) after an editor added a sentence no source states.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from app.background import BackgroundOps
from app.context import AppContext
from app.services.review import ReviewService
from engine.articles import article_detail
from engine.pipeline.checks import check_provider_settings, checker_of, run_checks
from engine.pipeline.persist import load_check_request, store_scores
from engine.pipeline.runner import process_article
from engine.providers import make_provider
from engine.review import save_edit
from engine.store.db import open_database
from engine.store.models import AIArticle
from tests.fakes.llm_server import FakeLLMServer
from tests.gui.helpers import focus
from tests.pipeline_helpers import TEST_KEY, new_articles, seed
from ui.models.review_claims import CHECKER, NEXT_STEP, SURE, VERDICT
from ui.screens.review import ReviewScreen

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
UNSOURCED = "The mayor promised a new swimming pool for Eastgate by 2028 [S1]."
MINICHECK = {"checker_provider": "openai", "checker_model": "bespoke-minicheck"}


async def _check(db, article_id: int, overrides: dict[str, str]) -> None:
    with db.read() as session:
        request = load_check_request(session, article_id, overrides)
    settings = check_provider_settings(request)
    provider = make_provider(settings) if settings else None
    try:
        final = await run_checks(request.profile, request.body, list(request.sources), list(request.stakeholders),
                                 checker_of(request, provider))
    finally:
        if provider is not None:
            await provider.aclose()
    with db.write() as session:
        article = session.get(AIArticle, article_id)
        assert article is not None
        store_scores(session, article, final)


@pytest.fixture(scope="session")
def checker_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Article 1 offline throughout; article 2 edited and its checks re-run by the minicheck model."""
    path = tmp_path_factory.mktemp("checker-template") / "copydesk.db"
    db = open_database(f"sqlite:///{path}")
    previous_key = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = TEST_KEY
    try:
        with FakeLLMServer(seed=0) as fake:
            offline_id, checked_id = new_articles(db, seed(db)[:2])
            for article_id in (offline_id, checked_id):
                assert asyncio.run(process_article(db, article_id)).status == "completed"
            detail = article_detail(db, checked_id)
            save_edit(db, checked_id, headline=detail["headline"], dek=detail["dek"],
                      body=detail["body"].rstrip() + "\n\n" + UNSOURCED + "\n", editor="ana")
            overrides = {**MINICHECK, "checker_base_url": fake.url_openai}
            asyncio.run(_check(db, checked_id, overrides))
            assert fake.count("fact_verification") > 0
    finally:
        if previous_key is None:
            os.environ.pop("OPENAI_API_KEY", None)
        else:
            os.environ["OPENAI_API_KEY"] = previous_key
        db.dispose()
    return path


@pytest.fixture
def copied(home: Path, checker_template: Path) -> None:
    """This test's home starts with the template's articles (request it before `context`)."""
    shutil.copy(checker_template, home / "copydesk.db")


@pytest.fixture
def review_screen(copied: None, context: AppContext, ops: BackgroundOps, qtbot) -> ReviewScreen:
    service = ReviewService(context.db, ops, editor="tester", exports_dir=context.home.exports_dir)
    widget = ReviewScreen(service)
    service.setParent(widget)
    qtbot.addWidget(widget)
    widget.resize(1440, 900)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: not widget.is_loading and widget.proxy.rowCount() == 2)
    return widget


def show(qtbot, widget: ReviewScreen, article_id: int) -> None:
    row = next(r for r in range(widget.proxy.rowCount()) if widget.proxy.id_at(r) == article_id)
    widget.table.selectRow(row)
    qtbot.waitUntil(lambda: widget.current_article is not None and widget.current_article.id == article_id)


def test_score_panel_and_claims_say_who_checked_how_sure_and_what_next(qtbot, review_screen: ReviewScreen) -> None:
    widget = review_screen
    show(qtbot, widget, 2)
    panel = widget.score_panel
    checkers = panel.checkers_label.text()
    assert "Checked by" in checkers and "Fact-check: openai:bespoke-minicheck, 90 % sure" in checkers
    assert "Bias, Perspective balance, Originality: offline rules" in checkers
    assert "checked by openai:bespoke-minicheck" in panel.value_labels["fact_check"].toolTip()
    # The draft repeats its sources: the originality gate says so in words.
    assert "Originality" in panel.gates_label.text() and "below the minimum of 40" in panel.gates_label.text()

    model = widget.claims_model
    rows = range(model.rowCount())
    assert rows and {model.index(r, CHECKER).data() for r in rows} <= {
        "openai:bespoke-minicheck", "openai:bespoke-minicheck + offline rules"}
    assert {model.index(r, SURE).data() for r in rows} == {"90 %"}
    unsourced = next(r for r in rows if model.claim_at(r).text.startswith("The mayor promised"))
    assert model.index(unsourced, VERDICT).data() == "unverifiable"
    next_step = model.index(unsourced, NEXT_STEP).data()
    assert next_step.endswith("Add a source that states this, or cut the claim.")
    focus(qtbot, widget.claims_table)
    widget.claims_table.selectRow(unsourced)
    qtbot.waitUntil(lambda: "Next step:" in widget.claim_detail.text())
    assert "checked by openai:bespoke-minicheck, 90 % sure" in widget.claim_detail.text()
    ARTIFACTS.mkdir(exist_ok=True)
    assert widget.grab().save(str(ARTIFACTS / "review_checker.png"))

    show(qtbot, widget, 1)
    assert "Fact-check: offline rules, " in panel.checkers_label.text() and "% sure" in panel.checkers_label.text()
    assert "minicheck" not in panel.checkers_label.text()
    assert {model.index(r, CHECKER).data() for r in range(model.rowCount())} == {"offline rules"}
