"""Which states a sentence is about, with character offsets.

A gazetteer (``stance/data/gazetteer.tsv``, compiled by ``training/build_gazetteer.py`` from
the Phoenix dictionary, MIT, plus the team's additions) maps names, short forms, demonyms,
capitals, seats of power, state bodies and office-holders (with their dates in office) to
ISO 3166 alpha-3 codes. Matching is longest-phrase-first over tokens, and a handful of
context rules remove the classic false hits (Turkey the bird, Georgia the US state,
Jordan or Chad as a first name, China in "South China Sea").

>>> [(a.code, a.text) for a in find_actors("Pyongyang's envoy met Xi Jinping in Beijing.")]
[('PRK', "Pyongyang's"), ('CHN', 'Xi Jinping'), ('CHN', 'Beijing')]
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Iterable, Optional, Sequence

from .results import Actor

__all__ = ["find_actors", "sentence_pairs", "main_pair", "Gazetteer"]

_GAZETTEER = Path(__file__).resolve().parent / "data" / "gazetteer.tsv"
# Dotted abbreviations (U.S., D.P.R.K.) or words with inner hyphens/apostrophes (Kim Jong-un, Pyongyang's).
_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Za-z\u00C0-\u024F](?:[A-Za-z\u00C0-\u024F'’\-]*[A-Za-z\u00C0-\u024F])?")
# Longest phrase the gazetteer holds that we try to match, in tokens.
MAX_PHRASE_TOKENS = 8
# Title words that may precede a country name without making it a person's surname.
_TITLES = frozenset("""president prime minister king queen foreign defense defence leader ambassador
    envoy army navy government officials official the in of and to from with for by on at as
    sultan emir premier chancellor general gen. pres. mr. mrs. ms. dr.""".split())
# Context that marks Georgia as the US state rather than the country.
_US_STATE_CONTEXT = re.compile(
    r"Atlanta|Savannah|Augusta|Macon|Peach State|Georgia Tech|University of Georgia|state of Georgia|"
    r"Georgia's governor|Georgia Gov\.|Gov\. [A-Z]\w+ of Georgia|Georgia,? U\.S\.|Ga\.|Senate race|county", re.I)
_BIRD_CONTEXT = re.compile(r"thanksgiving|roast|stuffing|gravy|wild turkeys?|turkey (?:dinner|sandwich|meat|farm|breast|leg)", re.I)
# Words after "China" that make it part of another name.
_CHINA_NOT_STATE = frozenset({"sea", "morning"})
_PERSON_AMBIGUOUS = frozenset({"jordan", "chad", "georgia", "washington", "israel", "kenya", "india"})


class Gazetteer:
    """Phrase table: first token -> [(tokens, code, start, end)]."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str]]):
        self.table: dict[str, list[tuple[tuple[str, ...], str, str, str]]] = {}
        for phrase, code, start, end in rows:
            tokens = tuple(_norm(t) for t in _TOKEN.findall(phrase))
            if tokens and len(tokens) <= MAX_PHRASE_TOKENS:
                self.table.setdefault(tokens[0], []).append((tokens, code, start, end))
        for entries in self.table.values():
            entries.sort(key=lambda e: -len(e[0]))

    @classmethod
    def from_file(cls, path: Path = _GAZETTEER) -> "Gazetteer":
        rows = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                phrase, code, start, end = (line.rstrip("\n").split("\t") + ["", "", ""])[:4]
                rows.append((phrase, code, start, end))
        return cls(rows)


@lru_cache(maxsize=1)
def _default_gazetteer() -> Gazetteer:
    return Gazetteer.from_file()


def _norm(token: str) -> str:
    token = token.lower().replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    return token.rstrip("'").replace(".", "") if token not in ("u.s.", "u.s", "u.n.") else token.replace(".", "")


def _in_office(start: str, end: str, date: Optional[str]) -> bool:
    if not date:
        return True
    day = date[:10]
    return (not start or start <= day) and (not end or day < end)


def _false_hit(sentence: str, tokens: list[re.Match[str]], i: int, n: int, first: str) -> bool:
    """Context rules for names that are often not the state."""
    word = tokens[i].group(0)
    if not word[0].isupper():
        return True  # "us", "turkey", "china" in lower case are not the states
    nxt = tokens[i + n].group(0) if i + n < len(tokens) else ""
    prev = tokens[i - 1].group(0) if i > 0 else ""
    if first == "china" and n == 1 and nxt.lower() in _CHINA_NOT_STATE:
        return True
    if first == "turkey" and _BIRD_CONTEXT.search(sentence):
        return True
    if first == "georgia" and _US_STATE_CONTEXT.search(sentence):
        return True
    if first in _PERSON_AMBIGUOUS and n == 1:
        # "Michael Jordan", "Chad Smith": a capitalised neighbour that is no title or country word.
        between = sentence[tokens[i - 1].end():tokens[i].start()] if i > 0 else ""
        if prev[:1].isupper() and prev.lower() not in _TITLES and between.strip() == "" and i > 0:
            return True
        gap = sentence[tokens[i].end():tokens[i + 1].start()] if nxt else ""
        if nxt[:1].isupper() and nxt.lower() not in _TITLES and gap == " " and first != "washington":
            return True
    if first == "washington" and (prev in ("George", "Denzel") or nxt.lower() in ("state", "post", "university")):
        return True
    return False


def find_actors(sentence: str, *, date: Optional[str] = None, offset: int = 0,
                gazetteer: Optional[Gazetteer] = None) -> list[Actor]:
    """States named in ``sentence``; offsets are ``offset`` + position in the sentence.

    ``date`` (YYYY-MM-DD) limits office-holders to those in office then; without it any
    office-holder the gazetteer knows matches.
    """
    gaz = gazetteer or _default_gazetteer()
    tokens = list(_TOKEN.finditer(sentence))
    norms = [_norm(t.group(0)) for t in tokens]
    found: list[Actor] = []
    i = 0
    while i < len(tokens):
        matched = 0
        for phrase, code, start, end in gaz.table.get(norms[i], ()):
            n = len(phrase)
            if matched and n < matched:
                break
            if tuple(norms[i : i + n]) != phrase or not _in_office(start, end, date):
                continue
            if _false_hit(sentence, tokens, i, n, phrase[0]):
                continue
            s, e = tokens[i].start(), tokens[i + n - 1].end()
            text = sentence[s:e]
            if not any(a.code == code and a.start == offset + s for a in found):
                found.append(Actor(code, text, offset + s, offset + e))
            matched = n
        i += matched or 1
    return found


def sentence_pairs(codes: Sequence[str], article_pair: Optional[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The pairs a sentence speaks to.

    Two or more states named -> every pair of them; one named -> paired with its counterpart
    in the article's main pair (or, if it is not in the main pair, with the main pair's first
    member); none ("the two sides") -> the article's main pair.

    >>> sentence_pairs(["CHN"], ("CHN", "PRK"))
    (('CHN', 'PRK'),)
    """
    unique = sorted(set(codes))
    if len(unique) >= 2:
        return tuple(combinations(unique, 2))
    if article_pair is None:
        return ()
    if not unique:
        return (article_pair,)
    code = unique[0]
    if code in article_pair:
        return (article_pair,)
    other = article_pair[0]
    return (tuple(sorted((code, other))),)  # type: ignore[return-value]


def main_pair(per_sentence: Sequence[Sequence[str]], title_codes: Sequence[str] = ()) -> Optional[tuple[str, str]]:
    """The article's main pair: the pair of states most often named together, weighted toward
    the title and the lead; if no two states share a sentence, the two most-named states.

    >>> main_pair([["CHN", "PRK"], ["CHN"], ["KOR", "CHN"], ["PRK", "CHN"]])
    ('CHN', 'PRK')
    """
    from collections import Counter

    pair_count: Counter[tuple[str, str]] = Counter()
    state_count: Counter[str] = Counter()
    for idx, codes in enumerate([list(title_codes)] + [list(c) for c in per_sentence]):
        weight = 3.0 if idx == 0 else 2.0 if idx <= 3 else 1.0  # title, then the lead
        unique = sorted(set(codes))
        for c in unique:
            state_count[c] += weight
        for p in combinations(unique, 2):
            pair_count[p] += weight
    if pair_count:
        best = max(pair_count.values())
        # Ties: the pair whose members are named most overall.
        candidates = [p for p, v in pair_count.items() if v == best]
        return max(candidates, key=lambda p: (state_count[p[0]] + state_count[p[1]], p))
    top = [c for c, _ in state_count.most_common(2)]
    return tuple(sorted(top)) if len(top) == 2 else None  # type: ignore[return-value]
