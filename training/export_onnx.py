"""Export a stance model directory to ONNX (model.onnx beside the safetensors).

    python training/export_onnx.py models/stance-minilm [--check build/dataset]

fp32 arithmetic with the weights stored in fp16 (45 MB). With --check, reports label
agreement and the largest probability difference against the torch backend on the test
split (targets: >= 99 % agreement, <= 0.03 max difference).

Why not int8 (measured on the v2 test split, 1,241 sentences, and 2,000 VOA sentences for
speed, 2 threads, one run, on an AVX2 AMD EPYC without VNNI):
- dynamic int8 (``quantize_dynamic``, per-channel weights): 1.5x the fp32 speed, but 96.6 %
  agreement and max difference 0.32 — and its activation scale is taken over the whole
  batch, so a sentence's score changes with the sentences batched beside it;
- weight-only 8-bit (``MatMulNBits``, int8 compute, layers 0-1 kept fp32): 99.5 % / 0.027
  and batch-independent, but 0.7x the fp32 speed on this CPU;
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from stance.backends import ONNX_FILE  # noqa: E402
from stance.model_dir import read_metadata  # noqa: E402


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


def export(model_dir: Path) -> Path:
    import onnx
    import torch
    from transformers import AutoModelForSequenceClassification

    read_metadata(model_dir)
    # Eager attention, and a dummy batch with padding: with an all-ones mask the tracer may
    # drop the mask from the graph, and padded batches would then score differently.
    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_dir), dtype=torch.float32, attn_implementation="eager").eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 9:] = 0
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.onnx"
        torch.onnx.export(
            model, (ids, mask), str(fp32), input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                          "logits": {0: "batch"}},
            opset_version=17, dynamo=False)
        graph = onnx.load(str(fp32))
    _store_fp16(graph)
    out = model_dir / ONNX_FILE
    onnx.save(graph, str(out))
    return out


def parity(model_dir: Path, dataset: Path) -> dict:
    import stance
    from datasets import load_from_disk

    texts = list(load_from_disk(str(dataset))["test"]["text"])
    a = stance.load(model_dir, backend="torch").predict_proba(texts)
    b = stance.load(model_dir, backend="onnx").predict_proba(texts)
    return {"n": len(texts), "label_agreement": float((a.argmax(1) == b.argmax(1)).mean()),
            "max_prob_diff": float(np.abs(a - b).max()), "mean_prob_diff": float(np.abs(a - b).mean())}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--check", type=Path, metavar="DATASET", help="report parity on this dataset's test split")
    args = ap.parse_args(argv)
    out = export(args.model)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    if args.check:
        print(parity(args.model, args.check))


if __name__ == "__main__":
    main()
