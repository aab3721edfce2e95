"""The fake LLM server itself: valid schema instances, exact wire formats, fault
scripting, clean shutdown, and the standalone process benchmarks use."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from tests.fakes.fixtures import fake_llm  # noqa: F401
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.schema_instance import SchemaInstanceGenerator

REPO = Path(__file__).resolve().parents[2]


def post(url: str, body: dict, stage: str | None = None, timeout: float = 5.0) -> tuple[int, str]:
    headers = {"Content-Type": "application/json", "Authorization": "Bearer test-key"}
    if stage:
        headers["X-Copydesk-Stage"] = stage
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def chat(server: FakeLLMServer, stage: str | None = None, **extra: object) -> tuple[int, str]:
    body = {"model": "m", "messages": [{"role": "user", "content": "Write."}], **extra}
    return post(server.url_openai + "/chat/completions", body, stage)


# -- schema instances --------------------------------------------------------------------


class Stance(StrEnum):
    FOR = "for"
    AGAINST = "against"


class Quote(BaseModel):
    speaker: str = Field(min_length=3, max_length=40)
    words: str = Field(min_length=80)
    stance: Stance


class Node(BaseModel):
    label: str
    children: list[Node] = []


class Everything(BaseModel):
    slug: str
    score: Annotated[int, Field(ge=0, le=100)]
    ratio: float = Field(gt=0, lt=1)
    year: int = Field(ge=2000)
    kind: Literal["news", "opinion"]
    quotes: list[Quote] = Field(min_length=3, max_length=4)
    lead: Quote | None
    either: Quote | Node
    tags: set[str] = Field(min_length=2)
    counts: dict[str, int]
    pair: tuple[str, int]
    published: date
    tree: Node
    flag: bool = False


@pytest.mark.parametrize("seed", range(5))
def test_generated_instances_validate(seed: int) -> None:
    for model in (Everything, Quote, Node):
        instance = SchemaInstanceGenerator(model.model_json_schema(), random.Random(seed), "outline").generate()
        model.model_validate(instance)
    words = SchemaInstanceGenerator(Quote.model_json_schema(), random.Random(seed), "outline").generate()["words"]
    assert "during outline" in words


def test_generation_is_deterministic() -> None:
    schema = Everything.model_json_schema()
    first = SchemaInstanceGenerator(schema, random.Random("x"), "draft").generate()
    assert first == SchemaInstanceGenerator(schema, random.Random("x"), "draft").generate()


# -- wire formats ------------------------------------------------------------------------


def test_openai_stream_wire_format(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    status, text = chat(fake_llm, stream=True, stream_options={"include_usage": True})
    assert status == 200
    lines = [line for line in text.splitlines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert len(content) > 100


def test_anthropic_stream_names_every_event(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    body = {"model": "m", "max_tokens": 500, "stream": True, "messages": [{"role": "user", "content": "Write."}]}
    status, text = post(fake_llm.url_anthropic + "/v1/messages", body)
    assert status == 200
    events = [block.split("\n") for block in text.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    assert names[:2] == ["message_start", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    for name, (_, data) in zip(names, events, strict=True):
        assert json.loads(data.removeprefix("data: "))["type"] == name


def test_json_object_mode_reads_the_schema_from_the_prompt(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    schema = json.dumps(Quote.model_json_schema())
    messages = [{"role": "system", "content": f"Reply with JSON valid against:\n{schema}"},
                {"role": "user", "content": "Go."}]
    status, text = chat(fake_llm, response_format={"type": "json_object"}, messages=messages)
    Quote.model_validate_json(json.loads(text)["choices"][0]["message"]["content"])
    _, generic = chat(fake_llm, response_format={"type": "json_object"})
    assert "result" in json.loads(json.loads(generic)["choices"][0]["message"]["content"])


def test_unknown_path_is_404(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    status, _ = post(fake_llm.url_openai + "/embeddings", {})
    assert status == 404


# -- scripting ---------------------------------------------------------------------------


def test_faults_target_a_stage_and_run_out(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    fake_llm.add_fault("500", times=2, stage="outline")
    fake_llm.add_fault("stall", stage="draft")  # streamed requests only
    statuses = [chat(fake_llm, stage)[0] for stage in ("draft", "outline", "draft", "outline", "outline")]
    assert statuses == [200, 500, 200, 500, 200]
    assert fake_llm.count("outline") == 3 and fake_llm.count() == 5
    assert [r.fault for r in fake_llm.requests] == [None, "500", None, "500", None]
    fake_llm.reset()
    assert fake_llm.requests == [] and fake_llm.count() == 0
    assert chat(fake_llm, "draft", stream=True)[0] == 200  # the stall fault was forgotten


def test_429_carries_retry_after(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    fake_llm.add_fault("429", retry_after=2.5)
    req = urllib.request.Request(fake_llm.url_openai + "/chat/completions", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=5)
    assert caught.value.code == 429
    assert caught.value.headers["retry-after"] == "2.5" and caught.value.headers["retry-after-ms"] == "2500"


def test_unknown_fault_kind_is_refused(fake_llm: FakeLLMServer) -> None:  # noqa: F811
    with pytest.raises(ValueError, match="unknown fault kind"):
        fake_llm.add_fault("404")


def test_random_faults_follow_the_seed() -> None:
    def fault_sequence() -> list[str | None]:
        with FakeLLMServer(fault_rate=0.5, seed=7, hang_s=0.01) as server:
            for _ in range(40):
                try:
                    chat(server)
                except (urllib.error.URLError, ConnectionError):
                    pass  # a hang ends with a dropped connection
            return [r.fault for r in server.requests]

    first = fault_sequence()
    assert first == fault_sequence()
    assert {"429", "500", "529", "hang"} <= set(first) and None in first


def test_stop_does_not_wait_for_a_hanging_request() -> None:
    server = FakeLLMServer().start()
    server.add_fault("hang", seconds=60)
    outcome: list[BaseException] = []

    def hung_client() -> None:
        try:
            chat(server)
        except (urllib.error.URLError, ConnectionError) as error:
            outcome.append(error)

    client = threading.Thread(target=hung_client, daemon=True)
    client.start()
    while server.count() == 0:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    client.join(timeout=5)
    assert not client.is_alive() and outcome  # the client saw the connection drop
    assert time.monotonic() - started < 5  # far from the 60 s hang


def test_standalone_process_prints_urls_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.llm_server", "--port", "0", "--latency", "0.01"],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    try:
        openai_line = process.stdout.readline().split()
        anthropic_line = process.stdout.readline().split()
        assert openai_line[0] == "openai" and openai_line[1].endswith("/v1")
        assert anthropic_line[0] == "anthropic"
        body = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
        status, _ = post(openai_line[1] + "/chat/completions", body)
        assert status == 200
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
