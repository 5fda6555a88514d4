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
never stored or used as team labels. The fold models and datasets are left in ``--work``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stance.model_dir import read_metadata  # noqa: E402
from stance.pooling import pooling_of  # noqa: E402
from training.teacher_logits import clause_texts  # noqa: E402
from training.train import predict_logits  # noqa: E402

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
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    ds = load_from_disk(str(args.dataset))
    parent_hash = (args.dataset / "TRAIN_HASH").read_text().strip()
    fold = [fold_of(r, args.folds) for r in ds["train"]]
    items: list[tuple[str, str, list[float], float]] = []
    seen: set[str] = set(ds["train"]["text"])  # a clause that is also a train sentence is scored as that sentence
    for k in range(args.folds):
        kdir, teacher = args.work / f"dataset_{k}", args.work / f"teacher_{k}"
        keep = [i for i, f in enumerate(fold) if f != k]
        DatasetDict({**{s: ds[s] for s in ds if s != "train"}, "train": ds["train"].select(keep)}).save_to_disk(str(kdir))
        (kdir / "TRAIN_HASH").write_text(f"{parent_hash}-fold{k}of{args.folds}\n")
        if not (teacher / "stance.json").is_file():
            t0 = time.time()
            cmd = [sys.executable, str(TRAIN), "--base", str(args.base), "--dataset", str(kdir), "--out", str(teacher),
                   "--epochs", str(args.epochs), "--lr", str(args.lr), "--force"] + (["--bf16"] if args.bf16 else [])
            subprocess.run(cmd, check=True)
            print(f"fold {k}: teacher trained on {len(keep)} rows in {time.time() - t0:.0f}s", flush=True)
        sentences = [ds["train"][i]["text"] for i, f in enumerate(fold) if f == k]
        clauses = [c for c in clause_texts(sentences) if c.strip() and c not in seen and not seen.add(c)]
        texts = [("train", t) for t in sentences] + [("clause", c) for c in clauses]
        meta = read_metadata(teacher)
        tokenizer = AutoTokenizer.from_pretrained(str(teacher))
        model = AutoModelForSequenceClassification.from_pretrained(str(teacher), dtype=torch.float32)
        logits = predict_logits(model, tokenizer, [t for _, t in texts], int(meta["max_length"]), pooling=pooling_of(meta))
        items += [(kind, t, [round(float(v), 5) for v in z], meta["temperature"]) for (kind, t), z in zip(texts, logits)]
        print(f"fold {k}: {len(texts)} texts scored", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for kind, text, z, temperature in items:
            f.write(json.dumps({"kind": kind, "text": text, "logits": z, "temperature": temperature}) + "\n")
    print(f"wrote {args.out}: {len(items)} texts")


if __name__ == "__main__":
    main()
