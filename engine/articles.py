"""Articles: creating them for approved keywords, and reading them back for the CLI and screens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import EditorError
from engine.states import ACTIVE_ARTICLE, ArticleStatus, KeywordStatus, ReviewStatus
from engine.store.db import Database
from engine.store.models import (
    ARTICLE_STATUSES,
    REVIEW_STATUSES,
    AIArticle,
    AIGenerationConfig,
    AIWorkflowLog,
    Claim,
    KeywordSource,
    QualityFinding,
)


class ArticleError(EditorError, ValueError):
    """A request about articles that cannot be met; str() is one line."""


@dataclass
class BatchResult:
    """What batch_generate_articles returns (the original system's shape)."""

    total: int
    created: int
    failed: int
    article_ids: list[int]
    batch_id: str
    errors: list[dict[str, Any]] = field(default_factory=list)   # {"keyword_id", "error"}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_config_id(db: Database) -> int:
    with db.read() as session:
        config_id = session.scalar(select(AIGenerationConfig.id).where(AIGenerationConfig.is_default))
    if config_id is None:
        raise ArticleError("no default generation profile; reopen the database to create one")
    return config_id


def default_profile_name(db: Database) -> str:
    with db.read() as session:
        return session.scalar(select(AIGenerationConfig.name).where(AIGenerationConfig.is_default)) or ""


def queue_article_ids(db: Database, *, recent_batches: int, limit: int) -> list[int]:
    """The articles the Queue screen lists, newest first: the unreviewed ones of the last
    `recent_batches` batches, and every article still waiting or running whatever its batch."""
    with db.read() as session:
        recent = (select(AIArticle.batch_id).where(AIArticle.batch_id.is_not(None))
                  .group_by(AIArticle.batch_id).order_by(func.max(AIArticle.id).desc()).limit(recent_batches))
        first = session.scalar(select(func.min(AIArticle.id)).where(AIArticle.batch_id.in_(recent)))
        shown = AIArticle.status.in_([s.value for s in ACTIVE_ARTICLE])
        if first is not None:
            shown = shown | (AIArticle.id >= first)
        return list(session.scalars(select(AIArticle.id)
                                    .where(AIArticle.review_status == ReviewStatus.PENDING_REVIEW.value, shown)
                                    .order_by(AIArticle.id.desc()).limit(limit)))


def create_articles(db: Database, keyword_ids: Sequence[int], *, config_id: int | None = None,
                    batch_id: str | None = None) -> BatchResult:
    """One queued article per approved keyword; a bad keyword is reported and skipped, the rest go on."""
    config_id = config_id or default_config_id(db)
    with db.write() as session:
        return add_articles(session, keyword_ids, config_id=config_id, batch_id=batch_id)


def add_articles(session: Session, keyword_ids: Sequence[int], *, config_id: int,
                 batch_id: str | None = None) -> BatchResult:
    """create_articles inside the caller's transaction (so their jobs can join it)."""
    batch_id = batch_id or uuid.uuid4().hex[:12]
    result = BatchResult(total=len(keyword_ids), created=0, failed=0, article_ids=[], batch_id=batch_id)
    keywords = {k.id: k for k in session.scalars(
        select(KeywordSource).where(KeywordSource.id.in_(list(keyword_ids))))}
    for keyword_id in keyword_ids:
        keyword = keywords.get(keyword_id)
        if keyword is None:
            error = f"no keyword with id {keyword_id}"
        elif keyword.approval_status != KeywordStatus.APPROVED:
            error = f"keyword #{keyword_id} is {keyword.approval_status}, not approved"
        else:
            article = AIArticle(keyword_id=keyword_id, config_id=config_id, batch_id=batch_id)
            session.add(article)
            session.flush()
            result.article_ids.append(article.id)
            result.created += 1
            continue
        result.failed += 1
        result.errors.append({"keyword_id": keyword_id, "error": error})
    return result


SUMMARY_FIELDS = ("id", "keyword_id", "status", "review_status", "current_stage", "current_stage_index",
                  "bias_score", "fact_check_score", "perspective_balance_score", "originality_score",
                  "overall_quality_score", "quality_passed", "failed_gates", "retry_count", "error_log",
                  "tokens_in", "tokens_out", "cost_usd", "provider", "model", "batch_id")
DETAIL_FIELDS = ("headline", "dek", "body", "summary", "meta_description", "social_copy", "slug", "tags",
                 "reviewed_by", "review_reason")


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def article_summary(article: AIArticle, keyword: str) -> dict[str, Any]:
    data = {name: getattr(article, name) for name in SUMMARY_FIELDS}
    data["keyword"] = keyword
    for name in ("created_at", "started_at", "finished_at", "reviewed_at", "published_at"):
        data[name] = _iso(getattr(article, name))
    return data


def list_articles(db: Database, *, status: str | None = None, review_status: str | None = None,
                  ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in ARTICLE_STATUSES:
        raise ArticleError(f"status {status!r} is not one of {', '.join(ARTICLE_STATUSES)}")
    if review_status is not None and review_status not in REVIEW_STATUSES:
        raise ArticleError(f"review status {review_status!r} is not one of {', '.join(REVIEW_STATUSES)}")
    query = select(AIArticle, KeywordSource.keyword).join(KeywordSource).order_by(AIArticle.id)
    if status:
        query = query.where(AIArticle.status == status)
    if review_status:
        query = query.where(AIArticle.review_status == review_status, AIArticle.status == ArticleStatus.COMPLETED.value)
    if ids is not None:
        query = query.where(AIArticle.id.in_(list(ids)))
    with db.read() as session:
        return [article_summary(article, keyword) for article, keyword in session.execute(query)]


def stage_log(db: Database, article_id: int) -> list[dict[str, Any]]:
    with db.read() as session:
        rows = session.scalars(select(AIWorkflowLog).where(AIWorkflowLog.article_id == article_id)
                               .order_by(AIWorkflowLog.finished_at, AIWorkflowLog.id)).all()
        return [{"stage": r.stage, "index": r.stage_index, "attempt": r.attempt, "status": r.status,
                 "started_at": _iso(r.started_at), "finished_at": _iso(r.finished_at), "duration_s": r.duration_s,
                 "model": r.model, "tokens_in": r.tokens_in, "tokens_out": r.tokens_out, "cost_usd": r.cost_usd,
                 "error": r.error, "retries": r.retries} for r in rows]


def article_detail(db: Database, article_id: int) -> dict[str, Any]:
    # Here, not at the top: engine.quality (and pydantic) stay out of the desktop app's first paint.
    from engine.quality.presentation import claim_next_step

    with db.read() as session:
        row = session.execute(select(AIArticle, KeywordSource.keyword).join(KeywordSource)
                              .where(AIArticle.id == article_id)).first()
        if row is None:
            raise ArticleError(f"no article with id {article_id}")
        article, keyword = row
        data = article_summary(article, keyword)
        data.update({name: getattr(article, name) for name in DETAIL_FIELDS})
        # Which checker produced each score, and how sure it is (engine.quality.presentation).
        data["quality_checkers"] = dict(article.quality_checkers or {})
        data["claims"] = [
            {"id": c.id, "text": c.text, "start": c.start, "end": c.end, "verdict": c.verdict,
             "effective_verdict": c.override_verdict or c.verdict, "evidence": c.evidence,
             "source_label": c.source_label, "reason": c.reason, "override_verdict": c.override_verdict,
             "override_by": c.override_by, "override_at": _iso(c.override_at),
             "confidence": c.confidence, "checker": c.checker,
             "next_step": claim_next_step(c.override_verdict or c.verdict, c.evidence, c.source_label)}
            for c in session.scalars(select(Claim).where(Claim.article_id == article_id).order_by(Claim.start))]
        data["findings"] = [
            {"id": f.id, "tool": f.tool, "kind": f.kind, "start": f.start, "end": f.end, "text": f.text,
             "severity": f.severity, "explanation": f.explanation, "suggestion": f.suggestion,
             "evidence": f.evidence, "source_label": f.source_label}
            for f in session.scalars(select(QualityFinding).where(QualityFinding.article_id == article_id)
                                     .order_by(QualityFinding.start, QualityFinding.id))]
    data["stage_log"] = stage_log(db, article_id)
    return data
