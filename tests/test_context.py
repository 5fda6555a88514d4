"""A context model reads each article sentence after the one before it (stance/context.py)."""

import pytest

from stance.context import MAX_CONTEXT_WORDS, SEP, article_contexts, with_context


def test_context_is_cut_and_never_added_when_empty():
    long = " ".join(f"w{i}" for i in range(100))
    assert with_context("Seoul protested.", long) == "Seoul protested." + SEP + " ".join(long.split()[:MAX_CONTEXT_WORDS])
    assert with_context("Seoul protested.", "") == "Seoul protested."
    assert with_context("Seoul protested.", None) == "Seoul protested."
    assert article_contexts(None, ["A.", "B.", "C."]) == ["", "A.", "B."]


@pytest.fixture(scope="module")
def context_scorer(tmp_path_factory):
    import stance
    from conftest import tiny_model_with
    from stance.context import CONTEXT_SCHEME

    return stance.load(tiny_model_with(tmp_path_factory.mktemp("context") / "model", seed=2, context=CONTEXT_SCHEME),
                       backend="torch")


def test_a_context_model_reads_every_input_after_the_previous_sentence(context_scorer):
    seen = []
    logits = context_scorer.backend.logits
    context_scorer.backend.logits = lambda texts: seen.extend(texts) or logits(texts)
    try:
        a = context_scorer.score_article("Seoul accused Beijing of spying. Beijing courts Seoul while its ties "
                                         "with Pyongyang sour.", title="Spy row")
    finally:
        context_scorer.backend.logits = logits
    first, second = a.sentences
    assert sorted(seen) == sorted([
        "Seoul accused Beijing of spying." + SEP + "Spy row",
        second.text + SEP + first.text,
        "Beijing courts Seoul" + SEP + first.text,  # clauses read in the same context
        "while its ties with Pyongyang sour." + SEP + first.text])
    # The evidence shows the sentence itself, not the model's input.
    assert second.text == "Beijing courts Seoul while its ties with Pyongyang sour."
    (direct,) = context_scorer.score_sentences([second.text + SEP + first.text])
    assert second.probs == pytest.approx(direct.probs, abs=1e-6)


def test_an_unknown_context_scheme_fails_loudly(tiny_model_dir, tmp_path):
    import stance
    from conftest import tiny_model_with

    path = tiny_model_with(tmp_path / "m", source=tiny_model_dir, context="whole-article-v7")
    with pytest.raises(ValueError, match="context 'whole-article-v7'"):
        stance.load(path, backend="torch")
