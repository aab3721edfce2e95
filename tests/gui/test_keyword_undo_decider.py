"""Undoing a keyword decision puts back who had decided, when and why, not only the status."""

from __future__ import annotations

from app.services.keywords import KeywordService
from engine.keywords import KeywordBook


def test_undo_restores_the_previous_decider_time_and_reason(qtbot, service: KeywordService,
                                                            book: KeywordBook) -> None:
    fresh, decided = (kid for _position, _keyword, kid in book.add(["Water rate increase", "Bus route cuts"]).added)
    book.decide([decided], "approved", editor="ana", reason="on our patch")
    before = {row.id: (row.approval_status, row.decided_by, row.decided_at) for row in book.list()}
    changes, undone = [], []
    service.decide([fresh, decided], "rejected", reason="no room this week", success=changes.append)
    qtbot.waitUntil(lambda: bool(changes))
    after_decision = {row.id: (row.decided_by, row.decided_at) for row in book.list()}
    assert after_decision[decided][0] == "tester" and after_decision[decided][1] != before[decided][2]
    service.undo(changes[0], success=undone.append)
    qtbot.waitUntil(lambda: bool(undone))
    assert {row.id: (row.approval_status, row.decided_by, row.decided_at) for row in book.list()} == before
    assert {row.decision_reason for row in book.list() if row.id == decided} == {"on our patch"}
    # The undo can itself be undone: it returns the decisions it reversed.
    again = []
    service.undo(undone[0], success=again.append)
    qtbot.waitUntil(lambda: bool(again))
    assert {row.id: row.approval_status for row in book.list()} == {fresh: "rejected", decided: "rejected"}
    assert {row.decided_by for row in book.list()} == {"tester"}
