"""The overall quality score and the publication gates.

Both come from the config profile, stored there as plain JSON objects, so
each is built from a dict with `from_dict` (missing keys take the defaults,
unknown keys are an error naming the key) and written back with `to_dict`.

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

from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

from engine.quality.types import OverallResult

_T = TypeVar("_T", "QualityGates", "QualityWeights")


def _from_dict(cls: type[_T], data: dict[str, Any] | None) -> _T:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data or {}) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} setting(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{cls.__name__}.{key} must be a number, not {value!r}")
        values[key] = value
    return cls(**values)


@dataclass(frozen=True)
class QualityGates:
    bias_max: float = 20
    fact_check_min: float = 80
    perspective_min: float = 60
    min_perspectives: int = 2
    overall_min: float = 70
    originality_min: float = 40

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "min_perspectives":
                if value < 0 or value != int(value):
                    raise ValueError(f"QualityGates.min_perspectives must be a whole number >= 0, not {value!r}")
            elif not 0 <= value <= 100:
                raise ValueError(f"QualityGates.{f.name} must be between 0 and 100, not {value!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> QualityGates:
        return _from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QualityWeights:
    fact: float = 0.4
    bias: float = 0.25
    perspective: float = 0.2
    originality: float = 0.15

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("QualityWeights must be >= 0 and not all zero")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> QualityWeights:
        return _from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
