"""Bootstrap intervals for the evaluation table: how far a number can move with the sample.

The test split holds 800 VOA sentences, but from 27 stories, and sentences of one story share
its topic and its annotator's reading: resampling sentences would make the intervals too narrow.
So real-article numbers resample whole stories, the contrast set whole groups (a sentence and its
minimal edits), article direction whole articles, and event sentences one by one (each is its own
news item). A gap between two systems is resampled *paired* (the same draw for both), which is
what says whether one is really ahead.

    >>> y = np.array([0, 0, 1, 1, 2, 2]); p = np.array([0, 1, 1, 1, 2, 0])
    >>> round(macro_f1(y, p, 3), 3)
    0.656
    >>> lo, hi = cluster_interval(lambda i: float((y[i] == p[i]).mean()), ["a", "a", "b", "b", "c", "c"])
    >>> 0 <= lo <= 4 / 6 <= hi <= 1
    True
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Hashable, Sequence

import numpy as np

RESAMPLES = 2000  # the 2.5th / 97.5th percentiles settle to about ±0.005 by then
SEED = 0  # one fixed draw: every system, and both sides of a gap, see the same resamples
LEVEL = 0.95


def macro_f1(y: np.ndarray, p: np.ndarray, k: int, classes: Sequence[int] | None = None) -> float:
    """Macro-F1 over ``classes`` (default all ``k``), as scikit-learn's with zero_division=0,
    from one bincount (the bootstrap calls it thousands of times)."""
    cm = np.bincount(y * k + p, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(0) + cm.sum(1)  # 2 TP + FP + FN
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1[list(classes)].mean() if classes is not None else f1.mean())


def cluster_interval(stat: Callable[[np.ndarray], float], clusters: Sequence[Hashable],
                     resamples: int = RESAMPLES, seed: int = SEED) -> tuple[float, float]:
    """Percentile interval (``LEVEL``) of ``stat(indices)`` over resamples that draw whole
    clusters with replacement (pass a distinct cluster per item for a plain bootstrap)."""
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, c in enumerate(clusters):
        groups[c].append(i)
    members = [np.array(v) for v in groups.values()]
    if not members:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = [stat(np.concatenate([members[j] for j in rng.integers(len(members), size=len(members))]))
              for _ in range(resamples)]
    tail = (1 - LEVEL) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)
