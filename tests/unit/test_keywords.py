from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from engine.keywords import (
    ImportFileError,
    KeywordBook,
    KeywordError,
    keyword_key,
    normalise_keyword,
    parse_import_bytes,
    safe_link,
)
from engine.store.models import KeywordDecision, KeywordSource


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Bike lanes  ", "Bike lanes"),
    ("school\t\tboard   vote", "school board vote"),
    ("Cafe\u0301 closures", "Caf\u00e9 closures"),          # NFC
    ("ab", "ab"),
    ("x" * 200, "x" * 200),
])
def test_normalise_keeps_valid_keywords(raw: str, expected: str) -> None:
    assert normalise_keyword(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "empty"),
    ("   ", "empty"),
    ("x", "too short"),
    ("x" * 201, "too long"),
    ("bell\x07 ringer", "control"),
    ("null\x00byte", "control"),
])
def test_normalise_rejects_with_reason(raw: str, reason: str) -> None:
    with pytest.raises(KeywordError, match=reason):
        normalise_keyword(raw)


def test_key_is_case_and_form_insensitive() -> None:
    assert keyword_key(normalise_keyword("CAFE\u0301  Closures")) == keyword_key(normalise_keyword("café closures"))


def test_csv_with_header_in_any_order() -> None:
    plan = parse_import_bytes(b"notes,keyword,priority\nfrom tip line,Water rates,high\n,Library hours,\n",
                              "k.csv")
    assert plan.format == "csv"
    assert [(r.keyword, r.priority, r.notes) for r in plan.rows] == [
        ("Water rates", "high", "from tip line"), ("Library hours", "normal", None)]


def test_csv_without_header_is_positional_and_reports_bad_rows() -> None:
    data = "Water rates,high,council,budget item\nToo,many,columns,here,extra\nBus cuts,urgent\n,low\n"
    plan = parse_import_bytes(data.encode(), "k.csv")
    assert [(r.keyword, r.priority, r.source, r.notes) for r in plan.rows] == [
        ("Water rates", "high", "council", "budget item")]
    reasons = {p.position: p.reason for p in plan.rejected}
    assert set(reasons) == {2, 3, 4}
    assert "columns" in reasons[2] and "urgent" in reasons[3] and "empty" in reasons[4]


def test_csv_with_unknown_header_column_is_refused_whole() -> None:
    with pytest.raises(ImportFileError, match="unknown CSV column"):
        parse_import_bytes(b"keyword,colour\nWater rates,blue\n", "k.csv")


def test_plain_text_skips_blank_and_comment_lines() -> None:
    plan = parse_import_bytes(b"# tips from Monday\nBike lanes\n\n  Flood prep  \nx\n", "tips.txt")
    assert [(r.position, r.keyword) for r in plan.rows] == [(2, "Bike lanes"), (4, "Flood prep")]
    assert [(p.position, "too short" in p.reason) for p in plan.rejected] == [(5, True)]


RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>City Hall</title><link>https://example.org/cityhall</link>
<item><title>Council weighs &lt;b&gt;water rate&lt;/b&gt; rise</title><link>https://example.org/a</link>
<description>&lt;p&gt;Rates would rise 8% in July.&lt;/p&gt;</description></item>
<item><title>x</title><link>https://example.org/b</link></item>
<item><title>Library hours cut</title><link>https://example.org/c</link><description>Two branches close Sundays.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Transit</title><link href="https://example.org/transit"/>
<entry><title>Route 9 to end weekend service</title><link href="https://example.org/r9"/>
<summary>The agency cites a $2.1 million shortfall.</summary></entry></feed>"""


def test_rss_items_become_keywords_with_sources() -> None:
    plan = parse_import_bytes(RSS, "city.rss")
    assert plan.format == "feed" and plan.unit == "item"
    assert [r.keyword for r in plan.rows] == ["Council weighs water rate rise", "Library hours cut"]
    first = plan.rows[0]
    assert first.source == "feed:https://example.org/cityhall"
    assert first.sources[0].url == "https://example.org/a"
    assert first.sources[0].text == "Rates would rise 8% in July."
    assert [(p.position, p.text) for p in plan.rejected] == [(2, "x")]


def test_atom_feed_is_detected_by_content() -> None:
    plan = parse_import_bytes(ATOM, "download")
    assert plan.format == "feed"
    assert plan.rows[0].keyword == "Route 9 to end weekend service"
    assert "$2.1 million" in plan.rows[0].sources[0].text


@pytest.mark.parametrize(("data", "name", "reason"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "a.csv", "binary"),
    (b"caf\xe9 closures\n", "a.txt", "not UTF-8"),
    (b"<?xml version='1.0'?><rss><channel><item><title>Broken", "a.xml", "not a readable RSS/Atom feed"),
    (b"", "a.rss", "not a readable RSS/Atom feed"),
])
def test_unreadable_files_are_refused_whole(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(ImportFileError, match=reason):
        parse_import_bytes(data, name)


def test_import_file_that_cannot_be_read(tmp_path: Path, db: object) -> None:
    with pytest.raises(ImportFileError, match="cannot read"):
        KeywordBook(db).import_file(tmp_path / "missing.csv")  # type: ignore[arg-type]


def test_duplicates_against_store_and_within_file_are_skipped(db: object) -> None:
    book = KeywordBook(db)  # type: ignore[arg-type]
    book.add(["Water rates"])
    report = book.add_rows(parse_import_bytes(b"water  RATES\nBus cuts\nbus cuts\n", "k.txt").rows)
    assert [k for _p, k, _i in report.added] == ["Bus cuts"]
    assert [(s.position, s.reason) for s in report.skipped] == [
        (1, "duplicate of existing keyword #1"), (3, "duplicate of line 2")]


def test_dry_run_changes_nothing(db: object, tmp_path: Path) -> None:
    book = KeywordBook(db)  # type: ignore[arg-type]
    path = tmp_path / "k.txt"
    path.write_text("Bike lanes\nFlood prep\n")
    report = book.import_file(path, dry_run=True)
    assert report.dry_run and len(report.added) == 2
    assert book.list() == []


def test_decisions_are_recorded_and_audited(db: object) -> None:
    book = KeywordBook(db)  # type: ignore[arg-type]
    book.add(["Water rates", "Bus cuts"])
    decisions, missing = book.decide([1, 2, 99], "approved", editor="ana")
    assert [(d.keyword_id, d.from_status) for d in decisions] == [(1, "pending"), (2, "pending")]
    assert missing == [99]
    book.decide([1], "rejected", editor="ben", reason="covered last week")
    row = book.list(ids=[1])[0]
    assert (row.approval_status, row.decided_by, row.decision_reason) == ("rejected", "ben", "covered last week")
    assert row.decided_at is not None and row.decided_at.tzinfo is not None
    with db.read() as session:  # type: ignore[attr-defined]
        trail = session.execute(select(KeywordDecision.keyword_id, KeywordDecision.from_status,
                                       KeywordDecision.to_status, KeywordDecision.editor)
                                .order_by(KeywordDecision.id)).all()
    assert trail == [(1, "pending", "approved", "ana"), (2, "pending", "approved", "ana"),
                     (1, "approved", "rejected", "ben")]


def test_list_filters_by_status_and_search(db: object) -> None:
    book = KeywordBook(db)  # type: ignore[arg-type]
    book.add(["Water rates", "Bus cuts", "Water main breaks"])
    book.decide([2], "approved", editor="ana")
    assert [r.keyword for r in book.list(search="WATER")] == ["Water rates", "Water main breaks"]
    assert [r.keyword for r in book.list(status="approved")] == ["Bus cuts"]
    assert book.counts() == {"pending": 2, "approved": 1, "rejected": 0, "all": 3}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=600),
    st.text(max_size=600).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.text(max_size=60), max_size=12).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")),
    st.lists(st.lists(st.text(max_size=30), max_size=6), max_size=8).map(
        lambda rows: "\n".join(",".join(cells) for cells in rows).encode("utf-8", "surrogatepass")),
), name=st.sampled_from(["k.csv", "k.txt", "k.rss", "k"]))
def test_importer_never_crashes_nor_stores_invalid_or_duplicate(db: object, data: bytes, name: str) -> None:
    book = KeywordBook(db)  # type: ignore[arg-type]
    try:
        plan = parse_import_bytes(data, name)
    except ImportFileError:
        return
    book.add_rows(plan.rows, fmt=plan.format, rejected=plan.rejected)
    with db.read() as session:  # type: ignore[attr-defined]
        keywords = session.scalars(select(KeywordSource.keyword)).all()
        distinct = session.scalar(select(func.count(func.distinct(KeywordSource.keyword_key))))
    assert distinct == len(keywords)
    for keyword in keywords:
        assert normalise_keyword(keyword) == keyword


@pytest.mark.parametrize(("url", "kept"), [
    ("https://example.org/a?b=1", True), ("HTTP://example.org", True), ("http://", False),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), ("file:///etc/passwd", False),
    ("smb://host/share", False), ("data:text/html,x", False), ("//example.org/a", False),
    ("https://exa mple.org", False), ("https://example.org/\u202e", False), ("", False), (None, False),
])
def test_only_http_links_with_a_host_are_kept(url: str | None, kept: bool) -> None:
    assert (safe_link(url) is not None) is kept


def test_joiners_are_allowed_but_not_part_of_the_duplicate_key() -> None:
    assert normalise_keyword("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == \
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"   # Persian needs the zero-width non-joiner
    assert keyword_key("Wa\u200dter rates") == keyword_key("water rates")
    for hidden in ("\u200b", "\u2060", "\ufeff", "\u202e", "\u2066"):
        with pytest.raises(KeywordError, match="invisible character"):
            normalise_keyword(f"Water{hidden} rates")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf_16_needs_its_bom(encoding: str) -> None:
    text = "keyword\nCaf\u00e9 closures\n"
    data = text.encode(encoding)
    if encoding == "utf-16":
        assert [r.keyword for r in parse_import_bytes(data, "k.csv").rows] == ["Caf\u00e9 closures"]
    else:  # without a BOM the bytes are not guessed at
        with pytest.raises(ImportFileError, match="binary"):
            parse_import_bytes(data, "k.csv")
