"""The keyword operations as the screens use them: off the GUI thread, returning what changed.

Every method runs `KeywordBook` work through `BackgroundOps` and answers with
success/failure callbacks on the GUI thread. Mutations return a value that
says what changed (the decisions with each keyword's previous status, for
undo; the import report; the ids deleted and refused) and announce the change
on `keywords_changed`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.background import BackgroundOps, LatestRequest
from app.services.base import Failure, Success, T, run_mutation
from engine.demo import DemoResult, seed_demo
from engine.keywords import (
    Decision,
    ImportFileError,
    ImportReport,
    KeywordBook,
    KeywordRow,
    SourceInput,
    parse_import_bytes,
)
from engine.operations import keywords as keyword_operations
from engine.source_material import source_from_file, source_from_url
from engine.states import KeywordStatus, Priority

# The engine's value types the screens read, so that ui/ depends on this service only.
__all__ = ["APPROVAL_STATUSES", "PRIORITIES", "KeywordStatus", "DecisionChange", "DeleteResult", "DemoResult", "ImportReport", "KeywordChanges", "KeywordRow",
           "KeywordService", "SourceAttached"]

APPROVAL_STATUSES = tuple(s.value for s in KeywordStatus)
PRIORITIES = tuple(s.value for s in Priority)


@dataclass(frozen=True)
class KeywordChanges:
    """What one mutation changed; the payload of `keywords_changed`."""

    updated: tuple[KeywordRow, ...] = ()    # keywords as they are now (decided, sources attached)
    deleted: tuple[int, ...] = ()
    added: int = 0                          # new keywords; where they land depends on each view's sort and filter


@dataclass(frozen=True)
class DecisionChange:
    """The result of approve / reject / undo."""

    decisions: tuple[Decision, ...]         # each carries the keyword's previous status (from_status)
    missing: tuple[int, ...]                # ids that no longer exist
    rows: tuple[KeywordRow, ...]            # the decided keywords as they are now

    @property
    def ids(self) -> list[int]:
        return [d.keyword_id for d in self.decisions]


@dataclass(frozen=True)
class DeleteResult:
    deleted: tuple[int, ...]
    refused: tuple[KeywordRow, ...]         # keywords that have articles and were kept


@dataclass(frozen=True)
class SourceAttached:
    source_id: int
    keyword: KeywordRow                     # with its new source count


class KeywordService(QObject):
    """Keyword operations for the screens.

    A QObject with one past-tense signal because keywords change from more than
    one place (the Keywords screen; the demo offer at start-up; later the
    Queue screen) and more than one place shows them (the screen's tabs, the
    status bar's counts). The caller of a mutation still gets its result
    through the success callback, for what only it does (report dialog, undo).
    """

    keywords_changed = Signal(object)   # KeywordChanges

    def __init__(self, book: KeywordBook, ops: BackgroundOps, editor: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._book = book
        self._ops = ops
        self.editor = editor

    # ------------------------------------------------------------------ reads

    def load(self, status: str | None, search: str, *, prepare: Callable[[list[KeywordRow]], T],
             success: Success[T], failure: Failure = None, latest: LatestRequest | None = None) -> None:
        """All keywords with this status (None: every status) matching the search, in one query.

        `prepare` turns the rows into what the caller shows (a table model sorts and
        formats them) in the same background thread, so the GUI thread only swaps the
        result in: 100,000 rows cost it one model reset.
        """
        self._ops.run(self._load, status, search.strip(), prepare, success=success, failure=failure, latest=latest)

    def counts(self, *, success: Success[dict[str, int]], failure: Failure = None) -> None:
        """{"pending": n, "approved": n, "rejected": n, "all": n}."""
        self._ops.run(self._book.counts, success=success, failure=failure)

    def sources(self, keyword_id: int, *, success: Success[list[dict[str, Any]]],
                failure: Failure = None, latest: LatestRequest | None = None) -> None:
        """The keyword's sources: dicts with id, title, url, text, retrieved_at."""
        self._ops.run(self._book.sources, keyword_id, success=success, failure=failure, latest=latest)

    # -------------------------------------------------------------- mutations

    def decide(self, ids: Sequence[int], to_status: str, *, reason: str | None = None,
               success: Success[DecisionChange] = None, failure: Failure = None) -> None:
        """Approve, reject or return to pending, as this editor."""
        self._mutate(self._decide, list(ids), to_status, reason, success=success, failure=failure)

    def undo(self, change: DecisionChange, *, success: Success[DecisionChange] = None,
             failure: Failure = None) -> None:
        """Give each keyword of an earlier decision its previous status back (an audited decision too)."""
        self._mutate(self._undo, change, success=success, failure=failure)

    def add(self, texts: Sequence[str], *, priority: str = "normal", notes: str | None = None,
            success: Success[ImportReport] = None, failure: Failure = None) -> None:
        """Add typed keywords; the report lists what was added, skipped and rejected."""
        self._mutate(self._add, list(texts), priority, notes, success=success, failure=failure)

    def add_pasted(self, text: str, *, success: Success[ImportReport] = None, failure: Failure = None) -> None:
        """Add pasted text: one keyword per line (blank lines and # comments skipped), or a pasted feed."""
        self._mutate(self._add_pasted, text, success=success, failure=failure)

    def import_file(self, path: Path, *, success: Success[ImportReport] = None, failure: Failure = None) -> None:
        """Import a CSV, plain-text or RSS/Atom file."""
        self._mutate(self._import_file, Path(path), success=success, failure=failure)

    def delete(self, ids: Sequence[int], *, success: Success[DeleteResult] = None, failure: Failure = None) -> None:
        """Delete keywords that have no articles; the others are refused and listed."""
        self._mutate(self._delete, list(ids), success=success, failure=failure)

    def attach_url(self, keyword_id: int, url: str, title: str | None = None, *,
                   success: Success[SourceAttached] = None, failure: Failure = None) -> None:
        """Fetch the page's text (up to 15 s) and attach it with its URL."""
        self._mutate(self._attach, keyword_id, source_from_url, url.strip(), title, success=success,
                     failure=failure)

    def attach_file(self, keyword_id: int, path: Path, title: str | None = None, *,
                    success: Success[SourceAttached] = None, failure: Failure = None) -> None:
        self._mutate(self._attach, keyword_id, source_from_file, Path(path), title, success=success,
                     failure=failure)

    def attach_text(self, keyword_id: int, text: str, title: str | None = None, *,
                    success: Success[SourceAttached] = None, failure: Failure = None) -> None:
        self._mutate(self._attach, keyword_id, _pasted_source, text, title, success=success, failure=failure)

    def seed_demo(self, *, success: Success[DemoResult] = None, failure: Failure = None) -> None:
        """Add the demo newsroom (idempotent)."""
        self._mutate(self._seed_demo, success=success, failure=failure)

    # ------------------------------------------------- work in the background

    def _load(self, status: str | None, search: str, prepare: Callable[[list[KeywordRow]], T]) -> T:
        return prepare(self._book.list(status=status, search=search or None))

    def _rows(self, ids: Sequence[int]) -> list[KeywordRow]:
        return [row for chunk in keyword_operations.chunks(ids) for row in self._book.list(ids=chunk)]

    def _change(self, decided: keyword_operations.Decided) -> tuple[DecisionChange, KeywordChanges]:
        rows = tuple(self._rows([d.keyword_id for d in decided.decisions]))
        return DecisionChange(decided.decisions, decided.missing, rows), KeywordChanges(updated=rows)

    def _decide(self, ids: list[int], to_status: str, reason: str | None) -> tuple[DecisionChange, KeywordChanges]:
        return self._change(keyword_operations.decide(self._book, ids, to_status, editor=self.editor, reason=reason))

    def _undo(self, change: DecisionChange) -> tuple[DecisionChange, KeywordChanges]:
        return self._change(keyword_operations.undo(self._book, change.decisions, editor=self.editor))

    def _add(self, texts: list[str], priority: str, notes: str | None) -> tuple[ImportReport, KeywordChanges]:
        report = self._book.add(texts, priority=priority, notes=notes)
        return report, KeywordChanges(added=len(report.added))

    def _add_pasted(self, text: str) -> tuple[ImportReport, KeywordChanges]:
        plan = parse_import_bytes(text.encode("utf-8"), "pasted text")
        rows = plan.rows
        if plan.format == "text":
            # Typed or pasted by the editor: a manual topic, whatever the parser's file default.
            rows = [dataclasses.replace(row, source="manual") for row in rows]
        report = self._book.add_plan(dataclasses.replace(plan, rows=rows))
        return report, KeywordChanges(added=len(report.added))

    def _import_file(self, path: Path) -> tuple[ImportReport, KeywordChanges]:
        try:
            report = self._book.import_file(path)
        except ImportFileError as error:
            raise ImportFileError(f"{path.name}: {error}") from None
        return report, KeywordChanges(added=len(report.added))

    def _delete(self, ids: list[int]) -> tuple[DeleteResult, KeywordChanges]:
        outcome = keyword_operations.delete(self._book, ids)
        result = DeleteResult(outcome.deleted, tuple(self._rows(outcome.refused)))
        return result, KeywordChanges(deleted=result.deleted)

    def _attach(self, keyword_id: int, read: Callable[..., SourceInput], origin: Any,
                title: str | None) -> tuple[SourceAttached, KeywordChanges]:
        source_id = self._book.add_source(keyword_id, read(origin, title=title or None))
        row = self._rows([keyword_id])[0]
        return SourceAttached(source_id, row), KeywordChanges(updated=(row,))

    def _seed_demo(self) -> tuple[DemoResult, KeywordChanges]:
        result = seed_demo(self._book, editor=self.editor)
        return result, KeywordChanges(added=result.added)

    def _mutate(self, work: Callable[..., tuple[T, KeywordChanges]], *args: Any,
                success: Success[T], failure: Failure) -> None:
        run_mutation(self._ops, work, *args, announce=self.keywords_changed.emit, success=success, failure=failure,
                     nothing=KeywordChanges())


def _pasted_source(text: str, title: str | None = None) -> SourceInput:
    """Pasted text; without a title, its first line names it (as `keywords sources add --text` does)."""
    text = text.strip()
    first_line = text.splitlines()[0] if text else ""
    return SourceInput(title=(title or first_line[:80]).strip(), text=text)
