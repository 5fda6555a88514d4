"""How real-article F1 grows with the team's labelled VOA stories: would more annotation pay?

    python training/learning_curve.py --out build/curve            # 0, 1/4, 1/2, 3/4 of the train stories
    python training/learning_curve.py --out build/curve --full models/stance-minilm --split dev test

For each fraction, the VOA train stories are cut to that share (whole stories, from one seeded
shuffle, so each smaller set is inside the larger ones and the curve is not re-drawn per point),
every other train row is kept, and the v3 recipe (``train.py`` with its defaults, one seed) is
trained on it (``--train-args`` adds options: another recipe's curve). ``--full`` names a model of
the same recipe on all the stories (by default the shipped one), the curve's last point. Prints, per split, real-article macro-F1 with its story-bootstrap interval
and the paired gap to the full model (same resamples), and event F1. Models and datasets go under
``--out`` (a run already there is reused, so an interrupted curve goes on where it stopped).
Reading test here chooses nothing: the curve is a measurement for the issue, not a model.
"""

from __future__ import annotations

import argparse
import math
import random
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))
from evaluate import article_f1_of, article_mask, gold_ids, paired_gap, sentence_metrics, span  # noqa: E402

VOA = "voa_team"


def story_order(rows: list[dict], seed: int) -> list[str]:
    """The train VOA story ids in one seeded order; a fraction keeps a prefix of it."""
    ids = sorted({r["article_id"] for r in rows if r["source"] == VOA})
    random.Random(seed).shuffle(ids)
    return ids


def kept_stories(order: list[str], fraction: float) -> set[str]:
    """The first ``fraction`` of ``order`` (rounded), so smaller fractions nest in larger ones.

    >>> sorted(kept_stories(["c", "a", "b", "d"], 0.5))
    ['a', 'c']
    """
    if not 0 <= fraction <= 1:
        raise SystemExit(f"error: fraction {fraction:g}: must be in [0, 1]")
    return set(order[:round(fraction * len(order))])


def subset(ds, keep: set[str]):
    """``ds`` with train VOA rows outside ``keep`` dropped; dev and test as they are."""
    out = dict(ds)
    out["train"] = ds["train"].filter(lambda r: r["source"] != VOA or r["article_id"] in keep, keep_in_memory=True)
    return type(ds)(out)


def point(out: Path, dataset: Path, fraction: float, order: list[str], seed: int, train_args: list[str]) -> Path:
    """Train (or reuse) the model of one fraction; returns its directory."""
    from datasets import load_from_disk

    model = out / f"model-{fraction:g}"
    if (model / "stance.json").exists():
        return model
    data_dir = out / f"dataset-{fraction:g}"
    keep = kept_stories(order, fraction)
    ds = subset(load_from_disk(str(dataset)), keep)
    ds.save_to_disk(str(data_dir))
    # The subset's own hash goes into the model's metadata (the full dataset's, and the stories kept).
    train_hash = (dataset / "TRAIN_HASH").read_text().strip()
    (data_dir / "TRAIN_HASH").write_text(f"{train_hash}-voa{len(keep)}of{len(order)}s{seed}\n")
    print(f"fraction {fraction:g}: {len(keep)} of {len(order)} VOA train stories, {len(ds['train'])} train rows",
          flush=True)
    subprocess.run([sys.executable, str(ROOT / "training" / "train.py"), "--dataset", str(data_dir),
                    "--out", str(model), "--force", *train_args], check=True)
    return model


def curve_table(split: str, rows: list[dict], probs: dict[str, np.ndarray], full: str) -> str:
    """Per model: real-article F1 [interval], paired gap to ``full``, event F1 on ``split``."""
    art = article_mask(rows)
    arts = [r for r, k in zip(rows, art) if k]
    y, stories = gold_ids(arts), [r["article_id"] for r in arts]
    stat = {name: article_f1_of(y, p[art].argmax(1)) for name, p in probs.items()}
    lines = [f"{split} ({len(set(stories))} stories, {len(arts)} real-article sentences)", "",
             "| train VOA stories | real-article F1 | 95 % interval | minus the full model (paired) | events W-vs-C F1 |",
             "|---|---:|---|---|---:|"]
    for name, p in probs.items():
        m = sentence_metrics(p, rows)
        gap = "—" if name == full else paired_gap(stat[name], stat[full], stories)
        lines.append(f"| {name} | {m['article_f1']:.3f} | {span(m['article_f1_ci'])} | {gap} | {m['event_wc_f1']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=ROOT / "build" / "dataset")
    ap.add_argument("--out", type=Path, required=True, help="where the curve's datasets and models go")
    ap.add_argument("--fractions", type=float, nargs="+", default=[0, 0.25, 0.5, 0.75])
    ap.add_argument("--full", type=Path, default=ROOT / "models" / "stance-minilm",
                    help="the recipe on all train stories (the curve's last point)")
    ap.add_argument("--seed", type=int, default=0, help="the shuffle of the stories")
    ap.add_argument("--train-args", default="", metavar="'ARGS'",
                    help="more train.py options, one quoted string (another recipe's curve, e.g. the mpnet "
                         "teacher's: '--base DIR/all-mpnet-base-v2 --epochs 2 --lr 3e-5 --bf16')")
    ap.add_argument("--split", nargs="+", choices=("dev", "test"), default=["dev"])
    args = ap.parse_args(argv)
    fractions = sorted(set(args.fractions))

    import stance
    from datasets import load_from_disk

    ds = load_from_disk(str(args.dataset))
    order = story_order(list(ds["train"]), args.seed)
    train_args = shlex.split(args.train_args)
    models = {f"{len(kept_stories(order, f))} of {len(order)}": point(args.out, args.dataset, f, order, args.seed, train_args)
              for f in fractions}
    full = f"{len(order)} of {len(order)} ({args.full.name})"
    models[full] = args.full
    for split in args.split:
        rows = list(ds[split])
        texts = [r["text"] for r in rows]
        probs = {name: stance.load(path, backend="torch").predict_proba(texts) for name, path in models.items()}
        print(curve_table(split, rows, probs, full))
        f1 = {name: sentence_metrics(p, rows)["article_f1"] for name, p in probs.items()}
        points = [(len(kept_stories(order, f)), f1[name]) for f, name in zip(fractions, models) if f > 0]
        points.append((len(order), f1[full]))
        if len(points) >= 2:
            xs, ys = np.log2([n for n, _ in points]), np.array([v for _, v in points])
            slope = float(np.polyfit(xs, ys, 1)[0])
            print(f"\nleast-squares slope over the points with stories: {slope:+.3f} real-article F1 per doubling "
                  f"of the VOA train stories" + (
                      f"; at that rate 0.80 would take about {len(order) * 2 ** ((0.80 - f1[full]) / slope):,.0f} "
                      "stories (a straight-line extrapolation in log stories, no more)" if slope > 0 else "") + "\n")


if __name__ == "__main__":
    main()
