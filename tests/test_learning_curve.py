"""The learning curve's story subsets: whole stories, nested, other rows and splits untouched;
one point per story count; a reused run must be the same run."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
datasets = pytest.importorskip("datasets")

from learning_curve import kept_stories, point, slope_per_doubling, story_counts, story_order, subset  # noqa: E402


def _rows(split: str) -> list[dict]:
    rows = [{"text": f"{split} voa {s} {i}", "source": "voa_team", "article_id": f"voa-{s}", "split": split}
            for s in range(8) for i in range(3)]
    return rows + [{"text": f"{split} event {i}", "source": "plover", "article_id": "", "split": split} for i in range(5)]


def _ds():
    return datasets.DatasetDict({s: datasets.Dataset.from_list(_rows(s)) for s in ("train", "dev")})


def test_fractions_nest_and_keep_whole_stories():
    ds = _ds()
    order = story_order(list(ds["train"]), seed=0)
    # Fixed, whatever the process's hash seed: the curve's stories are the same on every machine.
    assert order == ["voa-4", "voa-1", "voa-5", "voa-2", "voa-0", "voa-3", "voa-7", "voa-6"]
    quarter, half = kept_stories(order, 0.25), kept_stories(order, 0.5)
    assert len(quarter) == 2 and len(half) == 4 and quarter < half
    assert kept_stories(order, 0) == set() and kept_stories(order, 1) == set(order)
    cut = subset(ds, half)
    voa = [r for r in cut["train"] if r["source"] == "voa_team"]
    assert {r["article_id"] for r in voa} == half and len(voa) == 4 * 3  # every sentence of a kept story
    assert sum(r["source"] == "plover" for r in cut["train"]) == 5
    assert list(cut["dev"]) == list(ds["dev"])


def test_one_point_per_story_count():
    order = [f"s{i}" for i in range(8)]
    assert story_counts(order, [0.75, 0, 0.25, 0.25]) == [0, 2, 6]  # a repeated fraction is one point
    with pytest.raises(SystemExit, match="both keep 2 of 8"):
        story_counts(order, [0.25, 0.26])
    with pytest.raises(SystemExit, match="must be in"):
        kept_stories(order, 1.5)


def test_slope_skips_the_point_without_stories():
    assert slope_per_doubling([(0, 0.1), (4, 0.5), (8, 0.6), (16, 0.7)]) == pytest.approx(0.1)
    assert math.isnan(slope_per_doubling([(0, 0.1), (4, 0.5)]))  # one point with stories: no slope


def test_a_reused_run_must_be_the_same_run(tmp_path):
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "TRAIN_HASH").write_text("abc\n")
    order = [f"s{i}" for i in range(8)]
    model = tmp_path / "out" / "model-2of8"
    model.mkdir(parents=True)
    meta = {"data_hash": "abc-voa2of8s0", "train_command": "python training/train.py --dataset d --out o --force"}
    (model / "stance.json").write_text(json.dumps(meta))
    assert point(tmp_path / "out", dataset, order, 2, 0, []) == model  # same stories, same options: reused
    with pytest.raises(SystemExit, match="was trained on abc-voa2of8s0"):
        point(tmp_path / "out", dataset, order, 2, 1, [])  # another shuffle
    with pytest.raises(SystemExit, match="not on abc-voa2of8s0 with '--epochs 2'"):
        point(tmp_path / "out", dataset, order, 2, 0, ["--epochs", "2"])  # another recipe
