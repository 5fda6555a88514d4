"""Measure state detection and main-pair choice against the team's VOA labels.

    python training/evaluate_actors.py [--data ../shared/data]

Per sentence, compares the set of ISO codes found by stance.find_actors with the set the
annotators wrote. Annotators also coded states that are only implied ("both countries",
"the ministry"), which no gazetteer can find; recall counts those as misses. Caveat: some team gazetteer entries (office-holders) were added after reading VOA stories.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args(argv)
    from data import load_article_labels
    from stance.actors import find_actors, main_pair

    stories = {json.loads(l)["id"]: json.loads(l) for l in open(args.data / "unlabelled/voa_stories.jsonl", encoding="utf-8")}
    tp = fp = fn = 0
    per_story: dict[str, list[list[str]]] = {}
    for p in sorted((ROOT / "training/annotations/parts").glob("voa_sentences_b*.jsonl")):
        for line in open(p, encoding="utf-8"):
            r = json.loads(line)
            date = stories[str(r["story_id"])]["published"][:10]
            found = {a.code for a in find_actors(r["text"], date=date)}
            gold = set(r.get("countries", []))
            tp += len(found & gold)
            fp += len(found - gold)
            fn += len(gold - found)
            per_story.setdefault(str(r["story_id"]), []).append(sorted(found))
    prec, rec = tp / (tp + fp), tp / (tp + fn)
    print(f"state detection on {sum(map(len, per_story.values()))} VOA sentences: precision {prec:.3f}, recall {rec:.3f} "
          f"(tp {tp}, fp {fp}, fn {fn})")
    right = total = 0
    for sid, r in load_article_labels().items():
        pair = tuple(sorted(c for c in r["pair"] if c))
        if len(pair) != 2:
            continue
        st = stories[sid]
        title = [a.code for a in find_actors(st["title"], date=st["published"][:10])]
        total += 1
        right += main_pair(per_story[sid], title) == pair
    print(f"main pair right on {right}/{total} = {right / total:.3f} articles whose team label names two states")


if __name__ == "__main__":
    main()
