"""stance: is the relationship between two countries warming or cooling? Sentence-level
scores from a fine-tuned transformer, rolled up per article and per pair, with evidence.

>>> import stance                                          # doctest: +SKIP
>>> stance.load().score_article(text).to_dict()            # doctest: +SKIP
"""

from .actors import article_actors, find_actors
from .backends import Int8Refused
from .batch import BatchSummary, score_files
from .model_dir import LABELS, ModelDirError
from .plot import plot_timeline
from .results import Actor, ArticleScore, ClauseScore, DyadScore, SentenceScore
from .scorer import Article, Scorer, load
from .segment import Span, split_sentences
from .timeline import build_timeline

__all__ = [
    "load", "Scorer", "Article", "ArticleScore", "SentenceScore", "ClauseScore", "DyadScore", "Actor",
    "LABELS", "ModelDirError", "Int8Refused", "split_sentences", "Span", "find_actors", "article_actors",
    "score_files", "BatchSummary", "build_timeline", "plot_timeline", "__version__",
]
__version__ = "0.1.0"
