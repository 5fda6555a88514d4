"""Pair-marked training and test rows from the team's pair labels (annotations/PAIRS.md).

    python training/pair_data.py            # counts per source, split and label

Each labelled (sentence, pair) becomes one row whose text is the sentence with the mentions of
the pair's two states marked (``stance.marking``), found by the same detector the library runs
(``stance.actors.article_actors`` over the whole story). PLOVER's own source/target marks
(``<s>…</s>``, ``<t>…</t>``) are turned into the same marks. Splits follow the sentence-level
dataset: VOA by story, AG News by item, PLOVER by the split its sentence has in the dataset.
"""

from __future__ import annotations

import csv
import glob
import json
import re
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from data import ANNOTATIONS, PLOVER_COOLING, PLOVER_WARMING, load_ag_team, text_sha  # noqa: E402
from stance.actors import article_actors  # noqa: E402
from stance.marking import CLOSE, OPEN, mark_pair  # noqa: E402
from stance.segment import split_sentences  # noqa: E402

PAIR_LABELS = ("warming", "cooling", "neutral")


def read_labels(pattern: str, ann_dir: Path = ANNOTATIONS) -> dict[tuple[str, int], dict]:
    out = {}
    for path in sorted(glob.glob(str(ann_dir / "pairs" / pattern))):
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            r = json.loads(line)
            bad = {k: v for k, v in r["pairs"].items() if v not in PAIR_LABELS}
            if bad:
                raise SystemExit(f"{path}:{n}: labels {bad} not one of {', '.join(PAIR_LABELS)}")
            out[(r["item"], int(r["sent_idx"]))] = r
    return out


def _rows_of(item: str, sentences: list[str], title, date, split: str, source: str, labels: dict) -> list[dict]:
    acts, _ = article_actors(sentences, title=title, date=date)
    rows = []
    for i, (text, found) in enumerate(zip(sentences, acts)):
        r = labels.get((item, i))
        if r is None:
            continue
        if r["sha"] != text_sha(text):
            raise SystemExit(f"{source} {item} sentence {i}: text hash differs from the labelled one; "
                             "the data or the segmenter changed: re-annotate or restore them")
        codes = sorted({a.code for a in found})
        for a, b in combinations(codes, 2):
            label = r["pairs"].get(f"{a}-{b}")
            if label is None:
                continue  # the detector changed since labelling: a pair nobody labelled
            rows.append({"text": mark_pair(text, found, (a, b)), "plain": text, "label": label, "split": split,
                         "source": source, "item": item, "sent_idx": i, "pair": f"{a}-{b}"})
    return rows


def voa_pair_rows(data: Path, pattern: str = "voa_*.jsonl", ann_dir: Path = ANNOTATIONS) -> list[dict]:
    """VOA sentences: train/dev stories from ``voa_train_*``, test stories from ``voa_test.jsonl``."""
    from evaluate_actors import voa_stories

    labels = read_labels(pattern, ann_dir)
    items = {k[0] for k in labels}
    rows = []
    for s in voa_stories(data):
        if s["id"] in items:
            rows += _rows_of(s["id"], s["sentences"], s["title"], s["date"], s["split"], "voa_pairs", labels)
    return rows


def ag_pair_rows(data: Path, ann_dir: Path = ANNOTATIONS) -> list[dict]:
    labels = read_labels("ag_*.jsonl", ann_dir)
    split = {r["article_id"]: r["split"] for r in load_ag_team(data)}
    rows = []
    for it in map(json.loads, open(data / "unlabelled/ag_news_world.jsonl", encoding="utf-8")):
        if it["id"] in split and any(k[0] == it["id"] for k in labels):
            rows += _rows_of(it["id"], [sp.text for sp in split_sentences(it["text"])], it["title"], None,
                             split[it["id"]], "ag_pairs", labels)
    return rows


_PLOVER_MARK = re.compile(r"\s*</?[st]>\s*")


def _plover_marked(marked: str) -> str:
    """PLOVER's ``<s>A</s> … <t>B</t>`` as ``« A » … « B »`` (source and target alike: our pairs
    are unordered)."""
    out = re.sub(r"<[st]>\s*", OPEN, marked)
    out = re.sub(r"\s*</[st]>", CLOSE, out)
    return re.sub(r"  +", " ", out).strip()


def plover_pair_rows(data: Path, split_of_text: dict[str, str]) -> list[dict]:
    """PLOVER's marked dyads with the label of their event root, in the split of their sentence
    in the sentence-level dataset; a sentence the dataset dropped (a near-duplicate of a row that
    may sit in another split, or ambiguous) is left out, so no test sentence leaks into training."""
    rows = []
    for part in ("train", "test"):
        with open(data / f"labelled/plv_{part}.tsv", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                root = r["gold_root"].strip().upper()
                label = "warming" if root in PLOVER_WARMING else "cooling" if root in PLOVER_COOLING else None
                plain = r["sentence"].strip()
                if label and "<s>" in r["marked_sentence"] and plain in split_of_text:
                    rows.append({"text": _plover_marked(r["marked_sentence"]), "plain": plain, "label": label,
                                 "split": split_of_text[plain],
                                 "source": "plover_pairs", "item": r["sentence_id"], "sent_idx": 0, "pair": ""})
    return rows


def split_of_text(ds) -> dict[str, str]:
    """Sentence text -> its split in the sentence-level DatasetDict."""
    return {t: sp for sp in ds for t in ds[sp]["text"]}


def all_pair_rows(data: Path, split_of_text: dict[str, str]) -> list[dict]:
    return voa_pair_rows(data) + ag_pair_rows(data) + plover_pair_rows(data, split_of_text)


def main() -> None:
    from datasets import load_from_disk

    rows = all_pair_rows(HERE.parent.parent / "shared" / "data", split_of_text(load_from_disk("build/dataset")))
    c = Counter((r["source"], r["split"], r["label"]) for r in rows)
    for k in sorted(c):
        print(*k, c[k])
    print("example:", next(r["text"] for r in rows if r["source"] == "voa_pairs") if any(r["source"] == "voa_pairs" for r in rows) else "-")


if __name__ == "__main__":
    main()
