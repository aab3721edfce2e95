"""The checking stages (7-10 and 14) with a provider: the offline tool always runs and the
model's structured findings (or claim verdicts) are merged in, one request per tool.
How they combine is engine.quality's business."""

from __future__ import annotations

from engine.pipeline import offline
from engine.pipeline import outputs as out
from engine.pipeline.context import Profile, StageContext
from engine.providers.base import Provider
from engine.quality import analyze_text_with_llm
from engine.quality.llm import (
    bias_with_llm,
    llm_claim_verdicts,
    originality_with_llm,
    perspective_with_llm,
)


def _model(ctx: StageContext) -> str:
    return ctx.brief.profile.model_for(ctx.stage)


def _body(ctx: StageContext) -> str:
    return ctx.output("draft", out.Draft).body


async def fact_verification(ctx: StageContext) -> out.FactVerification:
    base = offline.fact_verification(ctx).report
    report = await llm_claim_verdicts(ctx.metered_provider(), _model(ctx), _body(ctx), list(ctx.brief.sources), base)
    return out.FactVerification(report=report)


async def bias_detection(ctx: StageContext) -> out.BiasDetection:
    base = offline.bias_detection(ctx).report
    report = await bias_with_llm(ctx.metered_provider(), _model(ctx), _body(ctx), list(ctx.brief.sources), base)
    return out.BiasDetection(report=report)


async def perspective_analysis(ctx: StageContext) -> out.PerspectiveAnalysis:
    base = offline.perspective_analysis(ctx).report
    report = await perspective_with_llm(ctx.metered_provider(), _model(ctx), _body(ctx), list(ctx.brief.sources),
                                        base)
    return out.PerspectiveAnalysis(report=report)


async def originality_check(ctx: StageContext) -> out.OriginalityCheck:
    base = offline.originality_check(ctx).report
    report = await originality_with_llm(ctx.metered_provider(), _model(ctx), _body(ctx), list(ctx.brief.sources),
                                        base)
    return out.OriginalityCheck(report=report)


async def finalization(ctx: StageContext) -> out.Finalization:
    stakeholders = [s.name for s in ctx.output("perspectives", out.Perspectives).stakeholders]
    return await run_checks(ctx.brief.profile, ctx.output("revision", out.Revision).body, list(ctx.brief.sources),
                            stakeholders, ctx.metered_provider())


async def run_checks(profile: Profile, body: str, sources: list, stakeholders: list[str],
                     provider: Provider | None) -> out.Finalization:
    """All four tools on a text, scored against the profile's gates (finalization and
    run_quality_checks)."""
    if provider is None:
        return offline.final_scores(profile, body, sources, stakeholders)
    report = await analyze_text_with_llm(provider, profile.model_for("finalization"), body, sources,
                                         stakeholders=stakeholders)
    return offline.finalization_output(profile, report.fact, report.bias, report.perspective, report.originality)
