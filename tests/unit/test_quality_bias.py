"""Bias detection: the writer's voice only, spans that match the text, density scoring."""

import pytest

from engine.quality.bias import MIN_MODEL_WEIGHT, BiasDetectionTool, bias_score
from engine.quality.bias_model import BiasModel
from engine.quality.lexicon import BiasLexicon

tool = BiasDetectionTool()


def kinds(text: str) -> list[tuple[str, str]]:
    report = tool.analyze(text)
    for f in report.findings:
        assert text[f.start:f.end] == f.text
    return [(f.text, f.kind) for f in report.findings]


def test_loaded_words_in_the_writers_voice_are_flagged_with_spans() -> None:
    text = "The council's reckless plan is a boondoggle, and the embattled mayor slammed her critics."
    report = tool.analyze(text)
    assert {f.text for f in report.findings} >= {"reckless", "boondoggle", "embattled", "slammed"}
    reckless = next(f for f in report.findings if f.text == "reckless")
    assert text[reckless.start:reckless.end] == "reckless"
    assert reckless.tool == "bias" and reckless.explanation and reckless.suggestion
    assert report.bias_score > 20


@pytest.mark.parametrize("text", [
    '"This is a disaster," said Mayor Lee.',
    "According to the union, the plan is reckless.",
    "The plan is reckless and outrageous, council member Ray Ortega said on Tuesday.",
    "Ortega argued that the tax break amounts to a giveaway to developers.",
    'Mayor Dana Whitfield called the ruling "a disaster for working families."',
    "Jane Doe, a teacher at Lincoln High, said the plan was a shameful boondoggle.",
    "\u201cIt\u2019s a boondoggle, plain and simple,\u201d said Gary Holt, a member of the taxpayers association.",
])
def test_opinion_attributed_to_a_named_source_is_not_the_writers_bias(text: str) -> None:
    report = tool.analyze(text)
    assert report.findings == []
    assert report.bias_score == 0


def test_the_writers_choice_of_attribution_verb_and_label_still_count() -> None:
    assert ("admitted", "loaded_verb") in kinds("Transit officials admitted the new schedule caused delays.")
    assert ("radical", "label") in kinds('"The plan works," radical activist Jane Doe said.')


def test_unnamed_crowds_are_flagged_and_their_claims_downgraded() -> None:
    report = tool.analyze("Critics say the plan is reckless.")
    by_text = {f.text: f for f in report.findings}
    assert by_text["Critics say"].kind == "weasel_attribution"
    assert by_text["reckless"].severity == "low"  # medium in the lexicon, one step down when hung on a crowd
    assert ("Many residents believe", "weasel_attribution") in kinds("Many residents believe the council is ignoring them.")


def test_official_terms_and_literal_senses_are_not_flagged() -> None:
    assert kinds("The county received a federal disaster declaration after the tornadoes.") == []
    assert kinds("The crisis line is staffed 24 hours a day.") == []
    assert kinds("The council approved the plan even though the budget office warned of a shortfall.") == []


def test_scare_quotes_and_exclamations() -> None:
    assert ('"temporary"', "scare_quotes") in kinds('The county\'s "temporary" tax is now in its 12th year.')
    assert kinds("The park reopens Saturday!")[0][1] == "sentiment_extremity"


def test_headings_and_citation_markers_are_not_analysed() -> None:
    text = "# A shocking, disastrous budget\n\nThe council approved the budget on Tuesday [S1]."
    assert tool.analyze(text).findings == []


def test_score_scales_with_density_per_sentence() -> None:
    clean = "The council met on Tuesday and approved the minutes of its last meeting. " * 30
    long_article = clean + "The reckless plan passed."
    short_brief = "The reckless plan passed. The council met on Tuesday."
    long_score = tool.analyze(long_article).bias_score
    short_score = tool.analyze(short_brief).bias_score
    assert 0 < long_score < 10 < short_score
    assert bias_score(0, 10) == 0.0
    assert bias_score(2, 1) > bias_score(2, 10)


def test_lexicon_rejects_duplicates_and_bad_severity() -> None:
    entry = '{ term = "bad", severity = "%s", explanation = "x", suggestion = "" }'
    with pytest.raises(ValueError, match="severity"):
        BiasLexicon.from_toml(f'[[category]]\nname = "c"\nentries = [{entry % "huge"}]')
    with pytest.raises(ValueError, match="listed under both"):
        BiasLexicon.from_toml(f'[[category]]\nname = "c"\nentries = [{entry % "low"}, {entry % "low"}]')


def test_shipped_lexicon_entries_are_documented() -> None:
    lexicon = BiasLexicon.load()
    assert lexicon.size >= 150


# --- issue 11: causes found on public data, one regression test each ---------------------------

@pytest.mark.parametrize("word", ["cartoonish", "raucous", "phony", "asserted", "radicalism"])
def test_lexicon_covers_words_expert_annotators_mark(word: str) -> None:
    text = {"asserted": "The senator asserted the deal would pass.",
            "radicalism": "The party's radicalism worried donors."}.get(word, f"The {word} rally ended at noon.")
    assert word in {f.text for f in BiasDetectionTool(use_model=False).analyze(text).findings}


def test_curly_single_quotes_are_quotation_marks() -> None:
    rules = BiasDetectionTool(use_model=False)
    # The quoted words are the council's, not the writer's; an apostrophe does not close the quote.
    assert rules.analyze("Lee called the plan \u2018a reckless disaster\u2019 on Tuesday.").findings == []
    assert rules.analyze("\u2018It\u2019s a shameful boondoggle,\u2019 said Gary Holt.").findings == []
    assert ("\u2018temporary\u2019", "scare_quotes") in [
        (f.text, f.kind) for f in rules.analyze("The county\u2019s \u2018temporary\u2019 tax is in its 12th year.").findings]
    assert rules.analyze("Rock \u2018n\u2019 roll filled the \u201890s charts.").findings == []
    # An elided year is no opening quote: the loaded word after it is still the writer's.
    assert [f.text for f in rules.analyze("In the \u201890s the reckless players\u2019 union struck.").findings] == ["reckless"]


def test_a_headline_is_not_a_speaker_and_not_the_writers_words() -> None:
    from engine.quality.attribution import attributions

    text = "Headlined \u2018Phony Outrage\u2019, the column argued that the tax was fair."
    (found,) = attributions(text)
    assert text[found.speaker.start:found.speaker.end] == "the column"
    assert BiasDetectionTool(use_model=False).analyze(text).findings == []
    assert BiasDetectionTool(use_model=False).analyze("The report, titled \u2018lost years\u2019, came out Monday.").findings == []


def test_neutral_senses_are_not_flagged() -> None:
    rules = BiasDetectionTool(use_model=False)
    assert rules.analyze("The rule merely delays the vote until June.").findings == []
    assert [f.text for f in rules.analyze("The agency hired merely three inspectors.").findings] == ["merely"]
    assert rules.analyze("The International Crisis Group published the report.").findings == []
    assert rules.analyze("Crisis Text Line volunteers answered 900 calls.").findings == []
    assert [f.text for f in rules.analyze("The crisis deepened.").findings] == ["crisis"]


# --- the learned subjective-wording model ------------------------------------------------------

def _toy_model(weights: dict[str, float], shown: set[str]) -> BiasModel:
    return BiasModel(intercept=-2.0, length_weight=0.0, weights=weights, threshold=0.5, shown=frozenset(shown))


def test_model_names_the_words_that_made_a_clean_sentence_read_as_opinion() -> None:
    tool_with_model = BiasDetectionTool(model=_toy_model({"gleam": 3.0, "wing": 0.4}, {"gleam", "wing"}))
    text = "The gleaming wing opened on Monday."
    report = tool_with_model.analyze(text)
    assert [(f.text, f.kind, f.severity) for f in report.findings] == [
        ("gleaming", "subjective_wording", "low"), ("wing", "subjective_wording", "low")]
    assert all(text[f.start:f.end] == f.text for f in report.findings)
    assert "gleaming" in report.findings[0].explanation and report.findings[0].suggestion is None
    assert report.bias_score > 20


def test_model_is_attribution_aware_and_never_doubles_a_rule_finding() -> None:
    tool_with_model = BiasDetectionTool(model=_toy_model({"gleam": 3.0, "reckless": 3.0}, {"gleam", "reckless"}))
    assert tool_with_model.analyze("\u201cThe gleaming wing is here,\u201d said Mayor Lee.").findings == []
    assert tool_with_model.analyze("Mayor Lee said the gleaming wing would open soon.").findings == []
    assert [f.kind for f in tool_with_model.analyze("The reckless gleaming plan passed.").findings] == ["loaded_language"]


def test_model_words_learned_only_from_co_occurrence_are_never_the_explanation() -> None:
    tool_with_model = BiasDetectionTool(model=_toy_model({"water": 5.0}, set()))
    assert tool_with_model.analyze("The water main broke.").findings == []


def test_shipped_model_is_plain_data_and_leaves_plain_facts_alone() -> None:
    model = BiasModel.load()
    assert 0 < model.threshold < 1 and len(model.weights) > 1000
    assert all(model.weights[w] >= MIN_MODEL_WEIGHT for w in model.shown)
    assert tool.analyze("The council approved the budget on Tuesday by a 5-2 vote.").findings == []


def test_model_leaves_lexicon_words_and_their_exceptions_to_the_rules() -> None:
    tool_with_model = BiasDetectionTool(model=_toy_model({"disaster": 5.0}, {"disaster"}))
    assert tool_with_model.analyze("The county received a federal disaster declaration.").findings == []


def test_puffery_that_npov_editors_remove_is_flagged() -> None:
    rules = BiasDetectionTool(use_model=False)
    found = {f.text for f in rules.analyze("The award-winning, acclaimed and prestigious festival opened.").findings}
    assert found == {"award-winning", "acclaimed", "prestigious"}
    assert rules.analyze("The map legend shows the flood zones.").findings == []


def test_a_loaded_word_before_a_title_is_not_taken_for_part_of_a_name() -> None:
    rules = BiasDetectionTool(use_model=False)
    assert [f.text for f in rules.analyze("Embattled Mayor Dana Lee resigned on Friday.").findings] == ["Embattled"]
