"""Originality: copied runs outside quotes, and quotes checked word for word."""

from engine.quality.originality import OriginalityChecker
from engine.quality.types import OriginalityReport, SourceDoc

SOURCE = SourceDoc(
    "S1", "Briefing transcript",
    "Mayor Dana Whitfield said: \u201cWe will not raise property taxes this year. Our budget is balanced, "
    "and our reserves are healthy. We don\u2019t need to ask residents for a single dollar more.\u201d "
    "The council will vote on the budget at its meeting on the second Tuesday of June, the clerk said.",
)
checker = OriginalityChecker()


def quote_status(text: str) -> tuple[str, OriginalityReport]:
    report = checker.analyze(text, [SOURCE])
    assert len(report.quotes) == 1
    return report.quotes[0].status, report


def test_an_exact_quote_passes_whatever_the_quote_style() -> None:
    assert quote_status('"We will not raise property taxes this year," she said.')[0] == "exact"
    assert quote_status("\u201cwe don't need to ask residents for a single dollar more\u201d she said.")[0] == "exact"
    assert quote_status('"Our budget is balanced ... we don\u2019t need to ask residents," she said.')[0] == "exact"


def test_a_quote_altered_by_one_word_is_a_misquote_with_the_sources_wording() -> None:
    text = 'Whitfield said: "We will never raise property taxes this year."'
    status, report = quote_status(text)
    assert status == "misquote"
    finding = report.findings[0]
    assert finding.kind == "misquote" and finding.severity == "high" and finding.source_label == "S1"
    assert text[finding.start:finding.end] == finding.text == "We will never raise property taxes this year."
    assert finding.evidence == "We will not raise property taxes this year"
    assert "'never' where the source has 'not'" in finding.explanation
    for altered in ('"We will not raise taxes this year," she said.',
                    '"We will not raise property taxes this year or next," she said.'):
        assert quote_status(altered)[0] == "misquote"


def test_a_quote_found_nowhere_is_unverified_at_low_severity() -> None:
    status, report = quote_status('"The library will stay open on Sundays," she said.')
    assert status == "not_found"
    assert report.findings[0].kind == "unverified_quote" and report.findings[0].severity == "low"
    assert report.originality_score == 98.0


def test_long_runs_copied_outside_quotes_are_flagged() -> None:
    text = ("In other business, the council will vote on the budget at its meeting on the second Tuesday of June. "
            '"We will not raise property taxes this year," the mayor said.')
    report = checker.analyze(text, [SOURCE])
    copies = [f for f in report.findings if f.kind == "verbatim_copy"]
    assert len(copies) == 1
    copy = copies[0]
    assert text[copy.start:copy.end] == copy.text
    assert copy.text.startswith("the council will vote") and copy.source_label == "S1"
    assert 0 < report.copied_word_share < 1 and report.originality_score < 100
    # The same words inside quotation marks are a quote, not copying.
    quoted = checker.analyze('"The council will vote on the budget at its meeting on the second Tuesday of June," the clerk said.', [SOURCE])
    assert [f.kind for f in quoted.findings] == []


def test_single_quoted_words_are_left_to_the_bias_tool() -> None:
    assert checker.analyze('The "temporary" tax stays.', [SOURCE]).quotes == []


def test_report_round_trips() -> None:
    report = checker.analyze('Whitfield said: "We will never raise property taxes this year."', [SOURCE])
    assert OriginalityReport.from_dict(report.to_dict()) == report
