"""Keywords: normalisation, import parsing, and the editor's operations on them.

Rules (issue 2): trimmed, inner whitespace collapsed, Unicode NFC, 2 to 200
characters, no control characters. Uniqueness is on the case-folded form, so
"Bike Lanes" and "bike  lanes" are one topic. Nothing is altered beyond that
normalisation: anything else is rejected with a reason.
"""

from __future__ import annotations

import csv
import html
import io
import re
import unicodedata
import xml.sax
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nh3
from sqlalchemy import delete, func, or_, select

from engine.errors import EditorError
from engine.files import FileReadError, decode_text, has_utf16_bom, read_capped
from engine.states import KeywordStatus
from engine.store.db import Database
from engine.store.models import (
    APPROVAL_STATUSES,
    PRIORITIES,
    AIArticle,
    KeywordDecision,
    KeywordSource,
    Source,
    utcnow,
)

MIN_LENGTH = 2
MAX_LENGTH = 200
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_SOURCE_CHARS = 200_000
_WHITESPACE = re.compile(r"\s+")
# Format characters (Unicode Cf: bidi overrides and isolates, zero-width space, word
# joiner, BOM...) make a keyword look like another or like nothing. Only the zero-width
# joiner and non-joiner are allowed, as Persian, Indic scripts and emoji need them; they
# are left out of the duplicate key so "Water\u200brates" cannot pass as a new topic.
_JOINERS = "\u200c\u200d"
# Letters that render as blank space (Hangul fillers, the braille blank).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# A text-import line whose first non-blank character is "#" followed by a space (or
# nothing) is a comment; "#MeToo rally" is a keyword.
_COMMENT_LINE = re.compile(r"^\s*#+(?:\s|$)")
LINK_SCHEMES = ("http", "https")
CSV_COLUMNS = ("keyword", "priority", "source", "notes")


class KeywordError(EditorError, ValueError):
    """A keyword or field that breaks the rules; str() is the reason."""


class ImportFileError(EditorError):
    """The file as a whole cannot be read or parsed; nothing was changed."""


def normalise_keyword(text: str) -> str:
    if not isinstance(text, str):
        raise KeywordError("keyword is not text")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        raise KeywordError("contains control characters")
    if any(unicodedata.category(ch) in ("Cs", "Co", "Cn") for ch in text):
        raise KeywordError("contains invalid or unassigned characters")
    hidden = next((ch for ch in text if unicodedata.category(ch) == "Cf" and ch not in _JOINERS), None)
    if hidden is not None:
        raise KeywordError(f"contains the invisible character U+{ord(hidden):04X} "
                           f"({unicodedata.name(hidden, 'format character').lower()})")
    display = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    if not display:
        raise KeywordError("empty keyword")
    if not any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_LETTERS for ch in display):
        raise KeywordError("has no visible characters")
    if len(display) < MIN_LENGTH:
        raise KeywordError(f"too short ({len(display)} character; at least {MIN_LENGTH})")
    if len(display) > MAX_LENGTH:
        raise KeywordError(f"too long ({len(display)} characters; at most {MAX_LENGTH})")
    return display


def keyword_key(display: str) -> str:
    stripped = display.translate({ord(ch): None for ch in _JOINERS})
    return unicodedata.normalize("NFC", stripped.casefold())


def normalise_priority(text: str | None) -> str:
    value = (text or "").strip().lower() or "normal"
    if value not in PRIORITIES:
        raise KeywordError(f"priority {text!r} is not one of {', '.join(PRIORITIES)}")
    return value


def html_to_text(markup: str) -> str:
    """Strip markup from feed summaries and fetched pages (nh3 with no allowed tags)."""
    # nh3 returns the text escaped; unescaping it once gives the characters back, and
    # "&amp;lt;" (a writer's literal "&lt;") stays "&lt;".
    return _WHITESPACE.sub(" ", html.unescape(nh3.clean(markup or "", tags=set()))).strip()


def safe_link(url: str | None) -> str | None:
    """`url` when it is an http(s) link with a host, else None: a feed's `javascript:`,
    `file:`, `smb:` or `data:` link is never stored as something to click."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf") or ch.isspace() for ch in url):
        return None
    return url


# --------------------------------------------------------------------------- import parsing


@dataclass(frozen=True)
class SourceInput:
    title: str
    text: str
    url: str | None = None


@dataclass
class ImportRow:
    position: int            # 1-based line (CSV, text) or item (feed) number
    keyword: str
    priority: str = "normal"
    source: str = "manual"
    notes: str | None = None
    sources: list[SourceInput] = field(default_factory=list)


@dataclass(frozen=True)
class RowProblem:
    position: int
    text: str
    reason: str


@dataclass
class ImportPlan:
    format: str              # csv | text | feed
    rows: list[ImportRow]
    rejected: list[RowProblem]
    skipped: list[RowProblem] = field(default_factory=list)   # comment lines, not imported
    notes: list[RowProblem] = field(default_factory=list)     # imported, with something dropped

    @property
    def unit(self) -> str:
        return "item" if self.format == "feed" else "line"


def _decode(data: bytes) -> str:
    try:
        return decode_text(data, "the file")
    except FileReadError as error:
        reason = str(error)
        if "binary" in reason:
            reason += " (expected CSV, plain text or an RSS/Atom feed)"
        raise ImportFileError(reason) from None


def _detect_format(name: str, data: bytes) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in (".rss", ".atom", ".xml"):
        return "feed"
    if suffix in (".csv", ".tsv"):
        return "csv"
    # Sniffed on the raw bytes: a feed may be in any encoding its XML declaration names.
    head_bytes = data[:1024]
    head = head_bytes.decode("utf-16", "ignore") if has_utf16_bom(head_bytes) else head_bytes.decode("latin-1")
    head = head.lstrip("\ufeff\xef\xbb\xbf \t\r\n")[:500].lower()
    if head.startswith(("<?xml", "<rss", "<feed")):
        return "feed"
    return "text"


def _validated(position: int, keyword: str, priority: str | None, source: str | None,
               notes: str | None, default_source: str) -> ImportRow:
    row = ImportRow(
        position=position,
        keyword=normalise_keyword(keyword),
        priority=normalise_priority(priority),
        source=(source or "").strip()[:500] or default_source,
        notes=(notes or "").strip() or None,
    )
    if row.notes and len(row.notes) > 10_000:
        raise KeywordError("notes longer than 10,000 characters")
    return row


def _parse_text(text: str) -> ImportPlan:
    plan = ImportPlan("text", [], [])
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if _COMMENT_LINE.match(line):
            plan.skipped.append(RowProblem(number, line[:80], 'comment (the line starts with "# ")'))
            continue
        try:
            plan.rows.append(_validated(number, line, None, None, None, "text"))
        except KeywordError as error:
            plan.rejected.append(RowProblem(number, line[:80], str(error)))
    return plan


def _csv_dialect(sample: str) -> type[csv.Dialect]:
    """Only the delimiter is sniffed. The quote stays '"': a sniffed "'" would turn every
    apostrophe ("Mayor's budget") into the start of a field."""
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","

    class Sniffed(csv.excel):
        pass

    Sniffed.delimiter = delimiter
    return Sniffed


def _parse_csv(text: str) -> ImportPlan:
    plan = ImportPlan("csv", [], [])
    # One line ending, so the reader's line numbers are the lines an editor sees.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text), _csv_dialect(text[:4096]))
    columns: Sequence[str] = CSV_COLUMNS
    seen_content = False
    last_line = 0
    try:
        for record in reader:
            first, number = last_line + 1, reader.line_num
            last_line = number
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if number > first:
                # A quoted field ran over line breaks: almost always a stray '"' that
                # swallowed the rows after it. Every line it took is reported, none imported.
                reason = f'inside a quoted field running from line {first} to line {number} (a stray \'"\'?)'
                plan.rejected.extend(RowProblem(n, lines[n - 1][:80], reason)
                                     for n in range(first, number + 1) if lines[n - 1].strip())
                seen_content = True
                continue
            if not seen_content and "keyword" in [c.lower() for c in cells]:
                seen_content = True
                named = [c.lower() for c in cells]
                unknown = [c for c in cells if c.lower() not in CSV_COLUMNS]
                if unknown:
                    raise ImportFileError(f"unknown CSV column(s) {', '.join(repr(c) for c in unknown)}; "
                                          f"expected {', '.join(CSV_COLUMNS)}")
                twice = sorted({c for c in named if named.count(c) > 1})
                if twice:
                    raise ImportFileError(f"the CSV header names column(s) {', '.join(twice)} more than once")
                columns = named
                continue
            seen_content = True
            if len(cells) > len(columns):
                plan.rejected.append(RowProblem(number, ",".join(cells)[:80],
                                                f"{len(cells)} columns; expected at most {len(columns)}"))
                continue
            values: dict[str, Any] = dict(zip(columns, cells, strict=False))
            try:
                plan.rows.append(_validated(number, values.get("keyword", ""), values.get("priority"),
                                            values.get("source"), values.get("notes"), "csv"))
            except KeywordError as error:
                plan.rejected.append(RowProblem(number, ",".join(cells)[:80], str(error)))
    except csv.Error as error:
        raise ImportFileError(f"malformed CSV at line {reader.line_num}: {error}") from None
    return plan


def _parse_feed(data: bytes, name: str) -> ImportPlan:
    import feedparser  # only feeds need it; the desktop app imports this module at start

    # feedparser reads the encoding from the BOM, the XML declaration or its own sniffing
    # (UTF-8, UTF-16, ISO-8859-1, windows-1252 and the rest Python knows).
    parsed = feedparser.parse(data)
    entries = parsed.get("entries") or []
    problem = parsed.get("bozo_exception")
    # A truncated or malformed feed is refused whole rather than half-imported.
    if isinstance(problem, xml.sax.SAXException) or not entries:
        reason = str(problem).splitlines()[0][:200] if problem and str(problem) else "no items found"
        raise ImportFileError(f"not a readable RSS/Atom feed: {reason}")
    feed_link = safe_link((parsed.get("feed") or {}).get("link")) or Path(name).name
    plan = ImportPlan("feed", [], [])
    for number, entry in enumerate(entries, start=1):
        title = html_to_text(entry.get("title", ""))
        try:
            row = _validated(number, title, None, f"feed:{feed_link}", None, "feed")
        except KeywordError as error:
            plan.rejected.append(RowProblem(number, title[:80], str(error)))
            continue
        summary = html_to_text(entry.get("summary", "") or entry.get("description", ""))
        raw_link = entry.get("link")
        link = safe_link(raw_link)
        if raw_link and link is None:
            plan.notes.append(RowProblem(number, title[:80],
                                         f"link {raw_link[:80]!r} dropped: only http(s) links are kept"))
        if summary or link:
            row.sources.append(SourceInput(title=title, text=summary[:MAX_SOURCE_CHARS], url=link))
        plan.rows.append(row)
    return plan


def parse_import_bytes(data: bytes, name: str = "import.txt") -> ImportPlan:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"the file is {len(data) // 1_048_576} MB; imports are limited to 20 MB")
    fmt = _detect_format(name, data)
    if fmt == "feed":
        return _parse_feed(data, name)
    text = _decode(data)
    return _parse_csv(text) if fmt == "csv" else _parse_text(text)


def parse_import_file(path: Path) -> ImportPlan:
    try:
        data = read_capped(path, MAX_IMPORT_BYTES, label="the file")
    except FileReadError as error:
        raise ImportFileError(str(error)) from None
    return parse_import_bytes(data, str(path))


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class KeywordRow:
    id: int
    keyword: str
    priority: str
    source: str
    approval_status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    notes: str | None
    created_at: datetime
    source_count: int

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("decided_at", "created_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass
class ImportReport:
    format: str
    unit: str
    added: list[tuple[int, str, int]] = field(default_factory=list)      # position, keyword, id
    skipped: list[RowProblem] = field(default_factory=list)     # duplicates and comment lines
    rejected: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    notes: list[RowProblem] = field(default_factory=list)       # added, with something dropped (a link)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "added": [{self.unit: p, "keyword": k, "id": i} for p, k, i in self.added],
            "skipped": [{self.unit: s.position, "keyword": s.text, "reason": s.reason} for s in self.skipped],
            "rejected": [{self.unit: r.position, "text": r.text, "reason": r.reason} for r in self.rejected],
            "notes": [{self.unit: n.position, "keyword": n.text, "note": n.reason} for n in self.notes],
        }


@dataclass(frozen=True)
class Decision:
    keyword_id: int
    keyword: str
    from_status: str
    to_status: str
    # Who had decided before, when and why: what undo_decisions puts back.
    from_decided_by: str | None = None
    from_decided_at: datetime | None = None
    from_reason: str | None = None


class KeywordBook:
    """The keyword operations the CLI and the desktop app share."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def add_rows(self, rows: Iterable[ImportRow], *, fmt: str = "text", dry_run: bool = False,
                 rejected: Sequence[RowProblem] = (), notes: Sequence[RowProblem] = ()) -> ImportReport:
        """Insert valid rows in one transaction; duplicates (in the file or stored) are skipped."""
        report = ImportReport(fmt, "item" if fmt == "feed" else "line", rejected=list(rejected),
                              dry_run=dry_run, notes=list(notes))
        rows = list(rows)
        with self.db.write() as session:
            keys = [keyword_key(r.keyword) for r in rows]
            existing: dict[str, int] = {}
            for chunk_start in range(0, len(keys), 500):
                chunk = keys[chunk_start:chunk_start + 500]
                existing.update(session.execute(
                    select(KeywordSource.keyword_key, KeywordSource.id).where(KeywordSource.keyword_key.in_(chunk))
                ).all())
            seen: dict[str, int] = {}
            for row, key in zip(rows, keys, strict=True):
                if key in existing:
                    report.skipped.append(RowProblem(row.position, row.keyword,
                                                     f"duplicate of existing keyword #{existing[key]}"))
                    continue
                if key in seen:
                    report.skipped.append(RowProblem(row.position, row.keyword,
                                                     f"duplicate of {report.unit} {seen[key]}"))
                    continue
                seen[key] = row.position
                keyword = KeywordSource(keyword=row.keyword, keyword_key=key, priority=row.priority,
                                        source=row.source, notes=row.notes)
                keyword.sources = [Source(title=s.title[:500], url=s.url, text=s.text) for s in row.sources]
                session.add(keyword)
                session.flush()
                report.added.append((row.position, row.keyword, keyword.id))
            if dry_run:
                session.rollback()
        return report

    def add(self, texts: Sequence[str], *, priority: str = "normal", source: str = "manual",
            notes: str | None = None) -> ImportReport:
        priority = normalise_priority(priority)
        rows, rejected = [], []
        for position, text in enumerate(texts, start=1):
            try:
                rows.append(_validated(position, text, priority, source, notes, "manual"))
            except KeywordError as error:
                rejected.append(RowProblem(position, str(text)[:80], str(error)))
        return self.add_rows(rows, fmt="text", rejected=rejected)

    def import_file(self, path: Path, *, dry_run: bool = False) -> ImportReport:
        return self.add_plan(parse_import_file(path), dry_run=dry_run)

    def add_plan(self, plan: ImportPlan, *, dry_run: bool = False) -> ImportReport:
        """A parsed import: its rows added, and every line it rejected, skipped or noted reported."""
        report = self.add_rows(plan.rows, fmt=plan.format, dry_run=dry_run, rejected=plan.rejected,
                               notes=plan.notes)
        report.skipped[:0] = plan.skipped
        report.skipped.sort(key=lambda problem: problem.position)
        return report

    def list(self, *, status: str | None = None, search: str | None = None,
             limit: int | None = None, ids: Sequence[int] | None = None) -> list[KeywordRow]:
        if status is not None and status not in APPROVAL_STATUSES:
            raise KeywordError(f"status {status!r} is not one of {', '.join(APPROVAL_STATUSES)}")
        source_count = (
            select(func.count(Source.id)).where(Source.keyword_id == KeywordSource.id).scalar_subquery()
        )
        query = select(KeywordSource, source_count).order_by(KeywordSource.id)
        if status:
            query = query.where(KeywordSource.approval_status == status)
        if search:
            # The editor's text matches literally: "%" and "_" are not wildcards.
            literal = re.sub(r"([\\%_])", r"\\\1", search.strip().casefold())
            pattern = f"%{literal}%"
            query = query.where(or_(KeywordSource.keyword_key.like(pattern, escape="\\"),
                                    func.lower(KeywordSource.notes).like(pattern, escape="\\")))
        if ids is not None:
            query = query.where(KeywordSource.id.in_(list(ids)))
        if limit:
            query = query.limit(limit)
        with self.db.read() as session:
            return [
                KeywordRow(k.id, k.keyword, k.priority, k.source, k.approval_status, k.decided_by,
                           k.decided_at, k.decision_reason, k.notes, k.created_at, count)
                for k, count in session.execute(query)
            ]

    def counts(self) -> dict[str, int]:
        with self.db.read() as session:
            rows = session.execute(
                select(KeywordSource.approval_status, func.count()).group_by(KeywordSource.approval_status)
            ).all()
        counts = dict.fromkeys(APPROVAL_STATUSES, 0) | dict(rows)
        counts["all"] = sum(counts[s] for s in APPROVAL_STATUSES)
        return counts

    def decide(self, ids: Sequence[int], to_status: str, *, editor: str,
               reason: str | None = None) -> tuple[list[Decision], list[int]]:
        """Approve, reject or return to pending; every call is audited, re-decisions included.

        Returns the decisions made and the ids that do not exist.
        """
        if to_status not in APPROVAL_STATUSES:
            raise KeywordError(f"status {to_status!r} is not one of {', '.join(APPROVAL_STATUSES)}")
        now = utcnow()
        decisions: list[Decision] = []
        with self.db.write() as session:
            found = {k.id: k for k in session.scalars(select(KeywordSource).where(KeywordSource.id.in_(list(ids))))}
            for keyword_id in dict.fromkeys(ids):
                keyword = found.get(keyword_id)
                if keyword is None:
                    continue
                decisions.append(Decision(keyword.id, keyword.keyword, keyword.approval_status, to_status,
                                          keyword.decided_by, keyword.decided_at, keyword.decision_reason))
                session.add(KeywordDecision(keyword_id=keyword.id, from_status=keyword.approval_status,
                                            to_status=to_status, editor=editor, reason=reason, decided_at=now))
                keyword.approval_status = to_status
                pending = to_status == KeywordStatus.PENDING
                keyword.decided_by = None if pending else editor
                keyword.decided_at = None if pending else now
                keyword.decision_reason = None if pending else reason
        return decisions, [i for i in ids if i not in found]

    def undo_decisions(self, decisions: Sequence[Decision], *, editor: str) -> tuple[list[Decision], list[int]]:
        """Put each keyword back as it was before `decisions`: status, decider, time and reason.

        Audited like any decision (reason "undo", by `editor`); returns the reversing decisions,
        which can be undone in turn, and the ids that no longer exist.
        """
        now = utcnow()
        reversed_: list[Decision] = []
        ids = [d.keyword_id for d in decisions]
        with self.db.write() as session:
            found = {k.id: k for k in session.scalars(select(KeywordSource).where(KeywordSource.id.in_(ids)))}
            for decision in decisions:
                keyword = found.get(decision.keyword_id)
                if keyword is None:
                    continue
                reversed_.append(Decision(keyword.id, keyword.keyword, keyword.approval_status, decision.from_status,
                                          keyword.decided_by, keyword.decided_at, keyword.decision_reason))
                session.add(KeywordDecision(keyword_id=keyword.id, from_status=keyword.approval_status,
                                            to_status=decision.from_status, editor=editor, reason="undo",
                                            decided_at=now))
                keyword.approval_status = decision.from_status
                keyword.decided_by = decision.from_decided_by
                keyword.decided_at = decision.from_decided_at
                keyword.decision_reason = decision.from_reason
        return reversed_, [i for i in ids if i not in found]

    def pending_ids(self) -> list[int]:
        with self.db.read() as session:
            return list(session.scalars(
                select(KeywordSource.id).where(KeywordSource.approval_status == KeywordStatus.PENDING.value).order_by(KeywordSource.id)
            ))

    def delete(self, ids: Sequence[int]) -> tuple[list[int], list[int]]:
        """Delete keywords that have no articles; returns (deleted, refused because articles exist)."""
        with self.db.write() as session:
            used = set(session.scalars(select(AIArticle.keyword_id).where(AIArticle.keyword_id.in_(list(ids)))))
            deletable = [i for i in ids if i not in used]
            if deletable:
                session.execute(delete(KeywordSource).where(KeywordSource.id.in_(deletable)))
        return deletable, [i for i in ids if i in used]

    def add_source(self, keyword_id: int, source: SourceInput) -> int:
        if not source.text.strip() and not source.url:
            raise KeywordError("a source needs text, a file or a URL")
        if source.url and safe_link(source.url) is None:
            raise KeywordError(f"{source.url[:80]!r} is not an http(s) link; only http(s) links are kept")
        if len(source.text) > MAX_SOURCE_CHARS:
            raise KeywordError(f"source text is {len(source.text):,} characters; the limit is {MAX_SOURCE_CHARS:,}")
        with self.db.write() as session:
            if session.get(KeywordSource, keyword_id) is None:
                raise KeywordError(f"no keyword with id {keyword_id}")
            row = Source(keyword_id=keyword_id, title=source.title[:500], url=source.url, text=source.text)
            session.add(row)
            session.flush()
            return row.id

    def sources(self, keyword_id: int) -> list[dict[str, Any]]:
        with self.db.read() as session:
            rows = session.scalars(select(Source).where(Source.keyword_id == keyword_id).order_by(Source.id))
            return [{"id": s.id, "title": s.title, "url": s.url, "text": s.text,
                     "retrieved_at": s.retrieved_at.isoformat()} for s in rows]
