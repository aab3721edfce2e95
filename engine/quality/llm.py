"""LLM analyses merged into the offline tools' results.

The model answers in a schema: findings as exact snippets of the article
(which we locate to get spans; a snippet we cannot find is dropped), or one
verdict per claim naming the passage it rests on. Offline findings always
stay; a model finding that overlaps one of them is dropped as a duplicate.

Guards, because editors publish on these scores:
- a claim is never supported without a passage the model cites, and the
  claim's figures must appear in that passage (else it is unverifiable, or
  contradicted when the passage gives a different figure);
- a bias finding inside a quotation or in a heading is dropped (a source's
  words are not the writer's bias);
- the bias score is recomputed from the merged findings with the offline
  density formula, so every point still belongs to a finding. Perspective
  and originality scores stay offline; model findings there are advice.

Every verdict and report names its checker: "<provider>:<model>" for a verdict
the model gave as it stands, "<provider>:<model> + offline rules" where the
rules changed it or share the report. A model's verdict has the fixed
confidence JUDGE_CONFIDENCE (engine.quality.checker explains the figure).
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from engine.providers.base import LLMRequest, LLMResult, Message, Provider, StructuredOutputError
from engine.quality.bias import bias_score
from engine.quality.checker import JUDGE_CONFIDENCE, with_rules
from engine.quality.facts import (
    cited_labels,
    claim_finding,
    evidence_candidates,
    figure_check,
    verdicts_score,
)
from engine.quality.retrieval import EvidenceIndex, Passage
from engine.quality.text import Span, layout
from engine.quality.types import (
    BiasReport,
    ClaimVerdict,
    FactReport,
    Finding,
    OriginalityReport,
    PerspectiveReport,
    SourceDoc,
    Verdict,
)

TOOL_STAGES = {
    "fact": "fact_verification",
    "bias": "bias_detection",
    "perspective": "perspective_analysis",
    "originality": "originality_check",
}
PASSAGES_PER_CLAIM = 3
_TEMPERATURE = 0.0  # checking, not writing: the same draft should get the same answer
_MAX_TOKENS = 4096


class LLMFindingItem(BaseModel):
    quote: str = Field(description="the exact words from the article, copied character for character")
    kind: str = Field(description="one of the kinds listed in the instructions")
    severity: Literal["low", "medium", "high"]
    explanation: str = Field(description="one sentence an editor can act on")
    suggestion: str | None = Field(default=None, description="a neutral rewording or the fix")


class LLMFindings(BaseModel):
    findings: list[LLMFindingItem]


class LLMClaimVerdict(BaseModel):
    claim_index: int = Field(description="the claim's number, as given")
    verdict: Literal["supported", "contradicted", "unverifiable"]
    passage_id: str | None = Field(default=None, description="the evidence passage id, e.g. P3; required unless unverifiable")
    reason: str = Field(description="one sentence naming what matches or differs")


class LLMClaimVerdicts(BaseModel):
    verdicts: list[LLMClaimVerdict]


@lru_cache(maxsize=1)
def _prompts() -> dict[str, Any]:
    text = resources.files("resources.quality").joinpath("llm_prompts.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def sources_block(sources: list[SourceDoc]) -> str:
    """The numbered sources, sent as the request's cacheable prefix."""
    parts = [f"[{s.label}] {s.title}\n{s.text.strip()}" for s in sources]
    return "Sources:\n\n" + "\n\n".join(parts) if parts else "Sources: none attached."


def _parsed(result: LLMResult, schema: type[BaseModel]) -> Any:
    if isinstance(result.parsed, schema):
        return result.parsed
    try:
        return schema.model_validate_json(result.text)
    except ValidationError as error:
        first = error.errors()[0]
        raise StructuredOutputError(f"model answer does not match {schema.__name__}: {first['msg']}") from error


_WORD_RUN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=32)
def _word_runs(text: str) -> tuple[list[str], list[int], list[int]]:
    """The text's runs of letters and digits, case-folded, with their offsets: every finding
    of every tool is looked up in the same few texts."""
    words, starts, ends = [], [], []
    for m in _WORD_RUN.finditer(text):
        words.append(m.group().casefold())
        starts.append(m.start())
        ends.append(m.end())
    return words, starts, ends


def locate_snippet(text: str, snippet: str, after: int = 0) -> Span | None:
    """Where the model's quoted snippet is in the text: verbatim first, then as the same
    words in order, whatever the case, spacing, punctuation and quote marks between them."""
    snippet = snippet.strip().strip("\"“”")
    if not snippet:
        return None
    position = text.find(snippet, after)
    if position < 0 and after:
        position = text.find(snippet)
    if position >= 0:
        return Span(position, position + len(snippet))
    wanted = [word.casefold() for word in _WORD_RUN.findall(snippet)]
    if not wanted:
        return None
    words, starts, ends = _word_runs(text)
    at = -1
    while True:
        try:
            at = words.index(wanted[0], at + 1)
        except ValueError:
            return None
        if words[at:at + len(wanted)] == wanted:
            return Span(starts[at], ends[at + len(wanted) - 1])


async def llm_findings(provider: Provider, model: str, tool_name: str, text: str, sources: list[SourceDoc]
                       ) -> list[Finding]:
    """The model's findings for one tool ("bias", "fact", "perspective",
    "originality"), located in `text`; snippets not found in it are dropped."""
    prompts = _prompts()["findings"]
    if tool_name not in TOOL_STAGES:
        raise ValueError(f"unknown quality tool {tool_name!r} (known: {', '.join(TOOL_STAGES)})")
    tool = prompts[tool_name]
    system = f"{prompts['common'].strip()}\nKinds: {', '.join(tool['kinds'])}.\n{tool['instructions'].strip()}"
    request = LLMRequest(
        model=model, system=system, prefix=sources_block(sources),
        messages=[Message("user", f"Article (Markdown):\n\n{text}")], schema=LLMFindings,
        max_tokens=_MAX_TOKENS, temperature=_TEMPERATURE, stage=TOOL_STAGES[tool_name],
    )
    answer: LLMFindings = _parsed(await provider.complete(request), LLMFindings)
    lay = layout(text)
    findings: list[Finding] = []
    for item in answer.findings:
        span = locate_snippet(text, item.quote)
        if span is None or not lay.masked[span.start:span.end].strip():
            continue  # not in the article, or only in a heading or citation marker
        if tool_name == "bias" and lay.in_quote(span.start, span.end):
            continue  # a source's words, not the writer's
        kind = re.sub(r"[^a-z0-9]+", "_", item.kind.lower()).strip("_") or "other"
        findings.append(Finding(
            tool=tool_name, kind=kind, start=span.start, end=span.end, text=text[span.start:span.end],
            severity=item.severity, explanation=item.explanation.strip(), suggestion=item.suggestion or None,
        ))
    return findings


def merge_findings(offline: list[Finding], llm: list[Finding]) -> list[Finding]:
    """Offline findings plus the model's that overlap none already kept for the same tool."""
    merged = list(offline)
    for finding in llm:
        if not any(f.tool == finding.tool and f.start < finding.end and finding.start < f.end for f in merged):
            merged.append(finding)
    return sorted(merged, key=lambda f: (f.start, f.end))


async def llm_claim_verdicts(provider: Provider, model: str, text: str, sources: list[SourceDoc],
                             offline: FactReport) -> FactReport:
    """Ask the model for a verdict on each of the offline report's claims, given
    the top evidence passages for it, and rebuild the report from those verdicts."""
    if not offline.claims or not sources:
        return offline
    lay = layout(text)
    index = EvidenceIndex(sources)
    passages: dict[str, Passage] = {}  # "P3" -> passage, numbered across all claims
    ids: dict[tuple[str, int], str] = {}
    listing: list[str] = []
    for i, claim in enumerate(offline.claims, start=1):
        cited = cited_labels(lay, Span(claim.start, claim.end)) if claim.located else []
        lines = []
        for passage, _ in evidence_candidates(claim.text, index, cited, PASSAGES_PER_CLAIM):
            pid = ids.setdefault((passage.source_label, passage.index), f"P{len(ids) + 1}")
            passages[pid] = passage
            lines.append(f"  {pid} [{passage.source_label}]: {passage.text}")
        listing.append(f"Claim {i}: {claim.text}\n" + ("\n".join(lines) or "  (no passage found)"))
    request = LLMRequest(
        model=model, system=_prompts()["claims"]["system"].strip(), prefix=sources_block(sources),
        messages=[Message("user", "\n\n".join(listing))], schema=LLMClaimVerdicts,
        max_tokens=_MAX_TOKENS, temperature=_TEMPERATURE, stage=TOOL_STAGES["fact"],
    )
    answer: LLMClaimVerdicts = _parsed(await provider.complete(request), LLMClaimVerdicts)
    name = f"{provider.name}:{model}"
    by_index = {v.claim_index: v for v in answer.verdicts}
    verdicts: list[ClaimVerdict] = []
    for i, claim in enumerate(offline.claims, start=1):
        item = by_index.get(i)
        verdicts.append(claim if item is None else
                        _guarded(claim, item, passages.get((item.passage_id or "").strip()), index, name))
    findings = [claim_finding(text, Span(v.start, v.end), v) for v in verdicts if v.located and v.verdict != "supported"]
    # Claims the model skipped keep the rules' verdict, so the report is theirs too.
    checker = name if all(v.checker == name for v in verdicts) else with_rules(name)
    return FactReport(verdicts_score(verdicts), verdicts, findings, offline.note, checker)


def _guarded(claim: ClaimVerdict, item: LLMClaimVerdict, passage: Passage | None, index: EvidenceIndex,
             name: str) -> ClaimVerdict:
    """The model's verdict, held to the rules: no evidence passage, no support
    (and no contradiction to show the editor); figures must match the passage."""
    def verdict(value: Verdict, evidence: Passage | None, reason: str, checker: str = name) -> ClaimVerdict:
        return ClaimVerdict(claim.text, claim.start, claim.end, value,
                            evidence.text if evidence else None, evidence.source_label if evidence else None, reason,
                            JUDGE_CONFIDENCE, checker)

    if item.verdict == "unverifiable":
        return verdict("unverifiable", None, f"Model: {item.reason}")
    if passage is None:
        return verdict("unverifiable", None, f"The model said {item.verdict} but cited no valid evidence passage.",
                       with_rules(name))
    if item.verdict == "supported":
        figures, reason = figure_check(claim.text, passage, index)
        if figures is not None:
            return verdict(figures, passage, f"The model said supported, but {reason[0].lower()}{reason[1:]}",
                           with_rules(name))
    return verdict(item.verdict, passage, f"Model: {item.reason}")


async def bias_with_llm(provider: Provider, model: str, text: str, sources: list[SourceDoc], offline: BiasReport
                        ) -> BiasReport:
    merged = merge_findings(offline.findings, await llm_findings(provider, model, "bias", text, sources))
    return BiasReport(bias_score(sum(f.points for f in merged), offline.sentence_count), merged, offline.sentence_count,
                      with_rules(f"{provider.name}:{model}"))


async def perspective_with_llm(provider: Provider, model: str, text: str, sources: list[SourceDoc],
                               offline: PerspectiveReport) -> PerspectiveReport:
    merged = merge_findings(offline.findings, await llm_findings(provider, model, "perspective", text, sources))
    return PerspectiveReport(offline.perspective_balance_score, offline.voices, offline.covered, offline.missing, merged,
                             with_rules(f"{provider.name}:{model}"))


async def originality_with_llm(provider: Provider, model: str, text: str, sources: list[SourceDoc],
                               offline: OriginalityReport) -> OriginalityReport:
    merged = merge_findings(offline.findings, await llm_findings(provider, model, "originality", text, sources))
    return OriginalityReport(offline.originality_score, merged, offline.quotes, offline.copied_word_share,
                             with_rules(f"{provider.name}:{model}"))
