"""Fact verification: claims, evidence, numeric and polarity consistency, the score."""

from engine.pipeline.offline import OFFLINE_NOTE
from engine.quality.facts import FactVerificationTool, extract_claims, fact_check_score
from engine.quality.numbers import extract_quantities
from engine.quality.types import OFFLINE_CHECKER, ClaimVerdict, FactReport, SourceDoc

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


def one(claim: str, source: str) -> ClaimVerdict:
    return verdict(claim, [SourceDoc("S1", "source", source)])


def test_negation_counts_only_in_the_clause_that_carries_the_fact() -> None:
    source = "The council approved the budget on Monday, although two members did not attend."
    assert one("The council approved the budget on Monday.", source).verdict == "supported"
    assert one("The council did not approve the budget on Monday.", source).verdict == "contradicted"


def test_day_month_dates_and_ranges_are_read_as_written() -> None:
    assert one("The report was published on December 13.", "The report was published on 13 December.").verdict == "supported"
    years = [q.value for q in extract_quantities("in the 2007-08 season; he lived 1708-1765")]
    assert years == [2007.0, 2008.0, 1708.0, 1765.0]
    assert all(q.value > 0 for q in extract_quantities("He lived 1708-1765 and played 4-5 times."))


def test_numbers_keep_their_units_and_number_words_their_scale() -> None:
    assert one("She trained for five years.", "She trained 4\u20135 times a week.").verdict != "supported"
    assert [q.value for q in extract_quantities("five hundred million people")] == [5e8]
    # The same quantity with another value is a contradiction; another quantity is not.
    assert one("Carbon dioxide is at its highest level in 15 million years.",
               "Carbon dioxide is at its highest level in 20 million years.").verdict == "contradicted"
    assert one("Carbon dioxide levels are the highest in 15 million years, affecting 20 million people.",
               "Carbon dioxide levels are the highest in 15 million years, affecting 20 million people.").verdict == "supported"


def test_one_changed_content_word_is_not_supported() -> None:
    assert one("He was convicted of murder in 2019.", "He was convicted of manslaughter in 2019.").verdict != "supported"
    assert one("The fault was in the navigation system of the ship.",
               "The fault was in the propulsion system of the ship.").verdict != "supported"


def test_names_are_compared_whatever_their_case() -> None:
    source = "The Swansea striker scored twice in the second half on Saturday."
    lower = one("the sunderland striker scored twice in the second half on saturday.", source)
    assert lower.verdict != "supported"
    headline = one("The Sunderland Striker Scored Twice In The Second Half", source)
    assert headline.verdict != "supported" and "Are" not in headline.reason and "The," not in headline.reason
    assert one("the swansea striker scored twice in the second half on saturday.", source).verdict == "supported"


def test_synonyms_and_lemmas_match() -> None:
    assert one("The minister was unwell on Tuesday.", "The minister was sick on Tuesday.").verdict == "supported"
    assert one("Prices rose sharply in March.", "Prices had risen sharply in March.").verdict == "supported"


def test_preambles_and_the_offline_note_are_not_claims() -> None:
    text = ("Here is a concise summary of the Riverside budget story:\n\n"
            "Sure! Here is the article about the Riverside council you asked for.\n\n"
            f"{OFFLINE_NOTE}\n\nThe Riverside City Council voted 5-2 on Tuesday.")
    claims = [text[s.start:s.end] for s in extract_claims(text)]
    assert claims == ["The Riverside City Council voted 5-2 on Tuesday."]


def test_every_verdict_carries_a_confidence_and_the_offline_checker() -> None:
    report = tool.analyze("The budget includes $3.2 million for road repairs. The budget includes $2.3 million "
                          "for road repairs. A parade is planned for June in Riverside.", SOURCES)
    assert [c.verdict for c in report.claims] == ["supported", "contradicted", "unverifiable"]
    for claim in report.claims:
        assert 0.0 < claim.confidence <= 1.0 and claim.checker == OFFLINE_CHECKER
    # Stated word for word, and a figure the source gives differently: both sure.
    assert report.claims[0].confidence >= 0.5 and report.claims[1].confidence >= 0.5


def test_a_swapped_agent_is_contradicted() -> None:
    source = "Arsenal defeated Chelsea 2-1 at the Emirates Stadium on Sunday."
    assert one("Chelsea defeated Arsenal at the Emirates Stadium on Sunday.", source).verdict == "contradicted"
    assert one("Arsenal defeated Chelsea at the Emirates Stadium on Sunday.", source).verdict == "supported"


def test_a_superlative_or_cause_needs_its_source_to_say_so() -> None:
    source = "Delmar Foods employs 1,200 people at its Riverside plant."
    assert one("Delmar Foods is the largest employer at its Riverside plant.", source).verdict == "unverifiable"
    fire = "The fire started in a second-floor kitchen at about 3:40 a.m."
    assert one("The fire was caused by an unattended stove in the kitchen.", fire).verdict == "unverifiable"


def test_a_number_inside_a_name_is_no_figure() -> None:
    assert extract_quantities("the impact of COVID-19 on F-16 orders") == ()
    assert one("There is still uncertainty because of the impact of COVID-19.",
               "Conditions remain uncertain because of the impact of COVID.").verdict == "supported"


def test_a_small_spelled_out_tally_of_listed_things_is_not_a_missing_figure() -> None:
    source = "Steve and Carly plan to meet up for a drink at Kings over the weekend."
    assert one("Two friends, Steve and Carly, plan to meet for a drink at Kings over the weekend.",
               source).verdict == "supported"
    # A different figure for the same thing is still a contradiction, and a duration still a figure.
    assert one("Three friends met for a drink.", "Two friends met for a drink.").verdict == "contradicted"
    assert one("She trained for five years.", "She trained for years.").verdict != "supported"


def test_an_ordinal_before_a_period_is_not_a_ranking() -> None:
    source = "Revenue for the quarter reached $3.5 billion, the company said."
    assert one("Revenue for the first quarter reached $3.5 billion.", source).verdict == "supported"
    assert one("It was the first company to reach revenue of $3.5 billion for the quarter.",
               source).verdict == "unverifiable"


def test_a_summary_may_join_two_stated_facts_with_because() -> None:
    source = "The library closed early on Monday. A water pipe burst in the basement on Monday."
    assert one("The library closed early on Monday because a water pipe burst in the basement.",
               source).verdict == "supported"
    assert one("The fire was caused by an unattended stove in the kitchen.",
               "The fire started in a second-floor kitchen at about 3:40 a.m.").verdict == "unverifiable"
