"""A local RSS server for the schedule tests: a feed that changes between polls, and bad answers.

`mode` picks the next answer: "feed" (the current items, with an ETag honoured
by a 304), "error" (HTTP 500), "slow" (answers after `slow_s`), "huge" (a 50 MB
body without Content-Length, so only a streaming cap stops it), "malformed"
(XML cut short), "redirect-loop" and "redirect-file".
"""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape


def rss(items: list[dict[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>"
        f"<guid>{escape(i['guid'])}</guid><description>{escape(i.get('summary', ''))}</description></item>"
        for i in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
            f"<link>https://wire.example/</link>{body}</channel></rss>").encode()


class FeedServer:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.mode = "feed"
        self.slow_s = 2.0
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                server.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.xml"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        if self.mode == "error":
            handler.send_error(500, "Internal Server Error")
            return
        if self.mode == "slow":
            time.sleep(self.slow_s)
        if self.mode == "redirect-loop":
            handler.send_response(302)
            handler.send_header("Location", handler.path + "x")
            handler.end_headers()
            return
        if self.mode == "redirect-file":
            handler.send_response(302)
            handler.send_header("Location", "file:///etc/passwd")
            handler.end_headers()
            return
        if self.mode == "huge":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml")
            handler.end_headers()
            chunk = b" " * (1024 * 1024)
            try:
                for _ in range(50):
                    handler.wfile.write(chunk)
            except OSError:   # the client stopped reading at its cap
                pass
            handler.close_connection = True
            return
        body = rss(self.items)
        if self.mode == "malformed":
            body = body[: len(body) // 2]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.mode == "feed" and handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", etag)
        handler.end_headers()
        handler.wfile.write(body)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
