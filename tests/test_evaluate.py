"""training/evaluate.py: the evidence measure (the team's labels of the sentences an article shows)."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "training" / "annotations"))

import contrast_dev  # noqa: E402
import evaluate  # noqa: E402
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


def test_contrast_accuracy_reads_the_split_set_and_breaks_it_down_by_phenomenon(tmp_path, monkeypatch):
    f = tmp_path / "c.jsonl"
    rows = [("Ties soured.", "cooling", "history"), ("Ties warmed.", "warming", "history"),
            ("Will they meet?", "neutral", "question")]
    f.write_text("".join(json.dumps({"text": t, "label": lab, "phenomenon": p, "group": p}) + "\n"
                         for t, lab, p in rows))
    monkeypatch.setitem(evaluate.CONTRAST, "dev", f)
    always_cooling = lambda texts: np.tile([0.1, 0.8, 0.1], (len(texts), 1))  # noqa: E731
    rows = evaluate.contrast_rows("dev")
    acc, n, by, (lo, hi) = evaluate.contrast_summary(rows, evaluate.contrast_hits(always_cooling, rows))
    assert (acc, n) == (1 / 3, 3) and by == {"history": 0.5, "question": 0.0}
    # Two groups drawn whole: a resample holds the history pair (0.5) or the question (0.0) or both.
    assert lo == 0.0 and hi == 0.5


def test_the_dev_contrast_set_is_valid_and_apart_from_the_test_sets():
    rows = [json.loads(line) for line in open(contrast_dev.OUT, encoding="utf-8")]
    assert len(rows) >= 250
    assert {r["label"] for r in rows} == {"warming", "cooling", "neutral"}
    assert {r["phenomenon"] for r in rows} == set(contrast_dev.PHENOMENA)
    groups = {}
    for r in rows:
        groups.setdefault(r["group"], set()).add(r["phenomenon"])
        if "adjudication" not in r:  # the two annotators agreed
            assert r["label"] == r["author_label"] == r["second_label"], r["text"]
    assert all(len(p) == 1 for p in groups.values())
    test = {_norm(json.loads(line)["text"]) for line in open(ROOT / "training" / "annotations" / "contrast.jsonl", encoding="utf-8")}
    assert not test & {_norm(r["text"]) for r in rows}
    assert contrast_dev.near_test([dict(r, id=str(i)) for i, r in enumerate(rows)]) == {}


def test_authored_sentences_with_a_bad_label_are_refused_with_file_and_line(tmp_path, monkeypatch):
    (tmp_path / "author_Z.jsonl").write_text(
        json.dumps({"group": "Z01", "phenomenon": "negation", "text": "Ties soured.", "label": "cooling"}) + "\n"
        + json.dumps({"group": "Z01", "phenomenon": "negation", "text": "Ties did not sour.", "label": "warmish"}) + "\n")
    monkeypatch.setattr(contrast_dev, "WORK", tmp_path)
    with pytest.raises(SystemExit, match=r"author_Z.jsonl line 2: label 'warmish'"):
        contrast_dev.authored()


def test_blind_batches_sit_apart_from_every_labelled_file(tmp_path, monkeypatch):
    lines = [{"group": "Z01", "phenomenon": "negation", "text": t, "label": lab}
             for t, lab in (("Ties between Peru and Chile soured.", "cooling"),
                            ("Ties between Peru and Chile did not sour.", "neutral"),
                            ("Peru and Chile signed a water accord.", "warming"))]
    (tmp_path / "author_Z.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    monkeypatch.setattr(contrast_dev, "WORK", tmp_path)
    contrast_dev.batches(2)
    blind = contrast_dev.blind_dir()
    assert blind != tmp_path and (tmp_path / "sentences.jsonl").is_file()
    batch_rows = [json.loads(line) for p in sorted(blind.iterdir()) for line in open(p, encoding="utf-8")]
    assert sorted(p.name for p in blind.iterdir()) == ["label_00.jsonl", "label_01.jsonl"]
    assert len(batch_rows) == 3 and all(set(r) == {"id", "text"} for r in batch_rows)


def test_intervals_table_pairs_each_system_with_ours_on_the_same_resamples():
    rows = [{"kind": "article", "label": lab, "article_id": f"s{i // 4}"}
            for i, lab in enumerate(["warming", "cooling", "neutral", "neutral"] * 5)]
    rows += [{"kind": "event", "label": lab, "article_id": ""} for lab in ["cooling", "warming"] * 5]
    contrast = [{"group": f"g{i // 2}"} for i in range(10)]
    gold = evaluate.gold_ids([r for r in rows if r["kind"] == "article"])
    gold_ev = evaluate.gold_ids([r for r in rows if r["kind"] == "event"])
    ours = gold.copy()
    ours[[0, 4]] = 2  # warming missed in stories s0 and s1 only: F1 varies with the draw
    ours_ev = gold_ev.copy()
    ours_ev[:3] = evaluate.C
    ours_hits = np.array([1.0] * 6 + [0.0] * 4)
    m = {"article_f1_ci": (0.5, 0.9), "event_wc_f1_ci": (0.8, 1.0), "contrast_acc_ci": (0.6, 0.7),
         "articles": {"direction_acc_ci": (float("nan"), float("nan"))}}
    calls = {"ours": {"article": ours, "event": ours_ev, "contrast": ours_hits},
             "same": {"article": ours.copy(), "event": ours_ev.copy(), "contrast": ours_hits.copy()},
             "perfect": {"article": gold, "event": gold_ev, "contrast": np.ones(10)}}
    table = evaluate.intervals_table({"ours": m, "same": m, "perfect": m}, calls, rows, contrast, "ours")
    lines = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()}
    assert "(5 stories)" in table
    assert lines["ours"].endswith("| [0.500, 0.900] | [0.800, 1.000] | [0.600, 0.700] | — | — | — | — |")
    # A system against a copy of itself: zero in every resample only if both sides see the same draw
    # (unpaired draws of these story-varying errors would spread the gap around zero).
    assert lines["same"].endswith("| +0.000 ([0.000, 0.000]) | +0.000 ([0.000, 0.000]) | +0.000 ([0.000, 0.000]) |")
    gaps = [g for g in lines["perfect"].rstrip(" |").split(" | ")[-3:]]
    for g in gaps:  # behind the perfect system, with an interval that is wider than a point, never above 0
        d, (lo, hi) = float(g.split(" ")[0]), (float(x) for x in g.split("(")[1].strip("[])").split(", "))
        assert d < 0 and lo < hi <= 0
    assert gaps[2].startswith("-0.400")  # contrast: 6 of 10 against 10 of 10


def test_paired_gap_of_nothing_is_a_dash_not_a_crash():
    stat = evaluate.mean_of(np.array([]))
    assert evaluate.paired_gap(stat, stat, []) == "—"


def test_a_model_trained_on_dev_is_not_read_on_dev(tmp_path):
    from training.evaluate import refuse_dev_trained

    (tmp_path / "stance.json").write_text(json.dumps({"dev_in_train": True}))
    with pytest.raises(SystemExit, match="trained on the dev split"):
        refuse_dev_trained("dev", [ROOT / "models" / "stance-minilm", tmp_path])
    refuse_dev_trained("test", [tmp_path])
    refuse_dev_trained("dev", [ROOT / "models" / "stance-minilm"])
