"""Gates and weights from the profile's JSON, the overall score and readable failures."""

import pytest

from engine.quality.overall import QualityGates, QualityWeights, score_overall
from engine.validation import SettingsInvalid


def test_defaults_follow_the_design() -> None:
    gates = QualityGates()
    assert (gates.bias_max, gates.fact_check_min, gates.perspective_min, gates.min_perspectives, gates.overall_min) == (20, 80, 60, 2, 70)
    assert QualityWeights().to_dict() == {"fact": 0.4, "bias": 0.25, "perspective": 0.2, "originality": 0.15}


def test_built_from_plain_dicts_with_defaults_for_missing_keys() -> None:
    gates = QualityGates.from_dict({"fact_check_min": 90})
    assert gates.fact_check_min == 90 and gates.bias_max == 20
    assert QualityGates.from_dict(None) == QualityGates()
    assert QualityGates.from_dict(gates.to_dict()) == gates
    assert QualityWeights.from_dict({"fact": 1, "bias": 1, "perspective": 1, "originality": 1}).fact == 1


@pytest.mark.parametrize("data, field, reason", [
    ({"fact_min": 80}, "fact_min", "an unknown setting (known: bias_max, fact_check_min, perspective_min, "
                                   "min_perspectives, overall_min, originality_min)"),
    ({"bias_max": "20"}, "bias_max", "between 0 and 100"),
    ({"bias_max": True}, "bias_max", "between 0 and 100"),
    ({"bias_max": 120}, "bias_max", "between 0 and 100"),
    ({"min_perspectives": 1.5}, "min_perspectives", "a whole number from 0 to 100"),
])
def test_bad_gate_settings_say_what_is_wrong(data: dict, field: str, reason: str) -> None:
    with pytest.raises(SettingsInvalid) as refused:
        QualityGates.from_dict(data)
    assert refused.value.fields == {field: reason}
    assert str(refused.value) == f"invalid {field}: {reason}"


def test_bad_weights_are_rejected() -> None:
    with pytest.raises(SettingsInvalid) as refused:
        QualityWeights.from_dict({"fact": 0, "bias": 0, "perspective": 0, "originality": 0})
    assert refused.value.fields == {"quality_weights": "weights that are not all 0"}
    with pytest.raises(SettingsInvalid) as refused:
        QualityWeights.from_dict({"fact": -1, "bias": "x"})
    assert refused.value.fields == {"fact": "a weight of 0 or more", "bias": "a weight of 0 or more"}


def test_passing_article() -> None:
    result = score_overall(bias=10, fact=90, perspective=70, originality=95, perspectives_count=3)
    assert result.quality_passed and result.failed_gates == []
    assert result.overall_quality_score == round(0.4 * 90 + 0.25 * 90 + 0.2 * 70 + 0.15 * 95, 1)


def test_each_failed_gate_has_a_readable_reason() -> None:
    result = score_overall(bias=35, fact=72, perspective=45.25, originality=50, perspectives_count=1)
    assert not result.quality_passed
    assert result.failed_gates == [
        "bias_score 35 > 20",
        "fact_check_score 72 < 80",
        "perspective_balance_score 45.2 < 60",
        "perspectives 1 < 2",
        "overall_quality_score 61.6 < 70",
    ]


def test_weights_are_normalised() -> None:
    doubled = QualityWeights(fact=0.8, bias=0.5, perspective=0.4, originality=0.3)
    assert (score_overall(10, 90, 70, 95, 3, weights=doubled).overall_quality_score
            == score_overall(10, 90, 70, 95, 3).overall_quality_score)


def test_a_draft_that_repeats_its_sources_fails_the_originality_gate() -> None:
    assert QualityGates().originality_min == 40
    copied = score_overall(bias=0, fact=100, perspective=90, originality=0, perspectives_count=3)
    assert not copied.quality_passed and copied.failed_gates == ["originality_score 0 < 40"]
    # 15 % of the words copied (originality 70) is a written article quoting its sources: it passes.
    written = score_overall(bias=0, fact=100, perspective=90, originality=70, perspectives_count=3)
    assert written.quality_passed
    assert score_overall(0, 100, 90, 39.5, 3).failed_gates == ["originality_score 39.5 < 40"]
    off = QualityGates.from_dict({"originality_min": 0})
    assert score_overall(0, 100, 90, 0, 3, gates=off).quality_passed


def test_originality_gate_on_a_copied_and_a_written_article() -> None:
    from engine.quality import SourceDoc, analyze_text

    source = SourceDoc("S1", "Minutes", (
        "The city council voted 5-2 on Tuesday night to approve a general fund budget of $412.6 million for the "
        "next fiscal year, closing a projected gap by leaving 22 vacant positions unfilled and drawing money "
        "from the general reserve."))
    copied = ("The city council voted 5-2 on Tuesday night to approve a general fund budget of $412.6 million "
              "for the next fiscal year, closing a projected gap by leaving 22 vacant positions unfilled [S1].\n")
    written = ("Council members split 5-2 in favour of a $412.6 million spending plan on Tuesday [S1]. To cover "
               "the shortfall, the city will keep 22 open jobs empty and dip into its reserve [S1].\n")
    gate = "originality_score"
    assert any(g.startswith(gate) for g in analyze_text(copied, [source]).overall.failed_gates)
    assert not any(g.startswith(gate) for g in analyze_text(written, [source]).overall.failed_gates)
