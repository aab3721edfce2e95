"""ReviewService on a real database of finished articles: reads, decisions, edits, exports, refusals.

The articles are produced once per session by the offline pipeline (before any
qasync loop runs: the pipeline uses asyncio.run) and copied into each test's
fresh data home. Article 1 is then edited so that its checks find one of each
kind of flagged span: a biased word inside an unverifiable claim, a
contradicted claim and a misquote.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.background import BackgroundOps
from app.context import AppContext
from app.services.review import ArticleRow, ArticleView, Decision, ReviewService
from engine.articles import article_detail
from engine.pipeline import offline
from engine.pipeline.persist import load_check_request, store_scores
from engine.pipeline.runner import process_article
from engine.profiles import ProfileStore
from engine.review import revisions, save_edit
from engine.store.db import Database, open_database
from engine.store.models import AIArticle, Job
from tests.pipeline_helpers import new_articles, seed

FLAGGED = 1
# Edits to the demo's council-budget article that give its checks something to flag.
EDITS = (('"We cannot keep balancing the books', '"We cannot keep balancing the budget'),          # misquote
         ("objected to the parks reduction", "slammed the disastrous parks reduction as the deepest cut in 30 years"),  # bias, unverifiable
         ("The motion carried 5-2", "The motion carried 6-1"))                                   # contradicted


def check_in_process(db: Database, article_id: int) -> None:
    """What the engine does for a run_quality_checks job, offline and in this process."""
    with db.read() as session:
        request = load_check_request(session, article_id)
    final = offline.final_scores(request.profile, request.body, list(request.sources), list(request.stakeholders))
    with db.write() as session:
        article = session.get(AIArticle, article_id)
        assert article is not None
        store_scores(session, article, final)


def flag(db: Database, article_id: int) -> None:
    detail = article_detail(db, article_id)
    body = detail["body"]
    for old, new in EDITS:
        assert old in body
        body = body.replace(old, new, 1)
    save_edit(db, article_id, headline=detail["headline"], dek=detail["dek"], body=body, editor="ana")
    check_in_process(db, article_id)


@pytest.fixture(scope="session")
def review_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with three finished articles pending review (session-scoped: instantiated before any loop)."""
    path = tmp_path_factory.mktemp("review-template") / "copydesk.db"
    db = open_database(f"sqlite:///{path}")
    try:
        ids = new_articles(db, seed(db)[:3])
        for article_id in ids:
            assert asyncio.run(process_article(db, article_id)).status == "completed"
        assert ids[0] == FLAGGED
        flag(db, FLAGGED)
    finally:
        db.dispose()
    return path


@pytest.fixture
def finished(home: Path, review_template: Path) -> None:
    """This test's home starts with the template's articles (request it before `context`)."""
    shutil.copy(review_template, home / "copydesk.db")


@pytest.fixture
def review(finished: None, context: AppContext, ops: BackgroundOps) -> ReviewService:
    return ReviewService(context.db, ops, editor="tester", exports_dir=context.home.exports_dir)


def wait_result(qtbot, call, *args, **kwargs):
    """Run a service call and wait for the value its success callback gets."""
    results: list = []
    call(*args, success=results.append, **kwargs)
    qtbot.waitUntil(lambda: bool(results))
    return results[0]


def test_list_is_completed_articles_best_first(qtbot, review: ReviewService) -> None:
    rows: list[ArticleRow] = wait_result(qtbot, review.load)
    assert len(rows) == 3 and {row.review_status for row in rows} == {"pending_review"}
    scores = [row.overall for row in rows]
    assert scores == sorted(scores, reverse=True) and rows[-1].id == FLAGGED
    assert wait_result(qtbot, review.load, "approved") == []


def test_article_comes_rendered_with_its_marks(qtbot, review: ReviewService) -> None:
    view: ArticleView = wait_result(qtbot, review.article, FLAGGED)
    assert view.html.startswith("<p><em>This is an offline draft") and "<h2>What people say</h2>" in view.html
    kinds = {(mark.kind, mark.text) for mark in view.highlights}
    assert {("biased", "slammed"), ("biased", "disastrous")} <= kinds
    assert ("unverifiable", "Council Member Rosa Alvarez (District 2) slammed the disastrous parks reduction as the "
            "deepest cut in 30 years.") in kinds
    assert any(kind == "contradicted" and text.startswith("The motion carried 6-1") for kind, text in kinds)
    assert any(kind == "misquote" and "balancing the budget" in text for kind, text in kinds)
    misquote = next(mark for mark in view.highlights if mark.kind == "misquote")
    assert "'budget' where the source has 'books'" in misquote.tooltip
    assert view.scores["overall"] is not None and view.passed is not None
    assert view.publish_folder == review.exports_dir / "published"


def test_decisions_announce_what_changed(qtbot, review: ReviewService, context: AppContext) -> None:
    seen: list[tuple] = []
    review.article_changed.connect(lambda article_id: seen.append(("article", article_id)))
    review.articles_changed.connect(lambda: seen.append(("list",)))
    decision: Decision = wait_result(qtbot, review.decide, 2, "rejected", reason="one-sided")
    assert seen == [("article", 2), ("list",)]      # announced before the caller hears back
    assert decision == Decision(2, "pending_review", "rejected")
    detail = article_detail(context.db, 2)
    assert (detail["review_status"], detail["reviewed_by"], detail["review_reason"]) == ("rejected", "tester",
                                                                                         "one-sided")


def test_a_refusal_arrives_as_the_engines_own_line(qtbot, review: ReviewService, ops: BackgroundOps) -> None:
    failures: list[BaseException] = []
    with qtbot.waitSignal(ops.failed) as failed:
        review.publish(2, failure=failures.append)
    assert failed.args == ["article #2 must be approved before it is published"]
    qtbot.waitUntil(lambda: bool(failures))
    with qtbot.waitSignal(ops.failed) as failed:
        review.regenerate(2, "no_such_stage")
    assert failed.args[0].startswith("unknown stage")


def test_edit_adds_a_revision_and_queues_the_checks(qtbot, review: ReviewService, context: AppContext) -> None:
    before = len(revisions(context.db, 2))
    saved = wait_result(qtbot, review.save_edit, 2, headline="Bus cuts: the vote", dek="", body="The board voted.")
    assert saved.revision == before + 1 and revisions(context.db, 2)[-1]["author"] == "tester"
    with context.db.read() as session:
        job = session.get(Job, saved.check_job)
        assert (job.kind, job.article_id, job.status) == ("run_quality_checks", 2, "PENDING")


def test_regenerate_queues_the_pipeline_from_a_stage(qtbot, review: ReviewService, context: AppContext) -> None:
    queued = wait_result(qtbot, review.regenerate, 3, "revision")
    with context.db.read() as session:
        job = session.get(Job, queued.job_id)
        assert (job.kind, job.args["start_stage"]) == ("retry_article_stage", "revision")
        assert session.get(AIArticle, 3).status == "queued"
    assert [row.id for row in wait_result(qtbot, review.load)] == [2, FLAGGED]    # out of review until done
    with context.db.read() as session:
        assert session.scalar(select(Job.id).where(Job.article_id == 3, Job.kind == "retry_article_stage"))


def test_export_and_publish_write_files(qtbot, review: ReviewService, context: AppContext, tmp_path: Path) -> None:
    export = wait_result(qtbot, review.export, FLAGGED, "json")
    assert export.filename == f"{FLAGGED}-city-council-vote-on-the-2026-27-budget.json"
    written = wait_result(qtbot, review.save_export, export, tmp_path / "chosen" / "budget.json")
    assert json.loads(written.read_text(encoding="utf-8"))["id"] == FLAGGED
    ProfileStore(context.db).save_publish_folder(str(tmp_path / "site"))
    wait_result(qtbot, review.decide, FLAGGED, "approved")
    published = wait_result(qtbot, review.publish, FLAGGED)
    assert published.parent == tmp_path / "site" and published.read_text(encoding="utf-8").startswith("<!DOCTYPE")
    assert article_detail(context.db, FLAGGED)["review_status"] == "published"
