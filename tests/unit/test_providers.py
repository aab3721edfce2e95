"""Provider building blocks without a network: settings, keys, limiter, retry policy,
pricing, schema handling."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from engine.providers import make_provider
from engine.providers.base import (
    LLMRequest,
    Message,
    ProviderConfigError,
    RetryEvent,
    Usage,
)
from engine.providers.keys import (
    REDACTED,
    get_api_key,
    keyring_status,
    redact,
    set_api_key,
)
from engine.providers.limiter import RateLimiter, estimate_request_tokens
from engine.providers.openai_provider import strict_json_schema
from engine.providers.pricing import ModelPrice, cost_usd, load_pricing
from engine.providers.remote import validate_structured
from engine.providers.retry import (
    Failure,
    RetriesExhaustedError,
    RetryPolicy,
    call_with_retries,
    classify_status,
    parse_retry_after,
)
from engine.providers.settings import ProviderSettings, apply_env_overrides
from tests.fakes.fixtures import memory_keyring, no_keyring  # noqa: F401

SECRET = "sk-test-Secret0123456789"


# -- settings ----------------------------------------------------------------------------


def test_settings_defaults_match_the_design() -> None:
    settings = ProviderSettings()
    assert settings.provider == "offline"
    assert (settings.request_timeout_s, settings.max_attempts) == (120, 4)
    assert (settings.backoff_base_s, settings.backoff_cap_s, settings.retry_after_cap_s) == (1.0, 30, 60)
    assert (settings.requests_per_minute, settings.tokens_per_minute) == (0, 0)
    assert settings.stream_threshold_tokens == 8000
    assert ProviderSettings(provider="openai").model == "gpt-4o-mini"
    assert ProviderSettings(provider="anthropic", model="claude-opus-4-1").model == "claude-opus-4-1"


def test_unknown_provider_is_a_config_error() -> None:
    with pytest.raises(ProviderConfigError, match="Unknown provider 'gemini'"):
        ProviderSettings(provider="gemini")


def test_env_overrides_apply_provider_model_and_base_url() -> None:
    base = ProviderSettings(provider="openai", model="gpt-4.1")
    env = {"COPYDESK_PROVIDER": "openai", "COPYDESK_MODEL": "llama3.1:8b",
           "COPYDESK_BASE_URL": "http://127.0.0.1:11434/v1"}
    result = apply_env_overrides(base, env)
    assert (result.provider, result.model, result.base_url) == ("openai", "llama3.1:8b", "http://127.0.0.1:11434/v1")
    assert apply_env_overrides(base, {}) is base


def test_switching_provider_by_env_picks_that_providers_default_model() -> None:
    result = apply_env_overrides(ProviderSettings(provider="openai", model="gpt-4.1"),
                                 {"COPYDESK_PROVIDER": "Anthropic"})
    assert (result.provider, result.model) == ("anthropic", "claude-sonnet-4-5")


def test_invalid_env_provider_gives_one_line_error() -> None:
    with pytest.raises(ProviderConfigError) as caught:
        apply_env_overrides(ProviderSettings(), {"COPYDESK_PROVIDER": "gpt"})
    message = str(caught.value)
    assert "COPYDESK_PROVIDER='gpt'" in message and "\n" not in message


def test_local_detection_covers_loopback_and_env_base_url() -> None:
    assert ProviderSettings(provider="openai", base_url="http://localhost:11434/v1").is_local()
    assert ProviderSettings(provider="openai", base_url="http://[::1]:8080/v1").is_local()
    assert not ProviderSettings(provider="openai", base_url="https://llm.example.org/v1").is_local()
    assert ProviderSettings(provider="openai").is_local({"OPENAI_BASE_URL": "http://127.0.0.1:1234/v1"})
    assert not ProviderSettings(provider="anthropic").is_local({})


# -- keys --------------------------------------------------------------------------------


def test_keyring_wins_over_environment(memory_keyring, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment-1")
    assert get_api_key("openai") == "sk-from-environment-1"
    set_api_key("openai", SECRET)
    assert get_api_key("openai") == SECRET
    set_api_key("openai", "")  # an empty key removes the stored one
    assert get_api_key("openai") == "sk-from-environment-1"
    assert keyring_status()[0] is True


def test_without_keyring_reading_falls_back_to_env_quietly(no_keyring, monkeypatch, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.DEBUG, logger="copydesk.providers")
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    assert get_api_key("anthropic") == SECRET
    assert SECRET not in caplog.text
    assert all(record.levelno <= logging.DEBUG for record in caplog.records)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert get_api_key("anthropic") is None


def test_without_keyring_saving_refuses_instead_of_writing_plain_text(no_keyring) -> None:  # noqa: F811
    with pytest.raises(ProviderConfigError) as caught:
        set_api_key("openai", SECRET)
    assert str(caught.value) == (
        "No OS keyring is available on this machine; set OPENAI_API_KEY in the environment instead"
    )
    available, description = keyring_status()
    assert not available and "OPENAI_API_KEY" in description


def test_redact_hides_given_secrets_and_key_shaped_strings() -> None:
    text = f"bad key {SECRET}, also sk-ant-api03-abcdefghijkl and token local-key-xyz"
    cleaned = redact(text, [None, "local-key-xyz", "none"])
    assert SECRET not in cleaned and "sk-ant-api03" not in cleaned and "local-key-xyz" not in cleaned
    assert cleaned.count(REDACTED) == 3
    assert redact("none of these", ["none"]) == "none of these"  # too short to be a key


def test_make_provider_without_key_names_what_to_set() -> None:
    assert make_provider(ProviderSettings()) is None
    with pytest.raises(ProviderConfigError) as caught:
        make_provider(ProviderSettings(provider="anthropic", model="claude-haiku-4-5"))
    assert str(caught.value) == "No Anthropic API key: add it in Settings or set ANTHROPIC_API_KEY"


# -- limiter -----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_requests_per_minute_refill_continuously() -> None:
    clock = FakeClock()
    limiter = RateLimiter(requests_per_minute=60, clock=clock, sleep=clock.sleep)

    async def scenario() -> None:
        for _ in range(60):
            await limiter.acquire(10)
        assert clock.sleeps == []
        await limiter.acquire(10)
        assert clock.sleeps == [pytest.approx(1.0)]  # one request per second refills

    asyncio.run(scenario())


def test_tokens_per_minute_wait_and_correction() -> None:
    clock = FakeClock()
    limiter = RateLimiter(tokens_per_minute=6000, clock=clock, sleep=clock.sleep)

    async def scenario() -> None:
        first = await limiter.acquire(5000)
        second_wait_start = clock.now
        await limiter.acquire(5000)          # 1000 left, needs 4000 more at 100/s
        assert clock.now - second_wait_start == pytest.approx(40.0)
        limiter.settle(first, 1000)          # the first call used far less than estimated
        limiter.settle(5000, 1000)
        before = clock.now
        await limiter.acquire(5000)          # the refund covers it: no wait
        assert clock.now == before

    asyncio.run(scenario())


def test_oversized_request_is_capped_at_one_minute_of_quota() -> None:
    clock = FakeClock()
    limiter = RateLimiter(tokens_per_minute=1000, clock=clock, sleep=clock.sleep)

    async def scenario() -> None:
        assert await limiter.acquire(50_000) == 1000
        await limiter.acquire(50_000)
        assert sum(clock.sleeps) == pytest.approx(60.0)

    asyncio.run(scenario())


def test_using_more_than_estimated_delays_the_next_request() -> None:
    clock = FakeClock()
    limiter = RateLimiter(tokens_per_minute=600, clock=clock, sleep=clock.sleep)

    async def scenario() -> None:
        reserved = await limiter.acquire(100)
        limiter.settle(reserved, 700)         # 600 more than reserved: bucket at -100
        await limiter.acquire(100)
        assert sum(clock.sleeps) == pytest.approx(20.0)  # 200 tokens at 10/s

    asyncio.run(scenario())


def test_unlimited_limiter_never_waits() -> None:
    limiter = RateLimiter()
    assert limiter.unlimited
    assert asyncio.run(limiter.acquire(10**9)) == 0


def test_token_estimate_is_prompt_chars_over_four_plus_max_tokens() -> None:
    request = LLMRequest(model="m", system="s" * 40, prefix="p" * 400,
                         messages=[Message("user", "u" * 160)], max_tokens=1000)
    assert estimate_request_tokens(request) == 150 + 1000


# -- retry policy ------------------------------------------------------------------------


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(max_attempts=10, backoff_base_s=1.0, backoff_cap_s=5.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # jitter spans the range


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(retry_after_cap_s=60.0)
    assert policy.delay(1, 7.0, random.Random()) == 7.0
    assert policy.delay(1, 600.0, random.Random()) == 60.0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    in_ten = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8.0 <= parse_retry_after({"retry-after": in_ten}) <= 10.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_transient_statuses(status: int) -> None:
    failure = classify_status(status, {"retry-after": "3"}, "x", service="OpenAI",
                              key_env_var="OPENAI_API_KEY", model="gpt-4o")
    assert failure.transient and failure.reason.startswith(str(status))
    assert failure.retry_after_s == 3.0


def test_permanent_statuses_read_well() -> None:
    common = {"service": "OpenAI", "key_env_var": "OPENAI_API_KEY", "model": "gpt-4o"}
    unauthorized = classify_status(401, {}, "Incorrect API key", **common)
    assert not unauthorized.transient and unauthorized.config_problem
    assert unauthorized.message == "OpenAI rejected the API key (401): check the key in Settings or OPENAI_API_KEY"
    missing = classify_status(404, {}, "model not found", **common)
    assert missing.config_problem and "model 'gpt-4o'" in missing.message
    bad = classify_status(400, {}, "max_tokens is too large", **common)
    assert not bad.config_problem and bad.message == "OpenAI rejected the request (400): max_tokens is too large"


class Flaky(Exception):
    pass


def _run_retries(outcomes: list[object], policy: RetryPolicy) -> tuple[object, list[RetryEvent], list[float]]:
    """Drives call_with_retries over scripted outcomes (an exception to raise or a value)."""
    events: list[RetryEvent] = []
    slept: list[float] = []

    async def attempt() -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def classify(exc: Exception) -> Failure | None:
        if isinstance(exc, Flaky):
            return Failure(True, f"flaky {SECRET}", retry_after_s=0.5)
        if isinstance(exc, PermissionError):
            return Failure(False, "403", message=f"denied for {SECRET}", config_problem=True)
        return None

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = asyncio.run(call_with_retries(
        attempt, classify, policy=policy, service="Test", context="stage=draft",
        on_retry=events.append, sleep=sleep, rng=random.Random(0),
        redact=lambda text: redact(text, [SECRET]),
    ))
    return result, events, slept


def test_transient_failures_retry_then_succeed() -> None:
    result, events, slept = _run_retries([Flaky(), Flaky(), "done"], RetryPolicy(max_attempts=3))
    assert result == "done"
    assert [e.attempt for e in events] == [1, 2]
    assert slept == [0.5, 0.5]
    assert all(SECRET not in e.reason for e in events)


def test_exhausted_retries_raise_one_readable_line() -> None:
    with pytest.raises(RetriesExhaustedError) as caught:
        _run_retries([Flaky(), Flaky()], RetryPolicy(max_attempts=2))
    assert str(caught.value) == f"Test failed after 2 attempts: flaky {REDACTED}"
    assert caught.value.__cause__ is None


def test_permanent_failure_does_not_retry() -> None:
    with pytest.raises(ProviderConfigError) as caught:
        _run_retries([PermissionError(), "never"], RetryPolicy(max_attempts=4))
    assert str(caught.value) == f"denied for {REDACTED}"


def test_unrelated_exceptions_propagate_untouched() -> None:
    with pytest.raises(KeyError):
        _run_retries([KeyError("bug")], RetryPolicy())


# -- structured output -------------------------------------------------------------------


class Source(BaseModel):
    id: str = Field(description="S1, S2, ...")
    url: str | None = None


class Section(BaseModel):
    title: str
    sources: list[Source] = Field(min_length=1)
    kind: Literal["news", "analysis"] = "news"


class Outline(BaseModel):
    headline: str = Field(max_length=90)
    sections: list[Section]
    lead_source: Source = Field(description="the strongest source")
    confidence: float = Field(0.5, ge=0, le=1)


def test_strict_schema_closes_every_object_and_requires_every_property() -> None:
    schema = strict_json_schema(Outline.model_json_schema())

    def objects(node: object) -> list[dict]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object":
                found.append(node)
            for value in node.values():
                found += objects(value)
        elif isinstance(node, list):
            for value in node:
                found += objects(value)
        return found

    closed = objects(schema)
    assert len(closed) >= 3
    for node in closed:
        assert node["additionalProperties"] is False
        assert set(node["required"]) == set(node["properties"])
    assert "default" not in str(schema)
    # A $ref with a description beside it is inlined (strict mode forbids the siblings).
    assert schema["properties"]["lead_source"]["description"] == "the strongest source"
    assert "$ref" not in schema["properties"]["lead_source"]


def test_validation_summary_is_short_and_located() -> None:
    parsed, problem = validate_structured(Outline, '{"headline": "x", "sections": [{"title": "t", "sources": []}]}')
    assert parsed is None
    assert problem.startswith("sections.0.sources: List should have at least 1 item")
    assert "lead_source: Field required" in problem
    _, not_json = validate_structured(Outline, "Sure! {broken")
    assert not_json.startswith("not valid JSON")


def test_validation_accepts_a_fenced_object() -> None:
    text = '```json\n{"headline": "x", "sections": [], "lead_source": {"id": "S1"}}\n```'
    parsed, problem = validate_structured(Outline, text)
    assert problem is None and parsed.lead_source.id == "S1"


# -- pricing -----------------------------------------------------------------------------


def test_shipped_pricing_covers_the_main_models() -> None:
    pricing = load_pricing()
    assert pricing.as_of
    for model in ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4-5",
                  "claude-haiku-4-5", "claude-opus-4-1"):
        price = pricing.price(model)
        assert price.known and price.input > 0 and price.output > price.input


def test_cost_counts_each_kind_of_token_once() -> None:
    pricing = load_pricing()
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=2_000_000,
                  cache_write_tokens=400_000)
    # claude-sonnet-4-5: 3 in, 15 out, 0.30 cache read, 3.75 cache write per million.
    expected = 3.0 + 1.5 + 0.6 + 1.5
    assert cost_usd(pricing, "claude-sonnet-4-5-20250929", usage) == pytest.approx(expected)


def test_snapshot_names_find_their_family_and_unknown_models_are_flagged() -> None:
    pricing = load_pricing()
    assert pricing.price("gpt-4o-mini-2024-07-18") == pricing.price("gpt-4o-mini")
    assert pricing.price("gpt-4o-2024-08-06") == pricing.price("gpt-4o")
    assert pricing.price("gpt-4omni") == pricing.default
    unknown = pricing.price("mistral-large")
    assert not unknown.known and cost_usd(pricing, "mistral-large", Usage(10**6, 10**6)) == 0.0


def test_local_models_cost_nothing() -> None:
    pricing = load_pricing()
    price = pricing.price("gpt-4o", local=True)
    assert price.known and cost_usd(pricing, "gpt-4o", Usage(10**6, 10**6), local=True) == 0.0


def test_user_override_merges_field_by_field(tmp_path: Path) -> None:
    override = tmp_path / "pricing.toml"
    override.write_text(
        'as_of = "2026-12"\n'
        '[models."gpt-4o"]\ninput = 2.0\n'
        '[models."llama3.1"]\ninput = 0.0\noutput = 0.0\n'
    )
    shipped = load_pricing()
    merged = load_pricing(override)
    assert merged.as_of == "2026-12"
    assert merged.price("gpt-4o").input == 2.0
    assert merged.price("gpt-4o").output == shipped.price("gpt-4o").output
    assert merged.price("llama3.1:8b") == ModelPrice(0.0, 0.0, 0.0, 0.0, known=True)
    assert load_pricing(tmp_path / "missing.toml") == shipped


def test_broken_override_is_a_config_error(tmp_path: Path) -> None:
    override = tmp_path / "pricing.toml"
    override.write_text('[models."gpt-4o"]\ninput = "cheap"\n')
    with pytest.raises(ProviderConfigError, match=r"models.gpt-4o.input must be a non-negative number"):
        load_pricing(override)
    override.write_text("not toml [")
    with pytest.raises(ProviderConfigError, match="Cannot read the pricing table"):
        load_pricing(override)
