"""Generation profiles (AIGenerationConfig) and machine settings, checked before saving.

Every value is checked by a pydantic model (engine.checked): the profile by
`Profile` (engine.pipeline.brief), this computer's engine settings by
`EngineSettings`, provider-call tuning by `ProviderTuning`. A refused value
raises SettingsInvalid, whose `fields` map each field to its reason, and
nothing is written; a refusal that is no field's (deleting the default
profile) is a plain EditorError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import ConfigDict, Field
from sqlalchemy import func, select, update

from engine.checked import Checked
from engine.errors import EditorError
from engine.execution.settings import EngineSettings, load_engine_settings, save_engine_settings
from engine.pipeline.brief import Profile
from engine.pipeline.persist import PROVIDER_TUNING_KEY, TUNABLE
from engine.store.db import Database
from engine.store.models import AIArticle, AIGenerationConfig, AppSetting
from engine.validation import SettingsInvalid

# The profile's stored columns: every field of Profile but its row's id and default flag.
PROFILE_FIELDS = tuple(name for name in Profile.model_fields if name not in ("id", "is_default"))
EXPORT_FOLDER_KEY = "publish_folder"


class ProviderTuning(Checked):
    """Timeouts, attempts and backoff of provider calls (engine.providers.settings.ProviderSettings' limits)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    section: ClassVar[str] = "tuning"

    request_timeout_s: float = Field(120.0, gt=0, description="more than 0 seconds")
    max_attempts: int = Field(4, ge=1, description="at least 1")
    backoff_base_s: float = Field(1.0, gt=0, description="more than 0 seconds")
    backoff_cap_s: float = Field(30.0, gt=0, description="more than 0 seconds")
    retry_after_cap_s: float = Field(60.0, gt=0, description="more than 0 seconds")
    stream_threshold_tokens: int = Field(8000, ge=0, description="0 tokens or more")


def _profile_of(config: AIGenerationConfig) -> Profile:
    values = {"id": config.id, "is_default": config.is_default,
              **{name: getattr(config, name) for name in PROFILE_FIELDS}}
    values["banned_phrases"] = tuple(values["banned_phrases"] or ())     # a JSON list
    try:
        return Profile.checked(values)
    except SettingsInvalid:
        # Stored before a check that refuses it now: listed as stored, unchecked, so that Settings shows
        # each reason beside its field and the editor can fix it (saving checks it again).
        return Profile.model_construct(**values)


class ProfileStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self) -> list[Profile]:
        with self.db.read() as session:
            return [_profile_of(c) for c in session.scalars(select(AIGenerationConfig)
                                                            .order_by(AIGenerationConfig.id))]

    def save(self, values: Profile | Mapping[str, Any]) -> Profile:
        """Store the profile (a new one when its id is None); SettingsInvalid names each refused field."""
        # Checked again even when given a Profile: model_copy(update=...) makes one without checking.
        profile = Profile.checked(values.model_dump() if isinstance(values, Profile) else values)
        with self.db.write() as session:
            clash = session.scalar(select(AIGenerationConfig.id).where(
                func.lower(AIGenerationConfig.name) == profile.name.lower(),
                AIGenerationConfig.id != (profile.id or 0)))
            if clash is not None:
                raise SettingsInvalid({"name": f"another profile is called {profile.name!r}"})
            config = session.get(AIGenerationConfig, profile.id) if profile.id else AIGenerationConfig()
            if config is None:
                raise EditorError(f"no profile with id {profile.id}")
            stored = profile.model_dump(mode="json", include=set(PROFILE_FIELDS))
            for name, value in stored.items():
                setattr(config, name, value)
            session.add(config)
            session.flush()
            return _profile_of(config)

    def make_default(self, profile_id: int) -> None:
        with self.db.write() as session:
            if session.get(AIGenerationConfig, profile_id) is None:
                raise EditorError(f"no profile with id {profile_id}")
            session.execute(update(AIGenerationConfig).values(is_default=AIGenerationConfig.id == profile_id))

    def delete(self, profile_id: int) -> None:
        with self.db.write() as session:
            config = session.get(AIGenerationConfig, profile_id)
            if config is None:
                raise EditorError(f"no profile with id {profile_id}")
            if config.is_default:
                raise EditorError("the default profile cannot be deleted; make another one the default")
            if session.scalar(select(func.count()).where(AIArticle.config_id == profile_id)):
                raise EditorError("articles were generated with this profile; it is kept for their record")
            session.delete(config)

    # -------------------------------------------------------------- machine settings

    def engine_settings(self) -> EngineSettings:
        return load_engine_settings(self.db)

    def save_engine_settings(self, values: Mapping[str, Any]) -> EngineSettings:
        """The stored settings with `values` on top; SettingsInvalid names each refused one as "engine.<name>"."""
        try:
            settings = EngineSettings.checked({**self.engine_settings().to_dict(), **values})
        except SettingsInvalid as error:
            raise error.prefixed("engine") from None
        save_engine_settings(self.db, settings)
        return settings

    def provider_tuning(self) -> dict[str, Any]:
        with self.db.read() as session:
            stored = session.scalar(select(AppSetting.value).where(AppSetting.key == PROVIDER_TUNING_KEY)) or {}
        return {k: v for k, v in stored.items() if k in TUNABLE}

    def save_provider_tuning(self, values: Mapping[str, Any]) -> None:
        """Store `values` over the stored tuning; SettingsInvalid names each refused one as "tuning.<name>"."""
        try:
            ProviderTuning.checked(values)
        except SettingsInvalid as error:
            raise error.prefixed("tuning") from None
        with self.db.write() as session:
            session.merge(AppSetting(key=PROVIDER_TUNING_KEY, value={**self.provider_tuning(), **values}))

    def publish_folder(self) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(AppSetting.value).where(AppSetting.key == EXPORT_FOLDER_KEY))

    def save_publish_folder(self, folder: str) -> None:
        with self.db.write() as session:
            session.merge(AppSetting(key=EXPORT_FOLDER_KEY, value=folder))
