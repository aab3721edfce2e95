"""The Review screen driven like an editor: read, judge the marks, correct a claim, decide, edit, export, publish."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLineEdit, QToolTip

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from app.services.review import ReviewService
from engine.articles import article_detail
from engine.events import ArticleUpdated, JobFinished
from engine.execution.jobs import article_views
from engine.execution.settings import EngineSettings
from engine.operations import generation
from engine.review import revisions
from engine.store.models import Job
from tests.gui.helpers import ArticleQueries, click_message_button, focus, wait_for_dialog
from tests.gui.test_review_service import (  # noqa: F401  (fixtures)
    FLAGGED,
    check_in_process,
    finished,
    review_template,
)
from ui.dialogs.review_dialogs import ReviewEditDialog, ReviewRegenerateDialog, ReviewRejectDialog
from ui.models.review_claims import CLAIM, VERDICT
from ui.models.review_table import ARTICLE, OVERALL
from ui.screens.review import _EMPTY, ReviewScreen
from ui.theme import apply_colour_scheme
from ui.widgets.review_highlights import KIND_PROPERTY, background, document_text

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
SLAMMED = "Council Member Rosa Alvarez (District 2) slammed the disastrous parks reduction as the deepest cut in 30 years."


@pytest.fixture
def make_screen(context: AppContext, ops: BackgroundOps, qtbot) -> Iterator[Callable[..., ReviewScreen]]:
    bridges: list[EngineBridge] = []

    def make(bridge: EngineBridge | None = None, rows: int = 3) -> ReviewScreen:
        service = ReviewService(context.db, ops, editor="tester", exports_dir=context.home.exports_dir)
        screen = ReviewScreen(service, bridge=bridge)
        service.setParent(screen)
        if bridge is not None:
            bridges.append(bridge)
        qtbot.addWidget(screen)
        screen.resize(1440, 900)
        screen.show()
        qtbot.waitExposed(screen)
        screen.activateWindow()
        qtbot.waitUntil(screen.isActiveWindow)
        qtbot.waitUntil(lambda: not screen.is_loading and screen.proxy.rowCount() == rows)
        if rows:
            wait_shown(qtbot, screen, screen.proxy.id_at(0))
        focus(qtbot, screen.table)
        return screen

    yield make
    for bridge in bridges:
        bridge.stop()


@pytest.fixture
def screen(finished: None, make_screen: Callable[..., ReviewScreen]) -> ReviewScreen:  # noqa: F811
    return make_screen()


def wait_shown(qtbot, screen: ReviewScreen, article_id: int) -> None:
    qtbot.waitUntil(lambda: screen.current_article is not None and screen.current_article.id == article_id
                    and screen.article_view.article_id == article_id)


def listed(screen: ReviewScreen) -> list[str]:
    return [screen.proxy.index(r, ARTICLE).data() for r in range(screen.proxy.rowCount())]


def press(qtbot, widget, key: Qt.Key) -> None:
    focus(qtbot, widget)
    qtbot.keyClick(widget, key)


def format_at(screen: ReviewScreen, text: str, offset: int = 0):
    document = screen.article_view.browser.document()
    position = document_text(document).index(text) + offset
    cursor = QTextCursor(document)
    cursor.setPosition(position + 1)        # a cursor reports the format of the character before it
    return cursor.charFormat()


def select_claim(qtbot, screen: ReviewScreen, starts: str) -> None:
    row = next(r for r in range(screen.claims_model.rowCount())
               if screen.claims_model.index(r, CLAIM).data().startswith(starts))
    screen.claims_table.selectRow(row)
    focus(qtbot, screen.claims_table)


def verdict_shown(screen: ReviewScreen, starts: str) -> str:
    row = next(r for r in range(screen.claims_model.rowCount())
               if screen.claims_model.index(r, CLAIM).data().startswith(starts))
    return screen.claims_model.index(row, VERDICT).data()


def test_reading_the_flagged_article(qtbot, screen: ReviewScreen, context: AppContext) -> None:
    # The list: best overall score first; J and K walk it, and the article follows the selection.
    scores = [float(screen.proxy.index(r, OVERALL).data()) for r in range(3)]
    assert scores == sorted(scores, reverse=True)
    assert screen.tabs.tabText(0) == "Pending review  3" and screen.summary_label.text() == "3 articles shown"
    press(qtbot, screen.table, Qt.Key.Key_J)
    press(qtbot, screen.table, Qt.Key.Key_J)
    wait_shown(qtbot, screen, FLAGGED)
    press(qtbot, screen.table, Qt.Key.Key_K)
    wait_shown(qtbot, screen, screen.proxy.id_at(1))
    press(qtbot, screen.table, Qt.Key.Key_J)
    wait_shown(qtbot, screen, FLAGGED)
    assert screen.article_view.headline_label.text().startswith("Mayor Denise Okafor welcomes the City Council")

    # Scores and gates.
    view = screen.current_article
    assert screen.score_panel.value_labels["overall"].text() == f"{view.scores['overall']:.1f}"
    assert screen.score_panel.value_labels["bias"].text() == f"{view.scores['bias']:.1f}"
    assert "quality gate" in screen.score_panel.gates_label.text()

    # Each kind of mark where the checks put it, with its explanation as the tooltip.
    biased = format_at(screen, "slammed")
    assert biased.property(KIND_PROPERTY) == "biased" and biased.background().color() == background("biased")
    assert "Headline-ese" in biased.toolTip() and "Unverifiable claim" in biased.toolTip()   # inside the claim
    assert format_at(screen, SLAMMED).property(KIND_PROPERTY) == "unverifiable"
    contradicted = format_at(screen, "The motion carried 6-1")
    assert contradicted.property(KIND_PROPERTY) == "contradicted"
    assert "The claim says 6-1; S1 says 5-2." in contradicted.toolTip()
    misquote = format_at(screen, "balancing the budget")
    assert misquote.property(KIND_PROPERTY) == "misquote"
    assert "'budget' where the source has 'books'" in misquote.toolTip()
    assert format_at(screen, "Eleven members of the public").property(KIND_PROPERTY) is None
    assert screen.article_view.missing == []

    # Hovering shows the tooltip.
    browser = screen.article_view.browser
    cursor = QTextCursor(browser.document())
    cursor.setPosition(document_text(browser.document()).index("6-1") + 1)
    browser.ensureCursorVisible()
    point = browser.cursorRect(cursor).center()
    QApplication.sendEvent(browser.viewport(), QHelpEvent(QEvent.Type.ToolTip, point,
                                                          browser.viewport().mapToGlobal(point)))
    qtbot.waitUntil(QToolTip.isVisible)
    assert "The claim says 6-1" in QToolTip.text()
    QToolTip.hideText()

    # The editor's verdict on a claim: C on the claims table, recorded with who and when, marked at once.
    select_claim(qtbot, screen, "Council Member Rosa Alvarez (District 2) slammed")
    press(qtbot, screen.claims_table, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: verdict_shown(screen, "Council Member Rosa Alvarez") == "contradicted (editor: tester)")
    qtbot.waitUntil(lambda: format_at(screen, SLAMMED).property(KIND_PROPERTY) == "contradicted")
    claim = next(c for c in article_detail(context.db, FLAGGED)["claims"] if c["text"] == SLAMMED)
    assert (claim["override_verdict"], claim["override_by"]) == ("contradicted", "tester") and claim["override_at"]
    assert screen.verdict_actions["contradicted"].isChecked()
    press(qtbot, screen.claims_table, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: format_at(screen, SLAMMED).property(KIND_PROPERTY) is None)
    assert format_at(screen, "slammed").property(KIND_PROPERTY) == "biased"     # the wording is still flagged
    screen.verdict_actions[None].trigger()
    qtbot.waitUntil(lambda: verdict_shown(screen, "Council Member Rosa Alvarez") == "unverifiable")
    assert next(c for c in article_detail(context.db, FLAGGED)["claims"] if c["text"] == SLAMMED)["override_by"] is None


def test_deciding_from_the_keyboard(qtbot, screen: ReviewScreen, context: AppContext) -> None:
    first, second, third = (screen.proxy.id_at(r) for r in range(3))
    # A approves: the article leaves Pending review and the next one is selected, so A, A walks down the list.
    press(qtbot, screen.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: screen.proxy.rowCount() == 2)
    wait_shown(qtbot, screen, second)
    assert article_detail(context.db, first)["review_status"] == "approved"
    assert screen.tabs.tabText(1) == "Approved  1"

    # R asks why; the reason is stored with the decision.
    press(qtbot, screen.table, Qt.Key.Key_R)
    dialog = wait_for_dialog(qtbot, screen, ReviewRejectDialog)
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()      # no reason yet
    dialog.reason_edit.setText("one-sided: no rider is quoted")
    dialog.accept()
    qtbot.waitUntil(lambda: screen.proxy.rowCount() == 1)
    detail = article_detail(context.db, second)
    assert (detail["review_status"], detail["review_reason"], detail["reviewed_by"]) == \
        ("rejected", "one-sided: no rider is quoted", "tester")
    wait_shown(qtbot, screen, third)

    # Rejected articles have their tab; there the decision is shown with its reason.
    screen.tabs.setCurrentIndex(2)
    wait_shown(qtbot, screen, second)
    assert "one-sided: no rider is quoted" in screen.score_panel.decision_label.text()
    assert screen.approve_action.isEnabled() and not screen.publish_action.isEnabled()

    # Publish: approve, confirm, and the HTML is in the publish folder.
    screen.tabs.setCurrentIndex(1)
    wait_shown(qtbot, screen, first)
    screen.publish_action.trigger()
    click_message_button(qtbot, screen, "Publish")
    published = context.home.exports_dir / "published"
    qtbot.waitUntil(lambda: article_detail(context.db, first)["review_status"] == "published")
    assert len(list(published.glob(f"{first}-*.html"))) == 1
    qtbot.waitUntil(lambda: screen.proxy.rowCount() == 0)
    assert screen.table.placeholder() == _EMPTY["approved"]


def test_edit_export_and_regenerate(qtbot, screen: ReviewScreen, context: AppContext, tmp_path: Path) -> None:
    article = screen.proxy.id_at(0)
    before = len(revisions(context.db, article))
    press(qtbot, screen.table, Qt.Key.Key_E)
    dialog = wait_for_dialog(qtbot, screen, ReviewEditDialog)
    dialog.headline_edit.setText("Bus routes 7, 12 and 19 cut")
    dialog.body_edit.setPlainText(dialog.body() + "\nThe cuts take effect in August.\n")
    dialog.accept()
    qtbot.waitUntil(lambda: len(revisions(context.db, article)) == before + 1)
    qtbot.waitUntil(lambda: screen.article_view.headline_label.text() == "Bus routes 7, 12 and 19 cut")
    # Without an engine the checks wait in the queue, and the panel says so.
    qtbot.waitUntil(screen.score_panel.recheck_label.isVisible)
    assert "the checks run again when the engine runs" in screen.score_panel.recheck_label.text()
    with context.db.read() as session:
        assert session.query(Job).filter_by(article_id=article, kind="run_quality_checks").count() == 1

    # Export: the engine's file name is suggested; the file lands where the editor chose.
    screen.export_actions["md"].trigger()
    chooser = wait_for_dialog(qtbot, screen, QFileDialog)
    assert chooser.selectedFiles()[0].endswith(".md")
    target = tmp_path / "bus-routes.md"
    chooser.findChild(QLineEdit, "fileNameEdit").setText(str(target))       # typed, as an editor would
    chooser.accept()
    qtbot.waitUntil(target.exists)
    assert target.read_text(encoding="utf-8").startswith("# Bus routes 7, 12 and 19 cut")

    # Regenerate from a chosen stage: the article leaves review until the engine has run it again.
    screen.regenerate_action.trigger()
    regenerate = wait_for_dialog(qtbot, screen, ReviewRegenerateDialog)
    assert regenerate.stage() == "draft" and regenerate.stage_list.count() == 14
    regenerate.stage_list.setCurrentRow(10)
    assert regenerate.stage() == "revision"
    regenerate.accept()
    qtbot.waitUntil(lambda: screen.proxy.rowCount() == 2 and screen.proxy.row_of(article) is None)
    with context.db.read() as session:
        job = session.query(Job).filter_by(article_id=article, kind="retry_article_stage").one()
        assert job.args["start_stage"] == "revision"


def test_a_running_engine_ends_the_recheck(qtbot, finished: None, make_screen,  # noqa: F811
                                           context: AppContext) -> None:
    bridge = EngineBridge()
    screen = make_screen(bridge)
    article = screen.proxy.id_at(0)
    old_overall = screen.current_article.scores["overall"]
    press(qtbot, screen.table, Qt.Key.Key_E)
    dialog = wait_for_dialog(qtbot, screen, ReviewEditDialog)
    dialog.body_edit.setPlainText("This disastrous plan is obviously doomed. " + dialog.body())
    dialog.accept()
    qtbot.waitUntil(screen.score_panel.recheck_label.isVisible)
    assert screen.score_panel.recheck_label.text().startswith("<i>Re-checking the edited text")
    # The engine runs the queued check, commits the scores and reports the job finished.
    check_in_process(context.db, article)
    for event in committed(context, [article]):
        bridge.emit(event)
    bridge.emit(JobFinished(None, article, "completed"))
    qtbot.waitUntil(lambda: not screen.score_panel.recheck_label.isVisible())
    qtbot.waitUntil(lambda: screen.current_article.scores["overall"] != old_overall)
    assert format_at(screen, "disastrous").property(KIND_PROPERTY) == "biased"
    # The list's row took the new score from that one article's row.
    qtbot.waitUntil(lambda: screen.model.article_at(screen.model.row_of(article)).overall
                    == screen.current_article.scores["overall"])


def committed(context: AppContext, article_ids: list[int]) -> list[ArticleUpdated]:
    """What the single writer emits after committing these articles."""
    with context.db.read() as session:
        return [ArticleUpdated(view) for view in article_views(session, article_ids)]


def test_a_committed_change_updates_one_row_without_reloading_the_list(qtbot, finished: None,  # noqa: F811
                                                                       make_screen, context: AppContext) -> None:
    bridge = EngineBridge()
    screen = make_screen(bridge)
    article = screen.proxy.id_at(0)
    others = {screen.proxy.id_at(r): screen.model.article_at(screen.model.row_of(screen.proxy.id_at(r)))
              for r in range(1, screen.proxy.rowCount())}
    check_in_process(context.db, article)       # the engine re-checks it and commits
    [event] = committed(context, [article])
    reset: list[bool] = []
    screen.model.modelReset.connect(lambda: reset.append(True))
    queries = ArticleQueries(context.db)
    try:
        bridge.emit(event)
        qtbot.waitUntil(lambda: queries.by_id >= 1)
        qtbot.waitUntil(lambda: not screen._reading_rows)
        assert queries.listed == 0 and not reset        # one article read by id, the list not reloaded
        for other, row in others.items():               # the other rows untouched
            assert screen.model.article_at(screen.model.row_of(other)) == row
    finally:
        queries.close()
    # An article regenerated elsewhere leaves "completed", and the list, again without a reload; it was
    # the one shown, so the one now in its place is.
    leaving = next(iter(others))
    screen.table.selectRow(screen.proxy.row_of(leaving))
    wait_shown(qtbot, screen, leaving)
    place = screen.proxy.row_of(leaving)
    generation.regenerate(context.db, leaving, "revision", EngineSettings())
    [left] = committed(context, [leaving])
    assert left.article.status == "queued"
    queries = ArticleQueries(context.db)
    try:
        bridge.emit(left)
        qtbot.waitUntil(lambda: screen.model.row_of(leaving) is None, timeout=5000)
    finally:
        queries.close()
    assert not reset and queries.listed == 0 and queries.by_id >= 1
    following = screen.proxy.id_at(min(place, screen.proxy.rowCount() - 1))
    wait_shown(qtbot, screen, following)


def test_nothing_to_review(qtbot, make_screen) -> None:
    screen = make_screen(rows=0)
    assert screen.table.placeholder() == _EMPTY["pending_review"]
    assert screen.tabs.tabText(4) == "All  0"
    assert not any(a.isEnabled() for a in (screen.approve_action, screen.reject_action, screen.edit_action,
                                           screen.publish_action, screen.regenerate_action))
    press(qtbot, screen.table, Qt.Key.Key_A)        # nothing selected: nothing happens
    press(qtbot, screen.table, Qt.Key.Key_J)
    assert screen.current_article is None


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_of_the_review_screen(qtbot, qapp, finished: None, make_screen, scheme: str) -> None:  # noqa: F811
    """Saves tests/artifacts/review.png (and review-dark.png) to be looked at."""
    apply_colour_scheme(qapp, Qt.ColorScheme.Dark if scheme == "dark" else Qt.ColorScheme.Light)
    try:
        screen = make_screen()
        screen.table.selectRow(screen.proxy.row_of(FLAGGED))
        wait_shown(qtbot, screen, FLAGGED)
        # Selecting a claim brings it into view in the article.
        select_claim(qtbot, screen, "Council Member Rosa Alvarez (District 2) slammed")
        browser = screen.article_view.browser
        cursor = QTextCursor(browser.document())
        cursor.setPosition(document_text(browser.document()).index(SLAMMED))
        assert browser.viewport().rect().contains(browser.cursorRect(cursor))
        ARTIFACTS.mkdir(exist_ok=True)
        assert screen.grab().save(str(ARTIFACTS / ("review.png" if scheme == "light" else "review-dark.png")))
        # Nothing cramped or cut: the score labels fit, and headlines keep room in the list.
        for label in screen.score_panel.value_labels.values():
            assert label.width() >= label.sizeHint().width()
        assert screen.table.columnWidth(ARTICLE) >= 220
    finally:
        apply_colour_scheme(qapp, Qt.ColorScheme.Light)
