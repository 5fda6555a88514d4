"""Relations over time: per pair and period, a weighted mean score with a 90 % interval.

Reads the rows ``stance score -o SCORED.jsonl`` writes (.csv and .parquet too). Each article
that names a pair contributes that pair's score (``pairs[PAIR]["score"]``, in [-1, 1]) with a
weight, the pair's evidence weight ``pairs[PAIR]["confidence"]`` = m / (m + 1), where m is the
summed relevance ((1 - P(neutral)) squared, ``stance.rollup.relevance``) of the article's sentences about the pair: an article that
mentions the pair in one background sentence counts little, one that is about the pair counts
close to 1, and no single long article counts more than 1.

Before aggregating, each pair's syndicated copies are collapsed (see :func:`duplicate_groups`):
the earliest copy is kept and the others are counted in ``n_duplicates``. A period with fewer than
``MIN_ARTICLES`` articles or less total weight than ``MIN_WEIGHT`` is ``sparse``: its mean is
shown but it gets no interval; a period with no article is ``empty`` (score NaN, never 0).

>>> df = build_timeline("scored.jsonl", ["CHN-PRK"], freq="M")   # doctest: +SKIP
>>> df[["period", "score", "lo", "hi", "status", "n_articles"]]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from .results import ArticleScore

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["build_timeline", "load_rows", "parse_articles", "duplicate_groups", "weighted_mean",
           "mean_interval", "normalize_pair", "pair_counts", "write_csv", "ScoredArticle",
           "FREQS", "MIN_ARTICLES", "MIN_WEIGHT"]

# A period needs at least this many (de-duplicated) articles on the pair ...
MIN_ARTICLES = 3
# ... and at least this much summed weight (about two articles with one clearly relevant
# sentence each) to get an interval; below either it is `sparse`. The weight floor matters
# because article pair scores are shrunk toward 0 when evidence is thin: three passing
# mentions would otherwise read as a confident "no change".
MIN_WEIGHT = 1.0
# Central level of the interval around a period's weighted mean: a Student t interval (see
# mean_interval). A percentile bootstrap over articles, used before 2026-12-06, covered the
# true mean far less often than 90 % at the sizes it is shown for (simulated: 0.62 at 3
# articles, 0.78 at 5, 0.86 at 10); this one covers 0.89-0.91 there (tests/test_timeline.py).
INTERVAL = 0.90
# A period is also sparse when its weight rests on effectively fewer articles than this,
# (sum w)^2 / sum w^2: one full article and two passing mentions are one article's word.
MIN_EFFECTIVE_ARTICLES = 2.0
# Near-duplicates: Jaccard similarity of word 3-shingles of title + evidence sentences at
# least DUPLICATE_JACCARD, published at most DUPLICATE_WINDOW_DAYS apart. Copies of one wire
# story share their strongest sentences verbatim (same text, same scores, same evidence);
# two outlets' own reports of one event rarely share more than a quote.
SHINGLE_WORDS = 3
DUPLICATE_JACCARD = 0.5
DUPLICATE_WINDOW_DAYS = 7
# Fewer shingles than this (e.g. a title and no evidence) is too little text to judge similarity
# on: such items are copies only when their texts are the same (at least EXACT_MIN_TEXTS of them,
# e.g. the title and one evidence sentence), within the same window.
MIN_SHINGLES = 20
EXACT_MIN_TEXTS = 2
# Evidence sentences listed per pair and period (at most one per article).
TOP_EVIDENCE = 3
# --freq values and their pandas period codes: calendar months; weeks Monday to Sunday.
FREQS = {"M": "M", "W": "W-SUN"}

Rows = Union[str, Path, Iterable[Union[Mapping[str, Any], ArticleScore]]]


@dataclass(frozen=True)
class PairScore:
    """One article's roll-up for one pair, as read from its row."""

    score: float
    weight: float
    n_sentences: int
    evidence: tuple[tuple[str, float], ...]  # (text, sentence score), strongest first per side


@dataclass(frozen=True)
class ScoredArticle:
    """A dated row of ``stance score`` output, reduced to what the timeline needs."""

    id: str
    where: str
    date: datetime
    title: Optional[str]
    pairs: Mapping[str, PairScore]
    texts: tuple[str, ...]  # title and evidence sentences: what near-duplicates are judged on

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- reading -------------------------------------------------------------------------------------
def load_rows(path: Union[str, Path]) -> list[dict[str, Any]]:
    """The rows of a ``stance score`` output file (.jsonl, .csv or .parquet), each with ``_where``."""
    if str(path) == "-":
        raise ValueError("the timeline reads a file, not stdin: write the scores with `stance score INPUT -o "
                         "scored.jsonl` and pass scored.jsonl")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; write it with `stance score INPUT -o {path.name}`")
    if path.suffix in (".jsonl", ".json", ".ndjson"):
        rows = []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name}:{n}: invalid JSON ({exc.msg} at column {exc.colno}); "
                                     "a run that crashed leaves a torn last line: finish it with "
                                     "`stance score ... --resume`") from None
                if not isinstance(row, dict):
                    raise ValueError(f"{path.name}:{n}: expected a JSON object, got {type(row).__name__}")
                row["_where"] = f"{path.name}:{n}"
                rows.append(row)
        return rows
    if path.suffix in (".csv", ".parquet"):
        pd = _pandas()
        frame = pd.read_csv(path, dtype={"id": str}, keep_default_na=False) if path.suffix == ".csv" \
            else pd.read_parquet(path)
        rows = frame.to_dict("records")
        offset = 2 if path.suffix == ".csv" else 1  # CSV: line 1 is the header
        for n, row in enumerate(rows):
            row["_where"] = f"{path.name}:{'' if path.suffix == '.csv' else 'row '}{n + offset}"
        return rows
    raise ValueError(f"{path}: unknown format {path.suffix!r}; give the .jsonl, .csv or .parquet "
                     "that `stance score -o` wrote")


def normalize_pair(pair: Union[str, Sequence[str]]) -> str:
    """'prk-chn' or ('PRK', 'CHN') -> 'CHN-PRK': upper case, codes sorted, as in ``stance score`` rows.

    >>> normalize_pair("prk-chn"), normalize_pair(("PRK", "CHN"))
    ('CHN-PRK', 'CHN-PRK')
    """
    parts = re.split(r"[-_/ ]", pair) if isinstance(pair, str) else [str(c) for c in pair]
    codes = [c.strip().upper() for c in parts if c.strip()]
    if len(codes) != 2 or codes[0] == codes[1] or not all(re.fullmatch(r"[A-Z]{3}", c) for c in codes):
        raise ValueError(f"pair {pair!r}: expected two different ISO 3166 alpha-3 codes like CHN-PRK")
    return "-".join(sorted(codes))


def _json_field(value: Any, name: str, field: str) -> Any:
    """A nested field as JSONL holds it, or parsed from the JSON text CSV and Parquet outputs
    hold; a blank CSV cell (or a missing Parquet value, NaN) is None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    if value.lstrip()[:1] not in "{[":
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name}: {field} is not valid JSON ({exc.msg} at column {exc.colno})") from None


def _is_number(value: Any) -> bool:
    # numbers.Real takes numpy's floats (another tool's Parquet); bool is an int, not a score.
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _evidence(value: Any, name: str) -> list[tuple[str, float]]:
    """(text, score) of an evidence list as written to JSONL (list), CSV (JSON text) or Parquet
    (array); missing (None, a blank CSV cell) -> []. Anything else names ``name``.

    >>> _evidence('[{"text": "Ties soured.", "score": -0.8}]', "row 1")
    [('Ties soured.', -0.8)]
    """
    value = _json_field(value, name, "evidence")
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name}: evidence {value!r} is not a list of sentences with 'text' and 'score'")
    out = []
    for e in value:
        if not isinstance(e, Mapping) or "text" not in e or "score" not in e:
            raise ValueError(f"{name}: evidence item {e!r} is not an object with 'text' and 'score'")
        if not (_is_number(e["score"]) and math.isfinite(e["score"])):
            raise ValueError(f"{name}: evidence score {e['score']!r} is not a number")
        out.append((str(e["text"]), float(e["score"])))
    return out


def parse_articles(rows: Iterable[Mapping[str, Any]],
                   bad_dates: Optional[list[str]] = None) -> tuple[list[ScoredArticle], int]:
    """(dated articles, number of rows without a usable date). A row whose date is not a date
    (the input's own, passed through by ``stance score``) is left out like an undated one and
    named in ``bad_dates``; any other bad row raises ValueError naming it (not a scored file)."""
    articles, undated = [], 0
    for n, row in enumerate(rows, 1):
        where = str(row.get("_where") or f"row {n}")
        rid = row.get("id")
        name = f"{where} (id {rid!r})"
        pairs = _json_field(row.get("pairs"), name, "pairs")
        if not isinstance(pairs, Mapping):
            raise ValueError(f"{name}: no 'pairs' object; is this a `stance score` output row? "
                             f"(fields present: {', '.join(sorted(k for k in row if k != '_where'))})")
        date = row.get("date")
        if date is None or (isinstance(date, float) and math.isnan(date)) or str(date).strip() == "":
            undated += 1
            continue
        stamp, problem = _parse_date(str(date))  # str: pandas reads a bare int as nanoseconds
        if stamp is None:
            undated += 1
            if bad_dates is not None:
                bad_dates.append(f"{name}: date {date!r} {problem}")
            continue
        parsed = {}
        for raw_pair, p in pairs.items():
            try:  # stance writes "CHN-PRK"; another tool's "prk-chn" is the same pair
                pair = normalize_pair(raw_pair)
            except ValueError:
                raise ValueError(f"{name}: pair key {raw_pair!r} is not two different ISO 3166 alpha-3 codes like "
                                 "CHN-PRK (stance score writes them so)") from None
            if pair in parsed:
                raise ValueError(f"{name}: pairs {raw_pair!r} and another key are both {pair}: which one counts?")
            if not isinstance(p, Mapping) or "score" not in p:
                raise ValueError(f"{name}: pair {pair}: expected an object with 'score', got {p!r}")
            if "confidence" not in p:
                raise ValueError(f"{name}: pair {pair} has no 'confidence' (the article's weight in the "
                                 "timeline): the file was written by an older stance; score it again "
                                 "with `stance score INPUT -o SCORED.jsonl --force`")
            for key in ("score", "confidence"):  # stance writes numbers; "0.9" or true is another tool's row
                if not _is_number(p[key]):
                    raise ValueError(f"{name}: pair {pair}: {key} {p[key]!r} is not a number")
            n_sentences = p.get("n", 0)
            if not (_is_number(n_sentences) and float(n_sentences).is_integer() and n_sentences >= 0):
                raise ValueError(f"{name}: pair {pair}: n {n_sentences!r} is not a count of sentences")
            ev = tuple(_evidence(p.get("evidence"), f"{name}: pair {pair}"))
            parsed[pair] = PairScore(float(p["score"]), float(p["confidence"]), int(n_sentences), ev)
            if not (math.isfinite(parsed[pair].weight) and 0 <= parsed[pair].weight <= 1):
                raise ValueError(f"{name}: pair {pair}: confidence {p['confidence']!r} is not a weight in [0, 1]")
            if not (math.isfinite(parsed[pair].score) and -1 <= parsed[pair].score <= 1):
                raise ValueError(f"{name}: pair {pair}: score {p['score']!r} is not in [-1, 1]")
        evidence = _evidence(row.get("evidence"), name)
        title = row.get("title") if isinstance(row.get("title"), str) and row.get("title") else None
        texts = tuple([title] if title else []) + tuple(text for text, _ in evidence)
        articles.append(ScoredArticle(str(rid if rid is not None else where), where, stamp.to_pydatetime(),
                                      title, parsed, texts))
    return articles, undated


# ISO 8601 (2024-06-30, with a time and zone or not), or a date with its month named ("30 June
# 2024", "Mon, 30 Jun 2024 08:00:00 GMT"). Left out, and named: numeric dates other than ISO
# (06/07/2024 is June or July by convention), words pandas would read as the current time
# ("now", "today"), and a year or month alone (no day to place it in a week).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\S.*)?")
_NAMED_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b", re.I)


def _parse_date(text: str) -> tuple[Optional["pd.Timestamp"], Optional[str]]:
    """(the date as a naive UTC timestamp, None), or (None, why it is not taken as a date)."""
    pd = _pandas()
    problem = _date_problem(text)
    if problem is not None:
        return None, problem
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        return None, "is not a date"
    if stamp is pd.NaT:
        return None, "is not a date"
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp, None


def _date_problem(text: str) -> Optional[str]:
    """Why ``text`` is not taken as a date, or None.

    >>> [_date_problem(t) for t in ("2024-06-30", "June 5th, 2024", "06/07/2024", "2024", "Jun 2024 08:00 GMT")]
    [None, None, 'is not an ISO date (YYYY-MM-DD): 06/07 could be day/month or month/day', 'is not a full date (no day)', 'is not a full date (no day)']
    """
    text = text.strip()
    if _ISO_DATE.fullmatch(text):
        return None
    if re.fullmatch(r"\d{4}(?:-\d{2})?", text):
        return "is not a full date (no day)"
    if _NAMED_MONTH.search(text):
        if not re.search(r"\b\d{4}\b", text):
            return "names no year"
        # A day is a number of 1-2 digits ("5", "5th") that is not part of a time of day.
        day = re.search(r"\b\d{1,2}(?:st|nd|rd|th)?\b", re.sub(r"\d{1,2}:\d{2}(?::\d{2})?", " ", text))
        return None if day else "is not a full date (no day)"
    swap = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}", text)
    if swap:
        return f"is not an ISO date (YYYY-MM-DD): {swap.group(1)}/{swap.group(2)} could be day/month or month/day" \
            if int(swap.group(1)) <= 12 and int(swap.group(2)) <= 12 else "is not an ISO date (YYYY-MM-DD)"
    return "is not an ISO date (YYYY-MM-DD)" if re.search(r"\d", text) else "is not a date"


def pair_counts(articles: Iterable[ScoredArticle]) -> Counter:
    """How many articles name each pair."""
    return Counter(pair for a in articles for pair in a.pairs)


# -- near-duplicates -----------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def shingles(texts: Sequence[str]) -> set[tuple[str, ...]]:
    """Word 3-shingles of each text separately (evidence order varies between copies).

    >>> sorted(shingles(["Ties thaw fast now", "Hi"]))
    [('hi',), ('thaw', 'fast', 'now'), ('ties', 'thaw', 'fast')]
    """
    out: set[tuple[str, ...]] = set()
    for text in texts:
        w = _words(text)
        if 0 < len(w) < SHINGLE_WORDS:
            out.add(tuple(w))
        out.update(tuple(w[i : i + SHINGLE_WORDS]) for i in range(len(w) - SHINGLE_WORDS + 1))
    return out


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def duplicate_groups(texts: Sequence[Sequence[str]], dates: Sequence[datetime]) -> list[list[int]]:
    """Groups of indices that are copies of one story; the first of each group is the one kept.

    Items are taken in date order (ties: input order), and each joins the group of an earlier
    kept item when the two are at most DUPLICATE_WINDOW_DAYS apart and their shingle sets (title
    + evidence sentences, see :func:`shingles`) have Jaccard similarity >= DUPLICATE_JACCARD,
    both with at least MIN_SHINGLES shingles; with fewer, only when their normalised texts are
    the same (at least EXACT_MIN_TEXTS of them). Judged against the kept copy, never against a
    copy of it, so reruns of a story week after week do not chain into one group. Only items
    that share a whole normalised title or sentence are compared (so the cost stays near linear).

    >>> s = ("China and North Korea signed a trade deal in Beijing on Monday after years of talks, "
    ...      "officials of both governments said.")
    >>> from datetime import datetime as d
    >>> duplicate_groups([["Deal signed", s], ["Pact", s], [s]], [d(2024, 1, 2), d(2024, 1, 1), d(2024, 3, 1)])
    [[1, 0], [2]]
    """
    sets = [shingles(t) for t in texts]
    norms = [frozenset(k for k in (" ".join(_words(x)) for x in t) if k) for t in texts]
    window = DUPLICATE_WINDOW_DAYS * 86400
    head = list(range(len(texts)))
    heads_by_key: dict[str, list[int]] = {}  # kept items having that text, in date order

    def copies(i: int, h: int) -> bool:
        if len(sets[i]) >= MIN_SHINGLES and len(sets[h]) >= MIN_SHINGLES:
            return jaccard(sets[i], sets[h]) >= DUPLICATE_JACCARD
        return norms[i] == norms[h] and len(norms[i]) >= EXACT_MIN_TEXTS

    ranked = sorted(range(len(texts)), key=lambda i: (dates[i], i))
    order = {i: k for k, i in enumerate(ranked)}
    for i in ranked:
        seen: set[int] = set()
        for key in norms[i]:
            for h in reversed(heads_by_key.get(key, [])):
                if (dates[i] - dates[h]).total_seconds() > window:
                    break  # in date order: the rest are further away
                seen.add(h)
        # Of the kept items it copies, the earliest: the same answer whatever order the texts sort in.
        matches = [h for h in seen if copies(i, h)]
        if matches:
            head[i] = min(matches, key=order.__getitem__)
        else:
            for key in norms[i]:
                heads_by_key.setdefault(key, []).append(i)
    groups: dict[int, list[int]] = {}
    for i in ranked:
        groups.setdefault(head[i], []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


# -- statistics ----------------------------------------------------------------------------------
def weighted_mean(scores: Sequence[float], weights: Sequence[float]) -> float:
    """Sum(w * s) / sum(w); NaN when there is no weight.

    >>> weighted_mean([0.5, -0.1], [0.75, 0.25])
    0.35
    """
    s, w = np.asarray(scores, dtype=float), np.asarray(weights, dtype=float)
    total = w.sum()
    return round(float((w * s).sum() / total), 6) if total > 0 else math.nan


def mean_interval(scores: Sequence[float], weights: Sequence[float], *, level: float = INTERVAL) -> tuple[float, float]:
    """Student t interval of the weighted mean: its standard error from the spread of the
    articles' scores around it, each residual corrected for the article's own pull on the mean
    (HC2: divided by 1 - w / sum w, so one heavy article does not hide the spread), degrees of
    freedom from the effective number of articles, (sum w)^2 / sum w^2, minus one; clipped to
    [-1, 1]. Only articles with weight > 0 count; NaN with fewer than two.

    >>> mean_interval([0.2, 0.2, 0.2], [1, 0.5, 0.1])
    (0.2, 0.2)
    """
    try:
        from scipy.stats import t as student_t  # the timeline extra's; imported when first needed
    except ImportError as exc:
        raise ImportError("the timeline's interval needs scipy: pip install 'stance[timeline]'") from exc

    s, w = np.asarray(scores, dtype=float), np.asarray(weights, dtype=float)
    s, w = s[w > 0], w[w > 0]
    n = len(s)
    if n < 2:
        return math.nan, math.nan
    total = w.sum()
    mean = float((w * s).sum() / total)
    se = math.sqrt(float((w**2 * (s - mean) ** 2 / (1 - w / total)).sum()) / total**2)
    dof = max(total**2 / float((w**2).sum()) - 1, 1.0)
    half = float(student_t.ppf(0.5 + level / 2, dof)) * se
    return round(max(-1.0, mean - half), 6), round(min(1.0, mean + half), 6)


def _top_evidence(members: Sequence[tuple[ScoredArticle, PairScore]], k: int = TOP_EVIDENCE) -> list[dict[str, Any]]:
    """Up to k pair sentences of the period, strongest first by |sentence score| x article weight
    (a strong sentence in a passing mention ranks low): the strongest each way, then the next
    strongest, at most one per article and side.

    >>> a = ScoredArticle("a1", "x:1", datetime(2024, 1, 1), None, {}, ())
    >>> p = PairScore(0.1, 0.5, 3, (("Talks collapsed.", -0.8), ("Both sides met.", 0.4), ("Aid flowed.", 0.3)))
    >>> [(e["text"], e["score"]) for e in _top_evidence([(a, p)])]
    [('Talks collapsed.', -0.8), ('Both sides met.', 0.4)]
    """
    cands: list[tuple[float, dict[str, Any]]] = []
    for a, p in members:
        for side in (-1, 1):
            own = [e for e in p.evidence if (e[1] >= 0) == (side > 0)]
            if own:
                text, score = max(own, key=lambda e: abs(e[1]))
                cands.append((abs(score) * p.weight, {"id": a.id, "date": a.date.date().isoformat(),
                                                       "title": a.title, "text": text, "score": score}))
    cands.sort(key=lambda c: -c[0])
    heads = [next(c for c in cands if (c[1]["score"] >= 0) == up) for up in (False, True)
             if any((c[1]["score"] >= 0) == up for c in cands)]
    chosen = heads + [c for c in cands if c not in heads][: max(0, k - len(heads))]
    return [e for _, e in sorted(chosen, key=lambda c: -c[0])[:k]]


def _effective(weights: Sequence[float]) -> float:
    """Kish's effective number of articles, (sum w)^2 / sum w^2 (0 with no weight)."""
    squares = sum(w * w for w in weights)
    return sum(weights) ** 2 / squares if squares > 0 else 0.0


def _status(n_articles: int, n_weighted: int, weight: float, effective: float) -> str:
    """empty / sparse / ok; the article minimum counts only articles with weight > 0."""
    if n_articles == 0:
        return "empty"
    thin = n_weighted < MIN_ARTICLES or weight < MIN_WEIGHT or effective < MIN_EFFECTIVE_ARTICLES
    return "sparse" if thin else "ok"


# -- the timeline --------------------------------------------------------------------------------
COLUMNS = ["pair", "period", "start", "score", "lo", "hi", "status", "n_articles", "n_duplicates",
           "n_sentences", "weight", "evidence"]


def _bound(value: Any, option: str, end_of_day: bool) -> Optional[datetime]:
    """A since / until date (ISO, or its month named) as a naive UTC datetime; None passes. A
    day with no time of day stands for the whole (UTC) day: its last instant with ``end_of_day``."""
    if value is None:
        return None
    text = str(value).strip()
    stamp, problem = _parse_date(text)
    if stamp is None:
        raise ValueError(f"{option} {value!r} {problem}; e.g. 2024-06-30")
    day_alone = not re.search(r"\d:\d\d|T\d", text)  # "2024-03-01", "1 March 2024"; not "...T00:00"
    if day_alone and end_of_day:
        stamp = stamp.normalize() + _pandas().Timedelta(days=1) - _pandas().Timedelta(microseconds=1)
    return stamp.to_pydatetime()


def _within(articles: list[ScoredArticle], since: Any, until: Any) -> tuple[list[ScoredArticle], int]:
    """(articles dated from ``since`` to ``until``, both days included; how many were outside)."""
    lo, hi = _bound(since, "since", False), _bound(until, "until", True)
    if lo and hi and lo > hi:
        raise ValueError(f"since {since!r} is after until {until!r}")
    kept = [a for a in articles if (lo is None or a.date >= lo) and (hi is None or a.date <= hi)]
    return kept, len(articles) - len(kept)


def _dated(a: ScoredArticle) -> str:
    return f"{a.date.date()}, {a.where} (id {a.id!r})"


def _stray(ordered: Sequence[ScoredArticle], code: str, first: bool, last: bool) -> Optional[ScoredArticle]:
    """The first or last article (of those to check) whose date alone more than doubles the span
    in periods, as a mistyped year does; None when no end is that far out."""
    if len(ordered) < 3:
        return None
    pd = _pandas()

    def periods(a: ScoredArticle, b: ScoredArticle) -> int:
        return (pd.Period(b.date, freq=code) - pd.Period(a.date, freq=code)).n + 1

    whole = periods(ordered[0], ordered[-1])
    if first and 2 * periods(ordered[1], ordered[-1]) < whole:
        return ordered[0]
    if last and 2 * periods(ordered[0], ordered[-2]) < whole:
        return ordered[-1]
    return None


def build_timeline(rows: Rows, pairs: Sequence[Union[str, Sequence[str]]], freq: str = "M", *,
                   since: Any = None, until: Any = None) -> "pd.DataFrame":
    """One row per pair and period, from the first to the last period of the dates (of the
    articles from ``since`` to ``until``, both days included, when given: one article dated
    1970 would otherwise stretch the table back to then).

    Columns: ``pair``, ``period`` (label), ``start`` (first day), ``score`` (weighted mean, see
    the module docstring; NaN when ``empty``), ``lo``/``hi`` (90 % t interval, :func:`mean_interval`;
    NaN unless ``ok``), ``status`` (``ok`` / ``sparse`` / ``empty``), ``n_articles`` (after
    collapsing copies), ``n_duplicates`` (copies collapsed into those articles),
    ``n_sentences`` (sentences on the pair), ``weight`` (summed article weights), ``evidence``
    (up to TOP_EVIDENCE dicts: id, date, title, text, score). ``df.attrs`` holds ``undated``
    (rows skipped for want of a date), ``outside`` (dated rows before ``since`` or after
    ``until``), ``first`` / ``last`` (the dated articles that open and close the span, as
    "2024-01-05, row 3 (id 'x')"), ``stray`` (the first or last article when its date alone more
    than doubles the span, else None) and ``articles_per_pair``.

    ``rows``: a path to ``stance score`` output, its row dicts, or the ArticleScores of
    ``Scorer.pipe`` / ``score_article`` themselves (scored with ``date``). ``pairs``: "CHN-USA" or
    ("CHN", "USA").
    """
    pd = _pandas()
    code = FREQS.get(str(freq).upper())
    if code is None:
        raise ValueError(f"freq {freq!r}: use one of {', '.join(FREQS)} (W = weeks Monday to Sunday, M = months)")
    raw: Sequence[Mapping[str, Any]]
    if isinstance(rows, (str, Path)):
        raw = load_rows(rows)
    else:
        from .batch import output_row  # the rows `stance score` writes

        raw = [output_row(r) if isinstance(r, ArticleScore) else r for r in rows]
    if not raw:
        raise ValueError(f"{rows if isinstance(rows, (str, Path)) else 'the rows given'} holds no scored article")
    bad_dates: list[str] = []
    articles, undated = parse_articles(raw, bad_dates)
    if not articles:
        raise ValueError(f"no dated rows ({undated} rows without a date): score with --date-field naming "
                         "the input's date field, e.g. `stance score voa.jsonl --date-field published -o scored.jsonl`")
    dated_counts = pair_counts(articles)
    articles, outside = _within(articles, since, until)
    where = f"dated from {since or 'the start'} to {until or 'the end'}"
    if not articles:
        raise ValueError(f"no article is {where} ({outside} dated rows outside)")
    counts = pair_counts(articles)
    wanted = _check_pairs(pairs, counts, dated_counts, where)
    ordered = sorted(articles, key=lambda a: a.date)
    span = pd.period_range(ordered[0].date, ordered[-1].date, freq=code)
    stray = _stray(ordered, code, since is None, until is None)

    out = []
    for pair in wanted:
        # Copies are found among the pair's own articles: which other pairs were asked for must
        # not change a pair's numbers (a copy kept for another pair could lack this one).
        relevant = [a for a in articles if pair in a.pairs]
        groups = duplicate_groups([a.texts for a in relevant], [a.date for a in relevant])
        by_period: dict[Any, list[tuple[ScoredArticle, PairScore, int]]] = {}
        for g in groups:
            a = relevant[g[0]]
            by_period.setdefault(pd.Period(a.date, freq=code), []).append((a, a.pairs[pair], len(g) - 1))
        for period in span:
            members = by_period.get(period, [])
            scores = [p.score for _, p, _ in members]
            weights = [p.weight for _, p, _ in members]
            weight = round(float(sum(weights)), 6)
            status = _status(len(members), sum(w > 0 for w in weights), weight, _effective(weights))
            lo, hi = mean_interval(scores, weights) if status == "ok" else (math.nan, math.nan)
            out.append({
                "pair": pair, "period": str(period), "start": period.start_time.date(),
                "score": weighted_mean(scores, weights) if members else math.nan, "lo": lo, "hi": hi,
                "status": status, "n_articles": len(members), "n_duplicates": sum(c for _, _, c in members),
                "n_sentences": sum(p.n_sentences for _, p, _ in members), "weight": weight,
                "evidence": _top_evidence([(a, p) for a, p, _ in members]),
            })
    df = pd.DataFrame(out, columns=COLUMNS)
    df.attrs.update(undated=undated, bad_dates=len(bad_dates), first_bad_date=bad_dates[0] if bad_dates else None,
                    outside=outside, first=_dated(ordered[0]), last=_dated(ordered[-1]),
                    stray=_dated(stray) if stray else None,
                    articles_per_pair={p: counts[p] for p in wanted}, freq=code)
    return df


def _check_pairs(pairs: Sequence[Union[str, Sequence[str]]], counts: Counter, dated: Counter, where: str) -> list[str]:
    """The asked pairs, normalised, each once. ``counts``: articles per pair within since/until;
    ``dated``: per pair among all dated articles (``where`` says the range)."""
    present = ", ".join(f"{p} ({n})" for p, n in counts.most_common(12))
    more = f" and {len(counts) - 12} more" if len(counts) > 12 else ""
    if isinstance(pairs, str):
        pairs = [pairs]
    if not pairs:
        raise ValueError(f"name at least one pair, e.g. --pair {counts.most_common(1)[0][0]}; "
                         f"pairs in the file (articles): {present}{more}")
    wanted = []
    for raw in pairs:
        pair = normalize_pair(raw)
        if pair not in counts and pair in dated:
            raise ValueError(f"pair {raw!r} is in no article {where} ({dated[pair]} dated articles outside)")
        if pair not in counts:
            raise ValueError(f"pair {raw!r} is in no dated article; pairs in the file (articles): {present}{more}")
        if pair not in wanted:
            wanted.append(pair)
    return wanted


def write_csv(df: "pd.DataFrame", path: Union[str, Path], *, force: bool = False) -> Path:
    """Write the timeline as CSV (evidence as JSON text); refuses to overwrite without ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force (force=True) to overwrite")
    flat = df.copy()
    flat["evidence"] = [json.dumps(e, ensure_ascii=False) for e in flat["evidence"]]
    flat.to_csv(path, index=False)
    return path


def summary_lines(df: "pd.DataFrame") -> list[str]:
    """One line per pair: articles, copies collapsed, periods by status."""
    lines = []
    for pair, g in df.groupby("pair", sort=False):
        st = g["status"].value_counts()
        lines.append(f"{pair}: {int(g['n_articles'].sum())} articles ({int(g['n_duplicates'].sum())} copies "
                     f"collapsed) over {len(g)} periods: {st.get('ok', 0)} ok, {st.get('sparse', 0)} sparse, "
                     f"{st.get('empty', 0)} empty")
    if df.attrs.get("stray"):
        lines.append(f"one article alone stretches the periods to its date: {df.attrs['stray']} (the dates run "
                     f"from {df.attrs['first']} to {df.attrs['last']}); if its date is wrong, --since / --until "
                     "(since=, until=) leave it out")
    if df.attrs.get("outside"):
        lines.append(f"{df.attrs['outside']} dated rows outside --since / --until (since=, until=) were left out")
    if df.attrs.get("undated"):
        bad = df.attrs.get("bad_dates", 0)
        lines.append(f"{df.attrs['undated']} rows without a date were left out"
                     + (f" ({bad} with one that is not a date; first: {df.attrs['first_bad_date']}; give ISO dates "
                        "like 2024-06-30)" if bad else ""))
    return lines


def _pandas():
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("the timeline needs pandas, matplotlib and scipy: pip install 'stance[timeline]'") from exc
    return pd
