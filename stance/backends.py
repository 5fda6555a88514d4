"""Inference backends: ONNX Runtime (int8 or fp32) and PyTorch (fp32). All take texts, return logits.

Tokenisation uses the fast ``tokenizers`` library directly, so the ONNX path needs neither
torch nor transformers. ``onnx`` runs the int8 export (``model.int8.onnx``) when the model
ships one and it passes a self-check on this CPU, else the fp32 export with a warning;
``onnx-int8`` runs the int8 export or fails; ``onnx-fp32`` always runs the fp32 export, which
matches torch to 1e-4. The int8 export's weights are stored as uint8 (exact on every CPU); on a
CPU with VNNI the int8 backends run ``model.int8-vnni.onnx`` instead, the same weights seen as
int8, which takes ONNX Runtime's faster VNNI kernel (``stance.cpu``); if it fails its
self-check there, the uint8 graph is tried next.

Threads: torch spreads each batch over its ``threads``; ONNX Runtime instead runs ``threads``
batches at once, one thread each (``logits_many``). On 2 cores that scored more sentences per
second than one batch at a time on two threads (see ``benchmarks/speed.py``): an int8 graph is
many small operators, and every one of them would wait for both threads to finish.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional, Protocol, Sequence

import numpy as np

from .cpu import has_vnni
from .model_dir import ModelDirError
from .pooling import pooling_of, sentence_logits

__all__ = ["Backend", "load_backend", "ONNX_FILE", "INT8_FILE", "INT8_VNNI_FILE", "BACKENDS", "Int8Refused"]

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
# The int8 graph's weights seen as int8 (read from INT8_FILE itself: training/quantize_int8.py, signed_view).
INT8_VNNI_FILE = "model.int8-vnni.onnx"
BACKENDS = ("auto", "onnx", "onnx-int8", "onnx-fp32", "torch")
# Largest and mean probability difference from the torch model allowed on the 64 check
# sentences stored in the metadata before the int8 graph is refused. The shipped graph differs
# there by 0.008 at most and 0.0007 on average (the whole test split: 0.093 at most). An earlier
# int8 x uint8 graph that saturated int16 sums on a CPU without VNNI (0.158 on the test split)
# gave 0.020 / 0.0019: the mean, not the maximum, is what tells such a graph apart; a graph
# left from other weights would be far off on both.
INT8_CHECK_TOLERANCE = 0.05
INT8_CHECK_MEAN_TOLERANCE = 0.0015


class Backend(Protocol):
    name: str
    precision: str
    # How many batches logits_many runs at once (scorers split short calls to fill them).
    workers: int

    def logits(self, texts: Sequence[str]) -> np.ndarray: ...

    def logits_many(self, batches: Sequence[Sequence[str]]) -> list[np.ndarray]: ...


def _tokenizer(path: Path, max_length: int):
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises a bare Exception for a damaged file
        raise ModelDirError(f"{path / 'tokenizer.json'} could not be read as a tokenizer: {exc}") from exc
    tok.enable_truncation(max_length=max_length)
    pad_id = tok.token_to_id("[PAD]")
    tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")
    return tok


def _encode(tok, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    enc = tok.encode_batch(list(texts))
    ids = np.asarray([e.ids for e in enc], dtype=np.int64)
    mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
    return ids, mask


class TorchBackend:
    name = "torch"
    precision = "fp32"
    workers = 1  # torch already spreads one batch over its threads

    def __init__(self, path: Path, meta: dict[str, Any], threads: Optional[int] = None):
        try:
            import torch
            from transformers import AutoModelForSequenceClassification
        except ImportError as exc:
            raise ImportError("the torch backend needs torch and transformers: pip install 'stance[torch]'") from exc
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self.pooling = pooling_of(meta)
        from transformers.utils import logging as hf_logging

        # transformers draws a "Loading weights" bar on every load: not ours to show, and noise in
        # a batch log. Its setting is global, so it is put back as it was.
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self.model = AutoModelForSequenceClassification.from_pretrained(str(path), dtype=torch.float32).eval()
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        self.tok = _tokenizer(path, int(meta["max_length"]))

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        ids, mask = _encode(self.tok, texts)
        with self._torch.inference_mode():
            out = sentence_logits(self.model, self._torch.from_numpy(ids), self._torch.from_numpy(mask), self.pooling)
        return out.float().numpy()

    def logits_many(self, batches: Sequence[Sequence[str]]) -> list[np.ndarray]:
        return [self.logits(b) for b in batches]


class OnnxBackend:
    """One ONNX Runtime session on ``file`` of the model directory; ``name`` is the ``backend=``
    value that loads the same kind of graph."""

    def __init__(self, path: Path, meta: dict[str, Any], threads: Optional[int] = None, *, file: str = ONNX_FILE):
        import onnxruntime as ort

        # name: the strict backend= value, so Ray workers load an int8 graph too (no fp32 fallback).
        self.name, self.precision = ("onnx-fp32", "fp32") if file == ONNX_FILE else ("onnx-int8", "int8")
        self.file = file

        self.workers = threads or _usable_cpus()
        opts = ort.SessionOptions()
        # One thread per run; logits_many runs `workers` batches at once (module docstring).
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Batch shapes vary, so a memory pattern planned for one shape is not reused; without it
        # peak RSS fell 439 -> 401 MB (one-off run of predict_proba on benchmarks/speed.py's
        # sentences, no batch cap, 2026-12-03).
        opts.enable_mem_pattern = False
        try:
            self.session = ort.InferenceSession(str(path / file), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own errors (InvalidProtobuf, ...) name no remedy
            raise ModelDirError(f"{path / file} could not be loaded by ONNX Runtime: {exc}; re-export it with "
                                f"`python training/export_onnx.py {path}` or use backend='torch'") from exc
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tok = _tokenizer(path, int(meta["max_length"]))
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pool_pid = 0

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        ids, mask = _encode(self.tok, texts)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(None, feed)[0]

    def logits_many(self, batches: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Logits of each batch, in order; up to ``workers`` batches run at once (ONNX Runtime
        and the tokenizer release the GIL)."""
        if self.workers == 1 or len(batches) < 2:
            return [self.logits(b) for b in batches]
        # Threads start here, not at load, and again in a forked child (a fork keeps no threads).
        if self._pool is None or self._pool_pid != os.getpid():
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="stance-onnx")
            self._pool_pid = os.getpid()
        return list(self._pool.map(self.logits, batches))


def _usable_cpus() -> int:
    """CPUs this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Calibrated probabilities from logits, row by row (float64, max-shifted)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def int8_check(backend: Backend, meta: dict[str, Any]) -> tuple[float, float]:
    """Largest and mean probability difference from the torch reference on the metadata's check sentences."""
    check, t = meta["onnx_int8"], float(meta["temperature"])
    texts = check["texts"]
    # In a few batches, so that the ONNX backend's threads share them (load time).
    parts = [texts[i:i + 16] for i in range(0, len(texts), 16)]
    logits = np.concatenate(backend.logits_many(parts))
    diff = np.abs(softmax(logits, t) - softmax(check["torch_logits"], t))
    return float(diff.max()), float(diff.mean())


class Int8Refused(RuntimeError):
    """The int8 export is missing, fails to load, or fails its self-check on this CPU."""


def _load_int8(path: Path, meta: dict[str, Any], threads: Optional[int]) -> Backend:
    if not ((path / INT8_FILE).is_file() and "onnx_int8" in meta):
        raise Int8Refused(f"{path} has no int8 export ({INT8_FILE} and its check in the metadata); "
                          f"make one with `python training/export_onnx.py {path} --int8`")
    vnni = meta["onnx_int8"].get("vnni")
    if vnni and has_vnni() and (path / INT8_VNNI_FILE).is_file():
        try:
            _check_view(path, vnni)
            return _checked_int8(path, meta, threads, INT8_VNNI_FILE)
        except Int8Refused as exc:
            warnings.warn(f"{exc}; using {INT8_FILE} (uint8 weights) instead", RuntimeWarning, stacklevel=4)
    return _checked_int8(path, meta, threads, INT8_FILE)


def _check_view(path: Path, vnni: dict[str, Any]) -> None:
    """The VNNI graph reads its weights at byte offsets of INT8_FILE: only the file it was made from will do."""
    import hashlib

    host = path / INT8_FILE
    rewrite = f"rewrite it with `python training/export_onnx.py {path} --vnni-only`"
    try:
        size, want = int(vnni["of_bytes"]), str(vnni["of_sha256"])
        digest = hashlib.sha256()
        same_size = host.stat().st_size == size
        if same_size:  # hash only a file that could be the one
            with open(host, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    except (KeyError, TypeError, ValueError) as exc:
        raise Int8Refused(f"{path}/stance.json: onnx_int8.vnni lacks a valid of_bytes/of_sha256 ({exc}); {rewrite}") from exc
    except OSError as exc:
        raise Int8Refused(f"{host} could not be read to check {INT8_VNNI_FILE}: {exc}") from exc
    if not same_size or digest.hexdigest() != want:
        raise Int8Refused(f"{path / INT8_VNNI_FILE} does not match the {INT8_FILE} beside it (made from another "
                          f"one, or that file changed or is damaged); {rewrite}")


def _checked_int8(path: Path, meta: dict[str, Any], threads: Optional[int], file: str) -> Backend:
    try:
        int8 = OnnxBackend(path, meta, threads, file=file)
        worst, mean = int8_check(int8, meta)
    except Exception as exc:  # an onnxruntime without the com.microsoft ops, a damaged file
        raise Int8Refused(f"{path / file} could not run here: {exc}") from exc
    if worst > INT8_CHECK_TOLERANCE or mean > INT8_CHECK_MEAN_TOLERANCE:
        raise Int8Refused(f"{path / file} differs from the torch model by {worst:.3f} at most and {mean:.4f} "
                          f"on average in probability on its check sentences on this CPU (allowed "
                          f"{INT8_CHECK_TOLERANCE} and {INT8_CHECK_MEAN_TOLERANCE})")
    return int8


def load_backend(path: Path, meta: dict[str, Any], *, backend: str = "auto", threads: Optional[int] = None) -> Backend:
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads={threads!r}: give a whole number >= 1, or None for all the CPUs this process may use")
    onnx_ready = _has_onnxruntime() and ((path / ONNX_FILE).is_file() or (path / INT8_FILE).is_file())
    if backend == "onnx-int8":
        return _load_int8(path, meta, threads)
    if backend in ("onnx", "onnx-fp32") or (backend == "auto" and onnx_ready):
        if backend != "onnx-fp32" and (path / INT8_FILE).is_file():
            try:
                return _load_int8(path, meta, threads)
            except Int8Refused as exc:
                instead = ("using the fp32 export instead (backend='onnx-fp32' skips the int8 graph)"
                           if (path / ONNX_FILE).is_file() else f"and there is no {ONNX_FILE} to use instead")
                warnings.warn(f"{exc}; {instead}", RuntimeWarning, stacklevel=3)
        if (path / ONNX_FILE).is_file():
            return OnnxBackend(path, meta, threads)
        if backend != "auto":
            raise FileNotFoundError(
                f"{path / ONNX_FILE} not found; export it with `python training/export_onnx.py {path}` or use backend='torch'")
    try:
        return TorchBackend(path, meta, threads)
    except ImportError as exc:
        if backend != "auto":
            raise
        has_onnx = (path / ONNX_FILE).is_file() or (path / INT8_FILE).is_file()
        if has_onnx and not _has_onnxruntime():
            why = "onnxruntime is not installed (pip install onnxruntime)"
        elif (path / INT8_FILE).is_file():
            why = (f"its {INT8_FILE} was refused here (see the warning) and it has no {ONNX_FILE}: export one with "
                   f"`python training/export_onnx.py {path}`")
        else:
            why = f"it has no {ONNX_FILE} or {INT8_FILE}: export them with `python training/export_onnx.py {path} --int8`"
        raise ImportError(f"no backend can run {path}: {why}; or {exc}") from exc
