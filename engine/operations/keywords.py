"""Keyword operations: approve, reject or return to pending, undo a decision, delete.

`KeywordBook` (engine/keywords.py) holds each rule (who decided, the audit row,
no deleting a keyword that has articles); these functions add what both the
CLI and the Keywords screen need around it: any number of ids. SQLite refuses
a statement with more than 32,766 parameters and the book puts a call's ids
into one IN (...), so approving 70,000 pending keywords goes in slices.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engine.keywords import Decision, KeywordBook

ID_CHUNK = 10_000


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield list(ids[start:start + ID_CHUNK])


@dataclass(frozen=True)
class Decided:
    decisions: tuple[Decision, ...]     # each carries the keyword's previous status, for undo
    missing: tuple[int, ...]            # ids that do not exist (any more)


def decide(book: KeywordBook, ids: Sequence[int], to_status: str, *, editor: str,
           reason: str | None = None) -> Decided:
    """Approve, reject or return to pending, as `editor`; every call is audited, re-decisions included."""
    decisions: list[Decision] = []
    missing: list[int] = []
    for chunk in chunks(ids):
        made, gone = book.decide(chunk, to_status, editor=editor, reason=reason)
        decisions += made
        missing += gone
    return Decided(tuple(decisions), tuple(missing))


def approve_pending(book: KeywordBook, *, editor: str) -> Decided:
    return decide(book, book.pending_ids(), "approved", editor=editor)


def undo(book: KeywordBook, decisions: Sequence[Decision], *, editor: str) -> Decided:
    """Give each keyword of earlier decisions its previous status, decider, time and reason back (audited)."""
    reversed_: list[Decision] = []
    missing: list[int] = []
    for start in range(0, len(decisions), ID_CHUNK):
        made, gone = book.undo_decisions(decisions[start:start + ID_CHUNK], editor=editor)
        reversed_ += made
        missing += gone
    return Decided(tuple(reversed_), tuple(missing))


@dataclass(frozen=True)
class Deleted:
    deleted: tuple[int, ...]
    refused: tuple[int, ...]            # keywords that have articles, kept


def delete(book: KeywordBook, ids: Sequence[int]) -> Deleted:
    """Delete keywords that have no articles; the others are refused."""
    deleted: list[int] = []
    refused: list[int] = []
    for chunk in chunks(ids):
        gone, kept = book.delete(chunk)
        deleted += gone
        refused += kept
    return Deleted(tuple(deleted), tuple(refused))
