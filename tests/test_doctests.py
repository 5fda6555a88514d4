"""The docstring examples are part of the documentation: run them (pytest's --doctest-modules only
collects tests/, so the package's and the training scripts' examples would otherwise never run)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

import stance

ROOT = Path(__file__).resolve().parents[1]
# stance.__main__ runs the command line when imported, as it should.
STANCE_MODULES = sorted(m.name for m in pkgutil.iter_modules(stance.__path__, "stance.") if m.name != "stance.__main__")
# Training modules with examples (importing them needs torch / the training extra).
TRAINING_MODULES = ["training.train", "training.data", "training.teacher_folds", "training.intervals",
                    "training.annotations.batching", "training.learning_curve", "training.evaluate_pairs",
                    "training.evaluate"]


def _run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


@pytest.mark.parametrize("name", STANCE_MODULES)
def test_package_examples(name):
    if name == "stance.ray_engine":
        pytest.importorskip("ray")
    _run(name)


@pytest.mark.parametrize("name", TRAINING_MODULES)
def test_training_examples(name):
    pytest.importorskip("torch")
    sys.path.insert(0, str(ROOT))
    _run(name)
