"""Issue 15: a fuzz over CSV, text and feed bytes. Every line (or feed item) the parser sees
is either stored or reported (added, skipped or rejected, by number); a file refused whole
changes nothing; nothing else is ever raised."""

from __future__ import annotations

import codecs
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from engine.keywords import ImportFileError, KeywordBook, html_to_text, parse_import_bytes
from engine.store.db import Database
from engine.store.models import KeywordSource

# Characters that make CSV and text imports interesting, mixed with any others.
TRICKY = st.sampled_from(['"', "'", ",", ";", "\t", "#", " ", "\r", "\u200b", "\u202e", "é", "\x00"])
CELL_TEXT = st.one_of(
    st.text(alphabet=st.one_of(TRICKY, st.characters(blacklist_categories=("Cs",))), max_size=30),
    st.sampled_from(["keyword", "Keyword", '"Water rates', "# note", "#MeToo rally", '""', "high"]))
LINES = st.lists(CELL_TEXT, max_size=15)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom"])


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be", "surrogatepass")
    return text.encode(encoding, "surrogatepass")


def stored(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count(KeywordSource.id))) or 0


def import_and_account(db: Database, data: bytes, name: str) -> set[int] | None:
    """The numbers the report names, or None when the file was refused (and nothing changed)."""
    before = stored(db)
    try:
        plan = parse_import_bytes(data, name)
    except ImportFileError as error:
        assert str(error) and "\n" not in str(error)
        assert stored(db) == before
        return None
    report = KeywordBook(db).add_plan(plan)
    assert stored(db) == before + len(report.added)
    return ({position for position, _keyword, _id in report.added}
            | {problem.position for problem in report.skipped + report.rejected})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, encoding=ENCODINGS)
def test_every_text_line_is_stored_or_reported(db: Database, lines: list[str], encoding: str) -> None:
    text = "\n".join(lines)
    accounted = import_and_account(db, encode(text, encoding), "tips.txt")
    if accounted is None:
        return
    seen = {number for number, line in enumerate(text.splitlines(), start=1) if line.strip()}
    assert seen <= accounted, sorted(seen - accounted)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL_TEXT, min_size=1, max_size=5), max_size=12), delimiter=st.sampled_from(",;\t"),
       header=st.booleans(), encoding=ENCODINGS)
def test_every_csv_line_is_stored_or_reported(db: Database, rows: list[list[str]], delimiter: str, header: bool,
                                              encoding: str) -> None:
    text = "\n".join(delimiter.join(cells) for cells in ([["keyword", "priority"]] if header else []) + rows)
    accounted = import_and_account(db, encode(text, encoding), "topics.csv")
    if accounted is None:
        return
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # Blank to the reader: only whitespace, delimiters and quotes (every cell empty once trimmed).
    seen = [number for number, line in enumerate(lines, start=1)
            if not all(ch.isspace() or ch in ',;"\ufeff' for ch in line)]
    # The first line with content may be the header, which is not a row.
    if seen and "keyword" in lines[seen[0] - 1].lower():
        seen = seen[1:]
    assert set(seen) <= accounted, sorted(set(seen) - accounted)


def _xml_text(text: str) -> str:
    allowed = (ch for ch in text if ch in "\t\n\r" or (ch >= " " and ch not in "\ufffe\uffff"
                                                            and not 0xD800 <= ord(ch) <= 0xDFFF))
    return escape("".join(allowed))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(CELL_TEXT, min_size=1, max_size=10),
       links=st.lists(st.sampled_from(["https://example.org/a", "javascript:alert(1)", "file:///etc/passwd",
                                       "data:,x", "", "http://"]), min_size=10, max_size=10),
       encoding=st.sampled_from(["utf-8", "utf-16", "iso-8859-1", "windows-1252"]))
def test_every_feed_item_is_stored_or_reported(db: Database, titles: list[str], links: list[str],
                                               encoding: str) -> None:
    items = "".join(f"<item><title>{_xml_text(t)}</title><link>{escape(link)}</link></item>"
                    for t, link in zip(titles, links, strict=False))
    feed = f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>T</title>{items}' \
           "</channel></rss>"
    try:
        data = feed.encode(encoding)
    except UnicodeEncodeError:
        data = feed.encode(encoding, "xmlcharrefreplace")
    before = stored(db)
    try:
        plan = parse_import_bytes(data, "feed.rss")
    except ImportFileError:
        assert stored(db) == before
        return
    report = KeywordBook(db).add_plan(plan)
    accounted = ({p for p, _k, _i in report.added} | {p.position for p in report.skipped + report.rejected})
    assert accounted == set(range(1, len(titles) + 1))
    # No link other than http(s) is stored; every one dropped is named in the report.
    with db.read() as session:
        urls = {s.url for k in session.scalars(select(KeywordSource)) for s in k.sources if s.url}
    assert all(url.startswith(("http://", "https://")) for url in urls)
    dropped = {n.position for n in report.notes}
    valid = {row.position for row in plan.rows}
    expected = {n for n, link in enumerate(links[:len(titles)], start=1) if link and not link.startswith("https")}
    assert dropped == expected & valid


def test_html_is_unescaped_once() -> None:
    # "&amp;lt;" is a writer's literal "&lt;", not a "<".
    assert html_to_text("Tom &amp;amp; Jerry &amp;lt;b&amp;gt; &lt;i&gt;x&lt;/i&gt; <b>bold</b>") == \
        "Tom &amp; Jerry &lt;b&gt; <i>x</i> bold"
