"""A window that opened as a viewer becomes the engine when the process running it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest
from sqlalchemy import select

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from app.engine_host import EngineHost, Owner, Viewer
from engine.execution.queue import ENGINE_LEASE
from engine.execution.settings import EngineSettings
from engine.execution.tasks import batch_generate_articles
from engine.store.models import AIArticle, EngineLease
from tests.conftest import REPO
from tests.pipeline_helpers import seed

pytestmark = pytest.mark.slow


def test_viewer_window_takes_over_after_the_engine_process_is_killed(qtbot, context: AppContext,
                                                                     ops: BackgroundOps) -> None:
    articles = batch_generate_articles(context.db, seed(context.db)[:2], EngineSettings()).article_ids
    # The engine's owner: a `copydesk worker` kept busy by a queue that is paused.
    context_home = str(context.home.root)
    subprocess.run([sys.executable, "-m", "app", "--home", context_home, "jobs", "pause"], cwd=REPO, check=True,
                   capture_output=True)
    owner = subprocess.Popen([sys.executable, "-m", "app", "--home", context_home, "worker", "--workers", "1"],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    host = None
    try:
        def leased() -> bool:
            with context.db.read() as session:
                lease = session.get(EngineLease, ENGINE_LEASE)
                return lease is not None and lease.pid == owner.pid

        qtbot.waitUntil(leased, timeout=30000)
        host = EngineHost(context, ops, EngineBridge(), settings=EngineSettings(workers=1, slots=4))
        with qtbot.waitSignal(host.mode_changed, timeout=10000) as attached:
            host.start()
        assert isinstance(attached.args[0], Viewer) and not host.is_engine

        os.killpg(owner.pid, signal.SIGKILL)
        owner.wait(timeout=10)
        with qtbot.waitSignal(host.mode_changed, timeout=15000) as took_over:
            pass
        assert took_over.args == [Owner()] and host.is_engine and host.mode == Owner()

        subprocess.run([sys.executable, "-m", "app", "--home", context_home, "jobs", "resume"], cwd=REPO,
                       check=True, capture_output=True)

        def all_completed() -> bool:
            with context.db.read() as session:
                return set(session.scalars(select(AIArticle.status).where(AIArticle.id.in_(articles)))) == {
                    "completed"}

        qtbot.waitUntil(all_completed, timeout=90000)
    finally:
        if owner.poll() is None:
            os.killpg(owner.pid, signal.SIGKILL)
            owner.wait(timeout=10)
        if host is not None:
            host.stop()
    workers = [p for p in psutil.Process().children(recursive=True) if "spawn_main" in " ".join(p.cmdline())
               and p.status() != psutil.STATUS_ZOMBIE]
    assert not workers
