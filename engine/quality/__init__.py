"""Quality checks for drafts: bias, fact verification, perspective balance and
originality, each explainable (every point lost is a Finding with a span of
the text and a reason) and combined into an overall score with pass/fail gates.

Qt-free and database-free: callers pass the Markdown body and the sources in
and get dataclasses (engine.quality.types) out. Each tool's `analyze` is
synchronous and offline; `analyze_text_with_llm` adds a model's findings and
claim verdicts on top (engine.quality.llm).
"""

from __future__ import annotations

import asyncio

from engine.providers.base import Provider
from engine.quality.bias import BiasDetectionTool
from engine.quality.facts import FactVerificationTool
from engine.quality.llm import (
    bias_with_llm,
    llm_claim_verdicts,
    llm_findings,
    merge_findings,
    originality_with_llm,
    perspective_with_llm,
)
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
    "BiasDetectionTool", "BiasReport", "ClaimVerdict", "FactReport", "FactVerificationTool", "Finding",
    "OriginalityChecker", "OriginalityReport", "OverallResult", "PerspectiveAnalyzer", "PerspectiveReport",
    "QualityGates", "QualityReport", "QualityWeights", "SourceDoc", "analyze_text", "analyze_text_with_llm",
    "llm_findings", "merge_findings", "score_overall",
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
