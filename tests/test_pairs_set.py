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


def test_macro_f1_counts_a_missed_pair_as_wrong():
    # evaluate() predicts "missed" where detection found no such pair: wrong, and not a label.
    assert macro_f1(["warming", "cooling"], ["warming", "missed"]) == pytest.approx((1 + 0) / 2)
    assert macro_f1(["cooling"], ["missed"]) == 0.0


def test_plover_marks_become_the_pair_marks():
    from pair_data import _plover_marked

    assert _plover_marked("<s>Iran</s> condemned <t> the U.S. </t> decision.") == "« Iran » condemned « the U.S. » decision."


def test_team_pair_labels_are_valid_and_test_stories_stay_out_of_training():
    from pair_data import read_labels

    train, test = read_labels("voa_train_*.jsonl"), read_labels("voa_test.jsonl")
    assert len(train) >= 400 and len(test) >= 150
    assert not {k[0] for k in train} & {k[0] for k in test}  # split by story
    for r in list(train.values()) + list(test.values()):
        for key in r["pairs"]:
            a, _, b = key.partition("-")
            assert a < b and len(a) == len(b) == 3, key


def test_check_pairs_names_the_problem(tmp_path):
    sys.path.insert(0, str(ROOT / "training" / "annotations"))
    from check_pairs import check

    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps({"item": "s1", "targets": [{"sent_idx": 0, "sha": "abc", "states": {"CHN": ["China"], "KOR": ["Seoul"]},
                                                            "pairs": ["CHN-KOR"]}]}) + "\n")
    labels = tmp_path / "l.jsonl"
    labels.write_text(json.dumps({"item": "s1", "sent_idx": 0, "sha": "abc", "pairs": {"CHN-KOR": "hot"}}) + "\n")
    assert any("not one of" in p for p in check(str(batch), str(labels)))
    labels.write_text("")
    assert check(str(batch), str(labels)) == ["('s1', 0): target not annotated"]


DATA = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not (DATA / "unlabelled" / "voa_stories.jsonl").exists(), reason="needs ../shared/data")
def test_dev_story_pair_labels_are_none_that_pairs_training_reads():
    from evaluate_pairs import story_pair_labels
    from pair_data import voa_pair_rows

    dev, test = story_pair_labels(DATA, "dev"), story_pair_labels(DATA, "test")
    assert len(dev) >= 50 and len(test) >= 150
    trained = {r["item"] for r in voa_pair_rows(DATA) if r["split"] == "train"}
    assert trained and not trained & {k[0] for k in dev} and not trained & {k[0] for k in test}
    assert not {k[0] for k in dev} & {k[0] for k in test}
