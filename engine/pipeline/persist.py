"""Between the pipeline and the store: loading a run, committing checkpoints, finishing an article.

Both the in-process runner and the dispatcher's single writer use these, so
an article ends up the same whichever way it ran.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.errors import EditorError
from engine.events import StageFinished
from engine.execution.jobs import JobManager
from engine.pipeline import outputs as out
from engine.pipeline.context import ArticleBrief, CheckRequest, Profile, RunRequest
from engine.pipeline.names import CONCURRENT_STAGES, STAGE_COUNT, STAGE_NAMES, stage_index
from engine.providers.base import ProviderConfigError
from engine.providers.settings import ProviderSettings, apply_env_overrides
from engine.quality.checker import CheckerSettings, CheckerSettingsError
from engine.quality.presentation import score_checkers
from engine.quality.types import SourceDoc
from engine.states import StageStatus
from engine.store.db import Database
from engine.store.models import (
    AIArticle,
    AIGenerationConfig,
    AIWorkflowLog,
    AppSetting,
    ArticleRevision,
    Claim,
    QualityFinding,
    Source,
)


class RunError(EditorError):
    """The article cannot be run as asked; str() is one line for the editor."""


def profile_of(config: AIGenerationConfig) -> Profile:
    return Profile(
        name=config.name, provider=config.provider, model=config.model,
        stage_models=dict(config.stage_models or {}), base_url=config.base_url,
        temperature=config.temperature, target_length=config.target_length, tone=config.tone,
        audience=config.audience, style_guide=config.style_guide,
        banned_phrases=tuple(config.banned_phrases or ()), quality_gates=dict(config.quality_gates or {}),
        quality_weights=dict(config.quality_weights or {}),
        requests_per_minute=config.requests_per_minute, tokens_per_minute=config.tokens_per_minute,
        checker=dict(config.checker or {}),
    )


PROVIDER_TUNING_KEY = "provider_tuning"
TUNABLE = ("request_timeout_s", "max_attempts", "backoff_base_s", "backoff_cap_s", "retry_after_cap_s",
           "stream_threshold_tokens")


def provider_tuning(session: Session) -> dict[str, Any]:
    """Timeouts, attempts and backoff for provider calls (Settings screen; app_settings table)."""
    stored = session.scalar(select(AppSetting.value).where(AppSetting.key == PROVIDER_TUNING_KEY)) or {}
    return {key: value for key, value in stored.items() if key in TUNABLE}


def provider_settings(profile: Profile, overrides: Mapping[str, str] | None = None,
                      environ: Mapping[str, str] | None = None,
                      tuning: Mapping[str, Any] | None = None) -> tuple[Profile, ProviderSettings]:
    """The profile's provider, with COPYDESK_PROVIDER / _MODEL / _BASE_URL (or CLI flags) on top."""
    settings = ProviderSettings(provider=profile.provider, model=profile.model, base_url=profile.base_url,
                                requests_per_minute=profile.requests_per_minute,
                                tokens_per_minute=profile.tokens_per_minute, **(tuning or {}))
    settings = apply_env_overrides(settings, environ) if environ is not None else apply_env_overrides(settings)
    overrides = {k: v for k, v in (overrides or {}).items() if v and not k.startswith(CHECKER_OVERRIDE_PREFIX)}
    if overrides:
        settings = dataclasses.replace(settings, **overrides)
        if overrides.get("provider") and not overrides.get("model") and settings.provider != profile.provider:
            settings = dataclasses.replace(settings, model=_default_model(settings.provider))
    changed = (settings.provider, settings.model) != (profile.provider, profile.model)
    profile = profile.model_copy(update={"provider": settings.provider, "model": settings.model,
                                         "base_url": settings.base_url,
                                         # A one-run model override applies to every stage.
                                         "stage_models": {} if changed else profile.stage_models})
    return profile, settings


CHECKER_FIELDS = ("provider", "model", "base_url", "protocol")
CHECKER_OVERRIDE_PREFIX = "checker_"   # run overrides: checker_provider, checker_model, ...


def checker_settings(profile: Profile, generation: ProviderSettings, overrides: Mapping[str, str] | None = None,
                     environ: Mapping[str, str] | None = None,
                     tuning: Mapping[str, Any] | None = None) -> CheckerSettings | None:
    """The checking stages' checker: the profile's "Checker" settings, with
    COPYDESK_CHECKER_PROVIDER / _MODEL / _BASE_URL / _PROTOCOL and then the run's
    checker_* overrides on top. None when nothing is set: the checks use the generation
    provider. A checker on the generation provider keeps its model and base URL unless
    they are set too."""
    environ = os.environ if environ is None else environ
    chosen = {k: str(v).strip() for k, v in (profile.checker or {}).items() if k in CHECKER_FIELDS and v}
    for name in CHECKER_FIELDS:
        value = (environ.get(f"COPYDESK_CHECKER_{name.upper()}") or "").strip()
        if value:
            chosen[name] = value
        value = ((overrides or {}).get(CHECKER_OVERRIDE_PREFIX + name) or "").strip()
        if value:
            chosen[name] = value
    if not chosen:
        return None
    provider = chosen.get("provider", generation.provider).lower()
    same = provider == generation.provider
    try:
        settings = ProviderSettings(
            provider=provider, model=chosen.get("model") or (generation.model if same else ""),
            base_url=chosen.get("base_url") or (generation.base_url if same else None),
            requests_per_minute=generation.requests_per_minute if same else 0,
            tokens_per_minute=generation.tokens_per_minute if same else 0, **(tuning or {}))
        return CheckerSettings(settings, chosen.get("protocol", "auto").lower())
    except (ProviderConfigError, CheckerSettingsError) as error:
        raise ProviderConfigError(f"Checker: {error}") from None


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """The default profile with one run's overrides on top: what generate's preflight,
    `check`, `analyze` and `analyze --batch` use."""

    profile: Profile
    generation: ProviderSettings
    checker: CheckerSettings | None   # None: the generation provider checks its own drafts
    checker_asked: bool               # the run named a checker (checker_* options or COPYDESK_CHECKER_*)


def run_settings(db: Database, overrides: Mapping[str, str] | None = None,
                 environ: Mapping[str, str] | None = None) -> RunSettings:
    environ = os.environ if environ is None else environ
    with db.read() as session:
        found = default_provider_settings(session, overrides, environ)
    if found is None:
        raise EditorError("the database has no default profile; open it once with this version to create one")
    profile, generation = found
    asked = any(k.startswith(CHECKER_OVERRIDE_PREFIX) and v for k, v in (overrides or {}).items()) or any(
        (environ.get(f"COPYDESK_CHECKER_{name.upper()}") or "").strip() for name in CHECKER_FIELDS)
    return RunSettings(profile, generation, checker_settings(profile, generation, overrides, environ), asked)


def default_provider_settings(session: Session, overrides: Mapping[str, str] | None = None,
                              environ: Mapping[str, str] | None = None) -> tuple[Profile, ProviderSettings] | None:
    """The default profile and its provider (environment and run overrides applied); None
    only before the database's first open has created the default."""
    config = session.scalar(select(AIGenerationConfig).where(AIGenerationConfig.is_default))
    return provider_settings(profile_of(config), overrides, environ) if config is not None else None


def _default_model(provider: str) -> str:
    from engine.providers.settings import DEFAULT_MODELS

    return DEFAULT_MODELS[provider]


def article_sources(session: Session, article: AIArticle) -> tuple[SourceDoc, ...]:
    rows = session.scalars(
        select(Source).where((Source.keyword_id == article.keyword_id) | (Source.article_id == article.id))
        .order_by(Source.keyword_id.is_(None), Source.id)
    ).all()
    return tuple(SourceDoc(label=f"S{n}", title=s.title or f"Source {n}", text=s.text, url=s.url)
                 for n, s in enumerate(rows, start=1))


def latest_checkpoints(session: Session, article_id: int) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The newest completed checkpoint of each stage, and the highest attempt number seen per stage."""
    rows = session.execute(
        select(AIWorkflowLog.stage, AIWorkflowLog.attempt, AIWorkflowLog.status, AIWorkflowLog.output)
        .where(AIWorkflowLog.article_id == article_id).order_by(AIWorkflowLog.attempt)
    ).all()
    checkpoints: dict[str, dict[str, Any]] = {}
    attempts: dict[str, int] = {}
    for stage, attempt, status, output in rows:
        attempts[stage] = max(attempts.get(stage, 0), attempt)
        if status == StageStatus.COMPLETED and output is not None:
            checkpoints[stage] = output
    return checkpoints, attempts


def _finished_stages(session: Session, article_id: int) -> set[str]:
    """Stages a resumed run may keep: the newest attempt completed (a failed newer attempt,
    say of a regeneration, does not fall back on the older text), and a concurrent check
    counts only if it ran on the current draft, i.e. after the claims it checked."""
    newest: dict[str, tuple[int, str]] = {}
    for row_id, stage, status in session.execute(
            select(AIWorkflowLog.id, AIWorkflowLog.stage, AIWorkflowLog.status)
            .where(AIWorkflowLog.article_id == article_id).order_by(AIWorkflowLog.attempt, AIWorkflowLog.id)):
        newest[stage] = (row_id, status)
    done = {stage for stage, (_id, status) in newest.items() if status == StageStatus.COMPLETED}
    stage_before_checks = STAGE_NAMES[STAGE_NAMES.index(CONCURRENT_STAGES[0]) - 1]
    before_checks = newest.get(stage_before_checks, (0, ""))[0]
    return {stage for stage in done if stage not in CONCURRENT_STAGES or newest[stage][0] > before_checks}


def load_run_request(session: Session, article_id: int, start_stage: str | None = None,
                     overrides: Mapping[str, str] | None = None) -> RunRequest:
    """What a run of this article needs. Without `start_stage`, resume after the last checkpoint."""
    article = session.get(AIArticle, article_id)
    if article is None:
        raise RunError(f"no article with id {article_id}")
    checkpoints, attempts = latest_checkpoints(session, article_id)
    if start_stage is None:
        done = _finished_stages(session, article_id)
        start = next((i for i, name in enumerate(STAGE_NAMES, start=1) if name not in done), STAGE_COUNT + 1)
        kept = STAGE_NAMES[:start - 1]
        if start <= STAGE_COUNT and STAGE_NAMES[start - 1] in CONCURRENT_STAGES:
            # Stages that ran beside the missing one and finished are not run again.
            kept += tuple(name for name in CONCURRENT_STAGES if name in done)
    else:
        try:
            start = stage_index(start_stage)
        except ValueError as error:
            raise RunError(str(error)) from None
        missing = [name for name in STAGE_NAMES[:start - 1] if name not in checkpoints]
        if missing:
            raise RunError(f"cannot start at {start_stage}: {missing[0]} has no checkpoint yet; "
                           f"start from {missing[0]} or earlier")
        kept = STAGE_NAMES[:start - 1]
    tuning = provider_tuning(session)
    profile, settings = provider_settings(profile_of(article.config), overrides, tuning=tuning)
    checker = checker_settings(profile, settings, overrides, tuning=tuning)
    brief = ArticleBrief(article_id=article.id, keyword=article.keyword.keyword, notes=article.keyword.notes,
                         profile=profile, sources=article_sources(session, article))
    return RunRequest(
        brief=brief,
        start_index=start,
        checkpoints={name: checkpoints[name] for name in kept},
        attempts={name: attempts.get(name, 0) + 1 for name in STAGE_NAMES[start - 1:]},
        provider_settings=settings,
        checker_settings=checker,
    )


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


_LOG_TABLE = AIWorkflowLog.__table__
_ARTICLE_TABLE = AIArticle.__table__


def record_stages(jobs: JobManager, events: Sequence[StageFinished]) -> int:
    """Commit stage attempts (the articles' current stage and totals move through `jobs`). A
    replay of an (article, stage, attempt) already recorded is a no-op, so a re-sent event can
    never write a checkpoint twice. Returns how many were new."""
    unique: dict[tuple[int, str, int], StageFinished] = {}
    for event in events:
        unique.setdefault((event.article_id, event.stage, event.attempt), event)
    if not unique:
        return 0
    # Core statements on the session's connection: the single writer runs this for every
    # stage of every article, and the ORM's bookkeeping would cost more than the SQL.
    connection = jobs.session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (insert(_LOG_TABLE).on_conflict_do_nothing(index_elements=["article_id", "stage", "attempt"])
                 .returning(_LOG_TABLE.c.article_id, _LOG_TABLE.c.stage, _LOG_TABLE.c.attempt))
    inserted = {tuple(row) for row in connection.execute(statement, [
        dict(article_id=e.article_id, stage=e.stage, stage_index=e.index, attempt=e.attempt, status=e.status,
             started_at=_utc(e.started_at), finished_at=_utc(e.finished_at),
             duration_s=round(e.finished_at - e.started_at, 3), model=e.model, tokens_in=e.tokens_in,
             tokens_out=e.tokens_out, cost_usd=e.cost_usd, output=e.output, error=e.error, retries=e.retries)
        for e in unique.values()])}
    fresh = [event for key, event in unique.items() if key in inserted]
    if not fresh:
        return 0
    jobs.advance_articles(fresh)
    for event in fresh:
        if event.status == StageStatus.FAILED:
            connection.execute(update(_ARTICLE_TABLE).where(_ARTICLE_TABLE.c.id == event.article_id)
                               .values(error_log=_append_error(event)))
    return len(fresh)


def _append_error(event: StageFinished) -> Any:
    line = f"[{_utc(event.finished_at):%Y-%m-%d %H:%M:%S}] {event.stage} (attempt {event.attempt}): {event.error}"
    return func.coalesce(_ARTICLE_TABLE.c.error_log + "\n", "") + line


def complete_article(jobs: JobManager, article_id: int, checkpoints: Mapping[str, dict[str, Any]]) -> None:
    """Write the finished article from its checkpoints: text, revisions, meta, scores, claims,
    findings; `jobs` marks it completed."""
    session = jobs.session
    article = session.get(AIArticle, article_id)
    assert article is not None
    draft = out.Draft.model_validate(checkpoints["draft"])
    revised = out.Revision.model_validate(checkpoints["revision"])
    seo = out.SeoOptimization.model_validate(checkpoints["seo_optimization"])
    meta = out.MetaGeneration.model_validate(checkpoints["meta_generation"])
    final = out.Finalization.model_validate(checkpoints["finalization"])
    numbers = session.scalar(select(func.max(ArticleRevision.number)).where(ArticleRevision.article_id == article_id))
    number = numbers or 0
    for author, version in (("pipeline:draft", draft), ("pipeline:revision", revised)):
        number += 1
        session.add(ArticleRevision(article_id=article_id, number=number, headline=version.headline,
                                    dek=version.dek, body=version.body, author=author))
    article.headline, article.dek, article.body = revised.headline, revised.dek, revised.body
    article.summary, article.meta_description, article.social_copy = (
        meta.summary, meta.meta_description, meta.social_copy)
    article.slug, article.tags = seo.slug, list(seo.tags)
    store_scores(session, article, final)
    jobs.complete_article(article)


def store_scores(session: Session, article: AIArticle, final: out.Finalization) -> None:
    """Replace the article's scores, claims and findings with a fresh check of its current text."""
    article.bias_score = final.bias_score
    article.fact_check_score = final.fact_check_score
    article.perspective_balance_score = final.perspective_balance_score
    article.originality_score = final.originality_score
    article.overall_quality_score = final.overall_quality_score
    article.quality_passed = final.quality_passed
    article.failed_gates = list(final.failed_gates)
    article.quality_checkers = score_checkers(final)
    session.execute(delete(Claim).where(Claim.article_id == article.id))
    session.execute(delete(QualityFinding).where(QualityFinding.article_id == article.id))
    session.add_all(
        Claim(article_id=article.id, text=c.text, start=c.start, end=c.end, verdict=c.verdict,
              evidence=c.evidence, source_label=c.source_label, reason=c.reason, confidence=c.confidence,
              checker=c.checker)
        for c in final.fact.claims)
    every = final.fact.findings + final.bias.findings + final.perspective.findings + final.originality.findings
    session.add_all(
        QualityFinding(article_id=article.id, tool=f.tool, kind=f.kind, start=f.start, end=f.end, text=f.text,
                       severity=f.severity, explanation=f.explanation, suggestion=f.suggestion,
                       evidence=f.evidence, source_label=f.source_label)
        for f in every)


def increment_retry(db: Database, article_id: int) -> None:
    """An editor's or a task's retry of an article counts, as in the original system."""
    with db.write() as session:
        if session.execute(update(AIArticle).where(AIArticle.id == article_id)
                           .values(retry_count=AIArticle.retry_count + 1)).rowcount == 0:
            raise RunError(f"no article with id {article_id}")


def load_check_request(session: Session, article_id: int, overrides: Mapping[str, str] | None = None) -> CheckRequest:
    """What run_quality_checks needs: the article's current text, its sources, its stakeholders."""
    article = session.get(AIArticle, article_id)
    if article is None:
        raise RunError(f"no article with id {article_id}")
    if not article.body:
        raise RunError(f"article #{article_id} has no text to check yet")
    checkpoints, _ = latest_checkpoints(session, article_id)
    stakeholders = tuple(s.name for s in out.Perspectives.model_validate(checkpoints["perspectives"]).stakeholders
                         ) if "perspectives" in checkpoints else ()
    tuning = provider_tuning(session)
    profile, settings = provider_settings(profile_of(article.config), overrides, tuning=tuning)
    return CheckRequest(article_id, article.body, article_sources(session, article), stakeholders, profile, settings,
                        checker_settings(profile, settings, overrides, tuning=tuning))
