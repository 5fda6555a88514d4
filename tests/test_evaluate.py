"""training/evaluate.py: the evidence measure (the team's labels of the sentences an article shows)."""

import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))

from evaluate import evidence_counts, evidence_summary  # noqa: E402
from data import _norm  # noqa: E402

from stance.results import SentenceScore  # noqa: E402


def _shown(text: str, score: float) -> SentenceScore:
    w, c = (0.8, 0.1) if score > 0 else (0.1, 0.8)
    return SentenceScore(text, 0, len(text), {"warming": w, "cooling": c, "neutral": 0.1}, score,
                         "warming" if score > 0 else "cooling")


def test_evidence_is_sorted_by_the_team_label_of_each_sentence():
    gold = {_norm(t): lab for t, lab in [("Ties soured.", "cooling"), ("Talks resumed.", "warming"),
                                         ("Trade reached $6 billion.", "neutral")]}
    shown = [_shown("Ties soured.", -0.7),           # right
             _shown("Talks  resumed!", -0.6),        # labelled warming, shown as cooling; text matched loosely
             _shown("Trade reached $6 billion.", 0.5),  # labelled neutral
             _shown("Not an annotated sentence.", 0.4)]
    counts = evidence_counts(shown, gold)
    assert counts == {"right": 1, "opposite": 1, "neutral": 1, "unlabelled": 1}
    s = evidence_summary(counts)
    assert (s["evidence_shown"], s["evidence_matched"]) == (4, 3)
    assert math.isclose(s["evidence_precision"], 1 / 3) and math.isclose(s["evidence_opposite"], 1 / 3)


def test_no_matched_evidence_is_not_a_number_not_zero():
    s = evidence_summary(evidence_counts([_shown("Unseen.", 0.5)], {}))
    assert s["evidence_shown"] == 1 and math.isnan(s["evidence_precision"])
