"""Score the team's pair-contrast sentences with a sentence-level model: the baseline a
pair-aware model must beat.

    python training/evaluate_pairs.py [--model models/stance-minilm] [--pairs training/annotations/pairs.jsonl]

``training/annotations/pairs.jsonl`` (written by the team, never used for training): news-style
sentences naming two or three states, each with the label of every pair of them
(warming / cooling / neutral, following training/ANNOTATION.md: a pair the sentence says nothing
about is neutral) and the sentence's own label (its main clause; of two coordinate clauses, the
first). "contrast" sentences move different pairs differently ("Beijing courts Seoul while its
ties with Pyongyang sour"); "uniform" ones give every pair the same label.

Today's approach gives every pair of a sentence the sentence's label. Printed:

* pair detection: the pairs ``stance.actors`` finds in each sentence (every pair of the states
  it detects) against the team's pairs;
* pair labels given the team's pairs: accuracy and macro-F1 (warming, cooling, neutral) when
  each team pair takes the model's sentence label;
* end to end: the same, but a team pair the detector misses counts as wrong;
* the ceiling of any sentence-level labeller: each pair takes the team's *sentence* label;
* the model's sentence-level accuracy against the team's sentence labels.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = ("warming", "cooling", "neutral")


def read_pairs(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        r = json.loads(line)
        for key, lab in r["pairs"].items():
            a, _, b = key.partition("-")
            if lab not in LABELS or not (len(a) == len(b) == 3 and a < b):
                raise SystemExit(f"{path}:{n}: pair {key!r} -> {lab!r}; pairs are 'AAA-BBB' (sorted ISO3) "
                                 f"and labels one of {', '.join(LABELS)}")
        rows.append(r)
    return rows


def macro_f1(gold: list[str], pred: list[str]) -> float:
    f1s = []
    for lab in LABELS:
        tp = sum(g == p == lab for g, p in zip(gold, pred))
        fp = sum(p == lab and g != lab for g, p in zip(gold, pred))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred))
        if tp + fp + fn:  # a label neither in the gold nor predicted does not count
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / len(f1s) if f1s else 0.0


def evaluate(rows: list[dict], sentence_labels: list[str]) -> dict:
    """Metrics for today's approach, given the model's label for each sentence."""
    from stance.actors import article_actors, sentence_pairs

    out: dict = {}
    det = Counter()
    by_kind: dict[str, dict[str, list[str]]] = {}
    for r, pred_label in zip(rows, sentence_labels):
        acts, _ = article_actors([r["text"]])
        found = {"-".join(p) for p in sentence_pairs([a.code for a in acts[0]], None)}
        gold = set(r["pairs"])
        det["tp"] += len(found & gold)
        det["fp"] += len(found - gold)
        det["fn"] += len(gold - found)
        det["exact"] += found == gold
        for kind in (r["kind"], "all"):
            d = by_kind.setdefault(kind, {"gold": [], "pred": [], "e2e": [], "ceiling": [], "sent_gold": [],
                                          "sent_pred": []})
            d["sent_gold"].append(r["label"])
            d["sent_pred"].append(pred_label)
            for key, lab in r["pairs"].items():
                d["gold"].append(lab)
                d["pred"].append(pred_label)
                d["e2e"].append(pred_label if key in found else "missed")
                d["ceiling"].append(r["label"])
    out["detection"] = {"precision": det["tp"] / max(1, det["tp"] + det["fp"]),
                        "recall": det["tp"] / max(1, det["tp"] + det["fn"]),
                        "exact_sentences": det["exact"], "sentences": len(rows)}
    for kind, d in by_kind.items():
        acc = lambda pred: sum(g == p for g, p in zip(d["gold"], pred)) / len(d["gold"])  # noqa: E731
        out[kind] = {"sentences": len(d["sent_gold"]), "pairs": len(d["gold"]),
                     "accuracy": acc(d["pred"]), "macro_f1": macro_f1(d["gold"], d["pred"]),
                     "e2e_accuracy": acc(d["e2e"]), "e2e_macro_f1": macro_f1(d["gold"], d["e2e"]),
                     "ceiling_accuracy": acc(d["ceiling"]), "ceiling_macro_f1": macro_f1(d["gold"], d["ceiling"]),
                     "sentence_accuracy": sum(g == p for g, p in zip(d["sent_gold"], d["sent_pred"])) / len(d["sent_gold"])}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--pairs", type=Path, default=ROOT / "training/annotations/pairs.jsonl")
    args = ap.parse_args(argv)
    import stance

    rows = read_pairs(args.pairs)
    scorer = stance.load(args.model)
    labels = [s.label for s in scorer.score_sentences([r["text"] for r in rows])]
    m = evaluate(rows, labels)
    d = m["detection"]
    print(f"model: {scorer.path}")
    print(f"pair detection: precision {d['precision']:.3f}, recall {d['recall']:.3f}; "
          f"all pairs exactly right in {d['exact_sentences']}/{d['sentences']} sentences")
    print(f"\n{'sentences':<10} {'n':>4} {'pairs':>5} | {'acc':>5} {'macroF1':>7} | {'e2e acc':>7} {'e2e F1':>6} | "
          f"{'ceiling acc':>11} {'F1':>5} | {'sentence acc':>12}")
    for kind in ("contrast", "uniform", "all"):
        k = m[kind]
        print(f"{kind:<10} {k['sentences']:>4} {k['pairs']:>5} | {k['accuracy']:>5.3f} {k['macro_f1']:>7.3f} | "
              f"{k['e2e_accuracy']:>7.3f} {k['e2e_macro_f1']:>6.3f} | {k['ceiling_accuracy']:>11.3f} "
              f"{k['ceiling_macro_f1']:>5.3f} | {k['sentence_accuracy']:>12.3f}")
    print("\nacc/macroF1: every team pair takes the model's sentence label (today's approach); e2e: a pair the "
          "detector misses counts as wrong; ceiling: every pair takes the team's sentence label.")


if __name__ == "__main__":
    main()
