"""Word matching beyond exact stems for the fact checker: synonyms, antonyms
and irregular forms from Princeton WordNet 3.0, compacted into
resources/quality/wordnet_lexicon.json by bench/build_wordnet_lexicon.py
(762 KiB, loaded once on first use in about 20 ms).

Terms are engine.quality.text.stem forms on both sides. A claim term matches
a passage when the passage has the same stem, the stem of its lemma ("fell"
-> "fall"), a WordNet synonym from the first senses ("unwell" / "sick"), or
a long shared prefix ("announce" / "announcement", "short" / "shortage").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from engine.quality.text import stem

_PREFIX = 6  # letters two long words must share to count as one word family
_SHORT = 5  # a word of 5-6 letters that begins a longer one is of its family


@dataclass(frozen=True)
class Lexicon:
    groups: dict[str, frozenset[int]]
    antonyms: dict[str, frozenset[str]]
    irregular: dict[str, str]  # stem of an inflected form -> stem of its lemma ("fell" -> "fall")
    counts: dict[str, int]  # times tagged in WordNet's sense-tagged corpus: how common a word is
    lemmas: frozenset[str]  # every other single-word WordNet lemma (stemmed)

    def is_word(self, term: str) -> bool:
        """A noun, verb, adjective or adverb WordNet knows (not "without", not a name it lacks)."""
        term = self.irregular.get(term, term)
        return term in self.groups or term in self.lemmas

    def groups_of(self, term: str) -> frozenset[int]:
        """The synonym groups of a stem; "died" (which the stemmer leaves whole) as "die"."""
        term = self.irregular.get(term, term)
        found = self.groups.get(term)
        if found is None and term.endswith("d"):
            found = self.groups.get(term[:-1])
        return found or frozenset()

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
    groups = {word: frozenset(ids) for word, ids in data["groups"].items()}
    # An inflected form whose stem is a word in its own right keeps it: "sicked"
    # (from "sic") stems to "sick", which is not thereby "sic".
    irregular = {stem(form): stem(base) for form, base in data["irregular"].items() if stem(form) not in groups}
    return Lexicon(groups, {word: frozenset(others) for word, others in antonyms.items()}, irregular, data["counts"],
                   frozenset(data["lemmas"]))


class TermMatcher:
    """The terms of one text (a passage, a window, a whole source), indexed
    so that a claim term can be matched softly in constant time."""

    def __init__(self, terms: set[str]) -> None:
        lex = lexicon()
        self.terms = terms | {lex.irregular[t] for t in terms if t in lex.irregular}
        self._index: tuple[set[int], set[str], set[str]] | None = None  # built on the first inexact look-up

    def _indexed(self) -> tuple[set[int], set[str], set[str]]:
        """Synonym groups, 6-letter beginnings, and 5-6-letter beginnings of longer terms."""
        if self._index is None:
            lex = lexicon()
            groups: set[int] = set()
            prefixes: set[str] = set()
            short_prefixes: set[str] = set()
            for term in self.terms:
                groups.update(lex.groups_of(term))
                if len(term) > _SHORT and not term[0].isdigit():
                    prefixes.add(term[:_PREFIX])
                    short_prefixes.update(term[:n] for n in range(_SHORT, min(len(term), _PREFIX + 1)))
            self._index = groups, prefixes, short_prefixes
        return self._index

    def exact(self, term: str) -> bool:
        return term in self.terms

    def soft(self, term: str) -> bool:
        lex = lexicon()
        if term in self.terms or lex.irregular.get(term) in self.terms:
            return True
        groups, prefixes, short_prefixes = self._indexed()
        if len(term) >= _PREFIX + 1 and term[:_PREFIX] in prefixes:
            return True
        if _SHORT <= len(term) <= _PREFIX and term in short_prefixes:
            return True  # "short" / "shortage"
        return bool(lex.groups_of(term) & groups)


def antonym_hit(claim_terms: set[str], passage_terms: set[str]) -> str | None:
    """A claim term whose WordNet antonym the passage uses while not using the
    term itself ("win" against "lose"): the opposite statement."""
    lex = lexicon()
    for term in sorted(claim_terms):
        # Not within one word family: the stemmer makes "employee" "employ", an antonym of "employer".
        opposite = {o for o in lex.antonyms.get(term, frozenset()) & passage_terms
                    if not (o.startswith(term) or term.startswith(o))}
        if opposite and term not in passage_terms:
            return f"{sorted(opposite)[0]}/{term}"
    return None
