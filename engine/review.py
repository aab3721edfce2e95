"""What an editor does with a finished article: decide, correct, edit, export, publish.

Every decision records who and when; an edit adds a revision (nothing is
overwritten) and the article's checks are run again on the new text.
"""

from __future__ import annotations

import json
import ntpath
import posixpath
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import func, select

from engine.articles import ArticleError, article_detail
from engine.files import write_text_atomically
from engine.quality.presentation import checks_summary
from engine.states import ArticleStatus, ReviewStatus, require_review_move
from engine.store.db import Database
from engine.store.models import REVIEW_STATUSES, VERDICTS, AIArticle, ArticleRevision, Claim, utcnow

EXPORT_FORMATS = ("md", "html", "json")
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
# File names from a model's slug (issue 15): Unicode letters and digits, runs of anything
# else one hyphen, at most MAX_STEM_CHARS characters and MAX_NAME_BYTES UTF-8 bytes (ext4
# and NTFS allow 255), never a name Windows reserves.
MAX_STEM_CHARS = 100
MAX_NAME_BYTES = 200
_NOT_NAME = re.compile(r"[\W_]+")
_WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                               *(f"lpt{n}" for n in range(10))})
# A tag, comment or declaration opening in Markdown text: raw HTML a renderer would pass on.
_RAW_HTML = re.compile(r"<(?=[A-Za-z/!?])")


class ReviewError(ArticleError):
    """A review action that cannot be done; str() is one line."""


def _completed(session: Any, article_id: int) -> AIArticle:
    article = session.get(AIArticle, article_id)
    if article is None:
        raise ReviewError(f"no article with id {article_id}")
    if article.status != ArticleStatus.COMPLETED:
        raise ReviewError(f"article #{article_id} is {article.status}; only completed articles are reviewed")
    return article


def set_review_status(db: Database, article_id: int, to_status: str, *, editor: str,
                      reason: str | None = None) -> str:
    """Move an article through review; returns the previous review status (for undo)."""
    if to_status not in REVIEW_STATUSES:
        raise ReviewError(f"unknown review status {to_status!r}")
    with db.write() as session:
        article = _completed(session, article_id)
        previous = article.review_status
        target = require_review_move(article_id, previous, to_status, ReviewError)   # engine/states.py's table
        article.review_status = target
        article.reviewed_by, article.reviewed_at = editor, utcnow()
        article.review_reason = reason if target == ReviewStatus.REJECTED else None
        if target == ReviewStatus.PUBLISHED:
            article.published_at = utcnow()
        return previous


def override_claim(db: Database, claim_id: int, verdict: str | None, *, editor: str) -> None:
    """An editor's verdict on a claim (None clears it), recorded with who and when."""
    if verdict is not None and verdict not in VERDICTS:
        raise ReviewError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    with db.write() as session:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise ReviewError(f"no claim with id {claim_id}")
        claim.override_verdict = verdict
        claim.override_by = editor if verdict else None
        claim.override_at = utcnow() if verdict else None


def save_edit(db: Database, article_id: int, *, headline: str, dek: str, body: str, editor: str,
              note: str | None = None) -> int:
    """Store an editor's version as a new revision and make it the article's text.

    Returns the revision number. The caller queues run_quality_checks so the scores
    describe the text the editor will publish.
    """
    if not body.strip():
        raise ReviewError("the article body is empty")
    if not headline.strip():
        raise ReviewError("the headline is empty")
    with db.write() as session:
        article = _completed(session, article_id)
        if article.review_status == ReviewStatus.PUBLISHED:
            raise ReviewError(f"article #{article_id} is published; it can no longer be edited")
        number = (session.scalar(select(func.max(ArticleRevision.number))
                                 .where(ArticleRevision.article_id == article_id)) or 0) + 1
        session.add(ArticleRevision(article_id=article_id, number=number, headline=headline.strip(),
                                    dek=dek.strip(), body=body, author=editor, note=note))
        article.headline, article.dek, article.body = headline.strip(), dek.strip(), body
        article.review_status = ReviewStatus.PENDING_REVIEW
        return number


def revisions(db: Database, article_id: int) -> list[dict[str, Any]]:
    with db.read() as session:
        rows = session.scalars(select(ArticleRevision).where(ArticleRevision.article_id == article_id)
                               .order_by(ArticleRevision.number))
        return [{"number": r.number, "author": r.author, "created_at": r.created_at.isoformat(),
                 "headline": r.headline, "note": r.note, "body": r.body} for r in rows]


def render_html(markdown: str) -> str:
    """Markdown to sanitised HTML (nh3): what the Review screen shows and HTML exports contain."""
    return nh3.clean(_markdown.render(markdown or ""))


def safe_file_stem(text: str | None) -> str:
    """`text` as a file-name stem safe on POSIX and Windows, or "" if nothing of it is."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    stem = _NOT_NAME.sub("-", folded).strip("-")
    while len(stem) > MAX_STEM_CHARS or len(stem.encode("utf-8")) > MAX_NAME_BYTES - 30:
        cut = stem[:min(len(stem) - 1, MAX_STEM_CHARS)]
        stem = (cut.rsplit("-", 1)[0] if "-" in cut else cut).strip("-")
    return "" if stem in _WINDOWS_RESERVED else stem


def export_filename(article_id: int, slug: str | None, headline: str | None, fmt: str) -> str:
    stem = safe_file_stem(slug) or safe_file_stem(headline) or "article"
    return f"{article_id}-{stem}.{fmt}"


def stays_inside(filename: str) -> bool:
    """True when `filename` joined to any folder names a file directly in that folder, by
    POSIX and by Windows path rules both (no separator, drive, '..', reserved device name)."""
    if not filename or any(unicodedata.category(ch) == "Cc" for ch in filename):
        return False
    if ntpath.splitext(filename)[0].split(".")[0].lower() in _WINDOWS_RESERVED:
        return False
    for paths in (posixpath, ntpath):
        joined = paths.normpath(paths.join("folder", filename))
        if paths.dirname(joined) != "folder" or paths.basename(joined) != filename:
            return False
    return filename.strip(". ") == filename and len(filename.encode("utf-8")) <= 255


def _inert_markdown(text: str) -> str:
    """Markdown with raw HTML made text: a source's <script> copied into the draft shows as
    words in any renderer instead of running."""
    return _RAW_HTML.sub("&lt;", text)


def _comment(lines: list[str]) -> str:
    """Lines as one HTML comment (valid in Markdown and HTML); '--' inside is broken up so
    the text cannot end the comment early."""
    body = "\n".join(line.replace("--", "- -") for line in lines)
    return f"<!--\n{body}\n-->"


@dataclass(frozen=True)
class Export:
    filename: str
    content: str


def export_article(db: Database, article_id: int, fmt: str) -> Export:
    if fmt not in EXPORT_FORMATS:
        raise ReviewError(f"export format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    data = article_detail(db, article_id)
    if data["status"] != ArticleStatus.COMPLETED:
        raise ReviewError(f"article #{article_id} is {data['status']}; only completed articles are exported")
    stem = export_filename(article_id, data["slug"], data["headline"], fmt).rsplit(".", 1)[0]
    if fmt == "json":
        fields = ("id", "keyword", "headline", "dek", "body", "summary", "meta_description", "social_copy",
                  "slug", "tags", "bias_score", "fact_check_score", "perspective_balance_score",
                  "originality_score", "overall_quality_score", "quality_passed", "failed_gates",
                  "review_status", "reviewed_by", "reviewed_at", "published_at", "quality_checkers", "claims",
                  "findings")
        return Export(f"{stem}.json", json.dumps({k: data[k] for k in fields}, indent=2, ensure_ascii=False))
    front = f"# {data['headline']}\n\n" + (f"*{data['dek']}*\n\n" if data["dek"] else "")
    markdown = front + (data["body"] or "")
    # Who checked what and how sure, for the newsroom: a comment, so no reader ever sees it.
    notes = _comment(checks_summary(data))
    if fmt == "md":
        return Export(f"{stem}.md", _inert_markdown(markdown).rstrip("\n") + "\n\n" + notes + "\n")
    title = nh3.clean_text(data["headline"] or "")
    meta = nh3.clean_text(data["meta_description"] or "")
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<meta name=\"description\" content=\"{meta}\"></head>\n<body>\n{render_html(markdown)}{notes}\n"
            "</body></html>\n")
    return Export(f"{stem}.html", page)


def write_export(db: Database, article_id: int, fmt: str, folder: Path) -> Path:
    export = export_article(db, article_id, fmt)
    if not stays_inside(export.filename):
        raise ReviewError(f"refusing to write the export as {export.filename!r}: not a plain file name")
    return write_text_atomically(folder / export.filename, export.content)


def publish(db: Database, article_id: int, folder: Path, *, editor: str, fmt: str = "html") -> Path:
    """Mark an approved article published and write its export into the publish folder."""
    with db.read() as session:
        if _completed(session, article_id).review_status != ReviewStatus.APPROVED:
            raise ReviewError(f"article #{article_id} must be approved before it is published")
    path = write_export(db, article_id, fmt, folder)
    set_review_status(db, article_id, ReviewStatus.PUBLISHED, editor=editor)
    return path
