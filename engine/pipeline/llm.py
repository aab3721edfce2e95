"""The LLM implementation of the stages a model writes (1-6 and 11-13).

Each asks for its stage's output model as structured output, with the shared
prefix (brief + numbered sources) first so the provider can cache it. The
checking stages (7-10, 14) run the offline tools and merge in the model's
findings (engine.pipeline.stages).
"""

from __future__ import annotations

from engine.pipeline import outputs as out
from engine.pipeline.context import StageContext
from engine.quality.facts import is_preamble


def _dump(model: out.StageOutput) -> dict:
    return model.model_dump(mode="json")


async def keyword_analysis(ctx: StageContext) -> out.KeywordAnalysis:
    return await ctx.ask(out.KeywordAnalysis, {}, max_tokens=800)


async def research(ctx: StageContext) -> out.Research:
    result = await ctx.ask(out.Research, {"analysis": _dump(ctx.output("keyword_analysis", out.KeywordAnalysis))},
                           max_tokens=2000)
    labels = {s.label for s in ctx.brief.sources}
    # A note can only count as verified if it names a source we actually gave the model.
    notes = [n if n.source_label in labels else n.model_copy(update={"verified": False}) for n in result.notes]
    return result.model_copy(update={"notes": notes})


async def perspectives(ctx: StageContext) -> out.Perspectives:
    return await ctx.ask(out.Perspectives, {"research": _dump(ctx.output("research", out.Research))},
                         max_tokens=1200)


async def outline(ctx: StageContext) -> out.Outline:
    return await ctx.ask(out.Outline, {
        "analysis": ctx.output("keyword_analysis", out.KeywordAnalysis).angle,
        "research": _dump(ctx.output("research", out.Research)),
        "perspectives": _dump(ctx.output("perspectives", out.Perspectives)),
    }, max_tokens=1500)


def _draft_tokens(ctx: StageContext) -> int:
    # About 1.5 tokens a word plus JSON overhead; long features stream (see providers).
    return max(2000, int(ctx.brief.profile.target_length * 2.2))


async def draft(ctx: StageContext) -> out.Draft:
    return await ctx.ask(out.Draft, {"outline": _dump(ctx.output("outline", out.Outline))},
                         max_tokens=_draft_tokens(ctx))


async def claims(ctx: StageContext) -> out.Claims:
    answer = await ctx.ask(out.Claims, {"body": ctx.output("draft", out.Draft).body}, max_tokens=1500)
    # A model's "Here are the claims:" or "Sure! ..." and the offline draft's note are not claims:
    # checked, they would only come out unverifiable and lower the score of a sound draft.
    return answer.model_copy(update={"claims": [c for c in answer.claims if c.text.strip() and
                                                not is_preamble(c.text)]})


async def revision(ctx: StageContext) -> out.Revision:
    problems = {
        "claims": [c.to_dict() for c in ctx.output("fact_verification", out.FactVerification).report.claims
                   if c.verdict != "supported"],
        "bias": [f.to_dict() for f in ctx.output("bias_detection", out.BiasDetection).report.findings],
        "missing_perspectives": ctx.output("perspective_analysis", out.PerspectiveAnalysis).report.missing,
        "originality": [f.to_dict() for f in ctx.output("originality_check", out.OriginalityCheck).report.findings],
    }
    return await ctx.ask(out.Revision, {"draft": _dump(ctx.output("draft", out.Draft)), "problems": problems},
                         max_tokens=_draft_tokens(ctx))


async def seo_optimization(ctx: StageContext) -> out.SeoOptimization:
    revised = ctx.output("revision", out.Revision)
    return await ctx.ask(out.SeoOptimization, {"headline": revised.headline, "body": revised.body},
                         max_tokens=600)


async def meta_generation(ctx: StageContext) -> out.MetaGeneration:
    revised = ctx.output("revision", out.Revision)
    return await ctx.ask(out.MetaGeneration, {"headline": revised.headline, "body": revised.body},
                         max_tokens=600)
