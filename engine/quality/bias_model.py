"""A small learned model of subjective wording, read in pure Python.

A logistic regression over the lower-case words of a sentence in the
writer's voice (stemmed with engine.quality.text.stem) plus the sentence's
length. The public subjectivity lexicons it was trained with (VADER's
valence list, TextBlob's adjective subjectivity, this package's own bias
lexicon) were features of the training; being linear, their weights are
folded into the per-word weights, so the shipped file is one table of
word -> weight and inference is a sum. bench/train_bias_model.py trains it
and writes resources/quality/bias_model.json; the file names its training
data, their licences and the measured figures.

Explainable by construction: the words with the largest positive weights in
a flagged sentence are the finding's spans, and only words a public lexicon
lists may be shown. The file holds about 7,300 weighted words (135 kB,
read in about 15 ms once); scoring the sentences of a 1,500-word article
adds about 10 ms to the bias check's 37 ms.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from engine.quality.text import Token, stem

MODEL_FILE = "bias_model.json"


def model_terms(tokens: list[Token]) -> list[tuple[str, Token]]:
    """The (term, token) pairs the model reads: lower-case words only, so a
    name or a sentence-initial capital never carries weight; numbers are
    skipped. The first token counts when it is an ordinary word."""
    terms: list[tuple[str, Token]] = []
    seen: set[str] = set()
    for i, token in enumerate(tokens):
        if token.norm[:1].isdigit() or (i > 0 and token.is_capitalized):
            continue
        term = stem(token.norm)
        if term not in seen:
            seen.add(term)
            terms.append((term, token))
    return terms


def length_feature(token_count: int) -> float:
    return math.log1p(token_count)


@dataclass(frozen=True)
class SentenceScore:
    probability: float
    contributions: tuple[tuple[Token, float], ...]  # positive contributions of shown words, largest first


class BiasModel:
    """`shown` are the words a finding may name: those a public lexicon lists.
    Every weighted word moves the probability, but a word the model learned
    only from co-occurrence ("board", "water") is never presented as the
    reason a sentence reads as opinion."""

    def __init__(self, intercept: float, length_weight: float, weights: dict[str, float], threshold: float,
                 shown: frozenset[str] = frozenset()) -> None:
        self.intercept = intercept
        self.length_weight = length_weight
        self.weights = weights
        self.threshold = threshold
        self.shown = shown

    @classmethod
    def from_json(cls, source: str) -> BiasModel:
        data = json.loads(source)
        return cls(float(data["intercept"]), float(data["length_weight"]),
                   {k: float(v) for k, v in data["weights"].items()}, float(data["threshold"]),
                   frozenset(data.get("shown", [])))

    @classmethod
    def load(cls) -> BiasModel:
        return _default_model()

    def score(self, tokens: list[Token]) -> SentenceScore:
        z = self.intercept + self.length_weight * length_feature(len(tokens))
        contributions: list[tuple[Token, float]] = []
        for term, token in model_terms(tokens):
            weight = self.weights.get(term)
            if weight is None:
                continue
            z += weight
            if weight > 0 and term in self.shown:
                contributions.append((token, weight))
        contributions.sort(key=lambda item: -item[1])
        return SentenceScore(1.0 / (1.0 + math.exp(-z)), tuple(contributions))


@lru_cache(maxsize=1)
def _default_model() -> BiasModel:
    source = resources.files("resources.quality").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return BiasModel.from_json(source)
