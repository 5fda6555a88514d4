"""Pair marking: show the model which two states a score is for.

A sentence that names several states can warm one pair and cool another ("Beijing courts Seoul
while its ties with Pyongyang sour"). A pair-marked model reads the sentence with every mention
of the pair's two states wrapped in guillemets, rare in English news and single tokens in the
MiniLM vocabulary, so one sentence gives one input per pair. The scorer does this for a model
trained so (``"pair_marking"`` in its metadata, ``training/train.py --pairs``), for the sentences
the clause rule (``stance.clauses``) does not cut; cut sentences keep their clauses:

>>> mark_spans("Beijing courts Seoul while its ties with Pyongyang sour.", [(0, 7), (15, 20)])
'« Beijing » courts « Seoul » while its ties with Pyongyang sour.'
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .results import Actor

__all__ = ["OPEN", "CLOSE", "PAIR_MARKING", "mark_spans", "mark_pair"]

OPEN, CLOSE = "« ", " »"
# Written to a pair-marked model's metadata ("pair_marking"): the scorer marks pairs only for a
# model trained on this scheme.
PAIR_MARKING = "guillemets-v1"


def mark_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each (start, end) span wrapped; overlapping spans are merged."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out += [text[pos:a], OPEN, text[a:b], CLOSE]
        pos = b
    out.append(text[pos:])
    return "".join(out)


def mark_pair(text: str, actors: Sequence[Actor], pair: tuple[str, str], offset: int = 0) -> str:
    """``text`` (a sentence starting at ``offset`` in its article) with the mentions of the two
    states of ``pair`` marked; ``actors`` carry article offsets, as SentenceScore.actors do.

    >>> acts = [Actor("CHN", "Beijing", 0, 7), Actor("KOR", "Seoul", 15, 20), Actor("PRK", "Pyongyang", 41, 50)]
    >>> mark_pair("Beijing courts Seoul while its ties with Pyongyang sour.", acts, ("CHN", "PRK"))
    '« Beijing » courts Seoul while its ties with « Pyongyang » sour.'
    """
    return mark_spans(text, [(a.start - offset, a.end - offset) for a in actors if a.code in pair])
