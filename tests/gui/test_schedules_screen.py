"""The Schedules screen: add a feed schedule, see its next runs, Run now, see the new keywords;
a generate_approved schedule run from the screen queues the batch; pause stops its next run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from app.context import AppContext
from engine.keywords import KeywordBook
from engine.operations import keywords as keyword_operations
from engine.schedules import feeds
from engine.store.models import AIArticle
from tests.fakes.feed_server import FeedServer
from ui.main_window import MainWindow
from ui.screens.schedules import SchedulesScreen


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    monkeypatch.setenv(feeds.ALLOW_PRIVATE_ENV, "1")   # the feed is served from 127.0.0.1
    with FeedServer() as running:
        running.items = [{"title": "Harbour ferry strike", "link": "https://wire.example/9", "guid": "w9",
                          "summary": "Talks resume Monday."}]
        yield running


def _open(window: MainWindow) -> SchedulesScreen:
    titles = [window.sidebar.item(row).text() for row in range(window.sidebar.count())]
    window.sidebar.setCurrentRow(titles.index("Schedules"))
    screen = window.current_screen()
    assert isinstance(screen, SchedulesScreen)
    return screen


def test_add_a_feed_see_its_next_runs_run_now_and_see_the_keywords(
        qtbot, make_window: Callable[[], MainWindow], context: AppContext, server: FeedServer) -> None:
    screen = _open(make_window())
    qtbot.waitUntil(lambda: screen.loads >= 1)
    screen.when.setText("0 25 * * *")
    assert "invalid cron expression" in screen.preview.text() and not screen.save_button.isEnabled()
    screen.when.setText("30 6 * * 1-5")
    screen.zone.setText("Europe/Paris")
    runs = screen.preview.text().splitlines()
    assert len(runs) == 5 and all("06:30 CE" in run for run in runs)
    assert not any(run.startswith(("Sat", "Sun")) for run in runs)

    screen.name.setText("Agency wire")
    screen.kind.setCurrentIndex(screen.kind.findData("poll_feed"))
    screen.url.setText(server.url)
    screen.save_button.click()
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1)
    assert screen.table.item(0, 4).text() == "never run"

    screen.table.selectRow(0)
    assert screen.run_action.isEnabled()
    with qtbot.waitSignal(screen.announced, check_params_cb=lambda text: "1 new keyword" in text):
        screen.run_action.trigger()
    assert [k.keyword for k in KeywordBook(context.db).list(status="pending")] == ["Harbour ferry strike"]
    qtbot.waitUntil(lambda: screen.table.item(0, 4).text().startswith("ok: 1 new keyword"))

    screen.pause_action.trigger()
    qtbot.waitUntil(lambda: screen.table.item(0, 3).text() == "paused")


def test_run_now_queues_the_approved_batch(qtbot, make_window: Callable[[], MainWindow],
                                           context: AppContext) -> None:
    book = KeywordBook(context.db)
    ids = [kid for _pos, _kw, kid in book.add(["Bus cuts", "Library hours"]).added]
    keyword_operations.decide(book, ids, "approved", editor="test")
    screen = _open(make_window())
    screen.name.setText("Morning batch")
    screen.kind.setCurrentIndex(screen.kind.findData("generate_approved"))
    screen.mode.setCurrentIndex(screen.mode.findData("interval"))
    screen.when.setText("1h")
    screen.save_button.click()
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1)
    screen.table.selectRow(0)
    with qtbot.waitSignal(screen.announced, check_params_cb=lambda text: "queued 2 articles" in text):
        screen.run_action.trigger()
    with context.db.read() as session:
        assert len(session.scalars(select(AIArticle)).all()) == 2
