"""How the local engine runs: processes, slots, limits, leases, retry policy."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.execution.queue import TaskPolicy
from engine.store.db import Database
from engine.store.models import AppSetting

ENGINE_SETTINGS_KEY = "engine"


class EngineSettingsError(ValueError):
    """An engine setting out of range; str() names it."""


@dataclass(frozen=True)
class EngineSettings:
    workers: int = max(1, os.cpu_count() or 1)
    slots: int = 8                        # jobs in flight per worker process
    soft_time_limit_s: float = 25 * 60
    hard_time_limit_s: float = 30 * 60
    max_tasks_per_child: int = 1000
    lease_s: float = 30.0
    generate_retries: int = 3
    generate_retry_delay_s: float = 60.0
    stage_retries: int = 2
    stage_retry_delay_s: float = 30.0

    def __post_init__(self) -> None:
        checks = {
            "workers": 1 <= self.workers <= 64, "slots": 1 <= self.slots <= 256,
            "soft_time_limit_s": self.soft_time_limit_s > 0,
            "hard_time_limit_s": self.hard_time_limit_s >= self.soft_time_limit_s,
            "max_tasks_per_child": self.max_tasks_per_child >= 1, "lease_s": self.lease_s >= 1,
            "generate_retries": 0 <= self.generate_retries <= 20, "stage_retries": 0 <= self.stage_retries <= 20,
            "generate_retry_delay_s": self.generate_retry_delay_s >= 0,
            "stage_retry_delay_s": self.stage_retry_delay_s >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise EngineSettingsError(f"invalid engine setting {bad[0]} = {getattr(self, bad[0])!r}")

    def policy(self, kind: str) -> TaskPolicy:
        if kind == "generate_article":
            return TaskPolicy(self.generate_retries, self.generate_retry_delay_s)
        if kind == "retry_article_stage":
            return TaskPolicy(self.stage_retries, self.stage_retry_delay_s)
        return TaskPolicy(0, 0.0)

    def with_overrides(self, **overrides: Any) -> EngineSettings:
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineSettings:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def load_engine_settings(db: Database) -> EngineSettings:
    with db.read() as session:
        stored = session.scalar(select(AppSetting.value).where(AppSetting.key == ENGINE_SETTINGS_KEY))
    return EngineSettings.from_dict(stored or {})


def save_engine_settings(db: Database, settings: EngineSettings) -> None:
    with db.write() as session:
        session.merge(AppSetting(key=ENGINE_SETTINGS_KEY, value=settings.to_dict()))
