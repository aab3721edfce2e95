"""The editor operations' rules (engine/operations) as the desktop app's services meet them.

The same rules through the real `copydesk` command are in tests/integration/test_operations.py.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from app.background import BackgroundOps
from app.context import AppContext
from app.services.queue import GenerationPlan, GenerationResult, QueueService, RetryResult
from app.services.review import Action, ReviewService
from engine.articles import list_articles
from engine.store.models import AIArticle, Job
from tests.pipeline_helpers import seed


def call(qtbot, method, *args, **kwargs):
    """Run a service call and wait for its success callback's value."""
    results: list[object] = []
    method(*args, success=results.append, **kwargs)
    qtbot.waitUntil(lambda: bool(results))
    return results[0]


def refusal(qtbot, ops: BackgroundOps, method, *args) -> str:
    """Run a service call the engine refuses; the one line shown to the editor."""
    failures: list[BaseException] = []
    with qtbot.waitSignal(ops.failed) as failed:
        method(*args, failure=failures.append)
    qtbot.waitUntil(lambda: bool(failures))
    return failed.args[0]


@pytest.fixture
def queue(context: AppContext, ops: BackgroundOps) -> QueueService:
    return QueueService(context, ops)


@pytest.fixture
def review(context: AppContext, ops: BackgroundOps) -> ReviewService:
    return ReviewService(context.db, ops, editor="tester", exports_dir=context.home.exports_dir)


def set_statuses(context: AppContext, article_id: int, status: str, review_status: str) -> None:
    """Put an article where a finished run and an editor's decisions would have left it."""
    with context.db.write() as session:
        article = session.get(AIArticle, article_id)
        assert article is not None
        article.status, article.review_status = status, review_status
        for job in session.scalars(select(Job).where(Job.article_id == article_id)):
            job.status = "SUCCESS"


def generate_approved(qtbot, queue: QueueService) -> GenerationResult:
    """What the Queue screen's "Generate approved (N)" does: plan, then queue the plan."""
    plan: GenerationPlan = call(qtbot, queue.plan_generation)
    assert call(qtbot, queue.waiting_count) == len(plan.keyword_ids), "the button's N is the plan"
    return call(qtbot, queue.generate, plan.keyword_ids)


def test_generate_approved_twice_queues_each_keyword_once(qtbot, context: AppContext, queue: QueueService) -> None:
    approved = seed(context.db)
    first = generate_approved(qtbot, queue)
    assert len(first.article_ids) == len(approved) >= 2
    second = generate_approved(qtbot, queue)
    assert second.article_ids == () and second.refused == "No approved keywords are waiting for an article."
    per_keyword = Counter(a["keyword_id"] for a in list_articles(context.db))
    assert sorted(per_keyword) == sorted(approved) and set(per_keyword.values()) == {1}


def test_regenerate_refuses_a_queued_a_failed_and_a_published_article(
        qtbot, context: AppContext, queue: QueueService, review: ReviewService, ops: BackgroundOps) -> None:
    seed(context.db)
    queued, failed, published = generate_approved(qtbot, queue).article_ids[:3]
    line = refusal(qtbot, ops, review.regenerate, queued, "draft")
    assert line.startswith(f"article #{queued} is already queued")
    set_statuses(context, failed, "failed", "pending_review")
    assert "only a completed article is regenerated" in refusal(qtbot, ops, review.regenerate, failed, "draft")
    set_statuses(context, published, "completed", "published")
    assert refusal(qtbot, ops, review.regenerate, published, "draft") == \
        f"article #{published} is published; it can no longer be run again"
    with context.db.read() as session:
        kinds = set(session.scalars(select(Job.kind).where(Job.article_id.in_([queued, failed, published]))))
    assert kinds == {"generate_article"}, "nothing was queued by a refused regenerate"


def test_queue_retry_takes_only_stopped_articles_without_an_open_job(
        qtbot, context: AppContext, queue: QueueService) -> None:
    seed(context.db)
    queued, failed, published = generate_approved(qtbot, queue).article_ids[:3]
    set_statuses(context, failed, "failed", "pending_review")
    set_statuses(context, published, "completed", "published")
    result: RetryResult = call(qtbot, queue.retry, [queued, failed, published])
    assert result.retried == (failed,) and result.skipped == (queued, published)
    with context.db.read() as session:
        assert session.get(AIArticle, failed).status == "queued"
        assert session.scalar(select(Job.kind).where(Job.article_id == failed, Job.status == "PENDING")) == \
            "retry_article_stage"


def test_the_review_list_offers_what_the_engine_allows(qtbot, context: AppContext, queue: QueueService,
                                                       review: ReviewService) -> None:
    seed(context.db)
    ids = generate_approved(qtbot, queue).article_ids[:4]
    for article_id, review_status in zip(ids, ("pending_review", "approved", "rejected", "published"), strict=True):
        set_statuses(context, article_id, "completed", review_status)
    rows = {row.id: row for row in call(qtbot, review.load)}
    edit = {Action.EDIT, Action.REGENERATE, Action.EXPORT}
    assert rows[ids[0]].actions == {Action.APPROVE, Action.REJECT, *edit}
    assert rows[ids[1]].actions == {Action.REJECT, Action.BACK_TO_PENDING, Action.PUBLISH, *edit}
    assert rows[ids[2]].actions == {Action.APPROVE, Action.BACK_TO_PENDING, *edit}
    assert rows[ids[3]].actions == {Action.EXPORT}


def test_a_published_article_cannot_be_decided_again(qtbot, context: AppContext, queue: QueueService,
                                                     review: ReviewService, ops: BackgroundOps) -> None:
    seed(context.db)
    article = generate_approved(qtbot, queue).article_ids[0]
    set_statuses(context, article, "completed", "published")
    for to_status in ("approved", "rejected", "pending_review"):
        line = refusal(qtbot, ops, review.decide, article, to_status)
        assert line == f"article #{article} is published; it cannot become {to_status.replace('_', ' ')}"
    with context.db.read() as session:
        assert session.get(AIArticle, article).review_status == "published"
