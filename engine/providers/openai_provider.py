"""OpenAI chat completions through the official async SDK. With a base_url the same code
serves OpenAI-compatible servers (Ollama, llama.cpp server, LM Studio, vLLM)."""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
from typing import Any

import openai
from openai import AsyncOpenAI, DefaultAioHttpClient
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from engine.providers.base import LLMRequest, Usage
from engine.providers.keys import API_KEY_ENV_VARS
from engine.providers.remote import (
    PREFIX_SEPARATOR,
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

log = logging.getLogger("copydesk.providers")

OPENAI_HOST = "api.openai.com"

JSON_OBJECT_INSTRUCTIONS = (
    "\n\nReply with one JSON object only (no prose, no code fences) that is valid against "
    "this JSON Schema:\n{schema}"
)


def strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The pydantic schema in the form OpenAI's strict structured outputs accept: every
    object closed (additionalProperties false) with all properties required, no defaults,
    no siblings next to a $ref. Validation stays with pydantic, so this only needs to be
    acceptable to the server, not equivalent."""
    root = copy.deepcopy(schema)
    definitions = root.get("$defs", {})

    def visit(node: Any) -> Any:
        if isinstance(node, list):
            return [visit(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node and len(node) > 1:
            # e.g. {"$ref": ..., "description": ...}: inline the target with the extras.
            target = definitions.get(node["$ref"].rsplit("/", 1)[-1], {})
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        node.pop("default", None)
        if "oneOf" in node:  # strict mode knows anyOf only; pydantic unions use either
            node["anyOf"] = node.pop("oneOf")
        for key in ("properties", "$defs"):
            if key in node:
                node[key] = {name: visit(sub) for name, sub in node[key].items()}
        for key in ("items", "anyOf", "allOf", "prefixItems"):
            if key in node:
                node[key] = visit(node[key])
        if node.get("type") == "object" or "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node.get("properties", {}))
        return node

    return visit(root)


@functools.cache
def _response_format(schema: type[BaseModel]) -> dict[str, Any]:
    """Built once per output model: pydantic regenerates a JSON schema on every call, which
    cost more CPU per request than the rest of the request building together."""
    return {"type": "json_schema", "json_schema": {
        "name": _format_name(schema),
        "schema": strict_json_schema(schema.model_json_schema()),
        "strict": True,
    }}


def _format_name(schema: type[BaseModel]) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", schema.__name__)[:64]


def _rejects_json_schema(exc: openai.BadRequestError) -> bool:
    """A 400 that is about the json_schema response format, not about the request."""
    detail = error_detail(exc.body, exc.message).lower()
    return exc.param == "response_format" or "response_format" in detail or "json_schema" in detail


class OpenAIProvider(RemoteProvider):
    name = "openai"
    key_env_var = API_KEY_ENV_VARS["openai"]

    def __init__(self, settings: ProviderSettings, api_key: str, **options: Any) -> None:
        super().__init__(settings, api_key, **options)
        # max_retries=0: retries are ours (logged, reported, one policy for both SDKs).
        # base_url None lets the SDK use OPENAI_BASE_URL or its default.
        # The SDK's aiohttp transport: with dozens of requests in flight per worker, the
        # default httpx pool spends more CPU than everything else in the request (bench/README.md).
        self._client = AsyncOpenAI(
            api_key=api_key, base_url=settings.base_url, max_retries=0,
            timeout=settings.request_timeout_s, http_client=DefaultAioHttpClient(),
        )
        self._official = self._client.base_url.host == OPENAI_HOST
        # Flipped once a server refuses json_schema response formats; later structured
        # requests go straight to json_object mode.
        self._json_schema_supported = True

    @property
    def service(self) -> str:
        if self._official:
            return "OpenAI"
        return f"OpenAI-compatible server at {display_url(str(self._client.base_url).rstrip('/'))}"

    async def aclose(self) -> None:
        await self._client.close()

    async def _send(self, request: LLMRequest, *, timeout_s: float, stream: bool) -> Reply:
        if request.schema is not None and self._json_schema_supported:
            try:
                return await self._chat(request, timeout_s, stream, json_schema=True)
            except openai.BadRequestError as exc:
                if not _rejects_json_schema(exc):
                    raise
                self._json_schema_supported = False
                log.info("%s does not accept json_schema response formats; using json_object mode",
                         self.service)
        return await self._chat(request, timeout_s, stream, json_schema=False)

    def _messages(self, request: LLMRequest, json_schema: bool) -> list[dict[str, str]]:
        system = request.system
        if request.schema is not None and not json_schema:
            schema_text = json.dumps(_response_format(request.schema)["json_schema"]["schema"], separators=(",", ":"))
            system += JSON_OBJECT_INSTRUCTIONS.format(schema=schema_text)
        messages = [{"role": "system", "content": system}] if system else []
        chat = [{"role": m.role, "content": m.content} for m in request.messages]
        if request.prefix:
            # The prefix opens the first user message, byte for byte the same in every stage.
            if chat and chat[0]["role"] == "user":
                chat[0]["content"] = request.prefix + PREFIX_SEPARATOR + chat[0]["content"]
            else:
                chat.insert(0, {"role": "user", "content": request.prefix})
        return messages + chat

    async def _chat(self, request: LLMRequest, timeout_s: float, stream: bool, *, json_schema: bool) -> Reply:
        # The messages and the response format go in extra_body, which the SDK merges into the
        # JSON as it is: its typed transform walks every message through each of the six message
        # types (and the whole schema), about a third of a request's CPU, to change nothing in
        # plain role/content strings. `messages` must still be named; extra_body replaces it.
        body: dict[str, Any] = {"messages": self._messages(request, json_schema)}
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": (),
            "temperature": request.temperature,
            "timeout": timeout_s,
            "extra_headers": copydesk_headers(request),
            "extra_body": body,
        }
        if self._official:
            # OpenAI's newer models accept only max_completion_tokens; local servers
            # reliably know only max_tokens.
            kwargs["max_completion_tokens"] = request.max_tokens
            if request.article_id is not None:
                # Routes an article's stages to the same cache; the prefix does the rest.
                kwargs["prompt_cache_key"] = f"copydesk-article-{request.article_id}"
        else:
            kwargs["max_tokens"] = request.max_tokens
        if request.schema is not None:
            body["response_format"] = _response_format(request.schema) if json_schema else {"type": "json_object"}
        if request.logprobs:
            body["logprobs"], body["top_logprobs"] = True, 5

        if not stream:
            completion = await self._client.chat.completions.create(**kwargs)
            if not isinstance(completion, ChatCompletion) or not isinstance(completion.choices, list):
                raise NotAnAPIResponse(completion)   # the SDK hands back a non-JSON body as text
            choice = completion.choices[0] if completion.choices else None
            message = choice.message if choice else None
            text = (message.content or message.refusal or "") if message else ""
            return Reply(text=text, model=completion.model or request.model, usage=_usage(completion.usage),
                         first_token_logprobs=_first_token_logprobs(choice) if request.logprobs else None)

        parts: list[str] = []
        usage = Usage()
        model = request.model
        chunks = await self._client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True},
        )
        async with chunks:
            expect_event_stream(chunks.response.headers)
            async for chunk in chunks:
                model = chunk.model or model
                if chunk.choices and chunk.choices[0].delta.content:
                    parts.append(chunk.choices[0].delta.content)
                if chunk.usage is not None:  # only on the last chunk
                    usage = _usage(chunk.usage)
        return Reply(text="".join(parts), model=model, usage=usage)

    def _classify(self, exc: Exception, request: LLMRequest) -> Failure | None:
        if isinstance(exc, NotAnAPIResponse):
            return not_an_api_failure(exc, str(self._client.base_url), "OpenAI")
        if isinstance(exc, openai.APIStatusError):
            return classify_status(
                exc.status_code, exc.response.headers, error_detail(exc.body, exc.message),
                service=self.service, key_env_var=self.key_env_var, model=request.model,
            )
        if isinstance(exc, openai.APITimeoutError) and not lost_connection_reason(exc):
            return Failure(True, f"timed out after {min(request.timeout_s, self.settings.request_timeout_s):g} s")
        if isinstance(exc, openai.APIConnectionError):
            return Failure(True, connection_error_reason(exc))
        if isinstance(exc, openai.APIError):
            # What the SDK raises for an error event inside a streamed 200 response.
            return Failure(True, f"error in the stream ({error_detail(exc.body, exc.message)})")
        return classify_transport_error(exc)


def _first_token_logprobs(choice: Any) -> dict[str, float] | None:
    """The first answer token's alternatives -> log-probability; None when the server sent none."""
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if not content:
        return None
    first = content[0]
    alternatives = {top.token: top.logprob for top in (first.top_logprobs or [])}
    alternatives.setdefault(first.token, first.logprob)
    return alternatives


def _usage(usage: Any) -> Usage:
    """OpenAI's prompt_tokens include the cached ones; our input_tokens are the uncached
    rest, so each token is priced once (as input or as cache read)."""
    if usage is None:  # some compatible servers send none
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = (getattr(details, "cached_tokens", None) or 0) if details else 0
    return Usage(
        input_tokens=max(0, (usage.prompt_tokens or 0) - cached),
        output_tokens=usage.completion_tokens or 0,
        cache_read_tokens=cached,
    )
