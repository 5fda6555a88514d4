"""The Scorer: sentences in, warming / cooling / neutral probabilities and article roll-ups out.

>>> import stance                                             # doctest: +SKIP
>>> scorer = stance.load()                                    # doctest: +SKIP
>>> scorer.score_article("Ties between Seoul and Tokyo thawed.").label  # doctest: +SKIP
'warming'
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

from . import rollup
from .actors import article_actors, find_actors, sentence_pairs
from .backends import Backend, load_backend, softmax
from .clauses import clause_pairs, split_clauses
from .context import CONTEXT_SCHEME, article_contexts, with_context
from .marking import PAIR_MARKING, mark_pair
from .model_dir import LABELS, default_model_path, read_metadata
from .results import Actor, ArticleScore, ClauseScore, DyadScore, SentenceScore
from .segment import Span, split_sentences

__all__ = ["Scorer", "load", "Article", "group_articles"]

# Sentences per forward pass. Larger batches amortise Python overhead; 64 short news
# sentences fit comfortably in cache on a laptop CPU.
DEFAULT_BATCH_SIZE = 64
# A batch of long sentences is cut shorter: at most this many characters, counted as its longest
# text times its count, so that two batches running at once do not hold two 64 x 128-token sets
# of activations. `python benchmarks/speed.py` on 2 threads (2026-12-03): int8 end to end peak
# RSS 258 MB with this cap, 467 MB without (--max-batch-chars 1000000); sentences/s the same
# within noise (304 and 312).
MAX_BATCH_CHARS = 4000
# pipe() gathers this many batches' worth of sentences across articles before sorting them by
# length: a wider window pads less (sentences of similar length share a batch) for a few
# hundred more sentences held in memory.
SORT_WINDOW_BATCHES = 16


@dataclass(frozen=True)
class Article:
    """An input article for :meth:`Scorer.pipe`. Plain strings and dicts are accepted too."""

    text: str
    id: Optional[str] = None
    title: Optional[str] = None
    date: Optional[str] = None


ArticleLike = Union[str, Article, Mapping[str, Any]]


def unicode_problem(text: str) -> Optional[str]:
    """Why ``text`` cannot be encoded as UTF-8 (an unpaired surrogate, as a broken JSON ``\\ud800``
    escape yields), or None. The tokenizer and every output file need valid Unicode.

    >>> unicode_problem("Ties \\ud800 soured.")
    'holds an unpaired surrogate (U+D800) at character 5, not valid Unicode (often a broken \\\\u escape in JSON); repair or drop it'
    """
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"holds an unpaired surrogate (U+{ord(text[exc.start]):04X}) at character {exc.start}, not valid "
                "Unicode (often a broken \\u escape in JSON); repair or drop it")
    return None


def _check_text(text: object, what: str) -> str:
    if isinstance(text, str):
        problem = unicode_problem(text)
        if problem:
            raise ValueError(f"{what} {problem}")
        return text
    if isinstance(text, (bytes, bytearray)):
        raise TypeError(f"{what} is bytes; decode it first, e.g. data.decode('utf-8')")
    if text is None:
        raise TypeError(f"{what} is None; pass the article text as a str")
    raise TypeError(f"{what} must be a str, not {type(text).__name__}")


def _optional_str(value: object, what: str) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, str):
        return _check_text(value, what)
    raise TypeError(f"{what} must be a str or None, not {type(value).__name__}")


def _article(text: object, rid: object, title: object, date: object, name: str) -> Article:
    # An id may be any scalar (a row number, say); it is kept as its str, as the batch command does.
    rid = None if rid is None else _check_text(str(rid), f"{name}: id")
    return Article(_check_text(text, f"{name}: text"), rid, _optional_str(title, f"{name}: title"),
                   _optional_str(date, f"{name}: date"))


def as_article(item: ArticleLike, index: int = 0) -> Article:
    """Normalise a str / dict / Article into an Article, with a TypeError or ValueError naming the record."""
    if isinstance(item, Article):
        return _article(item.text, item.id, item.title, item.date, f"article {item.id if item.id is not None else index}")
    if isinstance(item, str):
        return Article(_check_text(item, f"article {index}: text"))
    if isinstance(item, Mapping):
        rid = item.get("id")
        name = f"article {rid if rid is not None else index}"
        if "text" not in item:
            raise TypeError(f"{name} has no field 'text' (fields: {', '.join(map(str, item)) or 'none'})")
        return _article(item["text"], rid, item.get("title"), item.get("date"), name)
    raise TypeError(f"article {index} must be a str, a dict with a 'text' field, or stance.Article; "
                    f"got {type(item).__name__}")


def _not_one_str(texts: object, what: str) -> None:
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{what} takes a list of texts, not one {type(texts).__name__}; wrap it: [text]")


def _check_batch_size(batch_size: object) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: give a whole number >= 1 (default {DEFAULT_BATCH_SIZE})")
    return batch_size


def _dedupe_key(text: str) -> str:
    return " ".join(text.split()).lower()


class Scorer:
    """Scores sentences and articles with a fine-tuned stance model.

    Build one with :func:`stance.load` or :meth:`Scorer.from_pretrained`.
    """

    def __init__(self, backend: Backend, meta: dict[str, Any], path: Path):
        self.backend = backend
        self.meta = meta
        self.path = path
        self.temperature = float(meta["temperature"])
        marking = meta.get("pair_marking")
        if marking not in (None, PAIR_MARKING):
            raise ValueError(f"{path}: stance.json pair_marking {marking!r} is not one this version reads "
                             f"({PAIR_MARKING!r}); upgrade stance or use a model without pair marking")
        # A pair-marked model reads each pair of a sentence with that pair's mentions marked;
        # otherwise sentences naming several states are cut into clauses (stance.clauses).
        self.pair_marked = marking is not None
        context = meta.get("context")
        if context not in (None, CONTEXT_SCHEME):
            raise ValueError(f"{path}: stance.json context {context!r} is not one this version reads "
                             f"({CONTEXT_SCHEME!r}); upgrade stance or use a model without context")
        # A context model reads each article sentence after the one before it (stance.context).
        self.context = context is not None
        order = list(meta["labels"])
        self._columns = [order.index(label) for label in LABELS]  # model order -> LABELS order

    def __repr__(self) -> str:
        # Which graph runs matters for speed and for the last digits (int8 vs fp32; uint8 or VNNI view).
        graph = getattr(self.backend, "file", None)
        return (f"Scorer({str(self.path)!r}, backend={self.backend.name!r}, precision={self.backend.precision!r}"
                + (f", graph={graph!r}" if graph else "") + ")")

    @classmethod
    def from_pretrained(cls, path: Union[str, Path, None] = None, *, backend: str = "auto",
                        threads: Optional[int] = None) -> "Scorer":
        """Load a model directory (default: the shipped model). Fails loudly if it is incomplete."""
        path = Path(path) if path is not None else default_model_path()
        meta = read_metadata(path)
        return cls(load_backend(path, meta, backend=backend, threads=threads), meta, path)

    def save_pretrained(self, path: Union[str, Path]) -> None:
        """Copy the model directory (weights, tokenizer, metadata) to ``path``."""
        import shutil

        shutil.copytree(self.path, path, dirs_exist_ok=False)

    # -- sentences -----------------------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        """Calibrated probabilities, shape (n, 3), columns in ``stance.LABELS`` order.

        Texts are sorted by length so each batch pads little; rows come back in input order. A
        text given more than once is run through the model once.
        """
        _not_one_str(texts, "predict_proba")
        _check_batch_size(batch_size)
        texts = [_check_text(t, f"text {i}") for i, t in enumerate(texts)]
        # News repeats itself (bylines, boilerplate, a wire story pasted twice): each distinct text
        # is scored once and its row copied (scores do not depend on the batch, to 1e-6).
        first: dict[str, int] = {}
        where = np.fromiter((first.setdefault(t, len(first)) for t in texts), dtype=np.int64, count=len(texts))
        if len(first) < len(texts):
            return self._predict_distinct(list(first), batch_size)[where]
        return self._predict_distinct(texts, batch_size)

    def _predict_distinct(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        # A call with fewer than `workers` batches is cut finer, so that no worker sits idle.
        size = max(1, min(batch_size, -(-len(order) // self.backend.workers)))
        chunks = _chunks(order, [len(t) for t in texts], size, MAX_BATCH_CHARS)
        for idx, logits in zip(chunks, self.backend.logits_many([[texts[i] for i in idx] for idx in chunks])):
            out[idx] = softmax(logits, self.temperature)[:, self._columns]
        return out

    def score_sentences(self, texts: Iterable[str], *, batch_size: int = DEFAULT_BATCH_SIZE) -> list[SentenceScore]:
        """Score each text as one sentence, read as given (no segmentation, no clause cuts, no
        context). Offsets are 0..len(text); ``actors`` are the states it names and ``pairs``
        every pair of them (none when it names fewer than two: there is no article to pair with).

        >>> [s.pairs for s in stance.load().score_sentences(["China and Japan signed a pact."])]  # doctest: +SKIP
        [(('CHN', 'JPN'),)]
        """
        _not_one_str(texts, "score_sentences")
        texts = [_check_text(t, f"sentence {i}") for i, t in enumerate(texts)]
        probs = self.predict_proba(texts, batch_size=batch_size)
        out = []
        for t, p in zip(texts, probs):
            actors = find_actors(t)
            out.append(_sentence(Span(t, 0, len(t)), p, actors, sentence_pairs([a.code for a in actors], None)))
        return out

    # -- articles ------------------------------------------------------------------------------
    def score_article(self, text: str, *, title: Optional[str] = None, date: Optional[str] = None,
                      id: Optional[str] = None) -> ArticleScore:
        """Segment, score and roll up one article."""
        return next(self.pipe([_article(text, id, title, date, "article" if id is None else f"article {id!r}")]))

    def pipe(self, articles: Iterable[ArticleLike], *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[ArticleScore]:
        """Stream ArticleScores in input order, batching sentences across articles.

        Articles are read lazily: at most about ``batch_size * SORT_WINDOW_BATCHES`` sentences
        (plus one article) are held at a time, so an endless stream scores in bounded memory.
        A bad item (no text, not a str, invalid Unicode) raises TypeError or ValueError naming it,
        after every article before it has been yielded; to skip and log bad records instead,
        use :func:`stance.score_files` or ``stance score``.
        """
        _not_one_str(articles, "pipe")  # here, not in the generator: refused when pipe() is called
        _check_batch_size(batch_size)
        return self._pipe(articles, batch_size)

    def _pipe(self, articles: Iterable[ArticleLike], batch_size: int) -> Iterator[ArticleScore]:
        for group in group_articles(articles, batch_size):
            yield from self._score_pending(group, batch_size)

    def _score_pending(self, pending: list[tuple[Article, list[Span]]], batch_size: int) -> Iterator[ArticleScore]:
        # One model call for the whole group: its sentences and the clauses of those that name
        # several states, so clause scoring rides in the same length-sorted batches.
        plans = [_Plan(article, spans, self.pair_marked, self.context) for article, spans in pending]
        texts = [t for plan in plans for t in plan.texts]
        probs = self.predict_proba(texts, batch_size=batch_size) if texts else np.zeros((0, 3))
        offset = 0
        for plan in plans:
            yield plan.build(probs[offset : offset + len(plan.texts)])
            offset += len(plan.texts)


def group_articles(articles: Iterable[ArticleLike], batch_size: int = DEFAULT_BATCH_SIZE,
                   window: int = SORT_WINDOW_BATCHES) -> Iterator[list[tuple[Article, list[Span]]]]:
    """The groups that :meth:`Scorer.pipe` scores together: articles in order, each group closed
    once it holds ``batch_size * window`` sentences. Another engine that scores the same groups
    gets the same batches (the backends are batch-invariant to about 1e-6 anyway).

    >>> [len(g) for g in group_articles(["One. Two.", "Three.", "Four. Five."], batch_size=3, window=1)]
    [2, 1]
    """
    pending: list[tuple[Article, list[Span]]] = []
    n_sentences = 0
    for index, item in enumerate(articles):
        try:
            article = as_article(item, index)
        except (TypeError, ValueError):
            if pending:  # the articles before a bad one are still scored and yielded
                yield pending
            raise
        spans = split_sentences(article.text)
        pending.append((article, spans))
        n_sentences += len(spans)
        if n_sentences >= batch_size * window:
            yield pending
            pending, n_sentences = [], 0
    if pending:
        yield pending


def _chunks(order: list[int], lengths: list[int], size: int, char_budget: int) -> list[list[int]]:
    """Cut ``order`` (indexes sorted by length) into batches of at most ``size`` texts and at most
    ``char_budget`` characters, counted as the batch's longest text times its count (a text
    longer than the budget gets a batch of its own).

    >>> _chunks([0, 1, 2, 3], [10, 10, 30, 60], size=3, char_budget=60)
    [[0, 1], [2], [3]]
    """
    chunks: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and (len(cur) == size or (len(cur) + 1) * lengths[i] > char_budget):
            chunks.append(cur)
            cur = []
        cur.append(i)
    if cur:
        chunks.append(cur)
    return chunks


def _scores(p: np.ndarray) -> dict[str, Any]:
    """probs (rounded, LABELS order), score = P(warming) - P(cooling) and label, for one text."""
    probs = {label: round(float(v), 6) for label, v in zip(LABELS, p)}
    return {"probs": probs, "score": round(probs["warming"] - probs["cooling"], 6), "label": LABELS[int(np.argmax(p))]}


def _sentence(span: Span, p: np.ndarray, actors=(), pairs=(), duplicate: bool = False, clauses=()) -> SentenceScore:
    return SentenceScore(text=span.text, start=span.start, end=span.end, **_scores(p), actors=tuple(actors),
                         pairs=tuple(pairs), duplicate=duplicate, clauses=tuple(clauses))


def _rollup(sentences: Sequence[SentenceScore]) -> tuple[float, str, float]:
    counted = [s for s in sentences if not s.duplicate]
    directions = [s.score for s in counted]
    relevances = [rollup.relevance(s.probs["neutral"]) for s in counted]
    score = rollup.rollup_score(directions, relevances)
    return score, rollup.article_label(score, directions, relevances), rollup.confidence(relevances)


Predict = Callable[[Sequence[str]], np.ndarray]


class _Plan:
    """An article segmented, with its actors found and the texts the model must score: every
    sentence, then for the sentences that name several states their clauses or, for a
    pair-marked model, one marked copy per pair."""

    def __init__(self, article: Article, spans: Sequence[Span], pair_marked: bool = False, context: bool = False):
        self.article, self.spans = article, list(spans)
        self.actors, self.main = article_actors([s.text for s in spans], title=article.title, date=article.date,
                                                offsets=[s.start for s in spans])
        self.cuts = [_cuts(span, acts) for span, acts in zip(self.spans, self.actors)]
        # A pair-marked model reads one marked copy per pair of a sentence that has no clause cut.
        self.marked = [_named_pairs(acts) if pair_marked and not cut else ()
                       for acts, cut in zip(self.actors, self.cuts)]
        sents = [s.text for s in self.spans]
        extra, owner = [], list(range(len(sents)))  # extra: in sentence order, a sentence's clauses or marked copies
        for i, (span, acts, cut, pairs) in enumerate(zip(self.spans, self.actors, self.cuts, self.marked)):
            more = [span.text[a:b] for a, b in cut] + [mark_pair(span.text, acts, pair, span.start) for pair in pairs]
            extra += more
            owner += [i] * len(more)
        self.texts = sents + extra
        if context:  # every input of a sentence (its clauses, marked copies too) after the sentence before it
            contexts = article_contexts(article.title, sents)
            self.texts = [with_context(t, contexts[i]) for t, i in zip(self.texts, owner)]

    def build(self, probs: np.ndarray) -> ArticleScore:
        n = len(self.spans)
        clause_probs = iter(probs[n:])
        seen: set[str] = set()
        sentences = []
        for span, p, acts, cut, marked in zip(self.spans, probs[:n], self.actors, self.cuts, self.marked):
            key = _dedupe_key(span.text)
            duplicate = key in seen
            seen.add(key)
            clauses = tuple(_clause(span, a, b, next(clause_probs), pairs)
                            for (a, b), pairs in zip(cut, clause_pairs(acts, span.start, cut, self.main)))
            # A pair-marked view is the whole sentence as that pair reads it.
            clauses += tuple(_clause(span, 0, len(span.text), next(clause_probs), (pair,)) for pair in marked)
            if clauses:
                # The pairs a cut sentence speaks to are those some clause names together.
                pairs = tuple(sorted({pair for c in clauses for pair in c.pairs}))
            else:
                pairs = sentence_pairs([a.code for a in acts], self.main)
            sentences.append(_sentence(span, p, acts, pairs, duplicate, clauses))
        score, label, conf = _rollup(sentences)
        return ArticleScore(id=self.article.id, score=score, label=label, confidence=conf,
                            sentences=tuple(sentences), evidence=rollup.evidence(sentences, label),
                            dyads=_dyads(sentences, self.main), title=self.article.title, date=self.article.date,
                            main_pair=self.main)


def _named_pairs(actors: Sequence[Actor]) -> tuple[tuple[str, str], ...]:
    """Every pair of the states a sentence names (none when it names fewer than two)."""
    codes = {a.code for a in actors}
    return sentence_pairs(sorted(codes), None) if len(codes) >= 2 else ()


def _cuts(span: Span, actors: Sequence[Actor]) -> list[tuple[int, int]]:
    """Clause spans (within the sentence) of a sentence naming two or more states, or []."""
    if len({a.code for a in actors}) < 2:
        return []
    cut = split_clauses(span.text)
    return cut if len(cut) > 1 else []


def _clause(span: Span, a: int, b: int, p: np.ndarray, pairs) -> ClauseScore:
    return ClauseScore(text=span.text[a:b], start=span.start + a, end=span.start + b, **_scores(p), pairs=tuple(pairs))


def build_article(article: Article, spans: Sequence[Span], predict: Predict, pair_marked: bool = False,
                  context: bool = False) -> ArticleScore:
    """Score one segmented article with ``predict`` (texts -> probabilities in LABELS order,
    e.g. ``Scorer.predict_proba``), attach actors and pairs, and roll up the article and each pair.
    ``pair_marked``: the model reads pair-marked copies (``Scorer.pair_marked``); ``context``:
    it reads each sentence after the one before it (``Scorer.context``)."""
    plan = _Plan(article, spans, pair_marked, context)
    probs = predict(plan.texts) if plan.texts else np.zeros((0, 3))
    return plan.build(np.asarray(probs))


def _dyads(sentences: Sequence[SentenceScore], main: Optional[tuple[str, str]]) -> tuple[DyadScore, ...]:
    by_pair: dict[tuple[str, str], list[SentenceScore]] = defaultdict(list)
    for s in sentences:
        for pair in s.pairs:
            by_pair[pair].append(s.for_pair(pair))  # a cut sentence counts with its clauses' score
    dyads = []
    for pair, members in by_pair.items():
        score, label, conf = _rollup(members)
        dyads.append(DyadScore(pair, score, label, conf, sum(not s.duplicate for s in members),
                               rollup.evidence(members, label)))
    dyads.sort(key=lambda d: (d.pair != main, -d.n_sentences, d.pair))
    return tuple(dyads)


def load(path: Union[str, Path, None] = None, *, backend: str = "auto", threads: Optional[int] = None) -> Scorer:
    """Load a stance model: the shipped one by default.

    ``backend``: "auto" (ONNX Runtime if the model ships an ONNX file and onnxruntime is
    installed, else PyTorch), "onnx" (the int8 export if the model ships one and it passes its
    self-check on this CPU, else fp32 with a warning), "onnx-int8" (int8 or an error),
    "onnx-fp32" (matches torch to 1e-4) or "torch".
    ``threads``: CPU threads for inference (default: all this process may use). ONNX Runtime
    runs that many batches at once, one thread each; torch spreads each batch over them.
    """
    return Scorer.from_pretrained(path, backend=backend, threads=threads)

