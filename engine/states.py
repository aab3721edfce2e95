"""Every status a keyword, article or job can have, and the article moves an editor's actions may make.

The statuses are `StrEnum`s, so a member is the very string the database
column holds (`ArticleStatus.COMPLETED == "completed"`). The allowed review
moves and the article moves that operations make live in the two tables
below; `require_review_move` / `require_article_move` refuse anything else
with an `IllegalTransition` (an EditorError).

Jobs' moves are in JOB_MOVES; engine.execution.jobs.JobManager is the one
writer of job rows and of an article's execution status, and goes by these tables.
"""

from __future__ import annotations

from enum import StrEnum

from engine.errors import EditorError


class KeywordStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ArticleStatus(StrEnum):
    QUEUED = "queued"
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ReviewStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"


class JobStatus(StrEnum):
    PENDING = "PENDING"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    REVOKED = "REVOKED"


class JobOutcome(StrEnum):
    """How a job ended, as JobFinished reports it: the article's new status, or RETRYING when the
    job failed and waits for its next attempt (the article is queued again)."""

    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RETRYING = "retrying"


class StageStatus(StrEnum):
    """How one attempt of a pipeline stage ended (a workflow-log row)."""

    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Verdict(StrEnum):
    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"
    UNVERIFIABLE = "unverifiable"


# An article waiting for a job or running one; a job that is not finished.
ACTIVE_ARTICLE = frozenset({ArticleStatus.QUEUED, ArticleStatus.GENERATING})
FINISHED_ARTICLE = frozenset({ArticleStatus.COMPLETED, ArticleStatus.FAILED, ArticleStatus.CANCELLED})
STOPPED_ARTICLE = frozenset({ArticleStatus.FAILED, ArticleStatus.CANCELLED})
OPEN_JOB = frozenset({JobStatus.PENDING, JobStatus.STARTED})

# Review: pending_review -> approved | rejected, approved -> published. An editor may change
# their mind between approved and rejected, or send either back to pending; a published
# article stays published. Deciding what an article already is records the editor again.
REVIEW_MOVES: dict[ReviewStatus, frozenset[ReviewStatus]] = {
    ReviewStatus.PENDING_REVIEW: frozenset({ReviewStatus.APPROVED, ReviewStatus.REJECTED}),
    ReviewStatus.APPROVED: frozenset({ReviewStatus.APPROVED, ReviewStatus.REJECTED, ReviewStatus.PENDING_REVIEW,
                                      ReviewStatus.PUBLISHED}),
    ReviewStatus.REJECTED: frozenset({ReviewStatus.REJECTED, ReviewStatus.APPROVED, ReviewStatus.PENDING_REVIEW}),
    ReviewStatus.PUBLISHED: frozenset(),
}

# Article moves: the pipeline's own (queued -> generating -> finished; a lost lease puts a
# generating article back in the queue) and the editor's (a finished article queued again
# by retry or regenerate). A lost job may leave an article "queued": retrying it is allowed.
ARTICLE_MOVES: dict[ArticleStatus, frozenset[ArticleStatus]] = {
    ArticleStatus.QUEUED: frozenset({ArticleStatus.QUEUED, ArticleStatus.GENERATING, ArticleStatus.CANCELLED,
                                     ArticleStatus.FAILED}),
    # generating -> generating: a run resumed in this process after the process running it died.
    ArticleStatus.GENERATING: frozenset({ArticleStatus.COMPLETED, ArticleStatus.FAILED, ArticleStatus.CANCELLED,
                                         ArticleStatus.QUEUED, ArticleStatus.GENERATING}),
    ArticleStatus.COMPLETED: frozenset({ArticleStatus.QUEUED}),
    ArticleStatus.FAILED: frozenset({ArticleStatus.QUEUED}),
    ArticleStatus.CANCELLED: frozenset({ArticleStatus.QUEUED}),
}

# Jobs: claimed (PENDING -> STARTED), then ended, or put back to wait (a retry, a hand-back on
# shutdown, a lease that ran out); revoked while pending or running. A finished job stays.
JOB_MOVES: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.STARTED, JobStatus.REVOKED}),
    JobStatus.STARTED: frozenset({JobStatus.SUCCESS, JobStatus.FAILURE, JobStatus.PENDING, JobStatus.REVOKED}),
    JobStatus.SUCCESS: frozenset(),
    JobStatus.FAILURE: frozenset(),
    JobStatus.REVOKED: frozenset(),
}


def sources_of(moves: dict, to: str) -> frozenset:
    """The statuses a table lets move to `to` (what a guarded bulk UPDATE may match)."""
    return frozenset(current for current, targets in moves.items() if to in targets)


class IllegalTransition(EditorError, ValueError):
    """A status change the tables above do not allow; str() says what the article is."""


def _words(status: str) -> str:
    return status.replace("_", " ")


def can_move_review(current: str, to: str) -> bool:
    return to in REVIEW_MOVES.get(ReviewStatus(current), frozenset())


def require_review_move(article_id: int, current: str, to: str,
                        error: type[EditorError] = IllegalTransition) -> ReviewStatus:
    """`to` as a ReviewStatus when an article in review status `current` may become it; else `error`
    (engine.review raises its ReviewError, which callers already know)."""
    try:
        target = ReviewStatus(to)
    except ValueError:
        raise error(f"unknown review status {to!r}") from None
    if not can_move_review(current, target):
        raise error(f"article #{article_id} is {_words(current)}; it cannot become {_words(target)}")
    return target


def require_article_move(article_id: int, current: str, to: ArticleStatus,
                         error: type[EditorError] = IllegalTransition) -> ArticleStatus:
    if to not in ARTICLE_MOVES.get(ArticleStatus(current), frozenset()):
        raise error(f"article #{article_id} is {_words(current)}; it cannot become {_words(to)}")
    return to


def require_job_move(job_id: int, current: str, to: JobStatus) -> JobStatus:
    if to not in JOB_MOVES.get(JobStatus(current), frozenset()):
        raise IllegalTransition(f"job #{job_id} is {current}; it cannot become {to}")
    return to
