"""The keyword workflow through the real `copydesk` command, on a temporary --home."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from tests.conftest import CLI


def test_add_list_and_json_fields(cli: CLI) -> None:
    result = cli("keywords", "add", "Water rates", "  water   RATES ", "x", "--priority", "high",
                 "--source", "tipline", "--notes", "from Monday's call", check=True)
    assert "Added 1, skipped 1" in result.stdout and "too short" in result.stdout
    rows = cli.json("keywords", "list")
    assert len(rows) == 1
    row = rows[0]
    assert {"id", "keyword", "priority", "source", "approval_status", "decided_by", "decided_at",
            "created_at", "source_count"} <= set(row)
    assert (row["keyword"], row["priority"], row["source"], row["approval_status"]) == (
        "Water rates", "high", "tipline", "pending")


def test_home_option_is_accepted_after_the_subcommand(home: Path) -> None:
    other = CLI(home)
    result = other("keywords", "list", "--json", check=True)
    assert result.stdout.strip() == "[]"
    assert (home / "copydesk.db").exists() and (home / "logs" / "copydesk.log").exists()
    assert (home / "exports").is_dir()


def test_import_reports_rows_and_duplicates(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "topics.csv"
    path.write_text("keyword,priority,source,notes\nBus cuts,high,transit desk,\nbus CUTS,,,\n"
                    "Library hours,sometimes,,\n,low,,\nFlood prep,low,,after the storm\n", encoding="utf-8")
    report = cli.json("keywords", "import", str(path))
    assert [a["keyword"] for a in report["added"]] == ["Bus cuts", "Flood prep"]
    assert [(s["line"], s["reason"]) for s in report["skipped"]] == [(3, "duplicate of line 2")]
    assert sorted(r["line"] for r in report["rejected"]) == [4, 5]
    again = cli.json("keywords", "import", str(path))
    assert again["added"] == [] and len(again["skipped"]) == 3


def test_import_dry_run_changes_nothing(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "topics.txt"
    path.write_text("Bike lanes\nHeat wave\n", encoding="utf-8")
    result = cli("keywords", "import", str(path), "--dry-run", check=True)
    assert "Would add 2" in result.stdout
    assert cli.json("keywords", "list") == []


def test_unparseable_file_changes_nothing_and_says_why(cli: CLI, tmp_path: Path) -> None:
    cli("keywords", "add", "Water rates", check=True)
    database = cli.home / "copydesk.db"
    before = sqlite3.connect(database).execute("SELECT count(*) FROM keyword_sources").fetchone()
    bad = tmp_path / "broken.rss"
    bad.write_bytes(b"<?xml version='1.0'?><rss><channel><item><title>Half a feed")
    result = cli("keywords", "import", str(bad))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a readable RSS/Atom feed" in lines[0]
    missing = cli("keywords", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode != 0 and "cannot read" in missing.stderr
    after = sqlite3.connect(database).execute("SELECT count(*) FROM keyword_sources").fetchone()
    assert before == after


def test_feed_import_attaches_sources(cli: CLI, tmp_path: Path) -> None:
    feed = tmp_path / "city.xml"
    feed.write_text("""<?xml version="1.0"?><rss version="2.0"><channel><title>City</title>
<link>https://example.org/city</link>
<item><title>Council delays budget vote</title><link>https://example.org/1</link>
<description>The vote moves to June 4.</description></item></channel></rss>""", encoding="utf-8")
    report = cli.json("keywords", "import", str(feed))
    keyword_id = report["added"][0]["id"]
    rows = cli.json("keywords", "list")
    assert rows[0]["source"] == "feed:https://example.org/city" and rows[0]["source_count"] == 1
    sources = cli.json("keywords", "sources", "list", str(keyword_id))
    assert sources[0]["url"] == "https://example.org/1" and sources[0]["text"] == "The vote moves to June 4."


def test_approve_reject_and_redecide_are_audited(cli: CLI) -> None:
    cli("keywords", "add", "Water rates", "Bus cuts", "Heat wave", check=True)
    approved = cli.json("keywords", "approve", "--all-pending", "--editor", "ana")
    assert len(approved["decided"]) == 3 and approved["editor"] == "ana"
    rejected = cli.json("keywords", "reject", "2", "--reason", "ran last week", "--editor", "ben")
    assert rejected["decided"] == [{"keyword_id": 2, "keyword": "Bus cuts", "from_status": "approved",
                                    "to_status": "rejected"}]
    row = {r["id"]: r for r in cli.json("keywords", "list")}[2]
    assert (row["approval_status"], row["decided_by"]) == ("rejected", "ben") and row["decided_at"]
    audit = sqlite3.connect(cli.home / "copydesk.db").execute(
        "SELECT from_status, to_status, editor, reason FROM keyword_decisions WHERE keyword_id = 2 ORDER BY id"
    ).fetchall()
    assert audit == [("pending", "approved", "ana", None), ("approved", "rejected", "ben", "ran last week")]
    pending = cli.json("keywords", "list", "--status", "approved")
    assert [r["keyword"] for r in pending] == ["Water rates", "Heat wave"]


def test_approve_needs_ids_and_unknown_ids_fail(cli: CLI) -> None:
    assert cli("keywords", "approve").returncode == 2
    result = cli("keywords", "approve", "42")
    assert result.returncode == 1 and "no keyword with id 42" in result.stderr


def test_sources_add_text_and_file(cli: CLI, tmp_path: Path) -> None:
    cli("keywords", "add", "Water rates", check=True)
    note = tmp_path / "memo.md"
    note.write_text("The utility proposes an 8% increase from July 1.", encoding="utf-8")
    cli("keywords", "sources", "add", "1", "--file", str(note), check=True)
    cli("keywords", "sources", "add", "1", "--text", "Residents object.", "--title", "Letters", check=True)
    titles = [s["title"] for s in cli.json("keywords", "sources", "list", "1")]
    assert titles == ["memo", "Letters"]
    result = cli("keywords", "sources", "add", "9", "--text", "x y z")
    assert result.returncode == 1 and "no keyword with id 9" in result.stderr


def test_demo_is_idempotent(cli: CLI) -> None:
    first = cli.json("demo")
    assert first["added"] >= 10 and first["approved"] >= 3
    second = cli.json("demo")
    assert second["added"] == 0 and second["already_present"] == first["added"]
    rows = cli.json("keywords", "list")
    assert len(rows) == first["added"] and all(2 <= r["source_count"] <= 3 for r in rows)


def test_newer_database_is_refused_with_one_line(cli: CLI) -> None:
    cli("keywords", "list", check=True)
    database = cli.home / "copydesk.db"
    raw = sqlite3.connect(database)
    with raw:
        raw.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    raw.close()  # checkpoints the WAL, so the file on disk is the whole database
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    result = cli("keywords", "list")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "newer Copydesk" in result.stderr
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
