"""Run a teacher model over the texts a student will learn from, for distillation.

    python training/train.py --base DIR/all-mpnet-base-v2 --out build/teacher-mpnet --epochs 2 --lr 3e-5
    python training/teacher_logits.py build/teacher-mpnet --out build/teacher_logits.jsonl
    python training/train.py --teacher build/teacher_logits.jsonl --out build/student

The texts are (1) every train-split sentence, (2) the clauses of train sentences that name two
or more states (what pair-aware scoring feeds the model, and which no label covers) and (3)
sentences of synthetic stories (``--synthetic N`` stories, train-only text by SOURCES.md) and (4)
with ``--augment N``, N perturbed copies of every real-article and AG lead train sentence (words
dropped, neighbours swapped, or a clause cropped: ``perturb``), the in-domain transfer set that
TinyBERT-style distillation relies on (Jiao et al. 2020). Only
train-split text is read: dev and test sentences never reach the student, not even unlabelled.
The output holds the teacher's raw logits and its temperature, one JSON object per line; these
are a model's outputs for distillation, never stored or used as team labels.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stance.actors import find_actors  # noqa: E402
from stance.model_dir import read_metadata  # noqa: E402
from stance.pooling import pooling_of  # noqa: E402
from stance.segment import Span, split_sentences  # noqa: E402
from training.data import synthetic_stories  # noqa: E402
from training.train import predict_logits  # noqa: E402


def clause_texts(sentences: list[str]) -> list[str]:
    """The clauses the scorer's own cut (``_cuts``) gives each sentence read alone: states found by
    ``find_actors`` without the article's context, so "the North" in a Korea story is not counted
    here; none for sentences naming fewer than two states."""
    from stance.scorer import _cuts

    out = []
    for s in sentences:
        for a, b in _cuts(Span(s, 0, len(s)), find_actors(s)):
            out.append(s[a:b])
    return out


def synthetic_sentences(data: Path, n_stories: int) -> list[str]:
    """Sentences of ``n_stories`` synthetic stories, picked by a stable hash of the story id."""
    stories = sorted(synthetic_stories(data), key=lambda story: hashlib.sha256(story[0].encode()).hexdigest())
    return [span.text for _, text in stories[:n_stories] for span in split_sentences(text)]


# Each perturbation drops this share of words (at least one), swaps up to two neighbouring pairs,
# or crops the sentence at its first or last comma; the copies of a sentence use different ones.
DROP_SHARE = 0.15
PERTURBATIONS = ("drop", "swap", "crop")


def perturb(text: str, copy: int) -> str:
    """A near-copy of ``text`` for the teacher to label; stable for a given text and copy number.

    >>> perturb("Ties between Seoul and Tokyo, long frosty, warmed after the summit.", 2)
    'long frosty, warmed after the summit.'
    """
    import random

    rng = random.Random(hashlib.sha256(f"{copy}:{text}".encode()).hexdigest())
    words = text.split()
    kind = PERTURBATIONS[copy % len(PERTURBATIONS)]
    if kind == "crop" and text.count(",") >= 1:
        first, last = text.index(","), text.rindex(",")
        cropped = text[first + 1:].strip() if rng.random() < 0.5 else text[:last + 1].strip()
        return cropped if len(cropped.split()) >= 3 else text  # no bare fragments like ","
    if kind == "swap" and len(words) >= 4:
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words)
    if len(words) >= 4:
        drop = set(rng.sample(range(len(words)), max(1, round(DROP_SHARE * len(words)))))
        return " ".join(w for i, w in enumerate(words) if i not in drop)
    return text


def teacher_rows(teacher: Path, items: list[tuple[str, str]]) -> list[dict]:
    """The teacher's raw logits and temperature for each (kind, text), in the file's row format."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    meta = read_metadata(teacher)
    tokenizer = AutoTokenizer.from_pretrained(str(teacher))
    model = AutoModelForSequenceClassification.from_pretrained(str(teacher), dtype=torch.float32)
    logits = predict_logits(model, tokenizer, [t for _, t in items], int(meta["max_length"]), pooling=pooling_of(meta))
    return [{"kind": kind, "text": text, "logits": [round(float(v), 5) for v in z], "temperature": meta["temperature"]}
            for (kind, text), z in zip(items, logits)]


def write_teacher_file(path: Path, rows: list[dict]) -> None:
    """One JSON object per line, as ``train.py --teacher`` reads them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("teacher", type=Path, help="a model directory written by train.py")
    ap.add_argument("--dataset", type=Path, default=Path("build/dataset"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--synthetic", type=int, default=400, help="synthetic stories whose sentences to add (0: none)")
    ap.add_argument("--augment", type=int, default=0,
                    help="perturbed copies of each real-article and lead train sentence to add (0: none)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)

    from datasets import load_from_disk

    if args.out.exists() and not args.force:
        raise SystemExit(f"error: {args.out} exists; pass --force to overwrite")
    read_metadata(args.teacher)  # fail before the texts are gathered, not after
    rows = list(load_from_disk(str(args.dataset))["train"])
    train = [r["text"] for r in rows]
    in_domain = [r["text"] for r in rows if r["kind"] in ("article", "lead")]
    groups = {"train": train, "clause": clause_texts(train), "synthetic": synthetic_sentences(args.data, args.synthetic),
              "augmented": [perturb(t, k) for k in range(args.augment) for t in in_domain]}
    seen: set[str] = set()
    items = []
    for kind, texts in groups.items():
        for t in texts:
            if t.strip() and t not in seen:
                seen.add(t)
                items.append((kind, t))
    print({k: sum(1 for kk, _ in items if kk == k) for k in groups}, flush=True)

    t0 = time.time()
    rows = teacher_rows(args.teacher, items)
    print(f"{len(items)} texts in {time.time() - t0:.0f}s", flush=True)
    write_teacher_file(args.out, rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
