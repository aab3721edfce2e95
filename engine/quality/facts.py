"""Fact verification: checkable claims, evidence from the sources, a verdict each.

1. Claims. Unless the caller gives them, every prose sentence that states
   something checkable is a claim: a number, date, percentage or money
   amount, a named person, place or organisation, or a causal link. Mostly
   quoted sentences are left to the originality checker, which checks quotes
   word for word; a model's preamble ("Here is a concise summary ...") and
   the offline draft's note are not claims.
2. Evidence. Sources are split into sentence passages and ranked with BM25
   (engine.quality.retrieval). A claim citing [S2] is matched against S2
   first; other sources are searched too, and the cited one wins ties.
3. Verdict, from the best passage (by IDF-weighted coverage of the claim's
   terms, then BM25). Terms match by stem, lemma, WordNet synonym or word
   family (engine.quality.lexical).
   - a figure in the claim that the passage (or a sentence either side of
     it) gives differently for the same quantity (same unit) -> contradicted;
   - the clause of the passage that carries the claim's words negates it, or
     moves the other way ("fell" against "rose"), or uses an antonym, or
     names a different place or person in the same statement -> contradicted;
   - a figure in the claim that no source gives, a superlative, ranking or
     cause the passage and its neighbours do not state, or one word changed
     where both words are distinctive ("murder" / "manslaughter")
     -> unverifiable (contradicted when the changed word is a name);
   - the passage states nearly every term (coverage >= COVERAGE_SUPPORTED),
     or the same distinctive figures in related wording -> supported;
   - otherwise a logistic model over alignment features (coverage by the
     passage, its neighbours and the whole source; the claim's words and
     names no source has; figures found elsewhere) gives the probability
     that the claim is supported; at or above its threshold -> supported,
     else unverifiable. The model's weights and threshold are fitted on
     development data by bench/train_fact_model.py (engine.quality.fact_model).
   Every verdict carries a confidence: the model's probability of the verdict
   (p for supported, 1 - p otherwise). A claim is never supported without an
   evidence passage.

fact_check_score = 100 * supported / (supported + unverifiable + 2 * contradicted)

A contradiction costs twice an unverifiable claim: printing something the
sources say is wrong is worse than printing something they do not confirm.
With no checkable claims the score is 100 and FactReport.note says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.quality.fact_model import fact_model
from engine.quality.lexical import TermMatcher, antonym_hit, lexicon
from engine.quality.numbers import MEASURES, Quantity, extract_quantities
from engine.quality.retrieval import EvidenceIndex, Passage
from engine.quality.text import (
    STOPWORDS,
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

COVERAGE_SUPPORTED = 0.7  # the passage states nearly every term: supported without asking the model
COVERAGE_FIGURES = 0.45  # ... or this much, with the same distinctive figures
COVERAGE_RELATED = 0.2  # below this no passage speaks to the claim: unverifiable without asking the model
SOURCE_RELATED = 0.35  # ... unless the sources as a whole cover this much of it
COVERAGE_POLARITY = 0.5  # a passage this close that says the opposite is a contradiction
ENTITY_SWAP_COVERAGE = 0.75  # coverage of the rest of the claim before a different name counts as a swap
_SWAP_RARITY = 0.45  # how uncommon both words of a one-word swap must be (engine.quality.lexical.rarity)
_PERIODS = frozenset("quarter quarters half year years month months week weeks day days time round phase stage".split())
_MEASURES = MEASURES | {stem(w) for w in "quarter half round phase stage point goal run vote dollar".split()}
_TALLY_WORDS = frozenset("two three four five six seven eight nine ten".split())
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
# Superlatives and rankings: a claim that needs its source to say so in as many words.
_SUPERLATIVE = re.compile(r"(?:larg|bigg|small|high|low|busi|great|old|young|long|short|fast|slow|rich|poor|"
                          r"strong|weak|late|earli|clos|heavi|wors|deadli|cheap|hott|cold|wett|dri)est")
_RANKING = frozenset("first second third fourth fifth last only record best worst top".split())  # not "most": a share
_CAUSAL = re.compile(r"\b(because|due to|caused|causes|led to|leads to|resulted in|as a result|blamed|attributed to)\b", re.I)
# A cause the source must state. Not the connectives ("because", "due to", "as a
# result") a summary uses to join two facts its source gives side by side: on
# the dev sets (bench/fact_data.py) a sentence flagged for one of those was
# consistent 53 times in 92.
_STATED_CAUSE = re.compile(r"\b(caused|causes|led to|leads to|resulted in|blamed|attributed to)\b", re.I)
# A model's preamble or sign-off, and the offline draft's note: not claims.
_PREAMBLE = re.compile(
    r"^\W*(?:(?:sure|certainly|of course|okay|ok|absolutely)\b[!,.]?|here(?:'s| is| are)\b[^.!?]{0,80}"
    r"\b(?:summary|overview|draft|article|version|rewrite|story|piece|points)\b|i(?:'ve| have) "
    r"(?:written|drafted|prepared|summari[sz]ed)\b|(?:this is an )?offline draft\b|let me know\b|i hope this\b)",
    re.I,
)
# Where a clause ends inside a sentence: a negation or a direction word only
# counts in the clause that carries the claim's words. Contrast and cause
# split clauses; commas do not ("..., up 8 percent from 2022" is the same fact).
_CLAUSE_BREAK = re.compile(
    r"[;:()\u2013\u2014]|\b(?:although|though|but|while|whereas|however|because|since|unless|except|"
    r"despite|yet)\b", re.I)
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
    confidence: float


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
                confidence=check.confidence,
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


def is_preamble(sentence: str) -> bool:
    """A model's "Here is a concise summary ...", "Sure! ...", a sentence that
    only announces a list (ends with a colon), or the offline draft's note."""
    return bool(_PREAMBLE.match(sentence)) or sentence.rstrip().endswith(":")


def extract_claims(text: str) -> list[Span]:
    """Prose sentences that state something a source could confirm or refute."""
    lay = layout(text)
    claims: list[Span] = []
    for sentence in lay.sentences:
        sentence_text = lay.masked[sentence.start:sentence.end]
        words = tokenize(lay.masked, sentence.start, sentence.end)
        if len(words) < _MIN_CLAIM_WORDS or sentence_text.rstrip().endswith("?") or is_preamble(sentence_text):
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


def _headline_case(words: list[Token]) -> bool:
    """Most words capitalised ("Council Approves New Budget"): capitals say nothing about names."""
    letters = [w for w in words if w.text[:1].isalpha()]
    return len(letters) >= 4 and sum(w.is_capitalized for w in letters) >= 0.7 * len(letters)


def _entities(words: list[Token], names: frozenset[str] | None = None) -> set[str]:
    """Names, places, organisations: capitalised words after the first. In a
    headline-cased or lower-case claim, the words the sources write as names
    (`names`: lower-case forms of the sources' capitalised words) instead."""
    if names is not None and (_headline_case(words) or not any(w.is_capitalized for w in words[1:])):
        return {w.norm for w in words if w.norm in names and w.norm not in _NOT_ENTITIES
                and w.norm not in STOPWORDS}
    return {w.norm for w in words[1:] if w.is_capitalized and w.norm not in _NOT_ENTITIES
            and w.norm not in STOPWORDS and not w.norm[0].isdigit()}


def _clean(claim: str) -> str:
    """The claim without citation markers and Markdown emphasis. Not through
    the cached `layout`: a claim string is seen once, and caching it would
    evict the article's layout that the other tools reuse."""
    return mask_markdown(claim)[0].strip() or claim


def check_claim(claim: str, index: EvidenceIndex, cited: list[str] | None = None) -> _Check:
    """The verdict for one claim against the indexed sources."""
    if not index.passages:
        return _Check("unverifiable", None, "No source material to check this claim against.", 0.99)
    candidates = evidence_candidates(claim, index, cited)
    if not candidates or not _related(claim, candidates[0][1], index):
        return _Check("unverifiable", None, _no_evidence_reason(cited), 0.95)
    passage, coverage = candidates[0]
    return _judge(_clean(claim), passage, coverage, index)


def _related(claim: str, coverage: float, index: EvidenceIndex) -> bool:
    """Does any source speak to the claim? Its best passage, or the sources as a
    whole (a summary sentence may gather what several passages say)."""
    if coverage >= COVERAGE_RELATED:
        return True
    terms = {t for t in content_terms(tokenize(_clean(claim))) if not t[0].isdigit()}
    return _soft_coverage(terms, index.source_matcher(), index) >= SOURCE_RELATED


def _no_evidence_reason(cited: list[str] | None) -> str:
    if cited:
        return f"No passage in the cited source{'s' if len(cited) > 1 else ''} ({', '.join(cited)}) or the other sources states this."
    return "No source passage states this."


def _coverage(claim_terms: set[str], passage_terms: set[str], index: EvidenceIndex) -> float:
    total = sum(index.idf(t) for t in claim_terms)
    return sum(index.idf(t) for t in claim_terms & passage_terms) / total if total else 0.0


def _soft_coverage(claim_terms: set[str], matcher: TermMatcher, index: EvidenceIndex) -> float:
    total = sum(index.idf(t) for t in claim_terms)
    return sum(index.idf(t) for t in claim_terms if matcher.soft(t)) / total if total else 0.0


def evidence_candidates(claim: str, index: EvidenceIndex, cited: list[str] | None = None, k: int = _CANDIDATES
                        ) -> list[tuple[Passage, float]]:
    """Passages that may confirm or refute the claim, best first, with their
    coverage of the claim's terms (matched softly). Passages of cited sources
    win ties."""
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
        coverage = _soft_coverage(claim_terms, index.matcher(passage), index)
        key = (round(coverage, 3), passage.source_label in wanted, bm25)
        ranked[(passage.source_label, passage.index)] = (key, passage, coverage)
    ordered = sorted(ranked.values(), key=lambda item: item[0], reverse=True)
    return [(passage, coverage) for _, passage, coverage in ordered[:k]]


def figure_check(claim: str, passage: Passage, index: EvidenceIndex) -> tuple[Verdict | None, str]:
    """Compare the claim's figures with the passage (and, for confirmation, the
    sentences either side, then the whole source): ("contradicted", reason)
    when the passage gives the same quantity differently; ("unverifiable",
    reason) when no source gives a figure of the claim; (None, "") when every
    figure is found."""
    window_quantities = [q for p in index.neighbours(passage) for q in index.quantities(p)]
    claim_quantities = extract_quantities(_clean(claim))
    unconfirmed = [q for q in claim_quantities if not any(q.same_value(w) for w in window_quantities)]
    # Only a figure of the passage that no other claim figure accounts for can
    # conflict: "$6.1 million after a $2 million transfer" against "stands at
    # $6.1 million" is unverifiable, not a contradiction.
    unused = [q for q in index.quantities(passage) if not any(c.same_value(q) for c in claim_quantities)]
    claim_terms = set(content_terms(tokenize(claim)))
    for q in unconfirmed:
        other = next((u for u in unused if q.comparable(u) or _same_measure(q, u, claim_terms, passage)), None)
        if other is not None:
            return "contradicted", f"The claim says {q.text.strip()}; {passage.source_label} says {other.text.strip()}."
    anywhere = index.all_quantities()
    missing = [q for q in unconfirmed if not any(q.same_value(w) for w in anywhere) and not _tally(q)]
    if missing:
        return "unverifiable", (f"{passage.source_label} covers this but no source gives "
                                f"{', '.join(q.text.strip() for q in missing)}.")
    return None, ""


def _unstated_emphasis(words: list[Token], claim_text: str, window: TermMatcher) -> str | None:
    """A superlative, an ordinal or a cause the passage and its neighbours do not
    state ("the city's largest employer", "the third this year", "caused by"):
    such a claim needs its source to say so, however much else matches."""
    for i, word in enumerate(words):
        following = words[i + 1].norm if i + 1 < len(words) else ""
        if word.norm in _RANKING and (following in _PERIODS or following in _TALLY_WORDS or following[:1].isdigit()):
            continue  # "the first quarter", "the second half", "the first three months": a period, not a rank
        if (_SUPERLATIVE.fullmatch(word.norm) or word.norm in _RANKING) and not window.soft(stem(word.norm)):
            return f"\u201c{word.text}\u201d"
    cause = _STATED_CAUSE.search(claim_text)
    if cause and not any(window.soft(stem(w.norm)) for w in tokenize(cause.group()) if w.norm not in STOPWORDS):
        return f"\u201c{cause.group()}\u201d"
    return None


def _tally(quantity: Quantity) -> bool:
    """A small count of things spelled out ("two friends", "three products"): a
    summary often counts what its source lists without giving the number, so
    only a different figure for the same thing contradicts it. A duration or
    a measure ("five years", "three miles") is a figure like any other."""
    return (quantity.kind == "count" and quantity.text.strip().lower() in _TALLY_WORDS
            and quantity.unit not in _MEASURES)


def _same_measure(claim_q: Quantity, passage_q: Quantity, claim_terms: set[str], passage: Passage) -> bool:
    """Counts of the same thing worded differently: "73 measles cases" and "37
    cases of measles" (each side's counted noun is in the other's wording)."""
    return (claim_q.kind == passage_q.kind == "count" and bool(claim_q.unit) and bool(passage_q.unit)
            and claim_q.unit in passage.terms and passage_q.unit in claim_terms)


def _clauses(words: list[Token], text: str) -> list[list[Token]]:
    """The tokens of each clause: split at commas, semicolons, dashes and
    conjunctions ("..., although two members did not attend")."""
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
    clauses: list[list[Token]] = [[]]
    position = 0
    for word in words:
        while position < len(breaks) and breaks[position] <= word.start:
            position += 1
            if clauses[-1]:
                clauses.append([])
        if _CLAUSE_BREAK.fullmatch(word.text):
            continue
        clauses[-1].append(word)
    return [c for c in clauses if c]


def _plain_terms(words: list[Token]) -> set[str]:
    return {t for t in content_terms(words) if not t[0].isdigit() and t not in NEGATIONS}


def _negated(words: list[Token]) -> bool:
    return any(w.norm in NEGATIONS or w.norm.endswith("n't") for w in words)


def _paired_clauses(claim_text: str, passage_text: str) -> list[tuple[list[Token], list[Token]]]:
    """Each claim clause with the passage clause that carries its words: the
    one sharing the most terms (matched softly: "died" / "deaths"), if it
    shares at least two, or one for a passage clause of at most three terms."""
    passage_words = tokenize(passage_text)
    passage_clauses = [(c, TermMatcher(_plain_terms(c))) for c in _clauses(passage_words, passage_text)]
    pairs = []
    for clause in _clauses(tokenize(claim_text), claim_text):
        terms = _plain_terms(clause)
        if not terms or not passage_clauses:
            continue
        shared, best, matcher = max(((sum(m.soft(t) for t in terms), c, m) for c, m in passage_clauses),
                                    key=lambda item: item[0])
        if shared >= min(2, len(terms)) or (shared == 1 and len(matcher.terms) <= 3):
            pairs.append((clause, best))
    return pairs


def polarity_conflict(claim_text: str, passage_text: str) -> str | None:
    """The passage's clause that carries a claim clause's words says the
    opposite: one of them is negated, the change goes the other way, the
    outcome is the opposite one, or it uses an antonym. A negation elsewhere
    in the passage ("..., although two members did not attend") is not one."""
    for claim_clause, passage_clause in _paired_clauses(claim_text, passage_text):
        claim_words = {w.norm for w in claim_clause}
        passage_words = {w.norm for w in passage_clause}
        if _negated(claim_clause) != _negated(passage_clause):
            return "states the opposite (one of them is negated)"
        claim_direction = {name for name, words in (("up", _UP), ("down", _DOWN), ("steady", _STEADY)) if claim_words & words}
        passage_direction = {name for name, words in (("up", _UP), ("down", _DOWN), ("steady", _STEADY)) if passage_words & words}
        if claim_direction and passage_direction and claim_direction.isdisjoint(passage_direction):
            return f"says the change went {'/'.join(sorted(passage_direction))}, not {'/'.join(sorted(claim_direction))}"
        for side_a, side_b in _OPPOSITES:
            for mine, theirs in ((side_a, side_b), (side_b, side_a)):
                if claim_words & mine and passage_words & theirs and not passage_words & mine:
                    return f"says {sorted(passage_words & theirs)[0]}, not {sorted(claim_words & mine)[0]}"
        antonym = antonym_hit(set(content_terms(claim_clause)), set(content_terms(passage_clause)))
        if antonym:
            theirs, mine = antonym.split("/")
            return f"uses the opposite word ({theirs} against {mine})"
    return None


def claim_features(claim_text: str, passage: Passage, coverage: float, index: EvidenceIndex
                   ) -> dict[str, float]:
    """What the model weighs: how much of the claim the passage, its
    neighbours and the whole source state, and what no source states."""
    words = tokenize(claim_text)
    terms = {t for t in content_terms(words) if not t[0].isdigit()}
    window = index.window_matcher(passage)
    everything = index.source_matcher()
    missing = [t for t in terms if not everything.soft(t)]
    off_window = [t for t in terms if not window.soft(t)]
    unseen = index.unseen_idf or 1.0
    lex = lexicon()
    names = _entities(words, index.names)
    quantities = extract_quantities(claim_text)
    anywhere = index.all_quantities()
    in_window = [q for p in index.neighbours(passage) for q in index.quantities(p)]
    return {
        "coverage": coverage,
        "coverage_exact": _coverage(terms, set(passage.terms), index),
        "coverage_window": _soft_coverage(terms, window, index),
        "coverage_source": _soft_coverage(terms, everything, index),
        "missing_terms": float(len(missing)),
        "missing_idf_max": max((index.idf(t) / unseen for t in missing), default=0.0),
        "missing_rarity_max": max((lex.rarity(t) for t in missing), default=0.0),
        "missing_rare": float(sum(1 for t in missing if lex.rarity(t) >= 0.8)),
        "off_window_rarity_max": max((lex.rarity(t) for t in off_window), default=0.0),
        "missing_names": float(sum(1 for n in names if stem(n) not in everything.terms)),
        "figures_elsewhere": float(sum(1 for q in quantities if not any(q.same_value(w) for w in in_window)
                                       and any(q.same_value(w) for w in anywhere))),
        "figures_confirmed": float(sum(1 for q in quantities if any(q.same_value(w) for w in in_window))),
        "claim_terms": float(len(terms)),
        "bigrams_window": _bigram_share(content_terms(words), index.neighbours(passage)),
        "longest_run": _longest_run([w.norm for w in words], passage, index),
        "missing_idf_sum": sum(index.idf(t) / unseen for t in missing),
    }


def _bigram_share(claim_terms: list[str], window: list[Passage]) -> float:
    """How much of the claim's wording runs as in the passage and its neighbours:
    the share of its pairs of neighbouring content terms that stand together (at
    most one term apart, in order) there. A near-extractive summary sentence
    keeps them; one that joins words from different statements does not."""
    pairs = list(zip(claim_terms, claim_terms[1:], strict=False))
    if not pairs:
        return 1.0
    together: set[tuple[str, str]] = set()
    for p in window:
        terms = p.terms
        for i, term in enumerate(terms):
            together.update((term, later) for later in terms[i + 1:i + 3])
    return sum(pair in together for pair in pairs) / len(pairs)


def _longest_run(claim_norms: list[str], passage: Passage, index: EvidenceIndex) -> float:
    """The longest stretch of the claim's words found word for word in the
    passage or its neighbours, as a share of the claim's words."""
    if not claim_norms:
        return 0.0
    best = 0
    for p in index.neighbours(passage):
        theirs = [w.norm for w in tokenize(p.text)]
        previous = [0] * (len(theirs) + 1)
        for mine in claim_norms:
            current = [0] * (len(theirs) + 1)
            for j, word in enumerate(theirs):
                if word == mine:
                    current[j + 1] = previous[j] + 1
                    best = max(best, current[j + 1])
            previous = current
    return best / len(claim_norms)


def rule_verdict(claim_text: str, passage: Passage, coverage: float, index: EvidenceIndex
                 ) -> tuple[Verdict, str] | None:
    """The rules that decide before the model: a different figure, the
    opposite statement, a swapped name or agent, a figure no source gives,
    one changed word. (verdict, reason), or None when the model decides."""
    words = tokenize(claim_text)
    verdict, reason = figure_check(claim_text, passage, index)
    if verdict == "contradicted":
        return verdict, reason
    if coverage >= COVERAGE_POLARITY:
        polarity = polarity_conflict(claim_text, passage.text)
        if polarity:
            return "contradicted", f"{passage.source_label} {polarity}."
    swap = _entity_swap(words, passage, index) or _agent_swap(words, passage, index)
    if swap:
        return "contradicted", swap
    if verdict == "unverifiable":
        return verdict, reason
    unstated = _unstated_emphasis(words, claim_text, index.window_matcher(passage))
    if unstated:
        return "unverifiable", f"The claim says {unstated}; {passage.source_label} and the sentences around it do not."
    replaced = word_swap(words, passage, index)
    if replaced:
        mine, theirs = replaced
        return ("contradicted" if theirs[:1].isupper() else "unverifiable",
                f"The claim says {mine} where {passage.source_label} says {theirs}.")
    return None


def _judge(claim_text: str, passage: Passage, coverage: float, index: EvidenceIndex) -> _Check:
    model = fact_model()
    p_supported = model.probability(claim_features(claim_text, passage, coverage, index))
    against = round(1.0 - p_supported, 3)
    ruled = rule_verdict(claim_text, passage, coverage, index)
    if ruled:
        return _Check(ruled[0], passage, ruled[1], max(against, model.rule_confidence))
    if coverage >= COVERAGE_SUPPORTED or (coverage >= COVERAGE_FIGURES and _same_figures(claim_text, passage, index)):
        # The passage states (nearly) every term, or the same distinctive figures in related wording.
        return _Check("supported", passage, f"Stated in {passage.source_label}.", max(round(p_supported, 3), 0.5))
    if p_supported >= model.threshold:
        return _Check("supported", passage, f"Stated in {passage.source_label}, in other words.",
                      round(p_supported, 3))
    return _Check("unverifiable", passage,
                  f"The closest passage ({passage.source_label}) is related but does not state all of this.", against)


def _entity_swap(words: list[Token], passage: Passage, index: EvidenceIndex) -> str | None:
    """'...its facility in Texas' against '...its facility in Ohio': the rest of
    the statement matches, but the name differs. Names are compared whatever
    their case: "sunderland striker" against "Swansea striker"."""
    entity_terms = {stem(e) for e in _entities(words, index.names)}
    passage_words = tokenize(passage.text)
    passage_terms = set(passage.terms)
    missing = entity_terms - passage_terms
    if not missing:
        return None
    rest = {t for t in content_terms(words) if not t[0].isdigit()} - entity_terms
    if not rest or _coverage(rest, passage_terms, index) < ENTITY_SWAP_COVERAGE:
        return None
    claim_norms = {w.norm for w in words}
    others = sorted({w.text for w in passage_words[1:] if w.is_capitalized and w.norm not in claim_norms
                     and w.norm not in _NOT_ENTITIES and w.norm not in STOPWORDS and not w.norm[0].isdigit()})
    if not others:
        return None
    named = sorted({w.text for w in words if stem(w.norm) in missing})
    return (f"The claim names {', '.join(named)}; {passage.source_label} names "
            f"{', '.join(others)} in the same statement.")


def _agent_swap(words: list[Token], passage: Passage, index: EvidenceIndex) -> str | None:
    """"Chelsea defeated Arsenal" against "Arsenal defeated Chelsea": two names
    and the words between them are all in the passage, in the other order."""
    names = _entities(words, index.names)
    if words and words[0].is_capitalized and words[0].norm not in STOPWORDS | _NOT_ENTITIES:
        names.add(words[0].norm)
    placed = [(i, w) for i, w in enumerate(words) if w.norm in names]
    passage_words = tokenize(passage.text)
    positions = {w.norm: k for k, w in reversed(list(enumerate(passage_words)))}
    for (i, first), (j, second) in zip(placed, placed[1:], strict=False):
        between = {t for t in content_terms(words[i + 1:j]) if not t[0].isdigit()}
        if first.norm == second.norm or not between or first.norm not in positions or second.norm not in positions:
            continue
        a, b = positions[first.norm], positions[second.norm]
        if a > b and between <= set(content_terms(passage_words[b + 1:a])):
            return (f"The claim has {first.text} before {second.text}; {passage.source_label} has them the other "
                    f"way round ({second.text} ... {first.text}).")
    return None


def word_swap(words: list[Token], passage: Passage, index: EvidenceIndex) -> tuple[str, str] | None:
    """One word changed: a claim word that no source has, standing where the
    passage has a word the claim lacks, next to a word both share ("convicted
    of murder" / "convicted of manslaughter", "the sunderland striker" / "the
    Swansea striker"). (claim word, passage word), or None."""
    everything = index.source_matcher()
    content = [w for w in words if stem(w.norm) not in STOPWORDS and w.norm not in STOPWORDS]
    claim_terms = {stem(w.norm) for w in content}
    unknown = {t for t in claim_terms if not t[0].isdigit() and not everything.soft(t)}
    # Only a claim that says everything else the passage says: one word off.
    if len(unknown) != 1 or _coverage(claim_terms - unknown, set(passage.terms), index) < ENTITY_SWAP_COVERAGE:
        return None
    passage_words = [w for w in tokenize(passage.text) if w.norm not in STOPWORDS]
    passage_terms = [stem(w.norm) for w in passage_words]
    for i, word in enumerate(content):
        if stem(word.norm) not in unknown:
            continue
        left = stem(content[i - 1].norm) if i > 0 else None
        right = stem(content[i + 1].norm) if i + 1 < len(content) else None
        for j, candidate in enumerate(passage_terms):
            if left is not None and (j == 0 or passage_terms[j - 1] != left):
                continue
            if right is not None and (j + 1 >= len(passage_terms) or passage_terms[j + 1] != right):
                continue
            theirs = passage_words[j].text
            # Both words distinctive: "lost" / "without" power is a paraphrase,
            # "murder" / "manslaughter" is not.
            lex = lexicon()
            mine = stem(word.norm)
            if candidate in claim_terms or not theirs.isalpha():
                continue
            names = theirs[:1].isupper() or word.text[:1].isupper() or mine in index.names
            if names or (lex.is_word(mine) and lex.is_word(candidate)
                         and min(lex.rarity(mine), lex.rarity(candidate)) >= _SWAP_RARITY):
                return word.text, theirs
    return None


def _same_figures(claim_text: str, passage: Passage, index: EvidenceIndex) -> bool:
    """Related wording plus the same distinctive figures, stated in this very
    passage, is a paraphrase ("will total $3.2 million" / "includes $3.2 million")."""
    claim_quantities = extract_quantities(claim_text)
    own = index.quantities(passage)
    return bool(claim_quantities) and all(_distinctive(q) and any(q.same_value(p) for p in own)
                                          for q in claim_quantities)


def _distinctive(quantity: Quantity) -> bool:
    """A figure unlikely to match by chance: money, a share, or a count of ten or more."""
    if quantity.kind in ("money", "percent"):
        return True
    return quantity.kind == "count" and isinstance(quantity.value, float) and abs(quantity.value) >= 10
