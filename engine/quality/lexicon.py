"""The bias lexicon: loading, validation and phrase matching.

The word list itself lives in resources/quality/bias_lexicon.toml, with the
criteria for what goes in documented in its header.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from engine.quality.text import Token, tokenize
from engine.quality.types import SEVERITY_POINTS, Severity

_REQUIRED = ("term", "severity", "explanation", "suggestion")
GAP = "*"
MAX_GAP = 3
NUMBER = "#number"
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens half".split()
)


@dataclass(frozen=True)
class LexiconEntry:
    term: str
    category: str
    severity: Severity
    explanation: str
    suggestion: str  # "" when the fix is to delete the word
    unless_next: frozenset[str] = frozenset()
    unless_prev: frozenset[str] = frozenset()
    only_next: frozenset[str] = frozenset()  # match only before one of these ("#number": any number)


@dataclass(frozen=True)
class LexiconMatch:
    first: int  # token index
    last: int  # token index, inclusive
    entry: LexiconEntry


class BiasLexicon:
    def __init__(self, entries: list[tuple[tuple[str, ...], LexiconEntry]]) -> None:
        # First word -> (words, entry), longest phrase first so "at long last"
        # wins over a shorter entry starting with the same word.
        self._by_first: dict[str, list[tuple[tuple[str, ...], LexiconEntry]]] = {}
        for words, entry in entries:
            self._by_first.setdefault(words[0], []).append((words, entry))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda item: -len(item[0]))
        self.size = len({id(entry) for _, entry in entries})

    @classmethod
    def from_toml(cls, source: str, origin: str = "bias lexicon") -> BiasLexicon:
        data = tomllib.loads(source)
        forms: list[tuple[tuple[str, ...], LexiconEntry]] = []
        seen: dict[tuple[str, ...], str] = {}
        for category in data.get("category", []):
            name = category["name"]
            for raw in category.get("entries", []):
                missing = [key for key in _REQUIRED if key not in raw]
                if missing:
                    raise ValueError(f"{origin}: entry {raw.get('term', '?')!r} in {name} lacks {', '.join(missing)}")
                if raw["severity"] not in SEVERITY_POINTS:
                    raise ValueError(f"{origin}: {raw['term']!r} has severity {raw['severity']!r}")
                entry = LexiconEntry(
                    term=raw["term"], category=name, severity=raw["severity"], explanation=raw["explanation"],
                    suggestion=raw["suggestion"], unless_next=frozenset(raw.get("unless_next", [])),
                    unless_prev=frozenset(raw.get("unless_prev", [])),
                    only_next=frozenset(raw.get("only_next", [])),
                )
                for form in [raw["term"], *raw.get("variants", [])]:
                    words = _form_words(form)
                    if not words or words[0] == GAP or words[-1] == GAP:
                        raise ValueError(f"{origin}: empty form in {raw['term']!r}")
                    if words in seen:
                        raise ValueError(f"{origin}: {form!r} is listed under both {seen[words]!r} and {raw['term']!r}")
                    seen[words] = raw["term"]
                    forms.append((words, entry))
        if not forms:
            raise ValueError(f"{origin}: no entries")
        return cls(forms)

    @classmethod
    def load(cls, path: Path | None = None) -> BiasLexicon:
        """The lexicon at `path`, or the one shipped in resources/quality."""
        if path is None:
            return _default_lexicon()
        return cls.from_toml(path.read_text(encoding="utf-8"), str(path))

    def single_words(self) -> list[tuple[str, LexiconEntry]]:
        """Every one-word form with its entry (for the bias model's training)."""
        return [(words[0], entry) for candidates in self._by_first.values()
                for words, entry in candidates if len(words) == 1]

    def match(self, tokens: list[Token]) -> list[LexiconMatch]:
        """Non-overlapping matches, left to right, longest phrase first."""
        norms = [t.norm for t in tokens]
        found: list[LexiconMatch] = []
        i = 0
        while i < len(norms):
            hit = self._match_at(norms, i)
            if hit is None:
                i += 1
                continue
            found.append(hit)
            i = hit.last + 1
        return found

    def _match_at(self, norms: list[str], i: int) -> LexiconMatch | None:
        for words, entry in self._by_first.get(norms[i], ()):
            last = _phrase_end(words, norms, i)
            if last is None:
                continue
            following = norms[last + 1] if last + 1 < len(norms) else ""
            preceding = norms[i - 1] if i > 0 else ""
            if following in entry.unless_next or preceding in entry.unless_prev:
                continue
            if entry.only_next and not (following in entry.only_next or (
                    NUMBER in entry.only_next and (following[:1].isdigit() or following in NUMBER_WORDS))):
                continue
            return LexiconMatch(i, last, entry)
        return None


def _form_words(form: str) -> tuple[str, ...]:
    words: list[str] = []
    for part in form.split():
        if part == GAP:
            words.append(GAP)
        else:
            words.extend(t.norm for t in tokenize(part))
    return tuple(words)


def _phrase_end(words: tuple[str, ...], norms: list[str], i: int) -> int | None:
    """Index of the last token if `words` matches at i, else None. A "*" word
    matches one to MAX_GAP tokens (the object of a split phrasal verb)."""
    if not words:
        return i - 1
    if words[0] == GAP:
        for skip in range(1, MAX_GAP + 1):
            end = _phrase_end(words[1:], norms, i + skip)
            if end is not None:
                return end
        return None
    if i < len(norms) and norms[i] == words[0]:
        return _phrase_end(words[1:], norms, i + 1)
    return None


@lru_cache(maxsize=1)
def _default_lexicon() -> BiasLexicon:
    source = resources.files("resources.quality").joinpath("bias_lexicon.toml").read_text(encoding="utf-8")
    return BiasLexicon.from_toml(source, "resources/quality/bias_lexicon.toml")
