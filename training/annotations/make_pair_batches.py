"""Write the batches the pair annotators read (codebook: PAIRS.md).

    python training/annotations/make_pair_batches.py OUT_DIR

Every sentence that names two or more states (as ``stance.actors.article_actors`` finds them in
its story) becomes a target, with its states, the words naming them and every pair:
``voa_train_1/2.jsonl``: the train/dev VOA stories in two halves (whole stories, targets
flagged); ``ag_1/2.jsonl``: the train/dev AG News leads in two halves; ``voa_test.jsonl``: the
test stories (evaluation only); ``voa_test_d.jsonl``: every other test story, for a second
annotator. Sentence numbers and text hashes are those the training code
reads (``training/data.py``), so the labels join back by (item, index, hash).
"""

from __future__ import annotations

import json
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))


def targets(sentences: list[str], title: str | None, date: str | None) -> list[dict]:
    """One target per sentence naming two or more states: its states (code -> words) and pairs."""
    from data import text_sha
    from stance.actors import article_actors

    acts, _ = article_actors(sentences, title=title, date=date)
    out = []
    for i, (text, found) in enumerate(zip(sentences, acts)):
        states: dict[str, list[str]] = {}
        for a in found:
            words = states.setdefault(a.code, [])
            if a.text not in words:
                words.append(a.text)
        if len(states) >= 2:
            out.append({"sent_idx": i, "sha": text_sha(text), "text": text, "states": states,
                        "pairs": ["-".join(p) for p in combinations(sorted(states), 2)]})
    return out


def halves(items: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split items in two by target count, greedily (largest item to the lighter half)."""
    out: tuple[list[dict], list[dict]] = ([], [])
    load = [0, 0]
    for it in sorted(items, key=lambda it: -len(it["targets"])):
        h = 0 if load[0] <= load[1] else 1
        out[h].append(it)
        load[h] += len(it["targets"])
    return out


def write(path: Path, items: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for it in sorted(items, key=lambda it: it["item"]):
            f.write(json.dumps(it, ensure_ascii=False) + "\n")


def main(out: Path) -> None:
    from data import load_ag_team
    from evaluate_actors import voa_stories
    from stance.segment import split_sentences

    data = ROOT.parent / "shared" / "data"
    voa = {"train": [], "test": []}
    for s in voa_stories(data):
        t = targets(s["sentences"], s["title"], s["date"])
        if t:
            voa["test" if s["split"] == "test" else "train"].append(
                {"item": s["id"], "title": s["title"], "date": s["date"],
                 "sentences": [{"sent_idx": i, "text": x} for i, x in enumerate(s["sentences"])], "targets": t})
    labelled = {r["article_id"] for r in load_ag_team(data)}
    ag = []
    for it in map(json.loads, open(data / "unlabelled/ag_news_world.jsonl", encoding="utf-8")):
        if it["id"] in labelled:
            t = targets([sp.text for sp in split_sentences(it["text"])], it["title"], None)
            if t:
                ag.append({"item": it["id"], "title": it["title"], "text": it["text"], "targets": t})
    out.mkdir(parents=True, exist_ok=True)
    for name, part in zip(("voa_train_1", "voa_train_2"), halves(voa["train"])):
        write(out / f"{name}.jsonl", part)
    for name, part in zip(("ag_1", "ag_2"), halves(ag)):
        write(out / f"{name}.jsonl", part)
    write(out / "voa_test.jsonl", voa["test"])
    write(out / "voa_test_d.jsonl", sorted(voa["test"], key=lambda it: it["item"])[::2])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
