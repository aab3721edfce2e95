"""Review actions on a finished article: decisions, overrides, edits, exports, publishing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from engine.articles import article_detail
from engine.estimate import estimate_batch
from engine.pipeline.runner import process_article
from engine.providers.pricing import load_pricing
from engine.review import (
    ReviewError,
    export_article,
    override_claim,
    publish,
    render_html,
    revisions,
    save_edit,
    set_review_status,
    write_export,
)
from engine.store.db import Database
from tests.pipeline_helpers import new_articles, seed, use_provider


@pytest.fixture
def article_id(db: Database) -> int:
    article = new_articles(db, seed(db)[:1])[0]
    assert asyncio.run(process_article(db, article)).status == "completed"
    return article


def test_decisions_record_who_and_when(db: Database, article_id: int) -> None:
    assert set_review_status(db, article_id, "approved", editor="ana") == "pending_review"
    detail = article_detail(db, article_id)
    assert (detail["review_status"], detail["reviewed_by"]) == ("approved", "ana") and detail["reviewed_at"]
    set_review_status(db, article_id, "rejected", editor="ben", reason="one-sided")
    assert article_detail(db, article_id)["review_reason"] == "one-sided"
    with pytest.raises(ReviewError, match="cannot become published"):
        set_review_status(db, article_id, "published", editor="ben")


def test_claim_override_is_recorded_and_cleared(db: Database, article_id: int) -> None:
    claim = article_detail(db, article_id)["claims"][0]
    override_claim(db, claim["id"], "contradicted", editor="ana")
    changed = next(c for c in article_detail(db, article_id)["claims"] if c["id"] == claim["id"])
    assert (changed["effective_verdict"], changed["override_by"]) == ("contradicted", "ana") and changed["override_at"]
    override_claim(db, claim["id"], None, editor="ana")
    cleared = next(c for c in article_detail(db, article_id)["claims"] if c["id"] == claim["id"])
    assert cleared["effective_verdict"] == claim["verdict"] and cleared["override_by"] is None
    with pytest.raises(ReviewError, match="not one of"):
        override_claim(db, claim["id"], "true-ish", editor="ana")


def test_edit_adds_a_revision_and_keeps_the_old_text(db: Database, article_id: int) -> None:
    before = article_detail(db, article_id)
    number = save_edit(db, article_id, headline="Council votes on the budget", dek="A short dek.",
                       body="The council voted 5-2 on June 4.", editor="ana", note="tightened")
    assert number == 3
    history = revisions(db, article_id)
    assert [r["author"] for r in history] == ["pipeline:draft", "pipeline:revision", "ana"]
    assert history[1]["body"] == before["body"]
    assert article_detail(db, article_id)["body"] == "The council voted 5-2 on June 4."
    with pytest.raises(ReviewError, match="empty"):
        save_edit(db, article_id, headline="x", dek="", body="  ", editor="ana")


def test_exports_and_publish(db: Database, article_id: int, tmp_path: Path) -> None:
    markdown = export_article(db, article_id, "md")
    assert markdown.filename.endswith(".md") and markdown.content.startswith("# ")
    page = export_article(db, article_id, "html").content
    assert page.startswith("<!DOCTYPE html>") and "<h2>" in page and "<script" not in page
    data = json.loads(export_article(db, article_id, "json").content)
    assert data["id"] == article_id and "claims" in data and "overall_quality_score" in data
    with pytest.raises(ReviewError, match="must be approved"):
        publish(db, article_id, tmp_path / "out", editor="ana")
    assert not (tmp_path / "out").exists()
    set_review_status(db, article_id, "approved", editor="ana")
    path = publish(db, article_id, tmp_path / "out", editor="ana")
    assert path.exists() and path.suffix == ".html" and not list((tmp_path / "out").glob("*.part"))
    detail = article_detail(db, article_id)
    assert detail["review_status"] == "published" and detail["published_at"]
    assert write_export(db, article_id, "json", tmp_path / "out").name.endswith(".json")
    with pytest.raises(ReviewError, match="published"):
        save_edit(db, article_id, headline="h", dek="", body="b", editor="ana")


def test_rendering_is_sanitised() -> None:
    html = render_html("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**")
    assert "<script" not in html and "href=\"javascript" not in html and "<strong>bold</strong>" in html


def test_batch_estimate(db: Database) -> None:
    keywords = seed(db)
    pricing = load_pricing()
    offline = estimate_batch(db, keywords, pricing)
    assert (offline.provider, offline.tokens, offline.cost_usd) == ("offline", 0, 0.0)
    use_provider(db, "openai", None, model="gpt-4o-mini")
    estimate = estimate_batch(db, keywords, pricing)
    assert estimate.articles == len(keywords) and estimate.input_tokens > estimate.output_tokens > 0
    assert estimate.cost_usd > 0 and estimate.price_known
