"""Sentence context: let the model read a sentence with the one before it.

The team labels each sentence read in its article, and many real-article sentences carry no
direction on their own ("Beijing denies the allegations."; "We've been assisted four times").
A context model reads the sentence, then ``[SEP]``, then the start of the sentence before it
(the title for an article's first sentence). The sentence comes first so that truncation
at the model's length limit cuts the context, never the sentence itself. The scorer does this
for a model trained so (``"context"`` in its metadata, ``training/train.py --context``):

>>> with_context("Beijing denies the allegations.", "Seoul accused Beijing of spying on its navy.")
'Beijing denies the allegations. [SEP] Seoul accused Beijing of spying on its navy.'
>>> article_contexts("Seoul and Beijing spar", ["A.", "B."])
['Seoul and Beijing spar', 'A.']
"""

from __future__ import annotations

from typing import Optional, Sequence

__all__ = ["CONTEXT_SCHEME", "with_context", "article_contexts"]

# Written to a context model's metadata ("context"); the scorer adds context only for a model
# trained on this scheme.
CONTEXT_SCHEME = "prev-sentence-v1"
SEP = " [SEP] "
# Words of context kept: enough for the subject and verb of the previous sentence (who denied
# or accused what) while capping the extra tokens each sentence costs.
MAX_CONTEXT_WORDS = 32


def with_context(sentence: str, context: Optional[str]) -> str:
    """The model input for ``sentence`` read after ``context`` (the sentence alone without one)."""
    words = (context or "").split()
    return sentence + SEP + " ".join(words[:MAX_CONTEXT_WORDS]) if words else sentence


def article_contexts(title: Optional[str], sentences: Sequence[str]) -> list[str]:
    """Each sentence's context: the sentence before it, the title (or nothing) for the first."""
    return [(title or "") if i == 0 else sentences[i - 1] for i in range(len(sentences))]
