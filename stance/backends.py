"""Inference backends: PyTorch and ONNX Runtime, both fp32. Both take texts, return logits.

Tokenisation uses the fast ``tokenizers`` library directly, so the ONNX path needs neither
torch nor transformers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Protocol, Sequence

import numpy as np

__all__ = ["Backend", "load_backend", "ONNX_FILE", "BACKENDS"]

ONNX_FILE = "model.onnx"
BACKENDS = ("auto", "onnx", "torch")


class Backend(Protocol):
    name: str

    def logits(self, texts: Sequence[str]) -> np.ndarray: ...


def _tokenizer(path: Path, max_length: int):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path / "tokenizer.json"))
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

    def __init__(self, path: Path, meta: dict[str, Any], threads: Optional[int] = None):
        try:
            import torch
            from transformers import AutoModelForSequenceClassification
        except ImportError as exc:
            raise ImportError("the torch backend needs torch and transformers: pip install 'stance[torch]'") from exc
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self.model = AutoModelForSequenceClassification.from_pretrained(str(path), dtype=torch.float32).eval()
        self.tok = _tokenizer(path, int(meta["max_length"]))

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        ids, mask = _encode(self.tok, texts)
        with self._torch.inference_mode():
            out = self.model(input_ids=self._torch.from_numpy(ids), attention_mask=self._torch.from_numpy(mask))
        return out.logits.float().numpy()


class OnnxBackend:
    name = "onnx"

    def __init__(self, path: Path, meta: dict[str, Any], threads: Optional[int] = None):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path / ONNX_FILE), opts, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tok = _tokenizer(path, int(meta["max_length"]))

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        ids, mask = _encode(self.tok, texts)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(None, feed)[0]


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def load_backend(path: Path, meta: dict[str, Any], *, backend: str = "auto", threads: Optional[int] = None) -> Backend:
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    onnx_ready = (path / ONNX_FILE).is_file() and _has_onnxruntime()
    if backend == "onnx" or (backend == "auto" and onnx_ready):
        if not (path / ONNX_FILE).is_file():
            raise FileNotFoundError(
                f"{path / ONNX_FILE} not found; export it with `python training/export_onnx.py {path}` or use backend='torch'")
        return OnnxBackend(path, meta, threads)
    return TorchBackend(path, meta, threads)
