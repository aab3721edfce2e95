"""The Review screen's parts without a window: list model and filter, claims model, highlight placement."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor, QTextDocument

from app.services.review import (
    ArticleRow,
    ClaimRow,
    Highlight,
    gate_in_words,
    highlights_and_notes,
)
from engine.review import render_html
from ui.models.review_claims import VERDICT, ReviewClaimTableModel
from ui.models.review_table import ARTICLE, GATES, OVERALL, ReviewFilterProxy, ReviewTableModel
from ui.widgets.review_highlights import (
    KIND_PROPERTY,
    apply_highlights,
    background,
    document_text,
    locate,
)


def article(article_id: int, overall: float | None, status: str = "pending_review", passed: bool | None = True,
            gates: tuple[str, ...] = ()) -> ArticleRow:
    return ArticleRow(article_id, f"Topic {article_id}", status, overall, 10.0, 90.0, 80.0, passed, gates)


def mark(kind: str, text: str, body: str, nth: int = 0, tip: str = "") -> Highlight:
    start = -1
    for _ in range(nth + 1):
        start = body.index(text, start + 1)
    return Highlight(kind, text, start, start + len(text), tip or kind)


def kind_at(document: QTextDocument, position: int) -> str | None:
    cursor = QTextCursor(document)
    cursor.setPosition(position + 1)        # the format of the character before the cursor
    return cursor.charFormat().property(KIND_PROPERTY)


def test_list_filters_by_review_status_and_sorts_best_first(qapp) -> None:
    model = ReviewTableModel()
    model.set_rows([article(1, 70.0), article(2, None, passed=None), article(3, 91.5, "approved"),
                    article(4, 88.0, passed=False, gates=("Bias 32 is above the limit of 25",))])
    proxy = ReviewFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(OVERALL, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, ARTICLE).data() for r in range(proxy.rowCount())] == \
        ["Topic 3", "Topic 4", "Topic 1", "Topic 2"]       # unscored last
    proxy.set_review_status("pending_review")
    assert [proxy.id_at(r) for r in range(proxy.rowCount())] == [4, 1, 2]
    assert proxy.row_of(3) is None and proxy.row_of(1) == 1
    assert [proxy.index(0, c).data() for c in (OVERALL, GATES)] == ["88", "Fail"]
    assert proxy.index(0, GATES).data(Qt.ItemDataRole.ToolTipRole) == "Fails: Bias 32 is above the limit of 25"
    assert proxy.index(2, OVERALL).data() == "–"
    assert model.counts() == {"pending_review": 3, "approved": 1, "rejected": 0, "published": 0, None: 4}


def test_claims_show_the_editors_verdict_with_who_and_when(qapp) -> None:
    model = ReviewClaimTableModel()
    model.set_claims([
        ClaimRow(1, "The vote was 5-2.", "supported", "supported", "It passed 5-2.", "S1", "Stated in S1.", None, ""),
        ClaimRow(2, "Rates rose 9%.", "supported", "contradicted", "Rates rose 7%.", "S2", "Stated in S2.", "ana",
                 "2026-06-10 14:03")])
    assert model.index(0, VERDICT).data() == "supported"
    assert model.index(1, VERDICT).data() == "contradicted (editor: ana)"
    tip = model.index(1, VERDICT).data(Qt.ItemDataRole.ToolTipRole)
    assert "by ana on 2026-06-10 14:03" in tip and "the checker said supported" in tip
    assert model.row_of(2) == 1 and model.row_of(9) is None


def test_gates_in_plain_words() -> None:
    assert gate_in_words("bias_score 32 > 25") == "Bias 32 is above the limit of 25"
    assert gate_in_words("fact_check_score 61.5 < 70") == "Fact-check 61.5 is below the minimum of 70"
    assert gate_in_words("perspectives 1 < 2") == "Only 1 perspective quoted; at least 2 needed"
    assert gate_in_words("something_new") == "something new"


def test_repeated_snippets_are_told_apart_by_their_markdown_offset() -> None:
    body = "## Costs\n\nThe plan failed. Critics said the plan failed again.\n"
    text = "Costs\nThe plan failed. Critics said the plan failed again."
    second = text.rindex("plan failed")
    assert locate(text, body, mark("biased", "plan failed", body, nth=1)) == (second, second + 11)
    # Emphasis makes the rendering hold more exact copies than the Markdown: the nearest one by position wins.
    body = "The **plan** failed.\n\nThe plan failed again.\n"
    text = "The plan failed.\nThe plan failed again."
    assert locate(text, body, mark("biased", "The plan failed", body)) == (17, 32)
    # Markup inside the snippet itself: found by its words, in order.
    assert locate(text, body, mark("biased", "The **plan** failed", body)) == (0, 15)
    assert locate(text, body, Highlight("biased", "not in the text", 0, 5, "")) is None


def test_nested_marks_show_the_inner_colour_and_every_tooltip(qapp) -> None:
    body = "The mayor *slammed* the plan. It passed 6-1.\n"
    document = QTextDocument()
    document.setHtml(render_html(body))
    claim = Highlight("unverifiable", "The mayor *slammed* the plan.", 0, 29, "Unverifiable: no source")
    word = mark("biased", "slammed", body, tip="Loaded verb")
    gone = Highlight("misquote", "words that were edited away", 30, 40, "Misquote")
    missing = apply_highlights(document, body, [claim, word, gone])
    text = document_text(document)
    assert missing == [gone]
    assert kind_at(document, text.index("mayor")) == "unverifiable"
    assert kind_at(document, text.index("slammed")) == "biased"
    assert kind_at(document, text.index("6-1")) is None
    cursor = QTextCursor(document)
    cursor.setPosition(text.index("slammed") + 1)
    assert cursor.charFormat().toolTip() == "Unverifiable: no source<hr>Loaded verb"
    assert cursor.charFormat().background().color() == background("biased")


def test_an_editors_verdict_decides_the_claims_mark() -> None:
    def claim(verdict: str, override: str | None) -> tuple[dict, ClaimRow]:
        data = {"start": 0, "end": 14, "text": "Rates rose 9%."}
        return data, ClaimRow(7, "Rates rose 9%.", verdict, override or verdict, "Rates rose 7%.", "S1",
                              "The claim says 9%; S1 says 7%.", "ana" if override else None,
                              "2026-06-10 14:03" if override else "")

    finding = {"tool": "fact", "kind": "contradicted_claim", "start": 0, "end": 14, "text": "Rates rose 9%.",
               "explanation": "The claim says 9%; S1 says 7%.", "evidence": None, "source_label": None,
               "suggestion": None}
    article_note = {"tool": "perspective", "kind": "one_sided", "start": 0, "end": 0, "text": "",
                    "explanation": "Every voice is on one side.", "evidence": None, "source_label": None,
                    "suggestion": None}
    data, row = claim("contradicted", None)
    marks, notes = highlights_and_notes([data], (row,), [finding, article_note])
    assert [m.kind for m in marks] == ["contradicted"] and notes == ("Every voice is on one side.",)
    assert "S1:</i> “Rates rose 7%.”" in marks[0].tooltip
    data, row = claim("contradicted", "supported")
    assert highlights_and_notes([data], (row,), [finding])[0] == ()
    data, row = claim("supported", "unverifiable")
    marks, _notes = highlights_and_notes([data], (row,), [])
    assert [m.kind for m in marks] == ["unverifiable"] and "Verdict set by ana on 2026-06-10 14:03" in marks[0].tooltip
