import pytest

from stance.actors import find_actors, main_pair, sentence_pairs


def codes(text, **kw):
    return [a.code for a in find_actors(text, **kw)]


@pytest.mark.parametrize("text,expected", [
    ("Pyongyang's envoy met Xi Jinping in Beijing.", ["PRK", "CHN", "CHN"]),
    ("The U.S. and China agreed, said Kim Jong-un.", ["USA", "CHN", "PRK"]),
    ("The Kremlin said Ukrainian drones hit Moscow.", ["RUS", "UKR", "RUS"]),
    ("The two Koreas met at the border.", ["KOR", "PRK"]),
    ("Chinese and South Korean officials met.", ["CHN", "KOR"]),
    ("Workers' Party of Korea officials met Liu.", ["PRK"]),
    ("Jordan's foreign minister met Turkey's president.", ["JOR", "TUR"]),
    ("Georgia and Russia fought a war in 2008.", ["GEO", "RUS"]),
    ("Chad's army crossed into Sudan.", ["TCD", "SDN"]),
])
def test_detects_states(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("text,wrong", [
    ("We roasted a turkey for Thanksgiving dinner.", "TUR"),
    ("The Thanksgiving Turkey was carved.", "TUR"),
    ("Voters in Atlanta, Georgia went to the polls.", "GEO"),
    ("Michael Jordan scored 40 points.", "JOR"),
    ("Jordan Peterson gave a lecture.", "JOR"),
    ("Ships sailed through the South China Sea.", "CHN"),
    ("Chad Smith played the drums.", "TCD"),
    ("Let us talk about it.", "USA"),
])
def test_classic_false_hits(text, wrong):
    assert wrong not in codes(text)


def test_offsets_point_into_the_text():
    t = "Officials in Seoul said Pyongyang fired missiles."
    for a in find_actors(t, offset=100):
        assert t[a.start - 100:a.end - 100] == a.text


def test_office_holders_depend_on_the_date():
    assert codes("Trump met Xi Jinping.", date="2025-05-01") == ["USA", "CHN"]
    assert codes("Trump met Xi Jinping.", date="2022-05-01") == ["CHN"]


def test_pair_rules():
    main = ("CHN", "PRK")
    assert sentence_pairs(["KOR", "CHN", "PRK"], main) == (("CHN", "KOR"), ("CHN", "PRK"), ("KOR", "PRK"))
    assert sentence_pairs(["PRK"], main) == (main,)
    assert sentence_pairs([], main) == (main,)
    assert sentence_pairs(["RUS"], main) == (("CHN", "RUS"),)
    assert sentence_pairs(["RUS"], None) == ()


def test_main_pair_prefers_pairs_named_together():
    assert main_pair([["USA"], ["USA"], ["RUS", "UKR"], ["RUS", "UKR"], ["USA"]]) == ("RUS", "UKR")
    assert main_pair([["USA"], ["USA"], ["FRA"]]) == ("FRA", "USA")
    assert main_pair([["USA"]]) is None
