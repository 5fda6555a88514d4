"""Result types: frozen dataclasses that turn into plain JSON with ``to_dict()``."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any, Mapping, Optional, TypeVar, Union, get_args, get_origin, get_type_hints

__all__ = ["Actor", "ClauseScore", "SentenceScore", "DyadScore", "ArticleScore"]


def _plain(value: Any) -> Any:
    """Tuples as lists, all the way down: what ``json.loads(json.dumps(x.to_dict()))`` gives back."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _typed(tp: Any, value: Any) -> Any:
    """``value`` as read back from JSON, turned into the field type ``tp`` (lists into tuples,
    dicts into result classes); a value of another type is refused (``ValueError``)."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Union:  # Optional[X]
        return None if value is None else _typed(next(a for a in args if a is not type(None)), value)
    if is_dataclass(tp):
        return tp.from_dict(value)  # type: ignore[union-attr]
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"expected a list, got {value!r}")
        items = args[:1] * len(value) if len(args) == 2 and args[1] is Ellipsis else args
        if len(value) != len(items):
            raise ValueError(f"expected {len(items)} items, got {value!r}")
        out = []
        for i, (t, v) in enumerate(zip(items, value)):
            try:
                out.append(_typed(t, v))
            except ValueError as exc:
                raise ValueError(f"[{i}]: {exc}") from None
        return tuple(out)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ValueError(f"expected an object, got {value!r}")
        return {str(k): _typed(args[1], v) for k, v in value.items()}
    # Scalars: a float field takes an int (JSON writes 1.0 as 1), never a bool.
    ok = (float, int) if tp is float else (tp,)
    if not isinstance(value, ok) or (tp is not bool and isinstance(value, bool)):
        raise ValueError(f"expected {tp.__name__}, got {value!r}")
    return float(value) if tp is float else value


_FIELD_TYPES: dict[type, dict[str, Any]] = {}  # get_type_hints per class, once: it parses the annotations


def _field_types(cls: type) -> dict[str, Any]:
    if cls not in _FIELD_TYPES:
        _FIELD_TYPES[cls] = get_type_hints(cls)
    return _FIELD_TYPES[cls]


T = TypeVar("T", bound="_ToDict")


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: dicts, lists, str, numbers, bool and None."""
        return _plain(asdict(self))  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """The result again from what ``to_dict()`` gave (read back from JSON, say); a field
        missing or unknown is refused (``ValueError``) naming it.

        >>> a = Actor("KOR", "Seoul", 15, 20)
        >>> Actor.from_dict(a.to_dict()) == a
        True
        """
        name = cls.__name__
        if not isinstance(data, Mapping):
            raise ValueError(f"{name}.from_dict: expected a dict (what to_dict() gives), got {type(data).__name__}")
        hints = _field_types(cls)
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(known))
        missing = [n for n, f in known.items() if n not in data and f.default is MISSING]
        if unknown or missing:
            raise ValueError(f"{name}.from_dict: " + "; ".join(
                ([f"unknown field(s) {', '.join(map(repr, unknown))}"] if unknown else [])
                + ([f"missing field(s) {', '.join(map(repr, missing))}"] if missing else []))
                + f" (fields: {', '.join(known)})")
        values = {}
        for key, value in data.items():
            try:
                values[key] = _typed(hints[key], value)
            except ValueError as exc:
                raise ValueError(f"{name}.from_dict: field {key!r}: {exc}") from None
        return cls(**values)


@dataclass(frozen=True)
class Actor(_ToDict):
    """A state mentioned in a sentence: ISO 3166 alpha-3 code and where it was found."""

    code: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _ScoredText(_ToDict):
    """A piece of an article with the model's calibrated probabilities for it."""

    text: str
    start: int
    end: int
    probs: dict[str, float] = field(hash=False)  # a dict cannot be hashed; score and label stand for it
    score: float
    label: str


@dataclass(frozen=True)
class ClauseScore(_ScoredText):
    """A clause of a sentence that names several states, scored on its own for the pairs it names.

    ``start``/``end`` are offsets into the article, like the sentence's.
    """

    pairs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SentenceScore(_ScoredText):
    """One sentence's scores. ``text == article[start:end]``; ``score = P(warming) - P(cooling)``.

    >>> s = SentenceScore("Ties thawed.", 0, 12, {"warming": .8, "cooling": .1, "neutral": .1}, .7, "warming")
    >>> s.to_dict()["score"]
    0.7
    """

    actors: tuple[Actor, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    duplicate: bool = False  # verbatim repeat of an earlier sentence: shown, not counted
    # Set when the sentence was cut into clauses for pair-aware scoring (stance.clauses):
    # each pair then takes the clauses that name it, not the whole sentence.
    clauses: tuple[ClauseScore, ...] = ()

    def for_pair(self, pair: tuple[str, str]) -> "SentenceScore":
        """The sentence as one pair sees it: probabilities of the clauses naming the pair
        (their mean), or the sentence's own when it was not cut into clauses. The pair's two
        codes in either order; a pair the sentence does not name is refused (``ValueError``).

        >>> s = SentenceScore("A.", 0, 2, {"warming": .5, "cooling": .3, "neutral": .2}, .2, "warming",
        ...                   pairs=(("CHN", "KOR"),))
        >>> s.for_pair(("KOR", "CHN")) is s
        True
        """
        if isinstance(pair, str) or len(pair) != 2:
            raise TypeError(f"pair must be two codes, such as ('CHN', 'KOR'), not {pair!r}")
        pair = (min(pair), max(pair))  # pairs are stored with their codes sorted
        if pair not in self.pairs:
            names = ", ".join("-".join(p) for p in self.pairs) or "no pair"
            raise ValueError(f"this sentence does not name the pair {pair[0]}-{pair[1]}; it names {names} "
                             "(see .pairs)")
        members = [c for c in self.clauses if pair in c.pairs]
        if not members:
            return self
        probs = {k: round(sum(c.probs[k] for c in members) / len(members), 6) for k in self.probs}
        return replace(self, probs=probs, score=round(probs["warming"] - probs["cooling"], 6),
                       label=max(probs, key=probs.__getitem__))


@dataclass(frozen=True)
class DyadScore(_ToDict):
    """The roll-up for one pair of states (codes sorted)."""

    pair: tuple[str, str]
    score: float
    label: str
    confidence: float
    n_sentences: int
    evidence: tuple[SentenceScore, ...] = ()


@dataclass(frozen=True)
class ArticleScore(_ToDict):
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
