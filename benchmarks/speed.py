"""Speed on a plain CPU: stance end to end against a plain transformers pipeline and a dictionary coder.

    python benchmarks/speed.py [--threads 2] [--repeat 2] [--data ../shared/data] [--max-batch-chars N]
    python benchmarks/speed.py --model build/teacher-mpnet --only stance-torch   # another model directory

One run, the same articles for every contender: the two seed articles and the Voice of America
stories in the data. Each contender runs in a fresh subprocess, so load time and peak RSS are
its own. Rows:

- stance ONNX int8 / ONNX fp32 / torch: end to end (segmentation, countries, model, roll-up) through
  ``Scorer.pipe``; sentences are the ones stance's segmenter finds.
- stance ONNX int8 / fp32 (model only): ``Scorer.predict_proba`` on the segmented sentences,
  the model's share of the work (no clauses, countries or roll-up).
- stance ONNX int8, uint8 / VNNI graph: end to end on that int8 graph whatever this CPU would
  choose, with no self-check (the VNNI graph is faster but saturates on CPUs without VNNI: a
  speed row there, not a usable one). The default row says which graph it chose.
- stance ONNX int8, one batch at a time: end to end as above, but with the ONNX scheduling used
  before 2026-12-03 (each batch spread over all threads instead of one batch per thread at once;
  the same batches, batch cap included).
- transformers pipeline: ``pipeline("text-classification")`` on the same fine-tuned model,
  classification only, fed the same sentences; once with its default (one sentence per call)
  and once with ``batch_size=64``.
- dictionary: the Goldstein/CAMEO verb coder from ``training/evaluate.py`` on the same sentences.

Throughput is the best of ``--repeat`` timed passes after one warm-up pass. Ratios are to the
default transformers pipeline measured in the same run (the machine is shared: compare ratios).
Targets (issue #7): stance end to end >= 3x the pipeline, >= 300 sentences/s, import + load < 2 s,
peak RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "stance-minilm"


def load_articles(data: Path) -> list[dict]:
    arts = [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted((data / "seeds").glob("*.txt"))]
    with open(data / "unlabelled" / "voa_stories.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            arts.append({"id": str(r["id"]), "title": r.get("title"), "text": r["text"], "date": r.get("published")})
    return arts


def _sentences(data: Path) -> list[str]:
    """The sentences stance's segmenter finds, fed to the classification-only contenders."""
    from stance import split_sentences

    return [s.text for a in load_articles(data) for s in split_sentences(a["text"])]


def _timed(fn, repeat: int) -> float:
    fn()  # warm-up: first calls allocate arenas and fill caches
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _one_batch_at_a_time(backend, model: Path, threads: int) -> None:
    """Switch an ONNX int8 backend to the earlier scheduling: one run at a time, on all threads."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    backend.session = ort.InferenceSession(str(model / backend.file), opts, providers=["CPUExecutionProvider"])
    backend.workers = 1


# Contenders that run one int8 graph whatever the CPU would choose (no self-check).
FORCED_GRAPHS = {"stance-onnx-uint8": "INT8_FILE", "stance-onnx-vnni": "INT8_VNNI_FILE"}


def worker(kind: str, data: Path, threads: int, repeat: int, max_batch_chars: int | None = None,
           model: Path = MODEL) -> dict:
    """Runs in the child process: load, then time one contender. Returns its row."""
    # Import + load is timed from the child's first line for every contender: what a user waits
    # for before the first result, minus interpreter start-up.
    t0 = time.perf_counter()
    if kind.startswith(("stance", "model")):
        import stance
        import stance.scorer

        if max_batch_chars:  # to measure the batch cap (stance.scorer.MAX_BATCH_CHARS) against others
            stance.scorer.MAX_BATCH_CHARS = max_batch_chars
        if kind in FORCED_GRAPHS:
            import stance.backends as sb
            from stance.model_dir import read_metadata

            meta = read_metadata(model)
            scorer = stance.Scorer(sb.OnnxBackend(model, meta, threads, file=getattr(sb, FORCED_GRAPHS[kind])), meta, model)
        else:
            scorer = stance.load(model, backend=kind.split("-", 1)[1].removesuffix("-serial"), threads=threads)
        load_s = time.perf_counter() - t0
        if kind.endswith("-serial"):
            _one_batch_at_a_time(scorer.backend, model, threads)
        arts, sents = load_articles(data), _sentences(data)
        n_sent = len(sents)
        if kind.startswith("stance"):
            run = lambda: list(scorer.pipe(arts))  # noqa: E731
        else:
            run = lambda: scorer.predict_proba(sents)  # noqa: E731
    elif kind.startswith("pipeline"):
        import torch
        from transformers import pipeline

        torch.set_num_threads(threads)
        # fp32 as stance's torch backend: the shipped weights are fp16, and transformers would
        # otherwise keep them in fp16, which runs about 30x slower on a CPU.
        clf = pipeline("text-classification", model=str(model), device="cpu", dtype=torch.float32)
        load_s = time.perf_counter() - t0
        kwargs = {"batch_size": 64} if kind == "pipeline-batched" else {}
        sents = _sentences(data)
        n_sent, arts = len(sents), load_articles(data)
        run = lambda: clf(sents, truncation=True, **kwargs)  # noqa: E731
    elif kind == "dictionary":
        sys.path.insert(0, str(ROOT / "training"))
        from evaluate import GoldsteinCoder

        coder = GoldsteinCoder(data / "lexicons")
        load_s = time.perf_counter() - t0
        sents = _sentences(data)
        n_sent, arts = len(sents), load_articles(data)
        run = lambda: coder.predict(sents)  # noqa: E731
    else:
        raise ValueError(f"unknown contender {kind!r}")
    secs = _timed(run, repeat)
    graph = getattr(scorer.backend, "file", "torch") if kind.startswith(("stance", "model")) else "-"
    return {"kind": kind, "sentences": n_sent, "articles": len(arts), "seconds": secs,
            "load_s": load_s, "peak_rss_mb": _peak_rss_mb(), "graph": graph}


CONTENDERS = {
    "stance-onnx": "stance ONNX int8 (end to end)",
    "stance-onnx-uint8": "stance ONNX int8, uint8 graph (end to end)",
    "stance-onnx-vnni": "stance ONNX int8, VNNI graph (end to end)",
    "stance-onnx-serial": "stance ONNX int8 (end to end, one batch at a time)",
    "stance-onnx-fp32": "stance ONNX fp32 (end to end)",
    "stance-torch": "stance torch fp32 (end to end)",
    "model-onnx": "stance ONNX int8 (model only)",
    "model-onnx-fp32": "stance ONNX fp32 (model only)",
    "pipeline": "transformers pipeline (default)",
    "pipeline-batched": "transformers pipeline (batch 64)",
    "dictionary": "Goldstein dictionary coder",
}
BASELINE = "pipeline"


def run_child(kind: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--threads", str(args.threads), "--repeat", str(args.repeat),
           "--data", str(args.data), "--model", str(args.model)] + (["--max-batch-chars", str(args.max_batch_chars)] if args.max_batch_chars else [])
    # The child's own clock: import + load is timed from its first line, plus interpreter start.
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    if out.returncode:
        raise RuntimeError(f"{kind} failed:\n{out.stderr[-2000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - t0
    return row


def table(rows: list[dict]) -> str:
    base = next(r for r in rows if r["kind"] == BASELINE)
    base_sps = base["sentences"] / base["seconds"]
    lines = ["| contender | graph | sentences/s | articles/s | × pipeline | import + load (s) | peak RSS (MB) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        sps = r["sentences"] / r["seconds"]
        lines.append(f"| {CONTENDERS[r['kind']]} | {r['graph']} | {sps:,.0f} | {r['articles'] / r['seconds']:.1f} | "
                     f"{sps / base_sps:.1f}× | {r['load_s']:.2f} | {r['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--only", nargs="+", choices=list(CONTENDERS), help="run only these contenders")
    ap.add_argument("--max-batch-chars", type=int, default=None,
                    help="stance rows: cap batches at this many characters instead of stance's own cap")
    ap.add_argument("--model", type=Path, default=MODEL, help="the model directory (default: the shipped model)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.data, args.threads, args.repeat, args.max_batch_chars, args.model)))
        return
    from stance.cpu import has_vnni

    kinds = args.only or list(CONTENDERS)
    if BASELINE not in kinds:
        kinds.append(BASELINE)
    rows = [run_child(k, args) for k in kinds]
    n = rows[0]
    cap = f"batches capped at {args.max_batch_chars} characters" if args.max_batch_chars else "stance's batch cap"
    print(f"model {args.model}; {n['articles']} articles, {n['sentences']} sentences; {args.threads} threads; "
          f"best of {args.repeat} after a warm-up; {cap}; {os.cpu_count()} CPUs seen; "
          f"VNNI: {'yes' if has_vnni() else 'no'}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
