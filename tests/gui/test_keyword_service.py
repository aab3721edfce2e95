"""KeywordService on a real SQLite file: background calls, what changed, undo, refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import engine.operations.keywords as keyword_operations
from app.background import BackgroundOps
from app.context import AppContext
from app.services.keywords import KeywordChanges, KeywordService
from engine.keywords import KeywordBook
from engine.store.models import AIArticle, AIGenerationConfig, KeywordDecision


class Result:
    """Collects one callback's value; `wait` processes Qt events until it arrives."""

    def __init__(self, qtbot) -> None:
        self._qtbot = qtbot
        self.values: list[Any] = []

    def __call__(self, value: Any) -> None:
        self.values.append(value)

    def wait(self) -> Any:
        self._qtbot.waitUntil(lambda: bool(self.values))
        return self.values[-1]


@pytest.fixture
def result(qtbot) -> Callable[[], Result]:
    return lambda: Result(qtbot)


def add(book: KeywordBook, *texts: str) -> list[int]:
    return [kid for _position, _keyword, kid in book.add(list(texts)).added]


def test_load_filters_by_status_and_search(qtbot, service: KeywordService, book: KeywordBook, result) -> None:
    first, _second = add(book, "Water rate increase", "Bus route cuts")
    book.decide([first], "approved", editor="ana")
    approved, searched = result(), result()
    service.load("approved", "", prepare=list, success=approved)
    service.load(None, "  bus ", prepare=list, success=searched)
    assert [row.keyword for row in approved.wait()] == ["Water rate increase"]
    assert [row.keyword for row in searched.wait()] == ["Bus route cuts"]


def test_decide_returns_previous_statuses_and_announces_the_rows(qtbot, service: KeywordService,
                                                                 book: KeywordBook, result) -> None:
    first, second = add(book, "Water rate increase", "Bus route cuts")
    book.decide([second], "rejected", editor="ana")
    decided = result()
    with qtbot.waitSignal(service.keywords_changed) as signal:
        service.decide([first, second, 999], "approved", success=decided)
    change = decided.wait()
    assert [(d.keyword_id, d.from_status, d.to_status) for d in change.decisions] == [
        (first, "pending", "approved"), (second, "rejected", "approved")]
    assert change.missing == (999,)
    assert {row.approval_status for row in change.rows} == {"approved"}
    assert {row.decided_by for row in change.rows} == {"tester"}
    changes: KeywordChanges = signal.args[0]
    assert [row.id for row in changes.updated] == [first, second]


def test_undo_restores_each_previous_status_and_is_audited(qtbot, service: KeywordService, book: KeywordBook,
                                                           context: AppContext, result) -> None:
    first, second = add(book, "Water rate increase", "Bus route cuts")
    book.decide([second], "approved", editor="ana")
    decided, undone = result(), result()
    service.decide([first, second], "rejected", reason="off our patch", success=decided)
    service.undo(decided.wait(), success=undone)
    undone.wait()
    statuses = {row.id: row.approval_status for row in book.list()}
    assert statuses == {first: "pending", second: "approved"}
    with context.db.read() as session:
        trail = session.execute(select(KeywordDecision.keyword_id, KeywordDecision.to_status, KeywordDecision.editor,
                                       KeywordDecision.reason).order_by(KeywordDecision.id)).all()
    assert trail[-2:] == [(first, "pending", "tester", "undo"), (second, "approved", "tester", "undo")]


def test_large_selections_are_decided_in_slices(qtbot, service: KeywordService, book: KeywordBook, result,
                                               monkeypatch) -> None:
    monkeypatch.setattr(keyword_operations, "ID_CHUNK", 2)
    ids = add(book, *(f"Topic number {n}" for n in range(5)))
    decided = result()
    service.decide(ids, "approved", success=decided)
    assert len(decided.wait().rows) == 5
    assert book.counts()["approved"] == 5


def test_pasted_lines_become_manual_keywords_with_line_numbers(qtbot, service: KeywordService,
                                                              book: KeywordBook, result) -> None:
    added = result()
    with qtbot.waitSignal(service.keywords_changed) as signal:
        service.add_pasted("Ferry schedule\n\n# a comment\nx\nferry  SCHEDULE\nSnow plow routes\n", success=added)
    report = added.wait()
    assert [(position, text) for position, text, _id in report.added] == [(1, "Ferry schedule"),
                                                                          (6, "Snow plow routes")]
    assert [(p.position, p.reason) for p in report.rejected] == [(4, "too short (1 character; at least 2)")]
    assert [(p.position, p.reason) for p in report.skipped] == [
        (3, 'comment (the line starts with "# ")'), (5, "duplicate of line 1")]
    assert signal.args[0] == KeywordChanges(added=2)
    assert {row.source for row in book.list()} == {"manual"}


def test_add_with_priority_and_notes(qtbot, service: KeywordService, book: KeywordBook, result) -> None:
    added = result()
    service.add(["Library hours", "Pool closures"], priority="high", notes="summer series", success=added)
    assert len(added.wait().added) == 2
    assert {(row.priority, row.notes) for row in book.list()} == {("high", "summer series")}


def test_an_unreadable_import_names_the_file(qtbot, service: KeywordService, ops: BackgroundOps,
                                             tmp_path: Path) -> None:
    broken = tmp_path / "topics.csv"
    broken.write_bytes(b"\x00\x01binary")
    with qtbot.waitSignal(ops.failed) as signal:
        service.import_file(broken)
    assert signal.args[0].startswith("topics.csv: the file is binary")


def test_delete_refuses_keywords_with_articles(qtbot, service: KeywordService, book: KeywordBook,
                                              context: AppContext, result) -> None:
    used, unused = add(book, "Water rate increase", "Bus route cuts")
    with context.db.write() as session:
        config = session.scalar(select(AIGenerationConfig))
        session.add(AIArticle(keyword_id=used, config_id=config.id))
    deleted = result()
    with qtbot.waitSignal(service.keywords_changed) as signal:
        service.delete([used, unused], success=deleted)
    outcome = deleted.wait()
    assert outcome.deleted == (unused,)
    assert [row.keyword for row in outcome.refused] == ["Water rate increase"]
    assert signal.args[0] == KeywordChanges(deleted=(unused,))


def test_attach_text_and_refuse_a_bad_url(qtbot, service: KeywordService, ops: BackgroundOps, book: KeywordBook,
                                          result) -> None:
    [kid] = add(book, "Water rate increase")
    attached = result()
    service.attach_text(kid, "  Minutes of the June 9 meeting.\nItem 7: rates.  ", success=attached)
    outcome = attached.wait()
    assert outcome.keyword.source_count == 1
    [source] = book.sources(kid)
    assert source["title"] == "Minutes of the June 9 meeting."
    failed = result()
    with qtbot.waitSignal(ops.failed) as signal:
        service.attach_url(kid, "ftp://example.org/x", failure=failed)
    failed.wait()
    assert signal.args[0] == "'ftp://example.org/x' is not an http(s) URL"


def test_seed_demo_announces_new_keywords(qtbot, service: KeywordService, result) -> None:
    seeded = result()
    with qtbot.waitSignal(service.keywords_changed) as signal:
        service.seed_demo(success=seeded)
    assert seeded.wait().added == 12
    assert signal.args[0] == KeywordChanges(added=12)
