"""Client-side rate limiting: requests/minute and tokens/minute as continuously refilled
token buckets (how both providers enforce their own limits), so a batch slows down
before the provider starts answering 429.

Each worker process holds one limiter per provider with its share of the quota; the
caller divides the configured numbers, this module just honours what it is given.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from engine.providers.base import LLMRequest

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

CHARS_PER_TOKEN = 4  # the usual rough ratio for English prose


def estimate_request_tokens(request: LLMRequest) -> int:
    """Tokens a request may use before we know: prompt length / 4 plus all of max_tokens
    (providers count max_tokens against the quota up front as well)."""
    chars = len(request.system) + len(request.prefix) + sum(len(m.content) for m in request.messages)
    return chars // CHARS_PER_TOKEN + request.max_tokens


class _Bucket:
    def __init__(self, per_minute: int, now: float) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # refill per second
        self.level = self.capacity
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def seconds_until(self, amount: float) -> float:
        return max(0.0, (amount - self.level) / self.rate)


class RateLimiter:
    """`await acquire(estimate)` before a request, `settle(reserved, actual)` after it."""

    def __init__(
        self,
        requests_per_minute: int = 0,
        tokens_per_minute: int = 0,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        now = clock()
        self._requests = _Bucket(requests_per_minute, now) if requests_per_minute > 0 else None
        self._tokens = _Bucket(tokens_per_minute, now) if tokens_per_minute > 0 else None
        self._clock = clock
        self._sleep = sleep
        # One waiter at a time, first come first served: a big request is not starved by a
        # stream of small ones slipping past it.
        self._lock = asyncio.Lock()

    @property
    def unlimited(self) -> bool:
        return self._requests is None and self._tokens is None

    async def acquire(self, estimated_tokens: int) -> int:
        """Waits until one request of `estimated_tokens` fits; returns the tokens reserved
        (capped at one minute's quota, so an oversized request still runs eventually)."""
        if self.unlimited:
            return 0
        reserved = estimated_tokens
        if self._tokens is not None:
            reserved = min(estimated_tokens, int(self._tokens.capacity))
        async with self._lock:
            while True:
                now = self._clock()
                wait = 0.0
                if self._requests is not None:
                    self._requests.refill(now)
                    wait = self._requests.seconds_until(1)
                if self._tokens is not None:
                    self._tokens.refill(now)
                    wait = max(wait, self._tokens.seconds_until(reserved))
                if wait <= 0:
                    if self._requests is not None:
                        self._requests.level -= 1
                    if self._tokens is not None:
                        self._tokens.level -= reserved
                    return reserved
                await self._sleep(wait)

    def settle(self, reserved_tokens: int, actual_tokens: int) -> None:
        """Corrects the token bucket once the real usage is known. Using more than reserved
        puts the bucket in debt, which delays the next requests accordingly."""
        if self._tokens is None:
            return
        self._tokens.refill(self._clock())
        self._tokens.level = min(self._tokens.capacity, self._tokens.level + reserved_tokens - actual_tokens)
