"""The editor operations' rules (engine/operations), through the real `copydesk` command and the engine.

The same rules seen from the desktop app's services are in tests/gui/test_operations_services.py.
"""

from __future__ import annotations

from collections import Counter
from itertools import product
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.errors import EditorError
from engine.operations.review import Action, allowed_actions
from engine.review import ReviewError, set_review_status
from engine.states import (
    ArticleStatus,
    IllegalTransition,
    ReviewStatus,
    require_article_move,
    require_review_move,
)
from engine.store.db import Database
from engine.store.models import AIArticle, Job
from tests.conftest import CLI

pytestmark = pytest.mark.slow


def articles_per_keyword(cli: CLI) -> Counter[int]:
    return Counter(article["keyword_id"] for article in cli.json("articles", "list"))


def set_statuses(db: Database, article_id: int, status: str, review_status: str) -> None:
    """Put an article where a finished run and an editor's decisions would have left it."""
    with db.write() as session:
        article = session.get(AIArticle, article_id)
        assert article is not None
        article.status, article.review_status = status, review_status
        for job in session.scalars(select(Job).where(Job.article_id == article_id)):
            job.status = "SUCCESS"


def test_generate_approved_twice_queues_each_keyword_once(cli: CLI) -> None:
    cli("demo", check=True)
    first = cli.json("generate", "--approved")
    approved = {k["id"] for k in cli.json("keywords", "list", "--status", "approved")}
    assert first["created"] == len(approved) >= 2
    again = cli("generate", "--approved")
    assert again.returncode == 1 and again.stderr.count("\n") == 1
    assert "already has an article" in again.stderr
    counts = articles_per_keyword(cli)
    assert set(counts) == approved and set(counts.values()) == {1}
    assert len(cli.json("jobs", "list", "--status", "PENDING")) == len(approved)


def test_a_named_keyword_may_get_another_article(cli: CLI) -> None:
    cli("demo", check=True)
    cli("generate", "--approved", check=True)
    keyword = str(cli.json("keywords", "list", "--status", "approved")[0]["id"])
    cli("generate", "--keyword", keyword, check=True)
    assert articles_per_keyword(cli)[int(keyword)] == 2


def test_retry_refuses_a_queued_and_a_published_article(cli: CLI, db: Database) -> None:
    cli("demo", check=True)
    queued = cli.json("generate", "--keyword", "1")["article_ids"][0]
    refused = cli("retry", str(queued), "--stage", "draft")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert f"article #{queued} is already queued" in refused.stderr
    set_statuses(db, queued, "completed", "published")
    refused = cli("retry", str(queued), "--stage", "draft")
    assert refused.returncode == 1 and f"article #{queued} is published" in refused.stderr
    assert len(cli.json("jobs", "list")) == 1, "nothing was queued by a refused retry"
    assert cli.json("articles", "show", str(queued))["retry_count"] == 0


@pytest.mark.parametrize(("status", "review"), list(product(ArticleStatus, ReviewStatus)))
def test_allowed_actions_follow_the_review_table(status: ArticleStatus, review: ReviewStatus) -> None:
    class Article:
        pass

    article = Article()
    article.status, article.review_status = status.value, review.value
    allowed = allowed_actions(article)
    if status != ArticleStatus.COMPLETED:
        expected_queue = {ArticleStatus.QUEUED: {Action.CANCEL, Action.RAISE_PRIORITY},
                          ArticleStatus.GENERATING: {Action.CANCEL},
                          ArticleStatus.FAILED: {Action.RETRY}, ArticleStatus.CANCELLED: {Action.RETRY}}[status]
        if review == ReviewStatus.PUBLISHED and status in (ArticleStatus.FAILED, ArticleStatus.CANCELLED):
            expected_queue = set()      # a published article is never run again
        assert allowed == frozenset(expected_queue)
        return
    expected = {
        ReviewStatus.PENDING_REVIEW: {Action.APPROVE, Action.REJECT, Action.EDIT, Action.REGENERATE, Action.EXPORT},
        ReviewStatus.APPROVED: {Action.REJECT, Action.BACK_TO_PENDING, Action.PUBLISH, Action.EDIT,
                                Action.REGENERATE, Action.EXPORT},
        ReviewStatus.REJECTED: {Action.APPROVE, Action.BACK_TO_PENDING, Action.EDIT, Action.REGENERATE,
                                Action.EXPORT},
        ReviewStatus.PUBLISHED: {Action.EXPORT},
    }[review]
    assert allowed == frozenset(expected)


@pytest.mark.parametrize(("current", "to"), [
    ("published", "approved"), ("published", "rejected"), ("published", "pending_review"),
    ("pending_review", "published"), ("rejected", "published"), ("pending_review", "pending_review"),
])
def test_illegal_review_moves_are_refused(current: str, to: str) -> None:
    with pytest.raises(IllegalTransition, match=f"it cannot become {to.replace('_', ' ')}") as refused:
        require_review_move(7, current, to)
    assert isinstance(refused.value, EditorError)


def test_an_unknown_review_status_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="unknown review status 'archived'"):
        require_review_move(7, "approved", "archived")


@pytest.mark.parametrize(("current", "to"), [
    ("completed", ArticleStatus.GENERATING), ("completed", ArticleStatus.FAILED),
    ("failed", ArticleStatus.COMPLETED), ("cancelled", ArticleStatus.GENERATING),
])
def test_illegal_article_moves_are_refused(current: str, to: ArticleStatus) -> None:
    with pytest.raises(IllegalTransition, match="cannot become"):
        require_article_move(3, current, to)


def test_the_store_refuses_an_illegal_review_move(cli: CLI, db: Database) -> None:
    cli("demo", check=True)
    article = cli.json("generate", "--keyword", "1")["article_ids"][0]
    set_statuses(db, article, "completed", "published")
    with pytest.raises(ReviewError, match=f"article #{article} is published; it cannot become approved"):
        set_review_status(db, article, "approved", editor="ana")
    with db.read() as session:
        assert session.get(AIArticle, article).review_status == "published"


def test_review_rules_from_the_command_line(cli: CLI, db: Database) -> None:
    cli("demo", check=True)
    article = str(cli.json("generate", "--keyword", "1", "--wait", "--workers", "1")["article_ids"][0])
    refused = cli("articles", "publish", article)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert f"article #{article} must be approved before it is published" in refused.stderr
    assert cli.json("articles", "approve", article, "--editor", "ana")["decided"] == [
        {"article_id": int(article), "from": "pending_review", "to": "approved"}]
    published = Path(cli.json("articles", "publish", article, "--editor", "ana")["path"])
    assert published.is_file() and published.parent == cli.home / "exports" / "published"
    refused = cli("articles", "reject", article, "--reason", "too late")
    assert refused.returncode == 1 and f"article #{article} is published; it cannot become rejected" in refused.stderr
    shown = cli.json("articles", "show", article)
    assert (shown["review_status"], shown["reviewed_by"]) == ("published", "ana")
