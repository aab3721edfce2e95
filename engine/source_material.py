"""Turning a file or a URL into source text the pipeline can cite and check against."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from engine.keywords import MAX_SOURCE_CHARS, SourceInput, html_to_text

FETCH_TIMEOUT_S = 15
_MAX_FETCH_BYTES = 5 * 1024 * 1024


class SourceMaterialError(Exception):
    """The material cannot be read; str() is one line for the editor."""


def _text_of(raw: bytes, looks_like_html: bool, origin: str) -> str:
    if b"\x00" in raw[:4096]:
        raise SourceMaterialError(f"{origin} is binary; attach text, Markdown or HTML")
    text = raw.decode("utf-8", errors="replace")
    if looks_like_html:
        text = html_to_text(text)
    text = text.strip()
    if len(text) > MAX_SOURCE_CHARS:
        raise SourceMaterialError(f"{origin} has {len(text):,} characters; the limit is {MAX_SOURCE_CHARS:,}")
    return text


def source_from_file(path: Path, title: str | None = None) -> SourceInput:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise SourceMaterialError(f"cannot read {path}: {error.strerror or error}") from None
    text = _text_of(raw, Path(path).suffix.lower() in (".html", ".htm"), str(path))
    if not text:
        raise SourceMaterialError(f"{path} is empty")
    return SourceInput(title=title or Path(path).stem, text=text, url=None)


def source_from_url(url: str, title: str | None = None) -> SourceInput:
    """Fetch the page's text; the URL is kept either way so the article can link it."""
    if not url.startswith(("http://", "https://")):
        raise SourceMaterialError(f"{url!r} is not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": "Copydesk source fetcher"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 - http(s) only
            raw = response.read(_MAX_FETCH_BYTES)
            is_html = "html" in (response.headers.get("Content-Type") or "")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SourceMaterialError(f"could not fetch {url}: {reason}; paste the text instead") from None
    return SourceInput(title=title or url, text=_text_of(raw, is_html, url), url=url)
