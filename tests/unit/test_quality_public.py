"""bench/quality_public.py: its metrics on hand-counted labels, its predictions from batch output
lines, and a small labelled fixture run through the engine's batch functions end to end."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "quality_public.py"


@pytest.fixture(scope="module")
def bench() -> Any:
    spec = importlib.util.spec_from_file_location("quality_public", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_grounded_balanced_accuracy(bench: Any) -> None:
    gold = ["inconsistent"] * 4 + ["consistent"] * 6
    predicted = ["inconsistent", "inconsistent", "inconsistent", "consistent"] + ["consistent"] * 3 + [
        "inconsistent"] * 3
    scores = bench.grounded_scores(gold, predicted)
    # inconsistent recall 3/4, consistent recall 3/6: balanced (0.75 + 0.5) / 2.
    assert scores["balanced_accuracy"] == 0.625 and scores["accuracy"] == 0.6
    assert scores["confusion"] == {"inconsistent": {"inconsistent": 3, "consistent": 1},
                                   "consistent": {"inconsistent": 3, "consistent": 3}}
    assert scores["labels"]["inconsistent"]["precision"] == 0.5
    # Any constant answer scores 0.5, whatever the balance of the set.
    assert bench.grounded_scores(gold, ["inconsistent"] * 10)["balanced_accuracy"] == 0.5
    assert bench.grounded_scores(gold, ["consistent"] * 10)["balanced_accuracy"] == 0.5


def test_three_way_accuracy_recall_and_baselines(bench: Any) -> None:
    gold = ["supported", "supported", "contradicted", "unverifiable", "unverifiable", "unverifiable"]
    predicted = ["supported", "unverifiable", "contradicted", "unverifiable", "supported", "unverifiable"]
    scores = bench.three_way_scores(gold, predicted)
    assert scores["accuracy"] == 0.667
    assert scores["recall"] == {"supported": 0.5, "contradicted": 1.0, "unverifiable": 0.667}
    assert scores["confusion"]["unverifiable"] == {"supported": 1, "contradicted": 0, "unverifiable": 2}
    assert scores["baseline"] == {"always 'unverifiable', accuracy": 0.5, "always 'supported', accuracy": 0.333}


def test_bias_macro_f1(bench: Any) -> None:
    gold = ["biased"] * 4 + ["neutral"] * 4
    predicted = ["biased", "biased", "neutral", "neutral", "biased", "neutral", "neutral", "neutral"]
    scores = bench.bias_scores(gold, predicted)
    # biased: P 2/3, R 1/2, F1 0.571; neutral: P 3/5, R 3/4, F1 0.667.
    assert (scores["biased_precision"], scores["biased_recall"]) == (0.667, 0.5)
    assert scores["labels"]["biased"]["f1"] == 0.571 and scores["labels"]["neutral"]["f1"] == 0.667
    assert scores["macro_f1"] == 0.619
    assert scores["baseline"]["always 'biased', macro-F1"] == 0.333


def test_predictions_follow_the_benchmark_rules(bench: Any) -> None:
    def out(verdicts: list[str], bias: float = 0.0) -> dict[str, Any]:
        return {"claims": [{"verdict": v, "text": "c", "confidence": 0.5} for v in verdicts], "bias_score": bias,
                "findings": []}

    assert bench.predict("grounded", out(["supported", "supported"])) == "consistent"
    assert bench.predict("grounded", out(["supported", "unverifiable"])) == "inconsistent"
    assert bench.predict("three_way", out(["contradicted"])) == "contradicted"
    assert bench.predict("three_way", out([])) == "unverifiable"
    assert bench.predict("bias", out([], bias=20.0)) == "neutral"   # the gate fails above 20, not at it
    assert bench.predict("bias", out([], bias=20.1)) == "biased"


def test_a_labelled_fixture_runs_through_the_batch_functions(bench: Any, tmp_path: Path) -> None:
    source = {"title": "Minutes", "text": "The council voted 5-2 on June 4 to delay the budget. The library will "
                                          "open on Sundays from March."}
    items = [
        {"id": "c1", "text": "The council voted 5-2 on June 4 to delay the budget.", "sources": [source],
         "claims": ["The council voted 5-2 on June 4 to delay the budget."], "label": "consistent"},
        {"id": "i1", "text": "The council voted 6-1 on June 4 to delay the budget.", "sources": [source],
         "claims": ["The council voted 6-1 on June 4 to delay the budget."], "label": "inconsistent"},
        {"id": "i2", "text": "The library will open on Sundays from March.", "sources": [source],
         "claims": ["The library will open on Sundays from March."], "label": "inconsistent"},  # mislabelled
        {"id": "bad", "text": "No sources.", "label": "consistent"},
        {"id": "nolabel", "text": "x", "sources": [], "label": "maybe"},
    ]
    path = tmp_path / "fixture.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items) + "{broken\n", encoding="utf-8")
    source_set = bench.extra_source(path, "grounded")
    result = bench.run_offline(source_set, limit=None)
    assert (result.gold, result.predicted) == (["consistent", "inconsistent", "inconsistent"],
                                               ["consistent", "inconsistent", "consistent"])
    assert len(result.rejected) == 3 and any('"sources"' in r for r in result.rejected)
    report = result.report(examples=10)
    assert report["scores"]["balanced_accuracy"] == 0.75 and report["provenance"]["split"] == "extra"
    assert [r["id"] for r in report["examples"]["misses"]] == ["i2"]
    assert report["examples"]["false_alarms"] == []
    # --limit draws the same spread sample every time.
    first, again = bench.run_offline(source_set, limit=2), bench.run_offline(source_set, limit=2)
    assert first.rows == again.rows and len(first.gold) + len(first.rejected) == 2
    assert list(bench.sampled(iter(range(10)), 3)) == sorted(bench.sampled(iter(range(10)), 3))


def test_speed_items_are_deterministic_two_sentences_and_a_2000_character_source(bench: Any) -> None:
    first, again = bench.speed_items(300), bench.speed_items(300)
    assert first == again
    assert all(len(i["sources"]) == 1 and len(i["sources"][0]["text"]) == 2000 for i in first)
    from engine.quality.text import layout

    assert all(len(layout(i["text"]).sentences) == 2 for i in first)


def test_missing_modules_snapshots_and_reserved_sets_are_skipped_with_a_line(
        bench: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tiny_data.py").write_text(
        "from bench.public_data import Dataset\n"
        "def _none(ds):\n    return iter(())\n"
        "DATASETS = [\n"
        "    Dataset('gone', 'grounded', 'nobody/not-fetched', '0' * 40, 'x.json', 'MIT', 'dev', _none),\n"
        "    Dataset('acceptance', 'bias', 'nobody/reserved', '0' * 40, 'y.json', 'MIT', 'reserved', _none),\n"
        "]\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(bench, "DATA_MODULES", {"tiny_data": ("grounded", "bias"),
                                                "not_written_yet": ("three_way",)})
    sources, skipped = bench.data_sources({"dev", "test"}, None)
    assert sources == []
    assert any(line.startswith("gone: no snapshot") and "fetch github:nobody/not-fetched" in line for line in skipped)
    assert any(line.startswith("acceptance: reserved for acceptance") for line in skipped)
    assert any("not_written_yet.py not importable" in line and "three_way" in line for line in skipped)
