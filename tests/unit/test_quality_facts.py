"""Fact verification: claims, evidence, numeric and polarity consistency, the score."""

from engine.quality.facts import FactVerificationTool, extract_claims, fact_check_score
from engine.quality.types import ClaimVerdict, FactReport, SourceDoc

SOURCES = [
    SourceDoc("S1", "Council minutes", "The Riverside City Council voted 5-2 on Tuesday to approve a $48.6 million "
              "budget. The budget includes $3.2 million for road repairs. Property tax rates remain unchanged."),
    SourceDoc("S2", "Budget memo", "Sales tax revenue rose 4 percent last year, to $12.8 million. The reserve fund "
              "stands at $6.1 million."),
    SourceDoc("S3", "Plant announcement", "Delmar Foods will close its Riverside plant on March 31, eliminating "
              "120 jobs. The company said it would move production to its facility in Ohio."),
]
tool = FactVerificationTool()


def verdict(claim: str, sources: list[SourceDoc] = SOURCES) -> ClaimVerdict:
    return tool.analyze(claim, sources, claims=[claim]).claims[0]


def test_supported_claim_carries_its_evidence_passage() -> None:
    v = verdict("The budget includes $3.2 million for road repairs.")
    assert v.verdict == "supported"
    assert v.source_label == "S1" and "$3.2 million for road repairs" in (v.evidence or "")


def test_a_changed_number_is_contradicted() -> None:
    v = verdict("The budget includes $2.3 million for road repairs.")
    assert v.verdict == "contradicted"
    assert "$2.3 million" in v.reason and "$3.2 million" in v.reason and v.source_label == "S1"
    assert verdict("The council voted 6-1 to approve the budget.").verdict == "contradicted"
    assert verdict("The closure will eliminate 210 jobs.").verdict == "contradicted"


def test_direction_negation_and_name_swaps_are_contradicted() -> None:
    assert verdict("Sales tax revenue fell 4 percent last year.").verdict == "contradicted"
    assert verdict("Delmar will move production to its facility in Texas.").verdict == "contradicted"
    assert verdict("Delmar will not close its Riverside plant.").verdict == "contradicted"


def test_a_claim_with_no_source_is_unverifiable_never_supported() -> None:
    v = verdict("The city plans to hire a new city manager in the fall.")
    assert v.verdict == "unverifiable" and v.evidence is None
    assert verdict("The budget includes $3.2 million for road repairs.", sources=[]).verdict == "unverifiable"
    # The topic is covered but the figure is not given.
    assert verdict("The reserve fund stands at $6.1 million after a $2 million transfer.").verdict == "unverifiable"


def test_claims_are_extracted_from_markdown_with_spans_and_citations_focus_retrieval() -> None:
    text = ("# Budget passes\n\nThe council approved a $48.6 million budget on Tuesday [S1]. "
            "It was a good day. Revenue rose 9 percent. [S2]\n\nWhat happens next?")
    spans = extract_claims(text)
    assert [text[s.start:s.end] for s in spans] == [
        "The council approved a $48.6 million budget on Tuesday [S1].", "Revenue rose 9 percent.",
    ]
    report = tool.analyze(text, SOURCES)
    assert [c.verdict for c in report.claims] == ["supported", "contradicted"]
    assert report.claims[1].source_label == "S2" and "4 percent" in report.claims[1].reason
    assert [f.kind for f in report.findings] == ["contradicted_claim"]
    for finding in report.findings:
        assert text[finding.start:finding.end] == finding.text


def test_cited_source_is_preferred_when_two_sources_state_the_same() -> None:
    twins = [SourceDoc("S1", "a", "The library opened in 1987 on Main Street."),
             SourceDoc("S2", "b", "The library opened in 1987 on Main Street.")]
    report = tool.analyze("The library opened in 1987 on Main Street [S2].", twins)
    assert report.claims[0].source_label == "S2"


def test_score_formula_weights_contradictions_double_and_zero_claims_is_explicit() -> None:
    assert fact_check_score(3, 1, 0) == 75.0
    assert fact_check_score(3, 0, 1) == 60.0
    empty = tool.analyze("It was a quiet week.", SOURCES)
    assert empty.claims == [] and empty.fact_check_score == 100.0 and "convention" in empty.note


def test_given_claims_are_located_in_the_text_or_marked_unlocated() -> None:
    text = "The council met. The budget includes $3.2 million for road repairs, officials said."
    report = tool.analyze(text, SOURCES, claims=["the budget includes $3.2 million for road repairs",
                                                  "A parade is planned for June."])
    located, missing = report.claims
    assert text[located.start:located.end].lower() == located.text.lower()
    assert (missing.start, missing.end) == (-1, -1) and missing.verdict == "unverifiable"


def test_report_round_trips_through_json_dicts() -> None:
    report = tool.analyze("The budget includes $2.3 million for road repairs.", SOURCES)
    assert FactReport.from_dict(report.to_dict()) == report
