"""Compact Princeton WordNet 3.0 into resources/quality/wordnet_lexicon.json for the fact checker.

    apt-get install wordnet-base
    .venv/bin/python bench/build_wordnet_lexicon.py [--wordnet /usr/share/wordnet]

Licence: WordNet 3.0 (Princeton University; permission to use, copy, modify and distribute for any
purpose, with its copyright notice kept: resources/quality/WORDNET_LICENSE.txt).

What is kept, keyed by engine.quality.text.stem of each single-word lemma:
- groups: the synsets of a word's first senses (those of its first TOP_SENSES seen in the tagged
  corpus, or its first sense when none was), as small integers. Two words are synonyms when they share a group: "sick" / "ill",
  "unwell" / "ill". Only the first senses, so a rare sense does not make "fell" (a hill) mean "fall".
  A word's derivationally related forms join its groups ("die" / "death", "decide" / "decision").
- antonyms: WordNet's lexical antonym pointers between those senses ("rise" / "fall", "win" / "lose").
- irregular: inflected forms to lemmas from the exception lists ("fell" -> "fall", "men" -> "man").
- lemmas: the other single-word lemmas (no synonym kept): what is a word of the language at all.
- counts: how often each word was tagged in WordNet's sense-tagged corpus (cntlist.rev), a measure of
  how common a word is: a summary's "discusses" is common, an edit's "manslaughter" is not.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.quality.text import stem  # noqa: E402 - after the path set-up above

TOP_SENSES = 2
POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
OUT = ROOT / "resources" / "quality" / "wordnet_lexicon.json"


def read_data(folder: Path, pos: str) -> dict[str, tuple[list[str], list[tuple[str, str, str, int, int]]]]:
    """offset -> (words, pointers (symbol, target offset, target pos, source word no, target word no))."""
    synsets = {}
    for line in (folder / f"data.{pos}").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split(" | ")[0].split()
        offset, count = fields[0], int(fields[3], 16)
        words = [fields[4 + 2 * i].lower() for i in range(count)]
        at = 4 + 2 * count
        pointers = []
        for i in range(int(fields[at])):
            symbol, target, target_pos, numbers = fields[at + 1 + 4 * i: at + 5 + 4 * i]
            pointers.append((symbol, target, target_pos.replace("s", "a"), int(numbers[:2], 16), int(numbers[2:], 16)))
        synsets[offset] = (words, pointers)
    return synsets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    args = parser.parse_args(argv)
    groups: dict[str, set[int]] = {}
    group_ids: dict[str, int] = {}
    antonyms: set[tuple[str, str]] = set()
    irregular: dict[str, str] = {}
    datas = {pos: read_data(args.wordnet, pos) for pos in POS}
    for pos, tag in POS.items():
        data = datas[pos]
        for line in (args.wordnet / f"index.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split()
            lemma = fields[0]
            if "_" in lemma or not lemma.isalpha():
                continue
            pointer_count = int(fields[3])
            tagged = int(fields[5 + pointer_count])
            offsets = fields[6 + pointer_count:][:max(1, min(TOP_SENSES, tagged))]
            for offset in offsets:
                key = stem(lemma)
                groups.setdefault(key, set()).add(group_ids.setdefault(tag + offset, len(group_ids)))
                words, pointers = data[offset]
                number = words.index(lemma) + 1 if lemma in words else 0
                for symbol, target, target_pos, source_no, target_no in pointers:
                    if symbol == "+" and source_no == number and number:
                        # Derivationally related: "die" shares a group with "death".
                        groups[key].add(group_ids.setdefault(target_pos + target, len(group_ids)))
                        continue
                    if symbol != "!" or source_no not in (0, number) or target not in data:
                        continue
                    target_words = data[target][0]
                    other = target_words[target_no - 1] if target_no else target_words[0]
                    if "_" not in other:
                        antonyms.add(tuple(sorted((stem(lemma), stem(other)))))  # type: ignore[arg-type]
        for line in (args.wordnet / f"{pos}.exc").read_text(encoding="latin-1").splitlines():
            form, base = line.split()[:2]
            if form.isalpha() and base.isalpha() and stem(form) != stem(base):
                irregular.setdefault(form, base)
    counts: dict[str, int] = {}
    for line in (args.wordnet / "cntlist.rev").read_text(encoding="latin-1").splitlines():
        key, _, count = line.split()
        lemma = key.split("%")[0]
        if lemma.isalpha():
            counts[stem(lemma)] = counts.get(stem(lemma), 0) + int(count)
    # Groups only one word has say nothing about synonymy: dropped to keep the file small.
    members: dict[int, int] = {}
    for ids in groups.values():
        for i in ids:
            members[i] = members.get(i, 0) + 1
    kept = {word: sorted(i for i in ids if members[i] > 1) for word, ids in groups.items()}
    kept = {word: ids for word, ids in sorted(kept.items()) if ids}
    lemmas = sorted(set(groups) - set(kept))
    lexicon = {"source": "Princeton WordNet 3.0 (Debian wordnet-base), see WORDNET_LICENSE.txt",
               "top_senses": TOP_SENSES, "groups": kept, "antonyms": sorted(antonyms),
               "irregular": dict(sorted(irregular.items())),
               "lemmas": lemmas,
               "counts": dict(sorted((w, n) for w, n in counts.items() if n > 0))}
    OUT.write_text(json.dumps(lexicon, separators=(",", ":")), encoding="utf-8")
    print(f"{OUT}: {len(kept)} words, {len(antonyms)} antonym pairs, {len(irregular)} irregular forms, "
          f"{OUT.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
