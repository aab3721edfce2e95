"""The learned part of the offline fact checker: a logistic regression over a
claim's alignment features (engine.quality.facts.claim_features) giving the
probability that the sources support it.

Weights, feature scaling, the decision threshold and the confidence given to
a rule's verdict live in resources/quality/fact_model.json, written by
bench/train_fact_model.py from development data (see that script for the data
and figures). Inference is a dot product in pure Python: no numpy or
scikit-learn at run time.

Its threshold is low (0.28): on the dev sets (SummEdits' dev domains and
Falke's CNN/DM summary sentences) the rules before it (figures, polarity,
swaps, unstated superlatives and causes) carry most of the "inconsistent"
decisions, and the model mostly has to let faithful paraphrase through. Its
probability is the confidence a verdict it decides carries, so a claim it
calls supported can say it is not sure (p < 0.5). Measured figures per data
set: bench/train_fact_model.py and bench/README.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

MODEL_FILE = "fact_model.json"


@dataclass(frozen=True)
class FactModel:
    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # p(supported) at or above which a claim is supported
    rule_confidence: float  # how often a rule's contradicted/unverifiable verdict was right on dev data

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias
        for name, mean, scale, weight in zip(self.features, self.means, self.scales, self.weights, strict=True):
            z += weight * (values[name] - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def from_dict(cls, data: dict) -> FactModel:
        return cls(tuple(data["features"]), tuple(data["means"]), tuple(data["scales"]), tuple(data["weights"]),
                   float(data["bias"]), float(data["threshold"]), float(data["rule_confidence"]))


@lru_cache(maxsize=1)
def fact_model() -> FactModel:
    return FactModel.from_dict(json.loads(
        resources.files("resources.quality").joinpath(MODEL_FILE).read_text("utf-8")))
