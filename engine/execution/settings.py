"""How the local engine runs: processes, slots, limits, leases, retry policy.

Checked by pydantic (engine.validation): each field's description is the
reason the Settings screen shows beside it when a value is refused.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import select

from engine.execution.queue import TaskPolicy
from engine.store.db import Database
from engine.store.models import AppSetting
from engine.validation import Checked, SettingsInvalid

ENGINE_SETTINGS_KEY = "engine"
MAX_WORKERS = 64


class EngineSettingsError(SettingsInvalid):
    """Engine settings refused; `fields` names each ("workers") with its reason."""

    subject: ClassVar[str] = "engine setting "


class EngineSettings(Checked):
    # Unknown keys are ignored: a setting a later version dropped may still be stored.
    model_config = ConfigDict(frozen=True, extra="ignore")
    section: ClassVar[str] = "engine"
    error: ClassVar[type[SettingsInvalid]] = EngineSettingsError

    workers: int = Field(min(MAX_WORKERS, max(1, os.cpu_count() or 1)), ge=1, le=MAX_WORKERS,
                         description="1 to 64 worker processes")
    slots: int = Field(8, ge=1, le=256, description="1 to 256 jobs per process")   # jobs in flight per process
    soft_time_limit_s: float = Field(25 * 60.0, gt=0, description="more than 0 minutes")
    hard_time_limit_s: float = Field(30 * 60.0, gt=0, description="at least the soft limit")
    max_tasks_per_child: int = Field(1000, ge=1, description="1 or more jobs before a process is replaced")
    lease_s: float = Field(30.0, ge=1, description="1 second or more")
    generate_retries: int = Field(3, ge=0, le=20, description="0 to 20 retries")
    generate_retry_delay_s: float = Field(60.0, ge=0, description="0 seconds or more")
    stage_retries: int = Field(2, ge=0, le=20, description="0 to 20 retries")
    stage_retry_delay_s: float = Field(30.0, ge=0, description="0 seconds or more")

    @field_validator("hard_time_limit_s")
    @classmethod
    def _hard_after_soft(cls, hard: float, info: ValidationInfo) -> float:
        soft = info.data.get("soft_time_limit_s")
        if soft is not None and hard < soft:
            raise ValueError("at least the soft limit")
        return hard

    def policy(self, kind: str) -> TaskPolicy:
        if kind == "generate_article":
            return TaskPolicy(self.generate_retries, self.generate_retry_delay_s)
        if kind == "retry_article_stage":
            return TaskPolicy(self.stage_retries, self.stage_retry_delay_s)
        return TaskPolicy(0, 0.0)

    def with_overrides(self, **overrides: Any) -> EngineSettings:
        """These settings with the overrides that are not None, checked again."""
        return self.checked({**self.to_dict(), **{k: v for k, v in overrides.items() if v is not None}})

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineSettings:
        return cls.checked(data)


def load_engine_settings(db: Database) -> EngineSettings:
    with db.read() as session:
        stored = session.scalar(select(AppSetting.value).where(AppSetting.key == ENGINE_SETTINGS_KEY))
    return EngineSettings.from_dict(stored or {})


def save_engine_settings(db: Database, settings: EngineSettings) -> None:
    with db.write() as session:
        session.merge(AppSetting(key=ENGINE_SETTINGS_KEY, value=settings.to_dict()))
