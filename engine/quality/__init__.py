"""Quality checks for drafts: bias, fact verification, perspective balance and
originality, each explainable (every point lost is a Finding with a span of
the text and a reason) and combined into an overall score with pass/fail gates.

Qt-free and database-free: callers pass the Markdown body and the sources in
and get dataclasses (engine.quality.types) out. Each tool's `analyze` is
synchronous and offline; `analyze_text_with_llm` adds a model's findings and
claim verdicts on top (engine.quality.llm); `analyze_text_with_checker` runs
whichever checker is configured (offline rules, a general LLM as judge, or a
grounded fact-checking model such as Bespoke-MiniCheck; engine.quality.checker).
Every report and verdict names the checker that produced it.
"""

from __future__ import annotations

import asyncio

from engine.providers.base import Provider
from engine.quality.bias import BiasDetectionTool
from engine.quality.checker import CHECKER_PROTOCOLS, Checker, CheckerSettings
from engine.quality.facts import FactVerificationTool
from engine.quality.llm import (
    bias_with_llm,
    llm_claim_verdicts,
    llm_findings,
    merge_findings,
    originality_with_llm,
    perspective_with_llm,
)
from engine.quality.minicheck import minicheck_fact_report
from engine.quality.originality import OriginalityChecker
from engine.quality.overall import QualityGates, QualityWeights, score_overall
from engine.quality.perspective import PerspectiveAnalyzer
from engine.quality.types import (
    BiasReport,
    ClaimVerdict,
    FactReport,
    Finding,
    OriginalityReport,
    OverallResult,
    PerspectiveReport,
    QualityReport,
    SourceDoc,
)

__all__ = [
    "CHECKER_PROTOCOLS", "BiasDetectionTool", "BiasReport", "Checker", "CheckerSettings", "ClaimVerdict",
    "FactReport", "FactVerificationTool", "Finding", "OriginalityChecker", "OriginalityReport", "OverallResult",
    "PerspectiveAnalyzer", "PerspectiveReport", "QualityGates", "QualityReport", "QualityWeights", "SourceDoc",
    "analyze_text", "analyze_text_with_checker", "analyze_text_with_llm", "analyze_with", "llm_findings",
    "merge_findings", "score_overall",
]


def _report(bias: BiasReport, fact: FactReport, perspective: PerspectiveReport, originality: OriginalityReport,
            gates: QualityGates | None, weights: QualityWeights | None) -> QualityReport:
    overall = score_overall(
        bias=bias.bias_score, fact=fact.fact_check_score, perspective=perspective.perspective_balance_score,
        originality=originality.originality_score, perspectives_count=perspective.perspectives_count,
        gates=gates, weights=weights,
    )
    return QualityReport(bias, fact, perspective, originality, overall)


def analyze_text(
    text: str,
    sources: list[SourceDoc],
    stakeholders: list[str] | None = None,
    claims: list[str] | None = None,
    gates: QualityGates | None = None,
    weights: QualityWeights | None = None,
) -> QualityReport:
    """All four tools, offline, and the overall score against the gates."""
    return _report(
        BiasDetectionTool().analyze(text),
        FactVerificationTool().analyze(text, sources, claims),
        PerspectiveAnalyzer().analyze(text, stakeholders),
        OriginalityChecker().analyze(text, sources),
        gates, weights,
    )


async def analyze_text_with_llm(
    provider: Provider,
    model: str,
    text: str,
    sources: list[SourceDoc],
    stakeholders: list[str] | None = None,
    claims: list[str] | None = None,
    gates: QualityGates | None = None,
    weights: QualityWeights | None = None,
) -> QualityReport:
    """The offline analysis plus the model's: four requests run concurrently
    (bias, perspective and originality findings; a verdict per claim), merged
    under the rules in engine.quality.llm. A provider error propagates: the
    caller's stage fails and retries, rather than publishing on half a check."""
    offline = analyze_text(text, sources, stakeholders, claims, gates, weights)
    bias, fact, perspective, originality = await asyncio.gather(
        bias_with_llm(provider, model, text, sources, offline.bias),
        llm_claim_verdicts(provider, model, text, sources, offline.fact),
        perspective_with_llm(provider, model, text, sources, offline.perspective),
        originality_with_llm(provider, model, text, sources, offline.originality),
    )
    return _report(bias, fact, perspective, originality, gates, weights)


async def analyze_with(
    checker: Checker | None,
    text: str,
    sources: list[SourceDoc],
    stakeholders: list[str] | None = None,
    claims: list[str] | None = None,
    gates: QualityGates | None = None,
    weights: QualityWeights | None = None,
) -> QualityReport:
    """The analysis a ready checker gives (None: the offline rules). A grounded fact
    checker ("minicheck") re-decides the claims only; bias, perspective and originality
    stay with the offline rules, and their reports say so."""
    if checker is None:
        return analyze_text(text, sources, stakeholders, claims, gates, weights)
    if checker.protocol == "judge":
        return await analyze_text_with_llm(checker.provider, checker.model, text, sources, stakeholders, claims,
                                           gates, weights)
    offline = analyze_text(text, sources, stakeholders, claims, gates, weights)
    fact = await minicheck_fact_report(checker, text, sources, offline.fact)
    return _report(offline.bias, fact, offline.perspective, offline.originality, gates, weights)


async def analyze_text_with_checker(
    checker_settings: CheckerSettings | None,
    text: str,
    sources: list[SourceDoc],
    stakeholders: list[str] | None = None,
    claims: list[str] | None = None,
    gates: QualityGates | None = None,
    weights: QualityWeights | None = None,
    *,
    provider: Provider | None = None,
) -> QualityReport:
    """All four checks by the checker `checker_settings` describe (None or an "offline"
    provider: the offline rules). The provider is built from the settings and closed
    afterwards, unless one built from them is passed in `provider` (to reuse its
    connections over many calls, as a benchmark does)."""
    if checker_settings is None or checker_settings.offline:
        return analyze_text(text, sources, stakeholders, claims, gates, weights)
    from engine.providers import make_provider

    owned = provider is None
    provider = provider or make_provider(checker_settings.provider)
    assert provider is not None
    try:
        checker = Checker(provider, checker_settings.provider.model, checker_settings.kind)
        return await analyze_with(checker, text, sources, stakeholders, claims, gates, weights)
    finally:
        if owned:
            await provider.aclose()
