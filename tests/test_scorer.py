import json
import math
import re

import numpy as np
import pytest

import stance
from conftest import SEED_FILES

ARTICLE = ("SEOUL (Reuters) - China and North Korea held talks on Monday. Relations have soured since 2013.\n"
           "Beijing increasingly courts Seoul. Relations have soured since 2013.\nBy Jane Roe")


def test_sentence_scores_are_consistent(tiny_scorer):
    for s in tiny_scorer.score_sentences(["Ties thawed.", "Troops attacked the border.", ""]):
        assert set(s.probs) == {"warming", "cooling", "neutral"}
        assert math.isclose(sum(s.probs.values()), 1.0, abs_tol=1e-5)
        assert math.isclose(s.score, s.probs["warming"] - s.probs["cooling"], abs_tol=1e-5)
        assert -1 <= s.score <= 1
        assert s.label == max(s.probs, key=s.probs.get)


def test_scored_sentences_name_their_states_and_pairs(tiny_scorer):
    a, b, c = tiny_scorer.score_sentences(["China, Japan and South Korea met.", "Seoul protested.", "Ties thawed."])
    assert [x.code for x in a.actors] == ["CHN", "JPN", "KOR"] and a.actors[1].text == "Japan"
    assert a.pairs == (("CHN", "JPN"), ("CHN", "KOR"), ("JPN", "KOR"))
    assert [x.code for x in b.actors] == ["KOR"] and b.pairs == () and c.actors == () and c.pairs == ()


def test_article_result_contract(tiny_scorer):
    a = tiny_scorer.score_article(ARTICLE, id="a1", title="Chill", date="2014-07-30")
    assert a.id == "a1" and a.label in {"warming", "cooling", "mixed", "neutral"} and -1 <= a.score <= 1
    for s in a.sentences:
        assert ARTICLE[s.start:s.end] == s.text
    d = a.to_dict()
    assert json.loads(json.dumps(d)) == d  # plain JSON types: lists, not tuples
    assert a.sentences[0].actors[0].to_dict() == d["sentences"][0]["actors"][0]
    assert len({a, a.sentences[0], a.dyads[0], a.sentences[0].actors[0]}) == 4  # hashable, as frozen results should be
    assert set(d) >= {"id", "score", "label", "sentences", "evidence", "dyads"}
    assert set(d["sentences"][0]) >= {"text", "start", "end", "probs", "score", "label", "actors", "pairs"}
    assert a.main_pair == ("CHN", "PRK") and a.dyads[0].pair == ("CHN", "PRK")
    for dy in a.dyads:
        assert list(dy.pair) == sorted(dy.pair) and len(dy.pair[0]) == 3


def test_results_come_back_from_their_json(tiny_scorer):
    text = "Beijing courts Seoul while its ties with Pyongyang sour. " + ARTICLE
    a = tiny_scorer.score_article(text, id="a1", title="Chill", date="2014-07-30")
    assert any(s.clauses for s in a.sentences) and a.dyads and a.evidence is not None
    back = stance.ArticleScore.from_dict(json.loads(json.dumps(a.to_dict())))
    assert back == a and isinstance(back.main_pair, tuple) and isinstance(back.dyads[0], stance.DyadScore)
    s = next(s for s in back.sentences if s.clauses)
    assert s.for_pair(("PRK", "CHN")) == next(x for x in a.sentences if x.clauses).for_pair(("CHN", "PRK"))
    d = a.to_dict()
    for bad, says in (({**d, "extra": 1}, "unknown field(s) 'extra'"), ({"id": "x"}, "missing field(s) 'score'"),
                      ({**d, "main_pair": ["CHN"]}, "field 'main_pair': expected 2 items"),
                      ({**d, "sentences": 5}, "field 'sentences': expected a list"), ([], "expected a dict"),
                      ({**d, "evidence": [{**d["sentences"][0], "probs": 5}]},
                       "field 'evidence': [0]: SentenceScore.from_dict: field 'probs': expected an object"),
                      ({**d, "score": "high"}, "field 'score': expected float, got 'high'"),
                      ({**d, "label": None}, "field 'label': expected str, got None"),
                      ({**d, "sentences": [d["sentences"][0], {**d["sentences"][1], "start": "0"}]},
                       "field 'sentences': [1]: SentenceScore.from_dict: field 'start': expected int, got '0'")):
        with pytest.raises(ValueError, match=re.escape(f"ArticleScore.from_dict: ") + ".*" + re.escape(says)):
            stance.ArticleScore.from_dict(bad)


def test_results_are_frozen(tiny_scorer):
    a = tiny_scorer.score_article(ARTICLE)
    with pytest.raises(Exception):
        a.score = 1.0  # type: ignore[misc]


def test_repeated_sentence_counts_once(tiny_scorer):
    a = tiny_scorer.score_article(ARTICLE)
    dup = [s for s in a.sentences if s.duplicate]
    assert [s.text for s in dup] == ["Relations have soured since 2013."]
    once = tiny_scorer.score_article(ARTICLE.replace("\nBeijing increasingly courts Seoul. Relations have soured since 2013.",
                                                     "\nBeijing increasingly courts Seoul."))
    assert math.isclose(a.score, once.score, abs_tol=1e-6)


@pytest.mark.parametrize("bad,msg", [(None, "None"), (b"bytes", "bytes"), (42, "int"), (["a"], "list")])
def test_bad_input_types(tiny_scorer, bad, msg):
    with pytest.raises(TypeError, match=msg):
        tiny_scorer.score_article(bad)


def test_bad_records_in_pipe_name_the_record(tiny_scorer):
    with pytest.raises(TypeError, match="article 7: text is None"):
        list(tiny_scorer.pipe([{"id": 7, "text": None}]))
    with pytest.raises(TypeError, match="article 8 has no field 'text' \\(fields: id, body\\)"):
        list(tiny_scorer.pipe([{"id": 8, "body": "x"}]))
    with pytest.raises(TypeError, match="article 9: title must be a str or None, not int"):
        list(tiny_scorer.pipe([stance.Article("China met Japan.", id="9", title=5)]))


def test_invalid_unicode_is_refused_before_the_tokenizer(tiny_scorer):
    # "\ud800" is what json.loads makes of a broken escape; the tokenizer would fail obscurely.
    for call in (lambda: tiny_scorer.score_article("Ties \ud800 soured."),
                 lambda: tiny_scorer.predict_proba(["fine", "Ties \ud800 soured."]),
                 lambda: tiny_scorer.score_article("Ties soured.", title="\udc00")):
        with pytest.raises(ValueError, match="unpaired surrogate"):
            call()


def test_a_bad_item_comes_after_every_result_before_it(tiny_scorer):
    def stream():
        yield from (f"China and Japan met on day {i}." for i in range(5))
        yield {"id": "x1"}
        yield "never read"

    got = []
    with pytest.raises(TypeError, match="article x1 has no field 'text'"):
        for a in tiny_scorer.pipe(stream(), batch_size=64):  # all six in one group
            got.append(a)
    assert [a.sentences[0].text for a in got] == [f"China and Japan met on day {i}." for i in range(5)]


def test_ids_are_strs_and_one_str_is_not_a_list(tiny_scorer):
    assert tiny_scorer.score_article("China met Japan.", id=5).id == "5"
    for call in (lambda: tiny_scorer.pipe("China met Japan."), lambda: tiny_scorer.predict_proba("China"),
                 lambda: tiny_scorer.score_sentences("China")):
        with pytest.raises(TypeError, match="list of texts, not one str"):
            call()
    for bad in (0, -5, 2.5):
        with pytest.raises(ValueError, match="batch_size"):
            tiny_scorer.predict_proba(["a"], batch_size=bad)
        with pytest.raises(ValueError, match="batch_size"):  # when pipe() is called, not at the first next()
            tiny_scorer.pipe([], batch_size=bad)


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_a_valid_neutral_article(tiny_scorer, text):
    a = tiny_scorer.score_article(text)
    assert a.sentences == () and a.label == "neutral" and a.score == 0 and a.dyads == ()


def test_pipe_keeps_order_and_matches_single_scoring_for_any_batch_size(tiny_scorer):
    arts = [ARTICLE, "Trade grew.", "", {"id": "d", "text": "Russia and Ukraine fought.", "date": "2025-01-01"}] * 3
    singles = [tiny_scorer.score_article(**({"text": a} if isinstance(a, str) else a)) for a in arts]
    for bs in (1, 3, 64):
        piped = list(tiny_scorer.pipe(arts, batch_size=bs))
        assert len(piped) == len(arts)
        for p, s in zip(piped, singles):
            assert p.id == s.id and len(p.sentences) == len(s.sentences)
            assert abs(p.score - s.score) < 1e-5


def test_pipe_is_lazy(tiny_scorer):
    def endless():
        i = 0
        while True:
            i += 1
            yield f"Relations improved in round {i}."
    it = tiny_scorer.pipe(endless(), batch_size=4)
    assert [next(it).sentences[0].text for _ in range(3)][0] == "Relations improved in round 1."


def test_very_long_article(tiny_scorer):
    text = "China and North Korea held talks. " * 30000  # ~1 MB
    a = tiny_scorer.score_article(text)
    assert len(a.sentences) == 30000 and sum(not s.duplicate for s in a.sentences) == 1


@pytest.mark.skipif(not SEED_FILES, reason="the shared seed articles are not beside this checkout")
def test_seed_articles_have_china_north_korea_as_main_pair(tiny_scorer):
    for p in SEED_FILES:
        assert tiny_scorer.score_article(p.read_text(encoding="utf-8")).main_pair == ("CHN", "PRK")


def test_a_repeated_text_reaches_the_model_once(tiny_scorer, monkeypatch):
    texts = ["China and Japan signed a trade pact.", "Ties soured.", "China and Japan signed a trade pact.",
             "Ties soured.", "Reporting by the desk."]
    alone = tiny_scorer.predict_proba(["China and Japan signed a trade pact.", "Ties soured.", "Reporting by the desk."])
    seen = []
    real = tiny_scorer.backend.logits_many

    def counting(batches):
        seen.extend(t for b in batches for t in b)
        return real(batches)

    monkeypatch.setattr(tiny_scorer.backend, "logits_many", counting)
    p = tiny_scorer.predict_proba(texts)
    assert sorted(seen) == sorted(set(texts)) and p.shape == (5, 3)
    assert (p[0] == p[2]).all() and (p[1] == p[3]).all()
    np.testing.assert_allclose(p[[0, 1, 4]], alone, atol=1e-6)
