"""Development data sets for the offline fact checker (bench/public_data.py describes the shape).

None of these is reserved for acceptance: SummEdits' news domain, QAGS, FaithBench and Climate-FEVER are
never loaded here.

- SummEdits (salesforce/factualNLG, Apache-2.0), the non-news domains whose files are in the snapshot
  (billsum and shakespeare are over the snapshot's 4 MiB file limit). Each item is a summary, often with one
  word or phrase edited, labelled consistent or inconsistent with its document by annotators. Split by
  domain: the model and thresholds are fitted on the "dev" domains only; the "test" domains are held out.
  Since SummEdits pairs every edited summary with its unedited original, the training script can tell
  which sentence an edit touched (bench/train_fact_model.py).
- Falke et al. 2019's Rank19 pairs as DAE ships them (tagoyal/dae-factuality, resources/summary_pairs.json):
  373 CNN/DM article sentences, each with a correct and an incorrect model-summary sentence that crowd
  workers judged against it (lower-cased, as released). The annotations are CC BY-SA 4.0 (Falke et al.);
  the repository states no licence of its own. The one news set the model is fitted on ("dev").
- AggreFact (Liyan06/AggreFact, Tang et al. 2023), the two per-dataset files with documents that fit the
  snapshot: data/error_type_mapping/CLIFF_error_types.csv (CLIFF, Cao & Wang 2021: 150 CNN/DM + 150 XSum
  model summaries per cut) and Goyal21_error_types.csv (Goyal & Durrett 2021: 50 XSum per cut; its 50 CNN/DM rows have 2 consistent
  ones, too few for a balanced figure, and are left out).
  News summary-consistency: "correct" (CLIFF) or no error span (Goyal'21) is consistent. The repository
  carries no licence (nor does CLIFF's), and the documents are CNN/Daily Mail and BBC articles: evaluation
  only, held out, nothing shipped is fitted or tuned on it. None of these rows comes from QAGS (Wang'20),
  FaithBench or SummEdits, which AggreFact's other files mix in; those files are not read.
- WiCE (ryokamoi/wice): Wikipedia claims checked against the cited web pages' sentences, annotations
  ODC-BY, text CC BY-SA (Wikipedia, Common Crawl): evaluation only, nothing shipped is fitted on it.
  "supported" is consistent; "partially_supported" and "not_supported" are inconsistent.

Every item gives `claims`: the summary's sentences as engine.quality.text splits them, so each sentence is
checked (the benchmark's rule: consistent only if every sentence is supported).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.public_data import Dataset, Item  # noqa: E402 - after the path set-up above
from engine.quality.text import layout  # noqa: E402

SUMMEDITS_REPO = "salesforce/factualNLG"
SUMMEDITS_COMMIT = "0da1dfa62c783218d26208c1796d3a2605bec745"
SUMMEDITS_DEV = ("samsum", "ectsum", "podcast", "sales_email")
SUMMEDITS_TEST = ("qmsumm", "sales_call", "scitldr")
FALKE_REPO = "tagoyal/dae-factuality"
FALKE_COMMIT = "e191ecacf3878b580ecbeb56ca9bcf20e1ed9426"
AGGREFACT_REPO = "Liyan06/AggreFact"
AGGREFACT_COMMIT = "f0654b245232cd724d5caa5db4950abfb12d795e"
AGGREFACT_FILES = {"cliff": "CLIFF_error_types.csv", "goyal21": "Goyal21_error_types.csv"}
WICE_REPO = "ryokamoi/wice"
WICE_COMMIT = "ddeb6c183665e2a20c5f03c5aa07f03888b9870f"


def sentences(text: str) -> list[str]:
    lay = layout(text)
    return [lay.text[s.start:s.end] for s in lay.sentences] or [text.strip()]


def _summedits(dataset: Dataset) -> Iterator[Item]:
    domain = dataset.name.removeprefix("summedits-")
    for row in json.loads(dataset.read()):
        yield {
            "id": row["id"], "text": row["summary"], "claims": sentences(row["summary"]),
            "sources": [{"title": f"{domain} document", "text": row["doc"]}],
            "label": "consistent" if int(row["label"]) == 1 else "inconsistent",
            "original_summary": row["original_summary"],
        }


def _wice(dataset: Dataset) -> Iterator[Item]:
    for i, line in enumerate(dataset.read().decode("utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        yield {
            "id": f"wice-{i}", "text": row["claim"], "claims": [row["claim"]],
            "sources": [{"title": "cited web page", "text": " ".join(row["evidence"])}],
            "label": "consistent" if row["label"] == "supported" else "inconsistent",
        }


def _falke(dataset: Dataset) -> Iterator[Item]:
    for i, row in enumerate(json.loads(dataset.read())):
        source = [{"title": "CNN/DM article sentence", "text": row["article_sent"]}]
        for label, key in (("consistent", "correct_sent"), ("inconsistent", "incorrect_sent")):
            yield {"id": f"falke-{i}-{label}", "text": row[key], "claims": [row[key]], "sources": source,
                   "label": label}


def _aggrefact(dataset: Dataset) -> Iterator[Item]:
    """One AggreFact source file, one origin (cnndm or xsum); the test and val cuts both."""
    origin = dataset.name.rsplit("-", 1)[1]
    for row in csv.DictReader(io.StringIO(dataset.read().decode("utf-8"))):
        if row["origin"] != origin:
            continue
        errors = row["error_type"].strip()
        yield {
            "id": f"{dataset.name}-{row['cut']}-{row['id']}-{row.get('model_name', '')}", "text": row["summ"],
            "claims": sentences(row["summ"]), "sources": [{"title": f"{origin} article", "text": row["doc"]}],
            "label": "consistent" if errors in ("", "correct") else "inconsistent",
        }


def _aggrefact_set(origin_set: str, origin: str) -> Dataset:
    return Dataset(
        name=f"aggrefact-{origin_set}-{origin}", task="grounded", repo=AGGREFACT_REPO, commit=AGGREFACT_COMMIT,
        path=f"data/error_type_mapping/{AGGREFACT_FILES[origin_set]}",
        licence="no licence stated (repository and source annotations); CNN/DM and BBC article text: eval only",
        split="test", load=_aggrefact,
        note=f"AggreFact's {origin_set} annotations of {origin} model summaries (news); eval only",
    )


def _summedits_set(domain: str, split: str) -> Dataset:
    return Dataset(
        name=f"summedits-{domain}", task="grounded", repo=SUMMEDITS_REPO, commit=SUMMEDITS_COMMIT,
        path=f"data/summedits/summedits_{domain}.json", licence="Apache-2.0", split=split, load=_summedits,
        note="SummEdits (Laban et al. 2023), non-news domain: minimal edits of a summary",
    )


DATASETS: list[Dataset] = [
    *(_summedits_set(domain, "dev") for domain in SUMMEDITS_DEV),
    *(_summedits_set(domain, "test") for domain in SUMMEDITS_TEST),
    Dataset(
        name="falke-rank19", task="grounded", repo=FALKE_REPO, commit=FALKE_COMMIT,
        path="resources/summary_pairs.json", licence="CC BY-SA 4.0 (Falke et al. 2019 annotations)", split="dev",
        load=_falke, note="CNN/DM summary sentences, a correct and an incorrect one per article sentence",
    ),
    *(_aggrefact_set(origin_set, origin) for origin_set, origin in
      (("cliff", "cnndm"), ("cliff", "xsum"), ("goyal21", "xsum"))),
    Dataset(
        name="wice-test", task="grounded", repo=WICE_REPO, commit=WICE_COMMIT,
        path="code_and_resources/entailment_inputs/oracle_chunks/claim/test.jsonl",
        licence="annotations ODC-BY 1.0; text CC BY-SA (Wikipedia) and Common Crawl terms", split="test",
        load=_wice, note="WiCE (Kamoi et al. 2023), claim against the cited page's oracle sentences; eval only",
    ),
]
