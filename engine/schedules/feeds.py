"""Fetching a feed over the network, safely.

Only http and https; at most MAX_REDIRECTS redirects, each hop checked again;
the host's addresses are resolved and refused when private, loopback,
link-local, multicast or reserved (a feed URL must not reach the newsroom's
intranet or this computer), and the connection goes to the address that was
checked (no second lookup to rebind). A time-out per read and for the whole
fetch; the body is streamed and the fetch stops past MAX_FEED_BYTES; no
compression is asked for (no decompression bombs). Nothing is fetched from a
feed's item links. Tests and admins serving feeds from this computer set
COPYDESK_ALLOW_PRIVATE_FEEDS=1 (or pass allow_private=True).
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urljoin, urlsplit

from engine.errors import EditorError

MAX_FEED_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT_S = 20.0
ALLOW_PRIVATE_ENV = "COPYDESK_ALLOW_PRIVATE_FEEDS"
_CHUNK = 64 * 1024


class FeedFetchError(EditorError):
    """A feed that could not be fetched; str() is one line saying why."""


def user_agent() -> str:
    try:
        version = metadata.version("copydesk")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"Copydesk/{version} (feed subscription)"


def private_feeds_allowed() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip() == "1"


@dataclass(frozen=True)
class Fetched:
    status: int                 # 200, or 304 when the feed has not changed
    body: bytes
    etag: str | None
    last_modified: str | None
    url: str                    # after redirects


def check_feed_url(url: str) -> str:
    """`url` stripped, or FeedFetchError when it is not an absolute http(s) URL with a host."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise FeedFetchError(f"not a valid URL: {url[:100]!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedFetchError(f"feed URLs must be http:// or https:// with a host, not {url[:100]!r}")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise FeedFetchError(f"not a valid URL: {url[:100]!r}")
    return url


def _address(host: str, port: int, allow_private: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FeedFetchError(f"cannot find the feed's host {host!r}: {error}") from None
    for info in infos:
        address = str(info[4][0])
        ip = ipaddress.ip_address(address.split("%")[0])
        public = ip.is_global and not ip.is_multicast
        if public or (allow_private and (ip.is_private or ip.is_loopback)):
            return address
    raise FeedFetchError(f"the feed's host {host!r} is a private or local address; feeds are fetched only "
                         f"from the internet (set {ALLOW_PRIVATE_ENV}=1 to allow local feeds)")


def _connection(url: str, timeout: float, allow_private: bool) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    assert parts.hostname is not None
    address = _address(parts.hostname, port, allow_private)
    connection: http.client.HTTPConnection = (
        http.client.HTTPSConnection(parts.hostname, port, timeout=timeout) if https
        else http.client.HTTPConnection(parts.hostname, port, timeout=timeout))
    # Connect to the address just checked; TLS still verifies the certificate against the host name.
    connection._create_connection = (  # type: ignore[attr-defined]
        lambda _addr, conn_timeout, source: socket.create_connection((address, port), conn_timeout, source))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return connection, target


def fetch_feed(url: str, *, etag: str | None = None, last_modified: str | None = None,
               timeout: float | None = None, max_bytes: int | None = None,
               allow_private: bool | None = None) -> Fetched:
    """GET `url` with conditional headers; FeedFetchError (one line) on any failure.
    Time-out and size cap default to TIMEOUT_S and MAX_FEED_BYTES as they are at call time."""
    timeout = TIMEOUT_S if timeout is None else timeout
    max_bytes = MAX_FEED_BYTES if max_bytes is None else max_bytes
    allow = private_feeds_allowed() if allow_private is None else allow_private
    deadline = time.monotonic() + timeout
    current = check_feed_url(url)
    headers = {"User-Agent": user_agent(), "Accept-Encoding": "identity",
               "Accept": "application/rss+xml, application/atom+xml, application/xml, text/xml;q=0.9, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _hop in range(MAX_REDIRECTS + 1):
        connection, target = _connection(current, timeout, allow)
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FeedFetchError(f"the feed redirected (HTTP {response.status}) without saying where")
                current = check_feed_url(urljoin(current, location))
                continue
            if response.status == 304:
                return Fetched(304, b"", etag, last_modified, current)
            if response.status != 200:
                raise FeedFetchError(f"the feed answered HTTP {response.status} {response.reason}".rstrip())
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FeedFetchError(f"the feed is {int(length) // 1_048_576} MB; feeds are limited to "
                                     f"{max_bytes // 1_048_576} MB")
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FeedFetchError(f"the feed is larger than {max_bytes // 1_048_576} MB; "
                                         "feeds are limited to that")
                if time.monotonic() > deadline:
                    raise FeedFetchError(f"the feed took longer than {timeout:g} s to download")
                chunks.append(chunk)
            return Fetched(200, b"".join(chunks), response.getheader("ETag"),
                           response.getheader("Last-Modified"), current)
        except TimeoutError:
            raise FeedFetchError(f"the feed did not answer within {timeout:g} s") from None
        except (OSError, http.client.HTTPException) as error:
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            raise FeedFetchError(f"cannot reach the feed: {reason}") from None
        finally:
            connection.close()
    raise FeedFetchError(f"the feed redirected more than {MAX_REDIRECTS} times")
