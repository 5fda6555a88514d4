"""News-aware sentence segmentation with offsets into the original text.

News pages carry more than prose: datelines ("SEOUL (Reuters) -"), bylines, photo
captions, markdown debris (``![]() |``, ``RELATED NEWS |``, ``---|``). Those are not
statements about relations, so they are dropped before scoring; every sentence that is
kept maps back to the exact characters of the input.

>>> [s.text for s in split_sentences("SEOUL (Reuters) - Ties soured. Mr. Kim left the U.S. on Monday.")]
['Ties soured.', 'Mr. Kim left the U.S. on Monday.']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

__all__ = ["Span", "split_sentences"]

# Longest sentence we pass on whole. Text with no punctuation (tables, scraped lists) would
# otherwise become one huge "sentence"; the model truncates at its token limit anyway.
MAX_SENTENCE_CHARS = 1000

# Tokens that end with a period but rarely end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen lt col maj capt sgt adm cmdr sen rep gov pres amb rev st jr sr
    no nos vs etc inc ltd corp co dept univ approx est fig jan feb mar apr jun jul aug sep
    sept oct nov dec mt ft ave blvd gens reps sens hon messrs cf al e.g i.e""".split()
)
# After "U.S." and friends a new sentence usually starts with one of these words;
# otherwise ("U.S. President") the period is part of the name.
_SENTENCE_STARTERS = frozenset(
    """The A An It He She They We I This That These Those But And However In On At
    Meanwhile Yet So Still Since After Before While When If Its Their His Her There""".split()
)

_PARAGRAPH = re.compile(r"[^\n]+")
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_LAST_TOKEN = re.compile(r"(\S+)$")
_NEXT_WORD = re.compile(r"\s+[\"'“‘(\[]?([A-Za-z]+)")
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?\.?$")  # U.S. U.N. E.U. J.

# Datelines at the start of a paragraph: "SEOUL (Reuters) -", "(Baonghean) -",
# "NAJAF, Iraq -", "Canadian Press - VANCOUVER (CP) -", "WASHINGTON —".
_DATELINE = re.compile(
    r"""^(?:
        \([^)]{1,40}\)\s*[-–—]+\s*                                  # (Agency) -
      | [A-Z][A-Za-z]+(?:\ [A-Z][A-Za-z]+){0,2}\ [-–—]+\ (?=[A-Z]{2,})  # Canadian Press - VANCOUVER
      | [A-Z][A-Z.'’\ ]{2,40}(?:,\ [A-Z][A-Za-z.\ ]{1,30})?           # SEOUL / NAJAF, Iraq
        (?:\ \([^)]{1,40}\))?\s*[-–—:]+\s+
    )+""",
    re.VERBOSE,
)
# Whole paragraphs that are page furniture, not prose.
_DEBRIS = re.compile(
    r"""^\s*(?:
        .*!\[[^\]]*\]\([^)]*\).*              # markdown image
      | [-|:\s]+                              # table rules: ---|, | --- |
      | [A-Z][A-Z0-9 &'’]{2,40}\s*\|?\s*       # RELATED NEWS | , ADVERTISEMENT
      | By\ [A-Z][^.!?()]{1,60}(?:\([^)]*\))?   # byline: By Shin Hyon-hee (x@y.com)
      | [A-Z][\w'’-]*(?:\ [A-Z][\w'’-]*){0,3}    # a bare name line: Thanh Huyen
      | \(?[\w.+-]+@[\w-]+\.[\w.]+\)?         # a bare email address
    )\s*$""",
    re.VERBOSE,
)
_CAPTION = re.compile(r"\|\s*$")  # image captions in scraped pages end with a table pipe


@dataclass(frozen=True)
class Span:
    """A sentence: its text and ``text == original[start:end]``."""

    text: str
    start: int
    end: int


def _is_boundary(para: str, match: re.Match[str]) -> bool:
    # Only the token before the period matters; a bounded window keeps long paragraphs linear.
    before = para[max(0, match.start() - 40) : match.start() + 1]
    token_match = _LAST_TOKEN.search(before)
    if token_match is None:
        return True
    token = token_match.group(1).lstrip("\"'“‘([")
    if match.group(0)[0] != ".":
        return True  # ! and ? always end a sentence
    bare = token.rstrip(".").lower()
    if bare in _ABBREVIATIONS:
        return False
    if _DOTTED.match(token):
        # "U.S. President" keeps going; "left the U.S. The talks" ends.
        nxt = _NEXT_WORD.match(para, match.end())
        return bool(nxt and nxt.group(1) in _SENTENCE_STARTERS and len(token) > 2)
    return True


def _split_paragraph(para: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in _BOUNDARY.finditer(para):
        if _is_boundary(para, match):
            yield start, match.end()
            start = match.end()
    yield start, len(para)


def _chunk(start: int, end: int, text: str) -> Iterator[tuple[int, int]]:
    """Cut an over-long span at whitespace so no sentence exceeds MAX_SENTENCE_CHARS."""
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        yield start, cut
        start = cut
    yield start, end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[Span]:
    """Split news text into sentences, dropping datelines, bylines, captions and debris.

    >>> split_sentences("By Jane Roe\\nRelations thawed. Trade grew.")[1].text
    'Trade grew.'
    """
    spans: list[Span] = []
    for para_match in _PARAGRAPH.finditer(text):
        para = para_match.group(0)
        if _DEBRIS.match(para) or _CAPTION.search(para):
            continue
        offset = para_match.start()
        dateline = _DATELINE.match(para)
        skip = dateline.end() if dateline else 0
        for s, e in _split_paragraph(para[skip:]):
            for cs, ce in _chunk(offset + skip + s, offset + skip + e, text):
                cs, ce = _trim(text, cs, ce)
                if ce > cs and any(ch.isalnum() for ch in text[cs:ce]):
                    spans.append(Span(text[cs:ce], cs, ce))
    return spans
