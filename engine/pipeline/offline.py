"""The offline implementation of every stage: no network, no key, deterministic.

The draft is extractive: sentences taken from the attached sources, each cited
[S#], grouped by an outline, and it says plainly that it is an offline draft.
The checking stages run the quality tools' offline analyses.
"""

from __future__ import annotations

import re

from engine.pipeline import outputs as out
from engine.pipeline.context import Profile, StageContext
from engine.pipeline.text import (
    content_words,
    flesch_reading_ease,
    has_number,
    has_quote,
    shorten,
    slugify,
    split_sentences,
    strip_citations,
    top_terms,
)
from engine.quality.bias import BiasDetectionTool
from engine.quality.facts import FactVerificationTool, extract_claims
from engine.quality.originality import OriginalityChecker
from engine.quality.overall import QualityGates, QualityWeights, score_overall
from engine.quality.perspective import PerspectiveAnalyzer
from engine.quality.types import (
    BiasReport,
    FactReport,
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
_FUTURE = re.compile(r"\b(will|next|plans?|planned|scheduled|expects?|proposed|vote|deadline|by (?:19|20)\d\d)\b",
                     re.IGNORECASE)
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
    terms = set(ctx.output("keyword_analysis", out.KeywordAnalysis).search_terms)
    scored: list[tuple[float, int, int, out.ResearchNote]] = []
    for source_number, source in enumerate(ctx.brief.sources):
        for position, sentence in enumerate(split_sentences(source.text)):
            overlap = len(terms.intersection(content_words(sentence)))
            score = overlap + has_number(sentence) + has_quote(sentence) + (1.0 if position == 0 else 0.0)
            note = out.ResearchNote(text=sentence, source_label=source.label, verified=True)
            scored.append((score, source_number, position, note))
    # Enough material for the target length (about 25 words a sentence), in source order.
    budget = max(6, ctx.brief.profile.target_length // 25)
    chosen = sorted(sorted(scored, key=lambda item: -item[0])[:budget], key=lambda item: (item[1], item[2]))
    background = [] if ctx.brief.sources else [
        "No sources are attached to this keyword; attach source material and regenerate."]
    return out.Research(notes=[item[3] for item in chosen], background=background)


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
    notes = ctx.output("research", out.Research).notes
    quoted = [n for n in notes if has_quote(n.text)]
    ahead = [n for n in notes if n not in quoted and _FUTURE.search(n.text)]
    rest = [n for n in notes if n not in quoted and n not in ahead]
    plan = [("What is happening", rest[:4]), ("What people say", quoted),
            ("The details", rest[4:]), ("What happens next", ahead)]
    sections = [
        out.OutlineSection(heading=heading, points=[n.text for n in group],
                           source_labels=sorted({n.source_label for n in group if n.source_label}))
        for heading, group in plan if group
    ]
    if not sections:
        sections = [out.OutlineSection(heading="Sources needed", points=[
            f"Attach source material about {ctx.brief.keyword}."], source_labels=[])]
    return out.Outline(sections=sections)


def draft(ctx: StageContext) -> out.Draft:
    brief = ctx.brief
    headline = brief.keyword[:1].upper() + brief.keyword[1:]
    if not brief.sources:
        return out.Draft(headline=f"{headline}: sources needed",
                         dek="Copydesk could not draft this story offline because no sources are attached.",
                         body=NO_SOURCES_NOTE.format(keyword=brief.keyword) + "\n")
    notes = {n.text: n.source_label for n in ctx.output("research", out.Research).notes}
    paragraphs = [OFFLINE_NOTE]
    for section in ctx.output("outline", out.Outline).sections:
        sentences = [f"{point} [{notes[point]}]" if notes.get(point) else point for point in section.points]
        paragraphs.append(f"## {section.heading}")
        # Two or three sentences a paragraph reads like news copy.
        paragraphs.extend(" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3))
    lead = next(iter(notes), "")
    return out.Draft(headline=shorten(f"{headline}: what the sources say", 90),
                     dek=shorten(lead, 200), body="\n\n".join(paragraphs) + "\n")


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
    for finding in ctx.output("bias_detection", out.BiasDetection).report.findings:
        if finding.suggestion is not None and finding.end > finding.start:
            edits.append((finding.start, finding.end, finding.suggestion,
                          f"rewrote \u201c{finding.text}\u201d as \u201c{finding.suggestion}\u201d ({finding.kind})"))
    for quote in ctx.output("originality_check", out.OriginalityCheck).report.quotes:
        if quote.status == "misquote" and quote.closest_source_text:
            edits.append((quote.start, quote.end, quote.closest_source_text,
                          f"restored the source's wording of a quote ({quote.source_label})"))
    for claim in ctx.output("fact_verification", out.FactVerification).report.claims:
        if claim.verdict == "contradicted" and claim.located:
            edits.append((claim.start, claim.end, "",
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
    missing = ctx.output("perspective_analysis", out.PerspectiveAnalysis).report.missing
    if missing:
        changes.append("still missing perspectives (needs reporting): " + ", ".join(missing))
    return out.Revision(headline=first.headline, dek=first.dek, body=body, changes=list(reversed(changes)))


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
