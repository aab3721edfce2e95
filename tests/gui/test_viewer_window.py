"""A viewer window (another process runs the engine) follows what other processes write, from its
host's cheap poll of the articles that may have changed, without the Queue screen's list query."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from app.engine_host import EngineHost, Viewer
from app.services.queue import QueueService
from engine.execution.queue import ENGINE_LEASE
from engine.execution.settings import EngineSettings
from engine.store.models import EngineLease, Job
from tests.conftest import REPO
from tests.gui.helpers import ArticleQueries
from tests.pipeline_helpers import seed
from ui.screens.queue import QueueScreen

pytestmark = pytest.mark.slow


def copydesk(home: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "app", "--home", home, *args], cwd=REPO, check=True, capture_output=True)


def test_a_viewer_window_follows_another_processes_writes(qtbot, context: AppContext, ops: BackgroundOps) -> None:
    approved = seed(context.db)
    home = str(context.home.root)
    copydesk(home, "jobs", "pause")         # the owner runs nothing: the articles stay where the CLI puts them
    owner = subprocess.Popen([sys.executable, "-m", "app", "--home", home, "worker", "--workers", "1"], cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    bridge = EngineBridge()
    host = EngineHost(context, ops, bridge, settings=EngineSettings(workers=1))
    try:
        def leased() -> bool:
            with context.db.read() as session:
                lease = session.get(EngineLease, ENGINE_LEASE)
                return lease is not None and lease.pid == owner.pid

        qtbot.waitUntil(leased, timeout=30_000)
        screen = QueueScreen(QueueService(context, ops, host), bridge)
        qtbot.addWidget(screen)
        with qtbot.waitSignal(host.mode_changed, timeout=10_000) as attached:
            host.start()
        assert isinstance(attached.args[0], Viewer) and host.mode == attached.args[0]
        screen.show()
        qtbot.waitUntil(lambda: not screen.is_loading and screen.viewer_banner.isVisible())
        assert screen.model.rowCount() == 0
        queries = ArticleQueries(context.db)
        try:
            copydesk(home, "generate", "--approved")         # another process queues the batch
            qtbot.waitUntil(lambda: screen.model.rowCount() == len(approved), timeout=10_000)
            assert {screen.model.row_at(p).status for p in range(len(approved))} == {"queued"}
            with context.db.read() as session:
                article, job = session.execute(select(Job.article_id, Job.id).order_by(Job.id)).first()
            copydesk(home, "jobs", "cancel", str(job))         # and another cancels one of them
            position = screen.model.row_of(article)
            qtbot.waitUntil(lambda: screen.model.row_at(position).status == "cancelled", timeout=10_000)
        finally:
            queries.close()
        assert queries.queue_lists == 0         # news by the poll of what may have changed, never a reload
    finally:
        host.stop()
        os.killpg(owner.pid, signal.SIGKILL)
        owner.wait(timeout=10)
