"""engine.quality.batch: validation of input lines, the streaming line reader, and ordered
concurrency with a bound."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from engine.quality.batch import (
    BatchLineError,
    RawLine,
    error_object,
    in_order,
    parse_item,
    parse_line,
    read_lines,
)

GOOD = {"id": "x", "text": "Rates rose.", "sources": [{"title": "t", "text": "Rates rose.", "url": "https://e.org"}]}


def test_a_good_item_labels_its_sources_in_order() -> None:
    item = parse_item({**GOOD, "sources": [*GOOD["sources"], {"title": "u", "text": "More."}], "label": "extra"})
    assert [(s.label, s.title, s.url) for s in item.sources] == [("S1", "t", "https://e.org"), ("S2", "u", None)]
    assert item.claims is None
    assert parse_item({**GOOD, "claims": []}).claims == ()


@pytest.mark.parametrize(("data", "message", "item_id"), [
    ([], "must be a JSON object", None),
    ({"text": "a", "sources": []}, '"id" must be a string or an integer (missing)', None),
    ({"id": True, "text": "a", "sources": []}, '"id" must be a string or an integer', None),
    ({"id": 3, "sources": []}, '"text" must be a string (missing)', 3),
    ({"id": 3, "text": "  ", "sources": []}, '"text" is empty', 3),
    ({"id": "a", "text": "t"}, '"sources" must be a list (missing)', "a"),
    ({"id": "a", "text": "t", "sources": {}}, '"sources" must be a list (a dict)', "a"),
    ({"id": "a", "text": "t", "sources": ["s"]}, "sources[0] must be an object", "a"),
    ({"id": "a", "text": "t", "sources": [{"text": "s"}]}, 'sources[0]."title" must be a string (missing)', "a"),
    ({"id": "a", "text": "t", "sources": [{"title": "s", "text": "s", "url": 1}]}, '"url" must be a string', "a"),
    ({"id": "a", "text": "t", "sources": [], "claims": ["ok", 2]}, '"claims" must be a list of strings', "a"),
])
def test_each_bad_field_is_named(data: object, message: str, item_id: object) -> None:
    with pytest.raises(BatchLineError) as caught:
        parse_item(data)
    assert message in str(caught.value) and caught.value.item_id == item_id


def test_bad_bytes_and_json_are_one_line_errors() -> None:
    for data, message in ((b"\xff\xfe{", "not UTF-8"), (b"{\"id\": ", "not JSON"), (b"[" * 100_000, "not JSON"),
                          (None, "longer than 20 MB")):
        with pytest.raises(BatchLineError, match=message):
            parse_line(RawLine(2, data))
    assert parse_line(RawLine(1, b"\xef\xbb\xbf" + json.dumps(GOOD).encode())).id == "x"  # a BOM on line 1
    error = error_object(4, BatchLineError("bad\n  thing", item_id="q"))
    assert error == {"line": 4, "id": "q", "error": "bad thing"}


def test_reader_skips_blank_and_overlong_lines_keeping_physical_numbers() -> None:
    stream = io.BytesIO(b"a\n\n" + b"x" * 50 + b"\n  \nb\nlast-without-newline")
    lines = list(read_lines(stream, max_bytes=20))
    assert [(r.number, r.data) for r in lines] == [(1, b"a\n"), (3, None), (5, b"b\n"),
                                                   (6, b"last-without-newline")]
    # A line of exactly the cap (its newline included) is kept.
    assert [r.data for r in read_lines(io.BytesIO(b"y" * 19 + b"\n"), max_bytes=20)] == [b"y" * 19 + b"\n"]


def test_in_order_keeps_input_order_and_the_bound() -> None:
    started, running, most = 0, 0, 0

    async def run() -> list[int]:
        nonlocal started, running, most
        four_running = asyncio.Event()

        async def work(n: int) -> int:
            nonlocal started, running, most
            started += 1
            running += 1
            most = max(most, running)
            if running == 4:
                four_running.set()
            await four_running.wait()   # the first items wait until four run at once
            for _ in range(10 - n % 10):   # later inputs finish first
                await asyncio.sleep(0)
            running -= 1
            return n * n

        results = []
        async for result in in_order(range(40), work, in_flight=4):
            # Never more than four items started and not yet handed back.
            assert started - len(results) <= 4
            results.append(result)
        return results

    assert asyncio.run(run()) == [n * n for n in range(40)]
    assert most == 4
    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(collect_with(0))


async def collect_with(in_flight: int) -> list[int]:
    async def work(n: int) -> int:
        return n

    return [r async for r in in_order(range(3), work, in_flight)]
