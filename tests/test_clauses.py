"""Pair-aware scoring: clauses, the pairs each clause speaks to, and how pairs roll up."""

from __future__ import annotations

import pytest

from stance import rollup
from stance.clauses import clause_pairs, split_clauses
from stance.results import Actor


def _pieces(text):
    return [text[a:b] for a, b in split_clauses(text)]


@pytest.mark.parametrize("text, pieces", [
    ("Beijing courts Seoul while its ties with Pyongyang sour.",
     ["Beijing courts Seoul", "while its ties with Pyongyang sour."]),
    ("Saudi Arabia restored ties with Iran, a move that angered Israel.",
     ["Saudi Arabia restored ties with Iran", "a move that angered Israel."]),
    ("Turkey expelled the envoy; it courted Egypt the next day.",
     ["Turkey expelled the envoy", "it courted Egypt the next day."]),
    # "and" joins the parties of one act: no cut
    ("Tokyo and Seoul agreed to share missile-warning data.", ["Tokyo and Seoul agreed to share missile-warning data."]),
    # a piece under three words is no clause
    ("China protested, but mildly.", ["China protested, but mildly."]),
])
def test_split_clauses(text, pieces):
    assert _pieces(text) == pieces


def test_a_clause_with_one_state_speaks_for_the_subject_or_the_main_pair():
    text = "It lashed out at Beijing after Xi visited Seoul."
    acts = [Actor("CHN", "Beijing", 17, 24), Actor("CHN", "Xi", 31, 33), Actor("KOR", "Seoul", 42, 47)]
    cut = split_clauses(text)
    assert _pieces(text) == ["It lashed out at Beijing", "after Xi visited Seoul."]
    # The subject is China, so clause 1 names China alone: it goes to China's counterpart in the main pair.
    assert clause_pairs(acts, 0, cut, ("CHN", "PRK")) == [(("CHN", "PRK"),), (("CHN", "KOR"),)]
    assert clause_pairs(acts, 0, cut, None) == [(), (("CHN", "KOR"),)]


def test_offsets_are_article_offsets():
    acts = [Actor("CHN", "Beijing", 100, 107), Actor("KOR", "Seoul", 115, 120), Actor("PRK", "Pyongyang", 141, 150)]
    assert clause_pairs(acts, 100, [(0, 20), (21, 56)]) == [(("CHN", "KOR"),), (("CHN", "PRK"),)]


def test_each_pair_rolls_up_its_own_clauses(tiny_scorer):
    text = "Beijing increasingly courts Seoul while its ties with Pyongyang sour."
    a = tiny_scorer.score_article(text)
    (s,) = a.sentences
    assert [c.text for c in s.clauses] == ["Beijing increasingly courts Seoul", "while its ties with Pyongyang sour."]
    assert [c.pairs for c in s.clauses] == [(("CHN", "KOR"),), (("CHN", "PRK"),)]
    assert all(text[c.start:c.end] == c.text for c in s.clauses)
    # Seoul and Pyongyang are never named in one clause: the sentence says nothing of that pair.
    assert s.pairs == (("CHN", "KOR"), ("CHN", "PRK"))
    direct = {c.pairs[0]: tiny_scorer.score_sentences([c.text])[0] for c in s.clauses}
    for d in a.dyads:
        c = direct[d.pair]
        assert d.score == pytest.approx(rollup.rollup_score([c.score], [rollup.relevance(c.probs["neutral"])]), abs=2e-6)
        assert s.for_pair(d.pair).probs == pytest.approx(c.probs, abs=1e-6)
    # The article's own score still comes from the whole sentence.
    assert a.score == rollup.rollup_score([s.score], [rollup.relevance(s.probs["neutral"])])
    assert a.to_dict()["sentences"][0]["clauses"][0]["pairs"] == [["CHN", "KOR"]]
    # Either order of the codes is the same pair; a pair the sentence does not name is refused
    # (it used to fall back to the whole sentence's score, a plausible wrong number).
    assert s.for_pair(("KOR", "CHN")) == s.for_pair(("CHN", "KOR")) != s.for_pair(("CHN", "PRK"))
    with pytest.raises(ValueError, match="does not name the pair RUS-USA; it names CHN-KOR, CHN-PRK"):
        s.for_pair(("USA", "RUS"))
    with pytest.raises(TypeError, match="two codes"):
        s.for_pair("CHN-KOR")


def test_one_clause_sentences_are_not_cut(tiny_scorer):
    (s,) = tiny_scorer.score_article("China and South Korea signed a free trade agreement.").sentences
    assert s.clauses == () and s.pairs == (("CHN", "KOR"),) and s.for_pair(("CHN", "KOR")) is s


@pytest.fixture(scope="module")
def pair_marked_scorer(tmp_path_factory):
    import stance
    from conftest import tiny_model_with
    from stance.marking import PAIR_MARKING

    return stance.load(tiny_model_with(tmp_path_factory.mktemp("pairs") / "model", seed=1, pair_marking=PAIR_MARKING),
                       backend="torch")


def test_a_pair_marked_model_reads_one_marked_copy_per_pair(pair_marked_scorer):
    text = "Japan and South Korea condemned North Korea's missile test."
    (s,) = pair_marked_scorer.score_article(text).sentences
    assert pair_marked_scorer.pair_marked
    # Every pair of the named states, each the whole sentence as that pair reads it.
    assert [c.pairs for c in s.clauses] == [(("JPN", "KOR"),), (("JPN", "PRK"),), (("KOR", "PRK"),)]
    assert all((c.start, c.end, c.text) == (s.start, s.end, s.text) for c in s.clauses)
    marked = {"JPN-KOR": "« Japan » and « South Korea » condemned North Korea's missile test.",
              "JPN-PRK": "« Japan » and South Korea condemned « North Korea's » missile test.",
              "KOR-PRK": "Japan and « South Korea » condemned « North Korea's » missile test."}
    for c in s.clauses:
        (direct,) = pair_marked_scorer.score_sentences([marked["-".join(c.pairs[0])]])
        assert c.probs == pytest.approx(direct.probs, abs=1e-6)
        assert s.for_pair(c.pairs[0]).probs == pytest.approx(direct.probs, abs=1e-6)
    # A sentence cut into clauses keeps its clauses; one naming one state is scored once.
    (cut,) = pair_marked_scorer.score_article("Beijing courts Seoul while its ties with Pyongyang sour.").sentences
    assert [c.text for c in cut.clauses] == ["Beijing courts Seoul", "while its ties with Pyongyang sour."]
    (one,) = pair_marked_scorer.score_article("Seoul protested.").sentences
    assert one.clauses == ()


def test_an_unknown_pair_marking_fails_loudly(tiny_model_dir, tmp_path):
    import stance
    from conftest import tiny_model_with

    path = tiny_model_with(tmp_path / "m", source=tiny_model_dir, pair_marking="brackets-v9")
    with pytest.raises(ValueError, match="pair_marking 'brackets-v9'"):
        stance.load(path, backend="torch")
