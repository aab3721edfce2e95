"""The article a run is about and the profile it is written under, as plain (picklable) data.

Here rather than in engine.pipeline.context so that the prompts, which read
both, and the context, which renders the prompts, do not import each other.

`Profile` is the one profile model: the pipeline reads it, engine.profiles
stores it (AIGenerationConfig) and the Settings screen edits it. It is checked
by pydantic (engine.checked): `Profile.checked(values)` returns it or raises
SettingsInvalid naming each refused field ("temperature", "quality_gates.bias_max",
"checker.base_url") with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from engine.checked import Checked
from engine.providers.settings import PROVIDER_NAMES
from engine.quality.checker import CHECKER_PROTOCOLS
from engine.quality.overall import QualityGates, QualityWeights
from engine.quality.types import SourceDoc

_URL = "an http(s) URL such as http://localhost:11434/v1"


def _checked_url(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(_URL)
    if "@" in parts.netloc:
        raise ValueError("no user name or password (user:password@): the API key is sent as a header")
    return url


class ProfileChecker(Checked):
    """Who runs a profile's checking stages (engine.quality.checker); empty values: as generation."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    section: ClassVar[str] = "checker"

    # In this order: the model's check reads the provider and protocol before it.
    provider: str = Field("", description=f"one of {', '.join(PROVIDER_NAMES)}, or empty for the generation provider")
    protocol: str = Field("", description=f"one of {', '.join(CHECKER_PROTOCOLS)}")
    base_url: str = Field("", description=_URL)
    model: str = Field("", validate_default=True)   # checked even when missing: minicheck needs one

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, provider: str) -> str:
        if provider.strip() and provider.strip() not in PROVIDER_NAMES:
            raise ValueError(f"one of {', '.join(PROVIDER_NAMES)}, or empty for the generation provider")
        return provider.strip()

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, protocol: str) -> str:
        if (protocol.strip() or "auto") not in CHECKER_PROTOCOLS:
            raise ValueError(f"one of {', '.join(CHECKER_PROTOCOLS)}")
        return protocol.strip()

    @field_validator("base_url")
    @classmethod
    def _url(cls, url: str) -> str:
        return _checked_url(url) or ""

    @field_validator("model")
    @classmethod
    def _minicheck_needs_a_model(cls, model: str, info: ValidationInfo) -> str:
        provider, protocol = info.data.get("provider"), info.data.get("protocol")
        if provider not in (None, "", "offline") and protocol == "minicheck" and not model.strip():
            raise ValueError("the fact-checking model's name, e.g. bespoke-minicheck")
        return model.strip()

    def stored(self) -> dict[str, str]:
        """As the profile keeps it: the values that are set."""
        return {name: value for name, value in self.model_dump().items() if value}


class Profile(Checked):
    """A generation profile (AIGenerationConfig) as plain, checked data."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    section: ClassVar[str] = "profile"

    id: int | None = None                   # None: not stored yet
    is_default: bool = False
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        "Default", description="a name of 1 to 100 characters")
    provider: str = Field("offline", description=f"one of {', '.join(PROVIDER_NAMES)}")
    model: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        "offline", description="a model name (e.g. gpt-4o-mini, claude-sonnet-4-5)")
    stage_models: dict[str, str] = Field(default_factory=dict)
    base_url: str | None = Field(None, description=_URL)
    temperature: float = Field(0.4, ge=0, le=2, description="between 0 and 2")
    target_length: int = Field(800, ge=100, le=10_000, description="between 100 and 10,000 words")
    tone: str = "neutral, factual, plain"
    audience: str = "general local readers"
    style_guide: str = ""
    banned_phrases: tuple[str, ...] = ()
    # Only the gates and weights set for this profile; the rest take QualityGates' / QualityWeights' defaults.
    quality_gates: dict[str, Any] = Field(default_factory=dict)
    quality_weights: dict[str, Any] = Field(default_factory=dict)
    requests_per_minute: int = Field(0, ge=0, description="0 (no limit) or more")
    tokens_per_minute: int = Field(0, ge=0, description="0 (no limit) or more")
    # The checking stages' provider, model, base_url and protocol (ProfileChecker); empty = same as generation.
    checker: dict[str, str] = Field(default_factory=dict)

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, provider: str) -> str:
        if provider not in PROVIDER_NAMES:
            raise ValueError(f"one of {', '.join(PROVIDER_NAMES)}")
        return provider

    @field_validator("base_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        return _checked_url(url)

    @field_validator("quality_gates")
    @classmethod
    def _gates(cls, gates: dict[str, Any]) -> dict[str, Any]:
        QualityGates.model_validate(gates)      # its refusals keep their place: quality_gates.<gate>
        return gates

    @field_validator("quality_weights")
    @classmethod
    def _weights(cls, weights: dict[str, Any]) -> dict[str, Any]:
        QualityWeights.model_validate(weights)
        return weights

    @field_validator("checker", mode="before")
    @classmethod
    def _checker(cls, checker: Any) -> Any:
        if not isinstance(checker, dict):
            return checker
        return ProfileChecker.model_validate(checker).stored()

    def model_for(self, stage: str) -> str:
        return self.stage_models.get(stage) or self.model


@dataclass(frozen=True)
class ArticleBrief:
    article_id: int
    keyword: str
    notes: str | None
    profile: Profile
    sources: tuple[SourceDoc, ...]
