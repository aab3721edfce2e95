"""The review operations as the Review screen uses them: off the GUI thread, returning what changed.

Every method runs engine work (engine.articles, engine.review, the task queue)
through `BackgroundOps` and answers with success/failure callbacks on the GUI
thread. Reads arrive as plain frozen values prepared in the background (an
article comes with its sanitised HTML, its highlight spans and tooltips, its
failed gates in words); mutations return a value that says what changed and
announce it on `article_changed` / `articles_changed`.

The rules live in engine.operations.review and engine.operations.generation;
what an article allows (`allowed_actions`) comes from there too. A request the
engine refuses with a reason written for the editor (an EditorError: "article
#4 must be approved before it is published") is reported on BackgroundOps'
`failed` signal as exactly that line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.background import BackgroundOps, LatestRequest
from app.services.base import Failure, Success, T, run_mutation
from engine.articles import article_detail, list_articles
from engine.execution.settings import load_engine_settings
from engine.files import write_text_atomically
from engine.operations import generation
from engine.operations import review as review_operations
from engine.operations.review import Action, allowed_actions
from engine.pipeline.names import STAGE_NAMES
from engine.quality.presentation import SCORE_REPORTS, checker_text
from engine.review import EXPORT_FORMATS, Export, export_article, override_claim, render_html
from engine.states import ArticleStatus, JobOutcome, ReviewStatus, Verdict
from engine.store.db import Database

REVIEW_STATUSES = tuple(s.value for s in ReviewStatus)
VERDICTS = tuple(s.value for s in Verdict)

# The engine's value types the screen reads, so that ui/ depends on this service only.
__all__ = ["BIASED", "CONTRADICTED", "EXPORT_FORMATS", "HIGHLIGHT_KINDS", "KIND_LABELS", "MISQUOTE", "REVIEW_STATUSES",
           "STAGE_NAMES", "UNVERIFIABLE", "VERDICTS", "Action", "ArticleRow", "ArticleStatus", "JobOutcome", "ReviewStatus", "ArticleView", "ClaimRow",
           "Decision", "EditSaved", "Export", "Highlight", "Regenerating", "ReviewService", "allowed_actions",
           "gate_in_words"]

log = logging.getLogger("copydesk.app")

# What a highlight marks; the screen picks a colour per kind.
BIASED, UNVERIFIABLE, CONTRADICTED, MISQUOTE = "biased", "unverifiable", "contradicted", "misquote"
HIGHLIGHT_KINDS = (BIASED, UNVERIFIABLE, CONTRADICTED, MISQUOTE)
KIND_LABELS = {BIASED: "Biased wording", UNVERIFIABLE: "Unverifiable claim", CONTRADICTED: "Contradicted claim",
               MISQUOTE: "Misquote"}

_SCORE_NAMES = {"bias_score": "Bias", "fact_check_score": "Fact-check", "overall_quality_score": "Overall",
                "perspective_balance_score": "Perspective balance", "originality_score": "Originality"}
_GATE = re.compile(r"^(?P<name>\w+) (?P<value>[\d.]+) (?P<op>[<>]) (?P<limit>[\d.]+)$")


def gate_in_words(gate: str) -> str:
    """'bias_score 32 > 25' -> 'Bias 32 is above the limit of 25'; unknown shapes are passed through."""
    match = _GATE.match(gate.strip())
    if match is None:
        return gate.replace("_", " ")
    name, value, op, limit = match["name"], match["value"], match["op"], match["limit"]
    if name == "perspectives":
        return f"Only {value} perspective{'' if value == '1' else 's'} quoted; at least {limit} needed"
    label = _SCORE_NAMES.get(name, name.replace("_", " ").capitalize())
    return f"{label} {value} is {'above the limit' if op == '>' else 'below the minimum'} of {limit}"


def format_moment(iso: str | None) -> str:
    """An ISO timestamp from the engine as local time to the minute ('' for none)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:       # the database keeps UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


# ------------------------------------------------------------------ values


@dataclass(frozen=True)
class ArticleRow:
    """One completed article in the review list."""

    id: int
    keyword: str
    review_status: str
    overall: float | None
    bias: float | None
    fact_check: float | None
    perspective: float | None
    passed: bool | None
    failed_gates: tuple[str, ...]
    status: str = ArticleStatus.COMPLETED     # the review list holds completed articles only

    @classmethod
    def of(cls, data: dict[str, Any]) -> ArticleRow:
        return cls(data["id"], data["keyword"], data["review_status"], data["overall_quality_score"],
                   data["bias_score"], data["fact_check_score"], data["perspective_balance_score"],
                   data["quality_passed"], tuple(data["failed_gates"] or ()), data["status"])

    @property
    def actions(self) -> frozenset[Action]:
        """What the editor may do with it now (engine.operations.review.allowed_actions)."""
        return allowed_actions(self)


@dataclass(frozen=True)
class ClaimRow:
    id: int
    text: str
    verdict: str                    # the checker's
    effective_verdict: str          # the editor's if there is one, else the checker's
    evidence: str | None
    source_label: str | None
    reason: str | None
    override_by: str | None
    override_at: str                # local time, '' when not overridden
    confidence: float | None = None  # the checker's, 0-1 (None: checked before confidences were kept)
    checker: str | None = None      # "offline rules" or "<provider>:<model>"
    next_step: str = ""             # what to do about a claim that is not confirmed ('' when it is)

    @property
    def sure_text(self) -> str:
        """'90 %' ('' when unknown)."""
        return "" if self.confidence is None else f"{round(self.confidence * 100):.0f} %"

    @property
    def checked_by(self) -> str:
        """'openai:bespoke-minicheck, 90 % sure'."""
        return checker_text(self.checker, self.confidence)

    @property
    def overridden(self) -> bool:
        return self.override_by is not None

    @property
    def verdict_text(self) -> str:
        """'contradicted (editor: ana)' when an editor set it, else the checker's verdict."""
        return f"{self.effective_verdict} (editor: {self.override_by})" if self.overridden else self.verdict


@dataclass(frozen=True)
class Highlight:
    """A flagged span of the Markdown body: what to mark, where the engine found it, and why (HTML tooltip)."""

    kind: str
    text: str
    start: int
    end: int
    tooltip: str


@dataclass(frozen=True)
class ArticleView:
    """Everything the Review screen shows of one article, prepared off the GUI thread."""

    id: int
    keyword: str
    status: str
    review_status: str
    headline: str
    dek: str
    body: str                       # Markdown; highlights' offsets point into it
    html: str                       # the body rendered and sanitised
    scores: dict[str, float | None]  # bias, fact_check, perspective, originality, overall
    # Per score (bias, fact_check, perspective, originality): who produced it and how sure, in words.
    checkers: dict[str, str]
    passed: bool | None
    failed_gates: tuple[str, ...]   # in words
    reviewed_by: str | None
    reviewed_at: str
    review_reason: str | None
    claims: tuple[ClaimRow, ...]
    highlights: tuple[Highlight, ...]
    notes: tuple[str, ...]          # findings about the whole article (no span to highlight)
    publish_folder: Path

    @property
    def actions(self) -> frozenset[Action]:
        """What the editor may do with it now (engine.operations.review.allowed_actions)."""
        return allowed_actions(self)


@dataclass(frozen=True)
class Decision:
    article_id: int
    previous: str
    current: str


@dataclass(frozen=True)
class EditSaved:
    article_id: int
    revision: int
    check_job: int


@dataclass(frozen=True)
class Regenerating:
    article_id: int
    stage: str
    job_id: int


@dataclass(frozen=True)
class _Changed:
    """What a mutation touched, for the signals."""

    articles: tuple[int, ...]
    list_changed: bool


# ------------------------------------------------------- building the view


def _tooltip(title: str, explanation: str | None, *, evidence: str | None = None, source: str | None = None,
             suggestion: str | None = None, editor: str | None = None, next_step: str | None = None) -> str:
    # Rich text, so that Qt wraps a long explanation instead of drawing one screen-wide line.
    def text(value: str) -> str:
        return escape(value, quote=False)      # element text, never an attribute: quotes stay as written

    parts = [f"<b>{text(title)}</b>"]
    if explanation:
        parts.append(text(explanation))
    if evidence:
        parts.append(f"<i>{text(source or 'Source')}:</i> “{text(evidence)}”")
    if suggestion:
        parts.append(f"<i>Suggestion:</i> {text(suggestion)}")
    if next_step:
        parts.append(f"<i>Next step:</i> {text(next_step)}")
    if editor:
        parts.append(f"<i>{text(editor)}</i>")
    return "<br>".join(parts)


def _claim_highlight(claim: ClaimRow, start: int, end: int) -> Highlight | None:
    if claim.effective_verdict == Verdict.SUPPORTED:
        return None
    kind = CONTRADICTED if claim.effective_verdict == Verdict.CONTRADICTED else UNVERIFIABLE
    editor = f"Verdict set by {claim.override_by} on {claim.override_at} (the checker said {claim.verdict})." \
        if claim.overridden else f"Checked by {claim.checked_by}."
    return Highlight(kind, claim.text, start, end, _tooltip(KIND_LABELS[kind], claim.reason, evidence=claim.evidence,
                                                            source=claim.source_label, editor=editor,
                                                            next_step=claim.next_step))


def _finding_kind(finding: dict[str, Any]) -> str | None:
    tool, kind = finding["tool"], finding["kind"]
    if tool == "bias":
        return BIASED
    if tool == "fact":
        return CONTRADICTED if "contradict" in kind else UNVERIFIABLE
    if tool == "originality" and kind == "misquote":
        return MISQUOTE
    return None


def highlights_and_notes(claims: list[dict[str, Any]], claim_rows: tuple[ClaimRow, ...],
                         findings: list[dict[str, Any]]) -> tuple[tuple[Highlight, ...], tuple[str, ...]]:
    """The spans to mark and the whole-article notes.

    Claims drive the fact-check marks rather than the fact tool's findings, so
    that an editor's verdict shows at once (a claim overridden to "supported"
    loses its mark); a fact finding with no claim on its span (a model's extra)
    is marked as found.
    """
    marks: list[Highlight] = []
    claim_spans: set[tuple[int, int]] = set()
    for data, claim in zip(claims, claim_rows, strict=True):
        if data["start"] < 0:           # the checker could not place it in the text
            continue
        claim_spans.add((data["start"], data["end"]))
        mark = _claim_highlight(claim, data["start"], data["end"])
        if mark is not None:
            marks.append(mark)
    notes: list[str] = []
    for finding in findings:
        if finding["start"] >= finding["end"] or not finding["text"]:
            if finding["explanation"]:
                notes.append(finding["explanation"])
            continue
        kind = _finding_kind(finding)
        if kind is None or (finding["tool"] == "fact" and (finding["start"], finding["end"]) in claim_spans):
            continue
        marks.append(Highlight(kind, finding["text"], finding["start"], finding["end"], _tooltip(
            KIND_LABELS[kind], finding["explanation"], evidence=finding["evidence"], source=finding["source_label"],
            suggestion=finding["suggestion"])))
    marks.sort(key=lambda mark: (mark.start, mark.end))
    return tuple(marks), tuple(notes)


def claim_rows(data: dict[str, Any]) -> tuple[ClaimRow, ...]:
    return tuple(ClaimRow(c["id"], c["text"], c["verdict"], c["effective_verdict"], c["evidence"], c["source_label"],
                          c["reason"], c["override_by"], format_moment(c["override_at"]), c.get("confidence"),
                          c.get("checker"), c.get("next_step") or "") for c in data["claims"])


def score_checkers_in_words(data: dict[str, Any]) -> dict[str, str]:
    """Per score, 'openai:bespoke-minicheck, 90 % sure' or 'offline rules'; an article checked
    before checkers were recorded says so rather than guess."""
    stored = data.get("quality_checkers") or {}
    return {score: checker_text(entry.get("checker"), entry.get("confidence")) if (entry := stored.get(score))
            else "not recorded" for score in SCORE_REPORTS}


def article_view(data: dict[str, Any], publish_folder: Path) -> ArticleView:
    claims = claim_rows(data)
    marks, notes = highlights_and_notes(data["claims"], claims, data["findings"])
    return ArticleView(
        id=data["id"], keyword=data["keyword"], status=data["status"], review_status=data["review_status"],
        headline=data["headline"] or "", dek=data["dek"] or "", body=data["body"] or "",
        html=render_html(data["body"] or ""),
        scores={"bias": data["bias_score"], "fact_check": data["fact_check_score"],
                "perspective": data["perspective_balance_score"], "originality": data["originality_score"],
                "overall": data["overall_quality_score"]},
        checkers=score_checkers_in_words(data), passed=data["quality_passed"], failed_gates=tuple(gate_in_words(g) for g in data["failed_gates"] or ()),
        reviewed_by=data["reviewed_by"], reviewed_at=format_moment(data["reviewed_at"]),
        review_reason=data["review_reason"], claims=claims, highlights=marks, notes=notes,
        publish_folder=publish_folder)


def _by_score(row: ArticleRow) -> tuple[bool, float, int]:
    # Best first; an article without a score (never checked) last; ties newest first.
    return row.overall is None, -(row.overall or 0.0), -row.id


# ------------------------------------------------------------------ service


class ReviewService(QObject):
    """Review operations for the screens.

    `article_changed(id)` says one article's detail changed (decision, claim
    verdict, edit, regeneration, publication); `articles_changed()` says the
    review list changed (an article moved between review statuses, or left it
    to be regenerated). The caller of a mutation also gets its result through
    the success callback.
    """

    article_changed = Signal(int)
    articles_changed = Signal()

    def __init__(self, db: Database, ops: BackgroundOps, *, editor: str, exports_dir: Path,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._ops = ops
        self.editor = editor
        self.exports_dir = Path(exports_dir)

    # ------------------------------------------------------------------ reads

    def load(self, review_status: str | None = None, *, success: Success[list[ArticleRow]],
             failure: Failure = None, latest: LatestRequest | None = None) -> None:
        """Completed articles with this review status (None: all of them), best overall score first."""
        self._ops.run(self._load, review_status, success=success, failure=failure, latest=latest)

    def rows(self, article_ids: Sequence[int], *, success: Success[list[ArticleRow]],
             failure: Failure = None) -> None:
        """These articles' list rows, for those of them that are completed (the others left the list)."""
        self._ops.run(self._rows, list(article_ids), success=success, failure=failure)

    def article(self, article_id: int, *, success: Success[ArticleView], failure: Failure = None,
                latest: LatestRequest | None = None) -> None:
        """One article with its rendered HTML, scores, claims and highlights."""
        self._ops.run(self._article, article_id, success=success, failure=failure, latest=latest)

    def export(self, article_id: int, fmt: str, *, success: Success[Export], failure: Failure = None) -> None:
        """The article as Markdown, HTML or JSON, with its suggested file name (nothing is written)."""
        self._ops.run(export_article, self._db, article_id, fmt, success=success, failure=failure)

    def save_export(self, export: Export, path: Path, *, success: Success[Path] = None,
                    failure: Failure = None) -> None:
        """Write an export where the editor chose."""
        self._ops.run(write_text_atomically, Path(path), export.content, success=success, failure=failure)

    # -------------------------------------------------------------- mutations

    def decide(self, article_id: int, to_status: str, *, reason: str | None = None,
               success: Success[Decision] = None, failure: Failure = None) -> None:
        """Approve, reject (with a reason) or send back to pending review, as this editor."""
        self._mutate(self._decide, article_id, to_status, reason, success=success, failure=failure)

    def override_claim(self, article_id: int, claim_id: int, verdict: str | None, *,
                       success: Success[ClaimRow] = None, failure: Failure = None) -> None:
        """This editor's verdict on a claim (None returns it to the checker's), recorded with who and when."""
        self._mutate(self._override, article_id, claim_id, verdict, success=success, failure=failure)

    def save_edit(self, article_id: int, *, headline: str, dek: str, body: str, note: str | None = None,
                  success: Success[EditSaved] = None, failure: Failure = None) -> None:
        """Store the editor's text as a new revision and queue the checks on it (the engine runs them)."""
        self._mutate(self._save_edit, article_id, headline, dek, body, note, success=success, failure=failure)

    def regenerate(self, article_id: int, stage: str, *, success: Success[Regenerating] = None,
                   failure: Failure = None) -> None:
        """Queue the pipeline again from `stage`; the article leaves review until it completes."""
        self._mutate(self._regenerate, article_id, stage, success=success, failure=failure)

    def publish(self, article_id: int, *, success: Success[Path] = None, failure: Failure = None) -> None:
        """Write an approved article's HTML into the publish folder and mark it published."""
        self._mutate(self._publish, article_id, success=success, failure=failure)

    # ------------------------------------------------- work in the background

    def _load(self, review_status: str | None) -> list[ArticleRow]:
        rows = list_articles(self._db, status=ArticleStatus.COMPLETED, review_status=review_status)
        return sorted((ArticleRow.of(row) for row in rows), key=_by_score)

    def _rows(self, article_ids: list[int]) -> list[ArticleRow]:
        return [ArticleRow.of(row) for row in list_articles(self._db, status=ArticleStatus.COMPLETED, ids=article_ids)]

    def _article(self, article_id: int) -> ArticleView:
        return article_view(article_detail(self._db, article_id), self._publish_folder())

    def _publish_folder(self) -> Path:
        return review_operations.publish_folder(self._db, self.exports_dir)

    def _decide(self, article_id: int, to_status: str, reason: str | None) -> tuple[Decision, _Changed]:
        previous = review_operations.decide(self._db, article_id, to_status, editor=self.editor, reason=reason)
        return Decision(article_id, previous, to_status), _Changed((article_id,), True)

    def _override(self, article_id: int, claim_id: int, verdict: str | None) -> tuple[ClaimRow, _Changed]:
        override_claim(self._db, claim_id, verdict, editor=self.editor)
        claim = next(c for c in claim_rows(article_detail(self._db, article_id)) if c.id == claim_id)
        return claim, _Changed((article_id,), False)

    def _save_edit(self, article_id: int, headline: str, dek: str, body: str,
                   note: str | None) -> tuple[EditSaved, _Changed]:
        saved = review_operations.edit_and_recheck(self._db, article_id, headline=headline, dek=dek, body=body,
                                                   editor=self.editor, note=note)
        return EditSaved(article_id, saved.revision, saved.check_job), _Changed((article_id,), True)

    def _regenerate(self, article_id: int, stage: str) -> tuple[Regenerating, _Changed]:
        job = generation.regenerate(self._db, article_id, stage, load_engine_settings(self._db))
        return Regenerating(article_id, stage, job), _Changed((article_id,), True)

    def _publish(self, article_id: int) -> tuple[Path, _Changed]:
        path = review_operations.publish(self._db, article_id, self._publish_folder(), editor=self.editor)
        return path, _Changed((article_id,), True)

    def _mutate(self, work: Callable[..., tuple[T, _Changed]], *args: Any, success: Success[T],
                failure: Failure) -> None:
        run_mutation(self._ops, work, *args, announce=self._announce, success=success, failure=failure)

    def _announce(self, changed: _Changed) -> None:
        for article_id in changed.articles:
            self.article_changed.emit(article_id)
        if changed.list_changed:
            self.articles_changed.emit()
