"""Who checks a draft, and how: the offline rules, a general LLM as judge, or a
grounded fact-checking model spoken to in its own protocol.

A checker is set apart from generation (a profile's "Checker" settings,
`--checker-provider/--checker-model/--checker-base-url`, COPYDESK_CHECKER_*), so
a draft written by one model can be checked by another, for example
Bespoke-MiniCheck served by Ollama on this machine.

Protocols:
- "judge": a general LLM gets each claim with its retrieved passages and
  answers in a schema (engine.quality.llm); it also adds bias, perspective and
  originality findings.
- "minicheck": a grounded fact checker (Ollama's `bespoke-minicheck`, a
  llama.cpp server running MiniCheck) gets one request per claim, the user
  message `Document: <text>\\nClaim: <sentence>`, and answers `Yes` or `No`.
  It checks facts only (engine.quality.minicheck): bias, perspective and
  originality stay with the offline rules, and their reports say so.
- "auto" (the default) picks "minicheck" when the model's name contains
  "minicheck", else "judge".

Confidence of a model's verdict: from the first answer token's
log-probabilities when the server sends them (P(answer) / (P(Yes) + P(No))),
else a fixed value: MINICHECK_CONFIDENCE, the balanced accuracy published for
the MiniCheck family on LLM-AggreFact (MiniCheck-FT5 74.7, QUALITY_NOTES.md),
and JUDGE_CONFIDENCE, below GPT-4's 75.3 there because the judge may be any
model. Neither fixed value is a per-claim probability; each says how often
such a checker is right on public data.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import EditorError
from engine.providers.base import Provider
from engine.providers.settings import ProviderSettings
from engine.quality.types import OFFLINE_CHECKER

CHECKER_PROTOCOLS = ("auto", "minicheck", "judge")
MINICHECK_CONFIDENCE = 0.75
JUDGE_CONFIDENCE = 0.7


class CheckerSettingsError(EditorError, ValueError):
    """Checker settings that cannot work; str() is one line for the editor."""


def protocol_for(model: str, protocol: str = "auto") -> str:
    """"minicheck" or "judge": the protocol asked for, or the one the model's name implies."""
    if protocol not in CHECKER_PROTOCOLS:
        raise CheckerSettingsError(f"checker protocol must be one of {', '.join(CHECKER_PROTOCOLS)}, not {protocol!r}")
    if protocol != "auto":
        return protocol
    return "minicheck" if "minicheck" in model.casefold() else "judge"


@dataclass(frozen=True)
class CheckerSettings:
    """A checker as plain, picklable data: the provider to build, and the protocol to speak."""

    provider: ProviderSettings
    protocol: str = "auto"

    def __post_init__(self) -> None:
        protocol_for(self.provider.model, self.protocol)   # validates

    @classmethod
    def of(cls, provider: str = "offline", model: str = "", base_url: str | None = None,
           protocol: str = "auto", **tuning: object) -> CheckerSettings:
        """E.g. CheckerSettings.of("openai", "bespoke-minicheck", "http://localhost:11434/v1")."""
        return cls(ProviderSettings(provider=provider, model=model, base_url=base_url or None, **tuning),  # type: ignore[arg-type]
                   protocol)

    @property
    def offline(self) -> bool:
        return self.provider.provider == "offline"

    @property
    def kind(self) -> str:
        """"offline", "minicheck" or "judge"."""
        return "offline" if self.offline else protocol_for(self.provider.model, self.protocol)

    @property
    def name(self) -> str:
        return OFFLINE_CHECKER if self.offline else f"{self.provider.provider}:{self.provider.model}"


@dataclass(frozen=True)
class Checker:
    """A checker ready to ask: its provider (owned by the caller), model and protocol."""

    provider: Provider
    model: str
    protocol: str   # "minicheck" | "judge"

    @property
    def name(self) -> str:
        return f"{self.provider.name}:{self.model}"


def with_rules(name: str) -> str:
    """The checker named on a verdict or report that the offline rules also shaped."""
    return f"{name} + {OFFLINE_CHECKER}"
