"""The offline implementation of every stage: no network, no key, deterministic.

The draft is extractive: sentences taken from the attached sources, each cited
[S#], grouped by an outline, and it says plainly that it is an offline draft.
The checking stages run the quality tools' offline analyses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.pipeline import outputs as out
from engine.pipeline.context import Profile, StageContext
from engine.pipeline.text import (
    _MONTH,
    content_words,
    date_for_today,
    fact_tokens,
    figures,
    flesch_reading_ease,
    has_number,
    has_quote,
    is_agenda_line,
    overlap_similarity,
    quote_balanced,
    quoted_sentences,
    shorten,
    slugify,
    split_sentences,
    strip_citations,
    strip_dateline,
    top_terms,
)
from engine.quality.bias import BiasDetectionTool
from engine.quality.facts import FactVerificationTool, extract_claims
from engine.quality.lexicon import BiasLexicon
from engine.quality.originality import OriginalityChecker
from engine.quality.overall import QualityGates, QualityWeights, score_overall
from engine.quality.perspective import PerspectiveAnalyzer
from engine.quality.text import tokenize
from engine.quality.types import (
    BiasReport,
    FactReport,
    Finding,
    OriginalityReport,
    PerspectiveReport,
    SourceDoc,
)

# Worded without figures or names, so the checks do not take the note itself for a claim.
OFFLINE_NOTE = (
    "*This is an offline draft, put together from the attached sources without a language model: "
    "each sentence comes from the source it cites. Rewrite and check it before publishing.*"
)
NO_SOURCES_NOTE = (
    "*Offline draft: no sources are attached to \u201c{keyword}\u201d, so there is nothing to draft from. "
    "Attach source material (Keywords screen, Sources panel, or `copydesk keywords sources add`) "
    "and regenerate.*"
)
# The opening section: drafted without a heading, as news copy opens.
LEAD_HEADING = "What happened"
# What comes next: plans, schedules, dates ahead (a sentence about a past vote is not "next").
_AHEAD = re.compile(r"\b(will|plans? to|expects? to|is expected|scheduled|next (?:week|month|year)|deadline|"
                    r"begins?|starting|takes? effect|by (?:19|20)\d\d)\b", re.IGNORECASE)
# Sentences about the meeting's procedure rather than the story ("This interview with X, president
# of Y, ..." stays: it is where the speaker is introduced).
_ABOUT_THE_DOCUMENT = re.compile(
    r"^(?:Motion to \w+\b.*\bseconded by\b"
    r"|.*\b(?:was|were) called to order\b"
    r"|The (?:meeting|hearing|session) adjourned\b)", re.IGNORECASE)
# A sentence that leans on the one before it: "She said...", "It will...", "They found $18.4 million...".
_LEANS_BACK = re.compile(r"^(?:[\"\u201c][^\"\u201d]*[\"\u201d],? )?(?:He|She|They|It|His|Her|Their|Its|This|"
                         r"These|Those|That)\b")
_SPEAKER = re.compile(r"[\"\u201d],?\s+(?:said|says|added|asked)\s+(?P<name>[A-Z][\w'\-]+)\.?$"
                      r"|[\"\u201d],?\s+(?P<pronoun>he|she|they)\s+(?:said|says|added)\.?$")
_DECISION = re.compile(r"\b(voted|votes|approved|approves|adopted|adopts|announced|announces|proposed|proposes|"
                       r"welcomed|passed|rejected|will|agreed|awarded|released)\b")
_PRESENT_TENSE = {"voted": "votes", "approved": "approves", "adopted": "adopts", "announced": "announces",
                  "proposed": "proposes", "welcomed": "welcomes", "passed": "passes", "rejected": "rejects",
                  "agreed": "agrees", "awarded": "awards", "released": "releases", "counted": "counts",
                  "found": "finds", "reported": "reports", "dropped": "drops", "will": "to"}
_HEADLINE_DROP = re.compile(rf"\s*\([^)]*\)|,\s*(?:released|published)\s+{_MONTH}\s+\d{{1,2}}(?:,\s+\d{{4}})?,"
                            rf"|,?\s*\b(?:[Oo]n|effective|beginning|starting)\s+{_MONTH}\s+\d{{1,2}}(?:,\s+\d{{4}})?"
                            rf"|\s+today\b")
# "X announced that Y": the news is Y.
_ANNOUNCED_THAT = re.compile(r"^.*?\b(?:announced|announces|said|says|reported)\s+that\s+")
_HEADLINE_TAIL = re.compile(r" (?:for|with|in|at|and|from|on|between) ")
# Asides between commas: ", a nonprofit housing developer," and ", which represents 58 businesses,".
_APPOSITIVE = re.compile(r",\s+(?:a|an|the|which|who|whose)\s[^,]+,")
_HEADLINE_CUT = re.compile(r",| that | which | who | for the | after | before | while ")


KEY_QUESTIONS = (
    "What is changing, and when?",
    "Who is affected, and how?",
    "What does it cost, and who pays?",
    "What do the people involved say?",
    "What happens next?",
)


def keyword_analysis(ctx: StageContext) -> out.KeywordAnalysis:
    brief = ctx.brief
    keyword_terms = content_words(brief.keyword)
    terms = keyword_terms + [t for t in top_terms([s.text for s in brief.sources], 12) if t not in keyword_terms]
    sources = len(brief.sources)
    angle = (f"What {brief.keyword} means for {brief.profile.audience}, drawn from {sources} source(s)."
             if sources else f"{brief.keyword}: no sources attached yet, so the angle cannot be checked.")
    return out.KeywordAnalysis(angle=angle, audience=brief.profile.audience,
                               key_questions=list(KEY_QUESTIONS), search_terms=terms[:10])


def research(ctx: StageContext) -> out.Research:
    """The sources' sentences worth drafting from, cleaned, with near-duplicates merged, in source order.

    Agenda headings and notes about the document itself are dropped, wire datelines stripped
    (a release's "today" becomes its date), a quotation over several sentences is one note,
    and a sentence that retells what an earlier one said (same facts, nothing new) is left out.
    """
    terms = set(ctx.output("keyword_analysis", out.KeywordAnalysis).search_terms)
    chains: list[list[_Sentence]] = []
    for source_number, source in enumerate(ctx.brief.sources):
        chains.extend(_chains(_source_sentences(source_number, source.label, source.text)))
    kept: list[list[_Sentence]] = []
    told: list[str] = []
    told_facts: set[str] = set()
    # Best first, so the sentence that stays of two near-duplicates is the one that says more.
    for chain in sorted(chains, key=lambda c: -_note_score(c[0], terms)):
        head = chain[0]
        if _retells(head.text, told, told_facts):
            continue
        kept.append(chain)
        for sentence in chain:
            told.append(sentence.text)
            told_facts |= fact_tokens(sentence.text)
    # Enough material for the target length (about 25 words a sentence), in source order.
    budget = max(6, ctx.brief.profile.target_length // 25)
    chosen: list[list[_Sentence]] = []
    for chain in kept:
        if sum(len(c) for c in chosen) + len(chain) <= budget or not chosen:
            chosen.append(chain)
    notes = [out.ResearchNote(text=s.text, source_label=s.label, verified=True)
             for chain in sorted(chosen, key=lambda c: (c[0].source, c[0].position)) for s in chain]
    background = [] if ctx.brief.sources else [
        "No sources are attached to this keyword; attach source material and regenerate."]
    return out.Research(notes=notes, background=background)


def perspectives(ctx: StageContext) -> out.Perspectives:
    analyzer = PerspectiveAnalyzer()
    stakeholders: dict[str, out.Stakeholder] = {}
    for source in ctx.brief.sources:
        for voice in analyzer.analyze(source.text).voices:
            if voice.name.casefold() in stakeholders:
                continue
            said = f": \u201c{shorten(voice.quotes[0].text, 120)}\u201d" if voice.quotes else ""
            stakeholders[voice.name.casefold()] = out.Stakeholder(
                name=voice.name, group=voice.source_type,
                viewpoint=f"{voice.stance}{said}", source_label=source.label)
    return out.Perspectives(stakeholders=list(stakeholders.values()))


def outline(ctx: StageContext) -> out.Outline:
    """A lead (who did what, when), then the figures, the voices, the background and what comes next."""
    notes = ctx.output("research", out.Research).notes
    chains = _note_chains(notes)
    if not chains:
        return out.Outline(sections=[out.OutlineSection(heading="Sources needed", points=[
            f"Attach source material about {ctx.brief.keyword}."], source_labels=[])])
    terms = set(content_words(ctx.brief.keyword))
    lead = max(chains, key=lambda chain: _lead_score(chain[0], terms))
    rest = [chain for chain in chains if chain is not lead]
    # The lead's own source goes on with the next facts it gives (up to three sentences in all).
    opening = list(lead)
    for chain in rest:
        if (chain[0].label == lead[0].label and not any(has_quote(s.text) for s in chain)
                and len(opening) + len(chain) <= 3):
            opening.extend(chain)
    rest = [chain for chain in rest if chain[0] not in opening]
    voices = [c for c in rest if any(has_quote(s.text) for s in c)]
    ahead = [c for c in rest if c not in voices and _AHEAD.search(c[0].text)]
    figures_told = [c for c in rest if c not in voices and c not in ahead and has_number(c[0].text)]
    background = [c for c in rest if c not in voices and c not in ahead and c not in figures_told]
    plan = [(LEAD_HEADING, [opening]), ("The details", figures_told), ("Background", background),
            ("What people say", voices), ("What happens next", ahead)]
    sections = [
        out.OutlineSection(heading=heading, points=[s.text for chain in group for s in chain],
                           source_labels=sorted({s.label for chain in group for s in chain}))
        for heading, group in plan if group
    ]
    return out.Outline(sections=sections)


def draft(ctx: StageContext) -> out.Draft:
    brief = ctx.brief
    keyword_headline = brief.keyword[:1].upper() + brief.keyword[1:]
    if not brief.sources:
        return out.Draft(headline=f"{keyword_headline}: sources needed",
                         dek="Copydesk could not draft this story offline because no sources are attached.",
                         body=NO_SOURCES_NOTE.format(keyword=brief.keyword) + "\n")
    labels = {n.text: n.source_label for n in ctx.output("research", out.Research).notes}
    paragraphs = [OFFLINE_NOTE]
    sections = ctx.output("outline", out.Outline).sections
    for section in sections:
        notes = [out.ResearchNote(text=p, source_label=labels.get(p), verified=True) for p in section.points]
        if section.heading != LEAD_HEADING:
            paragraphs.append(f"## {section.heading}")
        paragraphs.extend(_paragraphs(_note_chains(notes), lead_alone=section.heading == LEAD_HEADING))
    lead = sections[0].points[0] if sections and sections[0].points else ""
    return out.Draft(headline=headline_from(lead) or shorten(f"{keyword_headline}: what the sources say", 90),
                     dek=_dek(sections, lead, labels), body="\n\n".join(paragraphs) + "\n")


def claims(ctx: StageContext) -> out.Claims:
    body = ctx.output("draft", out.Draft).body
    return out.Claims(claims=[out.ClaimItem(text=body[span.start:span.end]) for span in extract_claims(body)])


def fact_verification(ctx: StageContext) -> out.FactVerification:
    body = ctx.output("draft", out.Draft).body
    given = [c.text for c in ctx.output("claims", out.Claims).claims]
    return out.FactVerification(report=FactVerificationTool().analyze(body, list(ctx.brief.sources), claims=given))


def bias_detection(ctx: StageContext) -> out.BiasDetection:
    return out.BiasDetection(report=BiasDetectionTool().analyze(ctx.output("draft", out.Draft).body))


def perspective_analysis(ctx: StageContext) -> out.PerspectiveAnalysis:
    stakeholders = [s.name for s in ctx.output("perspectives", out.Perspectives).stakeholders]
    body = ctx.output("draft", out.Draft).body
    return out.PerspectiveAnalysis(report=PerspectiveAnalyzer().analyze(body, stakeholders))


def originality_check(ctx: StageContext) -> out.OriginalityCheck:
    body = ctx.output("draft", out.Draft).body
    return out.OriginalityCheck(report=OriginalityChecker().analyze(body, list(ctx.brief.sources)))


def revision(ctx: StageContext) -> out.Revision:
    """Mechanical fixes: neutral rewrites, source wording for misquotes, contradicted sentences cut."""
    first = ctx.output("draft", out.Draft)
    body, changes = first.body, []
    edits: list[tuple[int, int, str, str]] = []
    lexicon = BiasLexicon.load()
    for finding in ctx.output("bias_detection", out.BiasDetection).report.findings:
        word = replacement_word(finding, lexicon)
        if word is not None and finding.end > finding.start and body[finding.start:finding.end] == finding.text:
            start, replacement = _with_article(body, finding.start, word)
            edits.append((start, finding.end, replacement,
                          f"rewrote \u201c{finding.text}\u201d as \u201c{word}\u201d ({finding.kind})"))
    for quote in ctx.output("originality_check", out.OriginalityCheck).report.quotes:
        if quote.status == "misquote" and quote.closest_source_text:
            edits.append((quote.start, quote.end, quote.closest_source_text,
                          f"restored the source's wording of a quote ({quote.source_label})"))
    for claim in ctx.output("fact_verification", out.FactVerification).report.claims:
        if claim.verdict == "contradicted" and claim.located:
            # The sentence goes with its citation, so no bare "[S3]" is left behind.
            cited = _TRAILING_CITATION.match(body, claim.end)
            edits.append((claim.start, cited.end() if cited else claim.end, "",
                          f"removed a claim its source contradicts: \u201c{shorten(claim.text, 80)}\u201d"))
    taken_until = len(body) + 1
    # Apply from the end so earlier offsets stay valid; skip edits that overlap a later one.
    for start, end, replacement, change in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        if end > taken_until:
            continue
        body = body[:start] + replacement + body[end:]
        taken_until = start
        changes.append(change)
    body = re.sub(r"[ \t]{2,}", " ", body)
    body = re.sub(r"\n[ \t]*(?:\n[ \t]*)+", "\n\n", body).replace(" \n", "\n")   # a paragraph emptied by a cut
    missing = ctx.output("perspective_analysis", out.PerspectiveAnalysis).report.missing
    if missing:
        changes.append("still missing perspectives (needs reporting): " + ", ".join(missing))
    return out.Revision(headline=first.headline, dek=first.dek, body=body, changes=list(reversed(changes)))


# What a dek is made of: the cut, the objection, the other side.
_CONTENTION = re.compile(r"\b(?:oppos\w*|object\w*|critic\w*|concern\w*|protest\w*|against|cuts?|reduc\w*|"
                         r"shortfall|gap|but|while|instead)\b", re.IGNORECASE)
_TRAILING_CITATION = re.compile(r"[ \t]*(?:\[S\d+\][ \t]*)+")
# A suggestion that starts with one of these is advice to the editor ("say who considers it unfair",
# "give the figures"), not a word to put in the text.
_ADVICE_VERBS = frozenset("""say give name cite use add remove delete attribute quantify describe explain state let
check quote end rewrite specify drop keep avoid replace consider report show list tell identify put make find""".split())


def replacement_word(finding: Finding, lexicon: BiasLexicon) -> str | None:
    """The word that can stand in for the flagged one in the text, or None (then the finding stays for the editor).

    Only a lexicon entry's own replacement counts, for the entry's own term (a variant such as
    "unfairly" would need another inflection), and only a plain word or two, never advice.
    Lexicons that list replacements apart from advice (`replacements` / `replacement`) are read
    first; otherwise the `suggestion`'s ";"-separated alternatives are tried in turn.
    """
    matches = lexicon.match(tokenize(finding.text))
    if len(matches) != 1 or matches[0].entry.term != finding.text.casefold():
        return None
    entry = matches[0].entry
    listed = getattr(entry, "replacements", None) or getattr(entry, "replacement", None)
    if isinstance(listed, str):
        listed = [listed]
    options = list(listed) if listed else (getattr(entry, "suggestion", "") or "").split(";")
    for option in (o.strip() for o in options):
        option_words = option.split()
        if (1 <= len(option_words) <= 2 and option_words[0].casefold() not in _ADVICE_VERBS
                and all(w.isalpha() or "-" in w for w in option_words) and option.islower()):
            return option[:1].upper() + option[1:] if finding.text[:1].isupper() else option
    return None


def _with_article(body: str, start: int, word: str) -> tuple[int, str]:
    """The replacement, with a preceding "a"/"an" changed to suit it ("an unfair" -> "a fatal")."""
    article = re.search(r"\b(an?|An?) $", body[max(0, start - 3):start])
    if article is None:
        return start, word
    wanted = "an" if word[:1].casefold() in "aeiou" else "a"
    if article.group(1)[:1].isupper():
        wanted = wanted.capitalize()
    return start - len(article.group(0)), f"{wanted} {word}"


def seo_optimization(ctx: StageContext) -> out.SeoOptimization:
    revised = ctx.output("revision", out.Revision)
    keyword = ctx.brief.keyword
    tags = top_terms([keyword, keyword, revised.body], 5)
    readability = flesch_reading_ease(revised.body)
    in_headline = keyword.casefold() in revised.headline.casefold()
    suggestions = []
    if len(revised.headline) > 70:
        suggestions.append(f"Headline is {len(revised.headline)} characters; search results show about 60.")
    if readability < 50:
        suggestions.append(f"Reading ease {readability:.0f}: shorter sentences would help general readers.")
    if not in_headline:
        suggestions.append(f"Put \u201c{keyword}\u201d in the headline.")
    return out.SeoOptimization(slug=slugify(keyword), tags=tags, readability=readability,
                               keyword_in_headline=in_headline, suggestions=suggestions)


def meta_generation(ctx: StageContext) -> out.MetaGeneration:
    revised = ctx.output("revision", out.Revision)
    prose = [strip_citations(s) for s in split_sentences(_plain_text(revised.body))]
    summary = " ".join(prose[:2]) or revised.dek
    return out.MetaGeneration(summary=summary, meta_description=shorten(revised.dek or summary, 155),
                              social_copy=shorten(f"{revised.headline}. {revised.dek}", 240))


def finalization(ctx: StageContext) -> out.Finalization:
    stakeholders = [s.name for s in ctx.output("perspectives", out.Perspectives).stakeholders]
    return final_scores(ctx.brief.profile, ctx.output("revision", out.Revision).body,
                        list(ctx.brief.sources), stakeholders)


def final_scores(profile: Profile, body: str, sources: list[SourceDoc], stakeholders: list[str]) -> out.Finalization:
    """All four checks on `body` and the overall score against the profile's gates."""
    fact = FactVerificationTool().analyze(body, sources)
    bias = BiasDetectionTool().analyze(body)
    perspective = PerspectiveAnalyzer().analyze(body, stakeholders)
    originality = OriginalityChecker().analyze(body, sources)
    return finalization_output(profile, fact, bias, perspective, originality)


def finalization_output(profile: Profile, fact: FactReport, bias: BiasReport, perspective: PerspectiveReport,
                        originality: OriginalityReport) -> out.Finalization:
    overall = score_overall(
        bias=bias.bias_score, fact=fact.fact_check_score, perspective=perspective.perspective_balance_score,
        originality=originality.originality_score, perspectives_count=perspective.perspectives_count,
        gates=QualityGates.from_dict(profile.quality_gates),
        weights=QualityWeights.from_dict(profile.quality_weights),
    )
    return out.Finalization(
        bias_score=bias.bias_score, fact_check_score=fact.fact_check_score,
        perspective_balance_score=perspective.perspective_balance_score,
        originality_score=originality.originality_score, overall_quality_score=overall.overall_quality_score,
        quality_passed=overall.quality_passed, failed_gates=overall.failed_gates,
        perspectives_covered=perspective.covered, perspectives_missing=perspective.missing,
        fact=fact, bias=bias, perspective=perspective, originality=originality,
    )


def _plain_text(markdown: str) -> str:
    """Body prose without headings and the italic offline note."""
    lines = [line for line in markdown.splitlines()
             if line.strip() and not line.lstrip().startswith("#") and line.strip() != OFFLINE_NOTE]
    return " ".join(lines)



@dataclass(frozen=True)
class _Sentence:
    text: str
    label: str | None
    source: int
    position: int


def _source_sentences(source_number: int, label: str, text: str) -> list[_Sentence]:
    """A source's sentences worth quoting: quotations whole, datelines and agenda headings gone."""
    sentences: list[_Sentence] = []
    for position, sentence in enumerate(quoted_sentences(text)):
        sentence, date = strip_dateline(sentence)
        sentence = date_for_today(sentence, date)
        # A quotation that never closes (a stray mark in the source) cannot be kept whole: left out.
        if (is_agenda_line(sentence) or _ABOUT_THE_DOCUMENT.match(sentence) or len(sentence.split()) < 4
                or not quote_balanced(sentence)):
            continue
        sentences.append(_Sentence(sentence[:1].upper() + sentence[1:], label, source_number, position))
    return sentences


def _chains(sentences: list[_Sentence]) -> list[list[_Sentence]]:
    """Runs of sentences that must stay together: a "She said..." or a quote by a surname just introduced."""
    chains: list[list[_Sentence]] = []
    for sentence in sentences:
        previous = chains[-1][-1] if chains else None
        if (previous is not None and previous.source == sentence.source
                and previous.position == sentence.position - 1 and _leans_on(sentence.text, previous.text)):
            chains[-1].append(sentence)
        else:
            chains.append([sentence])
    return chains


def _leans_on(sentence: str, previous: str) -> bool:
    if _LEANS_BACK.match(sentence):
        return True
    speaker = _SPEAKER.search(sentence)
    if speaker is None:
        return False
    return bool(speaker.group("pronoun")) or speaker.group("name") in previous


def _note_chains(notes: list[out.ResearchNote]) -> list[list[_Sentence]]:
    """The chains again from research notes (kept in source order, a chain's sentences side by side)."""
    sources = {label: number for number, label in enumerate(dict.fromkeys(n.source_label for n in notes))}
    sentences = [_Sentence(n.text, n.source_label, sources[n.source_label], position)
                 for position, n in enumerate(notes)]
    return _chains(sentences)


def _note_score(sentence: _Sentence, terms: set[str]) -> float:
    words_here = set(content_words(sentence.text))
    return (len(terms & words_here) + has_number(sentence.text) + has_quote(sentence.text)
            + (1.0 if sentence.position == 0 else 0.0) + min(len(words_here), 20) / 20)


def _lead_score(sentence: _Sentence, terms: set[str]) -> float:
    """Who did what, when: a decision, a figure, a date, the topic's words; not a quote, not "She said"."""
    text = sentence.text
    words_here = len(text.split())
    score = 2.0 * bool(_DECISION.search(text)) + has_number(text) + bool(re.search(_MONTH, text))
    score += len(terms & set(content_words(text))) / max(1, len(terms)) * 2
    score += 1.5 if sentence.position == 0 else 0.0
    score -= 5.0 if has_quote(text) else 0.0
    score -= 3.0 if _LEANS_BACK.match(text) else 0.0
    score -= 2.0 if words_here > 45 or words_here < 8 else 0.0
    return score


def _retells(sentence: str, told: list[str], told_facts: set[str]) -> bool:
    """True when an earlier sentence said this already: the same words, or only figures already told."""
    if any(sentence == earlier or (not has_quote(sentence) and overlap_similarity(sentence, earlier) >= 0.6)
           for earlier in told):
        return True
    if has_quote(sentence):
        return False
    stated = figures(sentence)
    new_words = set(content_words(sentence)) - told_facts
    return bool(stated) and stated <= told_facts and len(new_words) < 4


def _paragraphs(chains: list[list[_Sentence]], lead_alone: bool = False) -> list[str]:
    """A quote with its set-up is a paragraph of its own; other sentences go two or three to a paragraph."""
    paragraphs: list[str] = []
    pending: list[str] = []
    for chain in chains:
        cited = [f"{s.text} [{s.label}]" if s.label else s.text for s in chain]
        if any(has_quote(s.text) for s in chain):
            if pending:
                paragraphs.append(" ".join(pending))
                pending = []
            paragraphs.append(" ".join(cited))
            continue
        pending.extend(cited)
        if len(pending) >= 3 or (lead_alone and not paragraphs):   # the lead is a paragraph of its own
            paragraphs.append(" ".join(pending))
            pending = []
    if pending:
        paragraphs.append(" ".join(pending))
    return paragraphs


def headline_from(lead: str) -> str:
    """A headline from the lead: present tense, no dates or asides, cut at the first clause (at most 110 characters)."""
    text = _HEADLINE_DROP.sub("", strip_citations(lead)).strip(" ,.")
    text = _APPOSITIVE.sub("", _ANNOUNCED_THAT.sub("", text))
    text = re.sub(r"^(?:The|A|An) ", "", text[:1].upper() + text[1:])
    verb = _DECISION.search(text)
    # Cuts come after the verb and what it does (three words), so "X, a developer, announced" keeps its news.
    earliest = verb.end() + len(" ".join(text[verb.end():].split()[:3])) if verb else 0
    cut = [m.start() for m in _HEADLINE_CUT.finditer(text) if m.start() > earliest and len(text[:m.start()].split()) >= 5]
    if cut:
        text = text[:cut[0]]
    words_in = text.split()
    for index, word in enumerate(words_in):
        if word in _PRESENT_TENSE:
            words_in[index] = _PRESENT_TENSE[word]
            break
    text = " ".join(words_in)
    if len(text) > 110:   # cut before a trailing phrase rather than in the middle of one
        cut = [m.start() for m in _HEADLINE_TAIL.finditer(text) if earliest < m.start() <= 110]
        text = text[:cut[-1]] if cut else text
    while len(text) > 110 and " " in text:
        text = text.rsplit(" ", 1)[0].rstrip(",;:")
    text = re.sub(r"\s+(?:a|an|the|of|for|and|to|in|on|with|at|by)$", "", text)
    # Without its verb (the clause was cut before it) it is no headline: the caller falls back.
    says_something = any(word in _PRESENT_TENSE.values() for word in text.split())
    return (text[:1].upper() + text[1:]) if says_something and len(text.split()) >= 4 and not has_quote(text) else ""


def _dek(sections: list[out.OutlineSection], lead: str, labels: dict[str, str | None]) -> str:
    """The stakes in one sentence, from after the opening (so it repeats neither the lead nor the next
    paragraph): a figure, a word of contention, another source than the lead's; without its citation."""
    lead_source = labels.get(lead)
    opening = sections[0].points if sections else []
    later = [p for section in sections[1:] for p in section.points
             if not has_quote(p) and not _LEANS_BACK.match(p) and len(strip_citations(p)) <= 200]

    def stakes(point: str) -> float:
        return (has_number(point) + 1.5 * bool(_CONTENTION.search(point))
                + (labels.get(point) != lead_source) * 0.5)

    fallback = [p for p in opening if p != lead and not has_quote(p)]
    chosen = max(later, key=stakes) if later else (fallback or [lead])[0]
    return shorten(strip_citations(chosen), 200)
