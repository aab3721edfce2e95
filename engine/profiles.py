"""Generation profiles (AIGenerationConfig) and machine settings, validated before saving.

`validate_profile` is the cheap synchronous check the Settings screen runs on
every edit: it returns a readable reason per bad field and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from engine.errors import EditorError
from engine.execution.settings import (
    EngineSettings,
    EngineSettingsError,
    load_engine_settings,
    save_engine_settings,
)
from engine.pipeline.persist import CHECKER_FIELDS, PROVIDER_TUNING_KEY, TUNABLE
from engine.providers.settings import PROVIDER_NAMES
from engine.quality.checker import CHECKER_PROTOCOLS
from engine.quality.overall import QualityGates, QualityWeights
from engine.store.db import Database
from engine.store.models import AIArticle, AIGenerationConfig, AppSetting

PROFILE_FIELDS = ("name", "provider", "model", "base_url", "temperature", "target_length", "tone", "audience",
                  "style_guide", "banned_phrases", "stage_models", "quality_gates", "quality_weights",
                  "requests_per_minute", "tokens_per_minute", "checker")
EXPORT_FOLDER_KEY = "publish_folder"


class ProfileError(EditorError, ValueError):
    """Invalid profile or settings; `problems` maps each field to its reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass
class ProfileData:
    name: str = "Default"
    provider: str = "offline"
    model: str = "offline"
    base_url: str | None = None
    temperature: float = 0.4
    target_length: int = 800
    tone: str = "neutral, factual, plain"
    audience: str = "general local readers"
    style_guide: str = ""
    banned_phrases: list[str] = field(default_factory=list)
    stage_models: dict[str, str] = field(default_factory=dict)
    quality_gates: dict[str, Any] = field(default_factory=dict)
    quality_weights: dict[str, Any] = field(default_factory=dict)
    requests_per_minute: int = 0
    tokens_per_minute: int = 0
    # The checking stages' provider, model, base_url and protocol (engine.quality.checker);
    # empty: the same as generation.
    checker: dict[str, str] = field(default_factory=dict)
    id: int | None = None
    is_default: bool = False

    @classmethod
    def of(cls, config: AIGenerationConfig) -> ProfileData:
        return cls(id=config.id, is_default=config.is_default,
                   **{name: _copy(getattr(config, name)) for name in PROFILE_FIELDS})


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


def validate_profile(data: ProfileData) -> dict[str, str]:
    """Field -> reason for every invalid value (empty when the profile can be saved)."""
    problems: dict[str, str] = {}
    if not data.name.strip() or len(data.name) > 100:
        problems["name"] = "a name of 1 to 100 characters"
    if data.provider not in PROVIDER_NAMES:
        problems["provider"] = f"one of {', '.join(PROVIDER_NAMES)}"
    if not data.model.strip():
        problems["model"] = "a model name (e.g. gpt-4o-mini, claude-sonnet-4-5)"
    if data.base_url:
        parts = urlsplit(data.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems["base_url"] = "an http(s) URL such as http://localhost:11434/v1"
        elif "@" in parts.netloc:
            problems["base_url"] = "no user name or password (user:password@): the API key is sent as a header"
    if not 0 <= data.temperature <= 2:
        problems["temperature"] = "between 0 and 2"
    if not 100 <= data.target_length <= 10_000:
        problems["target_length"] = "between 100 and 10,000 words"
    if data.requests_per_minute < 0:
        problems["requests_per_minute"] = "0 (no limit) or more"
    if data.tokens_per_minute < 0:
        problems["tokens_per_minute"] = "0 (no limit) or more"
    problems.update(checker_problems(data.checker))
    for name, kind in (("quality_gates", QualityGates), ("quality_weights", QualityWeights)):
        try:
            kind.from_dict(getattr(data, name))
        except (ValueError, TypeError) as error:
            problems[name] = str(error)
    return problems


def checker_problems(checker: dict[str, Any]) -> dict[str, str]:
    """"checker.<field>" -> reason, for a profile's checker settings."""
    problems: dict[str, str] = {}
    unknown = sorted(set(checker) - set(CHECKER_FIELDS))
    if unknown:
        problems["checker"] = f"unknown setting(s) {', '.join(unknown)} (known: {', '.join(CHECKER_FIELDS)})"
    provider = checker.get("provider") or ""
    if provider and provider not in PROVIDER_NAMES:
        problems["checker.provider"] = f"one of {', '.join(PROVIDER_NAMES)}, or empty for the generation provider"
    if (checker.get("protocol") or "auto") not in CHECKER_PROTOCOLS:
        problems["checker.protocol"] = f"one of {', '.join(CHECKER_PROTOCOLS)}"
    base_url = checker.get("base_url") or ""
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems["checker.base_url"] = "an http(s) URL such as http://localhost:11434/v1"
    if provider and provider != "offline" and checker.get("protocol") == "minicheck" and not checker.get("model"):
        problems["checker.model"] = "the fact-checking model's name, e.g. bespoke-minicheck"
    return problems


class ProfileStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self) -> list[ProfileData]:
        with self.db.read() as session:
            return [ProfileData.of(c) for c in session.scalars(select(AIGenerationConfig)
                                                               .order_by(AIGenerationConfig.id))]

    def save(self, data: ProfileData) -> ProfileData:
        problems = validate_profile(data)
        if problems:
            raise ProfileError(problems)
        with self.db.write() as session:
            clash = session.scalar(select(AIGenerationConfig.id).where(
                func.lower(AIGenerationConfig.name) == data.name.strip().lower(),
                AIGenerationConfig.id != (data.id or 0)))
            if clash is not None:
                raise ProfileError({"name": f"another profile is called {data.name.strip()!r}"})
            config = session.get(AIGenerationConfig, data.id) if data.id else AIGenerationConfig()
            if config is None:
                raise ProfileError({"id": f"no profile with id {data.id}"})
            for name in PROFILE_FIELDS:
                setattr(config, name, _copy(getattr(data, name)))
            config.name = data.name.strip()
            config.base_url = data.base_url or None
            config.checker = {k: str(v).strip() for k, v in data.checker.items() if v and str(v).strip()}
            session.add(config)
            session.flush()
            return ProfileData.of(config)

    def make_default(self, profile_id: int) -> None:
        with self.db.write() as session:
            if session.get(AIGenerationConfig, profile_id) is None:
                raise ProfileError({"id": f"no profile with id {profile_id}"})
            session.execute(update(AIGenerationConfig).values(is_default=AIGenerationConfig.id == profile_id))

    def delete(self, profile_id: int) -> None:
        with self.db.write() as session:
            config = session.get(AIGenerationConfig, profile_id)
            if config is None:
                raise ProfileError({"id": f"no profile with id {profile_id}"})
            if config.is_default:
                raise ProfileError({"id": "the default profile cannot be deleted; make another one the default"})
            if session.scalar(select(func.count()).where(AIArticle.config_id == profile_id)):
                raise ProfileError({"id": "articles were generated with this profile; it is kept for their record"})
            session.delete(config)

    # -------------------------------------------------------------- machine settings

    def engine_settings(self) -> EngineSettings:
        return load_engine_settings(self.db)

    def save_engine_settings(self, values: dict[str, Any]) -> EngineSettings:
        try:
            settings = EngineSettings.from_dict({**self.engine_settings().to_dict(), **values})
        except (EngineSettingsError, TypeError) as error:
            raise ProfileError({"engine": str(error)}) from None
        save_engine_settings(self.db, settings)
        return settings

    def provider_tuning(self) -> dict[str, Any]:
        with self.db.read() as session:
            stored = session.scalar(select(AppSetting.value).where(AppSetting.key == PROVIDER_TUNING_KEY)) or {}
        return {k: v for k, v in stored.items() if k in TUNABLE}

    def save_provider_tuning(self, values: dict[str, Any]) -> None:
        problems = {k: "must be greater than 0" for k, v in values.items()
                    if k in TUNABLE and (not isinstance(v, int | float) or v <= 0)}
        problems.update({k: "unknown setting" for k in values if k not in TUNABLE})
        if problems:
            raise ProfileError(problems)
        with self.db.write() as session:
            session.merge(AppSetting(key=PROVIDER_TUNING_KEY, value={**self.provider_tuning(), **values}))

    def publish_folder(self) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(AppSetting.value).where(AppSetting.key == EXPORT_FOLDER_KEY))

    def save_publish_folder(self, folder: str) -> None:
        with self.db.write() as session:
            session.merge(AppSetting(key=EXPORT_FOLDER_KEY, value=folder))
