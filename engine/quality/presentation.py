"""How a check is put to an editor: who decided, how sure, and what to do next.

One place for the wording the Review screen, `copydesk articles show` and the
exports all use, so the three never disagree.
"""

from __future__ import annotations

from typing import Any

from engine.quality.types import OFFLINE_CHECKER

_EVIDENCE_CHARS = 160
# The four scores and the report of each in a Finalization checkpoint.
SCORE_REPORTS = {"fact_check": "fact", "bias": "bias", "perspective": "perspective", "originality": "originality"}


def _shorten(text: str, limit: int = _EVIDENCE_CHARS) -> str:
    """The passage on one line, at most `limit` characters, without its closing full stop
    (the sentence around the quotation supplies one)."""
    text = " ".join(text.split()).rstrip(".")
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def claim_next_step(verdict: str, evidence: str | None, source_label: str | None) -> str:
    """What the editor should do about a claim the checker did not confirm ('' when it did)."""
    if verdict == "supported":
        return ""
    source = source_label or "the source"
    if verdict == "contradicted":
        if evidence:
            return f"Check against {source}: it says \u201c{_shorten(evidence)}\u201d. Correct the claim or cut it."
        return "Correct the claim to match the source, or cut it."
    if evidence:
        return (f"Check against {source}: the closest passage says \u201c{_shorten(evidence)}\u201d. "
                "Add a source that states this, or cut the claim.")
    return "Add a source that states this, or cut the claim."


def confidence_text(confidence: float | None) -> str:
    """0.83 -> '83 % sure'; '' when unknown."""
    return "" if confidence is None else f"{round(confidence * 100):.0f} % sure"


def checker_text(checker: str | None, confidence: float | None = None) -> str:
    """'offline rules, 62 % sure' / 'openai:bespoke-minicheck, 90 % sure'."""
    sure = confidence_text(confidence)
    return ", ".join(part for part in (checker or OFFLINE_CHECKER, sure) if part)


def score_checkers(final: Any) -> dict[str, dict[str, Any]]:
    """Per score, the checker that produced it and how sure it is, from a Finalization
    checkpoint (or anything with .fact/.bias/.perspective/.originality reports). The
    fact-check score's confidence is the mean of its claims'; the other tools give none."""
    claims = final.fact.claims
    fact_confidence = round(sum(c.confidence for c in claims) / len(claims), 3) if claims else None
    return {
        score: {"checker": getattr(final, report).checker,
                "confidence": fact_confidence if score == "fact_check" else None}
        for score, report in SCORE_REPORTS.items()
    }


_SCORE_FIELDS = (("fact_check", "fact-check", "fact_check_score"), ("bias", "bias", "bias_score"),
                 ("perspective", "perspective", "perspective_balance_score"),
                 ("originality", "originality", "originality_score"))


def checks_summary(data: dict[str, Any]) -> list[str]:
    """An article's checks as lines for an export's notes (engine.articles.article_detail's
    dict): each score with its checker, each claim with its verdict, checker, confidence and
    the next step where it is not confirmed."""
    checkers = data.get("quality_checkers") or {}
    scores = []
    for key, label, field in _SCORE_FIELDS:
        value = data.get(field)
        entry = checkers.get(key) or {}
        who = checker_text(entry.get("checker"), entry.get("confidence")) if entry else "checker not recorded"
        scores.append(f"{label} {'-' if value is None else f'{value:g}'} ({who})")
    overall = data.get("overall_quality_score")
    verdict = "passed" if data.get("quality_passed") else "failed: " + "; ".join(data.get("failed_gates") or [])
    lines = ["Copydesk checks (for the newsroom, not for publication)",
             "Scores: " + "; ".join(scores) + f"; overall {'-' if overall is None else f'{overall:g}'}, {verdict}"]
    for claim in data.get("claims") or []:
        who = checker_text(claim.get("checker"), claim.get("confidence")) if claim.get("checker") \
            else "checker not recorded"
        line = f"- [{claim['effective_verdict']}, {who}] {claim['text']}"
        lines.append(line + (f" Next step: {claim['next_step']}" if claim.get("next_step") else ""))
    return lines
