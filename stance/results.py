"""Result types: frozen dataclasses that turn into plain JSON with ``to_dict()``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

__all__ = ["Actor", "SentenceScore", "DyadScore", "ArticleScore"]


@dataclass(frozen=True)
class Actor:
    """A state mentioned in a sentence: ISO 3166 alpha-3 code and where it was found."""

    code: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SentenceScore:
    """One sentence's scores. ``text == article[start:end]``; ``score = P(warming) - P(cooling)``.

    >>> s = SentenceScore("Ties thawed.", 0, 12, {"warming": .8, "cooling": .1, "neutral": .1}, .7, "warming")
    >>> s.to_dict()["score"]
    0.7
    """

    text: str
    start: int
    end: int
    probs: dict[str, float]
    score: float
    label: str
    actors: tuple[Actor, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    duplicate: bool = False  # verbatim repeat of an earlier sentence: shown, not counted

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DyadScore:
    """The roll-up for one pair of states (codes sorted)."""

    pair: tuple[str, str]
    score: float
    label: str
    confidence: float
    n_sentences: int
    evidence: tuple[SentenceScore, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ArticleScore:
    """The roll-up for one article: score in [-1, 1], label, evidence and per-pair scores."""

    id: Optional[str]
    score: float
    label: str
    confidence: float
    sentences: tuple[SentenceScore, ...]
    evidence: tuple[SentenceScore, ...]
    dyads: tuple[DyadScore, ...] = ()
    title: Optional[str] = None
    date: Optional[str] = None
    main_pair: Optional[tuple[str, str]] = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
