"""Retries shared by every provider: which failures are transient, how long to wait,
and the one-line errors for the failures that are not.

We retry ourselves (the SDK clients get max_retries=0) so that every retry is logged and
reported to the caller as a RetryEvent, and so that both SDKs follow one policy.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from engine.providers.base import ProviderConfigError, ProviderError, RetryEvent

log = logging.getLogger("copydesk.providers")

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

_DETAIL_LIMIT = 200
_STATUS_REASONS = {
    408: "408 request timeout",
    409: "409 conflict",
    429: "429 rate limited",
    500: "500 server error",
    502: "502 bad gateway",
    503: "503 service unavailable",
    504: "504 gateway timeout",
    529: "529 overloaded",
}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    retry_after_cap_s: float = 60.0

    def delay(self, failed_attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait after the `failed_attempt`-th attempt (1-based) failed.

        The server's Retry-After wins (capped); otherwise exponential backoff with full
        jitter, which spreads out the workers that all hit the same limit at once."""
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), self.retry_after_cap_s)
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (failed_attempt - 1))
        return rng.uniform(0.0, ceiling)


@dataclass(frozen=True)
class Failure:
    """What one failed attempt means. `reason` is short ("429 rate limited") for retry
    events and logs; `message` is the one-line error for a failure that is final."""

    transient: bool
    reason: str
    message: str = ""
    retry_after_s: float | None = None
    config_problem: bool = False  # fix the settings (key, model, URL): ProviderConfigError


class RetriesExhaustedError(ProviderError):
    """Every attempt failed with a transient error; `reason` is the last one."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def one_line(text: str, limit: int = _DETAIL_LIMIT) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if not headers:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return float(milliseconds) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_detail(body: object, fallback: str) -> str:
    """The server's own error message from an OpenAI- or Anthropic-style error body."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return one_line(inner["message"])
        if isinstance(body.get("message"), str):
            return one_line(body["message"])
    # The SDKs' own text is "Error code: 400 - {...}"; drop the prefix, keep the gist.
    return one_line(re.sub(r"^Error code: \d+ - ", "", fallback))


def classify_status(
    status: int,
    headers: Mapping[str, str] | None,
    detail: str,
    *,
    service: str,
    key_env_var: str,
    model: str,
) -> Failure:
    if status < 400:
        # An error event inside a streamed 200 response (e.g. "overloaded" mid-stream).
        return Failure(True, f"error in the stream ({detail})")
    if status in (408, 409, 429, 529) or status >= 500:
        reason = _STATUS_REASONS.get(status, f"{status} server error")
        return Failure(True, reason, retry_after_s=parse_retry_after(headers))
    if status == 401:
        return Failure(False, "401 unauthorized", config_problem=True, message=(
            f"{service} rejected the API key (401): check the key in Settings or {key_env_var}"
        ))
    if status == 403:
        return Failure(False, "403 forbidden", config_problem=True, message=(
            f"{service} refused access (403) for model '{model}': {detail}"
        ))
    if status == 404:
        return Failure(False, "404 not found", config_problem=True, message=(
            f"{service} answered 404 for model '{model}': check the model name and the server URL ({detail})"
        ))
    return Failure(False, f"{status} rejected", message=f"{service} rejected the request ({status}): {detail}")


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    classify: Callable[[Exception], Failure | None],
    *,
    policy: RetryPolicy,
    service: str,
    context: str,
    on_retry: Callable[[RetryEvent], None],
    sleep: Sleep,
    rng: random.Random,
    redact: Callable[[str], str],
) -> T:
    """Runs `attempt` until it succeeds, fails for good, or runs out of attempts.

    `classify` maps an exception to a Failure, or None for exceptions that are not about
    the provider (bugs), which propagate untouched. Every message passes through `redact`.
    The SDK's exception is not chained to ours: its text may quote request headers."""
    number = 0
    while True:
        number += 1
        try:
            return await attempt()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            log.debug("%s %s attempt %d: %s: %s", service, context, number,
                      type(exc).__name__, redact(one_line(str(exc))))
            if not failure.transient:
                error_type = ProviderConfigError if failure.config_problem else ProviderError
                raise error_type(redact(failure.message)) from None
            if number >= policy.max_attempts:
                plural = "s" if number > 1 else ""
                raise RetriesExhaustedError(
                    redact(f"{service} failed after {number} attempt{plural}: {failure.reason}"),
                    redact(failure.reason),
                ) from None
            delay = policy.delay(number, failure.retry_after_s, rng)
            event = RetryEvent(attempt=number, reason=redact(failure.reason), delay_s=delay)
            log.warning("%s %s attempt %d/%d failed (%s); retrying in %.2f s", service, context,
                        number, policy.max_attempts, event.reason, delay)
            on_retry(event)
            await sleep(delay)
