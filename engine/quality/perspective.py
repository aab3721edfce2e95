"""Perspective balance: whose voices an article carries, what kind of source
each is, which way each leans, and which expected stakeholders are missing.

Voices come from attributions (engine.quality.attribution): "X said",
"according to X", '"...," said X, a Y at Z'. A pronoun ("she said") is the
last voice named before it; a quotation with no attribution in its sentence
continues the previous voice. Mentions of one person are merged by surname
("Mayor Karen Lee" ... "Lee"). Unnamed crowds ("critics say") are not counted
as voices; the bias tool flags them.

Score (0-100), documented for editors:

    voices   40 * min(distinct voices, 4) / 4
    types    30 * min(distinct source types, 3) / 3
    stance   30 * balance, where balance is
                 1.0 x (0.5 + 0.5 * minority/majority)  both sides heard
                 0.6                                    only neutral voices
                 0.3                                    one side plus neutral voices
                 0.0                                    one side only, or no voices
    With stakeholders given, the sum above is scaled to 75 and coverage adds
    up to 25: 25 * (quoted + 0.5 * mentioned-only) / stakeholders.

One voice scores at most 10 + 10 + 18 = 38 (+ 25 coverage scaled: 53.5), so a
single-source article always fails the default gate of 60.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from engine.quality.attribution import Attribution, attributions
from engine.quality.text import Layout, Span, Token, content_terms, layout, stem, tokenize
from engine.quality.types import (
    Finding,
    PerspectiveReport,
    QuoteSpan,
    Severity,
    SourceType,
    Stance,
    Voice,
)

MAX_VOICES_COUNTED = 4
MAX_TYPES_COUNTED = 3
_FUZZY_MATCH = 0.85
_NEGATION_WINDOW = 3
_ROLE_CUT = re.compile(r"\b(?:who|which|that|at|on|in|during|from|after|before)\b.*$", re.I)


@dataclass(frozen=True)
class _Lexicon:
    priority: tuple[SourceType, ...]
    source_types: dict[str, frozenset[str]]
    support: frozenset[str]
    oppose: frozenset[str]
    negators: frozenset[str]
    synonyms: tuple[frozenset[str], ...]
    titles: frozenset[str]


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    text = resources.files("resources.quality").joinpath("perspective_lexicon.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)

    def stems(words: list[str]) -> frozenset[str]:
        return frozenset(stem(w) for phrase in words for w in phrase.split())

    return _Lexicon(
        priority=tuple(data["priority"]),
        source_types={kind: stems(words) for kind, words in data["source_types"].items()},
        support=stems(data["stance"]["support"]),
        oppose=stems(data["stance"]["oppose"]),
        negators=frozenset(data["stance"]["negators"]),
        synonyms=tuple(stems(group) for group in data["synonyms"]["groups"]),
        titles=frozenset(data["titles"]["words"]),
    )


@dataclass
class _VoiceDraft:
    name: str
    role: str
    descriptors: set[str]  # stemmed words of the name and role, for typing and stakeholder matching
    attributions: list[Attribution] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)  # what the voice is reported as saying


class PerspectiveAnalyzer:
    name = "perspective"

    def analyze(self, text: str, stakeholders: list[str] | None = None) -> PerspectiveReport:
        stakeholders = [s.strip() for s in stakeholders or [] if s.strip()]
        lay = layout(text)
        drafts = _collect_voices(lay, attributions(text))
        voices = [self._finish(lay, d) for d in drafts]
        covered, missing, coverage, coverage_findings = _stakeholder_coverage(lay, drafts, stakeholders)
        score = _score(voices, coverage if stakeholders else None)
        findings = _balance_findings(lay, voices, drafts) + coverage_findings
        return PerspectiveReport(score, voices, covered, missing, findings)

    def _finish(self, lay: Layout, draft: _VoiceDraft) -> Voice:
        quotes = sorted({(s.start, s.end) for s in draft.spans})
        said = " ".join(lay.text[start:end] for start, end in quotes)
        cues = " ".join(lay.text[a.cue.start:a.cue.end] for a in draft.attributions)
        return Voice(
            name=draft.name, source_type=_source_type(draft.descriptors), stance=_stance(f"{cues} {said}"),
            quotes=[QuoteSpan(start, end, lay.text[start:end]) for start, end in quotes], role=draft.role,
        )


def _speaker_parts(lay: Layout, a: Attribution) -> tuple[str, str, str]:
    """(key, display name, role) for a speaker phrase."""
    tokens = tokenize(lay.text, a.speaker.start, a.speaker.end)
    titles = _lexicon().titles
    runs: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        if token.is_capitalized and token.norm not in titles:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    speaker_text = lay.text[a.speaker.start:a.speaker.end]
    if runs:
        name_run = runs[0]
        name = " ".join(t.text for t in name_run)
        is_organisation = _source_type({stem(t.norm) for t in name_run}) != "other" or len(name_run) > 3
        key = name.lower() if is_organisation else name_run[-1].norm
        role = re.sub(r"\s+,", ",", speaker_text.replace(name, "")).strip(" ,")
        return key, name, role
    role = _ROLE_CUT.sub("", speaker_text).strip(" ,")
    role = re.sub(r"^(?:the|a|an|its|his|her|their)\s+", "", role, flags=re.I)
    return role.lower(), role, speaker_text


def _collect_voices(lay: Layout, found: tuple[Attribution, ...]) -> list[_VoiceDraft]:
    drafts: dict[str, _VoiceDraft] = {}  # in order of first attribution
    last_key: str | None = None
    by_sentence: dict[Span, str] = {}
    for a in found:
        if a.vague:
            continue
        if a.pronoun:
            if last_key is None:
                continue
            key = last_key
        else:
            key, name, role = _speaker_parts(lay, a)
            if not key:
                continue
            draft = drafts.setdefault(key, _VoiceDraft(name, role, set()))
            if len(name) > len(draft.name):
                draft.name = name
            if len(role) > len(draft.role):
                draft.role = role
            draft.descriptors |= {stem(t.norm) for t in tokenize(lay.text, a.speaker.start, a.speaker.end)}
        draft = drafts[key]
        draft.attributions.append(a)
        draft.spans.extend(a.quotes)
        if a.content is not None:
            draft.spans.append(a.content)
        by_sentence[a.sentence] = key
        last_key = key
    _attach_unattributed_quotes(lay, drafts, by_sentence)
    return list(drafts.values())


def _attach_unattributed_quotes(lay: Layout, drafts: dict[str, _VoiceDraft], by_sentence: dict[Span, str]) -> None:
    """A quotation whose sentence names no speaker continues the voice of the
    nearest attributed sentence before it (the news convention for a quote
    running over several sentences or paragraphs)."""
    last_key: str | None = None
    for sentence in lay.sentences:
        if sentence in by_sentence:
            last_key = by_sentence[sentence]
            continue
        quotes = lay.quotes_in(sentence.start, sentence.end)
        if quotes and last_key is not None:
            drafts[last_key].spans.extend(quotes)


def _source_type(descriptors: set[str]) -> SourceType:
    lexicon = _lexicon()
    counts = {kind: len(descriptors & words) for kind, words in lexicon.source_types.items()}
    best = max(counts.values(), default=0)
    for kind in lexicon.priority:
        if best and counts.get(kind, 0) == best:
            return kind
    return "other"


def _stance(said: str) -> Stance:
    lexicon = _lexicon()
    tokens = [t.norm for t in tokenize(said)]
    support = oppose = 0
    for i, word in enumerate(tokens):
        root = stem(word)
        side = 1 if root in lexicon.support else -1 if root in lexicon.oppose else 0
        if not side:
            continue
        window = tokens[max(0, i - _NEGATION_WINDOW):i]
        if any(w in lexicon.negators or w.endswith("n't") for w in window):
            side = -side
        if side > 0:
            support += 1
        else:
            oppose += 1
    if support > oppose:
        return "support"
    if oppose > support:
        return "oppose"
    return "neutral"


def _balance(voices: list[Voice]) -> float:
    support = sum(v.stance == "support" for v in voices)
    oppose = sum(v.stance == "oppose" for v in voices)
    neutral = len(voices) - support - oppose
    if support and oppose:
        return 0.5 + 0.5 * min(support, oppose) / max(support, oppose)
    if support or oppose:
        return 0.3 if neutral else 0.0
    return 0.6 if neutral else 0.0


def _score(voices: list[Voice], coverage: float | None) -> float:
    distinct_types = {v.source_type for v in voices}
    base = (
        40 * min(len(voices), MAX_VOICES_COUNTED) / MAX_VOICES_COUNTED
        + 30 * min(len(distinct_types), MAX_TYPES_COUNTED) / MAX_TYPES_COUNTED
        + 30 * _balance(voices)
    )
    if coverage is None:
        return round(base, 1)
    return round(0.75 * base + 25 * coverage, 1)


def _balance_findings(lay: Layout, voices: list[Voice], drafts: list[_VoiceDraft]) -> list[Finding]:
    if not voices:
        return [_article_finding(
            "no_attributed_sources", "high",
            "The article attributes nothing to any person, organisation or document.",
            "Quote or attribute to the people and records the story rests on.",
        )]
    findings: list[Finding] = []
    if len(voices) == 1:
        speaker = drafts[0].attributions[0].speaker
        findings.append(Finding(
            tool="perspective", kind="single_perspective", start=speaker.start, end=speaker.end,
            text=lay.text[speaker.start:speaker.end], severity="high",
            explanation=f"{voices[0].name} is the only voice in the article.",
            suggestion="Add at least one other perspective, ideally from a different kind of source.",
        ))
        return findings
    stances = {v.stance for v in voices} - {"neutral"}
    if len(stances) == 1:
        side = stances.pop()
        names = ", ".join(v.name for v in voices if v.stance == side)
        findings.append(_article_finding(
            "one_sided", "medium", f"Every voice that takes a side is in {side} ({names}).",
            f"Seek out someone who does not {side} it.",
        ))
    types = {v.source_type for v in voices}
    if len(types) == 1:
        findings.append(_article_finding(
            "single_source_type", "low", f"All voices are of one kind ({types.pop()}).",
            "Add a voice from outside that group: residents, experts, businesses or advocates.",
        ))
    return findings


def _article_finding(kind: str, severity: Severity, explanation: str, suggestion: str) -> Finding:
    # An article-level finding: nothing in the text to point at, so the empty span at 0.
    return Finding(tool="perspective", kind=kind, start=0, end=0, text="", severity=severity,
                   explanation=explanation, suggestion=suggestion)


def _stakeholder_terms(stakeholder: str) -> set[str]:
    terms = content_terms(tokenize(stakeholder))
    if not terms:
        return set()
    head = terms[-1]
    expanded = {head}
    for group in _lexicon().synonyms:
        if head in group:
            expanded |= group
    return expanded


def _matches(wanted: set[str], available: set[str]) -> bool:
    if wanted & available:
        return True
    joined = {a + b for a in available for b in available if a != b}  # "council member" ~ "councilmember"
    return any(
        difflib.SequenceMatcher(None, w, a).ratio() >= _FUZZY_MATCH
        for w in wanted for a in available | joined if abs(len(w) - len(a)) <= 3
    )


def _stakeholder_coverage(
    lay: Layout, drafts: list[_VoiceDraft], stakeholders: list[str]
) -> tuple[list[str], list[str], float, list[Finding]]:
    """Stakeholders quoted (matched against a voice's name or role) or only
    mentioned in the text; coverage counts a mention as half."""
    covered: list[str] = []
    missing: list[str] = []
    findings: list[Finding] = []
    credit = 0.0
    text_tokens = tokenize(lay.masked)
    text_terms = {stem(t.norm): t for t in reversed(text_tokens)}  # first mention wins
    for stakeholder in stakeholders:
        wanted = _stakeholder_terms(stakeholder) | {stem(t.norm) for t in tokenize(stakeholder) if t.is_capitalized}
        if any(_matches(wanted, d.descriptors) for d in drafts):
            covered.append(stakeholder)
            credit += 1.0
            continue
        mention = next((text_terms[w] for w in sorted(wanted) if w in text_terms), None)
        if mention is not None:
            covered.append(stakeholder)
            credit += 0.5
            findings.append(Finding(
                tool="perspective", kind="unquoted_stakeholder", start=mention.start, end=mention.end,
                text=lay.text[mention.start:mention.end], severity="low",
                explanation=f"{stakeholder} are mentioned but never quoted or paraphrased.",
                suggestion=f"Let {stakeholder} speak for themselves.",
            ))
        else:
            missing.append(stakeholder)
            findings.append(_article_finding(
                "missing_stakeholder", "medium", f"No voice or mention of {stakeholder}.",
                f"Add the perspective of {stakeholder}.",
            ))
    coverage = credit / len(stakeholders) if stakeholders else 0.0
    return covered, missing, coverage, findings
