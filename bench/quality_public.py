"""Quality on public, human-labelled benchmarks, through `copydesk analyze --batch`'s engine functions.

    .venv/bin/python bench/quality_public.py [--split dev|test] [--set NAME ...] [--limit N] [--json]
    .venv/bin/python bench/quality_public.py --extra labelled.jsonl --task grounded   # e.g. acceptance's sets
    .venv/bin/python bench/quality_public.py --provider openai --model bespoke-minicheck --base-url URL  # a checker

Data: the DATASETS of bench/fact_data.py (tasks "grounded", "three_way") and bench/bias_data.py ("bias"),
read from the fetched snapshots (bench/public_data.py), plus any `--extra` JSON Lines file of labelled items
in the same shape. A missing module or snapshot is skipped with a line saying so. Sets whose split is
"reserved" (acceptance only) run only when `--split reserved` is asked for.

Every item goes through engine.quality.batch (parse_item -> analyze_item -> output_object), in this
process, exactly as the command line's batch mode runs it. Predictions:
- grounded: "consistent" only if every claim comes out supported; metric: balanced accuracy of
  detecting "inconsistent", with the confusion matrix.
- three_way: the first claim's verdict; accuracy, recall per class, confusion matrix.
- bias: "biased" when bias_score > the default gate (20), as bench/quality_eval.py does; macro-F1,
  precision and recall of "biased", confusion matrix.
Each figure is printed beside the anchors of issue 11 (published systems on the reserved benchmarks and
the targets) and a trivial baseline on the same set.

Speed: a deterministic set of 2-sentence items, each with one 2,000-character source, built from the
hand-written sets in tests/data/quality; items/s in this process, and through the real command
(`python -m app analyze --batch`, one process, start-up measured apart), with that process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.quality.batch import (  # noqa: E402 - after the path set-up above
    BatchLineError,
    analyze_item,
    analyze_item_with,
    in_order,
    output_object,
    parse_item,
    read_lines,
)
from engine.quality.overall import QualityGates  # noqa: E402
from engine.quality.types import OFFLINE_CHECKER  # noqa: E402

BIAS_GATE = QualityGates().bias_max
TASKS = ("grounded", "three_way", "bias")
LABELS = {
    "grounded": ("inconsistent", "consistent"),   # positive class first
    "three_way": ("supported", "contradicted", "unverifiable"),
    "bias": ("biased", "neutral"),
}
DATA_MODULES = {"bench.fact_data": ("grounded", "three_way"), "bench.bias_data": ("bias",)}
# Issue 11's anchors: published systems on the reserved benchmarks, Copydesk before the work, the targets.
ANCHORS = {
    "grounded": "balanced acc.: SummaC-Conv 0.619, DAE 0.609 (SummEdits news); MiniCheck-FT5 0.747, GPT-4 0.753 "
                "(LLM-AggreFact); before: 0.528 / 0.659 / 0.551 (SummEdits news / QAGS / FaithBench); "
                "target >= 0.65 one-word edits, >= 0.72 news summaries, never < 0.60",
    "three_way": "accuracy: always 'supported' 0.47 (Climate-FEVER); before: 0.36, supported recall 0.03; "
                 "target accuracy >= 0.55 with supported recall >= 0.40",
    "bias": "macro-F1: Dbias ~0.62 (accuracy), BABE's RoBERTa 0.80, later fine-tunes 0.81-0.86 (BABE); "
            "before: 0.64, biased R 0.47 at P 0.73; target macro-F1 >= 0.75, biased R >= 0.65 at P >= 0.75",
}
SPEED_TARGET_ITEMS_S = 50
RSS_TARGET_MB = 150
SPEED_SOURCE_CHARS = 2000
QUALITY_DATA = ROOT / "tests" / "data" / "quality"


# --- metrics -----------------------------------------------------------------------------------

def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def confusion(gold: list[str], predicted: list[str], labels: Iterable[str]) -> dict[str, dict[str, int]]:
    """confusion[gold][predicted] = count, every label in both dimensions."""
    labels = list(labels)
    matrix = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        matrix[g][p] += 1
    return matrix


def per_label(matrix: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each label, from a confusion matrix."""
    scores = {}
    for label in matrix:
        tp = matrix[label][label]
        predicted = sum(row[label] for row in matrix.values())
        support = sum(matrix[label].values())
        precision, recall = tp / predicted if predicted else 0.0, tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    return scores


def _rounded(labels: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {label: {k: v if k == "support" else round(v, 3) for k, v in s.items()} for label, s in labels.items()}


def grounded_scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Balanced accuracy of detecting "inconsistent": the mean of its recall and "consistent"'s recall
    (0.5 for any constant answer)."""
    matrix = confusion(gold, predicted, LABELS["grounded"])
    labels = per_label(matrix)
    return {"n": len(gold), "balanced_accuracy": _ratio(labels["inconsistent"]["recall"]
                                                        + labels["consistent"]["recall"], 2),
            "accuracy": _ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold)),
            "labels": _rounded(labels), "confusion": matrix,
            "baseline": {"constant answer, balanced accuracy": 0.5}}


def three_way_scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    matrix = confusion(gold, predicted, LABELS["three_way"])
    labels = per_label(matrix)
    majority, majority_n = Counter(gold).most_common(1)[0] if gold else ("", 0)
    return {"n": len(gold), "accuracy": _ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold)),
            "recall": {label: round(s["recall"], 3) for label, s in labels.items()}, "labels": _rounded(labels),
            "confusion": matrix,
            "baseline": {f"always {majority!r}, accuracy": _ratio(majority_n, len(gold)),
                         "always 'supported', accuracy": _ratio(gold.count("supported"), len(gold))}}


def bias_scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    matrix = confusion(gold, predicted, LABELS["bias"])
    labels = per_label(matrix)
    biased_share = _ratio(gold.count("biased"), len(gold))
    # Always "biased": F1 of biased is 2p/(1+p) with p its share; neutral's F1 is 0.
    always_biased_macro = _ratio(2 * biased_share / (1 + biased_share), 2) if gold else 0.0
    return {"n": len(gold), "macro_f1": _ratio(labels["biased"]["f1"] + labels["neutral"]["f1"], 2),
            "accuracy": _ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold)),
            "biased_precision": round(labels["biased"]["precision"], 3),
            "biased_recall": round(labels["biased"]["recall"], 3), "labels": _rounded(labels), "confusion": matrix,
            "baseline": {"always 'biased', macro-F1": always_biased_macro}}


SCORES: dict[str, Callable[[list[str], list[str]], dict[str, Any]]] = {
    "grounded": grounded_scores, "three_way": three_way_scores, "bias": bias_scores}


def headline(task: str, scores: dict[str, Any]) -> str:
    if task == "grounded":
        return (f"balanced acc. {scores['balanced_accuracy']:.3f} (inconsistent R "
                f"{scores['labels']['inconsistent']['recall']:.3f}, consistent R "
                f"{scores['labels']['consistent']['recall']:.3f})")
    if task == "three_way":
        r = scores["recall"]
        return (f"accuracy {scores['accuracy']:.3f} (R supported {r['supported']:.3f}, contradicted "
                f"{r['contradicted']:.3f}, unverifiable {r['unverifiable']:.3f})")
    return (f"macro-F1 {scores['macro_f1']:.3f} (biased P {scores['biased_precision']:.3f} "
            f"R {scores['biased_recall']:.3f})")


# --- predictions -------------------------------------------------------------------------------

def predict(task: str, output: dict[str, Any]) -> str:
    """The label an analysis output line predicts for its item."""
    if task == "grounded":
        return "consistent" if all(c["verdict"] == "supported" for c in output["claims"]) else "inconsistent"
    if task == "three_way":
        return output["claims"][0]["verdict"] if output["claims"] else "unverifiable"
    return "biased" if output["bias_score"] > BIAS_GATE else "neutral"


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def why(task: str, output: dict[str, Any]) -> str:
    """What in the output made the prediction: the first claim not supported, or the bias findings."""
    if task == "bias":
        found = [f"{f['kind']}: {f['text']!r}" for f in output["findings"] if f["tool"] == "bias"]
        return "; ".join(found[:3]) or "no bias finding"
    for claim in output["claims"]:
        if claim["verdict"] != "supported":
            return f"{claim['verdict']} ({claim['confidence']:.2f}): {_short(claim['text'], 100)}"
    return f"all {len(output['claims'])} claims supported"


@dataclass
class SetResult:
    name: str
    task: str
    provenance: dict[str, Any]
    gold: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # id, gold, predicted, text, why
    rejected: list[str] = field(default_factory=list)         # items the batch parser refused, and why
    seconds: float = 0.0

    def add(self, item: dict[str, Any], output: dict[str, Any]) -> None:
        label = predict(self.task, output)
        self.gold.append(item["label"])
        self.predicted.append(label)
        self.rows.append({"id": item["id"], "gold": item["label"], "predicted": label,
                          "text": _short(item["text"]), "why": why(self.task, output)})

    def examples(self, count: int) -> dict[str, list[dict[str, Any]]]:
        """Misses and false alarms, spread evenly over the set (not its first rows)."""
        positive = LABELS[self.task][0]
        if self.task == "three_way":
            kinds = {"errors": [r for r in self.rows if r["gold"] != r["predicted"]]}
        else:
            kinds = {"misses": [r for r in self.rows if r["gold"] == positive != r["predicted"]],
                     "false_alarms": [r for r in self.rows if r["predicted"] == positive != r["gold"]]}
        return {kind: [rows[i * len(rows) // count] for i in range(min(count, len(rows)))]
                for kind, rows in kinds.items()}

    def report(self, examples: int) -> dict[str, Any]:
        scores = SCORES[self.task](self.gold, self.predicted) if self.gold else {"n": 0}
        return {"name": self.name, "task": self.task, "provenance": self.provenance, "scores": scores,
                "headline": headline(self.task, scores) if self.gold else "no items",
                "items_per_s": round(len(self.gold) / self.seconds, 1) if self.seconds else None,
                "rejected": len(self.rejected), "rejected_examples": self.rejected[:3],
                "examples": self.examples(examples)}


# --- data --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """One labelled set to run: its items and where they come from."""

    name: str
    task: str
    provenance: dict[str, Any]
    items: Callable[[], Iterator[dict[str, Any]]]


def data_sources(splits: set[str], names: set[str] | None) -> tuple[list[Source], list[str]]:
    """The sets of bench/fact_data.py and bench/bias_data.py to run, and a line for each skipped one."""
    sources, skipped = [], []
    for module_name, tasks in DATA_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            skipped.append(f"{module_name.replace('.', '/')}.py not importable ({error}): "
                           f"{', '.join(tasks)} sets skipped")
            continue
        for dataset in getattr(module, "DATASETS", []):
            if names and dataset.name not in names:
                continue
            if dataset.split not in splits:
                if dataset.split == "reserved":
                    skipped.append(f"{dataset.name}: reserved for acceptance, skipped (--split reserved runs it)")
                continue
            if not dataset.available():
                skipped.append(f"{dataset.name}: no snapshot at {dataset.git_dir} (fetch github:{dataset.repo}): "
                               "skipped")
                continue
            provenance = {"repo": dataset.repo, "commit": dataset.commit, "path": dataset.path,
                          "licence": dataset.licence, "split": dataset.split, "note": dataset.note}
            sources.append(Source(dataset.name, dataset.task, provenance, dataset.items))
    present = {s.task for s in sources}
    for task in TASKS:
        if task not in present and not any(task in line for line in skipped):
            skipped.append(f"no {task} set in this run")
    return sources, skipped


def extra_source(path: Path, task: str) -> Source:
    """A labelled JSON Lines file given on the command line; only its name and digest are recorded."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)

    def items() -> Iterator[dict[str, Any]]:
        with path.open("rb") as f:
            for raw in read_lines(f):
                try:
                    yield json.loads(raw.data) if raw.data is not None else {"line": raw.number}
                except (json.JSONDecodeError, UnicodeDecodeError):
                    yield {"line": raw.number}

    return Source(path.stem, task, {"file": str(path), "sha256": digest.hexdigest(), "split": "extra"}, items)


def sampled(items: Iterator[dict[str, Any]], limit: int | None) -> Iterator[dict[str, Any]]:
    """All items, or `limit` of them drawn with a fixed seed from the whole set, in set order
    (sets are often sorted by label, so the first N would not be a sample)."""
    if limit is None:
        yield from items
        return
    every = list(items)
    keep = range(len(every)) if len(every) <= limit else sorted(random.Random(0).sample(range(len(every)), limit))
    yield from (every[i] for i in keep)


def _labelled(result: SetResult, items: Iterator[dict[str, Any]], limit: int | None) -> Iterator[tuple[Any, Any]]:
    """(item dict, parsed BatchItem) for the sampled items the batch parser takes and whose label fits the task."""
    for item in sampled(items, limit):
        try:
            if item.get("label") not in LABELS[result.task]:
                raise BatchLineError(f"label {item.get('label')!r} is not one of {', '.join(LABELS[result.task])}")
            parsed = parse_item(item)
        except BatchLineError as error:
            result.rejected.append(f"{item.get('id', item.get('line'))}: {error}")
            continue
        yield item, parsed


def run_offline(source: Source, limit: int | None) -> SetResult:
    result = SetResult(source.name, source.task, source.provenance)
    started = time.perf_counter()
    for item, parsed in _labelled(result, source.items(), limit):
        result.add(item, output_object(parsed, analyze_item(parsed)))
    result.seconds = time.perf_counter() - started
    return result


async def run_with_model(sources: list[Source], limit: int | None, checker: Any, in_flight: int) -> list[SetResult]:
    """Every set with the checker model, at most `in_flight` items at once; one event loop for all of
    them (the provider's connections belong to it), the provider closed at the end."""
    async def one(pair: tuple[Any, Any]) -> tuple[dict[str, Any], dict[str, Any] | str]:
        item, parsed = pair
        try:
            return item, output_object(parsed, await analyze_item_with(checker, parsed), checker.name)
        except Exception as error:  # noqa: BLE001 - a provider's failure on one item is counted, not fatal
            return item, f"{type(error).__name__}: {error}"

    results = []
    try:
        for source in sources:
            print(f"running {source.name} ({source.task}) with {checker.name} ({checker.protocol})...",
                  file=sys.stderr, flush=True)
            result = SetResult(source.name, source.task,
                               {**source.provenance, "checker": checker.name, "protocol": checker.protocol})
            started = time.perf_counter()
            async for item, output in in_order(list(_labelled(result, source.items(), limit)), one, in_flight):
                if isinstance(output, str):
                    result.rejected.append(f"{item['id']}: {_short(output)}")
                else:
                    result.add(item, output)
            result.seconds = time.perf_counter() - started
            results.append(result)
    finally:
        await checker.provider.aclose()
    return results


# --- speed -------------------------------------------------------------------------------------

def speed_items(count: int) -> list[dict[str, Any]]:
    """`count` deterministic items: two sentences (a claim of the hand-written fact set and a neutral
    sentence of the bias set) and one source of exactly 2,000 characters that starts with the claim's
    own source and goes on with the others."""
    with open(QUALITY_DATA / "claims.jsonl", encoding="utf-8") as f:
        rows = [row for row in map(json.loads, filter(str.strip, f)) if row["sources"]]
    with open(QUALITY_DATA / "bias_sentences.csv", encoding="utf-8") as f:
        import csv

        neutral = [r["sentence"] for r in csv.DictReader(f) if r["label"] == "neutral"]
    texts = list(dict.fromkeys(s["text"] for row in rows for s in row["sources"]))
    items = []
    for n in range(count):
        row = rows[n % len(rows)]
        own = " ".join(s["text"] for s in row["sources"])
        others = (texts[(n + k) % len(texts)] for k in range(len(texts)))
        body = own
        for other in others:
            if len(body) >= SPEED_SOURCE_CHARS:
                break
            body += " " + other
        items.append({"id": f"speed-{n}", "text": f"{row['claim']} {neutral[n % len(neutral)]}",
                      "sources": [{"title": row["sources"][0]["title"], "text": body[:SPEED_SOURCE_CHARS]}]})
    return items


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KB on Linux


def _cli_run(path: Path, home: Path) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS (MB) and exit status of `copydesk analyze --batch path`."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "app", "--home", str(home), "analyze", "--batch", str(path)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_utime + usage.ru_stime, round(usage.ru_maxrss / 1024, 1), process.returncode


def speed(count: int) -> dict[str, Any]:
    """Items/s by the wall clock, and CPU ms per item (what a shared machine's load does not change)."""
    items = speed_items(count)
    analyze_item(parse_item(items[0]))  # lexicons and models load on first use; start-up is measured apart
    started, cpu = time.perf_counter(), time.process_time()
    for item in items:
        json.dumps(output_object(parsed := parse_item(item), analyze_item(parsed)))
    in_process, in_process_cpu = time.perf_counter() - started, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as tmp:
        many, one = Path(tmp) / "speed.jsonl", Path(tmp) / "one.jsonl"
        many.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
        one.write_text(json.dumps(items[0]) + "\n", encoding="utf-8")
        home = Path(tmp) / "home"
        _cli_run(one, home)  # creates the data home, so neither timed run pays for that
        start_up, start_up_cpu, _, _ = _cli_run(one, home)
        cli_seconds, cli_cpu, cli_rss, status = _cli_run(many, home)
    return {
        "items": count, "source_chars": SPEED_SOURCE_CHARS, "sentences_per_item": 2,
        "in_process_items_per_s": round(count / in_process, 1),
        "in_process_cpu_ms_per_item": round(1000 * in_process_cpu / count, 2),
        "cli_items_per_s": round(count / cli_seconds, 1),
        "cli_items_per_s_after_start_up": round((count - 1) / max(cli_seconds - start_up, 1e-9), 1),
        "cli_cpu_ms_per_item_after_start_up": round(1000 * (cli_cpu - start_up_cpu) / (count - 1), 2),
        "cli_start_up_s": round(start_up, 2), "cli_start_up_cpu_s": round(start_up_cpu, 2),
        "cli_seconds": round(cli_seconds, 2), "cli_status": status,
        "cli_peak_rss_mb": cli_rss, "target_items_per_s": SPEED_TARGET_ITEMS_S, "target_rss_mb": RSS_TARGET_MB,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


# --- report ------------------------------------------------------------------------------------

def configured_checker(args: argparse.Namespace) -> Any:
    """The checker --provider/--model/--base-url/--protocol describe (engine.quality.checker), or None."""
    if not args.provider:
        return None
    from engine.providers import make_provider
    from engine.quality.checker import Checker, CheckerSettings

    settings = CheckerSettings.of(args.provider, args.model or "", args.base_url, args.protocol)
    if settings.offline:
        return None
    provider = make_provider(settings.provider)
    assert provider is not None
    return Checker(provider, settings.provider.model, settings.kind)


def print_report(report: dict[str, Any], examples: int) -> None:
    for line in report["skipped"]:
        print(f"skipped: {line}")
    for task in TASKS:
        sets = [s for s in report["sets"] if s["task"] == task]
        if not sets:
            continue
        print(f"\n== {task} ({report['checker']}) ==\nanchors: {ANCHORS[task]}")
        for s in sets:
            p, sc = s["provenance"], s["scores"]
            baseline = "; ".join(f"{k} {v:.3f}" for k, v in sc.get("baseline", {}).items())
            print(f"  {s['name']:<20} {p.get('split', ''):<5} n={sc['n']:<5} {s['headline']}  "
                  f"[baseline: {baseline}]  {s['items_per_s']} items/s"
                  + (f"  ({s['rejected']} rejected: {s['rejected_examples'][0]})" if s["rejected"] else ""))
    for s in report["sets"]:
        if not s["scores"]["n"]:
            continue
        matrix = s["scores"]["confusion"]
        print(f"\n-- {s['name']}: confusion (rows gold, columns predicted)")
        print("  " + " " * 14 + "".join(f"{label:>14}" for label in matrix))
        for gold, row in matrix.items():
            print(f"  {gold:<14}" + "".join(f"{row[p]:>14}" for p in matrix))
        for kind, rows in s["examples"].items():
            if rows:
                print(f"  {min(examples, len(rows))} {kind.replace('_', ' ')}:")
            for r in rows:
                print(f"    [{r['id']}] {r['gold']} -> {r['predicted']}: {r['text']}\n        {r['why']}")
    print("\nprovenance:")
    for s in report["sets"]:
        p = s["provenance"]
        where = (f"{p['repo']}@{p['commit'][:12]}:{p['path']}, {p['licence']}" if "repo" in p
                 else f"{p['file']} sha256 {p['sha256'][:16]}")
        print(f"  {s['name']}: {where}, split {p['split']}")
    if "speed" in report:
        sp = report["speed"]
        print(f"\nspeed: {sp['items']} items of {sp['sentences_per_item']} sentences with one "
              f"{sp['source_chars']:,}-character source (load average {sp['load_average_1m']}):\n"
              f"  in process {sp['in_process_items_per_s']} items/s, {sp['in_process_cpu_ms_per_item']} ms CPU "
              f"per item\n  `copydesk analyze --batch` {sp['cli_items_per_s']} items/s end to end, "
              f"{sp['cli_items_per_s_after_start_up']} after its {sp['cli_start_up_s']} s start-up "
              f"({sp['cli_start_up_cpu_s']} s CPU), {sp['cli_cpu_ms_per_item_after_start_up']} ms CPU per item; "
              f"peak RSS {sp['cli_peak_rss_mb']} MB\n  targets: >= {sp['target_items_per_s']} items/s, "
              f"< {sp['target_rss_mb']} MB")
    print(f"this process's peak RSS: {report['peak_rss_mb']} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--split", choices=("dev", "test", "reserved"), action="append",
                        help="only sets of this split (repeatable; default dev and test; reserved is acceptance's)")
    parser.add_argument("--set", action="append", metavar="NAME", help="only this set (repeatable)")
    parser.add_argument("--limit", type=int, metavar="N",
                        help="at most N items per set, a fixed-seed sample spread over the whole set")
    parser.add_argument("--extra", type=Path, action="append", default=[], metavar="FILE.jsonl",
                        help="a labelled JSON Lines file in the batch item shape plus \"label\" (needs --task)")
    parser.add_argument("--task", choices=TASKS, help="the task of the --extra files")
    parser.add_argument("--examples", type=int, default=10, metavar="N", help="misses and false alarms shown")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed run")
    parser.add_argument("--speed-items", type=int, default=500, metavar="N")
    parser.add_argument("--provider", help="measure a checker model: openai or anthropic (key from the "
                                           "environment or keyring)")
    parser.add_argument("--model", help="the checker model (default: the provider's)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1")
    parser.add_argument("--protocol", choices=("auto", "minicheck", "judge"), default="auto",
                        help="minicheck (Document/Claim -> Yes/No), judge (an LLM with passages), auto (minicheck "
                             "when the model's name says so)")
    parser.add_argument("--in-flight", type=int, default=8, metavar="N", help="items at once with a model")
    args = parser.parse_args(argv)
    if args.extra and not args.task:
        parser.error("--extra needs --task")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")

    sources, skipped = data_sources(set(args.split or ("dev", "test")), set(args.set) if args.set else None)
    for path in args.extra:
        if not path.is_file():
            parser.error(f"--extra {path}: not a readable file")
        sources.append(extra_source(path, args.task))
    checker = configured_checker(args)
    if checker is None:
        results = []
        for source in sources:
            print(f"running {source.name} ({source.task})...", file=sys.stderr, flush=True)
            results.append(run_offline(source, args.limit))
    else:
        results = asyncio.run(run_with_model(sources, args.limit, checker, args.in_flight))
    report: dict[str, Any] = {"checker": checker.name if checker else OFFLINE_CHECKER, "skipped": skipped,
                              "anchors": ANCHORS, "sets": [r.report(args.examples) for r in results]}
    if not args.no_speed:
        print("running the speed set...", file=sys.stderr, flush=True)
        report["speed"] = speed(args.speed_items)
    report["peak_rss_mb"] = _peak_rss_mb()
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report, args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
