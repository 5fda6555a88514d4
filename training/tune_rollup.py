"""Choose the roll-up constants by measuring them against the team's article labels.

    python training/tune_rollup.py models/stance-minilm

Uses the dev stories (never trained on) and, as a second opinion, the train stories (whose
sentences the model has seen, so their numbers are optimistic); never the test stories. For
each setting it reports 4-class article-label accuracy and direction accuracy on the team's
main pair, and prints the grid sorted by dev accuracy. Then, for the evidence each article shows
(``EVIDENCE_MIN_PROB``), the team's label of the shown sentences of every dev story (train
stories only say how well the model learnt them, so they are left out there).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

EVIDENCE_GRID = [0.0, 0.6, 0.7, 0.75, 0.8, 0.85]
GRID = {
    "RELEVANCE_POWER": [1.0, 2.0],
    "EVIDENCE_PRIOR": [0.0, 0.5, 1.0],
    "DIRECTION_THRESHOLD": [0.1, 0.15, 0.2],
    "MIXED_SHARE": [0.25, 0.3, 0.35, 0.4, 0.45],
}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--dataset", type=Path, default=ROOT / "build" / "dataset")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args(argv)

    import stance
    from datasets import load_from_disk
    from stance import rollup
    from stance.scorer import Article, build_article
    from stance.segment import split_sentences

    from data import _norm, load_article_labels, load_voa_team
    from evaluate import evidence_counts, evidence_summary, team_pair_result

    ds = load_from_disk(str(args.dataset))
    split_of = {r["article_id"]: s for s in ("train", "dev") for r in ds[s] if r["kind"] == "article"}
    labels = load_article_labels()
    scorer = stance.load(args.model)
    stories = []
    for line in open(args.data / "unlabelled/voa_stories.jsonl", encoding="utf-8"):
        st = json.loads(line)
        if st["id"] in split_of and st["id"] in labels:
            spans = split_sentences(st["text"])
            stories.append((split_of[st["id"]], labels[st["id"]], Article(st["text"], st["id"], st["title"], st["published"][:10]),
                            spans))
    cache: dict[str, np.ndarray] = {}

    def predict(texts):  # the grid re-rolls the same sentences: score each text once
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, scorer.predict_proba(missing)))
        return np.array([cache[t] for t in texts])

    def measure() -> dict:
        out = {}
        for split in ("dev", "train"):
            acc, direction = [], []
            for sp, lab, art, spans in stories:
                if sp != split:
                    continue
                score, label = team_pair_result(build_article(art, spans, predict), lab)
                acc.append(label == lab["label"])
                if lab["label"] in ("warming", "cooling"):
                    direction.append((score > 0) == (lab["label"] == "warming") and score != 0)
            out[split] = (float(np.mean(acc)), float(np.mean(direction)), len(acc))
        return out

    defaults = {k: getattr(rollup, k) for k in GRID}
    rows = []
    for values in itertools.product(*GRID.values()):
        for k, v in zip(GRID, values):
            setattr(rollup, k, v)
        m = measure()
        rows.append((m["dev"][0], m["train"][0], m["dev"][1], m["train"][1], dict(zip(GRID, values))))
    for k, v in defaults.items():
        setattr(rollup, k, v)
    n_dev = sum(s[0] == "dev" for s in stories)
    n_train = len(stories) - n_dev
    print(f"{n_dev} dev stories, {n_train} train stories (model saw their sentences)\n")
    print("| dev label acc | train label acc | dev direction acc | train direction acc | setting |")
    print("|---|---|---|---|---|")
    rows.sort(key=lambda r: (-r[0], -r[1], -r[2]))
    for r in rows[:12]:
        print(f"| {r[0]:.3f} | {r[1]:.3f} | {r[2]:.3f} | {r[3]:.3f} | {r[4]} |")
    current = next(r for r in rows if r[4] == defaults)
    print(f"\ncurrent constants {defaults}: dev label acc {current[0]:.3f}, train {current[1]:.3f}, "
          f"dev direction {current[2]:.3f}, train direction {current[3]:.3f}")

    gold: dict[str, dict[str, str]] = {}
    for r in load_voa_team()[0]:
        gold.setdefault(r["article_id"], {})[_norm(r["text"])] = r["label"]
    dev = [(art, spans) for art, spans in
           ((Article(st["text"], st["id"], st["title"], st["published"][:10]), split_sentences(st["text"]))
            for st in map(json.loads, open(args.data / "unlabelled/voa_stories.jsonl", encoding="utf-8"))
            if split_of.get(st["id"]) == "dev")]
    print(f"\nEvidence on the {len(dev)} dev stories (team label of each sentence shown):\n")
    print("| EVIDENCE_MIN_PROB | labelled as shown | labelled the other way | shown | directional articles without evidence |")
    print("|---|---|---|---|---|")
    default_prob = rollup.EVIDENCE_MIN_PROB
    for t in EVIDENCE_GRID:
        rollup.EVIDENCE_MIN_PROB = t
        counts, bare = Counter(), 0
        for art, spans in dev:
            a = build_article(art, spans, predict)
            counts += evidence_counts(a.evidence, gold[art.id])
            bare += a.label in ("warming", "cooling") and not a.evidence
        e = evidence_summary(counts)
        mark = " (current)" if t == default_prob else ""
        print(f"| {t}{mark} | {e['evidence_precision']:.3f} | {e['evidence_opposite']:.3f} | {e['evidence_shown']} | {bare} |")
    rollup.EVIDENCE_MIN_PROB = default_prob


if __name__ == "__main__":
    main()
