"""Word matching beyond exact stems for the fact checker: synonyms, antonyms
and irregular forms from Princeton WordNet 3.0, compacted into
resources/quality/wordnet_lexicon.json by bench/build_wordnet_lexicon.py
(762 KiB, loaded once on first use in about 20 ms).

Terms are engine.quality.text.stem forms on both sides. A claim term matches
a passage when the passage has the same stem, the stem of its lemma ("fell"
-> "fall"), a WordNet synonym from the first senses ("unwell" / "sick"), or
a long shared prefix ("announce" / "announcement").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from engine.quality.text import stem

_PREFIX = 6  # letters two long words must share to count as one word family


@dataclass(frozen=True)
class Lexicon:
    groups: dict[str, frozenset[int]]
    antonyms: dict[str, frozenset[str]]
    irregular: dict[str, str]  # stem of an inflected form -> stem of its lemma ("fell" -> "fall")
    counts: dict[str, int]  # times tagged in WordNet's sense-tagged corpus: how common a word is

    def rarity(self, term: str) -> float:
        """0 for the commonest words up to 1 for words the tagged corpus never saw (names, rare words)."""
        count = self.counts.get(self.irregular.get(term, term), 0)
        return max(0.0, 1.0 - math.log1p(count) / 8.0)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data = json.loads(resources.files("resources.quality").joinpath("wordnet_lexicon.json").read_text("utf-8"))
    antonyms: dict[str, set[str]] = {}
    for a, b in data["antonyms"]:
        antonyms.setdefault(a, set()).add(b)
        antonyms.setdefault(b, set()).add(a)
    return Lexicon(
        {word: frozenset(ids) for word, ids in data["groups"].items()},
        {word: frozenset(others) for word, others in antonyms.items()},
        {stem(form): stem(base) for form, base in data["irregular"].items()},
        data["counts"],
    )


class TermMatcher:
    """The terms of one text (a passage, a window, a whole source), indexed
    so that a claim term can be matched softly in constant time."""

    def __init__(self, terms: set[str]) -> None:
        lex = lexicon()
        self.groups: set[int] = set()
        self.prefixes: set[str] = set()
        self.terms = terms | {lex.irregular[t] for t in terms if t in lex.irregular}
        for term in self.terms:
            self.groups.update(lex.groups.get(term, ()))
            if len(term) >= _PREFIX + 1 and not term[0].isdigit():
                self.prefixes.add(term[:_PREFIX])

    def exact(self, term: str) -> bool:
        return term in self.terms

    def soft(self, term: str) -> bool:
        lex = lexicon()
        if term in self.terms or lex.irregular.get(term) in self.terms:
            return True
        if len(term) >= _PREFIX + 1 and term[:_PREFIX] in self.prefixes:
            return True
        return bool(lex.groups.get(lex.irregular.get(term, term), frozenset()) & self.groups)


def antonym_hit(claim_terms: set[str], passage_terms: set[str]) -> str | None:
    """A claim term whose WordNet antonym the passage uses while not using the
    term itself ("win" against "lose"): the opposite statement."""
    lex = lexicon()
    for term in sorted(claim_terms):
        opposite = lex.antonyms.get(term, frozenset()) & passage_terms
        if opposite and term not in passage_terms:
            return f"{sorted(opposite)[0]}/{term}"
    return None
