"""The learning curve's story subsets: whole stories, nested, other rows and splits untouched."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
datasets = pytest.importorskip("datasets")

from learning_curve import kept_stories, story_order, subset  # noqa: E402


def _rows(split: str) -> list[dict]:
    rows = [{"text": f"{split} voa {s} {i}", "source": "voa_team", "article_id": f"voa-{s}", "split": split}
            for s in range(8) for i in range(3)]
    return rows + [{"text": f"{split} event {i}", "source": "plover", "article_id": "", "split": split} for i in range(5)]


def test_fractions_nest_and_keep_whole_stories():
    ds = datasets.DatasetDict({s: datasets.Dataset.from_list(_rows(s)) for s in ("train", "dev")})
    order = story_order(list(ds["train"]), seed=0)
    assert sorted(order) == [f"voa-{s}" for s in range(8)]
    assert order != sorted(order)  # shuffled, not in id order
    quarter, half = kept_stories(order, 0.25), kept_stories(order, 0.5)
    assert len(quarter) == 2 and len(half) == 4 and quarter < half
    cut = subset(ds, half)
    voa = [r for r in cut["train"] if r["source"] == "voa_team"]
    assert {r["article_id"] for r in voa} == half and len(voa) == 4 * 3  # every sentence of a kept story
    assert sum(r["source"] == "plover" for r in cut["train"]) == 5
    assert list(cut["dev"]) == list(ds["dev"])
    assert story_order(list(ds["train"]), seed=0) == order  # the same seed, the same curve


def test_fraction_out_of_range_is_refused():
    with pytest.raises(SystemExit, match="must be in"):
        kept_stories(["a"], 1.5)
