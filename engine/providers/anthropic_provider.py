"""Anthropic messages through the official async SDK; structured output by a forced tool
call, the shared prefix marked for prompt caching."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import anthropic
from anthropic import AsyncAnthropic, DefaultAioHttpClient
from pydantic import BaseModel

from engine.providers.base import LLMRequest, Usage
from engine.providers.keys import API_KEY_ENV_VARS
from engine.providers.remote import (
    NotAnAPIResponse,
    RemoteProvider,
    Reply,
    classify_transport_error,
    connection_error_reason,
    copydesk_headers,
    expect_event_stream,
    lost_connection_reason,
    not_an_api_failure,
)
from engine.providers.retry import Failure, classify_status, error_detail
from engine.providers.settings import ProviderSettings, display_url

ANTHROPIC_HOST = "api.anthropic.com"
CACHE_CONTROL = {"type": "ephemeral"}


@functools.cache
def _input_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """Built once per output model; pydantic regenerates the schema on every call."""
    return schema.model_json_schema()


def _tool_name(schema: type[BaseModel]) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"submit_{schema.__name__}")[:64]


class AnthropicProvider(RemoteProvider):
    name = "anthropic"
    key_env_var = API_KEY_ENV_VARS["anthropic"]

    def __init__(self, settings: ProviderSettings, api_key: str, **options: Any) -> None:
        super().__init__(settings, api_key, **options)
        # api_key explicitly: otherwise the SDK also searches the environment and on-disk
        # profiles, and a key we did not choose could be used. max_retries=0: retries are ours.
        # The SDK's aiohttp transport, for the same reason as the OpenAI provider's.
        self._client = AsyncAnthropic(
            api_key=api_key, base_url=settings.base_url, max_retries=0,
            timeout=settings.request_timeout_s, http_client=DefaultAioHttpClient(),
        )
        self._official = self._client.base_url.host == ANTHROPIC_HOST

    @property
    def service(self) -> str:
        if self._official:
            return "Anthropic"
        return f"Anthropic-compatible server at {display_url(str(self._client.base_url).rstrip('/'))}"

    async def aclose(self) -> None:
        await self._client.close()

    @staticmethod
    def _messages(request: LLMRequest) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [
            {"role": m.role, "content": [{"type": "text", "text": m.content}]} for m in request.messages
        ]
        if request.prefix:
            # The shared prefix (brief + sources) opens the first user message and carries
            # the cache breakpoint, so retries, repairs and stages with the same system
            # prompt read it from the cache instead of paying for it again.
            prefix_block = {"type": "text", "text": request.prefix, "cache_control": CACHE_CONTROL}
            if messages and messages[0]["role"] == "user":
                messages[0]["content"].insert(0, prefix_block)
            else:
                messages.insert(0, {"role": "user", "content": [prefix_block]})
        return messages

    async def _send(self, request: LLMRequest, *, timeout_s: float, stream: bool) -> Reply:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": self._messages(request),
            "timeout": timeout_s,
            "extra_headers": copydesk_headers(request),
            # create() no longer takes temperature as an argument; the API still does.
            "extra_body": {"temperature": request.temperature},
        }
        if request.system:
            kwargs["system"] = [{"type": "text", "text": request.system}]
        tool_name = None
        if request.schema is not None:
            tool_name = _tool_name(request.schema)
            kwargs["tools"] = [{
                "name": tool_name,
                "description": f"Submit the answer as a {request.schema.__name__} object.",
                "input_schema": _input_schema(request.schema),
            }]
            kwargs["tool_choice"] = {"type": "tool", "name": tool_name}

        if stream:
            # Required above ~21k max_tokens, and keeps long drafts alive past proxies'
            # idle timeouts. A stall mid-stream raises a raw httpx2.ReadTimeout.
            async with self._client.messages.stream(**kwargs) as events:
                expect_event_stream(events.response.headers)
                message = await events.get_final_message()
        else:
            message = await self._client.messages.create(**kwargs)
            if not isinstance(message, anthropic.types.Message) or not isinstance(message.content, list):
                raise NotAnAPIResponse(message)   # the SDK hands back a non-JSON body as text
        return Reply(text=_answer_text(message.content, tool_name), model=message.model or request.model,
                     usage=_usage(message.usage))

    def _classify(self, exc: Exception, request: LLMRequest) -> Failure | None:
        if isinstance(exc, NotAnAPIResponse):
            return not_an_api_failure(exc, str(self._client.base_url), "Anthropic")
        if isinstance(exc, anthropic.APIStatusError):
            return classify_status(
                exc.status_code, exc.response.headers, error_detail(exc.body, exc.message),
                service=self.service, key_env_var=self.key_env_var, model=request.model,
            )
        if isinstance(exc, anthropic.APITimeoutError) and not lost_connection_reason(exc):
            return Failure(True, f"timed out after {min(request.timeout_s, self.settings.request_timeout_s):g} s")
        if isinstance(exc, anthropic.APIConnectionError):
            return Failure(True, connection_error_reason(exc))
        return classify_transport_error(exc)


def _answer_text(content: list[Any], tool_name: str | None) -> str:
    """The forced tool call's input as JSON; otherwise (or if the model answered in prose
    anyway, which then fails validation and gets a repair) the text blocks."""
    if tool_name is not None:
        for block in content:
            if block.type == "tool_use" and block.name == tool_name:
                return json.dumps(block.input)
    return "".join(block.text for block in content if block.type == "text")


def _usage(usage: Any) -> Usage:
    """Anthropic reports cache reads and writes apart from input_tokens, as we do."""
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_read_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
        cache_write_tokens=getattr(usage, "cache_creation_input_tokens", None) or 0,
    )
