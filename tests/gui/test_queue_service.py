"""QueueService and the screen's controls without an engine: estimates, budget caps, priority, pause;
rows that follow the engine's ArticleUpdated events without reloading."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import select

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from app.services.queue import GenerationPlan, GenerationResult, QueueService
from engine.articles import list_articles
from engine.events import ArticleUpdated, QueueSummary
from engine.execution.jobs import article_views
from engine.execution.settings import EngineSettings
from engine.execution.tasks import batch_generate_articles
from engine.store.models import Job
from tests.gui.helpers import ArticleQueries
from tests.pipeline_helpers import seed, use_provider
from ui.dialogs.queue_generate import QueueGenerateDialog
from ui.models.queue_table import TOKENS
from ui.screens.queue import QueueScreen

REMOTE = "https://api.example.test/v1"      # not this computer: priced from the table


def call(qtbot, method, *args, **kwargs):
    """Run a service call and wait for its success callback's value."""
    results: list[object] = []
    method(*args, success=results.append, **kwargs)
    qtbot.waitUntil(lambda: bool(results))
    return results[0]


@pytest.fixture
def service(context: AppContext, ops: BackgroundOps) -> QueueService:
    return QueueService(context, ops)


@pytest.fixture
def bridge() -> Iterator[EngineBridge]:
    signals = EngineBridge()
    yield signals
    signals.stop()


@pytest.fixture
def screen(service: QueueService, bridge: EngineBridge, qtbot) -> QueueScreen:
    view = QueueScreen(service, bridge)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: not view.is_loading)
    return view


def test_plan_counts_only_keywords_without_an_article(qtbot, context: AppContext, service: QueueService) -> None:
    approved = seed(context.db)
    plan: GenerationPlan = call(qtbot, service.plan_generation)
    assert sorted(plan.keyword_ids) == sorted(approved) and plan.free
    assert plan.estimate.provider == "offline" and plan.estimate.tokens == 0
    result: GenerationResult = call(qtbot, service.generate, plan.keyword_ids[:2])
    assert len(result.article_ids) == 2 and result.refused is None
    assert call(qtbot, service.waiting_count) == len(approved) - 2
    # A cancelled article gives its keyword back to "Generate approved".
    call(qtbot, service.cancel, [result.article_ids[0]])
    assert call(qtbot, service.waiting_count) == len(approved) - 1
    nothing: GenerationResult = call(qtbot, service.generate, [])
    assert nothing.refused == "No approved keywords are waiting for an article." and not nothing.article_ids


def test_a_budget_cap_queues_only_what_fits(qtbot, context: AppContext, service: QueueService) -> None:
    approved = seed(context.db)
    use_provider(context.db, "openai", REMOTE)
    plan: GenerationPlan = call(qtbot, service.plan_generation)
    assert not plan.free and plan.estimate.price_known and plan.estimate.cost_usd > 0
    cap = plan.estimate.cost_usd / 2
    fit = call(qtbot, service.fit_budget, plan, cap)
    assert 0 < len(fit.keyword_ids) < len(approved) and fit.estimate.cost_usd <= cap
    assert fit.left_out == len(approved) - len(fit.keyword_ids)
    assert fit.keyword_ids == plan.keyword_ids[:len(fit.keyword_ids)]

    with qtbot.waitSignal(service.queue_changed) as changed:
        result: GenerationResult = call(qtbot, service.generate, plan.keyword_ids, cap)
    assert changed.args[0].added == result.article_ids
    assert len(result.article_ids) == len(fit.keyword_ids) and result.left_out == fit.left_out
    assert result.estimate is not None and result.estimate.cost_usd <= cap
    assert call(qtbot, service.waiting_count) == fit.left_out

    too_small: GenerationResult = call(qtbot, service.generate, plan.keyword_ids[len(fit.keyword_ids):], 0.0001)
    assert not too_small.article_ids
    assert too_small.refused is not None and too_small.refused.startswith("Nothing was queued: one article is "
                                                                          "estimated at $")


def test_the_dialog_says_what_a_cap_allows(qtbot, context: AppContext, service: QueueService) -> None:
    approved = seed(context.db)
    use_provider(context.db, "openai", REMOTE, model="gpt-4o")     # an article costs more than a cent
    plan: GenerationPlan = call(qtbot, service.plan_generation)
    dialog = QueueGenerateDialog(plan, service)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.cost_label.text() == f"≈ ${plan.estimate.cost_usd:,.2f}"
    assert dialog.tokens_label.text().startswith(f"≈ {plan.estimate.tokens:,} (")
    assert ok.text() == f"Generate {len(approved)} articles" and dialog.cap_box.specialValueText() == "No cap"

    dialog.cap_box.setValue(plan.estimate.cost_usd / 2)
    assert not ok.isEnabled()                   # until the new figure is in
    qtbot.waitUntil(lambda: dialog.fit_label.text().startswith("The cap fits"))
    fits = int(dialog.fit_label.text().split()[3])
    assert 0 < fits < len(approved) and ok.isEnabled() and ok.text() == f"Generate {fits} articles"
    assert f"the other {len(approved) - fits} stay approved" in dialog.fit_label.text()

    dialog.cap_box.setValue(0.01)
    qtbot.waitUntil(lambda: dialog.fit_label.text().startswith("Not even one"))
    assert not ok.isEnabled()


def test_pause_and_raise_priority_from_the_screen(qtbot, context: AppContext, service: QueueService,
                                                  screen: QueueScreen) -> None:
    approved = seed(context.db)
    screen.refresh()
    qtbot.waitUntil(lambda: screen.waiting_keywords == len(approved))
    call(qtbot, service.generate, approved)
    qtbot.waitUntil(lambda: screen.model.rowCount() == len(approved))
    assert screen.batch_bar.text() == f"Latest batch: 0 of {len(approved)} completed"

    assert not screen.paused_banner.isVisible() and screen.pause_action.text() == "&Pause queue"
    with qtbot.waitSignal(service.paused_changed) as paused:
        screen.pause_action.trigger()
    assert paused.args == [True]
    assert screen.paused_banner.isVisible() and screen.pause_action.isChecked()
    assert screen.pause_action.text() == "Resume &queue"
    screen.pause_action.trigger()
    qtbot.waitUntil(lambda: not screen.paused_banner.isVisible())

    oldest = screen.model.row_at(screen.model.rowCount() - 1).id
    newest = screen.model.row_at(0).id
    screen.table.selectRow(0)
    assert screen.priority_action.isEnabled() and screen.cancel_action.isEnabled()
    assert not screen.retry_action.isEnabled()
    with qtbot.waitSignal(screen.announced) as announced:
        screen.priority_action.trigger()
    assert announced.args == ["1 article will run next."]
    with context.db.read() as session:
        priority = dict(session.execute(select(Job.article_id, Job.priority)).all())
    assert priority[newest] == 1 and priority[oldest] == 0


def committed(context: AppContext, article_ids: list[int]) -> list[ArticleUpdated]:
    """What the single writer emits after committing these articles (read from the database as it does)."""
    with context.db.read() as session:
        return [ArticleUpdated(view) for view in article_views(session, article_ids)]


def test_articles_queued_elsewhere_appear_from_their_events_without_a_reload(
        qtbot, context: AppContext, bridge: EngineBridge, screen: QueueScreen) -> None:
    approved = seed(context.db)
    # Articles queued by someone else (the command line): the engine announces them as it takes them.
    queued = batch_generate_articles(context.db, approved[:3], EngineSettings()).article_ids
    events = committed(context, queued)
    queries = ArticleQueries(context.db)
    try:
        for event in events:
            bridge.emit(event)
        qtbot.waitUntil(lambda: screen.model.rowCount() == 3)
        assert [screen.model.row_at(p).id for p in range(3)] == sorted(queued, reverse=True)
        assert queries.by_id >= 1 and queries.listed == 0      # read by id; the list query never ran
        bridge.emit(QueueSummary(3, 0, 0, 0, 0, 0, 0.0, paused=True))
        qtbot.waitUntil(screen.paused_banner.isVisible)
        assert {a["status"] for a in list_articles(context.db)} == {"queued"}
    finally:
        queries.close()


def test_a_row_follows_its_article_updated_without_a_query(qtbot, context: AppContext, bridge: EngineBridge,
                                                           ops: BackgroundOps) -> None:
    approved = seed(context.db)
    article = batch_generate_articles(context.db, approved[:1], EngineSettings()).article_ids[0]
    screen = QueueScreen(QueueService(context, ops), bridge)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: not screen.is_loading and screen.model.rowCount() == 1)
    [event] = committed(context, [article])
    queries = ArticleQueries(context.db)
    try:
        view = dataclasses.replace(event.article, status="failed", current_stage="draft", stage_index=5,
                                   tokens_in=1_500, tokens_out=300, cost_usd=0.0123, error="draft: 500 upstream")
        bridge.emit(ArticleUpdated(view))
        qtbot.waitUntil(lambda: screen.model.row_at(0).status == "failed")
        row = screen.model.row_at(0)
        assert (row.stage_index, row.tokens, row.cost_usd, row.error_log) == (5, 1_800, 0.0123, "draft: 500 upstream")
        assert screen.model.index(0, TOKENS).data() == "1,800"
        assert (queries.listed, queries.by_id) == (0, 0)      # no reload, no re-read: the event was the news
    finally:
        queries.close()


def test_a_finished_article_the_queue_does_not_hold_stays_out(qtbot, context: AppContext, bridge: EngineBridge,
                                                              screen: QueueScreen, ops: BackgroundOps) -> None:
    """An approved article re-checked after an edit commits as completed: it is the Review screen's news."""
    approved = seed(context.db)
    [event] = committed(context, batch_generate_articles(context.db, approved[:1], EngineSettings()).article_ids)
    queries = ArticleQueries(context.db)
    try:
        with qtbot.waitSignal(bridge.events_delivered):
            bridge.emit(ArticleUpdated(dataclasses.replace(event.article, status="completed", stage_index=14)))
        qtbot.waitUntil(lambda: not ops.busy)       # a read the event started would have ended by now
    finally:
        queries.close()
    assert screen.model.rowCount() == 0 and queries.by_id == 0
