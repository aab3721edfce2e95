"""The one async interface every LLM provider implements.

A stage builds an `LLMRequest`; a provider returns an `LLMResult` or raises a
`ProviderError` whose message is one readable line that never contains a key.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from engine.errors import EditorError

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class LLMRequest:
    """One call. `prefix` is the shared, cacheable head of the prompt (brief + numbered
    sources); providers send it first and mark it for prompt caching."""

    model: str
    system: str
    messages: list[Message]
    prefix: str = ""
    schema: type[BaseModel] | None = None
    max_tokens: int = 2048
    timeout_s: float = 120.0
    temperature: float = 0.4
    stage: str = ""          # sent as the X-Copydesk-Stage header (logs and the fake server use it)
    article_id: int | None = None
    # Ask for the first answer token's most likely alternatives with their log-probabilities
    # (OpenAI-compatible servers that support it; a checker model's confidence comes from them).
    logprobs: bool = False


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __iadd__(self, other: Usage) -> Usage:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens
        return self


@dataclass(frozen=True)
class RetryEvent:
    attempt: int            # the attempt that failed, 1-based
    reason: str             # one line, e.g. "429 rate limited" or "read timeout"
    delay_s: float          # how long we waited before the next attempt


@dataclass
class LLMResult:
    text: str
    model: str
    usage: Usage = field(default_factory=Usage)
    parsed: BaseModel | None = None
    retries: list[RetryEvent] = field(default_factory=list)
    # The first answer token's alternatives -> log-probability, when asked for and the server sent them.
    first_token_logprobs: dict[str, float] | None = None


class ProviderError(EditorError):
    """A provider call failed for good. str(error) is one line, safe to show and store."""


class ProviderConfigError(ProviderError):
    """Missing key, unknown provider, unreachable server: fix the settings, do not retry."""


class StructuredOutputError(ProviderError):
    """The model's answer did not validate against the schema, even after one repair attempt."""


RetryCallback = Callable[[RetryEvent], None]


class Provider(abc.ABC):
    name: str

    @abc.abstractmethod
    async def complete(self, request: LLMRequest, on_retry: RetryCallback | None = None) -> LLMResult:
        """Run one request with retries, rate limiting and a per-request timeout."""

    @abc.abstractmethod
    async def check_connection(self) -> str:
        """A tiny real request; returns a one-line verdict or raises ProviderError."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release network clients."""
