"""Score the team's pair-contrast sentences: the library's pair-aware scoring against the
sentence-level baseline it must beat.

    python training/evaluate_pairs.py [--model models/stance-minilm] [--pairs training/annotations/pairs.jsonl]

``training/annotations/pairs.jsonl`` (written by the team, never used for training): news-style
sentences naming two or three states, each with the label of every pair of them
(warming / cooling / neutral, following training/ANNOTATION.md: a pair the sentence says nothing
about is neutral) and the sentence's own label (its main clause; of two coordinate clauses, the
first). "contrast" sentences move different pairs differently ("Beijing courts Seoul while its
ties with Pyongyang sour"); "uniform" ones give every pair the same label.

Two approaches. "sentence": every pair of a sentence takes the sentence's label (the library
before pair-aware scoring). "pair-aware": what the library does now (``stance.clauses``): a
sentence naming several states is cut into clauses, each scored on its own, and each pair takes
the clauses that name it; a pair no clause names together gets neutral (the sentence says
nothing about it). Each sentence is scored as a one-sentence article. Printed for each:

* pair detection: the pairs ``stance.actors`` finds in each sentence (every pair of the states
  it detects) against the team's pairs;
* pair labels given the team's pairs: accuracy and macro-F1 (warming, cooling, neutral);
* end to end: the same, but a team pair the detector misses counts as wrong;
* the ceiling of any sentence-level labeller: each pair takes the team's *sentence* label;
* the model's sentence-level accuracy against the team's sentence labels.

Then the same two approaches on real articles: the team's pair labels
(``annotations/pairs/voa_test.jsonl``, codebook ``annotations/PAIRS.md``) of every sentence of
the VOA test stories that names two or more states, each story scored whole by the library;
and the agreement of a second annotator on half of those stories. ``--stories dev`` scores the
dev stories' pair labels instead (from ``voa_train_*.jsonl``, which ``train.py --pairs`` reads
for train stories only), to compare models without reading test.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))  # pair_data, data
from training import intervals  # noqa: E402
from training.evaluate import refuse_dev_trained  # noqa: E402

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
    """Macro-F1 of label strings over the labels present in ``gold`` or ``pred`` (one neither
    holds does not count): ``intervals.macro_f1`` on their indexes. A prediction outside
    ``LABELS`` (``"missed"``: the detector found no such pair) is wrong for every label.

    >>> macro_f1(["warming", "cooling"], ["warming", "missed"])
    0.5
    """
    if not gold:
        return 0.0
    other = len(LABELS)  # one index for every string outside LABELS; never averaged
    index = {lab: i for i, lab in enumerate(LABELS)}
    y, p = (np.array([index.get(lab, other) for lab in labels], dtype=int) for labels in (gold, pred))
    return intervals.macro_f1(y, p, other + 1, sorted((set(y) | set(p)) - {other}))


def pair_aware_labels(scorer, rows: list[dict]) -> list[dict[str, str]]:
    """Per sentence, the label the library gives each of the team's pairs."""
    out = []
    for r in rows:
        a = scorer.score_article(r["text"])
        labels = {}
        for key in r["pairs"]:
            pair = tuple(key.split("-"))
            views = [s.for_pair(pair) for s in a.sentences if pair in s.pairs]
            labels[key] = views[0].label if views else "neutral"
        out.append(labels)
    return out


def evaluate(rows: list[dict], sentence_labels: list, pair_labels: list[dict[str, str]] | None = None) -> dict:
    """Metrics given the model's label for each sentence and, optionally, a label per pair
    (default: every pair takes its sentence's label)."""
    from stance.actors import article_actors, sentence_pairs

    out: dict = {}
    det = Counter()
    by_kind: dict[str, dict[str, list[str]]] = {}
    pair_labels = pair_labels or [dict.fromkeys(r["pairs"], lab) for r, lab in zip(rows, sentence_labels)]
    for r, pred_label, by_pair in zip(rows, sentence_labels, pair_labels):
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
                d["pred"].append(by_pair[key])
                d["e2e"].append(by_pair[key] if key in found else "missed")
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


# Where the team's pair labels of each split's stories are: test stories have their own file;
# train and dev stories share voa_train_*.jsonl (--pairs trains on the train stories' only).
PAIR_LABEL_FILES = {"test": "voa_test.jsonl", "dev": "voa_train_*.jsonl"}


def story_pair_labels(data: Path, split: str) -> dict[tuple[str, int], dict]:
    """The team's pair labels of the sentences of ``split``'s VOA stories, keyed (story id, sentence index)."""
    from evaluate_actors import voa_stories
    from pair_data import read_labels

    in_split = {s["id"] for s in voa_stories(data) if s["split"] == split}
    return {k: r for k, r in read_labels(PAIR_LABEL_FILES[split]).items() if k[0] in in_split}


def real_article_pairs(scorer, data: Path, split: str = "test") -> dict[str, dict]:
    """Accuracy and macro-F1 of the sentence-level and the library's pair scoring against the
    team's pair labels of the real stories of ``split`` (test or dev); {} when the labels are not there."""
    from data import text_sha

    labels_file = PAIR_LABEL_FILES[split]
    labels = story_pair_labels(data, split)
    if not labels:
        return {}
    by_story: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for (item, i), r in sorted(labels.items()):
        by_story[item].append((i, r))
    stories = {s["id"]: s for s in map(json.loads, open(data / "unlabelled/voa_stories.jsonl", encoding="utf-8"))}
    gold, by = [], {"sentence": [], "pair-aware": []}
    for item, labelled in by_story.items():
        st = stories[item]
        art = scorer.score_article(st["text"], title=st["title"], date=st["published"][:10], id=item)
        for i, r in labelled:
            s = art.sentences[i]
            if text_sha(s.text) != r["sha"]:
                raise SystemExit(f"{labels_file}: story {item} sentence {i}: text hash differs (segmenter changed?)")
            for key, lab in sorted(r["pairs"].items()):
                pair = tuple(key.split("-"))
                gold.append(lab)
                by["sentence"].append(s.label)
                by["pair-aware"].append(s.for_pair(pair).label if pair in s.pairs else "neutral")
    return {name: {"pairs": len(gold), "sentences": len(labels),
                   "accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold), "macro_f1": macro_f1(gold, pred),
                   "gold": dict(Counter(gold))} for name, pred in by.items()}


def annotator_agreement(first: str = "voa_test.jsonl", second: str = "voa_test_second.jsonl") -> dict:
    """Pair-level raw agreement and Cohen's kappa of two annotators on the pairs both labelled."""
    from data import cohen_kappa
    from pair_data import read_labels

    a, b = read_labels(first), read_labels(second)
    la, lb = [], []
    for key in sorted(set(a) & set(b)):
        for pair in sorted(set(a[key]["pairs"]) & set(b[key]["pairs"])):
            la.append(a[key]["pairs"][pair])
            lb.append(b[key]["pairs"][pair])
    if not la:
        return {}
    return {"pairs": len(la), "agreement": sum(x == y for x, y in zip(la, lb)) / len(la), "kappa": cohen_kappa(la, lb)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--pairs", type=Path, default=ROOT / "training/annotations/pairs.jsonl")
    ap.add_argument("--skip", type=int, default=0, metavar="N",
                    help="leave out the first N sentences (the clause rule was written after reading 12)")
    ap.add_argument("--stories", choices=sorted(PAIR_LABEL_FILES), default="test",
                    help="whose real-article pair labels to score: the test stories (default) or the dev ones "
                         "(to choose between models without reading test)")
    args = ap.parse_args(argv)
    import stance

    rows = read_pairs(args.pairs)[args.skip:]
    scorer = stance.load(args.model)
    refuse_dev_trained(args.stories, [scorer.path])
    labels = [s.label for s in scorer.score_sentences([r["text"] for r in rows])]
    runs = {"sentence": evaluate(rows, labels), "pair-aware": evaluate(rows, labels, pair_aware_labels(scorer, rows))}
    d = runs["sentence"]["detection"]
    print(f"model: {scorer.path}")
    print(f"pair detection: precision {d['precision']:.3f}, recall {d['recall']:.3f}; "
          f"all pairs exactly right in {d['exact_sentences']}/{d['sentences']} sentences")
    print(f"\n{'approach':<10} {'sentences':<10} {'n':>4} {'pairs':>5} | {'acc':>5} {'macroF1':>7} | {'e2e acc':>7} "
          f"{'e2e F1':>6} | {'ceiling acc':>11} {'F1':>5} | {'sentence acc':>12}")
    for name, m in runs.items():
        for kind in ("contrast", "uniform", "all"):
            k = m[kind]
            print(f"{name:<10} {kind:<10} {k['sentences']:>4} {k['pairs']:>5} | {k['accuracy']:>5.3f} {k['macro_f1']:>7.3f} | "
                  f"{k['e2e_accuracy']:>7.3f} {k['e2e_macro_f1']:>6.3f} | {k['ceiling_accuracy']:>11.3f} "
                  f"{k['ceiling_macro_f1']:>5.3f} | {k['sentence_accuracy']:>12.3f}")
    print("\nacc/macroF1: the team's pairs labelled by the approach; e2e: a pair the detector misses counts as "
          "wrong; ceiling: every pair takes the team's sentence label (the best any sentence-level labeller can do).")
    real = real_article_pairs(scorer, ROOT.parent / "shared" / "data", args.stories)
    if real:
        k = next(iter(real.values()))
        print(f"\nreal articles (VOA {args.stories} stories, {k['sentences']} sentences naming 2+ states, {k['pairs']} pairs; "
              f"team labels {k['gold']}):")
        for name, m in real.items():
            print(f"{name:<10} acc {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}")
        agr = annotator_agreement() if args.stories == "test" else {}
        if agr:
            print(f"second annotator on {agr['pairs']} of these pairs: agreement {agr['agreement']:.3f}, "
                  f"Cohen's kappa {agr['kappa']:.3f}")


if __name__ == "__main__":
    main()
