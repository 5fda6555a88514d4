"""Compare int8 variants of a model's ONNX export: parity with torch and speed, in one run.

    python training/int8_variants.py models/stance-minilm [--dataset build/dataset] [--split dev] [--only NAME ...]

Variants (the shipped one is the first):
- ``ours``: ``training/quantize_int8.py`` as shipped (per-row activation scales, SmoothQuant);
- ``ours, int8 weights``: the same with int8 instead of uint8 weights (the shipped graph until
  2026-12-03: faster with VNNI, saturates int16 sums without it);
- ``ours, layer 0 fp32``: the same with encoder layer 0 left in fp32;
- ``MatMulNBits 8-bit``: ONNX Runtime's weight-only 8-bit MatMul (block 32, symmetric, int8
  compute: ``accuracy_level`` 4), with no layer, layer 0, or layers 0 and 1 left in fp32. Needs
  ``onnx-ir`` (``pip install onnx-ir``).
Each prints label agreement and the largest probability difference against torch fp32 on the
split (test by default; ``--split dev`` to choose between variants without reading test; issue
#7: >= 99 % and <= 0.03), and sentences/s of the graph alone on that split's real-article
sentences (2 threads, best of 3, batches of 64), as a ratio to the first variant run.
The model directory is not changed: variants are written to a temporary copy.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))
from stance.backends import INT8_FILE  # noqa: E402


def nbits(fp32: Path, out: Path, fp32_layers: tuple[int, ...]) -> None:
    import onnx

    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer
    except ImportError as exc:
        raise SystemExit(f"error: MatMulNBits needs onnx-ir ({exc}); pip install onnx-ir") from exc
    from quantize_int8 import in_layers

    model = onnx.load(str(fp32))
    skip = [n.name for n in model.graph.node if n.op_type == "MatMul" and in_layers(n.name, fp32_layers)]
    cfg = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, accuracy_level=4, bits=8)
    q = MatMulNBitsQuantizer(model, algo_config=cfg, nodes_to_exclude=skip)
    q.process()
    q.model.save_model_to_file(str(out), use_external_data_format=False)


def speed(graph: Path, batches) -> float:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = 2, 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"])
    n = sum(len(ids) for ids, _ in batches)
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        for ids, mask in batches:
            sess.run(None, {"input_ids": ids, "attention_mask": mask})
        best = max(best, n / (time.perf_counter() - t))
    return best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--dataset", type=Path, default=ROOT / "build" / "dataset")
    ap.add_argument("--split", choices=("test", "dev"), default="test")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these variants (names as printed)")
    args = ap.parse_args(argv)

    from datasets import load_from_disk
    from export_onnx import _export_fp32, _export_int8, parity
    from stance.backends import _encode, _tokenizer
    from stance.model_dir import read_metadata

    meta = read_metadata(args.model)
    test = [r["text"] for r in load_from_disk(str(args.dataset))[args.split] if r["kind"] == "article"]
    tok = _tokenizer(args.model, int(meta["max_length"]))
    texts = sorted(test, key=len)
    batches = [_encode(tok, texts[i:i + 64]) for i in range(0, len(texts), 64)]
    with tempfile.TemporaryDirectory() as tmp:
        work, fp32 = Path(tmp) / "model", Path(tmp) / "fp32.onnx"
        shutil.copytree(args.model, work)
        _export_fp32(work, fp32)
        variants = {
            "ours": lambda out: _export_int8(work, meta, fp32, args.dataset),
            "ours, int8 weights": lambda out: _export_int8(work, meta, fp32, args.dataset, unsigned_weights=False),
            "ours, layer 0 fp32": lambda out: _export_int8(work, meta, fp32, args.dataset, fp32_layers=(0,)),
            "MatMulNBits 8-bit": lambda out: nbits(fp32, out, ()),
            "MatMulNBits 8-bit, layer 0 fp32": lambda out: nbits(fp32, out, (0,)),
            "MatMulNBits 8-bit, layers 0-1 fp32": lambda out: nbits(fp32, out, (0, 1)),
        }
        unknown = set(args.only or ()) - set(variants)
        if unknown:
            raise SystemExit(f"error: no variant {', '.join(sorted(unknown))}; variants: {'; '.join(variants)}")
        variants = {k: v for k, v in variants.items() if not args.only or k in args.only}
        rows, base = [], None
        for name, make in variants.items():
            make(work / INT8_FILE)
            p = parity(work, args.dataset, split=args.split)
            sps = speed(work / INT8_FILE, batches)
            base = base or sps
            rows.append((name, p["label_agreement"], p["max_prob_diff"], p["mean_prob_diff"], sps, sps / base))
    print(f"{len(texts)} real-article {args.split} sentences for speed; parity on the whole {args.split} split\n")
    print(f"| variant | label agreement | max prob. diff | mean prob. diff | sentences/s (graph) | x {rows[0][0]} |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, agree, mx, mean, sps, ratio in rows:
        print(f"| {name} | {agree:.4f} | {mx:.4f} | {mean:.5f} | {sps:.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
