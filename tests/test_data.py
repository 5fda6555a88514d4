"""The training-data builder: hash-checked joins of the team's labels, and de-duplication that
never lets train-only text into a held-out split."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
import data  # noqa: E402


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def test_hashed_labels_join_the_resegmented_text():
    text = "Seoul and Tokyo signed a deal. The weather was fine."
    labels = {("syn-0001", 0): {"sha": _sha("Seoul and Tokyo signed a deal."), "label": "warming", "countries": ["JPN", "KOR"]},
              ("syn-0001", 1): {"sha": _sha("The weather was fine."), "label": "neutral"}}
    rows = data._join_hashed([("syn-0001", text), ("syn-0002", "Not labelled.")], labels,
                             "synthetic_team", "synthetic", lambda i: "train")
    assert [(r["orig_id"], r["label"], r["kind"], r["split"]) for r in rows] == [
        ("syn-0001:0", "warming", "synthetic", "train"), ("syn-0001:1", "neutral", "synthetic", "train")]
    assert rows[0]["countries"] == ["JPN", "KOR"] and rows[0]["licence"] == data.LICENCE["synthetic_team"]


def test_a_changed_sentence_stops_the_build_naming_it():
    labels = {("syn-0007", 0): {"sha": _sha("The original sentence."), "label": "cooling"}}
    with pytest.raises(SystemExit, match="syn-0007 sentence 0: text hash differs"):
        data._join_hashed([("syn-0007", "An edited sentence.")], labels, "synthetic_team", "synthetic", lambda i: "train")


def test_synthetic_near_duplicate_of_a_test_sentence_is_dropped_not_moved_to_test():
    test_row = data._row("Russia launched drones at Kyiv overnight, officials said.", "cooling", "cameo_class", "t:1", "test")
    syn_row = data._row("RUSSIA launched drones at Kyiv overnight -- officials said!", "cooling",
                        "synthetic_team", "syn-0001:0", "train", kind="synthetic")
    alone = data._row("Ghana and Togo agreed to reopen their border.", "warming", "synthetic_team", "syn-0002:0",
                      "train", kind="synthetic")
    kept, removed = data.deduplicate([syn_row, test_row, alone])
    assert removed == 1
    by_split = {(r["source"], r["split"]) for r in kept}
    assert by_split == {("cameo_class", "test"), ("synthetic_team", "train")}
    assert not any(r["source"] == "synthetic_team" and r["split"] != "train" for r in kept)


def test_second_pass_relabels_train_rows_only_even_after_dedup_moves_one_to_test():
    train_row = data._row("Pakistan said the separatists launched 504 attacks.", "neutral", "voa_team", "111:3",
                          "train", article_id="111", kind="article")
    test_twin = data._row("Pakistan said the separatists launched 504 attacks!", "cooling", "cameo_class", "t:9", "test")
    other = data._row("Officials met on Tuesday.", "neutral", "voa_team", "111:4", "train", article_id="111", kind="article")
    kept, _ = data.deduplicate([train_row, test_twin, other])
    data.apply_second_pass(kept, {("111", 3): "cooling", ("111", 4): "warming"})
    by_id = {r["orig_id"]: (r["split"], r["label"]) for r in kept}
    # The twin group went to test with the team's first label; the second pass does not reach it.
    assert by_id == {"111:3": ("test", "neutral"), "111:4": ("train", "warming")}


def test_an_unknown_second_pass_version_names_the_versions_there(tmp_path):
    (tmp_path / "voa_train_adjudicated_v1.1.jsonl").write_text("")
    with pytest.raises(SystemExit, match=r"--second-pass v9: no annotations/voa_train_adjudicated_v9.jsonl \(versions there: v1.1\)"):
        data.load_voa_team(tmp_path, second_pass="v9")


def test_interstate_events_drops_domestic_directional_train_rows_only():
    domestic = data._row("Taliban suicide bombers killed 48 people in Afghanistan.", "cooling", "cameo_class", "a:1", "train")
    between = data._row("Russian forces shelled Ukrainian positions near Kharkiv.", "cooling", "plover", "a:2", "train")
    igo = data._row("The United Nations renewed the arms embargo on Iran.", "cooling", "cameo_class", "a:3", "train")
    neutral = data._row("Police in Nairobi made a statement.", "neutral", "multicoder", "a:4", "train")
    held_out = data._row("Pakistani police arrested protesters in Lahore.", "cooling", "cameo_class", "t:1", "test")
    voa = data._row("Protesters clashed with police in Nairobi.", "neutral", "voa_team", "9:1", "train", kind="article")
    rows = [domestic, between, igo, neutral, held_out, voa]
    assert data.drop_domestic_events(rows) == 1
    assert [r["orig_id"] for r in rows] == ["a:2", "a:3", "a:4", "t:1", "9:1"]
