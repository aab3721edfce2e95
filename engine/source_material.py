"""Turning a file or a URL into source text the pipeline can cite and check against."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from engine.errors import EditorError
from engine.files import FileReadError, decode_text, read_capped
from engine.keywords import MAX_SOURCE_CHARS, SourceInput, html_to_text, safe_link

FETCH_TIMEOUT_S = 15
_MAX_FETCH_BYTES = 5 * 1024 * 1024
MAX_SOURCE_FILE_BYTES = 5 * 1024 * 1024


class SourceMaterialError(EditorError):
    """The material cannot be read; str() is one line for the editor."""


def _text_of(text: str, looks_like_html: bool, origin: str) -> str:
    if looks_like_html:
        text = html_to_text(text)
    text = text.strip()
    if len(text) > MAX_SOURCE_CHARS:
        raise SourceMaterialError(f"{origin} has {len(text):,} characters; the limit is {MAX_SOURCE_CHARS:,}")
    return text


def source_from_file(path: Path, title: str | None = None) -> SourceInput:
    try:
        raw = read_capped(path, MAX_SOURCE_FILE_BYTES)
        decoded = decode_text(raw, str(path))
    except FileReadError as error:
        message = str(error)
        if "binary" in message:
            message += "; attach text, Markdown or HTML"
        raise SourceMaterialError(message) from None
    text = _text_of(decoded, Path(path).suffix.lower() in (".html", ".htm"), str(path))
    if not text:
        raise SourceMaterialError(f"{path} is empty")
    return SourceInput(title=title or Path(path).stem, text=text, url=None)


def source_from_url(url: str, title: str | None = None) -> SourceInput:
    """Fetch the page's text; the URL is kept either way so the article can link it."""
    if safe_link(url) is None:
        raise SourceMaterialError(f"{url[:200]!r} is not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": "Copydesk source fetcher"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 - http(s) only
            raw = response.read(_MAX_FETCH_BYTES)
            is_html = "html" in (response.headers.get("Content-Type") or "")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SourceMaterialError(f"could not fetch {url}: {reason}; paste the text instead") from None
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceMaterialError(f"{url} is binary; attach text, Markdown or HTML")
    try:
        text = decode_text(raw, url)
    except FileReadError:
        text = raw.decode("utf-8", errors="replace")   # a page in another charset: keep what reads
    return SourceInput(title=title or url, text=_text_of(text, is_html, url), url=url)
