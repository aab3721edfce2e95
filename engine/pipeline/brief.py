"""The article a run is about and the profile it is written under, as plain (picklable) data.

Here rather than in engine.pipeline.context so that the prompts, which read
both, and the context, which renders the prompts, do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.quality.types import SourceDoc


@dataclass(frozen=True)
class Profile:
    """The generation profile (AIGenerationConfig) as plain data."""

    name: str = "Default"
    provider: str = "offline"
    model: str = "offline"
    stage_models: dict[str, str] = field(default_factory=dict)
    base_url: str | None = None
    temperature: float = 0.4
    target_length: int = 800
    tone: str = "neutral, factual, plain"
    audience: str = "general local readers"
    style_guide: str = ""
    banned_phrases: tuple[str, ...] = ()
    quality_gates: dict[str, Any] = field(default_factory=dict)
    quality_weights: dict[str, Any] = field(default_factory=dict)
    requests_per_minute: int = 0
    tokens_per_minute: int = 0
    # The checking stages' provider, model, base_url and protocol; empty = same as generation.
    checker: dict[str, Any] = field(default_factory=dict)

    def model_for(self, stage: str) -> str:
        return self.stage_models.get(stage) or self.model


@dataclass(frozen=True)
class ArticleBrief:
    article_id: int
    keyword: str
    notes: str | None
    profile: Profile
    sources: tuple[SourceDoc, ...]
