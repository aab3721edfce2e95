"""Public, human-labelled data sets for bench/quality_public.py and the training scripts.

Nothing here is committed data: each data set is read from a snapshot of its
GitHub repository that the search tool's `fetch` brought to /work/.mirror
(`COPYDESK_MIRROR` moves it), at the commit recorded below, so every figure
names exactly what it was measured on.

Every loader yields items in the shape of `copydesk analyze --batch` input
lines plus a gold label:

    {"id": str, "text": str (Markdown), "sources": [{"title": str, "text": str}],
     "claims": [str]  (optional: check these instead of extracting claims),
     "label": str}

Labels by task:
- "grounded"  (is every sentence of `text` supported by the sources?): "consistent" / "inconsistent"
- "three_way" (claim against evidence): "supported" / "contradicted" / "unverifiable"
- "bias"      (sentence-level loaded language): "biased" / "neutral"

Reserved for acceptance and never loaded during development: BABE and MBIC,
SummEdits' news domain, QAGS, FaithBench, Climate-FEVER. A loader for one of
them may exist so that acceptance can run this harness, but nothing is tuned
or evaluated on it here.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Task = Literal["grounded", "three_way", "bias"]
Item = dict[str, Any]

MIRROR = Path(os.environ.get("COPYDESK_MIRROR", "/work/.mirror"))


@dataclass(frozen=True)
class Dataset:
    name: str           # short name used on the command line and in tables
    task: Task
    repo: str           # "owner/name" on GitHub
    commit: str         # the snapshot's commit the figures were measured on
    path: str           # file or folder inside the repository
    licence: str
    split: str          # "dev" (tuned on), "test" (held out from tuning), "reserved" (acceptance only)
    load: Callable[[Dataset], Iterator[Item]]
    note: str = ""

    @property
    def git_dir(self) -> Path:
        snapshot = MIRROR / self.repo.replace("/", "+")
        # `fetch` puts the bare git directory in a `repo` folder of the snapshot.
        return snapshot / "repo" if (snapshot / "repo").is_dir() else snapshot

    def available(self) -> bool:
        return self.git_dir.exists()

    def read(self, path: str | None = None) -> bytes:
        """A file of the snapshot at the recorded commit."""
        return subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "show", f"{self.commit}:{path or self.path}"],
            check=True, capture_output=True,
        ).stdout

    def list(self, folder: str | None = None) -> list[str]:
        out = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "ls-tree", "-r", "--name-only", self.commit, folder or self.path],
            check=True, capture_output=True, text=True,
        ).stdout
        return out.split()

    def items(self) -> Iterator[Item]:
        return self.load(self)
