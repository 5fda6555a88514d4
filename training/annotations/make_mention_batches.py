"""Write the story batches the state-mention annotators read (codebook: MENTIONS.md).

    python training/annotations/make_mention_batches.py OUT_DIR

stories_1/2.jsonl: the 26 test-split VOA stories in two halves of about 400 sentences;
stories_3.jsonl: train/dev stories (shuffled with seed 5) until 400 sentences; stories_4.jsonl:
the same from the train/dev stories left (seed 6), stories_5/6/7.jsonl again (seeds 7, 8, 9; 7 holds the rest); stories_1d.jsonl:
every other story of stories_1 (221 sentences), for a second annotator. Sentences are numbered
as ``training/evaluate_actors.py`` reads them, so the labels join back by (story, index).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))


def _write(path: Path, stories: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for s in sorted(stories, key=lambda s: s["id"]):
            f.write(json.dumps({"story_id": s["id"], "title": s["title"], "date": s["date"],
                                "sentences": [{"sent_idx": i, "text": t} for i, t in enumerate(s["sentences"])]},
                               ensure_ascii=False) + "\n")


def main(out: Path) -> None:
    from evaluate_actors import voa_stories

    stories = voa_stories(ROOT.parent / "shared" / "data")
    test = sorted((s for s in stories if s["split"] == "test"), key=lambda s: -len(s["sentences"]))
    halves: list[list[dict]] = [[], []]
    for s in test:  # greedy: the next-longest story to the shorter half
        halves[0 if sum(map(len, (h["sentences"] for h in halves[0]))) <= sum(map(len, (h["sentences"] for h in halves[1]))) else 1].append(s)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "stories_1.jsonl", halves[0])
    _write(out / "stories_2.jsonl", halves[1])
    taken: set[str] = set()
    for name, seed in (("stories_3.jsonl", 5), ("stories_4.jsonl", 6), ("stories_5.jsonl", 7),
                       ("stories_6.jsonl", 8), ("stories_7.jsonl", 9)):
        rest = [s for s in stories if s["split"] != "test" and s["id"] not in taken]
        random.Random(seed).shuffle(rest)
        batch, n = [], 0
        for s in rest:
            if n >= 400:
                break
            batch.append(s)
            n += len(s["sentences"])
        taken |= {s["id"] for s in batch}
        _write(out / name, batch)
    _write(out / "stories_1d.jsonl", sorted(halves[0], key=lambda s: s["id"])[::2])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
