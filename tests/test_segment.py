import pytest

from stance.segment import MAX_SENTENCE_CHARS, split_sentences
from conftest import SEED_FILES


def texts(t):
    return [s.text for s in split_sentences(t)]


def test_offsets_map_back_to_original():
    t = "SEOUL (Reuters) - Ties soured.  Mr. Kim left the U.S. on Monday.\n\nBy Jane Roe\nTrade grew."
    for s in split_sentences(t):
        assert t[s.start:s.end] == s.text


@pytest.mark.parametrize("text,expected", [
    ("SEOUL (Reuters) - Ties soured.", ["Ties soured."]),
    ("(Baonghean) - China sent a delegation.", ["China sent a delegation."]),
    ("NAJAF, Iraq - Explosions rattled the city.", ["Explosions rattled the city."]),
    ("Canadian Press - VANCOUVER (CP) - The sister demanded a resignation.", ["The sister demanded a resignation."]),
    ("WASHINGTON — The talks resumed.", ["The talks resumed."]),
])
def test_datelines_are_dropped(text, expected):
    assert texts(text) == expected


@pytest.mark.parametrize("debris", [
    "![]() |", "RELATED NEWS |", "---|", "| --- | --- |", "By Shin Hyon-hee (heeshin@heraldcorp.com)",
    "Chinese President Xi Jinping and North Korean leader Kim Jong-un. |", "Thanh Huyen", "heeshin@heraldcorp.com",
])
def test_page_debris_bylines_and_captions_are_dropped(debris):
    assert texts(f"Relations improved.\n{debris}\nTrade grew.") == ["Relations improved.", "Trade grew."]


@pytest.mark.parametrize("sentence", [
    "Mr. Liu met U.S. President Donald Trump in Washington on Monday.",
    "Kim Jong-un met Gen. Choe and Dr. Lee at 3 p.m. in Pyongyang.",
    "The U.N. Security Council met on Jan. 5 to discuss the D.P.R.K. issue.",
])
def test_abbreviations_do_not_split(sentence):
    assert texts(sentence) == [sentence]


def test_dotted_abbreviation_at_sentence_end_splits_before_a_sentence_starter():
    assert texts("They met in the U.S. The talks went on.") == ["They met in the U.S.", "The talks went on."]


def test_quotes_and_question_marks():
    t = '“For ties to improve, the North should drop it,” said Yoo. “The gap is stark.” Warming relations?'
    assert texts(t) == ['“For ties to improve, the North should drop it,” said Yoo.', "“The gap is stark.”", "Warming relations?"]


def test_overlong_text_without_punctuation_is_chunked():
    t = "word " * 2000
    spans = split_sentences(t)
    assert len(spans) > 1 and all(len(s.text) <= MAX_SENTENCE_CHARS for s in spans)


def test_empty_and_whitespace():
    assert split_sentences("") == [] and split_sentences("  \n\t ") == []


@pytest.mark.skipif(not SEED_FILES, reason="the shared seed articles are not beside this checkout")
def test_korea_herald_seed_has_its_byline_removed_and_repeats_kept():
    t = next(p for p in SEED_FILES if "koreaherald" in p.name).read_text(encoding="utf-8")
    out = texts(t)
    assert not any(s.startswith("By Shin") for s in out)
    assert len(out) != len(set(out))  # the page repeats two paragraphs; the scorer marks them
