"""poll_feed against a real local HTTP server whose feed changes between polls.

New items become pending keywords exactly once (an edited item keeps its guid
and is not a new topic), a 304 adds nothing, and every failure (500, time-out,
50 MB body, malformed XML, redirects) is recorded on the schedule and changes
nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.keywords import KeywordBook
from engine.schedules import feeds
from engine.schedules.book import ScheduleBook, ScheduleError
from engine.schedules.firing import fire_due, run_schedule
from engine.schedules.timing import Timing
from engine.store.models import KeywordSource, Source
from tests.fakes.feed_server import FeedServer


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    monkeypatch.setenv(feeds.ALLOW_PRIVATE_ENV, "1")   # the feed is served from 127.0.0.1
    with FeedServer() as running:
        yield running


def _item(n: int, title: str | None = None) -> dict[str, str]:
    return {"title": title or f"Topic number {n}", "link": f"https://wire.example/{n}",
            "guid": f"wire-{n}", "summary": f"<p>Summary <b>{n}</b></p>"}


def _counts(db: object) -> tuple[int, int]:
    with db.read() as session:  # type: ignore[attr-defined]
        return (session.scalar(select(func.count()).select_from(KeywordSource)),
                session.scalar(select(func.count()).select_from(Source)))


def test_a_changing_feed_adds_each_item_once_and_records_every_failure(db: object, server: FeedServer,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "TIMEOUT_S", 0.5)
    monkeypatch.setattr(feeds, "MAX_FEED_BYTES", 2 * 1024 * 1024)
    server.items = [_item(1), _item(2)]
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    book = ScheduleBook(db, now=lambda: now)  # type: ignore[arg-type]
    schedule = book.add("wire", "poll_feed", {"url": server.url}, Timing(None, 300, "UTC"))
    assert server.requests[-1]["user-agent"].startswith("Copydesk/")   # the probe when added
    assert _counts(db) == (0, 0)                                        # the probe imports nothing

    def poll() -> tuple[bool, str]:
        outcome = run_schedule(db, schedule.id, now=now)  # type: ignore[arg-type]
        assert outcome is not None
        return outcome.ok, outcome.message

    assert poll() == (True, "2 new keywords from 2 items")
    rows = KeywordBook(db).list()  # type: ignore[arg-type]
    assert sorted(r.keyword for r in rows) == ["Topic number 1", "Topic number 2"]
    assert {r.approval_status for r in rows} == {"pending"}
    with db.read() as session:  # type: ignore[attr-defined]
        source = session.scalar(select(Source).where(Source.url == "https://wire.example/1"))
        assert source is not None and source.text == "Summary 1"

    assert poll() == (True, "not modified since the last poll")
    assert server.requests[-1]["if-none-match"]

    server.items = [_item(1, "Topic number 1, updated headline"), _item(2), _item(3)]
    assert poll() == (True, "1 new keyword from 3 items")
    assert _counts(db) == (3, 3)

    for mode, reason in [("error", "HTTP 500"), ("slow", "did not answer within"),
                         ("huge", "larger than 2 MB"), ("malformed", "not a readable RSS/Atom feed"),
                         ("redirect-loop", "redirected more than 3 times"),
                         ("redirect-file", "must be http:// or https://")]:
        server.mode = mode
        server.slow_s = 2.0
        ok, message = poll()
        assert not ok and reason in message, (mode, message)
        assert "\n" not in message
        after = book.get("wire")
        assert (after.last_outcome, after.interval_s, after.enabled) == ("failed", 300, True)
        assert _counts(db) == (3, 3)

    server.mode = "feed"
    server.items.append(_item(4))
    assert poll() == (True, "1 new keyword from 4 items")
    assert book.get("wire").last_outcome == "ok"


def test_private_addresses_are_refused_unless_allowed(db: object, server: FeedServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    server.items = [_item(1)]
    monkeypatch.delenv(feeds.ALLOW_PRIVATE_ENV)
    with pytest.raises(feeds.FeedFetchError, match="private or local address"):
        feeds.fetch_feed(server.url)
    with pytest.raises(ScheduleError, match="private or local address"):
        ScheduleBook(db).add("wire", "poll_feed", {"url": server.url}, Timing(None, 300, "UTC"))  # type: ignore[arg-type]
    assert ScheduleBook(db).list() == [] and server.requests == []  # type: ignore[arg-type]
    assert feeds.fetch_feed(server.url, allow_private=True).status == 200


def test_the_engine_duty_polls_due_feeds_once(db: object, server: FeedServer) -> None:
    server.items = [_item(1)]
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    ScheduleBook(db, now=lambda: start).add("wire", "poll_feed", {"url": server.url},  # type: ignore[arg-type]
                                            Timing("*/5 * * * *", None, "Europe/Paris"))
    later = start + timedelta(hours=3)
    assert [o.message for o in fire_due(db, now=later)] == ["1 new keyword from 1 item"]  # type: ignore[arg-type]
    assert fire_due(db, now=later) == []  # type: ignore[arg-type]
    assert _counts(db) == (1, 1)


def test_a_running_engine_fires_a_due_feed_schedule(db: object, server: FeedServer) -> None:
    import time

    from engine.execution.dispatcher import Dispatcher
    from engine.execution.settings import EngineSettings

    server.items = [_item(7)]
    yesterday = datetime.now(UTC) - timedelta(days=1)
    ScheduleBook(db, now=lambda: yesterday).add("wire", "poll_feed", {"url": server.url},  # type: ignore[arg-type]
                                                Timing(None, 3600, "UTC"))
    dispatcher = Dispatcher(db, EngineSettings(workers=1, slots=1), poll_s=0.02)  # type: ignore[arg-type]
    dispatcher.start()
    try:
        deadline = time.monotonic() + 60
        while ScheduleBook(db).get("wire").last_outcome is None and time.monotonic() < deadline:  # type: ignore[arg-type]
            time.sleep(0.05)
    finally:
        dispatcher.stop(graceful=False)
    row = ScheduleBook(db).get("wire")  # type: ignore[arg-type]
    assert (row.last_outcome, row.last_message) == ("ok", "1 new keyword from 1 item")
    assert row.next_run_at is not None and row.next_run_at > datetime.now(UTC)
    assert _counts(db) == (1, 1)
