"""What a stage gets to work with: the brief, earlier outputs, and a way to ask the LLM.

Everything here is plain data (picklable), so a job can cross into a worker
process as a `RunRequest` with the checkpoints it needs.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from engine.pipeline import prompts
from engine.pipeline.brief import ArticleBrief, Profile
from engine.pipeline.outputs import StageOutput
from engine.providers.base import (
    LLMRequest,
    LLMResult,
    Message,
    Provider,
    RetryCallback,
    RetryEvent,
    Usage,
)
from engine.providers.pricing import PricingTable, cost_usd
from engine.providers.settings import ProviderSettings
from engine.quality.checker import Checker, CheckerSettings, protocol_for
from engine.quality.types import SourceDoc

OutputT = TypeVar("OutputT", bound=StageOutput)
Report = Callable[[float, str], None]
IsCancelled = Callable[[], bool]


class StageCancelled(Exception):
    """The job was cancelled between two steps of a stage."""


@dataclass(frozen=True)
class RunRequest:
    """One run of the pipeline: where to start, and the checkpoints of the stages before."""

    brief: ArticleBrief
    start_index: int                         # 1..14
    checkpoints: dict[str, dict[str, Any]]   # stage name -> checkpoint JSON, for stages < start_index
    attempts: dict[str, int]                 # stage name -> attempt number this run will write
    provider_settings: ProviderSettings | None = None   # None: offline
    checker_settings: CheckerSettings | None = None     # None: the checks use the generation provider


@dataclass(frozen=True)
class CheckRequest:
    """run_quality_checks: the checking stages on an article's current text."""

    article_id: int
    body: str
    sources: tuple[SourceDoc, ...]
    stakeholders: tuple[str, ...]
    profile: Profile
    provider_settings: ProviderSettings | None
    checker_settings: CheckerSettings | None = None     # None: the checks use provider_settings


@dataclass
class StageContext:
    brief: ArticleBrief
    stage: str
    outputs: dict[str, StageOutput]
    provider: Provider | None
    pricing: PricingTable | None
    report: Report
    is_cancelled: IsCancelled
    local_model: bool = False
    # The checking stages' provider (None: the offline rules) and its settings (None: the
    # generation provider, with the profile's models).
    checker_provider: Provider | None = None
    checker_settings: CheckerSettings | None = None
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    model: str | None = None
    retries: list[RetryEvent] = field(default_factory=list)

    @property
    def offline(self) -> bool:
        return self.provider is None

    @property
    def checks_offline(self) -> bool:
        return self.checker_provider is None

    def output(self, stage: str, kind: type[OutputT]) -> OutputT:
        value = self.outputs[stage]
        assert isinstance(value, kind), f"{stage} checkpoint is {type(value).__name__}, not {kind.__name__}"
        return value

    def check_cancelled(self) -> None:
        if self.is_cancelled():
            raise StageCancelled(self.stage)

    async def ask(self, schema: type[OutputT], inputs: dict[str, Any], max_tokens: int = 2048,
                  template: str | None = None) -> OutputT:
        """One structured LLM call with this stage's prompt, the shared prefix first."""
        assert self.provider is not None, "ask() is only for the LLM implementation"
        self.check_cancelled()
        profile = self.brief.profile
        model = profile.model_for(self.stage)
        request = LLMRequest(
            model=model,
            system=prompts.system_prompt(profile),
            prefix=prompts.shared_prefix(self.brief),
            messages=[Message("user", prompts.render(template or self.stage, profile, inputs))],
            schema=schema,
            max_tokens=max_tokens,
            temperature=profile.temperature,
            stage=self.stage,
            article_id=self.brief.article_id,
        )
        result = await self.complete(request)
        assert isinstance(result.parsed, schema)
        return result.parsed

    async def complete(self, request: LLMRequest, provider: Provider | None = None) -> LLMResult:
        """Every LLM call of a stage goes through here, so its usage, cost and retries are
        counted. `provider`: another than the generation provider (the checker's)."""
        provider = provider or self.provider
        assert provider is not None
        self.check_cancelled()
        started = time.monotonic()
        result = await provider.complete(request, on_retry=self.retries.append)
        self.report(1.0, f"{self.stage}: answered in {time.monotonic() - started:.1f} s")
        self.usage += result.usage
        self.model = result.model or request.model
        if self.pricing is not None:
            local = self.local_model if provider is self.provider or self.checker_settings is None \
                else self.checker_settings.provider.is_local()
            self.cost += cost_usd(self.pricing, self.model, result.usage, local=local)
        return result

    def metered_provider(self) -> Provider:
        """The provider as seen by the quality tools' LLM analyses: same calls, counted here."""
        assert self.provider is not None
        return _MeteredProvider(self, self.provider)

    def checker(self) -> Checker:
        """The checking stages' checker, its calls counted in this stage: the checker's own
        model, or (same as generation) the profile's model for this stage."""
        assert self.checker_provider is not None
        provider = _MeteredProvider(self, self.checker_provider)
        if self.checker_settings is None:
            model = self.brief.profile.model_for(self.stage)
            return Checker(provider, model, protocol_for(model))
        return Checker(provider, self.checker_settings.provider.model, self.checker_settings.kind)


class _MeteredProvider(Provider):
    def __init__(self, ctx: StageContext, provider: Provider) -> None:
        self.ctx = ctx
        self.provider = provider
        self.name = provider.name

    async def complete(self, request: LLMRequest, on_retry: RetryCallback | None = None) -> LLMResult:
        # The tools do not know which article they check; the request headers should.
        return await self.ctx.complete(dataclasses.replace(request, article_id=self.ctx.brief.article_id),
                                       self.provider)

    async def check_connection(self) -> str:
        return await self.provider.check_connection()
