"""The engine in the app: events become coalesced Qt signals carrying the engine's typed events;
the host starts, runs and stops, and says which mode it is in as a typed value."""

from __future__ import annotations

import psutil
import pytest

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from app.engine_host import EngineHost, Owner, Stopped, Viewer
from app.gui import build_main_window
from engine.events import (
    ArticleUpdated,
    ArticleView,
    JobFinished,
    QueueSummary,
    StageFinished,
    StageProgress,
)
from engine.execution.settings import EngineSettings
from engine.execution.tasks import batch_generate_articles
from tests.pipeline_helpers import seed


def test_bridge_coalesces_progress_and_keeps_order(qtbot) -> None:
    bridge = EngineBridge()
    progressed: list[tuple[int, float]] = []
    finished: list[tuple[int, str]] = []
    bridge.stage_progressed.connect(lambda event: progressed.append((event.article_id, event.fraction)))
    bridge.job_finished.connect(lambda event: finished.append((event.article_id, event.status)))
    for step in range(50):
        bridge.emit(StageProgress(1, "draft", 5, step / 50, "writing"))
        bridge.emit(StageProgress(2, "draft", 5, step / 100, "writing"))
    bridge.emit(JobFinished(7, 3, "completed"))
    bridge.emit(QueueSummary(1, 2, 3, 0, 0, 10, 0.0))
    with qtbot.waitSignal(bridge.events_delivered, timeout=2000) as delivered:
        pass
    assert delivered.args == [102]
    assert progressed == [(1, 49 / 50), (2, 49 / 100)]
    assert finished == [(3, "completed")]
    bridge.stop()


def _view(article_id: int, status: str, tokens_in: int) -> ArticleView:
    return ArticleView(id=article_id, keyword="harbor road", status=status, current_stage="draft", stage_index=5,
                       stage_count=14, tokens_in=tokens_in, tokens_out=10, cost_usd=0.02, error=None, retry_count=0)


def test_bridge_delivers_the_engines_typed_events_whole(qtbot) -> None:
    """A finished stage arrives with its tokens, cost and error; an article's newest committed view only."""
    bridge = EngineBridge()
    failed = StageFinished(article_id=4, stage="draft", index=5, attempt=2, status="failed", started_at=1.0,
                           finished_at=2.5, model="gpt-4o-mini", tokens_in=812, tokens_out=97, cost_usd=0.0031,
                           output=None, error="429 rate limited", retries=[{"reason": "429", "delay_s": 2}])
    stages: list[StageFinished] = []
    views: list[ArticleView] = []
    bridge.stage_finished.connect(stages.append)
    bridge.article_updated.connect(views.append)
    bridge.emit(failed)
    bridge.emit(ArticleUpdated(_view(4, "generating", 700)))
    bridge.emit(ArticleUpdated(_view(4, "failed", 812)))
    with qtbot.waitSignal(bridge.events_delivered, timeout=2000) as delivered:
        pass
    assert delivered.args == [3]
    assert stages == [failed]
    assert (stages[0].tokens_in, stages[0].tokens_out, stages[0].cost_usd, stages[0].error) == (
        812, 97, 0.0031, "429 rate limited")
    assert views == [_view(4, "failed", 812)]
    bridge.stop()


@pytest.mark.slow
def test_host_runs_a_batch_and_stops_cleanly(qtbot, context: AppContext, ops: BackgroundOps) -> None:
    bridge = EngineBridge()
    host = EngineHost(context, ops, bridge, settings=EngineSettings(workers=1, slots=4))
    try:
        articles = batch_generate_articles(context.db, seed(context.db)[:3], EngineSettings()).article_ids
        done: set[int] = set()
        bridge.job_finished.connect(lambda event: done.add(event.article_id) if event.status == "completed" else None)
        with qtbot.waitSignal(host.mode_changed, timeout=10000) as started:
            host.start()
        assert started.args == [Owner()] and host.mode == Owner()
        qtbot.waitUntil(lambda: done == set(articles), timeout=60000)
        viewer_bridge = EngineBridge()
        viewer = EngineHost(context, ops, viewer_bridge, settings=EngineSettings(workers=1))
        with qtbot.waitSignal(viewer.mode_changed, timeout=10000) as attached:
            viewer.start()
        assert isinstance(attached.args[0], Viewer) and attached.args[0].holder and not viewer.is_engine
        with qtbot.waitSignal(viewer_bridge.queue_summary_changed, timeout=5000) as summary:
            pass
        assert summary.args[0].completed == 3
        viewer.stop()
    finally:
        host.stop()
    workers = [p for p in psutil.Process().children(recursive=True) if "spawn_main" in " ".join(p.cmdline())
               and p.status() != psutil.STATUS_ZOMBIE]
    assert not workers


@pytest.mark.slow
def test_a_deleted_database_stops_the_engine_and_the_window_says_why(qtbot, context: AppContext,
                                                                     ops: BackgroundOps) -> None:
    bridge = EngineBridge()
    host = EngineHost(context, ops, bridge, settings=EngineSettings(workers=1))
    window = build_main_window(context, ops, bridge, host)
    qtbot.addWidget(window)
    try:
        window.show()
        with qtbot.waitSignal(host.mode_changed, timeout=20_000) as started:
            host.start()
        assert started.args == [Owner()] and not window.engine_label.isVisible()
        with qtbot.waitSignal(host.mode_changed, timeout=15_000) as stopped:
            context.home.database_path.unlink()
        mode = stopped.args[0]
        assert isinstance(mode, Stopped) and "was deleted" in mode.reason and host.mode == mode
        assert window.engine_label.isVisible() and window.engine_label.text() == f"Engine stopped: {mode.reason}"
        assert window.queue_screen.viewer_banner.text().startswith(f"The engine stopped: {mode.reason}")
    finally:
        host.stop()
