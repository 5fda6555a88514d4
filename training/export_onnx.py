"""Export a stance model directory to ONNX (model.onnx beside the safetensors; --int8 adds model.int8.onnx).

    python training/export_onnx.py models/stance-minilm [--int8] [--check]
    python training/export_onnx.py models/stance-minilm --vnni-only   # just model.int8-vnni.onnx
    python training/export_onnx.py models/stance-minilm --check-only  # parity of the exports there, nothing written

model.onnx: fp32 arithmetic with the weights stored in fp16 (45 MB). model.int8.onnx: int8
MatMuls with per-row activation scales and SmoothQuant, calibrated on training sentences of
--dataset (see ``training/quantize_int8.py``); its check sentences and their torch logits go
into stance.json so that loading can refuse it on a CPU where it misbehaves. With --check,
reports label agreement and the largest probability difference against the torch backend on
the test split (targets: >= 99 % agreement, <= 0.03 max difference).

Earlier int8 attempts (measured on the v2 test split, 1,241 sentences, and 2,000 VOA sentences for
speed, 2 threads, one run, on the project's 2-core AMD EPYC; that
session's notes said AVX2 without VNNI, the machine of 2026-12-03 lists AVX-512 VNNI):
- dynamic int8 (``quantize_dynamic``, per-channel weights): 1.5x the fp32 speed, but 96.6 %
  agreement and max difference 0.32 — and its activation scale is taken over the whole
  batch, so a sentence's score changes with the sentences batched beside it;
- weight-only 8-bit (``MatMulNBits``, int8 compute, layers 0-1 kept fp32): 99.5 % / 0.027
  and batch-independent, but 0.7x the fp32 speed on this CPU. Again on the AVX-512 VNNI machine
  (2026-12-03, v3 test split, ``python training/int8_variants.py models/stance-minilm``; bits 8,
  block 32, symmetric, accuracy level 4; it needs ``onnx-ir``): all layers 99.27 % / 0.059,
  layer 0 kept fp32 99.68 % / 0.036, both 0.62x the speed of model.int8.onnx in the same run;
- fp32 with fp16 storage (this file): 100 % / 1.5e-6, same speed as plain fp32;
- static int8 (v3 model, 2026-12-02, a one-off script not kept: ``quantize_static``, QOperator,
  per-channel int8 weights, uint8 activations calibrated by MinMax on 320 train sentences, only
  the 36 MatMuls with a weight input): batch-independent (fixed scales) and 1.4-1.65x the fp32
  speed, but 90.7 % agreement and max difference 0.68 on the test split: further from parity
  than dynamic int8. ORT's transformer fusions (Attention, SkipLayerNorm, BiasGelu) gave no
  measurable gain over ORT_ENABLE_ALL on this CPU either.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))
from stance.backends import INT8_FILE, INT8_VNNI_FILE, ONNX_FILE  # noqa: E402
from stance.model_dir import read_metadata, replacing, write_metadata  # noqa: E402

# Training sentences that set the int8 activation ranges (512 and 256 measured the same).
CALIBRATION_SENTENCES = 512
# Sentences whose torch logits are stored for the load-time int8 self-check (16 let a graph
# that saturated on an AVX2 CPU pass: 0.041 max difference there, 0.158 on the test split).
CHECK_SENTENCES = 64


def _store_fp16(model, min_size: int = 1024) -> None:
    """Store the large fp32 weights in fp16, each followed by a Cast back to fp32.

    ONNX Runtime folds the Casts when the session is created, so the arithmetic is fp32; the
    file is half the size. The shipped safetensors are fp16 already, so no value changes.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    casts = []
    for init in model.graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_size:
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), name + "_fp16"))
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT, name=name + "_cast"))
    nodes = casts + list(model.graph.node)
    model.graph.ClearField("node")
    model.graph.node.extend(nodes)
    onnx.checker.check_model(model)


def _export_fp32(model_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification

    # Eager attention, and a dummy batch with padding: with an all-ones mask the tracer may
    # drop the mask from the graph, and padded batches would then score differently.
    from stance.pooling import pooling_of, sentence_logits

    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_dir), dtype=torch.float32, attn_implementation="eager").eval()
    pooling = pooling_of(read_metadata(model_dir))

    class Scored(torch.nn.Module):  # the model's own pooling inside the graph
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return sentence_logits(self.model, input_ids, attention_mask, pooling)

    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 9:] = 0
    torch.onnx.export(
        model if pooling == "cls" else Scored().eval(), (ids, mask), str(out),
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                      "logits": {0: "batch"}},
        opset_version=17, dynamo=False)


def export(model_dir: Path, *, int8: bool = False, dataset: Optional[Path] = None) -> list[Path]:
    """Write model.onnx (and with ``int8``, model.int8.onnx plus its check into stance.json)."""
    import onnx

    meta = read_metadata(model_dir)
    if int8 and dataset is None:
        raise ValueError("--int8 needs --dataset (its train split calibrates the activation ranges)")
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.onnx"
        _export_fp32(model_dir, fp32)
        graph = onnx.load(str(fp32))
        _store_fp16(graph)
        with replacing(model_dir / ONNX_FILE) as tmp:
            onnx.save(graph, str(tmp))
        written.append(model_dir / ONNX_FILE)
        if int8:
            meta["onnx_int8"] = _export_int8(model_dir, meta, fp32, dataset)
            written.append(model_dir / INT8_FILE)
            (model_dir / INT8_VNNI_FILE).unlink(missing_ok=True)
            if meta["onnx_int8"]["weights"] == "uint8":  # an int8-weight graph needs no view
                meta["onnx_int8"]["vnni"] = write_vnni_view(model_dir)
                written.append(model_dir / INT8_VNNI_FILE)
        else:  # an int8 graph left from other weights must not outlive them
            (model_dir / INT8_FILE).unlink(missing_ok=True)
            (model_dir / INT8_VNNI_FILE).unlink(missing_ok=True)
            meta.pop("onnx_int8", None)
        write_metadata(model_dir, meta)
    return written


def _export_int8(model_dir: Path, meta: dict, fp32: Path, dataset: Path, fp32_layers: Optional[tuple[int, ...]] = None,
                 unsigned_weights: bool = True) -> dict:
    import onnx
    import stance
    from datasets import load_from_disk
    from stance.backends import _encode, _tokenizer

    from quantize_int8 import ALPHA, FFN_GROUPS, FP32_LAYERS, calibrate, encode_batches, quantise

    train = load_from_disk(str(dataset))["train"]
    rng = np.random.default_rng(0)
    calib = [train[int(i)]["text"] for i in rng.choice(len(train), CALIBRATION_SENTENCES, replace=False)]
    # The check sentences are stored in stance.json, so only public-domain text (VOA) qualifies.
    voa = [r["text"] for r in train if r["source"] == "voa_team"]
    check = [voa[int(i)] for i in rng.choice(len(voa), CHECK_SENTENCES, replace=False)]
    tok = _tokenizer(model_dir, int(meta["max_length"]))
    peak = calibrate(str(fp32), encode_batches(lambda t: _encode(tok, t), calib))
    graph = onnx.load(str(fp32))
    n = quantise(graph, peak, fp32_layers=FP32_LAYERS if fp32_layers is None else fp32_layers,
                 unsigned_weights=unsigned_weights)
    _store_fp16(graph, min_size=100_000)  # the embeddings; int8 weights and their scales stay as they are
    with replacing(model_dir / INT8_FILE) as tmp:
        onnx.save(graph, str(tmp))
    torch_logits = stance.load(model_dir, backend="torch").backend.logits(check)
    return {"file": INT8_FILE, "matmuls_int8": n, "alpha": ALPHA, "ffn_groups": FFN_GROUPS,
            "weights": "uint8" if unsigned_weights else "int8",
            "calibration_sentences": CALIBRATION_SENTENCES, "texts": check,
            "torch_logits": [[round(float(v), 6) for v in row] for row in torch_logits]}


def write_vnni_view(model_dir: Path) -> dict:
    """model.int8-vnni.onnx: model.int8.onnx's weights seen as int8, for CPUs with VNNI (no new weights)."""
    from quantize_int8 import signed_view

    return signed_view(model_dir / INT8_FILE, model_dir / INT8_VNNI_FILE)


def parity(model_dir: Path, dataset: Path, backend: str = "onnx-int8", graph: Optional[str] = None,
           split: str = "test") -> dict:
    """Label agreement and probability differences of ``backend`` against torch on one split (test: the
    number reported; dev: for choosing between variants without reading test).

    ``graph`` runs that ONNX file of the model directory instead, whatever the CPU would choose
    and with no self-check (to compare the uint8 graph with the VNNI view on a VNNI CPU).
    """
    import stance
    from datasets import load_from_disk
    from stance.backends import OnnxBackend

    texts = list(load_from_disk(str(dataset))[split]["text"])
    a = stance.load(model_dir, backend="torch").predict_proba(texts)
    if graph is None:
        scorer = stance.load(model_dir, backend=backend)
    else:
        meta = read_metadata(model_dir)
        scorer = stance.Scorer(OnnxBackend(model_dir, meta, file=graph), meta, model_dir)
    b = scorer.predict_proba(texts)
    alone = np.concatenate([scorer.predict_proba([t]) for t in texts[:200]])
    return {"backend": f"{scorer.backend.name} ({scorer.backend.precision})", "graph": scorer.backend.file,
            "split": split, "n": len(texts), "label_agreement": round(float((a.argmax(1) == b.argmax(1)).mean()), 4),
            "max_prob_diff": round(float(np.abs(a - b).max()), 4), "mean_prob_diff": round(float(np.abs(a - b).mean()), 5),
            "batch_vs_alone_max_diff": float(np.abs(alone - b[:200]).max()), "probs": b}


def report_parity(model_dir: Path, dataset: Path, int8: bool, split: str = "test") -> None:
    """Print parity of each graph this CPU runs: fp32, the int8 graph loading chooses, and on a
    CPU with VNNI the uint8 graph too, with how far the two int8 graphs are apart."""
    from stance.cpu import has_vnni

    runs = [parity(model_dir, dataset, "onnx-fp32", split=split)]
    if int8:
        runs.append(parity(model_dir, dataset, "onnx-int8", split=split))
        if runs[-1]["graph"] != INT8_FILE and has_vnni():
            runs.append(parity(model_dir, dataset, graph=INT8_FILE, split=split))
    for r in runs:
        print({k: v for k, v in r.items() if k != "probs"})
    if len(runs) == 3:
        print(f"{runs[1]['graph']} vs {runs[2]['graph']}: max probability difference "
              f"{float(np.abs(runs[1]['probs'] - runs[2]['probs']).max()):.2g}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--int8", action="store_true", help="also write model.int8.onnx")
    ap.add_argument("--dataset", type=Path, default=ROOT / "build" / "dataset")
    ap.add_argument("--check", action="store_true", help="report parity against torch on --dataset's test split")
    ap.add_argument("--split", choices=("test", "dev"), default="test",
                    help="split --check and --check-only read (dev: to choose between variants without reading test)")
    ap.add_argument("--check-only", action="store_true",
                    help="report parity of the exports already in the model directory, writing nothing")
    ap.add_argument("--vnni-only", action="store_true",
                    help=f"only (re)write {INT8_VNNI_FILE} from the model's existing {INT8_FILE}")
    args = ap.parse_args(argv)
    if args.vnni_only:
        meta = read_metadata(args.model)
        if "onnx_int8" not in meta or not (args.model / INT8_FILE).is_file():
            sys.exit(f"{args.model} has no int8 export to view; run `python training/export_onnx.py {args.model} --int8`")
        if meta["onnx_int8"].get("weights") != "uint8":
            sys.exit(f"{args.model / INT8_FILE} stores {meta['onnx_int8'].get('weights')!r} weights, not uint8: it needs "
                     f"no view; re-export with `python training/export_onnx.py {args.model} --int8` for uint8 ones")
        meta["onnx_int8"]["vnni"] = write_vnni_view(args.model)
        write_metadata(args.model, meta)
        print(f"wrote {args.model / INT8_VNNI_FILE} ({(args.model / INT8_VNNI_FILE).stat().st_size / 1e6:.2f} MB)")
        return
    if args.check_only:
        report_parity(args.model, args.dataset, int8=(args.model / INT8_FILE).is_file(), split=args.split)
        return
    for out in export(args.model, int8=args.int8, dataset=args.dataset):
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    if args.check:
        report_parity(args.model, args.dataset, int8=args.int8, split=args.split)


if __name__ == "__main__":
    main()
