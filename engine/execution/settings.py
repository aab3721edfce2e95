"""How the local engine runs: processes, slots, limits, leases, retry policy.

Checked by pydantic on construction (engine.validation.check_fields): each
field declares its limits and the reason the Settings screen shows beside it
when a value is refused. A frozen dataclass rather than a pydantic model: the
desktop app imports it before its first paint, and pydantic (about 0.1 s of
imports) waits until settings are first built.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import select

from engine.execution.queue import TaskPolicy
from engine.store.db import Database
from engine.store.models import AppSetting
from engine.validation import SettingsInvalid, check_fields, limit

ENGINE_SETTINGS_KEY = "engine"
MAX_WORKERS = 64


class EngineSettingsError(SettingsInvalid):
    """Engine settings refused; `fields` names each ("workers") with its reason."""

    subject: ClassVar[str] = "engine setting "


@dataclass(frozen=True)
class EngineSettings:
    workers: int = field(default=min(MAX_WORKERS, max(1, os.cpu_count() or 1)),
                         metadata=limit("1 to 64 worker processes", ge=1, le=MAX_WORKERS))
    slots: int = field(default=8, metadata=limit("1 to 256 jobs per process", ge=1, le=256))  # jobs in flight each
    soft_time_limit_s: float = field(default=25 * 60.0, metadata=limit("more than 0 minutes", gt=0))
    hard_time_limit_s: float = field(default=30 * 60.0, metadata=limit("at least the soft limit", gt=0))
    max_tasks_per_child: int = field(default=1000, metadata=limit("1 or more jobs before a process is replaced",
                                                                  ge=1))
    lease_s: float = field(default=30.0, metadata=limit("1 second or more", ge=1))
    generate_retries: int = field(default=3, metadata=limit("0 to 20 retries", ge=0, le=20))
    generate_retry_delay_s: float = field(default=60.0, metadata=limit("0 seconds or more", ge=0))
    stage_retries: int = field(default=2, metadata=limit("0 to 20 retries", ge=0, le=20))
    stage_retry_delay_s: float = field(default=30.0, metadata=limit("0 seconds or more", ge=0))

    def __post_init__(self) -> None:
        problems = check_fields(self)
        limits_ok = not {"soft_time_limit_s", "hard_time_limit_s"} & set(problems)
        if limits_ok and self.hard_time_limit_s < self.soft_time_limit_s:
            problems["hard_time_limit_s"] = "at least the soft limit"
        if problems:
            raise EngineSettingsError(problems)

    @classmethod
    def checked(cls, data: Any) -> EngineSettings:
        """The settings of `data` (missing keys take the defaults; a setting a later version dropped is
        ignored, so a stored row still loads), or EngineSettingsError with every reason."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in dict(data or {}).items() if k in known})

    @classmethod
    def problems(cls, data: Any) -> dict[str, str]:
        """Field -> reason for every refused value of `data`; empty when it is valid."""
        try:
            cls.checked(data)
        except EngineSettingsError as error:
            return error.fields
        return {}

    def policy(self, kind: str) -> TaskPolicy:
        if kind == "generate_article":
            return TaskPolicy(self.generate_retries, self.generate_retry_delay_s)
        if kind == "retry_article_stage":
            return TaskPolicy(self.stage_retries, self.stage_retry_delay_s)
        return TaskPolicy(0, 0.0)

    def with_overrides(self, **overrides: Any) -> EngineSettings:
        """These settings with the overrides that are not None, checked again."""
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

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
