"""Review operations: approve, reject, send back, edit and re-check, publish; and what an article allows.

`allowed_actions` answers what an article may still become or have done to it,
from engine/states.py's tables: the Review and Queue screens enable their
buttons from it rather than keeping a copy of the rules, and the operations
refuse the same things (engine.review raises ReviewError, engine.operations.
generation RunError; both are EditorErrors).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from engine.execution.tasks import run_quality_checks
from engine.profiles import ProfileStore
from engine.review import publish as publish_article
from engine.review import save_edit, set_review_status
from engine.states import (
    ACTIVE_ARTICLE,
    STOPPED_ARTICLE,
    ArticleStatus,
    ReviewStatus,
    can_move_review,
)
from engine.store.db import Database


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    BACK_TO_PENDING = "back_to_pending"
    EDIT = "edit"
    REGENERATE = "regenerate"
    PUBLISH = "publish"
    EXPORT = "export"
    CANCEL = "cancel"
    RETRY = "retry"                 # from the stage where it stopped (the Queue screen)
    RAISE_PRIORITY = "raise_priority"


# The review status each decision moves an article to.
DECISIONS: dict[Action, ReviewStatus] = {
    Action.APPROVE: ReviewStatus.APPROVED,
    Action.REJECT: ReviewStatus.REJECTED,
    Action.BACK_TO_PENDING: ReviewStatus.PENDING_REVIEW,
    Action.PUBLISH: ReviewStatus.PUBLISHED,
}


class ArticleState(Protocol):
    """Anything with an article's two statuses (a read row, a view, an ORM row)."""

    @property
    def status(self) -> str: ...

    @property
    def review_status(self) -> str: ...


def allowed_actions(article: ArticleState) -> frozenset[Action]:
    """What an editor may do with this article now.

    Only a completed article is reviewed, edited, regenerated or exported. A
    decision is offered when it changes the review status (approving an approved
    article again is allowed by the engine but offered nowhere); publishing needs
    an approved article; a published one can only be exported. A waiting or
    running article may be cancelled, a waiting one moved up the queue, and a
    failed or cancelled one retried. (Whether a job is still open is known only
    to the database: retry and regenerate check it again when asked.)
    """
    if article.status in ACTIVE_ARTICLE:
        return frozenset({Action.CANCEL, *((Action.RAISE_PRIORITY,) if article.status == ArticleStatus.QUEUED
                                           else ())})
    if article.status in STOPPED_ARTICLE:
        return frozenset() if article.review_status == ReviewStatus.PUBLISHED else frozenset({Action.RETRY})
    current = article.review_status
    allowed = {Action.EXPORT}
    allowed |= {action for action, target in DECISIONS.items() if target != current and can_move_review(current, target)}
    if current != ReviewStatus.PUBLISHED:
        allowed |= {Action.EDIT, Action.REGENERATE}
    return frozenset(allowed)


def decide(db: Database, article_id: int, to_status: ReviewStatus | str, *, editor: str,
           reason: str | None = None) -> str:
    """Approve, reject (with a reason) or send back to pending review, as `editor`; returns the
    previous review status, for undo. A move engine/states.py's table does not allow is refused."""
    return set_review_status(db, article_id, str(to_status), editor=editor, reason=reason)


@dataclass(frozen=True)
class EditOutcome:
    revision: int
    check_job: int


def edit_and_recheck(db: Database, article_id: int, *, headline: str, dek: str, body: str, editor: str,
                     note: str | None = None) -> EditOutcome:
    """Store the editor's text as a new revision (back to pending review) and queue the checks on it,
    so the scores describe the text that will be published."""
    revision = save_edit(db, article_id, headline=headline, dek=dek, body=body, editor=editor, note=note)
    return EditOutcome(revision, run_quality_checks(db, article_id))


def publish_folder(db: Database, exports_dir: Path) -> Path:
    """Where published articles go: the folder set in Settings, else `published` in the exports folder."""
    configured = ProfileStore(db).publish_folder()
    return Path(configured) if configured else exports_dir / "published"


def publish(db: Database, article_id: int, folder: Path, *, editor: str, fmt: str = "html") -> Path:
    """Write an approved article's export into `folder` and mark it published."""
    return publish_article(db, article_id, folder, editor=editor, fmt=fmt)
