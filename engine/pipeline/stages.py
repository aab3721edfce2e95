"""The fourteen stages, in order, each with its output model and its two implementations."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from engine.pipeline import checks, llm, offline
from engine.pipeline import outputs as out
from engine.pipeline.context import StageContext
from engine.pipeline.names import CONCURRENT_STAGES, STAGE_NAMES

Implementation = Callable[[StageContext], out.StageOutput | Awaitable[out.StageOutput]]


@dataclass(frozen=True)
class Stage:
    index: int                      # 1..14
    name: str
    output: type[out.StageOutput]
    offline: Implementation
    llm: Implementation

    async def run(self, ctx: StageContext) -> out.StageOutput:
        # The checking stages follow the checker, which may differ from the generation provider.
        offline = ctx.checks_offline if self.name in CHECK_STAGES else ctx.offline
        implementation = self.offline if offline else self.llm
        result = implementation(ctx)
        return await result if inspect.isawaitable(result) else result


STAGES: tuple[Stage, ...] = tuple(
    Stage(index, name, output, offline_impl, llm_impl)
    for index, (name, output, offline_impl, llm_impl) in enumerate([
        ("keyword_analysis", out.KeywordAnalysis, offline.keyword_analysis, llm.keyword_analysis),
        ("research", out.Research, offline.research, llm.research),
        ("perspectives", out.Perspectives, offline.perspectives, llm.perspectives),
        ("outline", out.Outline, offline.outline, llm.outline),
        ("draft", out.Draft, offline.draft, llm.draft),
        ("claims", out.Claims, offline.claims, llm.claims),
        ("fact_verification", out.FactVerification, offline.fact_verification, checks.fact_verification),
        ("bias_detection", out.BiasDetection, offline.bias_detection, checks.bias_detection),
        ("perspective_analysis", out.PerspectiveAnalysis, offline.perspective_analysis,
         checks.perspective_analysis),
        ("originality_check", out.OriginalityCheck, offline.originality_check, checks.originality_check),
        ("revision", out.Revision, offline.revision, llm.revision),
        ("seo_optimization", out.SeoOptimization, offline.seo_optimization, llm.seo_optimization),
        ("meta_generation", out.MetaGeneration, offline.meta_generation, llm.meta_generation),
        ("finalization", out.Finalization, offline.finalization, checks.finalization),
    ], start=1)
)
assert tuple(stage.name for stage in STAGES) == STAGE_NAMES, "engine.pipeline.names is out of step"
# The stages run_quality_checks repeats on an article's current text.
CHECK_STAGES = ("fact_verification", "bias_detection", "perspective_analysis", "originality_check", "finalization")


def stage_steps(start_index: int) -> list[tuple[Stage, ...]]:
    """The stages from `start_index` on, in the steps they run in: one stage each, except the
    concurrent checks, which share a step."""
    steps: list[list[Stage]] = []
    for stage in STAGES[start_index - 1:]:
        if steps and stage.name in CONCURRENT_STAGES and steps[-1][-1].name in CONCURRENT_STAGES:
            steps[-1].append(stage)
        else:
            steps.append([stage])
    return [tuple(step) for step in steps]
