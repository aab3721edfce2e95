"""Issue 15 item 10: a server that answers 200 with an HTML page (a router's login, a web
server behind the wrong path) or other non-JSON text. The real SDKs run against a tiny
local server; preflight, stages and the CLI get one settings error naming the base URL, and
nothing is retried."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from engine.pipeline.runner import process_article
from engine.providers import make_provider
from engine.providers.base import LLMRequest, Message, ProviderConfigError
from engine.providers.settings import ProviderSettings
from engine.store.db import Database
from engine.store.models import AIArticle
from tests.conftest import CLI
from tests.pipeline_helpers import new_articles, seed, use_provider

PAGES = {
    "html": ("text/html; charset=utf-8", b"<!DOCTYPE html><html><body><h1>Router login</h1></body></html>"),
    "text": ("text/plain", b"OK"),
}


class GarbageServer:
    """Answers every request 200 with the chosen page, and counts them."""

    def __init__(self, page: str) -> None:
        content_type, body = PAGES[page]
        self.what = "HTML" if page == "html" else "something that is not JSON"
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                pass

            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner.lock:
                    owner.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.lock = threading.Lock()
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(params=sorted(PAGES))
def garbage(request: pytest.FixtureRequest) -> Iterator[GarbageServer]:
    server = GarbageServer(request.param)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.mark.parametrize(("provider", "path", "api"), [("openai", "/v1", "OpenAI"), ("anthropic", "", "Anthropic")])
@pytest.mark.parametrize("max_tokens", [100, 20_000], ids=["plain", "streamed"])
def test_preflight_and_requests_get_one_settings_error_and_no_retry(garbage: GarbageServer, provider: str,
                                                                     path: str, api: str, max_tokens: int) -> None:
    settings = ProviderSettings(provider=provider, model="m", base_url=garbage.url + path, max_attempts=4,
                                backoff_base_s=0.01)

    async def run() -> list[str]:
        client = make_provider(settings, api_key="not-a-real-key-1")
        assert client is not None
        messages = []
        try:
            for call in (client.check_connection(),
                         client.complete(LLMRequest(model="m", system="s", messages=[Message("user", "hi")],
                                                    max_tokens=max_tokens))):
                with pytest.raises(ProviderConfigError) as caught:
                    await call
                messages.append(str(caught.value))
        finally:
            await client.aclose()
        return messages

    messages = asyncio.run(run())
    for message in messages:
        assert message.startswith(garbage.url)
        assert f"answered with {garbage.what}, not an {api}-compatible JSON response" in message
    assert garbage.requests == 2          # one for the check, one for the request: no retries


def test_a_stage_fails_once_with_the_reason_inside_the_pipeline(db: Database, garbage: GarbageServer) -> None:
    article = new_articles(db, seed(db)[:1])[0]
    use_provider(db, "openai", garbage.url + "/v1")
    outcome = asyncio.run(process_article(db, article))
    assert outcome.status == "failed"
    assert outcome.error is not None and "not an OpenAI-compatible JSON response" in outcome.error
    with db.read() as session:
        assert session.scalar(select(AIArticle.status).where(AIArticle.id == article)) == "failed"
    assert garbage.requests == 1          # the first LLM stage, asked once


def test_generate_says_so_in_one_line(cli: CLI, garbage: GarbageServer) -> None:
    cli("keywords", "add", "Water rates", check=True)
    cli("keywords", "approve", "1", check=True)
    result = cli("generate", "--approved", "--provider", "openai", "--base-url", garbage.url + "/v1")
    assert result.returncode != 0 and "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "not an OpenAI-compatible JSON response" in result.stderr
    assert cli.json("articles", "list") == []
