"""Schedules: timing in named zones (DST), catch-up once after a night asleep, one run per claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.keywords import KeywordBook
from engine.operations import keywords as keyword_operations
from engine.schedules.book import ScheduleBook, ScheduleError
from engine.schedules.firing import fire_due, run_schedule
from engine.schedules.timing import Timing, TimingError, check_cron, parse_interval
from engine.store.models import AIArticle, Schedule

PARIS = ZoneInfo("Europe/Paris")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_cron_in_a_named_zone_keeps_local_time_across_both_dst_changes() -> None:
    morning = Timing("0 6 * * *", None, "Europe/Paris")
    spring = morning.next_runs(datetime(2026, 3, 27, 12, tzinfo=UTC), 3)
    assert [r.astimezone(PARIS).hour for r in spring] == [6, 6, 6]
    assert [r.hour for r in spring] == [5, 4, 4]      # UTC+1 until 29 March, then UTC+2
    autumn = morning.next_runs(datetime(2026, 10, 23, 12, tzinfo=UTC), 2)
    assert [r.hour for r in autumn] == [4, 5]        # 24 October in summer time, 25 October back to UTC+1


def test_a_time_skipped_by_the_spring_change_runs_once_at_the_first_minute_that_exists() -> None:
    night = Timing("30 2 * * *", None, "Europe/Paris")
    runs = night.next_runs(datetime(2026, 3, 28, 12, tzinfo=UTC), 2)
    assert runs[0].astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 0)
    assert runs[1].astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 3, 30, 2, 30)


def test_a_time_repeated_by_the_autumn_change_runs_once() -> None:
    night = Timing("30 2 * * *", None, "Europe/Paris")
    runs = night.next_runs(datetime(2026, 10, 24, 12, tzinfo=UTC), 2)
    assert runs[1] - runs[0] == timedelta(hours=25)   # one 02:30 on the 25th, the next on the 26th


@pytest.mark.parametrize("bad", ["* * *", "61 * * * *", "0 25 * * *", "every day", ""])
def test_invalid_cron_is_one_line(bad: str) -> None:
    with pytest.raises(TimingError) as caught:
        check_cron(bad)
    assert "\n" not in str(caught.value)


def test_intervals_and_zones_are_checked() -> None:
    assert parse_interval("15m") == 900 and parse_interval("2h") == 7200
    for bad in ("10s", "5 minutes", "m15"):
        with pytest.raises(TimingError):
            parse_interval(bad)
    with pytest.raises(TimingError, match="unknown time zone"):
        Timing("0 6 * * *", None, "Mars/Olympus")


def _approved_keywords(db: object, *texts: str) -> None:
    book = KeywordBook(db)  # type: ignore[arg-type]
    ids = [kid for _pos, _kw, kid in book.add(list(texts)).added]
    keyword_operations.decide(book, ids, "approved", editor="test")


def test_a_schedule_missed_over_a_night_runs_once_on_wake(db: object) -> None:
    clock = Clock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    book = ScheduleBook(db, now=clock)  # type: ignore[arg-type]
    schedule = book.add("hourly batch", "generate_approved", {}, Timing("0 * * * *", None, "UTC"))
    assert schedule.next_run_at == datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    _approved_keywords(db, "Bus cuts", "Library hours")

    clock.now = datetime(2026, 12, 2, 7, 10, tzinfo=UTC)   # asleep through ten runs
    outcomes = fire_due(db, now=clock.now)  # type: ignore[arg-type]
    assert [(o.ok, o.result["queued"]) for o in outcomes] == [(True, 2)]
    assert fire_due(db, now=clock.now) == []  # type: ignore[arg-type]
    after = book.get("hourly batch")
    assert after.next_run_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert (after.last_outcome, after.last_run_at) == ("ok", clock.now)
    with db.read() as session:  # type: ignore[attr-defined]
        assert len(session.scalars(select(AIArticle)).all()) == 2

    clock.now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    again = fire_due(db, now=clock.now)  # type: ignore[arg-type]
    assert [o.message for o in again] == ["no approved keyword is waiting for an article"]


def test_generate_approved_respects_the_count_cap(db: object) -> None:
    clock = Clock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    book = ScheduleBook(db, now=clock)  # type: ignore[arg-type]
    book.add("morning", "generate_approved", {"max_count": 1}, Timing(None, 3600, "UTC"))
    _approved_keywords(db, "Bus cuts", "Library hours")
    outcome = run_schedule(db, book.get("morning").id, now=clock.now)  # type: ignore[arg-type]
    assert outcome is not None and outcome.result["queued"] == 1


def test_a_held_lease_or_a_moved_next_run_stops_a_second_engine(db: object) -> None:
    clock = Clock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    book = ScheduleBook(db, now=clock)  # type: ignore[arg-type]
    row = book.add("batch", "generate_approved", {}, Timing(None, 3600, "UTC"))
    clock.now += timedelta(hours=2)
    with db.write() as session:  # type: ignore[attr-defined]
        session.get(Schedule, row.id).lease_owner = "engine-a"
        session.get(Schedule, row.id).lease_expires_at = clock.now + timedelta(minutes=1)
    assert fire_due(db, now=clock.now, owner="engine-b") == []  # type: ignore[arg-type]
    # Engine A read the same due run before B claimed it: B's claim moved next_run_at, so A's fails.
    with db.write() as session:  # type: ignore[attr-defined]
        session.get(Schedule, row.id).lease_expires_at = None
    due_at = book.get("batch").next_run_at
    assert run_schedule(db, row.id, now=clock.now, owner="b", due_at=due_at) is not None  # type: ignore[arg-type]
    assert run_schedule(db, row.id, now=clock.now, owner="a", due_at=due_at) is None  # type: ignore[arg-type]


def test_pause_stops_the_next_run_and_resume_starts_from_now(db: object) -> None:
    clock = Clock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    book = ScheduleBook(db, now=clock)  # type: ignore[arg-type]
    book.add("batch", "generate_approved", {}, Timing(None, 3600, "UTC"))
    assert book.set_enabled("batch", False).next_run_at is None
    clock.now += timedelta(hours=5)
    assert fire_due(db, now=clock.now) == []  # type: ignore[arg-type]
    assert book.set_enabled("batch", True).next_run_at == clock.now + timedelta(hours=1)


def test_bad_requests_change_nothing(db: object) -> None:
    book = ScheduleBook(db, probe=None)  # type: ignore[arg-type]
    book.add("batch", "generate_approved", {}, Timing(None, 3600, "UTC"))
    for call in (lambda: book.add("batch", "generate_approved", {}, Timing(None, 3600, "UTC")),
                 lambda: book.add("feed", "poll_feed", {"url": "file:///etc/passwd"}, Timing(None, 3600, "UTC")),
                 lambda: book.add("feed", "poll_feed", {}, Timing(None, 3600, "UTC")),
                 lambda: book.add("x", "recheck_published", {"days": 0}, Timing(None, 3600, "UTC")),
                 lambda: book.add("x", "send_email", {}, Timing(None, 3600, "UTC")),
                 lambda: book.edit("nope", args={"max_count": 2})):
        with pytest.raises(ScheduleError) as caught:
            call()
        assert "\n" not in str(caught.value)
    assert [s.name for s in book.list()] == ["batch"]


def test_the_engine_duty_starts_a_round_only_when_something_is_due(db: object) -> None:
    from engine.schedules.firing import ScheduleFirer

    clock = Clock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    firer = ScheduleFirer(db, clock=clock)  # type: ignore[arg-type]
    firer.tick()
    assert firer._thread is None                        # nothing scheduled: no thread
    ScheduleBook(db, now=clock).add("batch", "generate_approved", {}, Timing(None, 3600, "UTC"))  # type: ignore[arg-type]
    firer.tick()
    assert firer._thread is None                        # not due yet
    _approved_keywords(db, "Bus cuts")
    clock.now += timedelta(hours=1)
    firer.tick()
    firer.join(timeout=60)
    row = ScheduleBook(db).get("batch")  # type: ignore[arg-type]
    assert row.last_outcome == "ok" and (row.last_message or "").startswith("queued 1 article (batch ")
    assert row.next_run_at == clock.now + timedelta(hours=1)


def test_recheck_published_queues_checks_for_recent_published_articles_once(db: object) -> None:
    from engine.store.models import AIGenerationConfig, Job, KeywordSource

    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    with db.write() as session:  # type: ignore[attr-defined]
        config_id = session.scalar(select(AIGenerationConfig.id))
        keyword = KeywordSource(keyword="Bus cuts", keyword_key="bus cuts", approval_status="approved")
        session.add(keyword)
        session.flush()
        for days, review in ((2, "published"), (30, "published"), (1, "approved")):
            session.add(AIArticle(keyword_id=keyword.id, config_id=config_id, status="completed", body="Text.",
                                  review_status=review, published_at=now - timedelta(days=days)))
    book = ScheduleBook(db, now=lambda: now)  # type: ignore[arg-type]
    schedule = book.add("nightly", "recheck_published", {"days": 7}, Timing("0 2 * * *", None, "UTC"))
    first = run_schedule(db, schedule.id, now=now)  # type: ignore[arg-type]
    assert first is not None and first.result["queued"] == 1
    second = run_schedule(db, schedule.id, now=now)  # type: ignore[arg-type]
    assert second is not None and second.result["queued"] == 0   # its check still waits
    with db.read() as session:  # type: ignore[attr-defined]
        assert [j.kind for j in session.scalars(select(Job))] == ["run_quality_checks"]
