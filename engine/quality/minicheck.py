"""Claims checked by a grounded fact-checking model in its own protocol (Bespoke-MiniCheck
through Ollama, a llama.cpp server running MiniCheck): one request per claim, the user
message `Document: <text>\nClaim: <sentence>`, the answer `Yes` or `No`.

The document is the sources whole when they are short, else the passages retrieved for
the claim with the sentences either side. "Yes" still has to pass the figure guard (the
claim's numbers must be in the passage shown as evidence; where it fails, the rules'
verdict and confidence stand, and the checker reads "... + offline rules"); "No" is
unverifiable, and contradicted only where the offline rules found the conflicting passage. Either way the
closest passage stays on the verdict, so the editor knows what to compare the claim with.
Confidence: engine.quality.checker.
"""

from __future__ import annotations

import asyncio
import math

from engine.providers.base import LLMRequest, Message
from engine.quality.checker import MINICHECK_CONFIDENCE, Checker, with_rules
from engine.quality.facts import (
    cited_labels,
    claim_finding,
    evidence_candidates,
    figure_check,
    verdicts_score,
)
from engine.quality.retrieval import EvidenceIndex, Passage
from engine.quality.text import Span, layout
from engine.quality.types import OFFLINE_CHECKER, ClaimVerdict, FactReport, SourceDoc, Verdict

# Sources this short go to the model whole (about 1,500 tokens: inside Ollama's default
# 2,048-token context with the claim); longer ones as the passages retrieved for the claim.
MINICHECK_WHOLE_SOURCES_CHARS = 6000
MINICHECK_PASSAGES = 3
# Claims in flight at once: a local server runs one or two requests at a time anyway.
MINICHECK_CONCURRENCY = 4


def minicheck_prompt(document: str, claim: str) -> str:
    return f"Document: {document.strip()}\nClaim: {claim.strip()}"


def _document(claim: ClaimVerdict, sources: list[SourceDoc], index: EvidenceIndex, cited: list[str]
              ) -> tuple[str, list[Passage]]:
    """What the model reads for one claim, and the claim's candidate passages, best first."""
    candidates = [p for p, _ in evidence_candidates(claim.text, index, cited, MINICHECK_PASSAGES)]
    if sum(len(s.text) for s in sources) <= MINICHECK_WHOLE_SOURCES_CHARS:
        return "\n\n".join(s.text.strip() for s in sources), candidates
    window: dict[tuple[str, int], Passage] = {}
    for passage in candidates:
        for neighbour in index.neighbours(passage):
            window[(neighbour.source_label, neighbour.index)] = neighbour
    ordered = [window[key] for key in sorted(window)]
    return "\n".join(p.text for p in ordered), candidates


def answer_confidence(answer: str, logprobs: dict[str, float] | None) -> float | None:
    """P(answer) / (P(Yes) + P(No)) from the first token's alternatives; None without them."""
    if not logprobs:
        return None
    yes = sum(math.exp(lp) for token, lp in logprobs.items() if token.strip().casefold() == "yes")
    no = sum(math.exp(lp) for token, lp in logprobs.items() if token.strip().casefold() == "no")
    if yes + no <= 0:
        return None
    return round((yes if answer == "yes" else no) / (yes + no), 3)


def _yes_or_no(text: str) -> str | None:
    word = text.strip().strip(".!\"'").split(maxsplit=1)
    first = word[0].casefold().rstrip(".,!") if word else ""
    return first if first in ("yes", "no") else None


async def minicheck_claim(checker: Checker, claim: ClaimVerdict, sources: list[SourceDoc], index: EvidenceIndex,
                          cited: list[str]) -> ClaimVerdict:
    """One claim, one request: the model's Yes/No, held to the figure guard and kept with
    the passage an editor should compare the claim with."""
    document, candidates = _document(claim, sources, index, cited)
    result = await checker.provider.complete(LLMRequest(
        model=checker.model, system="", messages=[Message("user", minicheck_prompt(document, claim.text))],
        max_tokens=2, temperature=0.0, stage="fact_verification", logprobs=True,
    ))
    answer = _yes_or_no(result.text)
    best = candidates[0] if candidates else None

    def verdict(value: Verdict, reason: str, confidence: float, who: str = checker.name,
                evidence: Passage | None = best) -> ClaimVerdict:
        return ClaimVerdict(claim.text, claim.start, claim.end, value,
                            evidence.text if evidence else None, evidence.source_label if evidence else None,
                            reason, round(confidence, 3), who)

    if answer is None:
        return verdict("unverifiable", f"The checker model answered \u201c{result.text.strip()[:40]}\u201d, "
                       "not Yes or No.", 0.0, evidence=None)
    measured = answer_confidence(answer, result.first_token_logprobs)
    confidence = MINICHECK_CONFIDENCE if measured is None else measured
    if answer == "no":
        if claim.verdict == "contradicted" and claim.evidence:
            # The rules found the conflicting passage; the model agrees the claim is not supported.
            return ClaimVerdict(claim.text, claim.start, claim.end, "contradicted", claim.evidence,
                                claim.source_label, f"The checker model found no support; {claim.reason}",
                                round(confidence, 3), with_rules(checker.name))
        return verdict("unverifiable", "The checker model found no support for this in the sources.", confidence)
    # Where the rules overrule a "Yes", the verdict is theirs, and so is its confidence.
    if best is None:
        return verdict("unverifiable", "The checker model said yes, but no passage of the sources shares the "
                       "claim's words to show as evidence.", claim.confidence, with_rules(checker.name))
    figures, reason = figure_check(claim.text, best, index)
    if figures is not None:
        return verdict(figures, f"The checker model said supported, but {reason[0].lower()}{reason[1:]}",
                       claim.confidence, with_rules(checker.name))
    return verdict("supported", "The checker model found this supported by the sources.", confidence)


async def minicheck_fact_report(checker: Checker, text: str, sources: list[SourceDoc], offline: FactReport
                                ) -> FactReport:
    """The offline report's claims, each re-decided by a grounded fact-checking model."""
    if not offline.claims or not sources:
        return FactReport(offline.fact_check_score, offline.claims, offline.findings, offline.note, OFFLINE_CHECKER)
    lay = layout(text)
    index = EvidenceIndex(sources)
    gate = asyncio.Semaphore(MINICHECK_CONCURRENCY)

    async def one(claim: ClaimVerdict) -> ClaimVerdict:
        cited = cited_labels(lay, Span(claim.start, claim.end)) if claim.located else []
        async with gate:
            return await minicheck_claim(checker, claim, sources, index, cited)

    verdicts = list(await asyncio.gather(*(one(claim) for claim in offline.claims)))
    findings = [claim_finding(text, Span(v.start, v.end), v) for v in verdicts if v.located and v.verdict != "supported"]
    return FactReport(verdicts_score(verdicts), verdicts, findings, offline.note, checker.name)
