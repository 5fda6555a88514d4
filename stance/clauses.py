"""Pair-aware scoring: which clause of a sentence speaks to which pair of states.

One sentence can warm one pair and cool another ("Beijing courts Seoul while its ties with
Pyongyang sour"). A sentence that names two or more states is cut at clause boundaries
(contrasting and subordinating conjunctions, semicolons, "a move that", "drawing"...); each clause
is scored by the model on its own and speaks to the pairs of the states it names. A clause that
names fewer than two states also speaks for the sentence's first-named state, usually its
subject ("... while *its* ties with Pyongyang sour" is Beijing's); one that still names a single
state is paired as a one-state sentence is (with its counterpart in the article's main pair:
"It also lashed out at Beijing" in a China-North Korea story). A pair that no clause names
together is one the sentence says nothing about, and it gets no score from that sentence.

Measured by ``python training/evaluate_pairs.py`` on the team's pair-contrast sentences (see
README, "Countries and pairs").

>>> text = "Beijing courts Seoul while its ties with Pyongyang sour."
>>> [text[a:b] for a, b in split_clauses(text)]
['Beijing courts Seoul', 'while its ties with Pyongyang sour.']
"""

from __future__ import annotations

import re
from itertools import combinations
from typing import Optional, Sequence

from .actors import sentence_pairs
from .results import Actor

__all__ = ["split_clauses", "clause_pairs"]

# Where a sentence turns from one act to another. "and" is left out on purpose: it joins the
# two parties of one act far more often than two acts ("Tokyo and Seoul agreed ...").
CLAUSE_BOUNDARY = re.compile(
    r"(?:;|,?\s+(?:while|whereas|even as|but|although|though|after|despite|as)\s+"
    r"|,\s+(?:a move that|drawing|prompting|angering|sparking|which)\s+)", re.I)
# A piece shorter than this many words ("as well", "but not") is no clause of its own.
MIN_CLAUSE_WORDS = 3


def split_clauses(text: str) -> list[tuple[int, int]]:
    """Character spans of the clauses of ``text``, trimmed of spaces and a leading comma or
    semicolon (a boundary word opens the next clause); the whole text when it has one clause.

    >>> split_clauses("Seoul and Tokyo agreed to share data.")
    [(0, 37)]
    """
    spans, pos = [], 0
    for m in CLAUSE_BOUNDARY.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
            pos = m.start()
    spans.append((pos, len(text)))
    kept = [_trim(text, a, b) for a, b in spans if len(text[a:b].split()) >= MIN_CLAUSE_WORDS]
    return kept if len(kept) > 1 else [(0, len(text))]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a].isspace() or text[a] in ",;"):
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def clause_pairs(actors: Sequence[Actor], offset: int, clauses: Sequence[tuple[int, int]],
                 main_pair: Optional[tuple[str, str]] = None) -> list[tuple[tuple[str, str], ...]]:
    """The pairs each clause speaks to. ``actors`` carry article offsets; ``offset`` is the
    sentence's start in the article, ``clauses`` are spans within the sentence.

    >>> acts = [Actor("CHN", "Beijing", 0, 7), Actor("KOR", "Seoul", 15, 20), Actor("PRK", "Pyongyang", 41, 50)]
    >>> clause_pairs(acts, 0, [(0, 20), (21, 56)])
    [(('CHN', 'KOR'),), (('CHN', 'PRK'),)]
    """
    subject = min(actors, key=lambda a: a.start).code if actors else None
    out = []
    for a, b in clauses:
        codes = {x.code for x in actors if offset + a <= x.start < offset + b}
        if subject is not None and len(codes) < 2:
            codes.add(subject)
        if len(codes) >= 2:
            out.append(tuple(combinations(sorted(codes), 2)))
        else:
            out.append(sentence_pairs(sorted(codes), main_pair) if codes else ())
    return out
