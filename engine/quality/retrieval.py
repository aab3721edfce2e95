"""Evidence retrieval: source documents split into sentence passages, ranked
with Okapi BM25.

Pure Python rather than SQLite FTS5: the corpus is a handful of sources per
article (a few hundred passages), FTS5's query syntax would need escaping for
every claim, and the same IDF table is reused to weight claim-term coverage
in engine.quality.facts. The index also keeps, built on first use, what the
fact checker asks of every claim: soft term matchers for a passage, its
neighbours and all sources, the figures of each passage, and the words the
sources write as names.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from engine.quality.lexical import TermMatcher
from engine.quality.numbers import Quantity, extract_quantities
from engine.quality.text import content_terms, layout, tokenize
from engine.quality.types import SourceDoc

K1 = 1.5
B = 0.75


@dataclass(frozen=True)
class Passage:
    source_label: str
    index: int  # sentence number within its source
    start: int  # offsets into the source text
    end: int
    text: str
    terms: tuple[str, ...]


class EvidenceIndex:
    def __init__(self, sources: list[SourceDoc]) -> None:
        self.passages: list[Passage] = []
        names: set[str] = set()
        for source in sources:
            for i, span in enumerate(layout(source.text, code_spans=False).sentences):
                words = tokenize(source.text, span.start, span.end)
                names.update(w.norm for w in words[1:] if w.is_capitalized)
                self.passages.append(Passage(
                    source.label, i, span.start, span.end, source.text[span.start:span.end],
                    tuple(content_terms(words)),
                ))
        # Lower-case forms of the words the sources capitalise mid-sentence: names.
        self.names = frozenset(names)
        self._matchers: dict[tuple[str, int, int], TermMatcher] = {}
        self._quantities: dict[str, tuple[Quantity, ...]] = {}
        self._texts = {source.label: source.text for source in sources}
        self._every_quantity: list[Quantity] | None = None
        self._by_source: dict[str, list[Passage]] = {}
        for passage in self.passages:
            self._by_source.setdefault(passage.source_label, []).append(passage)
        self._tf = [Counter(p.terms) for p in self.passages]
        self._avg_len = sum(len(p.terms) for p in self.passages) / max(1, len(self.passages))
        df: Counter[str] = Counter()
        for p in self.passages:
            df.update(set(p.terms))
        n = len(self.passages)
        self._idf = {term: math.log(1 + (n - count + 0.5) / (count + 0.5)) for term, count in df.items()}
        # A term no passage contains is the rarest of all: weigh it like a
        # term found in a single passage, so it counts fully against coverage.
        self.unseen_idf = math.log(1 + (n - 1 + 0.5) / 1.5) if n else 1.0

    def idf(self, term: str) -> float:
        return self._idf.get(term, self.unseen_idf)

    def search(self, terms: list[str], k: int = 5, only: set[str] | None = None) -> list[tuple[Passage, float]]:
        """Top k passages by BM25 score, optionally restricted to some source labels."""
        query = Counter(terms)
        scored: list[tuple[Passage, float]] = []
        for passage, tf in zip(self.passages, self._tf, strict=True):
            if only is not None and passage.source_label not in only:
                continue
            score = 0.0
            norm = K1 * (1 - B + B * len(passage.terms) / self._avg_len) if self._avg_len else K1
            for term in query:
                f = tf.get(term, 0)
                if f:
                    score += self._idf[term] * f * (K1 + 1) / (f + norm)
            if score > 0:
                scored.append((passage, score))
        scored.sort(key=lambda item: (-item[1], item[0].source_label, item[0].index))
        return scored[:k]

    def neighbours(self, passage: Passage) -> list[Passage]:
        """The passage with the sentences either side of it in the same source."""
        same = self._by_source[passage.source_label]
        return same[max(0, passage.index - 1):passage.index + 2]

    def _matcher(self, key: tuple[str, int, int], passages: list[Passage]) -> TermMatcher:
        if key not in self._matchers:
            self._matchers[key] = TermMatcher({t for p in passages for t in p.terms})
        return self._matchers[key]

    def matcher(self, passage: Passage) -> TermMatcher:
        return self._matcher((passage.source_label, passage.index, 0), [passage])

    def window_matcher(self, passage: Passage) -> TermMatcher:
        return self._matcher((passage.source_label, passage.index, 1), self.neighbours(passage))

    def source_matcher(self) -> TermMatcher:
        """Every term of every source."""
        return self._matcher(("", -1, 2), self.passages)

    def quantities(self, passage: Passage) -> list[Quantity]:
        """The figures of one passage, read once per source (one pass of the
        patterns over the whole text is much cheaper than one per sentence)."""
        if passage.source_label not in self._quantities:
            text = self._texts[passage.source_label]
            self._quantities[passage.source_label] = extract_quantities(text)
        return [q for q in self._quantities[passage.source_label] if passage.start <= q.start < passage.end]

    def all_quantities(self) -> list[Quantity]:
        if self._every_quantity is None:
            self._every_quantity = [q for p in self.passages for q in self.quantities(p)]
        return self._every_quantity
