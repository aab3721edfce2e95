"""The domain model (DESIGN.md section 2) in SQLAlchemy 2 typed ORM.

Constraints live in the schema, not only in code: a normalised keyword is
unique, a stage attempt is logged once, status columns only hold known values.
Every datetime is stored as naive UTC and read back as aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from engine.states import ArticleStatus, JobStatus, KeywordStatus, Priority, ReviewStatus, Verdict

# The column values, in the order the screens list them (engine/states.py names them).
PRIORITIES = tuple(s.value for s in Priority)
APPROVAL_STATUSES = tuple(s.value for s in KeywordStatus)
ARTICLE_STATUSES = tuple(s.value for s in ArticleStatus)
REVIEW_STATUSES = tuple(s.value for s in ReviewStatus)
STAGE_LOG_STATUSES = ("completed", "failed", "cancelled")
JOB_KINDS = ("generate_article", "retry_article_stage", "run_quality_checks", "batch_generate_articles")
JOB_STATUSES = tuple(s.value for s in JobStatus)
PROVIDERS = ("offline", "openai", "anthropic")
SEVERITIES = ("low", "medium", "high")
VERDICTS = tuple(s.value for s in Verdict)
SCHEDULE_KINDS = ("poll_feed", "generate_approved", "recheck_published")
SCHEDULE_OUTCOMES = ("ok", "failed")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no time zones) and always returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# Stable constraint names so Alembic batch migrations on SQLite can find them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class KeywordSource(Base):
    """A topic proposed for coverage."""

    __tablename__ = "keyword_sources"
    __table_args__ = (
        CheckConstraint(_in("priority", PRIORITIES), name="priority"),
        CheckConstraint(_in("approval_status", APPROVAL_STATUSES), name="approval_status"),
        Index("ix_keyword_sources_status_created", "approval_status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(200))
    # Case-folded NFC form; the unique key that makes "Bike Lanes" and "bike  lanes" one topic.
    keyword_key: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(500), default="manual")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    approval_status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sources: Mapped[list[Source]] = relationship(
        back_populates="keyword", cascade="all, delete-orphan", order_by="Source.id"
    )
    decisions: Mapped[list[KeywordDecision]] = relationship(
        back_populates="keyword", cascade="all, delete-orphan", order_by="KeywordDecision.id"
    )


class KeywordDecision(Base):
    """Audit trail: every approve/reject, including re-decisions and undos."""

    __tablename__ = "keyword_decisions"
    __table_args__ = (
        CheckConstraint(_in("from_status", APPROVAL_STATUSES), name="from_status"),
        CheckConstraint(_in("to_status", APPROVAL_STATUSES), name="to_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword_id: Mapped[int] = mapped_column(ForeignKey("keyword_sources.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    editor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    keyword: Mapped[KeywordSource] = relationship(back_populates="decisions")


class Source(Base):
    """Material the pipeline may cite; belongs to a keyword or to an article."""

    __tablename__ = "sources"
    __table_args__ = (
        CheckConstraint("keyword_id IS NOT NULL OR article_id IS NOT NULL", name="owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword_id: Mapped[int | None] = mapped_column(
        ForeignKey("keyword_sources.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[int | None] = mapped_column(ForeignKey("ai_articles.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    text: Mapped[str] = mapped_column(Text, default="")
    retrieved_at: Mapped[datetime] = mapped_column(default=utcnow)

    keyword: Mapped[KeywordSource | None] = relationship(back_populates="sources")


class AIGenerationConfig(Base):
    """A named generation profile. Exactly one is the default."""

    __tablename__ = "ai_generation_configs"
    __table_args__ = (
        CheckConstraint(_in("provider", PROVIDERS), name="provider"),
        CheckConstraint("temperature >= 0 AND temperature <= 2", name="temperature"),
        CheckConstraint("target_length >= 100 AND target_length <= 10000", name="target_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    provider: Mapped[str] = mapped_column(String(20), default="offline")
    model: Mapped[str] = mapped_column(String(200), default="offline")
    stage_models: Mapped[dict[str, Any]] = mapped_column(default=dict)
    base_url: Mapped[str | None] = mapped_column(String(500))
    temperature: Mapped[float] = mapped_column(Float, default=0.4)
    target_length: Mapped[int] = mapped_column(Integer, default=800)
    tone: Mapped[str] = mapped_column(String(200), default="neutral, factual, plain")
    audience: Mapped[str] = mapped_column(String(200), default="general local readers")
    style_guide: Mapped[str] = mapped_column(Text, default="")
    banned_phrases: Mapped[list[Any]] = mapped_column(default=list)
    quality_gates: Mapped[dict[str, Any]] = mapped_column(default=dict)
    quality_weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requests_per_minute: Mapped[int] = mapped_column(Integer, default=0)
    tokens_per_minute: Mapped[int] = mapped_column(Integer, default=0)
    # The checking stages' provider, model, base URL and protocol; empty = same as generation.
    checker: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AIArticle(Base):
    """One generation of one keyword under one config."""

    __tablename__ = "ai_articles"
    __table_args__ = (
        CheckConstraint(_in("status", ARTICLE_STATUSES), name="status"),
        CheckConstraint(_in("review_status", REVIEW_STATUSES), name="review_status"),
        Index("ix_ai_articles_status", "status"),
        Index("ix_ai_articles_review", "review_status", "overall_quality_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword_id: Mapped[int] = mapped_column(ForeignKey("keyword_sources.id", ondelete="RESTRICT"), index=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("ai_generation_configs.id", ondelete="RESTRICT"))
    batch_id: Mapped[str | None] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    review_status: Mapped[str] = mapped_column(String(16), default="pending_review")
    provider: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(200))
    headline: Mapped[str | None] = mapped_column(String(500))
    dek: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    meta_description: Mapped[str | None] = mapped_column(String(500))
    social_copy: Mapped[str | None] = mapped_column(Text)
    slug: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    current_stage: Mapped[str | None] = mapped_column(String(40))
    current_stage_index: Mapped[int] = mapped_column(Integer, default=0)
    error_log: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    bias_score: Mapped[float | None] = mapped_column(Float)
    fact_check_score: Mapped[float | None] = mapped_column(Float)
    perspective_balance_score: Mapped[float | None] = mapped_column(Float)
    originality_score: Mapped[float | None] = mapped_column(Float)
    overall_quality_score: Mapped[float | None] = mapped_column(Float)
    quality_passed: Mapped[bool | None] = mapped_column(Boolean)
    failed_gates: Mapped[list[Any]] = mapped_column(default=list)
    # Per score: the checker that produced it and its confidence (engine.quality.presentation).
    quality_checkers: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    keyword: Mapped[KeywordSource] = relationship()
    config: Mapped[AIGenerationConfig] = relationship()
    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleRevision.number"
    )


class ArticleRevision(Base):
    """A version of the text. Edits add a revision; nothing is overwritten."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_article_revisions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("ai_articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    headline: Mapped[str | None] = mapped_column(String(500))
    dek: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[AIArticle] = relationship(back_populates="revisions")


class AIWorkflowLog(Base):
    """One row per stage attempt; its `output` is the checkpoint that resume reads."""

    __tablename__ = "ai_workflow_logs"
    __table_args__ = (
        UniqueConstraint("article_id", "stage", "attempt", name="uq_ai_workflow_logs_stage_attempt"),
        CheckConstraint(_in("status", STAGE_LOG_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("ai_articles.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    stage_index: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    model: Mapped[str | None] = mapped_column(String(200))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    retries: Mapped[list[Any]] = mapped_column(default=list)


class Job(Base):
    """The durable queue and the task-result table in one."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", JOB_KINDS), name="kind"),
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        Index("ix_jobs_claim", "status", "priority", "enqueued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("ai_articles.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[str | None] = mapped_column(String(40), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=0)
    retry_delay_s: Mapped[float] = mapped_column(Float, default=0.0)
    not_before: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    traceback: Mapped[str | None] = mapped_column(Text)


class EngineLease(Base):
    """At most one dispatcher per database holds this row's lease."""

    __tablename__ = "engine_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class QualityFinding(Base):
    """A flagged span of the article's current text."""

    __tablename__ = "quality_findings"
    __table_args__ = (CheckConstraint(_in("severity", SEVERITIES), name="severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("ai_articles.id", ondelete="CASCADE"), index=True)
    tool: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    explanation: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    source_label: Mapped[str | None] = mapped_column(String(20))


class Claim(Base):
    """A checkable factual claim with its verdict, evidence and any editor override."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(_in("verdict", VERDICTS), name="verdict"),
        CheckConstraint(
            "override_verdict IS NULL OR " + _in("override_verdict", VERDICTS), name="override_verdict"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("ai_articles.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer, default=0)
    end: Mapped[int] = mapped_column(Integer, default=0)
    verdict: Mapped[str] = mapped_column(String(14))
    evidence: Mapped[str | None] = mapped_column(Text)
    source_label: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)   # the checker's, 0-1
    checker: Mapped[str | None] = mapped_column(String(200))  # "offline rules" or "<provider>:<model>"
    override_verdict: Mapped[str | None] = mapped_column(String(14))
    override_by: Mapped[str | None] = mapped_column(String(100))
    override_at: Mapped[datetime | None]


class AppSetting(Base):
    """Machine-level settings (workers, slots, time limits, export folder) as JSON values."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Schedule(Base):
    """Recurring work the engine fires by itself (engine/schedules): a cron expression or an interval."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint(_in("kind", SCHEDULE_KINDS), name="kind"),
        CheckConstraint("last_outcome IS NULL OR " + _in("last_outcome", SCHEDULE_OUTCOMES), name="last_outcome"),
        CheckConstraint("(cron IS NULL) <> (interval_s IS NULL)", name="timing"),
        CheckConstraint("interval_s IS NULL OR interval_s >= 60", name="interval_s"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cron: Mapped[str | None] = mapped_column(String(200))
    interval_s: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    last_outcome: Mapped[str | None] = mapped_column(String(10))
    last_message: Mapped[str | None] = mapped_column(Text)
    # What a kind keeps between runs: a feed's ETag, Last-Modified and the item ids already seen.
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Who is running it now: a run is claimed by one engine (or `schedules run`) at a time.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
