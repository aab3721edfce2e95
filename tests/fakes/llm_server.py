"""A fake LLM server on 127.0.0.1 speaking the OpenAI chat-completions and Anthropic
messages wire formats, plain and streaming, with scripted latency and faults.

Tests and benchmarks drive the real SDKs against it. Answers are deterministic for a
given request: free text is made of plausible newsroom sentences mentioning the
request's stage; structured requests get a valid instance of the requested JSON schema.

    server = FakeLLMServer(latency_s=0.0, fault_rate=0.0, seed=0).start()
    server.add_fault("429", times=2, stage="draft", retry_after=1)
    ... AsyncOpenAI(base_url=server.url_openai) / AsyncAnthropic(base_url=server.url_anthropic)
    server.stop()

A user message of the form "Document: ...\nClaim: ..." (the protocol of grounded
fact-checking models such as Ollama's bespoke-minicheck) is answered "Yes" when every
content word of the claim (letters and digits, 4+ characters) is in the document, else
"No"; with `logprobs` asked for, the first token's alternatives come back too
(Yes/No at 0.9/0.1 or the reverse).

A structured request for claim verdicts (a schema with a "verdicts" array, the prompt
listing "Claim N: ..." each followed by passages "  P7 [S1]: ...", as
engine.quality.llm sends it) is answered like a judge would: "supported" citing the
first passage that holds every content word of the claim, else "unverifiable".

Standalone (benchmarks run it in its own process):
    python -m tests.fakes.llm_server --port 8765 --latency 0.2 --fault-rate 0.05
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import signal
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.schema_instance import SchemaInstanceGenerator, paragraph

FAULT_KINDS = (
    "429", "500", "529", "hang", "stall", "stream_error", "malformed_json", "invalid_schema", "reset",
)
# What `fault_rate` draws from: the transient failures a real provider produces.
RANDOM_FAULT_KINDS = ("429", "500", "529", "hang")
_STREAM_ONLY = {"stall", "stream_error"}
_STRUCTURED_ONLY = {"malformed_json", "invalid_schema"}


@dataclass
class RequestRecord:
    time: float                 # time.monotonic() when the request arrived
    path: str
    stage: str | None           # X-Copydesk-Stage
    article: str | None         # X-Copydesk-Article
    model: str | None
    streamed: bool
    fault: str | None           # the fault injected into this request, if any
    status: int | None          # None when the connection was dropped without a response
    api_key: str | None         # the key the client sent, and the header that carried it
    key_header: str | None
    body: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class _ScriptedFault:
    kind: str
    remaining: int
    stage: str | None
    retry_after: float
    seconds: float


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 refuses connections when a worker pool opens
    # dozens at once; a real API accepts them.
    request_queue_size = 256


class FakeLLMServer:
    def __init__(
        self,
        latency_s: float = 0.0,
        fault_rate: float = 0.0,
        seed: int = 0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        hang_s: float = 30.0,
    ) -> None:
        self.latency_s = latency_s
        self.fault_rate = fault_rate
        self.seed = seed
        self.hang_s = hang_s
        # Answer OpenAI json_schema response formats with 400, like servers that only know
        # json_object mode.
        self.reject_json_schema = False
        # When set, any other key gets a 401 whose message quotes the key (as real servers
        # partly do), so tests can check that the client redacts it.
        self.required_key: str | None = None
        # Send logprobs when a request asks for them (False: like servers that ignore the option).
        self.send_logprobs = True
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._rng = random.Random(seed)
        self._faults: list[_ScriptedFault] = []
        self._answers: dict[str, Any] = {}   # stage -> the instance its structured requests get
        self._records: list[RequestRecord] = []
        self._seen_cache_prefixes: set[str] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        self._stop.clear()
        self._httpd = _Server((self._host, self._port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01},
            name="fake-llm-server", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving; handlers stuck in a hang or stall fault wake at once and hang up."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake LLM server is not running")
        return self._httpd.server_address[1]

    @property
    def url_openai(self) -> str:
        return f"http://{self._host}:{self.port}/v1"

    @property
    def url_anthropic(self) -> str:
        return f"http://{self._host}:{self.port}"

    # -- scripting ---------------------------------------------------------------------

    def add_fault(
        self,
        kind: str,
        times: int = 1,
        stage: str | None = None,
        *,
        retry_after: float = 1.0,
        seconds: float | None = None,
    ) -> None:
        """Inject `kind` into the next `times` matching requests (only those whose
        X-Copydesk-Stage equals `stage`, if given). "stall" (go silent mid-stream) and
        "stream_error" (an overloaded error event mid-stream) only match streamed requests,
        "malformed_json"/"invalid_schema" only structured ones. `retry_after` is the 429's
        Retry-After; `seconds` how long a hang or stall lasts (default `hang_s`)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append(_ScriptedFault(
                kind, times, stage, retry_after, self.hang_s if seconds is None else seconds,
            ))

    def answer_with(self, stage: str, instance: Any) -> None:
        """Answer every structured request of `stage` with `instance` (as JSON) instead of a
        generated one, e.g. a claims list that opens with a model's preamble."""
        with self._lock:
            self._answers[stage] = instance

    def scripted_answer(self, stage: str | None) -> Any:
        with self._lock:
            return self._answers.get(stage or "")

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def count(self, stage: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self._records if stage is None or r.stage == stage)

    def reset(self) -> None:
        """Forget requests, pending faults, cache state and flags; keep serving."""
        with self._lock:
            self._faults.clear()
            self._answers.clear()
            self._records.clear()
            self._seen_cache_prefixes.clear()
            self._rng = random.Random(self.seed)
            self.reject_json_schema = False
            self.required_key = None
            self.send_logprobs = True

    # -- used by the handler -----------------------------------------------------------

    def sleep(self, seconds: float) -> bool:
        """Sleeps unless the server stops first; False if it was stopped."""
        return not self._stop.wait(seconds)

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def take_fault(self, stage: str | None, streamed: bool, structured: bool) -> _ScriptedFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.stage is not None and fault.stage != stage:
                    continue
                if fault.kind in _STREAM_ONLY and not streamed:
                    continue
                if fault.kind in _STRUCTURED_ONLY and not structured:
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
            if self.fault_rate and self._rng.random() < self.fault_rate:
                kind = self._rng.choice(RANDOM_FAULT_KINDS)
                return _ScriptedFault(kind, 0, None, retry_after=0.5, seconds=self.hang_s)
        return None

    def cache_lookup(self, prefix_text: str) -> bool:
        """True if this cacheable prefix was seen before (then it is a cache read)."""
        digest = hashlib.sha256(prefix_text.encode()).hexdigest()
        with self._lock:
            seen = digest in self._seen_cache_prefixes
            self._seen_cache_prefixes.add(digest)
        return seen


# -- wire formats --------------------------------------------------------------------------


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _content_text(content: Any) -> str:
    """Text of a message content that is a string or a list of content blocks/parts."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if block.get("type") == "text":
            parts.append(block.get("text", ""))
        elif block.get("type") in ("tool_use", "tool_result"):
            parts.append(json.dumps(block.get("input", block.get("content", ""))))
    return "\n".join(parts)


def _schema_in_text(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` that looks like a JSON schema (json_object mode puts
    the schema into the prompt)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and ("properties" in value or "$defs" in value):
            return value
        start = text.find("{", start + 1)
    return None


def _break_instance(instance: Any) -> Any:
    """Valid JSON that no longer satisfies the schema: drop a property, or change the type."""
    if isinstance(instance, dict) and instance:
        first = next(iter(instance))
        return {k: v for k, v in instance.items() if k != first}
    return ["not", "what", "was", "asked"]


def _chunks(text: str, pieces: int = 6) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


@dataclass
class _Answer:
    kind: str                       # "text" | "json" | "tool"
    text: str                       # the text or JSON string sent back
    tool_name: str = ""
    tool_input: Any = None
    truncated: bool = False
    top_logprobs: dict[str, float] | None = None   # the first token's alternatives (OpenAI logprobs)


_MINICHECK = re.compile(r"\ADocument: (?P<document>.*)\nClaim: (?P<claim>.*)\Z", re.DOTALL)
_CONTENT_WORD = re.compile(r"[^\W_]{4,}")


_CLAIM_BLOCK = re.compile(r"^Claim (?P<index>\d+): (?P<claim>.*?)\n(?P<passages>(?:  .*\n?)*)", re.MULTILINE)
_PASSAGE_LINE = re.compile(r"^  (?P<id>P\d+) \[[^\]]*\]: (?P<text>.*)$", re.MULTILINE)


def judge_verdicts(prompt: str) -> dict[str, Any] | None:
    """Claim verdicts for a judge prompt (None if the prompt lists no claims)."""
    verdicts = []
    for block in _CLAIM_BLOCK.finditer(prompt):
        claim = {w.casefold() for w in _CONTENT_WORD.findall(block["claim"])}
        found = next((p["id"] for p in _PASSAGE_LINE.finditer(block["passages"])
                      if claim <= {w.casefold() for w in _CONTENT_WORD.findall(p["text"])}), None)
        verdicts.append({"claim_index": int(block["index"]), "verdict": "supported" if found else "unverifiable",
                         "passage_id": found, "reason": "every word of the claim is in the passage" if found
                         else "no passage holds every word of the claim"})
    return {"verdicts": verdicts} if verdicts else None


def minicheck_answer(prompt: str) -> str | None:
    """ "Yes" or "No" for a MiniCheck-style prompt (None if it is not one): Yes when every
    content word of the claim is in the document."""
    match = _MINICHECK.match(prompt.strip())
    if match is None:
        return None
    document = {w.casefold() for w in _CONTENT_WORD.findall(match["document"])}
    claim = {w.casefold() for w in _CONTENT_WORD.findall(match["claim"])}
    return "Yes" if claim <= document else "No"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeLLM/1.0"
    # Headers and body go out in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True

    @property
    def fake(self) -> FakeLLMServer:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence per-request stderr lines; `requests` is the record."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        """GET /stats: request counts, for benchmarks that run the server in its own process."""
        if self.path.split("?", 1)[0] != "/stats":
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        records = self.fake.requests
        self._send_json(200, {"requests": len(records), "ok": sum(1 for r in records if r.status == 200),
                              "faults": sum(1 for r in records if r.fault)})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        path = self.path.split("?", 1)[0]
        if path.endswith("/chat/completions"):
            api = "openai"
        elif path.endswith("/messages"):
            api = "anthropic"
        else:
            self._send_json(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
            return
        _ExchangeRunner(self, api, path, body).run()

    # -- low-level writers -------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop_connection(self) -> None:
        """Close with RST and no response, like a proxy or server crashing mid-request."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


class _ExchangeRunner:
    """One request: pick a fault, build the answer, write it in the API's wire format."""

    def __init__(self, handler: _Handler, api: str, path: str, body: dict[str, Any]) -> None:
        self.h = handler
        self.fake = handler.fake
        self.api = api
        self.body = body
        headers = handler.headers
        self.stage = headers.get("X-Copydesk-Stage")
        self.streamed = bool(body.get("stream"))
        key_header, api_key = self._find_key(headers)
        self.record = RequestRecord(
            time=time.monotonic(), path=path, stage=self.stage,
            article=headers.get("X-Copydesk-Article"), model=body.get("model"),
            streamed=self.streamed, fault=None, status=None,
            api_key=api_key, key_header=key_header, body=body,
        )
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        self.rng = random.Random(f"{self.fake.seed}|{api}|{self.stage}|{digest}")

    @staticmethod
    def _find_key(headers: Any) -> tuple[str | None, str | None]:
        auth = headers.get("Authorization")
        if auth and auth.lower().startswith("bearer "):
            return "authorization", auth[7:]
        if headers.get("x-api-key"):
            return "x-api-key", headers.get("x-api-key")
        return None, None

    def run(self) -> None:
        fault = self.fake.take_fault(self.stage, self.streamed, self._is_structured())
        self.record.fault = fault.kind if fault else None
        # Recorded on arrival (status filled in later), so a request stuck in a hang or
        # stall is visible to the test that caused it.
        self.fake.record(self.record)
        try:
            self._run(fault)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (timeout) while we were writing: nothing to answer.
            self.h.close_connection = True

    def _run(self, fault: _ScriptedFault | None) -> None:
        if self.fake.latency_s and not self.fake.sleep(self.fake.latency_s):
            return self.h._drop_connection()
        if self.fake.required_key is not None and self.record.api_key != self.fake.required_key:
            return self._error(401, f"Incorrect API key provided: {self.record.api_key}")
        if fault is not None and fault.kind in ("429", "500", "529"):
            return self._error(int(fault.kind), fault=fault)
        if fault is not None and fault.kind == "hang":
            self.fake.sleep(fault.seconds)
            return self.h._drop_connection()
        if fault is not None and fault.kind == "reset":
            return self.h._drop_connection()
        if self.api == "openai" and self.fake.reject_json_schema and self._openai_format() == "json_schema":
            return self._error(400, "response_format json_schema is not supported for this model; use json_object")

        answer = self._answer(fault.kind if fault else None)
        stream_fault = fault if fault is not None and fault.kind in _STREAM_ONLY else None
        if self.api == "openai":
            self._reply_openai(answer, stream_fault)
        else:
            self._reply_anthropic(answer, stream_fault)

    # -- what is being asked -----------------------------------------------------------

    def _openai_format(self) -> str | None:
        fmt = self.body.get("response_format")
        return fmt.get("type") if isinstance(fmt, dict) else None

    def _anthropic_tool(self) -> dict[str, Any] | None:
        choice = self.body.get("tool_choice") or {}
        if choice.get("type") != "tool":
            return None
        return next((t for t in self.body.get("tools", []) if t.get("name") == choice.get("name")), None)

    def _anthropic_output_schema(self) -> dict[str, Any] | None:
        fmt = (self.body.get("output_config") or {}).get("format") or {}
        return fmt.get("schema") if fmt.get("type") == "json_schema" else None

    def _is_structured(self) -> bool:
        if self.api == "openai":
            return self._openai_format() in ("json_schema", "json_object")
        return self._anthropic_tool() is not None or self._anthropic_output_schema() is not None

    def _prompt_text(self) -> str:
        system = self.body.get("system", "")
        parts = [_content_text(system) if isinstance(system, list) else system]
        parts += [_content_text(m.get("content")) for m in self.body.get("messages", [])]
        return "\n".join(parts)

    def _answer(self, fault_kind: str | None) -> _Answer:
        schema: dict[str, Any] | None = None
        tool = None
        if self.api == "openai":
            fmt = self.body.get("response_format") or {}
            if fmt.get("type") == "json_schema":
                schema = fmt["json_schema"].get("schema", {})
            elif fmt.get("type") == "json_object":
                schema = _schema_in_text(self._prompt_text()) or {
                    "type": "object", "properties": {"result": {"type": "string"}},
                    "required": ["result"],
                }
        else:
            tool = self._anthropic_tool()
            schema = tool["input_schema"] if tool else self._anthropic_output_schema()

        if schema is None:
            return self._text_answer()
        if fault_kind == "malformed_json":
            # A model that ignored the format: prose with a broken object in it.
            return _Answer("text", "Sure! Here is the JSON you asked for: {\"headline\": \"Council")
        judged = judge_verdicts(self._prompt_text()) if "verdicts" in schema.get("properties", {}) else None
        instance = self.fake.scripted_answer(self.stage) or judged or SchemaInstanceGenerator(
            schema, self.rng, self.stage or "").generate()
        if fault_kind == "invalid_schema":
            instance = _break_instance(instance)
        if tool is not None:
            return _Answer("tool", json.dumps(instance), tool_name=tool["name"], tool_input=instance)
        return _Answer("json", json.dumps(instance))

    def _text_answer(self) -> _Answer:
        messages = self.body.get("messages") or []
        verdict = minicheck_answer(_content_text(messages[-1].get("content"))) if messages else None
        if verdict is not None:
            other = "No" if verdict == "Yes" else "Yes"
            return _Answer("text", verdict, top_logprobs={verdict: math.log(0.9), other: math.log(0.1)})
        max_tokens = self.body.get("max_tokens") or self.body.get("max_completion_tokens") or 1024
        if max_tokens <= 4:
            return _Answer("text", "OK", truncated=max_tokens < 1)
        text = "\n\n".join(paragraph(self.rng, self.stage or "", 3) for _ in range(2))
        limit = max_tokens * 4
        if len(text) > limit:
            return _Answer("text", text[:limit], truncated=True)
        return _Answer("text", text)

    # -- errors ------------------------------------------------------------------------

    def _error(self, status: int, message: str = "", fault: _ScriptedFault | None = None) -> None:
        headers: dict[str, str] = {}
        defaults = {
            400: ("invalid_request_error", "Bad request"),
            401: ("authentication_error", "Invalid API key"),
            429: ("rate_limit_error", "Rate limit reached; slow down"),
            500: ("api_error", "Internal server error"),
            529: ("overloaded_error", "Overloaded"),
        }
        error_type, default_message = defaults.get(status, ("api_error", "Error"))
        if status == 429 and fault is not None:
            headers["retry-after"] = f"{fault.retry_after:g}"
            headers["retry-after-ms"] = str(int(fault.retry_after * 1000))
        if self.api == "openai":
            payload: dict[str, Any] = {"error": {
                "message": message or default_message, "type": error_type, "param": None, "code": None,
            }}
        else:
            payload = {"type": "error", "error": {"type": error_type, "message": message or default_message}}
        self.record.status = status
        self.h._send_json(status, payload, headers)

    # -- OpenAI ------------------------------------------------------------------------

    def _reply_openai(self, answer: _Answer, stream_fault: _ScriptedFault | None) -> None:
        model = self.body.get("model", "fake-model")
        messages = self.body.get("messages", [])
        prompt_tokens = _tokens(self._prompt_text())
        # OpenAI's automatic prefix caching, simplified: the head of the prompt (up to the
        # first user message) is cached once it is 1,024+ tokens, in 128-token steps.
        first_user = next((i for i, m in enumerate(messages) if m.get("role") == "user"), len(messages) - 1)
        head = "\n".join(_content_text(m.get("content")) for m in messages[:first_user + 1])
        cacheable = (_tokens(head) // 128) * 128 if _tokens(head) >= 1024 else 0
        cached = cacheable if cacheable and self.fake.cache_lookup("openai|" + head) else 0
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": _tokens(answer.text),
            "total_tokens": prompt_tokens + _tokens(answer.text),
            "prompt_tokens_details": {"cached_tokens": min(cached, prompt_tokens)},
        }
        finish = "length" if answer.truncated else "stop"
        completion_id = f"chatcmpl-{self.rng.getrandbits(48):012x}"
        created = int(time.time())
        self.record.status = 200
        if not self.streamed:
            choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": answer.text},
                                      "finish_reason": finish}
            if self.body.get("logprobs") and answer.top_logprobs and self.fake.send_logprobs:
                tops = [{"token": t, "logprob": lp, "bytes": None} for t, lp in answer.top_logprobs.items()]
                choice["logprobs"] = {"content": [{**tops[0], "top_logprobs": tops}], "refusal": None}
            self.h._send_json(200, {
                "id": completion_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [choice], "usage": usage,
            })
            return

        def chunk(choices: list[Any], **extra: Any) -> str:
            payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                       "model": model, "choices": choices, **extra}
            return f"data: {json.dumps(payload)}\n\n"

        def events() -> Iterator[str]:
            yield chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
            for piece in _chunks(answer.text):
                yield chunk([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
            yield chunk([{"index": 0, "delta": {}, "finish_reason": finish}])
            if (self.body.get("stream_options") or {}).get("include_usage"):
                yield chunk([], usage=usage)
            yield "data: [DONE]\n\n"

        error = {"error": {"message": "The server is overloaded", "type": "server_error"}}
        self._stream(events(), stream_fault, f"data: {json.dumps(error)}\n\n")

    # -- Anthropic ---------------------------------------------------------------------

    def _anthropic_usage(self, answer: _Answer) -> dict[str, int]:
        total = _tokens(self._prompt_text()) + sum(
            _tokens(json.dumps(t)) for t in self.body.get("tools", [])
        )
        cacheable = self._anthropic_cacheable_prefix()
        cached = _tokens(cacheable) if cacheable else 0
        hit = bool(cacheable) and self.fake.cache_lookup("anthropic|" + cacheable)
        return {
            "input_tokens": max(1, total - cached),
            "output_tokens": _tokens(answer.text),
            "cache_read_input_tokens": cached if hit else 0,
            "cache_creation_input_tokens": 0 if hit else cached,
        }

    def _anthropic_cacheable_prefix(self) -> str:
        """Everything up to the last block marked cache_control, in tools-system-messages
        order (Anthropic's cache hierarchy); empty if nothing is marked."""
        pieces: list[str] = []
        marked_upto = 0
        for tool in self.body.get("tools", []):
            pieces.append(json.dumps(tool, sort_keys=True))
            if tool.get("cache_control"):
                marked_upto = len(pieces)
        system = self.body.get("system")
        blocks = system if isinstance(system, list) else ([{"type": "text", "text": system}] if system else [])
        for message in [{"content": blocks}] + list(self.body.get("messages", [])):
            content = message.get("content")
            for block in content if isinstance(content, list) else [{"type": "text", "text": content}]:
                pieces.append(_content_text([block]))
                if block.get("cache_control"):
                    marked_upto = len(pieces)
        return "\n".join(pieces[:marked_upto])

    def _reply_anthropic(self, answer: _Answer, stream_fault: _ScriptedFault | None) -> None:
        model = self.body.get("model", "fake-model")
        usage = self._anthropic_usage(answer)
        message_id = f"msg_{self.rng.getrandbits(48):012x}"
        if answer.kind == "tool":
            block: dict[str, Any] = {"type": "tool_use", "id": f"toolu_{self.rng.getrandbits(48):012x}",
                                     "name": answer.tool_name, "input": answer.tool_input}
            stop_reason = "tool_use"
        else:
            block = {"type": "text", "text": answer.text}
            stop_reason = "max_tokens" if answer.truncated else "end_turn"
        self.record.status = 200
        if not self.streamed:
            self.h._send_json(200, {
                "id": message_id, "type": "message", "role": "assistant", "model": model,
                "content": [block], "stop_reason": stop_reason, "stop_sequence": None, "usage": usage,
            })
            return

        def event(name: str, payload: dict[str, Any]) -> str:
            return f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n"

        def events() -> Iterator[str]:
            yield event("message_start", {"message": {
                "id": message_id, "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": {**usage, "output_tokens": 1},
            }})
            if answer.kind == "tool":
                yield event("content_block_start", {"index": 0, "content_block": {**block, "input": {}}})
                for piece in _chunks(answer.text):
                    yield event("content_block_delta", {"index": 0, "delta": {
                        "type": "input_json_delta", "partial_json": piece}})
            else:
                yield event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
                for piece in _chunks(answer.text):
                    yield event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}})
            yield event("content_block_stop", {"index": 0})
            yield event("message_delta", {"delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                          "usage": {"output_tokens": usage["output_tokens"]}})
            yield event("message_stop", {})

        error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        self._stream(events(), stream_fault, f"event: error\ndata: {json.dumps(error)}\n\n")

    def _stream(self, events: Iterator[str], fault: _ScriptedFault | None, error_event: str) -> None:
        self.h._start_stream()
        for index, text in enumerate(events):
            if fault is not None and index == 2:
                # Headers and a little content went out. "stall": go silent until the
                # client times out (or the server stops), then hang up. "stream_error":
                # an error event inside the 200 response, as providers send when overloaded.
                if fault.kind == "stream_error":
                    self.h._write_chunk(error_event)
                    return self.h._end_stream()
                self.fake.sleep(fault.seconds)
                return self.h._drop_connection()
            if self.fake.latency_s and index and not self.fake.sleep(self.fake.latency_s / 10):
                return self.h._drop_connection()
            self.h._write_chunk(text)
        self.h._end_stream()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI/Anthropic server for tests and benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests given a random transient fault")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hang", type=float, default=30.0, help="seconds a hang fault lasts")
    args = parser.parse_args(argv)

    server = FakeLLMServer(args.latency, args.fault_rate, args.seed,
                           host=args.host, port=args.port, hang_s=args.hang).start()
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    print(f"openai {server.url_openai}", flush=True)
    print(f"anthropic {server.url_anthropic}", flush=True)
    while not stopped.wait(0.5):
        pass
    server.stop()


if __name__ == "__main__":
    main()
