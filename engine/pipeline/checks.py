"""The checking stages (7-10 and 14) with a checker model: the offline tool always runs and
the checker's verdicts or findings are merged in. The checker is the generation provider
unless the profile (or the command line) names another (engine.quality.checker): a general
LLM judges claims against retrieved passages and adds findings; a grounded fact-checking
model ("minicheck") re-decides the claims, one request each, and leaves bias, perspective
and originality to the offline rules. How results combine is engine.quality's business."""

from __future__ import annotations

from engine.pipeline import offline
from engine.pipeline import outputs as out
from engine.pipeline.context import CheckRequest, Profile, StageContext
from engine.providers.base import Provider
from engine.providers.settings import ProviderSettings
from engine.quality import analyze_with
from engine.quality.checker import Checker, protocol_for
from engine.quality.llm import (
    bias_with_llm,
    llm_claim_verdicts,
    originality_with_llm,
    perspective_with_llm,
)
from engine.quality.minicheck import minicheck_fact_report
from engine.quality.overall import QualityGates, QualityWeights


def _body(ctx: StageContext) -> str:
    return ctx.output("draft", out.Draft).body


async def fact_verification(ctx: StageContext) -> out.FactVerification:
    base = offline.fact_verification(ctx).report
    checker = ctx.checker()
    if checker.protocol == "minicheck":
        report = await minicheck_fact_report(checker, _body(ctx), list(ctx.brief.sources), base)
    else:
        report = await llm_claim_verdicts(checker.provider, checker.model, _body(ctx), list(ctx.brief.sources), base)
    return out.FactVerification(report=report)


async def bias_detection(ctx: StageContext) -> out.BiasDetection:
    base = offline.bias_detection(ctx).report
    checker = ctx.checker()
    if checker.protocol == "minicheck":
        return out.BiasDetection(report=base)   # a fact checker has nothing to say about wording
    report = await bias_with_llm(checker.provider, checker.model, _body(ctx), list(ctx.brief.sources), base)
    return out.BiasDetection(report=report)


async def perspective_analysis(ctx: StageContext) -> out.PerspectiveAnalysis:
    base = offline.perspective_analysis(ctx).report
    checker = ctx.checker()
    if checker.protocol == "minicheck":
        return out.PerspectiveAnalysis(report=base)
    report = await perspective_with_llm(checker.provider, checker.model, _body(ctx), list(ctx.brief.sources), base)
    return out.PerspectiveAnalysis(report=report)


async def originality_check(ctx: StageContext) -> out.OriginalityCheck:
    base = offline.originality_check(ctx).report
    checker = ctx.checker()
    if checker.protocol == "minicheck":
        return out.OriginalityCheck(report=base)
    report = await originality_with_llm(checker.provider, checker.model, _body(ctx), list(ctx.brief.sources), base)
    return out.OriginalityCheck(report=report)


async def finalization(ctx: StageContext) -> out.Finalization:
    stakeholders = [s.name for s in ctx.output("perspectives", out.Perspectives).stakeholders]
    return await run_checks(ctx.brief.profile, ctx.output("revision", out.Revision).body, list(ctx.brief.sources),
                            stakeholders, ctx.checker())


async def run_checks(profile: Profile, body: str, sources: list, stakeholders: list[str],
                     checker: Checker | None) -> out.Finalization:
    """All four tools on a text, scored against the profile's gates (finalization and
    run_quality_checks). None: the offline rules."""
    if checker is None:
        return offline.final_scores(profile, body, sources, stakeholders)
    report = await analyze_with(checker, body, sources, stakeholders=stakeholders,
                                gates=QualityGates.from_dict(profile.quality_gates),
                                weights=QualityWeights.from_dict(profile.quality_weights))
    return offline.finalization_output(profile, report.fact, report.bias, report.perspective, report.originality)


def check_provider_settings(check: CheckRequest) -> ProviderSettings | None:
    """The provider a run_quality_checks job needs: the checker's own, else generation's
    (None: the offline rules)."""
    if check.checker_settings is None:
        return check.provider_settings
    return None if check.checker_settings.offline else check.checker_settings.provider


def checker_of(check: CheckRequest, provider: Provider | None) -> Checker | None:
    """The checker for a run_quality_checks job, given the provider built from
    check_provider_settings(check)."""
    if provider is None:
        return None
    if check.checker_settings is None:
        model = check.profile.model_for("finalization")
        return Checker(provider, model, protocol_for(model))
    return Checker(provider, check.checker_settings.provider.model, check.checker_settings.kind)
