"""The checking stages (7-10 and 14) with a provider: the offline tools always run, and the
model's structured findings are merged in (engine.quality decides how they combine)."""

from __future__ import annotations

from engine.pipeline import offline
from engine.pipeline import outputs as out
from engine.pipeline.context import Profile, StageContext
from engine.providers.base import Provider
from engine.providers.pricing import PricingTable
from engine.quality import analyze_text_with_llm
from engine.quality.types import SourceDoc


async def _llm_report(ctx: StageContext, body: str, stakeholders: list[str]):  # noqa: ANN202 - QualityReport
    return await analyze_text_with_llm(ctx.metered_provider(), ctx.brief.profile.model_for(ctx.stage), body,
                                       list(ctx.brief.sources), stakeholders=stakeholders)


def _stakeholders(ctx: StageContext) -> list[str]:
    return [s.name for s in ctx.output("perspectives", out.Perspectives).stakeholders]


async def fact_verification(ctx: StageContext) -> out.FactVerification:
    report = await _llm_report(ctx, ctx.output("draft", out.Draft).body, _stakeholders(ctx))
    return out.FactVerification(report=report.fact)


async def bias_detection(ctx: StageContext) -> out.BiasDetection:
    report = await _llm_report(ctx, ctx.output("draft", out.Draft).body, _stakeholders(ctx))
    return out.BiasDetection(report=report.bias)


async def perspective_analysis(ctx: StageContext) -> out.PerspectiveAnalysis:
    report = await _llm_report(ctx, ctx.output("draft", out.Draft).body, _stakeholders(ctx))
    return out.PerspectiveAnalysis(report=report.perspective)


async def originality_check(ctx: StageContext) -> out.OriginalityCheck:
    report = await _llm_report(ctx, ctx.output("draft", out.Draft).body, _stakeholders(ctx))
    return out.OriginalityCheck(report=report.originality)


async def finalization(ctx: StageContext) -> out.Finalization:
    report = await _llm_report(ctx, ctx.output("revision", out.Revision).body, _stakeholders(ctx))
    return offline.finalization_output(ctx.brief.profile, report.fact, report.bias, report.perspective,
                                       report.originality)


async def run_checks(profile: Profile, body: str, sources: list[SourceDoc], stakeholders: list[str],
                     provider: Provider | None, pricing: PricingTable | None) -> out.Finalization:
    """run_quality_checks: all four tools on an article's current text, scored against the profile."""
    if provider is None:
        return offline.final_scores(profile, body, sources, stakeholders)
    report = await analyze_text_with_llm(provider, profile.model_for("finalization"), body, sources,
                                         stakeholders=stakeholders)
    return offline.finalization_output(profile, report.fact, report.bias, report.perspective, report.originality)
