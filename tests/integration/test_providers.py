"""The real OpenAI and Anthropic SDKs against the fake LLM server on 127.0.0.1: plain and
streamed answers, structured output, every scripted fault, key handling."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from engine.providers import make_provider
from engine.providers.base import (
    LLMRequest,
    LLMResult,
    Message,
    Provider,
    ProviderConfigError,
    ProviderError,
    RetryEvent,
    StructuredOutputError,
)
from engine.providers.limiter import RateLimiter
from engine.providers.settings import ProviderSettings
from tests.fakes.fixtures import fake_llm  # noqa: F401
from tests.fakes.llm_server import FakeLLMServer

PROVIDERS = ["openai", "anthropic"]
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
# Not shaped like a real key, so only the explicit redaction of our own key can hide it.
KEY = "copydesk-test-key-8f3a9c1e77"
BRIEF = "Brief: city budget vote on Tuesday.\n[S1] Council minutes, 2026-11-28.\n" * 30


class Claim(BaseModel):
    text: str = Field(min_length=10)
    verdict: Literal["supported", "contradicted", "unverifiable"]
    confidence: int = Field(ge=0, le=100)


class ClaimList(BaseModel):
    claims: list[Claim] = Field(min_length=2, max_length=5)
    notes: str | None = None


def make(fake: FakeLLMServer, kind: str, **overrides: object) -> Provider:
    settings = {
        "provider": kind, "model": MODELS[kind],
        "base_url": fake.url_openai if kind == "openai" else fake.url_anthropic,
        "request_timeout_s": 5.0, "backoff_base_s": 0.01, "backoff_cap_s": 0.05,
        **overrides,
    }
    provider = make_provider(ProviderSettings(**settings), api_key=KEY)
    assert provider is not None
    return provider


def request(kind: str, **fields: object) -> LLMRequest:
    values = {"model": MODELS[kind], "system": "You are a careful newsroom assistant.",
              "messages": [Message("user", "Draft the story.")], "stage": "draft", "article_id": 42,
              **fields}
    return LLMRequest(**values)


def run(provider: Provider, *requests: LLMRequest) -> tuple[list[LLMResult], list[RetryEvent]]:
    """All requests on one event loop (the SDK clients belong to it), then close."""
    events: list[RetryEvent] = []

    async def scenario() -> list[LLMResult]:
        try:
            return [await provider.complete(r, on_retry=events.append) for r in requests]
        finally:
            await provider.aclose()

    return asyncio.run(scenario()), events


# -- answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "stream"])
def test_free_text(fake_llm: FakeLLMServer, kind: str, streamed: bool) -> None:  # noqa: F811
    max_tokens = 9000 if streamed else 1000  # above stream_threshold_tokens (8000) streams
    (result,), events = run(make(fake_llm, kind), request(kind, max_tokens=max_tokens))
    assert "during draft" in result.text and len(result.text) > 100
    assert result.parsed is None and events == []
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    (record,) = fake_llm.requests
    assert (record.stage, record.article, record.streamed) == ("draft", "42", streamed)
    assert (record.key_header, record.api_key) == ("authorization", KEY)


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "stream"])
def test_structured_output(fake_llm: FakeLLMServer, kind: str, streamed: bool) -> None:  # noqa: F811
    (result,), _ = run(make(fake_llm, kind),
                       request(kind, schema=ClaimList, stage="claims", max_tokens=9000 if streamed else 800))
    assert isinstance(result.parsed, ClaimList)
    assert 2 <= len(result.parsed.claims) <= 5
    assert json.loads(result.text) == result.parsed.model_dump(mode="json", exclude_unset=True)
    body = fake_llm.requests[0].body
    if kind == "openai":
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["strict"] is True
    else:
        assert body["tool_choice"] == {"type": "tool", "name": "submit_ClaimList"}


def test_openai_falls_back_to_json_object_and_remembers(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    fake_llm.reject_json_schema = True
    results, events = run(make(fake_llm, "openai"),
                          request("openai", schema=ClaimList), request("openai", schema=ClaimList))
    assert all(isinstance(r.parsed, ClaimList) for r in results)
    assert events == []  # switching format is not a retry
    formats = [(r.body["response_format"]["type"], r.status) for r in fake_llm.requests]
    assert formats == [("json_schema", 400), ("json_object", 200), ("json_object", 200)]
    system = fake_llm.requests[1].body["messages"][0]["content"]
    assert "JSON Schema" in system and '"claims"' in system


# -- prompt layout and caching -----------------------------------------------------------


def test_openai_prefix_opens_the_first_user_message(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    results, _ = run(make(fake_llm, "openai"), request("openai", prefix=BRIEF * 6),
                     request("openai", prefix=BRIEF * 6, stage="revision"))
    first, second = (r.body for r in fake_llm.requests)
    assert first["messages"][0] == {"role": "system", "content": "You are a careful newsroom assistant."}
    assert first["messages"][1]["content"] == BRIEF * 6 + "\n\nDraft the story."
    assert first["messages"][1]["content"].startswith(second["messages"][1]["content"][:len(BRIEF * 6)])
    # A compatible server gets max_tokens and no OpenAI-only parameters.
    assert first["max_tokens"] == 2048 and "prompt_cache_key" not in first
    assert first["temperature"] == 0.4
    assert results[0].usage.cache_read_tokens == 0 and results[1].usage.cache_read_tokens > 0


def test_anthropic_prefix_carries_the_cache_breakpoint(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    results, _ = run(make(fake_llm, "anthropic"), request("anthropic", prefix=BRIEF),
                     request("anthropic", prefix=BRIEF, schema=ClaimList))
    body = fake_llm.requests[0].body
    assert body["system"] == [{"type": "text", "text": "You are a careful newsroom assistant."}]
    assert body["messages"][0]["content"][0] == {
        "type": "text", "text": BRIEF, "cache_control": {"type": "ephemeral"},
    }
    assert body["messages"][0]["content"][1]["text"] == "Draft the story."
    assert body["temperature"] == 0.4  # sent through extra_body
    assert results[0].usage.cache_write_tokens > 0 and results[0].usage.cache_read_tokens == 0
    # The second request adds a tool, which sits before the prefix in Anthropic's cache
    # order: a miss, as it would be on the real API.
    assert results[1].usage.cache_read_tokens == 0


def test_anthropic_repeat_of_the_same_prefix_reads_the_cache(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    results, _ = run(make(fake_llm, "anthropic"), request("anthropic", prefix=BRIEF),
                     request("anthropic", prefix=BRIEF, messages=[Message("user", "Now revise it.")]))
    assert results[1].usage.cache_read_tokens == results[0].usage.cache_write_tokens > 0


# -- transient faults --------------------------------------------------------------------


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("fault", ["429", "500", "529", "reset"])
def test_transient_fault_is_retried(fake_llm: FakeLLMServer, kind: str, fault: str) -> None:  # noqa: F811
    fake_llm.add_fault(fault, times=2, retry_after=0.01)
    (result,), events = run(make(fake_llm, kind), request(kind))
    assert result.text
    assert [e.attempt for e in events] == [1, 2]
    assert result.retries == events
    expected = {"429": "429 rate limited", "500": "500 server error", "529": "529 overloaded",
                "reset": "connection dropped by the server"}[fault]
    assert events[0].reason == expected
    assert [r.fault for r in fake_llm.requests] == [fault, fault, None]


@pytest.mark.parametrize("kind", PROVIDERS)
def test_retry_after_is_honoured(fake_llm: FakeLLMServer, kind: str) -> None:  # noqa: F811
    fake_llm.add_fault("429", retry_after=1)
    (_,), events = run(make(fake_llm, kind), request(kind))
    assert events[0].delay_s == 1.0
    limited, retried = fake_llm.requests
    assert retried.time - limited.time >= 0.95


@pytest.mark.parametrize("kind", PROVIDERS)
def test_hang_times_out_then_retries(fake_llm: FakeLLMServer, kind: str) -> None:  # noqa: F811
    fake_llm.add_fault("hang", seconds=2)
    (result,), events = run(make(fake_llm, kind, request_timeout_s=0.2), request(kind))
    assert result.text
    assert events[0].reason == "timed out after 0.2 s"


@pytest.mark.parametrize("kind", PROVIDERS)
def test_stall_mid_stream_is_retried(fake_llm: FakeLLMServer, kind: str) -> None:  # noqa: F811
    fake_llm.add_fault("stall", seconds=2)
    (result,), events = run(make(fake_llm, kind, request_timeout_s=0.2), request(kind, max_tokens=9000))
    assert "during draft" in result.text
    assert len(events) == 1
    assert events[0].reason in ("timed out after 0.2 s", "stream stalled (no data before the timeout)")
    assert [r.fault for r in fake_llm.requests] == ["stall", None]


@pytest.mark.parametrize("kind", PROVIDERS)
def test_error_event_mid_stream_is_retried(fake_llm: FakeLLMServer, kind: str) -> None:  # noqa: F811
    fake_llm.add_fault("stream_error")
    (result,), events = run(make(fake_llm, kind), request(kind, max_tokens=9000))
    assert "during draft" in result.text
    expected = "The server is overloaded" if kind == "openai" else "Overloaded"
    assert [e.reason for e in events] == [f"error in the stream ({expected})"]


@pytest.mark.parametrize("kind", PROVIDERS)
def test_exhausted_retries_give_a_readable_error(fake_llm: FakeLLMServer, kind: str) -> None:  # noqa: F811
    fake_llm.add_fault("500", times=10)
    provider = make(fake_llm, kind, max_attempts=3)
    with pytest.raises(ProviderError) as caught:
        run(provider, request(kind))
    port = fake_llm.port
    service = (f"OpenAI-compatible server at http://127.0.0.1:{port}/v1" if kind == "openai"
               else f"Anthropic-compatible server at http://127.0.0.1:{port}")
    assert str(caught.value) == f"{service} failed after 3 attempts: 500 server error"
    assert fake_llm.count() == 3


def test_limiter_paces_requests(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    now = [0.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(requests_per_minute=2, clock=lambda: now[0], sleep=fake_sleep)
    settings = ProviderSettings(provider="openai", model=MODELS["openai"], base_url=fake_llm.url_openai)
    provider = make_provider(settings, api_key=KEY, limiter=limiter)
    run(provider, request("openai"), request("openai"), request("openai"))
    assert waits == [pytest.approx(30.0)]  # 2 per minute: the third waits for a refill
    assert fake_llm.count() == 3


# -- structured output repair ------------------------------------------------------------


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("fault", ["invalid_schema", "malformed_json"])
def test_one_repair_attempt_fixes_bad_output(fake_llm: FakeLLMServer, kind: str, fault: str) -> None:  # noqa: F811
    fake_llm.add_fault(fault)
    (result,), events = run(make(fake_llm, kind), request(kind, schema=ClaimList, stage="claims"))
    assert isinstance(result.parsed, ClaimList)
    assert events == []
    first, repair = fake_llm.requests
    assert first.fault == fault and repair.fault is None
    messages = repair.body["messages"]
    assert [m["role"] for m in messages][-3:] == ["user", "assistant", "user"]
    last = messages[-1]["content"]
    last_text = last if isinstance(last, str) else last[0]["text"]
    assert "not valid for the required JSON schema" in last_text
    assert result.usage.output_tokens > 0


@pytest.mark.parametrize("kind", PROVIDERS)
def test_failed_repair_raises_structured_output_error(fake_llm: FakeLLMServer, kind: str) -> None:  # noqa: F811
    fake_llm.add_fault("invalid_schema", times=2)
    with pytest.raises(StructuredOutputError) as caught:
        run(make(fake_llm, kind), request(kind, schema=ClaimList, stage="claims"))
    message = str(caught.value)
    assert "for stage 'claims' that does not match ClaimList even after a repair attempt" in message
    assert "claims: Field required" in message and "\n" not in message
    assert fake_llm.count() == 2


# -- keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PROVIDERS)
def test_rejected_key_is_readable_and_never_shown(fake_llm: FakeLLMServer, kind: str, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.DEBUG)
    fake_llm.required_key = "the-right-key-000"  # the 401 body quotes the wrong key back
    with pytest.raises(ProviderConfigError) as caught:
        run(make(fake_llm, kind), request(kind))
    env_var = "OPENAI_API_KEY" if kind == "openai" else "ANTHROPIC_API_KEY"
    assert str(caught.value).endswith(f"rejected the API key (401): check the key in Settings or {env_var}")
    assert fake_llm.count() == 1  # not retried
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert "Incorrect API key provided: [redacted]" in caplog.text  # logged, redacted
    assert KEY not in caplog.text


@pytest.mark.parametrize("kind", PROVIDERS)
def test_retry_logs_never_contain_the_key(fake_llm: FakeLLMServer, kind: str, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.DEBUG)
    for fault in ("429", "500", "reset"):
        fake_llm.add_fault(fault, retry_after=0.01)
    run(make(fake_llm, kind), request(kind))
    retry_lines = [r for r in caplog.records if r.name == "copydesk.providers" and r.levelno == logging.WARNING]
    assert len(retry_lines) == 3
    assert KEY not in caplog.text


def test_local_server_needs_no_key(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    settings = ProviderSettings(provider="openai", model="llama3.1:8b", base_url=fake_llm.url_openai)
    (result,), _ = run(make_provider(settings), request("openai", model="llama3.1:8b"))
    assert result.text
    assert fake_llm.requests[0].api_key == "local-no-key"


def test_remote_server_without_key_is_a_config_error() -> None:
    settings = ProviderSettings(provider="openai", model="gpt-4o", base_url="https://llm.example.org/v1")
    with pytest.raises(ProviderConfigError) as caught:
        make_provider(settings)
    assert str(caught.value) == "No OpenAI API key: add it in Settings or set OPENAI_API_KEY"


# -- connection check --------------------------------------------------------------------


def _check(provider: Provider) -> str:
    async def scenario() -> str:
        try:
            return await provider.check_connection()
        finally:
            await provider.aclose()

    return asyncio.run(scenario())


@pytest.mark.parametrize("kind", PROVIDERS)
def test_check_connection_reports_target_model_and_time(fake_llm: FakeLLMServer, kind: str) -> None:  # noqa: F811
    verdict = _check(make(fake_llm, kind))
    url = re.escape(fake_llm.url_openai if kind == "openai" else fake_llm.url_anthropic)
    assert re.fullmatch(rf"Connected to \S+-compatible server at {url} \(model {MODELS[kind]}\) in \d+ ms", verdict)
    (record,) = fake_llm.requests
    assert record.stage == "check_connection"
    assert record.body.get("max_tokens") == 1


def test_check_connection_to_a_stopped_server_says_so(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    provider = make(fake_llm, "openai")
    fake_llm.stop()
    with pytest.raises(ProviderConfigError) as caught:
        _check(provider)
    assert str(caught.value).startswith("Could not reach OpenAI-compatible server at http://127.0.0.1:")
    assert str(caught.value).endswith(": could not connect (is the server running?)")
