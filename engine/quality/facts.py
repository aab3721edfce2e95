"""Fact verification: checkable claims, evidence from the sources, a verdict each.

1. Claims. Unless the caller gives them, every prose sentence that states
   something checkable is a claim: a number, date, percentage or money
   amount, a named person, place or organisation, or a causal link. Mostly
   quoted sentences are left to the originality checker, which checks quotes
   word for word.
2. Evidence. Sources are split into sentence passages and ranked with BM25
   (engine.quality.retrieval). A claim citing [S2] is matched against S2
   first; other sources are searched too, and the cited one wins ties.
3. Verdict, from the best passage (by IDF-weighted coverage of the claim's
   terms, then BM25):
   - coverage below COVERAGE_RELATED: no source speaks to it -> unverifiable;
   - a figure in the claim that the passage (or a sentence either side of
     it) gives differently for the same quantity -> contradicted;
   - the passage negates the claim, or moves the other way ("fell" against
     "rose"), or names a different place or person in the same statement
     -> contradicted;
   - a figure in the claim the passage does not give -> unverifiable;
   - coverage at or above COVERAGE_SUPPORTED -> supported; otherwise
     unverifiable (the passage is related but does not state it).
   A claim is never supported without an evidence passage.

fact_check_score = 100 * supported / (supported + unverifiable + 2 * contradicted)

A contradiction costs twice an unverifiable claim: printing something the
sources say is wrong is worse than printing something they do not confirm.
With no checkable claims the score is 100 and FactReport.note says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.quality.numbers import Quantity, extract_quantities
from engine.quality.retrieval import EvidenceIndex, Passage
from engine.quality.text import (
    Layout,
    Span,
    Token,
    content_terms,
    layout,
    mask_markdown,
    stem,
    tokenize,
)
from engine.quality.types import ClaimVerdict, FactReport, Finding, SourceDoc, Verdict

COVERAGE_RELATED = 0.45
COVERAGE_SUPPORTED = 0.7
COVERAGE_POLARITY = 0.5  # a passage this close that says the opposite is a contradiction
ENTITY_SWAP_COVERAGE = 0.75  # coverage of the rest of the claim before a different name counts as a swap
_MIN_CLAIM_WORDS = 4
_MOSTLY_QUOTED = 0.6
_CANDIDATES = 5

NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor cannot can't won't isn't aren't wasn't weren't "
    "didn't doesn't don't hasn't haven't hadn't wouldn't couldn't shouldn't".split()
)
# Direction words. A claim that something rose, checked against a passage that
# says it fell (or stayed the same), is contradicted.
_UP = frozenset("rise rose risen rising rises up increase increased increases increasing higher more grew grow grows growing gain gained gains climb climbed climbs jump jumped jumps soar soared".split())
_DOWN = frozenset("fall fell fallen falling falls down decrease decreased decreases decreasing lower fewer less shrank shrink shrinks decline declined declines declining drop dropped drops dropping reduce reduced reduces cut cuts".split())
_STEADY = frozenset("unchanged steady flat same remain remained remains".split())
# Opposite outcomes of the same event.
_OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset({"approve", "approved", "approves", "passed", "adopted"}), frozenset({"reject", "rejected", "rejects", "denied", "defeated", "failed", "vetoed"})),
    (frozenset({"support", "supports", "supported", "favor", "favors", "backed", "endorsed"}), frozenset({"oppose", "opposes", "opposed", "against"})),
    (frozenset({"won", "win", "wins"}), frozenset({"lost", "lose", "loses"})),
    (frozenset({"allow", "allows", "allowed", "permit", "permits"}), frozenset({"ban", "bans", "banned", "prohibit", "prohibits", "prohibited"})),
    (frozenset({"open", "opened", "opens", "reopen", "reopened"}), frozenset({"close", "closed", "closes", "shut"})),
    (frozenset({"hire", "hired", "hires", "hiring"}), frozenset({"laid", "layoff", "layoffs", "fired"})),
)
_CAUSAL = re.compile(r"\b(because|due to|caused|causes|led to|leads to|resulted in|as a result|blamed|attributed to)\b", re.I)
_NOT_ENTITIES = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec mayor council
    member members superintendent chief dr mr mrs ms president director the a an""".split()
)


@dataclass(frozen=True)
class _Check:
    verdict: Verdict
    passage: Passage | None
    reason: str


def fact_check_score(supported: int, unverifiable: int, contradicted: int) -> float:
    total = supported + unverifiable + 2 * contradicted
    return 100.0 if total == 0 else round(100.0 * supported / total, 1)


def verdicts_score(verdicts: list[ClaimVerdict]) -> float:
    supported = sum(v.verdict == "supported" for v in verdicts)
    contradicted = sum(v.verdict == "contradicted" for v in verdicts)
    return fact_check_score(supported, len(verdicts) - supported - contradicted, contradicted)


class FactVerificationTool:
    name = "fact"

    def analyze(self, text: str, sources: list[SourceDoc], claims: list[str] | None = None) -> FactReport:
        lay = layout(text)
        index = EvidenceIndex(sources)
        if claims is None:
            located = [(lay.text[s.start:s.end], s) for s in extract_claims(text)]
        else:
            located = [(claim, locate_claim(lay, claim)) for claim in claims]
        verdicts: list[ClaimVerdict] = []
        findings: list[Finding] = []
        for claim_text, span in located:
            cited = cited_labels(lay, span) if span else []
            check = check_claim(claim_text, index, cited)
            start, end = (span.start, span.end) if span else (-1, -1)
            verdict = ClaimVerdict(
                text=claim_text, start=start, end=end, verdict=check.verdict,
                evidence=check.passage.text if check.passage else None,
                source_label=check.passage.source_label if check.passage else None, reason=check.reason,
            )
            verdicts.append(verdict)
            if span is not None and verdict.verdict != "supported":
                findings.append(claim_finding(lay.text, span, verdict))
        note = "" if verdicts else "No checkable claims were found; the score is 100 by convention, not by evidence."
        return FactReport(verdicts_score(verdicts), verdicts, findings, note)


def claim_finding(text: str, span: Span, verdict: ClaimVerdict) -> Finding:
    contradicted = verdict.verdict == "contradicted"
    return Finding(
        tool="fact", kind="contradicted_claim" if contradicted else "unverifiable_claim",
        start=span.start, end=span.end, text=text[span.start:span.end],
        severity="high" if contradicted else "medium", explanation=verdict.reason,
        suggestion="Correct the claim to match the source." if contradicted
        else "Cite a source that states this, or cut or soften the claim.",
        evidence=verdict.evidence, source_label=verdict.source_label,
    )


def cited_labels(lay: Layout, span: Span) -> list[str]:
    """Source labels cited in a sentence, counting markers after its full stop
    ("... rose 7%. [S1]") up to the next sentence."""
    later = [s.start for s in lay.sentences if s.start >= span.end]
    return lay.citations_between(span.start, min(later) if later else len(lay.text))


def extract_claims(text: str) -> list[Span]:
    """Prose sentences that state something a source could confirm or refute."""
    lay = layout(text)
    claims: list[Span] = []
    for sentence in lay.sentences:
        sentence_text = lay.masked[sentence.start:sentence.end]
        words = tokenize(lay.masked, sentence.start, sentence.end)
        if len(words) < _MIN_CLAIM_WORDS or sentence_text.rstrip().endswith("?"):
            continue
        quoted = sum(q.end - q.start for q in lay.quotes_in(sentence.start, sentence.end))
        if quoted >= _MOSTLY_QUOTED * (sentence.end - sentence.start):
            continue
        if extract_quantities(sentence_text) or _entities(words) or _CAUSAL.search(sentence_text):
            claims.append(sentence)
    return claims


def locate_claim(lay: Layout, claim: str) -> Span | None:
    """Where a caller-given claim sits in the text: verbatim, then ignoring case
    and spacing, then the sentence sharing most of its terms (at least half)."""
    position = lay.text.find(claim)
    if position >= 0:
        return Span(position, position + len(claim))
    pattern = r"\s+".join(re.escape(part) for part in claim.split())
    m = re.search(pattern, lay.text, re.I)
    if m:
        return Span(m.start(), m.end())
    claim_terms = set(content_terms(tokenize(claim)))
    best: tuple[float, Span | None] = (0.0, None)
    for sentence in lay.sentences:
        terms = set(content_terms(tokenize(lay.masked, sentence.start, sentence.end)))
        overlap = len(claim_terms & terms) / max(1, len(claim_terms | terms))
        if overlap > best[0]:
            best = (overlap, sentence)
    return best[1] if best[0] >= 0.5 else None


def _entities(words: list[Token]) -> set[str]:
    """Capitalised words after the first: names, places, organisations."""
    return {w.norm for w in words[1:] if w.is_capitalized and w.norm not in _NOT_ENTITIES and not w.norm[0].isdigit()}


def _clean(claim: str) -> str:
    """The claim without citation markers and Markdown emphasis. Not through
    the cached `layout`: a claim string is seen once, and caching it would
    evict the article's layout that the other tools reuse."""
    return mask_markdown(claim)[0].strip() or claim


def check_claim(claim: str, index: EvidenceIndex, cited: list[str] | None = None) -> _Check:
    """The verdict for one claim against the indexed sources."""
    if not index.passages:
        return _Check("unverifiable", None, "No source material to check this claim against.")
    candidates = evidence_candidates(claim, index, cited)
    if not candidates or candidates[0][1] < COVERAGE_RELATED:
        return _Check("unverifiable", None, _no_evidence_reason(cited))
    passage, coverage = candidates[0]
    return _judge(_clean(claim), passage, coverage, index)


def _no_evidence_reason(cited: list[str] | None) -> str:
    if cited:
        return f"No passage in the cited source{'s' if len(cited) > 1 else ''} ({', '.join(cited)}) or the other sources states this."
    return "No source passage states this."


def _coverage(claim_terms: set[str], passage_terms: set[str], index: EvidenceIndex) -> float:
    total = sum(index.idf(t) for t in claim_terms)
    return sum(index.idf(t) for t in claim_terms & passage_terms) / total if total else 0.0


def evidence_candidates(claim: str, index: EvidenceIndex, cited: list[str] | None = None, k: int = _CANDIDATES
                        ) -> list[tuple[Passage, float]]:
    """Passages that may confirm or refute the claim, best first, with their
    coverage of the claim's terms. Passages of cited sources win ties."""
    terms = content_terms(tokenize(_clean(claim)))
    claim_terms = {t for t in terms if not t[0].isdigit()}
    if not claim_terms:
        return []
    wanted = set(cited or ())
    found = index.search(terms, k)
    if wanted:
        found += index.search(terms, k, only=wanted)
    ranked: dict[tuple[str, int], tuple[tuple[float, bool, float], Passage, float]] = {}
    for passage, bm25 in found:
        coverage = _coverage(claim_terms, set(passage.terms), index)
        key = (round(coverage, 3), passage.source_label in wanted, bm25)
        ranked[(passage.source_label, passage.index)] = (key, passage, coverage)
    ordered = sorted(ranked.values(), key=lambda item: item[0], reverse=True)
    return [(passage, coverage) for _, passage, coverage in ordered[:k]]


def figure_check(claim: str, passage: Passage, index: EvidenceIndex) -> tuple[Verdict | None, str]:
    """Compare the claim's figures with the passage (and, for confirmation, the
    sentences either side): ("contradicted", reason) when the passage gives the
    same quantity differently; ("unverifiable", reason) when a figure of the
    claim is not given; (None, "") when every figure is confirmed."""
    window_quantities = [q for p in index.neighbours(passage) for q in extract_quantities(p.text)]
    claim_quantities = extract_quantities(_clean(claim))
    unconfirmed = [q for q in claim_quantities if not any(q.same_value(w) for w in window_quantities)]
    # Only a figure of the passage that no other claim figure accounts for can
    # conflict: "$6.1 million after a $2 million transfer" against "stands at
    # $6.1 million" is unverifiable, not a contradiction.
    unused = [q for q in extract_quantities(passage.text) if not any(c.same_value(q) for c in claim_quantities)]
    for q in unconfirmed:
        other = next((u for u in unused if q.comparable(u)), None)
        if other is not None:
            return "contradicted", f"The claim says {q.text.strip()}; {passage.source_label} says {other.text.strip()}."
    if unconfirmed:
        missing = ", ".join(q.text.strip() for q in unconfirmed)
        return "unverifiable", f"{passage.source_label} covers this but does not give {missing}."
    return None, ""


def _judge(claim_text: str, passage: Passage, coverage: float, index: EvidenceIndex) -> _Check:
    words = tokenize(claim_text)
    verdict, reason = figure_check(claim_text, passage, index)
    if verdict == "contradicted":
        return _Check("contradicted", passage, reason)
    if coverage >= COVERAGE_POLARITY:
        polarity = _polarity_conflict({w.norm for w in words}, {t.norm for t in tokenize(passage.text)})
        if polarity:
            return _Check("contradicted", passage, f"{passage.source_label} {polarity}.")
    swap = _entity_swap(words, passage, index)
    if swap:
        return _Check("contradicted", passage, swap)
    if verdict == "unverifiable":
        return _Check("unverifiable", passage, reason)
    if coverage >= COVERAGE_SUPPORTED:
        return _Check("supported", passage, f"Stated in {passage.source_label}.")
    # Related wording plus the same distinctive figures, stated in this very
    # passage, is a paraphrase ("will total $3.2 million" / "includes $3.2 million").
    claim_quantities = extract_quantities(claim_text)
    own = extract_quantities(passage.text)
    if claim_quantities and all(_distinctive(q) and any(q.same_value(p) for p in own) for q in claim_quantities):
        return _Check("supported", passage, f"Stated in {passage.source_label}, with the same figures.")
    return _Check("unverifiable", passage,
                  f"The closest passage ({passage.source_label}) is related but does not state this.")


def _distinctive(quantity: Quantity) -> bool:
    """A figure unlikely to match by chance: money, a share, or a count of ten or more."""
    if quantity.kind in ("money", "percent"):
        return True
    return quantity.kind == "count" and isinstance(quantity.value, float) and abs(quantity.value) >= 10


def _polarity_conflict(claim_words: set[str], passage_words: set[str]) -> str | None:
    if bool(claim_words & NEGATIONS) != bool(passage_words & NEGATIONS):
        return "states the opposite (one of them is negated)"
    claim_direction = {name for name, words in (("up", _UP), ("down", _DOWN), ("steady", _STEADY)) if claim_words & words}
    passage_direction = {name for name, words in (("up", _UP), ("down", _DOWN), ("steady", _STEADY)) if passage_words & words}
    if claim_direction and passage_direction and claim_direction.isdisjoint(passage_direction):
        return f"says the change went {'/'.join(sorted(passage_direction))}, not {'/'.join(sorted(claim_direction))}"
    for side_a, side_b in _OPPOSITES:
        for mine, theirs in ((side_a, side_b), (side_b, side_a)):
            if claim_words & mine and passage_words & theirs and not passage_words & mine:
                return f"says {sorted(passage_words & theirs)[0]}, not {sorted(claim_words & mine)[0]}"
    return None


def _entity_swap(words: list[Token], passage: Passage, index: EvidenceIndex) -> str | None:
    """'...its facility in Texas' against '...its facility in Ohio': the rest of
    the statement matches, but the name differs."""
    entity_terms = {stem(e) for e in _entities(words)}
    passage_terms = set(passage.terms)
    missing = entity_terms - passage_terms
    if not missing:
        return None
    rest = {t for t in content_terms(words) if not t[0].isdigit()} - entity_terms
    if not rest or _coverage(rest, passage_terms, index) < ENTITY_SWAP_COVERAGE:
        return None
    claim_norms = {w.norm for w in words}
    others = sorted(e for e in _entities(tokenize(passage.text)) if e not in claim_norms)
    if not others:
        return None
    named = sorted(w.text for w in words if stem(w.norm) in missing)
    return (f"The claim names {', '.join(named)}; {passage.source_label} names "
            f"{', '.join(o.title() for o in others)} in the same statement.")
