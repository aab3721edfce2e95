"""The LLM path: snippets located in the text, findings merged, claim verdicts held to the rules.
A tiny in-process Provider stands in for a model; it answers by stage."""

import asyncio
import json
import re
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from engine.providers.base import LLMRequest, LLMResult, Provider, StructuredOutputError
from engine.quality import analyze_text, analyze_text_with_llm, llm_findings, merge_findings
from engine.quality.llm import LLMClaimVerdicts, LLMFindings, locate_snippet
from engine.quality.types import Finding, QualityReport, SourceDoc

Answer = BaseModel | str | Callable[[LLMRequest], BaseModel]


class FakeProvider(Provider):
    name = "fake"

    def __init__(self, answers: dict[str, Answer], parsed: bool = True) -> None:
        self.answers = answers
        self.parsed = parsed  # False: only the JSON text comes back, as from a server without parse support
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest, on_retry=None) -> LLMResult:  # noqa: ANN001 - base signature
        self.requests.append(request)
        answer = self.answers.get(request.stage, LLMFindings(findings=[]))
        if callable(answer) and not isinstance(answer, BaseModel):
            answer = answer(request)
        if isinstance(answer, str):
            return LLMResult(text=answer, model=request.model)
        return LLMResult(text=answer.model_dump_json(), model=request.model, parsed=answer if self.parsed else None)

    async def check_connection(self) -> str:
        return "fake provider: ok"


SOURCES = [
    SourceDoc("S1", "Council minutes", "The council voted 5-2 on Tuesday to approve a $48.6 million budget. "
              "The budget includes $3.2 million for road repairs."),
    SourceDoc("S2", "Plant announcement", "Delmar Foods will close its Riverside plant on March 31, eliminating 120 jobs."),
]
TEXT = ("# Budget news\n\nThe council approved the spending plan on Tuesday [S1]. The budget puts $3.2 million "
        "toward fixing streets. Delmar's closing of the plant will cost 150 jobs [S2]. "
        '"This budget is a gift to everyone," said Mayor Lee. The plan is a bold vision for the city.')


def findings(*items: tuple[str, str]) -> LLMFindings:
    return LLMFindings.model_validate({"findings": [
        {"quote": quote, "kind": kind, "severity": "medium", "explanation": f"{kind} here"} for quote, kind in items
    ]})


def run(coro):  # noqa: ANN001, ANN201 - test helper
    return asyncio.run(coro)


def test_snippets_are_located_loosely_and_unlocatable_ones_dropped() -> None:
    assert locate_snippet(TEXT, "a bold vision") is not None
    span = locate_snippet(TEXT, "the PLAN is   a bold vision")
    assert span is not None and TEXT[span.start:span.end] == "The plan is a bold vision"
    quoted = "Rosa said: \u201cThe mayor\u2019s plan - as drafted - works.\u201d"
    span = locate_snippet(quoted, "the Mayor's plan, as drafted, works")
    assert span is not None and quoted[span.start:span.end] == "The mayor\u2019s plan - as drafted - works"
    assert locate_snippet(quoted, "the mayor's plan fails") is None
    provider = FakeProvider({"bias_detection": findings(
        ("a bold vision", "Loaded Language"),       # located; kind normalised
        ("a visionary budget", "loaded_language"),  # not in the text: dropped
        ("a gift to everyone", "loaded_language"),  # inside a quotation: a source's words, dropped
        ("Budget news", "loaded_language"),         # a heading: dropped
    )})
    found = run(llm_findings(provider, "m", "bias", TEXT, SOURCES))
    assert [(f.text, f.kind, f.tool) for f in found] == [("a bold vision", "loaded_language", "bias")]
    request = provider.requests[0]
    assert request.schema is LLMFindings and request.stage == "bias_detection"
    assert "[S1] Council minutes" in request.prefix and TEXT in request.messages[0].content


def test_merge_keeps_offline_findings_and_drops_overlapping_model_ones() -> None:
    def finding(start: int, end: int, tool: str = "bias") -> Finding:
        return Finding(tool, "k", start, end, TEXT[start:end], "low", "why")

    offline = [finding(10, 20)]
    merged = merge_findings(offline, [finding(15, 25), finding(30, 40), finding(15, 25, tool="originality")])
    assert [(f.start, f.tool) for f in merged] == [(10, "bias"), (15, "originality"), (30, "bias")]


def _passage_id(request: LLMRequest, fragment: str) -> str:
    match = re.search(r"(P\d+) \[S\d\]: [^\n]*" + re.escape(fragment), request.messages[0].content)
    assert match, request.messages[0].content
    return match.group(1)


def test_claim_verdicts_need_evidence_and_matching_figures() -> None:
    def verdicts(request: LLMRequest) -> LLMClaimVerdicts:
        claims = re.findall(r"Claim (\d+): ([^\n]*)", request.messages[0].content)
        items = []
        for index, claim in claims:
            if "Tuesday" in claim:  # supported, but no passage: must not count as supported
                items.append({"claim_index": int(index), "verdict": "supported", "reason": "trust me"})
            elif "streets" in claim:  # a paraphrase the model backs with the right passage
                items.append({"claim_index": int(index), "verdict": "supported",
                              "passage_id": _passage_id(request, "road repairs"), "reason": "same figure"})
            elif "150 jobs" in claim:  # the model says supported; the passage says 120
                items.append({"claim_index": int(index), "verdict": "supported",
                              "passage_id": _passage_id(request, "120 jobs"), "reason": "close enough"})
        return LLMClaimVerdicts.model_validate({"verdicts": items})

    provider = FakeProvider({"fact_verification": verdicts,
                             "bias_detection": findings(("a bold vision", "loaded_language"))})
    offline = analyze_text(TEXT, SOURCES)
    report = run(analyze_text_with_llm(provider, "m", TEXT, SOURCES))
    by_text = {c.text: c for c in report.fact.claims}
    tuesday = by_text["The council approved the spending plan on Tuesday [S1]."]
    assert tuesday.verdict == "unverifiable" and tuesday.evidence is None and "no valid evidence" in tuesday.reason
    streets = by_text["The budget puts $3.2 million toward fixing streets."]
    assert streets.verdict == "supported" and streets.source_label == "S1"
    jobs = by_text["Delmar's closing of the plant will cost 150 jobs [S2]."]
    assert jobs.verdict == "contradicted" and "120" in jobs.reason
    assert report.fact.fact_check_score == 25.0  # 1 / (1 + 1 + 2*1)
    for finding in report.findings:
        assert TEXT[finding.start:finding.end] == finding.text
    # The model's bias finding is merged and scored; the offline ones stay.
    assert "a bold vision" in {f.text for f in report.bias.findings}
    assert report.bias.bias_score > offline.bias.bias_score
    assert {r.stage for r in provider.requests} == {"fact_verification", "bias_detection", "perspective_analysis",
                                                    "originality_check"}
    assert QualityReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_answers_without_parsed_objects_are_validated_from_text() -> None:
    provider = FakeProvider({"bias_detection": findings(("a bold vision", "label"))}, parsed=False)
    assert [f.kind for f in run(llm_findings(provider, "m", "bias", TEXT, SOURCES))] == ["label"]
    broken = FakeProvider({"bias_detection": '{"findings": [{"quote": 3}]}'})
    with pytest.raises(StructuredOutputError, match="LLMFindings"):
        run(llm_findings(broken, "m", "bias", TEXT, SOURCES))
    with pytest.raises(ValueError, match="unknown quality tool"):
        run(llm_findings(provider, "m", "style", TEXT, SOURCES))
