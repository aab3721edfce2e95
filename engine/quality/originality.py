"""Originality: text copied from the sources without quotation marks, and
direct quotations checked word for word against the sources.

Words are compared normalised (lower case, straight apostrophes, punctuation
dropped), so "don’t" in a source matches "don't" in the draft and a comma
the draft moved does not matter; a changed, added or dropped word does.

- Copying: MIN_RUN_WORDS or more consecutive words outside quotation marks
  that also appear consecutively in a source.
- Quotes (two words or more; a single quoted word is a term or scare quote,
  which the bias tool handles): found verbatim in a source -> exact; an
  honest ellipsis or a bracketed insertion splits the quote into pieces that
  must each appear, in order, in one source. Otherwise the closest passage is
  found by aligning word bigrams and scored with difflib on word tokens; at
  MISQUOTE_SIMILARITY or above it is a misquote (the source's wording is the
  evidence), below it the quote is not found in any source.

originality_score = 100 * (1 - min(1, 2 * copied_word_share))
                    - 10 per misquote - 2 per quote not found in the sources
(floored at 0). Copying a quarter of an article's words costs half the score.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

from engine.quality.text import Layout, Span, Token, layout, tokenize
from engine.quality.types import Finding, OriginalityReport, QuoteCheck, SourceDoc

MIN_RUN_WORDS = 12
LONG_RUN_WORDS = 25  # a copied run this long is high severity
MISQUOTE_SIMILARITY = 0.6
MIN_QUOTE_WORDS = 2
MISQUOTE_PENALTY = 10
NOT_FOUND_PENALTY = 2
_ALIGNMENTS_TRIED = 3
_PIECE_BREAK = re.compile(r"\.{3}|…|\[[^\]]*\]")
_BREAKS_RUN = re.compile(r"[\"“”]|\n\s*\n")


@dataclass(frozen=True)
class _SourceWords:
    source: SourceDoc
    tokens: list[Token]
    norms: list[str]
    positions: dict[str, list[int]]


def _source_words(source: SourceDoc) -> _SourceWords:
    tokens = tokenize(source.text)
    norms = [t.norm for t in tokens]
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(norms):
        positions.setdefault(word, []).append(i)
    return _SourceWords(source, tokens, norms, positions)


def _source_text(words: _SourceWords, first: int, last: int) -> str:
    return words.source.text[words.tokens[first].start:words.tokens[last].end]


class OriginalityChecker:
    name = "originality"

    def analyze(self, text: str, sources: list[SourceDoc]) -> OriginalityReport:
        lay = layout(text)
        indexed = [_source_words(s) for s in sources]
        findings, copied, prose_words = _copied_runs(lay, indexed)
        quotes: list[QuoteCheck] = []
        for span in lay.quotes:
            if len(tokenize(lay.text, span.start, span.end)) < MIN_QUOTE_WORDS:
                continue
            check = _check_quote(lay.text, span, indexed)
            quotes.append(check)
            if check.status != "exact":
                findings.append(_quote_finding(check))
        share = copied / prose_words if prose_words else 0.0
        misquotes = sum(q.status == "misquote" for q in quotes)
        not_found = sum(q.status == "not_found" for q in quotes)
        score = 100 * (1 - min(1.0, 2 * share)) - MISQUOTE_PENALTY * misquotes - NOT_FOUND_PENALTY * not_found
        findings.sort(key=lambda f: (f.start, f.end))
        return OriginalityReport(round(max(0.0, score), 1), findings, quotes, round(share, 4))


def _prose_segments(lay: Layout) -> list[list[Token]]:
    """Runs of prose words outside quotation marks; a quotation or a blank
    line between two words breaks the run, so a copied run never bridges them."""
    segments: list[list[Token]] = []
    current: list[Token] = []
    for token in tokenize(lay.unquoted):
        if current and _BREAKS_RUN.search(lay.masked, current[-1].end, token.start):
            segments.append(current)
            current = []
        current.append(token)
    if current:
        segments.append(current)
    return segments


def _copied_runs(lay: Layout, indexed: list[_SourceWords]) -> tuple[list[Finding], int, int]:
    shingles: dict[tuple[str, ...], list[tuple[_SourceWords, int]]] = {}
    for words in indexed:
        for j in range(len(words.norms) - MIN_RUN_WORDS + 1):
            shingles.setdefault(tuple(words.norms[j:j + MIN_RUN_WORDS]), []).append((words, j))
    findings: list[Finding] = []
    copied = 0
    segments = _prose_segments(lay)
    for segment in segments:
        norms = [t.norm for t in segment]
        i = 0
        while i + MIN_RUN_WORDS <= len(norms):
            hits = shingles.get(tuple(norms[i:i + MIN_RUN_WORDS]))
            if not hits:
                i += 1
                continue
            # Extend to the longest run any source shares from here.
            length, words, j = max(
                ((_shared_length(norms, i, w.norms, j), w, j) for w, j in hits), key=lambda hit: hit[0]
            )
            findings.append(_copy_finding(lay, segment[i], segment[i + length - 1], length, words, j))
            copied += length
            i += length
    return findings, copied, sum(len(s) for s in segments)


def _shared_length(norms: list[str], i: int, source: list[str], j: int) -> int:
    length = 0
    while i + length < len(norms) and j + length < len(source) and norms[i + length] == source[j + length]:
        length += 1
    return length


def _copy_finding(lay: Layout, first: Token, last: Token, length: int, words: _SourceWords, j: int) -> Finding:
    return Finding(
        tool="originality", kind="verbatim_copy", start=first.start, end=last.end,
        text=lay.text[first.start:last.end], severity="high" if length >= LONG_RUN_WORDS else "medium",
        explanation=f"{length} consecutive words match {words.source.label} word for word, outside quotation marks.",
        suggestion="Rewrite in your own words and attribute, or quote and attribute the source.",
        evidence=_source_text(words, j, j + length - 1), source_label=words.source.label,
    )


def _pieces(text: str, span: Span) -> list[list[str]]:
    """The quote's words, split at ellipses and bracketed editorial insertions."""
    pieces: list[list[str]] = []
    start = span.start
    for m in _PIECE_BREAK.finditer(text, span.start, span.end):
        pieces.append([t.norm for t in tokenize(text, start, m.start())])
        start = m.end()
    pieces.append([t.norm for t in tokenize(text, start, span.end)])
    return [p for p in pieces if p]


def _find_in_order(pieces: list[list[str]], words: _SourceWords) -> tuple[int, int] | None:
    """First and last token index if every piece occurs, in order, in the source."""
    position, first = 0, None
    for piece in pieces:
        found = next(
            (j for j in words.positions.get(piece[0], ()) if j >= position and words.norms[j:j + len(piece)] == piece),
            None,
        )
        if found is None:
            return None
        first = found if first is None else first
        position = found + len(piece)
    return (first, position - 1) if first is not None else None


def _check_quote(text: str, span: Span, indexed: list[_SourceWords]) -> QuoteCheck:
    quote_text = text[span.start:span.end]
    pieces = _pieces(text, span)
    for words in indexed:
        found = _find_in_order(pieces, words)
        if found is not None:
            return QuoteCheck(quote_text, span.start, span.end, "exact", words.source.label,
                              _source_text(words, *found), 1.0)
    quote = [w for piece in pieces for w in piece]
    best: tuple[float, _SourceWords, int, int] | None = None
    for words in indexed:
        for first, last in _alignments(quote, words):
            similarity = difflib.SequenceMatcher(None, quote, words.norms[first:last + 1], autojunk=False).ratio()
            if best is None or similarity > best[0]:
                best = (similarity, words, first, last)
    if best is None or best[0] < MISQUOTE_SIMILARITY:
        return QuoteCheck(quote_text, span.start, span.end, "not_found", None,
                          _source_text(best[1], best[2], best[3]) if best else None, round(best[0], 3) if best else 0.0)
    similarity, words, first, last = best
    return QuoteCheck(quote_text, span.start, span.end, "misquote", words.source.label,
                      _source_text(words, first, last), round(similarity, 3))


def _alignments(quote: list[str], words: _SourceWords) -> list[tuple[int, int]]:
    """Candidate source regions for a quote: offsets voted for by shared word
    bigrams (single words for short quotes), each widened by the quote's
    unmatched ends so a changed first or last word is still inside the region."""
    grams = 2 if len(quote) >= 4 else 1
    votes: Counter[int] = Counter()
    for qi in range(len(quote) - grams + 1):
        gram = quote[qi:qi + grams]
        for sj in words.positions.get(gram[0], ()):
            if words.norms[sj:sj + grams] == gram:
                votes[sj - qi] += 1
    regions: list[tuple[int, int]] = []
    for offset, _ in votes.most_common(_ALIGNMENTS_TRIED):
        low, high = max(0, offset - 2), min(len(words.norms), offset + len(quote) + 2)
        matcher = difflib.SequenceMatcher(None, quote, words.norms[low:high], autojunk=False)
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        if not blocks:
            continue
        head, tail = blocks[0], blocks[-1]
        first = max(low, low + head.b - head.a)
        last = min(len(words.norms) - 1, low + tail.b + tail.size - 1 + (len(quote) - tail.a - tail.size))
        regions.append((first, last))
    return regions


def _difference(quote: str, source: str) -> str:
    """A readable word-level diff: what the quote says where the source says something else."""
    q = [t.norm for t in tokenize(quote)]
    s = [t.norm for t in tokenize(source)]
    changes: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, q, s, autojunk=False).get_opcodes():
        if op == "replace":
            changes.append(f"'{' '.join(q[i1:i2])}' where the source has '{' '.join(s[j1:j2])}'")
        elif op == "delete":
            changes.append(f"adds '{' '.join(q[i1:i2])}'")
        elif op == "insert":
            changes.append(f"drops '{' '.join(s[j1:j2])}'")
    return "; ".join(changes)


def _quote_finding(check: QuoteCheck) -> Finding:
    source_wording = check.closest_source_text or ""
    if check.status == "misquote":
        return Finding(
            tool="originality", kind="misquote", start=check.start, end=check.end, text=check.text,
            severity="high",
            explanation=f"The quote differs from {check.source_label}: {_difference(check.text, source_wording)}.",
            suggestion=f"Quote the source exactly: \u201c{source_wording}\u201d",
            evidence=source_wording, source_label=check.source_label,
        )
    return Finding(
        tool="originality", kind="unverified_quote", start=check.start, end=check.end, text=check.text,
        severity="low", explanation="No source contains these words; the quote cannot be verified from the sources.",
        suggestion="Check the quote against the interview notes or recording, or attach the source it comes from.",
    )
