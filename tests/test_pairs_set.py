"""The team's pair-contrast set and the scorer of today's sentence-level approach on it."""

import json
import sys
from itertools import combinations
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))

from evaluate_pairs import evaluate, macro_f1, read_pairs  # noqa: E402

PAIRS = ROOT / "training" / "annotations" / "pairs.jsonl"


def test_the_set_lists_every_pair_of_its_states():
    rows = read_pairs(PAIRS)
    assert len(rows) >= 80 and len({r["text"] for r in rows}) == len(rows)
    for r in rows:
        states = sorted({c for key in r["pairs"] for c in key.split("-")})
        assert 2 <= len(states) <= 3, r["id"]
        assert set(r["pairs"]) == {"-".join(p) for p in combinations(states, 2)}, r["id"]
        assert r["kind"] == ("uniform" if len(set(r["pairs"].values())) == 1 else "contrast"), r["id"]
    assert sum(r["kind"] == "contrast" for r in rows) >= 40 and sum(r["kind"] == "uniform" for r in rows) >= 20


def test_bad_rows_are_refused_with_the_line(tmp_path):
    bad = tmp_path / "p.jsonl"
    bad.write_text(json.dumps({"text": "x", "label": "warming", "kind": "uniform", "pairs": {"PRK-CHN": "warming"}}) + "\n")
    with pytest.raises(SystemExit, match=r"p.jsonl:1: pair 'PRK-CHN'"):
        read_pairs(bad)


def test_sentence_label_for_every_pair_scores_a_contrast_sentence_half_right():
    rows = [{"text": "Beijing courts Seoul while its ties with Pyongyang sour.", "label": "warming", "kind": "contrast",
             "pairs": {"CHN-KOR": "warming", "CHN-PRK": "cooling", "KOR-PRK": "neutral"}},
            {"text": "Russian missiles struck Ukrainian cities.", "label": "cooling", "kind": "uniform",
             "pairs": {"RUS-UKR": "cooling"}}]
    m = evaluate(rows, ["warming", "cooling"])
    assert m["detection"]["recall"] == 1.0 and m["detection"]["exact_sentences"] == 2
    assert m["contrast"]["accuracy"] == pytest.approx(1 / 3) and m["uniform"]["accuracy"] == 1.0
    assert m["all"]["accuracy"] == pytest.approx(2 / 4) and m["all"]["ceiling_accuracy"] == pytest.approx(2 / 4)


def test_macro_f1_ignores_labels_absent_from_gold_and_predictions():
    assert macro_f1(["warming", "cooling"], ["warming", "cooling"]) == 1.0
    assert macro_f1(["warming", "cooling"], ["warming", "neutral"]) == pytest.approx((1 + 0 + 0) / 3)
