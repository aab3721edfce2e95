"""What the OpenAI and Anthropic providers share: rate limiting, retries, streaming
choice, structured-output validation with one repair attempt, and the connection check.
A subclass only sends one request (`_send`) and explains its SDK's exceptions
(`_classify`)."""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiohttp
import httpx2
from pydantic import BaseModel, ValidationError

from engine.providers.base import (
    LLMRequest,
    LLMResult,
    Message,
    Provider,
    ProviderConfigError,
    RetryCallback,
    RetryEvent,
    StructuredOutputError,
    Usage,
)
from engine.providers.keys import redact
from engine.providers.limiter import RateLimiter, Sleep, estimate_request_tokens
from engine.providers.retry import Failure, RetriesExhaustedError, RetryPolicy, call_with_retries
from engine.providers.settings import ProviderSettings, display_url

log = logging.getLogger("copydesk.providers")

CHECK_TIMEOUT_S = 15.0
# Between the shared prefix and the first user message. Constant, so the prefix plus
# separator stays byte-identical from stage to stage (prompt caches match on bytes).
PREFIX_SEPARATOR = "\n\n"
_ERRORS_SHOWN = 3
_FENCED_JSON = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

REPAIR_PROMPT = (
    "Your previous reply is not valid for the required JSON schema.\n"
    "Problems found:\n{errors}\n"
    "Reply again with only the corrected JSON object: no explanations, no code fences."
)


@dataclass
class Reply:
    """One answered request: the text (for structured requests, the JSON) and its usage."""

    text: str
    model: str
    usage: Usage = field(default_factory=Usage)
    first_token_logprobs: dict[str, float] | None = None


class NotAnAPIResponse(Exception):
    """The server answered, but not with the API's JSON: a router's login page, a proxy's
    error page, a web server behind the wrong path. Retrying gets the same page."""

    def __init__(self, body: object, content_type: str = "") -> None:
        head = body.lstrip()[:500].lower() if isinstance(body, str) else ""
        is_html = "html" in content_type.lower() or head.startswith(("<!doctype", "<html")) or "<html" in head
        self.what = "HTML" if is_html else "something that is not JSON"
        super().__init__(f"answered with {self.what}")


def not_an_api_failure(exc: NotAnAPIResponse, base_url: str, api: str) -> Failure:
    """Final, and a settings problem: the base URL does not point at an API."""
    return Failure(False, str(exc), message=(
        f"{display_url(base_url.rstrip('/'))} answered with {exc.what}, not an {api}-compatible JSON response "
        "(check the base URL and its path)"), config_problem=True)


def expect_event_stream(headers: Mapping[str, str], body: object = None) -> None:
    """A streamed answer must be server-sent events; an HTML page parses as no events at all.
    A server that sends no Content-Type at all is given the benefit of the doubt."""
    content_type = headers.get("content-type", "")
    if content_type and "event-stream" not in content_type:
        raise NotAnAPIResponse(body, content_type)


def copydesk_headers(request: LLMRequest) -> dict[str, str]:
    """Tags each HTTP request with its stage and article, for proxies' logs and the fake server."""
    headers = {}
    if request.stage:
        headers["X-Copydesk-Stage"] = request.stage
    if request.article_id is not None:
        headers["X-Copydesk-Article"] = str(request.article_id)
    return headers


def lost_connection_reason(exc: BaseException) -> str | None:
    """Why the connection under an SDK or httpx2 error was lost, when aiohttp says so. The
    SDKs' aiohttp transport maps every lost connection to a connect timeout; the aiohttp
    error it chains tells a reset or a refused connection from a real timeout."""
    cause = exc.__cause__
    while cause is not None and not isinstance(cause, aiohttp.ClientError):
        cause = cause.__cause__
    if cause is None or isinstance(cause, asyncio.TimeoutError):
        return None
    if isinstance(cause, aiohttp.ClientConnectorError):
        return "could not connect (is the server running?)"
    return "connection dropped by the server"


def classify_transport_error(exc: Exception) -> Failure | None:
    """Failures below the SDK: a stream that stops mid-way surfaces as a raw httpx2 error."""
    if isinstance(exc, httpx2.TransportError) and lost_connection_reason(exc):
        return Failure(True, "connection dropped mid-stream")
    if isinstance(exc, httpx2.TimeoutException):
        return Failure(True, "stream stalled (no data before the timeout)")
    if isinstance(exc, httpx2.TransportError):
        return Failure(True, "connection dropped mid-stream")
    return None


def connection_error_reason(exc: Exception) -> str:
    """Short reason for the SDKs' APIConnectionError, from the error under it."""
    lost = lost_connection_reason(exc)
    if lost:
        return lost
    cause = exc.__cause__
    if isinstance(cause, httpx2.ConnectError):
        return "could not connect (is the server running?)"
    if isinstance(cause, httpx2.TimeoutException):
        return "timed out"
    # A reset (ReadError/WriteError) or a close before the status line (RemoteProtocolError).
    if isinstance(cause, httpx2.NetworkError | httpx2.RemoteProtocolError):
        return "connection dropped by the server"
    return "connection error"


def total_tokens(usage: Usage) -> int:
    return usage.input_tokens + usage.output_tokens + usage.cache_read_tokens + usage.cache_write_tokens


def summarize_validation_error(error: ValidationError) -> str:
    """One short line ("sections.0.title: Field required; ...") instead of pydantic's dump."""
    problems = error.errors(include_url=False)
    if any(p["type"] == "json_invalid" for p in problems):
        return f"not valid JSON ({problems[0]['msg']})"
    lines = []
    for problem in problems[:_ERRORS_SHOWN]:
        location = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"{location}: {problem['msg']}")
    if len(problems) > _ERRORS_SHOWN:
        lines.append(f"and {len(problems) - _ERRORS_SHOWN} more")
    return "; ".join(lines)


def validate_structured(schema: type[BaseModel], text: str) -> tuple[BaseModel | None, str | None]:
    """(parsed, None) or (None, short summary of what is wrong)."""
    # Models in json_object mode like to wrap the object in a Markdown code fence.
    fenced = _FENCED_JSON.match(text.strip())
    candidate = fenced.group(1) if fenced else text
    try:
        return schema.model_validate_json(candidate), None
    except ValidationError as error:
        return None, summarize_validation_error(error)


class RemoteProvider(Provider):
    """A provider reached over HTTP with an official SDK."""

    key_env_var: str  # where the key may come from, for error messages

    def __init__(
        self,
        settings: ProviderSettings,
        api_key: str,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self._api_key = api_key
        self._policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            backoff_base_s=settings.backoff_base_s,
            backoff_cap_s=settings.backoff_cap_s,
            retry_after_cap_s=settings.retry_after_cap_s,
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._limiter = limiter or RateLimiter(settings.requests_per_minute, settings.tokens_per_minute)

    # -- for subclasses ----------------------------------------------------------------

    @property
    @abc.abstractmethod
    def service(self) -> str:
        """How messages name the other end: "OpenAI", "OpenAI-compatible server at URL"."""

    @abc.abstractmethod
    async def _send(self, request: LLMRequest, *, timeout_s: float, stream: bool) -> Reply:
        """One HTTP request, no retries."""

    @abc.abstractmethod
    def _classify(self, exc: Exception, request: LLMRequest) -> Failure | None:
        """Explain an exception raised by `_send`; None if it is not the provider's doing."""

    # -- Provider ----------------------------------------------------------------------

    async def complete(self, request: LLMRequest, on_retry: RetryCallback | None = None) -> LLMResult:
        usage = Usage()
        retries: list[RetryEvent] = []

        def report(event: RetryEvent) -> None:
            retries.append(event)
            if on_retry is not None:
                on_retry(event)

        reply = await self._call(request, self._policy, report, usage)
        if request.schema is None:
            return LLMResult(text=reply.text, model=reply.model, usage=usage, retries=retries,
                             first_token_logprobs=reply.first_token_logprobs)

        parsed, problem = validate_structured(request.schema, reply.text)
        if problem is not None:
            log.warning("%s %s: answer does not match %s (%s); asking for a repair", self.service,
                        self._context(request), request.schema.__name__, self._redact(problem))
            reply = await self._call(self._repair_request(request, reply.text, problem),
                                     self._policy, report, usage)
            parsed, problem = validate_structured(request.schema, reply.text)
        if problem is not None:
            stage = f" for stage '{request.stage}'" if request.stage else ""
            message = self._redact(
                f"{self.service} returned output{stage} that does not match {request.schema.__name__} "
                f"even after a repair attempt: {problem}"
            )
            log.error("%s", message)
            raise StructuredOutputError(message)
        return LLMResult(text=reply.text, model=reply.model, usage=usage, parsed=parsed, retries=retries)

    async def check_connection(self) -> str:
        request = LLMRequest(
            model=self.settings.model,
            system="Connection check.",
            messages=[Message("user", "Reply with OK.")],
            max_tokens=1,
            timeout_s=min(CHECK_TIMEOUT_S, self.settings.request_timeout_s),
            temperature=0.0,
            stage="check_connection",
        )
        # One attempt: the person in Settings wants a verdict now, not after backoff.
        single = dataclasses.replace(self._policy, max_attempts=1)
        started = time.perf_counter()
        try:
            await self._call(request, single, lambda _event: None, Usage())
        except RetriesExhaustedError as exc:
            raise ProviderConfigError(self._redact(f"Could not reach {self.service}: {exc.reason}")) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        return f"Connected to {self.service} (model {self.settings.model}) in {elapsed_ms:.0f} ms"

    # -- internals ---------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return redact(text, [self._api_key])

    @staticmethod
    def _context(request: LLMRequest) -> str:
        article = f" article={request.article_id}" if request.article_id is not None else ""
        return f"stage={request.stage or '-'}{article}"

    async def _call(
        self,
        request: LLMRequest,
        policy: RetryPolicy,
        on_retry: Callable[[RetryEvent], None],
        usage: Usage,
    ) -> Reply:
        # The stricter of the stage's and the user's timeout; for streams it bounds the
        # silence between chunks, not the whole (possibly long) answer.
        timeout_s = min(request.timeout_s, self.settings.request_timeout_s)
        stream = request.max_tokens > self.settings.stream_threshold_tokens

        async def attempt() -> Reply:
            reserved = await self._limiter.acquire(estimate_request_tokens(request))
            # A failed attempt keeps its reservation: the provider may have counted it too.
            reply = await self._send(request, timeout_s=timeout_s, stream=stream)
            self._limiter.settle(reserved, total_tokens(reply.usage))
            return reply

        reply = await call_with_retries(
            attempt, lambda exc: self._classify(exc, request), policy=policy, service=self.service,
            context=self._context(request), on_retry=on_retry, sleep=self._sleep,
            rng=self._rng, redact=self._redact,
        )
        usage += reply.usage
        log.debug("%s %s: %d in / %d out tokens (cache read %d, write %d)%s", self.service,
                  self._context(request), reply.usage.input_tokens, reply.usage.output_tokens,
                  reply.usage.cache_read_tokens, reply.usage.cache_write_tokens,
                  " streamed" if stream else "")
        return reply

    @staticmethod
    def _repair_request(request: LLMRequest, previous: str, problem: str) -> LLMRequest:
        """The same request plus the rejected answer and what is wrong with it."""
        return dataclasses.replace(request, messages=[
            *request.messages,
            Message("assistant", previous.strip() or "(empty reply)"),
            Message("user", REPAIR_PROMPT.format(errors=problem)),
        ])

