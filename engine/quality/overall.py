"""The overall quality score and the publication gates.

Both come from the config profile, stored there as plain JSON objects, so
each is built from a dict with `from_dict` (missing keys take the defaults; an
unknown key or a value out of range raises engine.validation.SettingsInvalid,
whose `fields` name each with its reason) and written back with `to_dict`.

overall_quality_score = weighted mean of
    fact_check_score, 100 - bias_score, perspective_balance_score, originality_score
with the weights normalised to sum to 1. Defaults: fact 0.4 (a wrong fact is
the costliest error), bias 0.25, perspective 0.2, originality 0.15.

An article passes when every gate holds (DESIGN.md section 3): bias_score <=
20, fact_check_score >= 80, perspective_balance_score >= 60 with at least two
perspectives, overall_quality_score >= 70, and originality_score >= 40.

The originality gate stops a draft that mostly repeats its sources:
originality_score = 100 * (1 - 2 * copied share) (engine.quality.originality),
so 40 fails an article once 30 % of its prose words are verbatim runs of 12+
words from a source. The offline extractive draft scores 0 on all seven demo
keywords; an article written in its own words (the tests' paraphrase scores
98) passes. Set originality_min to 0 to switch the gate off.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, Field, model_validator

from engine.checked import Checked
from engine.quality.types import OverallResult

_SCORE = "between 0 and 100"


class QualityGates(Checked):
    # strict: a gate stored as "20" or true is refused, not read as a number.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    section: ClassVar[str] = "quality_gates"

    bias_max: float = Field(20.0, ge=0, le=100, description=_SCORE)
    fact_check_min: float = Field(80.0, ge=0, le=100, description=_SCORE)
    perspective_min: float = Field(60.0, ge=0, le=100, description=_SCORE)
    min_perspectives: int = Field(2, ge=0, le=100, description="a whole number from 0 to 100")
    overall_min: float = Field(70.0, ge=0, le=100, description=_SCORE)
    originality_min: float = Field(40.0, ge=0, le=100, description=_SCORE)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> QualityGates:
        return cls.checked(data)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


class QualityWeights(Checked):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    section: ClassVar[str] = "quality_weights"

    fact: float = Field(0.4, ge=0, description="a weight of 0 or more")
    bias: float = Field(0.25, ge=0, description="a weight of 0 or more")
    perspective: float = Field(0.2, ge=0, description="a weight of 0 or more")
    originality: float = Field(0.15, ge=0, description="a weight of 0 or more")

    @model_validator(mode="after")
    def _not_all_zero(self) -> QualityWeights:
        if self.fact + self.bias + self.perspective + self.originality <= 0:
            raise ValueError("weights that are not all 0")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> QualityWeights:
        return cls.checked(data)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


def _show(value: float) -> str:
    """72.0 -> '72', 72.46 -> '72.5': gate reasons read like an editor would write them."""
    return f"{value:.1f}".removesuffix(".0")


def score_overall(
    bias: float,
    fact: float,
    perspective: float,
    originality: float,
    perspectives_count: int,
    gates: QualityGates | None = None,
    weights: QualityWeights | None = None,
) -> OverallResult:
    gates = gates or QualityGates()
    weights = weights or QualityWeights()
    total_weight = weights.fact + weights.bias + weights.perspective + weights.originality
    overall = round(
        (weights.fact * fact + weights.bias * (100 - bias) + weights.perspective * perspective
         + weights.originality * originality) / total_weight,
        1,
    )
    failed: list[str] = []
    if bias > gates.bias_max:
        failed.append(f"bias_score {_show(bias)} > {_show(gates.bias_max)}")
    if fact < gates.fact_check_min:
        failed.append(f"fact_check_score {_show(fact)} < {_show(gates.fact_check_min)}")
    if perspective < gates.perspective_min:
        failed.append(f"perspective_balance_score {_show(perspective)} < {_show(gates.perspective_min)}")
    if perspectives_count < gates.min_perspectives:
        failed.append(f"perspectives {perspectives_count} < {gates.min_perspectives}")
    if overall < gates.overall_min:
        failed.append(f"overall_quality_score {_show(overall)} < {_show(gates.overall_min)}")
    if originality < gates.originality_min:
        failed.append(f"originality_score {_show(originality)} < {_show(gates.originality_min)}")
    return OverallResult(overall, not failed, failed)
