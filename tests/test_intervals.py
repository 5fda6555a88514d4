"""training/intervals.py: the fast macro-F1 is scikit-learn's, and intervals resample whole clusters."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.intervals import cluster_interval, macro_f1  # noqa: E402


def test_macro_f1_matches_scikit_learn_with_absent_classes_and_a_subset():
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    for _ in range(50):
        y, p = rng.integers(0, 3, 40), rng.integers(0, 2, 40)  # class 2 never predicted
        for classes in (None, (0, 1)):
            want = sklearn.f1_score(y, p, labels=list(classes or range(3)), average="macro", zero_division=0)
            assert macro_f1(y, p, 3, classes) == pytest.approx(want)


def test_a_cluster_is_drawn_whole_so_its_members_never_split():
    # Cluster "a" is all right, "b" all wrong: any resample's accuracy is a multiple of 1/2.
    hits = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    seen = []
    cluster_interval(lambda i: seen.append(hits[i].mean()) or 0.0, ["a"] * 3 + ["b"] * 3, resamples=200)
    assert set(seen) <= {0.0, 0.5, 1.0} and len(set(seen)) == 3


def test_interval_narrows_with_more_data_and_is_reproducible():
    rng = np.random.default_rng(2)
    small, large = rng.random(30) < 0.7, rng.random(3000) < 0.7
    w_small = np.subtract(*cluster_interval(lambda i: small[i].mean(), range(30))[::-1])
    w_large = np.subtract(*cluster_interval(lambda i: large[i].mean(), range(3000), resamples=300)[::-1])
    assert w_large < w_small / 4
    stat = lambda i: small[i].mean()  # noqa: E731
    assert cluster_interval(stat, range(30)) == cluster_interval(stat, range(30))
    assert np.isnan(cluster_interval(stat, [])[0])
