"""Average the weights of several fine-tuned stance models (a "model soup", Wortsman et al. 2022).

    python training/soup.py models/stance-minilm build/student-a build/student-d --out build/soup

Models fine-tuned from the same base encoder with the same seed usually sit in one basin of the
loss, so their weight average often scores better than each of them at no cost in speed or size:
the soup is one model of the same shape. The ingredients must share architecture, labels, base
model and training data; the soup's temperature is refitted on the dev split, and its
``stance.json`` lists the ingredients and their training commands.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from stance.model_dir import LABELS, read_metadata, write_metadata  # noqa: E402
from stance.pooling import pooling_of  # noqa: E402
from train import fit_temperature, predict_logits  # noqa: E402

# Keys that must agree across ingredients: a soup of models trained on different data or read
# differently (pair marking, context) would be a model nobody trained.
_SAME = ("labels", "base_model", "data_hash", "max_length", "format_version", "pair_marking", "context",
         "base_layers_kept", "pooling")


def check_ingredients(metas: list[dict], paths: list[Path]) -> None:
    """Fail, naming the model and key, unless every ingredient agrees on what must be shared."""
    for key in _SAME:
        values = [m.get(key) for m in metas]
        if any(v != values[0] for v in values):
            shown = ", ".join(f"{p}: {v!r}" for p, v in zip(paths, values))
            raise SystemExit(f"error: the models disagree on {key} ({shown}); soup only models trained alike")


def average_state(states: list[dict[str, torch.Tensor]], weights: list[float]) -> dict[str, torch.Tensor]:
    """Weighted average of state dicts in fp32 (fp16 sums would lose precision)."""
    keys = set(states[0])
    for i, s in enumerate(states[1:], 1):
        if set(s) != keys:
            raise SystemExit(f"error: ingredient {i} has different parameters ({sorted(set(s) ^ keys)[:3]} …)")
    total = sum(weights)
    return {k: sum(w * s[k].float() for w, s in zip(weights, states)) / total for k in states[0]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--weights", type=float, nargs="+", default=None, help="one per model (default: equal)")
    ap.add_argument("--dataset", type=Path, default=Path("build/dataset"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--force", action="store_true", help="overwrite --out")
    args = ap.parse_args(argv)
    if len(args.models) < 2:
        raise SystemExit("error: a soup needs at least two models")
    weights = args.weights or [1.0] * len(args.models)
    if len(weights) != len(args.models):
        raise SystemExit(f"error: {len(weights)} weights for {len(args.models)} models")
    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        raise SystemExit(f"error: {args.out} exists; pass --force to overwrite")

    from datasets import load_from_disk
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    metas = [read_metadata(p) for p in args.models]
    check_ingredients(metas, args.models)
    if metas[0].get("context"):  # the dev texts below are the sentences alone
        raise SystemExit("error: soup.py fits the temperature on sentences read alone; it does not take context models yet")
    models = [AutoModelForSequenceClassification.from_pretrained(str(p), dtype=torch.float32) for p in args.models]
    soup = models[0]
    soup.load_state_dict(average_state([m.state_dict() for m in models], weights))
    soup.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(args.models[0]))

    ds = load_from_disk(str(args.dataset))
    if (args.dataset / "TRAIN_HASH").read_text().strip() != metas[0]["data_hash"]:
        raise SystemExit(f"error: {args.dataset} is not the data the models were trained on (hash {metas[0]['data_hash']})")
    label2id = {l: i for i, l in enumerate(LABELS)}
    dev_y = np.array([label2id[l] for l in ds["dev"]["label"]])
    temperature = fit_temperature(predict_logits(soup, tokenizer, list(ds["dev"]["text"]), metas[0]["max_length"],
                                                pooling=pooling_of(metas[0])), dev_y)
    print(f"temperature {temperature:.3f} (fit on {len(dev_y)} dev rows)")

    args.out.mkdir(parents=True, exist_ok=True)
    soup.half().save_pretrained(str(args.out), safe_serialization=True)
    tokenizer.save_pretrained(str(args.out))
    meta = {k: v for k, v in metas[0].items() if k in _SAME and v is not None}
    write_metadata(args.out, {
        **meta,
        "temperature": temperature,
        "train_command": "python training/soup.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
        "soup_of": [{"model": str(p), "weight": w, "train_command": m.get("train_command")}
                    for p, w, m in zip(args.models, weights, metas)],
        "train_rows": metas[0].get("train_rows"),
        "metrics": {},
    })
    print(f"saved to {args.out}")


if __name__ == "__main__":
    main()
