"""Development data for sentence-level bias detection (task "bias").

Each item is one sentence in the `analyze --batch` input shape with a gold
label, "biased" or "neutral" (see bench/public_data.py). None of these is
BABE or MBIC, which are reserved for acceptance.

    name            what                                                   licence        use
    newssd-train    NewsSD-ENG train+val: English news sentences, SUBJ/OBJ  CC BY 4.0      trains the shipped model
    newssd-test     NewsSD-ENG test split                                   CC BY 4.0      held out
    wnc-train       Wiki Neutrality Corpus sample: NPOV-edited sentence     MIT (repo);    trains the shipped model
                    before (biased) and after (neutral) the edit            text CC BY-SA
    wnc-test        the same corpus sample's test split                    as above       held out
    npov-statements Hube & Fetahu 2019: Wikipedia statements crowd-judged  none stated;   held out, never trained on
                    biased, and neutral statements from the same articles  text CC BY-SA
    basil-lexical   BASIL (Fan et al. 2019): news sentences (Fox, NYT,      none stated;   held out, never trained on
                    HuffPost) with a lexical-bias span outside quotes vs.  articles (c)
                    sentences with no bias span                            publishers

NewsSD-ENG (Antici et al. 2023) is the English subjectivity corpus of the
CheckThat! lab: a sentence is SUBJ when it carries the author's opinion,
which is what the writer's-voice bias check looks for. The WNC sample is the
2,200-sentence sample that ships in the paper's MIT-licensed repository (the
full corpus is a download outside GitHub). The Hube & Fetahu statements have
no licence file, so they only measure; nothing that ships is fitted to them;
the same holds for BASIL, whose sentences are copyrighted news. A BASIL
sentence is biased when an annotator marked a lexical-bias span in it in the
writer's voice (not inside a quotation), neutral when it carries no span at
all; sentences with only informational bias (what is reported, not how) or
only quoted bias are left out, since the writer's-voice check does not judge
those.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from public_data import Dataset, Item  # noqa: E402 - after the path set-up above

NEWSSD = ("nlp-unibo/newssd-eng", "a6f66668091b3f70b0dd092751480914b3d6a933")
WNC = ("rpryzant/neutralizing-bias", "b7b42e71d211b4f9a757a5e8d9aa98236fb733ec")
BASIL = ("launchnlp/BASIL", "4fdbc4f68d5ddae648990063cb6dd11424d96222")
NPOV = (
    "ChristophHubeL3S/Neural_Based_Statement_Classification_for_Biased_Language_WSDM2019",
    "e727420e71e46c3f4ac6846139e253a7ad376d22",
)


def _item(item_id: str, text: str, label: str) -> Item:
    return {"id": item_id, "text": text, "sources": [], "label": label}


def _load_newssd(ds: Dataset) -> Iterator[Item]:
    for path in ds.path.split(","):
        rows = csv.DictReader(io.StringIO(ds.read(path).decode("utf-8")))
        for n, row in enumerate(rows):
            label = {"SUBJ": "biased", "OBJ": "neutral"}[row["Label"].strip()]
            yield _item(f"{ds.name}:{Path(path).stem}:{n}", row["Sentence"].strip(), label)


# The WNC sample is tokenised and lower-cased ("an on - air correspondent ,"):
# rejoin the punctuation and capitalise the first word so the layout and the
# attribution rules see ordinary prose.
_DETOK = [
    (re.compile(r" ([.,;:!?%)\]])"), r"\1"),
    (re.compile(r"([(\[$]) "), r"\1"),
    (re.compile(r" ' (s|t|re|ve|ll|d|m)\b"), r"'\1"),
    (re.compile(r" n't\b"), "n't"),
    (re.compile(r" - "), "-"),
]


def detokenize(line: str) -> str:
    text = line.strip()
    for pattern, replacement in _DETOK:
        text = pattern.sub(replacement, text)
    return text[:1].upper() + text[1:]


def _load_wnc(ds: Dataset) -> Iterator[Item]:
    part = ds.path  # "train" or "test"
    folder = "baselines/test_data"
    pre = ds.read(f"{folder}/pre.{part}").decode("utf-8").splitlines()
    post = ds.read(f"{folder}/post.{part}").decode("utf-8").splitlines()
    for n, (before, after) in enumerate(zip(pre, post, strict=True)):
        yield _item(f"{ds.name}:{n}:pre", detokenize(before), "biased")
        yield _item(f"{ds.name}:{n}:post", detokenize(after), "neutral")


def _load_npov(ds: Dataset) -> Iterator[Item]:
    for path, label in (("statements_biased", "biased"), ("statements_neutral_cw-hard", "neutral")):
        for n, line in enumerate(ds.read(path).decode("utf-8").splitlines()):
            if line.strip():
                yield _item(f"{ds.name}:{path}:{n}", line.strip(), label)


def _load_basil(ds: Dataset) -> Iterator[Item]:
    for ann_path in ds.list("annotations"):
        article = json.loads(ds.read(ann_path.replace("annotations/", "articles/").replace("_ann.json", ".json")))
        spans = json.loads(ds.read(ann_path))["phrase-level-annotations"]
        sentences = [s for paragraph in article["body-paragraphs"] for s in paragraph]
        marks: dict[int, set[str]] = {}
        for span in spans:
            kind = "lex" if span["bias"] == "lex" and span["quote"] == "no" else "other"
            for n, sentence in enumerate(sentences):
                if sentence[span["start"]:span["end"]] == span["txt"]:
                    marks.setdefault(n, set()).add(kind)
                    break
        for n, sentence in enumerate(sentences):
            label = "biased" if "lex" in marks.get(n, ()) else "neutral" if n not in marks else None
            if label and sentence.strip():
                yield _item(f"{ds.name}:{Path(ann_path).stem}:{n}", sentence.strip(), label)


DATASETS: list[Dataset] = [
    Dataset("newssd-train", "bias", *NEWSSD, "data/english/train.csv,data/english/val.csv", "CC BY 4.0", "dev",
            _load_newssd, "NewsSD-ENG (Antici et al. 2023), SUBJ -> biased"),
    Dataset("newssd-test", "bias", *NEWSSD, "data/english/test.csv", "CC BY 4.0", "test", _load_newssd,
            "NewsSD-ENG test split, never trained or tuned on"),
    Dataset("wnc-train", "bias", *WNC, "train", "MIT (repository); Wikipedia text CC BY-SA", "dev", _load_wnc,
            "Wiki Neutrality Corpus sample (Pryzant et al. 2020), baselines/test_data/{pre,post}.train"),
    Dataset("wnc-test", "bias", *WNC, "test", "MIT (repository); Wikipedia text CC BY-SA", "test", _load_wnc,
            "Wiki Neutrality Corpus sample, baselines/test_data/{pre,post}.test"),
    Dataset("npov-statements", "bias", *NPOV, ".", "none stated; Wikipedia text CC BY-SA", "test", _load_npov,
            "Hube & Fetahu 2019: statements_biased vs statements_neutral_cw-hard; measured only"),
    Dataset("basil-lexical", "bias", *BASIL, "annotations", "none stated; articles (c) their publishers", "test",
            _load_basil, "BASIL 2nd release: lexical bias outside quotes vs no bias span; measured only"),
]
