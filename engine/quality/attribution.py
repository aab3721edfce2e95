"""Who said what: attribution clauses in news prose.

Both the bias tool and the perspective analyzer need to know which words are
the writer's and which belong to a source. News attribution comes in a few
shapes, handled clause by clause (clauses split at ";" and ", but"):

    leading     Lee said (that) CONTENT.            CONTENT follows the verb
    trailing    CONTENT, Lee said (on Tuesday).     CONTENT precedes the comma
    inverted    "QUOTE," said Mayor Lee, a ...      speaker follows the verb
    according   According to X, CONTENT. / CONTENT, according to X.
    participle  The union rejected it, saying CONTENT.

The speaker phrase and the verb stay in the writer's voice (a loaded verb such
as "admitted", or a label in "radical activist Jane Doe said", is the
writer's choice); only CONTENT and direct quotations are the source's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from engine.quality.text import Layout, Span, Token, layout, tokenize

SAY_VERBS = frozenset(
    """said says say saying told tells tell argued argues argue wrote writes added adds noted notes
    stated states explained explains warned warns contended contends insisted insists believes believe
    believed thinks think predicted predicts estimated estimates acknowledged acknowledges testified
    countered counters responded replied asked asks urged urges vowed vows announced announces reported
    reports claimed claims admitted admits complained complains suggested suggests recalled conceded
    concedes boasted maintained maintains emphasized stressed cautioned questioned criticized criticizes
    praised praises welcomed agreed agrees disagreed objected alleged alleges confirmed confirms denied
    denies expects projected projects called calls described describes found finds show shows showed
    concluded concludes asserted asserts""".split()
)
# "called a meeting", "described the route", "added two lanes" are not
# attribution: these verbs count only when a quotation, "as" or "that" follows.
_QUOTING_ONLY = frozenset({"called", "calls", "described", "describes", "added", "adds"})
# "found", "show" attribute only when a document is the subject ("the audit found").
_DOCUMENT_ONLY = frozenset({"found", "finds", "show", "shows", "showed", "concluded", "concludes"})
DOCUMENT_NOUNS = frozenset(
    """report reports study studies survey surveys audit audits data records record document documents
    filing filings memo minutes analysis review statement statements poll polls figures census budget
    bulletin notice application ordinance lawsuit complaint letter release estimate estimates forecast""".split()
)
# A clause that ends in a comma or a closing quotation mark before the verb.
_QUOTE_ENDS = (",", '"', "”", "’")
_PASSIVE_OR_INFINITIVE = frozenset({"is", "was", "are", "were", "be", "been", "being", "to", "it's"})
# An unnamed crowd: the reader cannot weigh who holds the view.
VAGUE_SPEAKERS = frozenset(
    "critics some many others observers sources experts people insiders detractors everyone most "
    "somebody someone".split()
)
# "Headlined 'X'", "a report titled 'X'": what follows is a title, not a
# speaker and not the writer's words.
TITLE_CUES = frozenset({"headlined", "titled", "entitled", "captioned", "subtitled", "headline", "title"})
PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i"})
_DETERMINERS = frozenset({"the", "a", "an", "of"})
_APPOSITIVE_START = frozenset({"a", "an", "the", "who", "whose", "which", "its", "his", "her", "their"})
_CLAUSE_BREAK = re.compile(r";|,\s+(?:but|while|whereas|although)\b|\s[—–]\s")
_VERBISH = re.compile(r"^(?:[a-z]+ed|is|are|was|were|has|have|had|will|would|can|could|plans|wants|voted)$")


@dataclass(frozen=True)
class Attribution:
    sentence: Span
    cue: Span  # the verb, or "according to"
    speaker: Span  # the phrase that names the source, as written
    content: Span | None  # indirect speech attributed to the speaker
    quotes: tuple[Span, ...]  # direct quotations in the same clause
    vague: bool  # the speaker is an unnamed crowd ("critics say")
    pronoun: bool  # the speaker is "he", "she", "they", ...
    head: str  # first word of the speaker phrase after determiners, lower case


def _clauses(unquoted: str, sentence: Span) -> list[Span]:
    clauses: list[Span] = []
    start = sentence.start
    for m in _CLAUSE_BREAK.finditer(unquoted, sentence.start, sentence.end):
        clauses.append(Span(start, m.start()))
        start = m.start() + 1
    clauses.append(Span(start, sentence.end))
    return [c for c in clauses if unquoted[c.start:c.end].strip()]


def _strip_span(text: str, start: int, end: int, chars: str = " ,\n\"“”‘’") -> Span:
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars + ".":
        end -= 1
    return Span(start, end)


def _leading_noun_phrase(tokens: list[Token], text: str, start: int) -> Span:
    """The subject phrase at the start of a clause: stop at the first word that
    looks like a finite verb ("The chamber of commerce | endorsed ...")."""
    end = start
    for token in tokens:
        if not token.is_capitalized and _VERBISH.match(token.norm):
            break
        end = token.end
    return _strip_span(text, start, end)


def _is_name_like(tokens: list[Token]) -> bool:
    return 0 < len(tokens) <= 5 and all(t.is_capitalized for t in tokens) and tokens[0].norm not in TITLE_CUES


def _speaker_flags(text: str, speaker: Span) -> tuple[bool, bool, str]:
    words = tokenize(text, speaker.start, speaker.end)
    if not words:
        return False, False, ""
    pronoun = len(words) == 1 and words[0].norm in PRONOUNS
    # A capital after the first word is a name; the first word is capitalised
    # anyway at a sentence start, so it counts only if it is not a determiner
    # or a crowd word ("Residents said" is a group, "Critics say" is not).
    first = words[0]
    named = any(t.is_capitalized for t in words[1:]) or (
        first.is_capitalized and first.norm not in VAGUE_SPEAKERS | _DETERMINERS
    )
    head = next((t.norm for t in words if t.norm not in _DETERMINERS), "")
    vague = not named and head in VAGUE_SPEAKERS
    return vague, pronoun, head


def _cue_at(tokens: list[Token], i: int, lay: Layout, clause: Span) -> bool:
    word = tokens[i].norm
    if word == "according":
        return i + 1 < len(tokens) and tokens[i + 1].norm == "to"
    if word not in SAY_VERBS:
        return False
    if i > 0 and tokens[i - 1].norm in _PASSIVE_OR_INFINITIVE:
        return False
    if word in _QUOTING_ONLY:
        after = lay.masked[tokens[i].end:clause.end]
        before = lay.unquoted[clause.start:tokens[i].start].rstrip()
        return (
            bool(re.search(r"[\"“‘]", after))
            or bool(re.match(r"\s+(?:that\b|.{0,60}\bas\b)", after))
            or before.endswith(_QUOTE_ENDS)
        )
    if word in _DOCUMENT_ONLY:
        before = {t.norm for t in tokens[max(0, i - 4):i]}
        return bool(before & DOCUMENT_NOUNS)
    return True


def _attribute_clause(lay: Layout, sentence: Span, clause: Span) -> Attribution | None:
    text = lay.unquoted
    tokens = tokenize(text, clause.start, clause.end)
    cue_index = next((i for i in range(len(tokens)) if _cue_at(tokens, i, lay, clause)), None)
    if cue_index is None:
        return None
    cue_token = tokens[cue_index]
    quotes = tuple(lay.quotes_in(clause.start, clause.end))

    if cue_token.norm == "according":
        cue = Span(cue_token.start, tokens[cue_index + 1].end)
        comma = text.find(",", cue.end, clause.end)
        speaker = _strip_span(text, cue.end, comma if comma != -1 else clause.end)
        if len(tokenize(text, clause.start, cue.start)) > 1:  # CONTENT, according to X.
            content = _strip_span(text, clause.start, cue.start)
        elif comma != -1:  # According to X, CONTENT.
            content = _strip_span(text, comma + 1, clause.end)
        else:
            content = None
    elif cue_token.norm == "saying":
        cue = Span(cue_token.start, cue_token.end)
        speaker = _leading_noun_phrase(tokens[:cue_index], text, clause.start)
        content = _strip_span(text, cue.end, clause.end)
    else:
        cue = Span(cue_token.start, cue_token.end)
        preceding = text[clause.start:cue.start].rstrip()
        name_end = text.find(",", cue.end, clause.end)
        after_verb = tokenize(text, cue.end, name_end if name_end != -1 else clause.end)
        inverted = (
            preceding.endswith(_QUOTE_ENDS)
            and 0 < len(after_verb) <= 8
            and (after_verb[0].norm in {"the", "a", "an", "his", "her", "their", "its"}
                 or any(t.is_capitalized for t in after_verb))
            and not any(_VERBISH.match(t.norm) for t in after_verb if not t.is_capitalized)
        )
        if inverted:
            # "QUOTE," said SPEAKER, a ROLE.  Everything after the verb describes the speaker.
            speaker = _strip_span(text, cue.end, clause.end)
            content = _strip_span(text, clause.start, clause.start + len(preceding))
        else:
            speaker, content = _speaker_before_verb(text, tokens, cue_index, clause)
    if speaker.end <= speaker.start:
        return None
    # Quoted words (a headline) are not part of who is speaking.
    vague, pronoun, head = _speaker_flags(lay.unquoted, speaker)
    if content is not None and content.end <= content.start:
        content = None
    return Attribution(sentence, cue, speaker, content, quotes, vague, pronoun, head)


def _speaker_before_verb(text: str, tokens: list[Token], cue_index: int, clause: Span) -> tuple[Span, Span | None]:
    cue = tokens[cue_index]
    # Comma-separated segments between the clause start and the verb, nearest first.
    segments: list[Span] = []
    end = cue.start
    for comma in reversed([m.start() for m in re.finditer(",", text[clause.start:cue.start])]):
        segments.append(Span(clause.start + comma + 1, end))
        end = clause.start + comma
    segments.append(Span(clause.start, end))

    tail = [t for t in tokens[cue_index + 1:] if t.norm != "that"]
    says_that = any(t.norm == "that" for t in tokens[cue_index + 1:cue_index + 2])
    speaker_segments = [segments[0]]
    for previous in segments[1:]:
        current = tokenize(text, speaker_segments[-1].start, speaker_segments[-1].end)
        candidate = tokenize(text, previous.start, previous.end)
        if not current or (current[0].norm in _APPOSITIVE_START and _is_name_like(candidate)):
            speaker_segments.append(previous)
        else:
            break
    speaker_start = speaker_segments[-1].start
    has_text_before = speaker_start > clause.start and len(tokenize(text, clause.start, speaker_start)) >= 3
    # The trailing form names the speaker right before the verb ("..., Lee said");
    # "X, a teacher, said ..." with a comma before the verb is a leading subject.
    speaker_next_to_verb = bool(tokenize(text, segments[0].start, segments[0].end))
    if has_text_before and speaker_next_to_verb and len(tail) <= 5 and not says_that:
        # CONTENT, SPEAKER said (on Tuesday).
        return _strip_span(text, speaker_start, cue.start), _strip_span(text, clause.start, speaker_start)
    # SPEAKER said (that) CONTENT: the whole lead-in is the writer's frame,
    # less a leading title ("Headlined 'X', the column argued ...").
    lead_in = clause.start
    if tokens and tokens[0].norm in TITLE_CUES and len(segments) > 1:
        lead_in = segments[-2].start
    return _strip_span(text, lead_in, cue.start), _strip_span(text, cue.end, clause.end)


@lru_cache(maxsize=16)
def attributions(text: str) -> tuple[Attribution, ...]:
    """Every attribution in the text, in order. Cached for the same reason as `layout`."""
    lay = layout(text)
    found: list[Attribution] = []
    for sentence in lay.sentences:
        for clause in _clauses(lay.unquoted, sentence):
            attribution = _attribute_clause(lay, sentence, clause)
            if attribution is not None:
                found.append(attribution)
    return tuple(found)
