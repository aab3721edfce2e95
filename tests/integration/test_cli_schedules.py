"""`copydesk schedules ...` as a subprocess against a real data home and a local feed server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import CLI
from tests.fakes.feed_server import FeedServer

LOCAL = {"COPYDESK_ALLOW_PRIVATE_FEEDS": "1"}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        running.items = [{"title": "Water main break on Elm", "link": "https://wire.example/1", "guid": "w1",
                          "summary": "Crews on site."}]
        yield running


def test_add_list_run_pause_resume_edit_remove(cli: CLI, server: FeedServer) -> None:
    added = cli.json("schedules", "add", "wire", "--kind", "poll_feed", "--url", server.url, "--every", "15m",
                     env=LOCAL)
    assert (added["kind"], added["interval_s"], added["enabled"], len(added["next_runs"])) == (
        "poll_feed", 900, True, 5)
    assert cli.json("keywords", "list") == []          # adding checks the feed, imports nothing

    ran = cli.json("schedules", "run", "wire", env=LOCAL)
    assert (ran["ok"], ran["added"]) == (True, 1)
    assert [k["keyword"] for k in cli.json("keywords", "list", "--status", "pending")] == ["Water main break on Elm"]
    assert cli.json("schedules", "run", "wire", env=LOCAL)["not_modified"] is True
    assert len(cli.json("keywords", "list")) == 1

    listed = cli.json("schedules", "list")
    assert [(s["name"], s["last_outcome"]) for s in listed] == [("wire", "ok")]
    assert cli.json("schedules", "pause", "wire")["next_run_at"] is None
    assert cli.json("schedules", "resume", str(added["id"]))["next_run_at"] is not None
    edited = cli.json("schedules", "edit", "wire", "--cron", "*/10 6-22 * * *", "--timezone", "Europe/Berlin")
    assert (edited["cron"], edited["interval_s"], edited["timezone"]) == ("*/10 6-22 * * *", None, "Europe/Berlin")
    assert cli.json("schedules", "remove", "wire")["removed"]["name"] == "wire"
    assert cli.json("schedules", "list") == []


@pytest.mark.parametrize("args, message", [
    (["--kind", "generate_approved", "--cron", "0 25 * * *"], "invalid cron expression"),
    (["--kind", "generate_approved", "--cron", "0 6 * *"], "five fields"),
    (["--kind", "generate_approved", "--every", "10s"], "at least 1 minute"),
    (["--kind", "generate_approved", "--every", "1h", "--timezone", "Nowhere/City"], "unknown time zone"),
    (["--kind", "poll_feed", "--url", "file:///etc/passwd", "--every", "1h"], "http:// or https://"),
    (["--kind", "poll_feed", "--url", "ftp://x.example/feed", "--every", "1h"], "http:// or https://"),
    (["--kind", "poll_feed", "--url", "http://127.0.0.1:1/feed.xml", "--every", "1h"], "private or local"),
    (["--kind", "recheck_published", "--days", "0", "--every", "1d"], "days must be at least 1"),
    (["--kind", "generate_approved", "--url", "https://x.example/", "--every", "1h"], "takes no url"),
])
def test_bad_input_is_one_line_and_changes_nothing(cli: CLI, args: list[str], message: str) -> None:
    result = cli("schedules", "add", "bad", *args)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("copydesk: error:") and message in lines[0], result.stderr
    assert cli.json("schedules", "list") == []


def test_an_unreachable_feed_is_refused_when_added(cli: CLI, server: FeedServer) -> None:
    server.mode = "error"
    result = cli("schedules", "add", "wire", "--kind", "poll_feed", "--url", server.url, "--every", "1h", env=LOCAL)
    assert result.returncode == 1 and "HTTP 500" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert cli.json("schedules", "list") == []
    missing = cli("schedules", "run", "nope")
    assert missing.returncode == 1 and "no schedule 'nope'" in missing.stderr
