"""training/soup.py: weight averaging of models trained alike, and refusal of those that are not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.soup import average_state, check_ingredients  # noqa: E402
from training.train import main as train_main  # noqa: E402


def test_average_state_is_the_weighted_mean_in_fp32():
    a = {"w": torch.tensor([1.0, 2.0], dtype=torch.float16)}
    b = {"w": torch.tensor([3.0, 6.0], dtype=torch.float16)}
    out = average_state([a, b], [1.0, 3.0])
    assert out["w"].dtype == torch.float32
    assert torch.allclose(out["w"], torch.tensor([2.5, 5.0]))


def test_models_trained_on_other_data_or_read_otherwise_are_refused():
    meta = {"labels": ["warming", "cooling", "neutral"], "base_model": "m", "data_hash": "aa", "max_length": 128,
            "format_version": 1}
    check_ingredients([meta, dict(meta)], [Path("a"), Path("b")])
    with pytest.raises(SystemExit, match="disagree on data_hash"):
        check_ingredients([meta, {**meta, "data_hash": "bb"}], [Path("a"), Path("b")])
    with pytest.raises(SystemExit, match="disagree on pair_marking"):
        check_ingredients([meta, {**meta, "pair_marking": "guillemets-v1"}], [Path("a"), Path("b")])
    with pytest.raises(SystemExit, match="disagree on context"):
        check_ingredients([meta, {**meta, "context": "prev-sentence-v1"}], [Path("a"), Path("b")])
    with pytest.raises(SystemExit, match="disagree on pooling"):
        check_ingredients([meta, {**meta, "pooling": "mean"}], [Path("a"), Path("b")])


def test_training_on_dev_needs_a_temperature_from_elsewhere(tmp_path):
    with pytest.raises(SystemExit, match="--with-dev and --temperature-from go together"):
        train_main(["--with-dev", "--out", str(tmp_path / "m")])
