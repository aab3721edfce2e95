"""The Queue screen with a real engine: generate approved keywords, watch them finish, cancel, retry.

The engine host runs real worker processes (offline provider, or the fake LLM
server when jobs must be slow enough to cancel); every test stops its host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from app.engine_host import EngineHost
from app.services.queue import QueueService
from engine.articles import list_articles
from engine.execution.settings import EngineSettings, save_engine_settings
from tests.fakes.llm_server import FakeLLMServer
from tests.gui.helpers import focus, wait_for_dialog
from tests.pipeline_helpers import TEST_KEY, seed, use_provider
from ui.dialogs.queue_generate import QueueGenerateDialog
from ui.models.queue_stage_log import ATTEMPT, DURATION, ERROR, MODEL, TOKENS, QueueStageLogModel
from ui.models.queue_stage_log import STAGE as STAGE_LOG
from ui.models.queue_stage_log import STATUS as STATUS_LOG
from ui.models.queue_table import STAGE, STATUS
from ui.screens.queue import QueueScreen

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LONG = 90_000       # ms: a batch on two shared cores


class Engine:
    """A started EngineHost with its bridge, and the service and screen over them."""

    def __init__(self, context: AppContext, ops: BackgroundOps, qtbot, settings: EngineSettings) -> None:
        self.bridge = EngineBridge()
        self.host = EngineHost(context, ops, self.bridge, settings=settings)
        self.service = QueueService(context, ops, self.host)
        self.screen = QueueScreen(self.service, self.bridge)
        self.finished: dict[int, str] = {}
        self.bridge.job_finished.connect(lambda event: self.finished.__setitem__(event.article_id, event.status))
        qtbot.addWidget(self.screen)
        with qtbot.waitSignal(self.host.mode_changed, timeout=20_000):
            self.host.start()

    def show(self, qtbot) -> QueueScreen:
        self.screen.resize(1180, 760)
        self.screen.show()
        qtbot.waitExposed(self.screen)
        qtbot.waitUntil(lambda: self.screen.model.rowCount() >= 0 and not self.screen.is_loading)
        return self.screen

    def stop(self) -> None:
        self.host.stop()


@pytest.fixture
def make_engine(context: AppContext, ops: BackgroundOps, qtbot) -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(**settings: int) -> Engine:
        engine = Engine(context, ops, qtbot, EngineSettings(**{"workers": 1, "slots": 4, **settings}))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.stop()


@pytest.fixture
def fake_server(monkeypatch) -> Iterator[FakeLLMServer]:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)      # the spawned workers inherit it
    with FakeLLMServer(latency_s=0.5) as server:
        yield server


def generate_through_dialog(qtbot, screen: QueueScreen) -> QueueGenerateDialog:
    qtbot.waitUntil(lambda: screen.generate_button.isEnabled())
    qtbot.mouseClick(screen.generate_button, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, screen, QueueGenerateDialog)
    return dialog


def accept(qtbot, dialog: QueueGenerateDialog) -> None:
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.waitUntil(ok.isEnabled)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


def select_article(qtbot, screen: QueueScreen, article: int) -> None:
    position = screen.model.row_of(article)
    assert position is not None
    screen.table.selectionModel().select(
        screen.model.index(position, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


def stage_log_rows(model: QueueStageLogModel) -> list[list[str]]:
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


@pytest.mark.slow
def test_generate_approved_runs_to_completion(qtbot, context: AppContext, make_engine) -> None:
    approved = seed(context.db)
    engine = make_engine()
    screen = engine.show(qtbot)
    qtbot.waitUntil(lambda: screen.waiting_keywords == len(approved))
    assert screen.generate_button.text() == f"Generate approved ({len(approved)})"

    dialog = generate_through_dialog(qtbot, screen)
    assert dialog.cost_label.text() == "free: offline provider"
    assert "none" in dialog.tokens_label.text()
    assert not dialog.cap_box.isEnabled()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).text() == f"Generate {len(approved)} articles"
    accept(qtbot, dialog)

    qtbot.waitUntil(lambda: screen.model.rowCount() == len(approved))
    articles = {screen.model.row_at(r).id for r in range(len(approved))}
    qtbot.waitUntil(lambda: set(engine.finished) == articles, timeout=LONG)
    assert set(engine.finished.values()) == {"completed"}
    qtbot.waitUntil(lambda: all(screen.model.index(r, STAGE).data() == "14/14  Finalization"
                                and screen.model.index(r, STATUS).data() == "Completed"
                                for r in range(len(approved))))
    qtbot.waitUntil(lambda: screen.waiting_keywords == 0)
    assert not screen.generate_button.isEnabled()
    assert screen.batch_bar.value() == screen.batch_bar.maximum()
    assert screen.batch_bar.text().startswith(f"Latest batch: {len(approved)} of {len(approved)} completed")

    # The stage log of one article: fourteen stages, each completed, with its duration and model.
    select_article(qtbot, screen, min(articles))
    log = screen.stage_log.model
    qtbot.waitUntil(lambda: log.rowCount() == 14)
    rows = stage_log_rows(log)
    assert [r[0] for r in rows][:2] == ["1. Keyword analysis", "2. Research"]
    assert rows[-1][0] == "14. Finalization"
    assert {r[STATUS_LOG] for r in rows} == {"Completed"} and all(r[DURATION].endswith(" s") for r in rows)
    assert {r[MODEL] for r in rows} == {"offline"}
    assert screen.stage_log.title_label.text().startswith("<b>")
    ARTIFACTS.mkdir(exist_ok=True)
    screen.grab().save(str(ARTIFACTS / "queue_completed.png"))


@pytest.mark.slow
def test_cancel_fail_and_retry_against_a_slow_server(qtbot, context: AppContext, make_engine, fake_server) -> None:
    approved = seed(context.db)
    use_provider(context.db, "openai", fake_server.url_openai)
    # One job at a time, so that the first article to reach fact verification gets both scripted
    # malformed answers (the answer and its repair) and fails for good: no job-level retries here.
    fake_server.add_fault("malformed_json", times=2, stage="fact_verification")
    # The batch's jobs take their retry policy from the stored settings, as in the app.
    save_engine_settings(context.db, EngineSettings(generate_retries=0))
    engine = make_engine(slots=1)
    screen = engine.show(qtbot)
    qtbot.waitUntil(lambda: screen.waiting_keywords == len(approved))

    dialog = generate_through_dialog(qtbot, screen)
    # The fake server listens on 127.0.0.1: a model on this computer costs nothing, but uses tokens.
    assert dialog.cost_label.text() == "free: gpt-4o-mini runs on this computer"
    assert dialog.tokens_label.text().startswith("≈ ")
    accept(qtbot, dialog)
    qtbot.waitUntil(lambda: screen.model.rowCount() == len(approved))
    model = screen.model

    def row(article: int):
        return model.row_at(model.row_of(article))

    def with_status(status: str) -> list[int]:
        return [model.row_at(r).id for r in range(model.rowCount()) if model.row_at(r).status == status]

    # Cancel the first article to start, with Del, once it is a stage in.
    qtbot.waitUntil(lambda: any(row(a).stage_index >= 1 for a in with_status("generating")), timeout=30_000)
    victim = next(a for a in with_status("generating") if row(a).stage_index >= 1)
    select_article(qtbot, screen, victim)
    assert screen.cancel_action.isEnabled() and not screen.retry_action.isEnabled()
    focus(qtbot, screen.table)
    qtbot.keyClick(screen.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: row(victim).status == "cancelled", timeout=30_000)
    assert list_articles(context.db, ids=[victim])[0]["status"] == "cancelled"
    qtbot.waitUntil(lambda: engine.finished.get(victim) == "cancelled", timeout=30_000)

    fake_server.latency_s = 0.1     # slow enough to cancel was the point; the rest may hurry
    # A queued article cancelled before it starts sends no event: the service's answer updates its row.
    waiting = with_status("queued")[0]         # the newest: the last to start
    select_article(qtbot, screen, waiting)
    screen.cancel_action.trigger()
    qtbot.waitUntil(lambda: row(waiting).status == "cancelled")
    assert screen.retry_action.isEnabled() and not screen.cancel_action.isEnabled()

    # The failed article: its stage log shows the failed attempt, and the panel its error log.
    qtbot.waitUntil(lambda: bool(with_status("failed")), timeout=LONG)
    failed = with_status("failed")[0]
    qtbot.waitUntil(lambda: engine.finished.get(failed) == "failed")
    select_article(qtbot, screen, failed)
    log = screen.stage_log.model
    # The four checks run together: the other three finished beside the failed one.
    qtbot.waitUntil(lambda: log.rowCount() == 10 and not screen.stage_log.error_view.isHidden())
    rows = stage_log_rows(log)
    failed_rows = [r for r in rows if r[STATUS_LOG] == "Failed"]
    assert [r[STAGE_LOG] for r in failed_rows] == ["7. Fact verification"] and "repair" in failed_rows[0][ERROR]
    assert sorted(r[STATUS_LOG] for r in rows[6:]) == ["Completed"] * 3 + ["Failed"]
    assert rows[0][MODEL] == "gpt-4o-mini" and rows[0][TOKENS] != "0 / 0"
    assert "fact_verification" in screen.stage_log.error_view.toPlainText()
    qtbot.waitUntil(lambda: row(failed).tokens > 0)
    bar = screen.stage_log.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() > 0)     # a failed article's log shows its end
    ARTIFACTS.mkdir(exist_ok=True)
    screen.grab().save(str(ARTIFACTS / "queue.png"))

    # Retry from the failed stage: queued again with one retry counted, and it completes this time.
    screen.retry_action.trigger()
    qtbot.waitUntil(lambda: row(failed).status in ("queued", "generating") and row(failed).retry_count == 1)
    qtbot.waitUntil(lambda: row(failed).status == "completed", timeout=LONG)
    qtbot.waitUntil(lambda: stage_log_rows(log)[-1][STAGE_LOG] == "14. Finalization", timeout=10_000)
    fact_checks = [r for r in stage_log_rows(log) if r[STAGE_LOG] == "7. Fact verification"]
    assert [(r[STATUS_LOG], r[ATTEMPT]) for r in fact_checks] == [("Failed", "1"), ("Completed", "2")]
    # Resumed, not started over: stages 1-6 ran once.
    assert [r.stage for r in fake_server.requests if r.article == str(failed)].count("keyword_analysis") == 1


@pytest.mark.slow
def test_a_viewer_window_says_so_and_follows_the_queue(qtbot, context: AppContext, make_engine) -> None:
    approved = seed(context.db)
    owner = make_engine()
    viewer = make_engine()          # the engine lease is taken: this one attaches as a viewer
    assert owner.host.is_engine and not viewer.host.is_engine
    screen = viewer.show(qtbot)
    assert screen.viewer_banner.isVisible()
    assert screen.viewer_banner.text().startswith("Another Copydesk process runs the engine on this database")

    # The viewer queues the batch; the owner runs it; no events reach the viewer, its polling does.
    qtbot.waitUntil(lambda: screen.waiting_keywords == len(approved))
    accept(qtbot, generate_through_dialog(qtbot, screen))
    qtbot.waitUntil(lambda: len(owner.finished) == len(approved), timeout=LONG)
    assert not viewer.finished
    qtbot.waitUntil(lambda: screen.model.rowCount() == len(approved)
                    and {screen.model.row_at(r).status for r in range(len(approved))} == {"completed"},
                    timeout=10_000)
