"""The engine in the app: events become coalesced Qt signals; the host starts, runs and stops."""

from __future__ import annotations

import psutil
import pytest

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from app.engine_host import EngineHost
from engine.events import JobFinished, QueueSummary, StageProgress
from engine.execution.settings import EngineSettings
from engine.execution.tasks import batch_generate_articles
from tests.pipeline_helpers import seed


def test_bridge_coalesces_progress_and_keeps_order(qtbot) -> None:
    bridge = EngineBridge()
    progressed: list[tuple[int, float]] = []
    finished: list[tuple[int, str]] = []
    bridge.stage_progressed.connect(lambda a, f, _m: progressed.append((a, f)))
    bridge.job_finished.connect(lambda a, s, _e: finished.append((a, s)))
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


@pytest.mark.slow
def test_host_runs_a_batch_and_stops_cleanly(qtbot, context: AppContext, ops: BackgroundOps) -> None:
    bridge = EngineBridge()
    host = EngineHost(context, ops, bridge, settings=EngineSettings(workers=1, slots=4))
    try:
        articles = batch_generate_articles(context.db, seed(context.db)[:3], EngineSettings()).article_ids
        done: set[int] = set()
        bridge.job_finished.connect(lambda article, status, _e: done.add(article) if status == "completed" else None)
        with qtbot.waitSignal(host.started, timeout=10000) as started:
            host.start()
        assert started.args == ["engine"]
        qtbot.waitUntil(lambda: done == set(articles), timeout=60000)
        viewer_bridge = EngineBridge()
        viewer = EngineHost(context, ops, viewer_bridge, settings=EngineSettings(workers=1))
        with qtbot.waitSignal(viewer.started, timeout=10000) as attached:
            viewer.start()
        assert attached.args[0].startswith("viewer") and not viewer.is_engine
        with qtbot.waitSignal(viewer_bridge.queue_summary_changed, timeout=5000) as summary:
            pass
        assert summary.args[0].completed == 3
        viewer.stop()
    finally:
        host.stop()
    workers = [p for p in psutil.Process().children(recursive=True) if "spawn_main" in " ".join(p.cmdline())
               and p.status() != psutil.STATUS_ZOMBIE]
    assert not workers
