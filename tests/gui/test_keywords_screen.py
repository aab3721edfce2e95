"""The Keywords screen driven like an editor: import, keys, undo, reasons, paste, sources, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox
from sqlalchemy import select

from app.context import AppContext, default_editor
from engine.keywords import KeywordBook
from engine.store.models import AIArticle, AIGenerationConfig, KeywordDecision
from tests.gui.helpers import click_message_button, focus, wait_for_dialog, wait_loaded
from ui.dialogs.import_report import ImportReportDialog
from ui.dialogs.keywords import AddKeywordsDialog, RejectDialog
from ui.dialogs.sources import AttachSourceDialog
from ui.main_window import MainWindow
from ui.models.keyword_table import ID_ROLE, KEYWORD, SOURCE, SOURCES
from ui.screens.keywords import KeywordsScreen

CSV = """keyword,priority,notes
Water rate increase,high,Council votes Tuesday
Bus route cuts,normal,
water   RATE increase,low,
x,normal,
Harbor Street bike lanes,low,Check the design drawings
"""


@pytest.fixture
def screen(window: MainWindow, qtbot) -> KeywordsScreen:
    screen = window.keywords_screen
    wait_loaded(qtbot, screen, 0)
    return screen


def select_rows(qtbot, screen: KeywordsScreen, *rows: int) -> None:
    selection = screen.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(screen.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    focus(qtbot, screen.table)


def shown_keywords(screen: KeywordsScreen) -> list[str]:
    return [screen.model.index(r, KEYWORD).data() for r in range(screen.model.rowCount())]


def statuses(book: KeywordBook) -> dict[str, str]:
    return {row.keyword: row.approval_status for row in book.list()}


def import_csv(qtbot, screen: KeywordsScreen, tmp_path: Path, monkeypatch) -> ImportReportDialog:
    path = tmp_path / "topics.csv"
    path.write_text(CSV, encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args, **_kwargs: (str(path), ""))
    qtbot.keyClick(screen.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    return wait_for_dialog(qtbot, screen, ImportReportDialog)


def test_the_editor_workflow(qtbot, screen: KeywordsScreen, book: KeywordBook, context: AppContext,
                             tmp_path: Path, monkeypatch) -> None:
    # Import: the report lists what was added, skipped and rejected, with line numbers and reasons.
    report = import_csv(qtbot, screen, tmp_path, monkeypatch)
    assert report.summary_label.text() == "Added 3, skipped 1 duplicate, rejected 1 (CSV)."
    model = report.model
    problems = [tuple(model.index(r, c).data() for c in range(4)) for r in range(2)]
    assert problems == [("Rejected", "5", "x,normal,", "too short (1 character; at least 2)"),
                        ("Skipped", "4", "water RATE increase", "duplicate of line 2")]
    report.close()
    wait_loaded(qtbot, screen, 3)
    assert screen.tabs.tabText(0) == "Pending  3"
    assert len(screen.table.selectionModel().selectedRows()) == 3      # the new keywords are selected

    # Approve two with A: they leave the Pending tab and the next row is selected.
    select_rows(qtbot, screen, 0, 1)
    qtbot.keyClick(screen.table, Qt.Key.Key_A)
    wait_loaded(qtbot, screen, 1)
    assert statuses(book) == {"Water rate increase": "approved", "Bus route cuts": "approved",
                              "Harbor Street bike lanes": "pending"}
    assert {row.decided_by for row in book.list(status="approved")} == {default_editor()}
    qtbot.waitUntil(lambda: screen.tabs.tabText(1) == "Approved  2")
    assert shown_keywords(screen) == ["Harbor Street bike lanes"]
    assert screen.table.selectionModel().isRowSelected(0)
    assert screen.undo_action.text() == "&Undo approve 2 keywords"

    # Ctrl+Z gives both their previous status back, as audited decisions.
    qtbot.keyClick(screen.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_loaded(qtbot, screen, 3)
    assert set(statuses(book).values()) == {"pending"}
    assert not screen.undo_action.isEnabled()
    with context.db.read() as session:
        trail = session.execute(select(KeywordDecision.to_status, KeywordDecision.reason)).all()
    assert sorted(trail) == [("approved", None)] * 2 + [("pending", "undo")] * 2

    # R asks for a reason, which lands in the decision.
    select_rows(qtbot, screen, screen.model.row_of(book.list(search="harbor")[0].id))
    qtbot.keyClick(screen.table, Qt.Key.Key_R)
    dialog = wait_for_dialog(qtbot, screen, RejectDialog)
    qtbot.keyClicks(dialog.reason_edit, "Covered last week")
    dialog.accept()
    wait_loaded(qtbot, screen, 2)
    [rejected] = book.list(status="rejected")
    assert (rejected.keyword, rejected.decision_reason) == ("Harbor Street bike lanes", "Covered last week")

    # Ctrl+V on the table adds one keyword per line, with the same report.
    QGuiApplication.clipboard().setText("Ferry schedule\n\nSnow plow routes\nbus route cuts\n")
    focus(qtbot, screen.table)
    qtbot.keyClick(screen.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    report = wait_for_dialog(qtbot, screen, ImportReportDialog)
    assert report.summary_label.text() == "Added 2, skipped 1 duplicate, rejected 0 (plain text)."
    report.close()
    wait_loaded(qtbot, screen, 4)
    assert {"Ferry schedule", "Snow plow routes"} <= set(shown_keywords(screen))
    ferry = screen.model.row_of(book.list(search="ferry")[0].id)
    assert screen.model.index(ferry, SOURCE).data() == "manual"

    # Attach pasted text to the selected keyword: the panel lists it and the count updates in place.
    select_rows(qtbot, screen, ferry)
    panel = screen.sources_panel
    qtbot.waitUntil(lambda: panel.keyword is not None and panel.keyword.keyword == "Ferry schedule")
    qtbot.mouseClick(panel.text_button, Qt.MouseButton.LeftButton)
    attach = wait_for_dialog(qtbot, panel, AttachSourceDialog)
    attach.text_edit.setPlainText("Ferry timetable, winter 2026\nSailings drop from 12 to 8 a day.")
    attach.accept()
    qtbot.waitUntil(lambda: len(panel.sources()) == 1)
    assert panel.sources()[0]["title"] == "Ferry timetable, winter 2026"
    qtbot.waitUntil(lambda: "Sailings drop" in panel.preview.toPlainText())
    assert screen.model.index(screen.model.row_of(panel.keyword.id), SOURCES).data() == "1"


def test_delete_confirms_and_refuses_keywords_with_articles(qtbot, screen: KeywordsScreen, book: KeywordBook,
                                                            context: AppContext) -> None:
    used, unused, kept = (kid for _p, _k, kid in book.add(["Water rate increase", "Bus route cuts",
                                                            "Ferry schedule"]).added)
    with context.db.write() as session:
        session.add(AIArticle(keyword_id=used, config_id=session.scalar(select(AIGenerationConfig.id))))
    screen.refresh()
    wait_loaded(qtbot, screen, 3)

    select_rows(qtbot, screen, screen.model.row_of(unused))
    qtbot.keyClick(screen.table, Qt.Key.Key_Delete)
    click_message_button(qtbot, screen, "Cancel")
    assert book.list(ids=[unused])

    select_rows(qtbot, screen, screen.model.row_of(used), screen.model.row_of(unused))
    qtbot.keyClick(screen.table, Qt.Key.Key_Delete)
    click_message_button(qtbot, screen, "Delete")
    refusal = wait_for_dialog(qtbot, screen, QMessageBox)
    assert "could not be deleted because articles were generated from them" in refusal.text()
    assert "Water rate increase" in refusal.informativeText()
    click_message_button(qtbot, screen, "OK")
    wait_loaded(qtbot, screen, 2)
    assert {row.id for row in book.list()} == {used, kept}


def test_add_dialog_tabs_search_and_empty_states(qtbot, screen: KeywordsScreen, book: KeywordBook) -> None:
    assert "Nothing is waiting for a decision" in screen.table.placeholder()
    qtbot.keyClick(screen.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_for_dialog(qtbot, screen, AddKeywordsDialog)
    dialog.text_edit.setPlainText("Library Sunday hours\n\nPool closures\n")
    dialog.priority_box.setCurrentText("High")
    dialog.notes_edit.setText("summer series")
    dialog.accept()
    wait_loaded(qtbot, screen, 2)
    assert {(row.priority, row.notes) for row in book.list()} == {("high", "summer series")}
    focus(qtbot, screen.search_edit)

    qtbot.keyClicks(screen.search_edit, "pool")
    qtbot.waitUntil(lambda: shown_keywords(screen) == ["Pool closures"])
    qtbot.keyClicks(screen.search_edit, "side")
    wait_loaded(qtbot, screen, 0)
    assert screen.table.placeholder() == "No keywords match “poolside” here."
    screen.search_edit.clear()
    wait_loaded(qtbot, screen, 2)

    screen.tabs.setCurrentIndex(1)
    wait_loaded(qtbot, screen, 0)
    assert screen.status == "approved"
    assert "No approved keywords yet" in screen.table.placeholder()
    screen.tabs.setCurrentIndex(3)
    wait_loaded(qtbot, screen, 2)
    assert {screen.model.index(r, 0).data(ID_ROLE) for r in range(2)} == {row.id for row in book.list()}


def test_a_failed_import_shows_one_line(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\x00\x00")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args, **_kwargs: (str(binary), ""))
    window.keywords_screen.import_action.trigger()
    box = wait_for_dialog(qtbot, window, QMessageBox)
    assert box.text().startswith("photo.csv: the file is binary")
    assert "\n" not in box.text() and "Traceback" not in box.text()
