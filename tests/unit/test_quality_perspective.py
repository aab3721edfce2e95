"""Perspective balance: voices, source types, stances, stakeholder coverage, the gate."""

from engine.quality.perspective import PerspectiveAnalyzer
from engine.quality.types import PerspectiveReport

analyzer = PerspectiveAnalyzer()

BALANCED = """The council approved the Harbor Point tower on Tuesday.

"This project will bring homes to a city that badly needs them," said Mayor Dana Whitfield. She added that the developer agreed to set aside 44 affordable units.

Council member Ray Ortega, who voted against the plan, said the tax break was a giveaway. "It is a gift to a developer who would have built here anyway," Ortega said.

Jorge Medina, a tenant on Oak Street, said he worried about rising rents. "My neighbors are leaving one by one."

According to a city staff report, the project would generate $1.2 million a year in property taxes.
"""


def test_voices_are_found_merged_and_typed() -> None:
    report = analyzer.analyze(BALANCED)
    by_name = {v.name: v for v in report.voices}
    assert set(by_name) == {"Dana Whitfield", "Ray Ortega", "Jorge Medina", "city staff report"}
    assert by_name["Dana Whitfield"].source_type == "official" and by_name["Dana Whitfield"].stance == "support"
    assert by_name["Ray Ortega"].stance == "oppose"
    assert by_name["Jorge Medina"].source_type == "resident"
    assert by_name["city staff report"].source_type == "document"
    # "She added ..." is Whitfield's; the bare quote after Medina's sentence continues his voice.
    assert any("44 affordable units" in q.text for q in by_name["Dana Whitfield"].quotes)
    assert any("one by one" in q.text for q in by_name["Jorge Medina"].quotes)
    for voice in report.voices:
        for quote in voice.quotes:
            assert BALANCED[quote.start:quote.end] == quote.text
    assert report.perspectives_count == 4
    assert report.perspective_balance_score >= 60


def test_a_one_voice_article_scores_below_the_gate() -> None:
    text = ('The council approved the tower. "It is a great day for the city," said Mayor Dana Whitfield. '
            "Whitfield said the project would help families and bring new jobs.")
    report = analyzer.analyze(text)
    assert report.perspectives_count == 1
    assert report.perspective_balance_score < 60
    single = next(f for f in report.findings if f.kind == "single_perspective")
    assert text[single.start:single.end] == single.text == "Mayor Dana Whitfield"


def test_an_article_without_attribution_is_flagged() -> None:
    report = analyzer.analyze("The tower will rise 12 stories. Construction starts in May.")
    assert report.voices == [] and report.perspective_balance_score == 0
    assert [f.kind for f in report.findings] == ["no_attributed_sources"]


def test_stakeholders_covered_mentioned_and_missing() -> None:
    report = analyzer.analyze(BALANCED, ["tenants", "city council", "councilmembers", "developers", "landlords"])
    assert report.covered == ["tenants", "city council", "councilmembers", "developers"]
    assert report.missing == ["landlords"]
    kinds = {f.kind for f in report.findings}
    assert {"missing_stakeholder", "unquoted_stakeholder"} <= kinds
    missing = next(f for f in report.findings if f.kind == "missing_stakeholder")
    assert (missing.start, missing.end, missing.text) == (0, 0, "")
    assert analyzer.analyze(BALANCED, ["tenants"]).perspective_balance_score > report.perspective_balance_score


def test_one_sided_sourcing_is_flagged() -> None:
    text = ('"This is a great plan," said Mayor Dana Whitfield. '
            '"I strongly support it," said council member Ray Ortega.')
    report = analyzer.analyze(text)
    assert {"one_sided", "single_source_type"} <= {f.kind for f in report.findings}
    assert report.perspective_balance_score < 60


def test_report_round_trips() -> None:
    report = analyzer.analyze(BALANCED, ["tenants", "landlords"])
    data = report.to_dict()
    assert data["perspectives_count"] == 4
    assert PerspectiveReport.from_dict(data) == report
