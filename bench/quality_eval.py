"""Quality evaluation and speed benchmark for engine.quality.

    .venv/bin/python bench/quality_eval.py [--json] [--split dev|test|all] [--runs N] [--no-speed]

Accuracy, on the hand-written sets in tests/data/quality (see its README),
for each split:
- bias: a sentence is predicted biased when, analysed on its own, it would
  fail the default bias gate (bias_score > 20); precision, recall and F1 per
  label (biased / neutral) and accuracy.
- fact: the verdict for each claim against its sources; precision, recall
  and F1 per verdict and overall verdict accuracy.
- quotes: each quote printed in a sentence and checked against its source;
  a quote counts as flagged when its status is not "exact" (misquote or not
  found); precision, recall and F1 of flagging the altered quotes.
The same with a model when COPYDESK_PROVIDER (and COPYDESK_MODEL,
COPYDESK_BASE_URL, the provider's API key) is set: the offline analysis plus
the model's, merged as the pipeline does.

Speed: offline analyze_text on a ~1,500-word article with 5 sources built
deterministically from the same data; median and max of N runs (caches
cleared before each run, so every run is a cold analysis).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.quality import analyze_text  # noqa: E402 - after the path set-up above
from engine.quality.attribution import attributions  # noqa: E402
from engine.quality.bias import BiasDetectionTool  # noqa: E402
from engine.quality.facts import FactVerificationTool  # noqa: E402
from engine.quality.originality import OriginalityChecker  # noqa: E402
from engine.quality.overall import QualityGates  # noqa: E402
from engine.quality.text import layout  # noqa: E402
from engine.quality.types import SourceDoc  # noqa: E402

DATA = ROOT / "tests" / "data" / "quality"
SPLITS = ("dev", "test")
TARGETS = {"bias_f1": 0.75, "fact_accuracy": 0.80, "misquote_recall": 0.95}
SPEED_TARGET_S = 0.5
ARTICLE_WORDS = 1500
BIAS_GATE = QualityGates().bias_max


# --- data ------------------------------------------------------------------------------------

def load_bias(split: str) -> list[dict[str, str]]:
    with open(DATA / "bias_sentences.csv", newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if split in ("all", row["split"])]


def _jsonl(name: str, split: str) -> list[dict[str, Any]]:
    with open(DATA / name, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [row for row in rows if split in ("all", row["split"])]


def load_claims(split: str) -> list[dict[str, Any]]:
    return _jsonl("claims.jsonl", split)


def load_quotes(split: str) -> list[dict[str, Any]]:
    return _jsonl("quotes.jsonl", split)


def claim_sources(row: dict[str, Any]) -> list[SourceDoc]:
    return [SourceDoc.from_dict(s) for s in row["sources"]]


def quote_text(row: dict[str, Any]) -> str:
    """The quote as a draft would print it."""
    return f"\u201c{row['quote']}\u201d the official said."


# --- metrics ---------------------------------------------------------------------------------

def label_scores(gold: list[str], predicted: list[str], labels: list[str]) -> dict[str, Any]:
    scores: dict[str, Any] = {"n": len(gold), "accuracy": _ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold)), "labels": {}}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        predicted_n = sum(p == label for p in predicted)
        gold_n = sum(g == label for g in gold)
        precision, recall = _ratio(tp, predicted_n), _ratio(tp, gold_n)
        f1 = _ratio(2 * precision * recall, precision + recall)
        scores["labels"][label] = {"precision": precision, "recall": recall, "f1": f1, "support": gold_n}
    return scores


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


# --- offline predictions ---------------------------------------------------------------------

def offline_predictions() -> dict[str, Callable[[Any], str]]:
    bias_tool, fact_tool, quote_tool = BiasDetectionTool(), FactVerificationTool(), OriginalityChecker()

    def bias(row: dict[str, str]) -> str:
        return "biased" if bias_tool.analyze(row["sentence"]).bias_score > BIAS_GATE else "neutral"

    def fact(row: dict[str, Any]) -> str:
        return fact_tool.analyze(row["claim"], claim_sources(row), claims=[row["claim"]]).claims[0].verdict

    def quote(row: dict[str, Any]) -> str:
        checks = quote_tool.analyze(quote_text(row), [SourceDoc("S1", "source", row["source"])]).quotes
        return "exact" if checks and checks[0].status == "exact" else "altered"

    return {"bias": bias, "fact": fact, "quotes": quote}


def evaluate(predict: dict[str, Callable[[Any], str]], split: str) -> dict[str, Any]:
    bias_rows, claim_rows, quote_rows = load_bias(split), load_claims(split), load_quotes(split)
    results = {
        "bias": label_scores([r["label"] for r in bias_rows], [predict["bias"](r) for r in bias_rows],
                             ["biased", "neutral"]),
        "fact": label_scores([r["label"] for r in claim_rows], [predict["fact"](r) for r in claim_rows],
                             ["supported", "contradicted", "unverifiable"]),
    }
    if "quotes" in predict:
        results["quotes"] = label_scores([r["label"] for r in quote_rows], [predict["quotes"](r) for r in quote_rows],
                                         ["altered", "exact"])
    return results


def headline(results: dict[str, Any]) -> dict[str, float]:
    """The figures the issue sets targets for."""
    figures = {"bias_f1": results["bias"]["labels"]["biased"]["f1"], "fact_accuracy": results["fact"]["accuracy"]}
    if "quotes" in results:
        figures["misquote_recall"] = results["quotes"]["labels"]["altered"]["recall"]
    return figures


# --- with a model ----------------------------------------------------------------------------

def configured_provider() -> tuple[Any, str] | str:
    """(provider, model), or the reason there is none."""
    if not os.environ.get("COPYDESK_PROVIDER"):
        return "COPYDESK_PROVIDER is not set: offline figures only."
    try:
        from engine.providers import make_provider
        from engine.providers.settings import ProviderSettings, apply_env_overrides
    except ImportError as error:
        return f"engine.providers.make_provider is not available ({error}): offline figures only."
    settings = apply_env_overrides(ProviderSettings())
    provider = make_provider(settings)
    if provider is None:
        return "COPYDESK_PROVIDER is offline: offline figures only."
    return provider, settings.model


def llm_evaluate(provider: Any, model: str, splits: list[str]) -> dict[str, dict[str, Any]]:
    """Offline plus the model's analysis, merged as the pipeline merges them, per split."""
    from engine.quality.llm import bias_with_llm, llm_claim_verdicts

    bias_tool, fact_tool = BiasDetectionTool(), FactVerificationTool()

    async def bias(row: dict[str, str]) -> str:
        sentence = row["sentence"]
        report = await bias_with_llm(provider, model, sentence, [], bias_tool.analyze(sentence))
        return "biased" if report.bias_score > BIAS_GATE else "neutral"

    async def fact(row: dict[str, Any]) -> str:
        sources = claim_sources(row)
        offline = fact_tool.analyze(row["claim"], sources, claims=[row["claim"]])
        return (await llm_claim_verdicts(provider, model, row["claim"], sources, offline)).claims[0].verdict

    async def run() -> dict[str, tuple[list[str], list[str]]]:
        predictions = {}
        try:
            for split in splits:
                predictions[split] = ([await bias(r) for r in load_bias(split)],
                                      [await fact(r) for r in load_claims(split)])
        finally:
            await provider.aclose()
        return predictions

    results = {}
    for split, (bias_predictions, fact_predictions) in asyncio.run(run()).items():
        bias_iter, fact_iter = iter(bias_predictions), iter(fact_predictions)
        results[split] = evaluate({"bias": lambda _, it=bias_iter: next(it), "fact": lambda _, it=fact_iter: next(it)}, split)
    return results


# --- speed -----------------------------------------------------------------------------------

def build_article(words: int = ARTICLE_WORDS) -> tuple[str, list[SourceDoc]]:
    """A deterministic ~1,500-word Markdown article with 5 sources from the eval data:
    four claim sources cited as [S1]..[S4] with their claims, neutral sentences,
    and exact quotes from a fifth source of interview transcripts."""
    claims = load_claims("all")
    sources: list[SourceDoc] = []
    by_title: dict[str, str] = {}
    cited_claims: list[tuple[str, str]] = []
    for row in claims:
        for source in row["sources"]:
            if source["title"] not in by_title and len(by_title) < 4:
                by_title[source["title"]] = f"S{len(by_title) + 1}"
                sources.append(SourceDoc(by_title[source["title"]], source["title"], source["text"]))
        first = row["sources"][0]["title"] if row["sources"] else ""
        if first in by_title and row["label"] != "unverifiable":
            cited_claims.append((row["claim"], by_title[first]))
    quotes = [q for q in load_quotes("all") if q["label"] == "exact"]
    transcripts = list(dict.fromkeys(q["source"] for q in quotes))
    sources.append(SourceDoc("S5", "Interview transcripts", "\n\n".join(transcripts)))
    neutral = [r["sentence"] for r in load_bias("all") if r["label"] == "neutral"]

    paragraphs: list[str] = []
    count = 0
    i = 0
    while count < words:
        claim, label = cited_claims[i % len(cited_claims)]
        quote = quotes[i % len(quotes)]["quote"]
        paragraph = (f"{claim.rstrip('.')} [{label}]. {neutral[i % len(neutral)]} "
                     f"\u201c{quote}\u201d said one of the officials interviewed.")
        if i % 6 == 0:
            paragraphs.append(f"## Section {i // 6 + 1}")
        paragraphs.append(paragraph)
        count += len(paragraph.split())
        i += 1
    return "\n\n".join(paragraphs), sources


def speed(runs: int) -> dict[str, Any]:
    text, sources = build_article()
    timings = []
    for _ in range(runs):
        layout.cache_clear()
        attributions.cache_clear()
        started = time.perf_counter()
        analyze_text(text, sources)
        timings.append(time.perf_counter() - started)
    return {"words": len(text.split()), "sources": len(sources), "runs": runs,
            "median_s": round(statistics.median(timings), 4), "max_s": round(max(timings), 4),
            "target_s": SPEED_TARGET_S}


# --- report ----------------------------------------------------------------------------------

def print_results(title: str, results: dict[str, Any]) -> None:
    print(f"\n{title}")
    for tool, scores in results.items():
        print(f"  {tool:<7} n={scores['n']:<4} accuracy {scores['accuracy']:.3f}")
        for label, s in scores["labels"].items():
            print(f"    {label:<13} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  (n={s['support']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--split", choices=(*SPLITS, "all"), default=None, help="one split (default: dev and test)")
    parser.add_argument("--runs", type=int, default=20, help="speed benchmark runs (default 20)")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed benchmark")
    args = parser.parse_args(argv)
    splits = [args.split] if args.split else list(SPLITS)

    report: dict[str, Any] = {"targets": TARGETS, "offline": {}, "llm": {}}
    predict = offline_predictions()
    for split in splits:
        results = evaluate(predict, split)
        report["offline"][split] = {"headline": headline(results), **results}
    provider = configured_provider()
    if isinstance(provider, str):
        report["llm_note"] = provider
    else:
        for split, results in llm_evaluate(*provider, splits).items():
            report["llm"][split] = {"headline": headline(results), **results}
    if not args.no_speed:
        report["speed"] = speed(args.runs)

    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for mode in ("offline", "llm"):
        for split, results in report[mode].items():
            figures = ", ".join(f"{k} {v:.3f} (target {TARGETS[k]})" for k, v in results["headline"].items())
            print_results(f"{mode} / {split}: {figures}", {k: v for k, v in results.items() if k != "headline"})
    if "llm_note" in report:
        print(f"\nWith a model: {report['llm_note']}")
    if "speed" in report:
        s = report["speed"]
        print(f"\nspeed: analyze_text on {s['words']} words, {s['sources']} sources, {s['runs']} runs: "
              f"median {s['median_s']:.3f} s, max {s['max_s']:.3f} s (target < {s['target_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
