"""The stance model directory: a normal Hugging Face directory plus ``stance.json``.

``stance.json`` holds what the weights alone do not say: the label order, the format version,
the base model, the hash of the training data, the fitted temperature and the evaluation
metrics. Loading checks all of it and fails loudly rather than guessing.
"""

from __future__ import annotations

import json
import math
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .pooling import pooling_of

__all__ = ["FORMAT_VERSION", "LABELS", "ModelDirError", "read_metadata", "write_metadata", "default_model_path",
           "replacing"]

FORMAT_VERSION = 1
LABELS = ("warming", "cooling", "neutral")
METADATA_FILE = "stance.json"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")
_REQUIRED_KEYS = ("format_version", "labels", "base_model", "data_hash", "temperature", "max_length")


class ModelDirError(ValueError):
    """The model directory is missing, incomplete or not a stance model."""


SHIPPED_MODEL = "stance-minilm"


def default_model_path() -> Path:
    """The shipped model: inside an installed wheel (``stance/_model``), else the checkout's ``models/``."""
    here = Path(__file__).resolve().parent
    installed = here / "_model"
    return installed if installed.is_dir() else here.parent / "models" / SHIPPED_MODEL


@contextmanager
def replacing(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one step.

    A process loading the model meanwhile sees the old file or the new one, never half of one
    (and one holding the old file open keeps reading the old bytes). On error ``target`` is left
    as it was.

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp(), "stance.json")
    >>> with replacing(target) as tmp:
    ...     _ = tmp.write_text("{}")
    >>> target.read_text()
    '{}'
    """
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_metadata(path: str | Path, meta: dict[str, Any]) -> None:
    with replacing(Path(path, METADATA_FILE)) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_metadata(path: str | Path) -> dict[str, Any]:
    """Validate a model directory and return its metadata.

    >>> read_metadata("/nonexistent")
    Traceback (most recent call last):
    ...
    stance.model_dir.ModelDirError: model directory /nonexistent does not exist; pass the path of a directory made by training/train.py, or call stance.load() with no path for the shipped model
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelDirError(
            f"model directory {path} {'is a file, not a directory' if path.exists() else 'does not exist'}; "
            "pass the path of a directory made by "
            "training/train.py, or call stance.load() with no path for the shipped model")
    missing = [f for f in (*_REQUIRED_FILES, METADATA_FILE) if not (path / f).is_file()]
    if missing:
        raise ModelDirError(f"model directory {path} is missing {', '.join(missing)}; it is not a complete stance model")
    try:
        meta = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelDirError(f"{path / METADATA_FILE} is not valid JSON: {exc}") from exc
    absent = [k for k in _REQUIRED_KEYS if k not in meta]
    if absent:
        raise ModelDirError(f"{path / METADATA_FILE} lacks {', '.join(absent)}")
    if meta["format_version"] != FORMAT_VERSION:
        raise ModelDirError(
            f"{path} has format_version {meta['format_version']!r}; this stance reads version {FORMAT_VERSION}. "
            "Upgrade stance or retrain the model")
    if sorted(meta["labels"]) != sorted(LABELS):
        raise ModelDirError(f"{path} has labels {meta['labels']}; expected the three labels {list(LABELS)}")
    _check_values(path, meta)
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelDirError(f"{path / 'config.json'} is not valid JSON: {exc}") from exc
    longest = config.get("max_position_embeddings")
    if isinstance(longest, int) and meta["max_length"] > longest:
        raise ModelDirError(f"{path / METADATA_FILE}: max_length {meta['max_length']} is over the encoder's "
                            f"{longest} positions (config.json max_position_embeddings)")
    id2label = {int(k): v for k, v in config.get("id2label", {}).items()}
    if [id2label.get(i) for i in range(len(LABELS))] != list(meta["labels"]):
        raise ModelDirError(f"{path}: config.json id2label {id2label} disagrees with stance.json labels {meta['labels']}")
    pooling_of(meta)  # refuses a pooling this stance cannot run, whatever the backend
    return meta


def _check_values(path: Path, meta: dict[str, Any]) -> None:
    """The numbers every backend relies on: a temperature of 0 would give NaN probabilities and a
    negative one would invert them, silently."""
    t, n = meta["temperature"], meta["max_length"]
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
        raise ModelDirError(f"{path / METADATA_FILE}: temperature {t!r} must be a positive number "
                            "(training/train.py fits it on the dev split)")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ModelDirError(f"{path / METADATA_FILE}: max_length {n!r} must be a whole number of tokens >= 2")

