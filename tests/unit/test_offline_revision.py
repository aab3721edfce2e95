"""The offline revision puts only real words into the article, never the lexicon's advice to the editor."""

from __future__ import annotations

import pytest

from engine.pipeline import offline
from engine.pipeline import outputs as out
from engine.pipeline.context import ArticleBrief, Profile, StageContext
from engine.quality.bias import BiasDetectionTool
from engine.quality.facts import FactVerificationTool
from engine.quality.originality import OriginalityChecker
from engine.quality.perspective import PerspectiveAnalyzer
from engine.quality.types import SourceDoc

SOURCE = SourceDoc(label="S1", title="Transit notice",
                   text="The new schedule starts in May. Night workers said the change was hard on them.")


def revise(body: str) -> out.Revision:
    sources = (SOURCE,)
    brief = ArticleBrief(article_id=1, keyword="bus schedule", notes=None, profile=Profile(), sources=sources)
    outputs: dict[str, out.StageOutput] = {
        "draft": out.Draft(headline="Bus schedule changes", dek="The new schedule starts in May.", body=body),
        "bias_detection": out.BiasDetection(report=BiasDetectionTool().analyze(body)),
        "originality_check": out.OriginalityCheck(report=OriginalityChecker().analyze(body, list(sources))),
        "fact_verification": out.FactVerification(report=FactVerificationTool().analyze(body, list(sources))),
        "perspective_analysis": out.PerspectiveAnalysis(report=PerspectiveAnalyzer().analyze(body, [])),
    }
    ctx = StageContext(brief=brief, stage="revision", outputs=outputs, provider=None, pricing=None,
                       report=lambda *_: None, is_cancelled=lambda: False)
    return offline.revision(ctx)


def test_advice_is_never_written_into_the_text_and_the_finding_stays() -> None:
    body = "The new schedule is unfair to night workers. [S1]\n"
    flagged = [f.text for f in BiasDetectionTool().analyze(body).findings]
    assert "unfair" in flagged                          # the lexicon flags it, with advice as its suggestion
    revised = revise(body)
    assert revised.body == body                         # no real replacement word: left for the editor
    assert "say who" not in revised.body
    assert "unfair" in [f.text for f in BiasDetectionTool().analyze(revised.body).findings]
    assert not any("unfair" in change for change in revised.changes)


@pytest.mark.parametrize("loaded", ["tragic", "devastating", "crippling", "unfair", "reckless", "staggering",
                                    "slammed", "boondoggle", "chaos", "radical", "very", "clearly"])
def test_a_revision_adds_at_most_a_replacement_word_never_advice(loaded: str) -> None:
    body = f"The council said the plan was {loaded} for riders. [S1]\n"
    findings = BiasDetectionTool().analyze(body).findings
    revised = revise(body)
    added = set(revised.body.split()) - set(body.split())
    assert len(added) <= 2 and not added & offline._ADVICE_VERBS, revised.body
    suggestions = " ".join(f.suggestion or "" for f in findings)
    assert all(word.strip(".,;") in suggestions or word in ("a", "an") for word in added), (added, suggestions)


def test_a_real_replacement_word_is_used_with_its_article() -> None:
    revised = revise("It was a tragic crash on the bridge. [S1]\n")
    assert revised.body.startswith("It was a fatal crash on the bridge.")
    assert any("as \u201cfatal\u201d" in change for change in revised.changes)


def test_a_contradicted_sentence_goes_with_its_citation() -> None:
    body = ("The new schedule starts in May. [S1] The new schedule starts in October. [S1]\n\n"
            "Night workers said the change was hard on them. [S1]\n")
    revised = revise(body)
    assert any("contradicts" in change for change in revised.changes), revised.changes
    assert "October" not in revised.body
    assert "[S1] [S1]" not in revised.body and "\n[S1]" not in revised.body
    assert revised.body.startswith("The new schedule starts in May. [S1]\n\nNight workers")
