"""Bias detection: loaded or one-sided language in the writer's own voice.

Only the writer's voice counts. Words inside quotation marks and clauses
attributed to a named source ("the plan is reckless, Lee said") are the
source's opinion and are skipped; a clause attributed to an unnamed crowd
("critics say ...") is counted one severity step lower, and the crowd itself
is flagged by the lexicon. Headings, citation markers and link targets are
masked out before analysis (see engine.quality.text).

Two layers. The lexicon (resources/quality/bias_lexicon.toml) names loaded
words with an explanation and a replacement. A sentence the rules leave
clean is then read by a small learned model (engine.quality.bias_model):
when it judges the sentence opinion, its most opinion-weighted words become
low-severity "subjective_wording" findings. On held-out news sentences
(NewsSD-ENG test, bench/bias_data.py) the lexicon fixes and the model lift
macro-F1 from 0.57 to 0.64 at the same biased precision (0.70 -> 0.71;
recall 0.35 -> 0.53). bench/train_bias_model.py has the figures per set.

Score. Each finding is worth its severity in points (low 1, medium 2, high
3). The score grows with points per prose sentence, so one loaded word in a
long clean article scores low and the same word in a two-sentence brief
scores high:

    bias_score = 100 * (1 - exp(-DENSITY_SCALE * points / sentences))

With DENSITY_SCALE = 0.5: one medium word in 20 sentences -> 4.9; one per
four sentences -> 22; a sentence carrying one low-severity word on its own
-> 39.
"""

from __future__ import annotations

import math

from engine.quality.attribution import TITLE_CUES, Attribution, attributions
from engine.quality.bias_model import BiasModel
from engine.quality.lexicon import BiasLexicon
from engine.quality.text import Layout, Span, Token, layout, tokenize
from engine.quality.types import BiasReport, Finding, Severity

DENSITY_SCALE = 0.5
_DOWNGRADE: dict[str, Severity] = {"high": "medium", "medium": "low", "low": "low"}
_MAX_SCARE_QUOTE_WORDS = 3
# A flagged sentence shows at most two of its words, each pulling at least
# this much towards "opinion" (log-odds), so a finding always names a word.
_MAX_MODEL_WORDS = 2
MIN_MODEL_WEIGHT = 0.3
# Unnamed sources that newsrooms use as shorthand and usually name later in
# the story: flagged, but lower than "some say" or "many believe".
_SHORTHAND_CROWDS = frozenset({"critics", "experts", "observers", "sources", "insiders", "detractors"})


def bias_score(points: float, sentence_count: int) -> float:
    """The documented density curve; also used to rescore LLM-merged findings."""
    if points <= 0:
        return 0.0
    density = points / max(1, sentence_count)
    return round(100.0 * (1.0 - math.exp(-DENSITY_SCALE * density)), 1)


class BiasDetectionTool:
    name = "bias"

    def __init__(self, lexicon: BiasLexicon | None = None, model: BiasModel | None = None, use_model: bool = True) -> None:
        self.lexicon = lexicon or BiasLexicon.load()
        self.model = (model or BiasModel.load()) if use_model else None
        self._lexicon_words = frozenset(word for word, _ in self.lexicon.single_words())

    def analyze(self, text: str) -> BiasReport:
        lay = layout(text)
        found = attributions(text)
        named_content = [a.content for a in found if a.content is not None and not a.vague]
        vague_content = [a.content for a in found if a.content is not None and a.vague]
        findings = _unnamed_source_findings(lay, found)
        for sentence in lay.sentences:
            found_here = len(findings)
            # Tokens of the unquoted view: words inside quotation marks are not the writer's.
            tokens = tokenize(lay.unquoted, sentence.start, sentence.end)
            named_here = [s for s in named_content if s.start < sentence.end and sentence.start < s.end]
            for finding in self._lexicon_findings(lay, tokens, named_here, vague_content):
                if not any(_overlaps(finding, other) for other in findings):
                    findings.append(finding)
            findings.extend(_exclamation_findings(lay, sentence, named_here))
            if self.model is not None and len(findings) == found_here:
                voice = [t for t in tokens if not _inside(t.start, t.end, named_here)] if named_here else tokens
                findings.extend(self._model_findings(lay, voice, findings))
        findings.extend(_scare_quote_findings(lay, found))
        findings.sort(key=lambda f: (f.start, f.end))
        points = sum(f.points for f in findings)
        return BiasReport(bias_score(points, len(lay.sentences)), findings, len(lay.sentences))

    def _lexicon_findings(
        self, lay: Layout, tokens: list[Token], named_content: list[Span], vague_content: list[Span]
    ) -> list[Finding]:
        findings: list[Finding] = []
        for match in self.lexicon.match(tokens):
            start, end = tokens[match.first].start, tokens[match.last].end
            if _inside(start, end, named_content) or _part_of_name(tokens, match.first, match.last):
                continue
            entry = match.entry
            severity: Severity = entry.severity
            explanation = entry.explanation
            if _inside(start, end, vague_content):
                severity = _DOWNGRADE[severity]
                explanation += " (in a view attributed only to unnamed sources)"
            findings.append(Finding(
                tool=self.name, kind=entry.category, start=start, end=end, text=lay.text[start:end],
                severity=severity, explanation=explanation, suggestion=entry.suggestion or None,
            ))
        return findings

    def _model_findings(self, lay: Layout, voice: list[Token], findings: list[Finding]) -> list[Finding]:
        """Subjective wording the lexicon has no entry for, from the learned
        model (engine.quality.bias_model); only in sentences the rules left
        clean, so a sentence is never counted twice. The spans are the words
        that pushed the sentence over the threshold."""
        assert self.model is not None
        scored = self.model.score(voice)
        if scored.probability < self.model.threshold:
            return []
        flagged: list[Finding] = []
        for token, weight in scored.contributions:
            if weight < MIN_MODEL_WEIGHT or len(flagged) == _MAX_MODEL_WORDS:
                break
            if any(f.start < token.end and token.start < f.end for f in findings) or token.norm in self._lexicon_words:
                continue  # a lexicon word is the rules' to judge, with their exceptions ("disaster declaration")
            flagged.append(Finding(
                tool=self.name, kind="subjective_wording", start=token.start, end=token.end,
                text=lay.text[token.start:token.end], severity="low",
                explanation=(f"In public, human-labelled news and Wikipedia sentences, \u201c{token.norm}\u201d leans "
                             f"toward the writer's opinion (model weight {weight:+.1f}; this sentence scores "
                             f"{scored.probability:.0%} opinion). Use a neutral word, or attribute the view."),
                suggestion=None,
            ))
        return flagged


# A capitalised word before one of these is a modifier of a person, not part
# of a name: "Embattled Mayor Lee", "Radical Rep. Smith".
_TITLES = frozenset(
    "mayor president senator sen rep representative gov governor secretary minister chairman chairwoman "
    "chair councilman councilwoman commissioner judge justice sheriff chief director leader speaker "
    "mr mrs ms dr prof general gen".split()
)


def _part_of_name(tokens: list[Token], first: int, last: int) -> bool:
    """'International Crisis Group', 'Chaos Theory Labs': capitalised words
    next to another capitalised word (the sentence's first word counts only
    before one) are a name, not the writer's vocabulary."""
    if not all(t.is_capitalized for t in tokens[first:last + 1]):
        return False
    before = first > 1 and tokens[first - 1].is_capitalized
    after = last + 1 < len(tokens) and tokens[last + 1].is_capitalized and tokens[last + 1].norm not in _TITLES
    return before or after


def writer_tokens(lay: Layout, sentence: Span, named_content: list[Span]) -> list[Token]:
    """The sentence's words in the writer's own voice: not inside quotation
    marks, not in a clause attributed to a named source."""
    return [t for t in tokenize(lay.unquoted, sentence.start, sentence.end)
            if not _inside(t.start, t.end, named_content)]


def _overlaps(a: Finding, b: Finding) -> bool:
    return a.start < b.end and b.start < a.end


def _unnamed_source_findings(lay: Layout, found: tuple[Attribution, ...]) -> list[Finding]:
    """'Critics say', 'many residents believe': an opinion hung on a crowd the
    reader cannot weigh. Found from the attribution itself, so every wording
    of the pattern is caught, not only the lexicon's stock phrases."""
    findings: list[Finding] = []
    for a in found:
        if not a.vague:
            continue
        start, end = min(a.speaker.start, a.cue.start), max(a.speaker.end, a.cue.end)
        findings.append(Finding(
            tool="bias", kind="weasel_attribution", start=start, end=end, text=lay.text[start:end],
            severity="low" if a.head in _SHORTHAND_CROWDS else "medium",
            explanation="An opinion attributed to unnamed people: the reader cannot judge who holds it or how many do.",
            suggestion="Name the people who hold the view, or cite a poll.",
        ))
    return findings


def _inside(start: int, end: int, spans: list[Span]) -> bool:
    return any(s.start <= start and end <= s.end for s in spans)


def _exclamation_findings(lay: Layout, sentence: Span, named_content: list[Span]) -> list[Finding]:
    """An exclamation mark in the writer's voice is sentiment extremity in
    straight news; the whole sentence is the span because the mark alone is
    not a useful highlight."""
    for i in range(sentence.start, sentence.end):
        if lay.unquoted[i] == "!" and not _inside(i, i + 1, named_content):
            return [Finding(
                tool="bias", kind="sentiment_extremity", start=sentence.start, end=sentence.end,
                text=lay.text[sentence.start:sentence.end], severity="medium",
                explanation="An exclamation mark in the writer's voice signals emotion, not information.",
                suggestion="End the sentence with a period and let the facts carry it.",
            )]
    return []


def _scare_quote_findings(lay: Layout, found: tuple[Attribution, ...]) -> list[Finding]:
    """One to three lower-case words in quotation marks, with no one to quote in
    the sentence ('the "temporary" tax'), are scare quotes: the writer's irony."""
    attributed_sentences = {a.sentence for a in found}
    findings: list[Finding] = []
    for sentence in lay.sentences:
        if sentence in attributed_sentences:
            continue
        for quote in lay.quotes_in(sentence.start, sentence.end):
            words = tokenize(lay.text, quote.start, quote.end)
            if not 0 < len(words) <= _MAX_SCARE_QUOTE_WORDS or not words[0].text[0].islower():
                continue
            before = tokenize(lay.unquoted, sentence.start, quote.start)
            if before and before[-1].norm in TITLE_CUES:  # a headline or title, not irony
                continue
            start, end = quote.start - 1, min(quote.end + 1, len(lay.text))
            findings.append(Finding(
                tool="bias", kind="scare_quotes", start=start, end=end, text=lay.text[start:end],
                severity="medium",
                explanation="Quotation marks around a word no source is quoted as saying signal the writer's doubt or irony.",
                suggestion="Remove the quotation marks, or attribute the word to whoever used it.",
            ))
    return findings
