"""`copydesk analyze --batch`: one JSON line in, one JSON line out.

Input line:  {"id", "text" (Markdown), "sources": [{"title", "text", "url"?}], "claims"?: [str]}
Output line: {"id", "bias_score", "fact_check_score", "perspective_balance_score",
              "overall_quality_score", "passed", "checker",
              "claims": [{"text", "verdict", "confidence", "evidence", "source"}],
              "findings": [{"tool", "kind", "start", "end", "text", "explanation"}]}
A line that cannot be analysed: {"line": N, "id"?: ..., "error": "one line"}.

Sources are labelled S1, S2, ... in input order (a text cites them as [S1]),
and a claim's "source" is that label. Keys an item carries beyond these
(a benchmark's "label") are ignored. "claims", when given, are checked
instead of the claims extracted from the text. "checker" names who was asked
to check the item: "offline rules", or "<provider>:<model>" (engine.quality.checker;
a model's analysis always builds on the offline rules' findings).

The CLI does the I/O; benchmarks call the same functions in-process, so a
figure measured on a benchmark is the figure the command line gives.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from engine.quality import analyze_text, analyze_with
from engine.quality.checker import Checker
from engine.quality.overall import QualityGates, QualityWeights
from engine.quality.types import OFFLINE_CHECKER, QualityReport, SourceDoc

# A line holds one article and its sources: the same 20 MB a keyword import may be.
MAX_LINE_BYTES = 20 * 1024 * 1024
# The article itself: what `copydesk analyze FILE.md` accepts.
MAX_TEXT_CHARS = 2_000_000
_DRAIN_CHUNK = 1024 * 1024

_T = TypeVar("_T")
_R = TypeVar("_R")


class BatchLineError(ValueError):
    """Why one input line cannot be analysed, in one line; `item_id` when the line had a usable id."""

    def __init__(self, message: str, item_id: str | int | None = None) -> None:
        super().__init__(message)
        self.item_id = item_id


@dataclass(frozen=True)
class BatchItem:
    id: str | int
    text: str
    sources: tuple[SourceDoc, ...]
    claims: tuple[str, ...] | None  # None: extract the claims from the text


@dataclass(frozen=True)
class RawLine:
    number: int          # 1-based, counting every physical line of the input
    data: bytes | None   # None: longer than the cap (its bytes were skipped, not kept)


def read_lines(stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[RawLine]:
    """The non-blank lines of a binary stream, one at a time (never more than
    `max_bytes` of a line in memory: a longer line is skipped to its end)."""
    number = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while (rest := stream.readline(_DRAIN_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield RawLine(number, None)
        elif line.strip():
            yield RawLine(number, line)


def _item_id(data: Any) -> str | int | None:
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _string(data: dict[str, Any], key: str, where: str, item_id: str | int | None) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        got = "missing" if key not in data else f"a {type(value).__name__}"
        raise BatchLineError(f'{where}"{key}" must be a string ({got})', item_id)
    return value


def parse_item(data: Any) -> BatchItem:
    """A decoded input line, validated; BatchLineError says what is wrong."""
    if not isinstance(data, dict):
        raise BatchLineError(f"a line must be a JSON object, not {type(data).__name__}")
    item_id = _item_id(data)
    if item_id is None:
        raise BatchLineError('"id" must be a string or an integer' + ("" if "id" in data else " (missing)"))
    text = _string(data, "text", "", item_id)
    if not text.strip():
        raise BatchLineError('"text" is empty', item_id)
    if len(text) > MAX_TEXT_CHARS:
        raise BatchLineError(f'"text" is longer than {MAX_TEXT_CHARS:,} characters; one article per line',
                             item_id)
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list):
        got = "missing" if "sources" not in data else f"a {type(raw_sources).__name__}"
        raise BatchLineError(f'"sources" must be a list ({got})', item_id)
    sources: list[SourceDoc] = []
    for n, source in enumerate(raw_sources, start=1):
        where = f"sources[{n - 1}]."
        if not isinstance(source, dict):
            raise BatchLineError(f"sources[{n - 1}] must be an object", item_id)
        url = source.get("url")
        if url is not None and not isinstance(url, str):
            raise BatchLineError(f'{where}"url" must be a string', item_id)
        sources.append(SourceDoc(label=f"S{n}", title=_string(source, "title", where, item_id),
                                 text=_string(source, "text", where, item_id), url=url or None))
    claims = data.get("claims")
    if claims is not None and not (isinstance(claims, list) and all(isinstance(c, str) for c in claims)):
        raise BatchLineError('"claims" must be a list of strings', item_id)
    return BatchItem(item_id, text, tuple(sources), None if claims is None else tuple(claims))


def parse_line(raw: RawLine, max_bytes: int = MAX_LINE_BYTES) -> BatchItem:
    if raw.data is None:
        raise BatchLineError(f"the line is longer than {max_bytes // (1024 * 1024)} MB")
    try:
        data = json.loads(raw.data.removeprefix(b"\xef\xbb\xbf") if raw.number == 1 else raw.data)
    except UnicodeDecodeError:
        raise BatchLineError("the line is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise BatchLineError(f"not JSON: {error.msg} at column {error.colno}") from None
    except RecursionError:
        raise BatchLineError("not JSON: nested too deeply") from None
    return parse_item(data)


def error_object(line: int, error: Exception, item_id: str | int | None = None) -> dict[str, Any]:
    """The output line for an input line that could not be analysed."""
    item_id = error.item_id if isinstance(error, BatchLineError) and item_id is None else item_id
    message = " ".join(str(error).split()) or type(error).__name__
    return {"line": line, **({"id": item_id} if item_id is not None else {}), "error": message}


def output_object(item: BatchItem, report: QualityReport, checker: str = OFFLINE_CHECKER) -> dict[str, Any]:
    """The output line for an analysed item; `checker` is the name of the checker asked."""
    return {
        "id": item.id,
        "bias_score": report.bias.bias_score,
        "fact_check_score": report.fact.fact_check_score,
        "perspective_balance_score": report.perspective.perspective_balance_score,
        "overall_quality_score": report.overall.overall_quality_score,
        "passed": report.overall.quality_passed,
        "checker": checker,
        "claims": [{"text": c.text, "verdict": c.verdict, "confidence": c.confidence, "evidence": c.evidence,
                    "source": c.source_label} for c in report.fact.claims],
        "findings": [{"tool": f.tool, "kind": f.kind, "start": f.start, "end": f.end, "text": f.text,
                      "explanation": f.explanation} for f in report.findings],
    }


def analyze_item(item: BatchItem, gates: QualityGates | None = None,
                 weights: QualityWeights | None = None) -> QualityReport:
    """The offline analysis of one item."""
    return analyze_text(item.text, list(item.sources), claims=None if item.claims is None else list(item.claims),
                        gates=gates, weights=weights)


async def analyze_item_with(checker: Checker, item: BatchItem, gates: QualityGates | None = None,
                            weights: QualityWeights | None = None) -> QualityReport:
    """One item checked by a model: a general LLM as judge, or a grounded fact checker
    (engine.quality.analyze_with)."""
    return await analyze_with(checker, item.text, list(item.sources),
                              claims=None if item.claims is None else list(item.claims), gates=gates,
                              weights=weights)


def run_offline(lines: Iterable[RawLine], gates: QualityGates | None = None,
                weights: QualityWeights | None = None) -> Iterator[dict[str, Any]]:
    """One output object per input line, in order, analysed offline."""
    for raw in lines:
        try:
            item = parse_line(raw)
        except BatchLineError as error:
            yield error_object(raw.number, error)
            continue
        yield output_object(item, analyze_item(item, gates, weights))


async def in_order(inputs: Iterable[_T], work: Callable[[_T], Awaitable[_R]], in_flight: int) -> AsyncIterator[_R]:
    """work(x) for each input with at most `in_flight` running at once, results in input
    order. Inputs are pulled in a thread, so a slow pipe does not stall the requests."""
    if in_flight < 1:
        raise ValueError(f"in_flight must be at least 1, not {in_flight}")
    source = iter(inputs)
    end = object()
    pending: deque[asyncio.Task[_R]] = deque()
    try:
        while (x := await asyncio.to_thread(next, source, end)) is not end:
            pending.append(asyncio.create_task(work(x)))  # type: ignore[arg-type]  # x is a _T here
            if len(pending) >= in_flight:
                yield await pending.popleft()
        while pending:
            yield await pending.popleft()
    finally:
        for task in pending:
            task.cancel()


async def run_with_checker(lines: Iterable[RawLine], checker: Checker, gates: QualityGates | None = None,
                           weights: QualityWeights | None = None, in_flight: int = 8,
                           failed: tuple[type[Exception], ...] = ()) -> AsyncIterator[dict[str, Any]]:
    """One output object per input line, in order, checked by `checker`; an exception of
    a type in `failed` (the provider's errors) becomes that line's error object and the
    run goes on."""
    async def one(raw: RawLine) -> dict[str, Any]:
        try:
            item = parse_line(raw)
        except BatchLineError as error:
            return error_object(raw.number, error)
        try:
            report = await analyze_item_with(checker, item, gates, weights)
        except failed as error:
            return error_object(raw.number, error, item.id)
        return output_object(item, report, checker.name)

    async for result in in_order(lines, one, in_flight):
        yield result
