"""Out-of-fold teacher logits: every train sentence scored by a teacher that never trained on it.

    python training/teacher_folds.py --base DIR/all-mpnet-base-v2 --folds 3 --out build/teacher_logits_oof.jsonl
    python training/train.py --teacher build/teacher_logits_oof.jsonl --out build/student-oof

``teacher_logits.py`` runs one teacher over the sentences it was trained on, and on those it
mostly repeats their labels (the 2-epoch mpnet teacher of 2026-12-06 gives its own VOA train
sentences the gold label 97.7 % of the time, with 0.87 probability on average), so the student
learns little from it there that the labels do not already say. Here the train split is cut into
``--folds`` parts (a VOA story's or AG item's sentences stay together, event rows are cut one by
one, both by a stable hash); for each part a teacher is trained on the others with ``train.py`` (same base,
epochs, learning rate; dev for its temperature) and scores that part, and the clauses of that
part's sentences (the unlabelled texts of ``teacher_logits.py``'s ``clause`` group). Only
train-split text is read, as in ``teacher_logits.py``, and the output has its format: logits and
the fold teacher's temperature, one JSON object per line; a model's outputs for distillation,
never stored or used as team labels. The fold models and datasets are left in ``--work``; a fold
teacher found there is reused when its metadata's data hash is that fold's.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stance.model_dir import read_metadata  # noqa: E402
from training.teacher_logits import clause_texts, teacher_rows, write_teacher_file  # noqa: E402

TRAIN = Path(__file__).resolve().parent / "train.py"


def fold_of(row: dict, folds: int) -> int:
    """The part a train row falls in: by story for the sentences of a VOA story or an AG item (so
    no teacher sees a sentence's neighbours while scoring it), by text for the event rows.

    >>> fold_of({"kind": "article", "article_id": "6180015", "text": "x"}, 3) == fold_of({"kind": "article", "article_id": "6180015", "text": "y"}, 3)
    True
    """
    key = f"{row['kind']}:{row['article_id']}" if row.get("article_id") else f"text:{row['text']}"
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % folds


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, required=True, help="the teacher's base encoder directory")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--dataset", type=Path, default=Path("build/dataset"))
    ap.add_argument("--epochs", type=float, default=2)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--bf16", action="store_true", help="passed to train.py")
    ap.add_argument("--work", type=Path, default=Path("build/teacher_folds"), help="where the fold datasets and teachers go")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    if args.folds < 2:
        raise SystemExit(f"error: --folds {args.folds}: need at least 2 (1 would train on what it scores)")
    if args.out.exists() and not args.force:
        raise SystemExit(f"error: {args.out} exists; pass --force to overwrite")

    from datasets import DatasetDict, load_from_disk

    ds = load_from_disk(str(args.dataset))
    parent_hash = (args.dataset / "TRAIN_HASH").read_text().strip()
    fold = [fold_of(r, args.folds) for r in ds["train"]]
    train_texts = list(ds["train"]["text"])
    rows: list[dict] = []
    seen: set[str] = set(train_texts)  # a clause that is also a train sentence is scored as that sentence
    for k in range(args.folds):
        kdir, teacher = args.work / f"dataset_{k}", args.work / f"teacher_{k}"
        keep = [i for i, f in enumerate(fold) if f != k]
        DatasetDict({**{s: ds[s] for s in ds if s != "train"}, "train": ds["train"].select(keep)}).save_to_disk(str(kdir))
        fold_hash = f"{parent_hash}-fold{k}of{args.folds}"
        (kdir / "TRAIN_HASH").write_text(fold_hash + "\n")
        # A teacher left in --work by an earlier run is reused only if it learnt from this very fold.
        if not ((teacher / "stance.json").is_file() and read_metadata(teacher).get("data_hash") == fold_hash):
            t0 = time.time()
            cmd = [sys.executable, str(TRAIN), "--base", str(args.base), "--dataset", str(kdir), "--out", str(teacher),
                   "--epochs", str(args.epochs), "--lr", str(args.lr), "--force"] + (["--bf16"] if args.bf16 else [])
            subprocess.run(cmd, check=True)
            print(f"fold {k}: teacher trained on {len(keep)} rows in {time.time() - t0:.0f}s", flush=True)
        sentences = [t for t, f in zip(train_texts, fold) if f == k]
        clauses = [c for c in clause_texts(sentences) if c.strip() and c not in seen and not seen.add(c)]
        texts = [("train", t) for t in sentences] + [("clause", c) for c in clauses]
        rows += teacher_rows(teacher, texts)
        print(f"fold {k}: {len(texts)} texts scored", flush=True)
    write_teacher_file(args.out, rows)
    print(f"wrote {args.out}: {len(rows)} texts")


if __name__ == "__main__":
    main()
