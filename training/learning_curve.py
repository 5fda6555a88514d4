"""How real-article F1 grows with the team's labelled VOA stories: would more annotation pay?

    python training/learning_curve.py --out build/curve --split dev test   # 0, 1/4, 1/2, 3/4 of the stories
    python training/learning_curve.py --out build/curve-s1 --seed 1 --fractions 0.25 0.5 0.75

For each fraction, the VOA train stories are cut to that share (whole stories, from one seeded
shuffle, so each smaller set is inside the larger ones and the curve is not re-drawn per point),
every other train row is kept, and the v3 recipe (``train.py`` with its defaults, one seed) is
trained on it (``--train-args`` adds options: another recipe's curve). ``--full`` names a model of
the same recipe on all the stories (by default the shipped one), the curve's last point. Prints,
per split, real-article macro-F1 with its story-bootstrap interval and the paired gap to the full
model (same resamples), event F1, and the least-squares slope per doubling of the stories. Models
and datasets go under ``--out``; a run already there is reused only if it was trained on the same
stories with the same options (else: an error), so an interrupted curve goes on where it stopped.
Reading test here chooses nothing: the curve is a measurement for the issue, not a model.
"""

from __future__ import annotations

import argparse
import json
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
from evaluate import article_f1_of, article_mask, gold_ids, paired_gap, rows_where, sentence_metrics, span  # noqa: E402

VOA = "voa_team"
TARGET_F1 = 0.80  # issue #4's real-article target
MAX_DOUBLINGS = 10  # past 1,024x the stories an extrapolated count means nothing


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


def subset_hash(dataset: Path, kept: int, total: int, seed: int) -> str:
    """The data hash a curve model records: the full dataset's, the stories kept, the shuffle."""
    return f"{(dataset / 'TRAIN_HASH').read_text().strip()}-voa{kept}of{total}s{seed}"


def point(out: Path, dataset: Path, order: list[str], kept: int, seed: int, train_args: list[str]) -> Path:
    """Train the model of the first ``kept`` stories of ``order`` (or reuse the same run); its directory."""
    from datasets import load_from_disk

    model = out / f"model-{kept}of{len(order)}"
    want = subset_hash(dataset, kept, len(order), seed)
    if (model / "stance.json").exists():
        meta = json.loads((model / "stance.json").read_text(encoding="utf-8"))  # validated when loaded
        if meta.get("data_hash") != want or not meta.get("train_command", "").endswith(shlex.join(["--force", *train_args])):
            raise SystemExit(f"error: {model} was trained on {meta.get('data_hash')} by "
                             f"{meta.get('train_command')!r}, not on {want} with "
                             f"{repr(shlex.join(train_args)) if train_args else 'no more train.py options'}; "
                             "pass another --out, or remove it")
        return model
    data_dir = out / f"dataset-{kept}of{len(order)}"
    ds = subset(load_from_disk(str(dataset)), set(order[:kept]))
    ds.save_to_disk(str(data_dir))
    (data_dir / "TRAIN_HASH").write_text(want + "\n")
    print(f"{kept} of {len(order)} VOA train stories, {len(ds['train'])} train rows", flush=True)
    subprocess.run([sys.executable, str(ROOT / "training" / "train.py"), "--dataset", str(data_dir),
                    "--out", str(model), "--force", *train_args], check=True)
    return model


def story_counts(order: list[str], fractions: list[float]) -> list[int]:
    """The distinct story counts the fractions keep, in order; two fractions that keep the same
    number of stories would be one point twice, so that is an error.

    >>> story_counts(list("abcdefgh"), [0.5, 0, 0.25])
    [0, 2, 4]
    """
    counts: dict[int, float] = {}
    for f in sorted(fractions):
        n = len(kept_stories(order, f))
        if n in counts and counts[n] != f:
            raise SystemExit(f"error: fractions {counts[n]:g} and {f:g} both keep {n} of {len(order)} stories; drop one")
        counts[n] = f
    return list(counts)


def slope_per_doubling(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of F1 against log2(stories), over the points with stories.

    >>> round(slope_per_doubling([(0, 0.3), (10, 0.5), (20, 0.55), (40, 0.6)]), 3)
    0.05
    """
    xs, ys = zip(*[(math.log2(n), v) for n, v in points if n > 0])
    return float(np.polyfit(xs, ys, 1)[0]) if len(xs) >= 2 else float("nan")


def curve_table(split: str, rows: list[dict], probs: dict[str, np.ndarray], full: str) -> tuple[str, dict[str, float]]:
    """Per model: real-article F1 [interval], paired gap to ``full``, event F1 on ``split``; and
    each model's real-article F1."""
    art = article_mask(rows)
    arts = rows_where(rows, art)
    y, stories = gold_ids(arts), [r["article_id"] for r in arts]
    stat = {name: article_f1_of(y, p[art].argmax(1)) for name, p in probs.items()}
    lines = [f"{split} ({len(set(stories))} stories, {len(arts)} real-article sentences)", "",
             "| train VOA stories | real-article F1 | 95 % interval | minus the full model (paired) | events W-vs-C F1 |",
             "|---|---:|---|---|---:|"]
    f1 = {}
    for name, p in probs.items():
        m = sentence_metrics(p, rows)
        f1[name] = m["article_f1"]
        gap = "—" if name == full else paired_gap(stat[name], stat[full], stories)
        lines.append(f"| {name} | {m['article_f1']:.3f} | {span(m['article_f1_ci'])} | {gap} | {m['event_wc_f1']:.3f} |")
    return "\n".join(lines), f1


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=ROOT / "build" / "dataset", help="the full build (data.py)")
    ap.add_argument("--out", type=Path, required=True, help="where the curve's datasets and models go")
    ap.add_argument("--fractions", type=float, nargs="+", default=[0, 0.25, 0.5, 0.75],
                    help="shares of the VOA train stories, one model each (in [0, 1])")
    ap.add_argument("--full", type=Path, default=ROOT / "models" / "stance-minilm",
                    help="the same recipe on all train stories, the curve's last point (with --train-args, "
                         "that recipe's full model, else the gaps compare two recipes)")
    ap.add_argument("--seed", type=int, default=0,
                    help="the shuffle of the stories (train.py's own seed stays 13; --train-args '--seed N' sets it)")
    ap.add_argument("--train-args", default="", metavar="'ARGS'",
                    help="more train.py options, one quoted string (another recipe's curve, e.g. the mpnet "
                         "teacher's: '--base DIR/all-mpnet-base-v2 --epochs 2 --lr 3e-5 --bf16')")
    ap.add_argument("--split", nargs="+", choices=("dev", "test"), default=["dev"], help="splits to score")
    args = ap.parse_args(argv)

    import stance
    from datasets import load_from_disk

    ds = load_from_disk(str(args.dataset))
    order = story_order(list(ds["train"]), args.seed)
    counts = story_counts(order, args.fractions)  # checks every fraction before any training
    train_args = shlex.split(args.train_args)
    models = {n: point(args.out, args.dataset, order, n, args.seed, train_args) for n in counts if n < len(order)}
    models[len(order)] = args.full
    names = {n: f"{n} of {len(order)}" + (f" ({args.full.name})" if n == len(order) else "") for n in models}
    for split in args.split:
        rows = list(ds[split])
        texts = [r["text"] for r in rows]
        probs = {names[n]: stance.load(path, backend="torch").predict_proba(texts) for n, path in models.items()}
        table, f1 = curve_table(split, rows, probs, names[len(order)])
        print(table)
        slope = slope_per_doubling([(n, f1[names[n]]) for n in models])
        line = f"\nleast-squares slope over the points with stories: {slope:+.3f} real-article F1 per doubling of the VOA train stories"
        doublings = (TARGET_F1 - f1[names[len(order)]]) / slope if slope > 0 else float("inf")
        if doublings <= MAX_DOUBLINGS:
            line += (f"; at that rate {TARGET_F1:.2f} would take about {len(order) * 2 ** doublings:,.0f} "
                     "stories (a straight-line extrapolation in log stories, no more)")
        elif slope > 0:
            line += f"; at that rate {TARGET_F1:.2f} would take over {2 ** MAX_DOUBLINGS} times today's stories"
        print(line + "\n")


if __name__ == "__main__":
    main()
