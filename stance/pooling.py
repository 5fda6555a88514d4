"""How a sentence model turns its token vectors into the one vector its classifier reads.

``cls`` is what ``BertForSequenceClassification`` does (the first token through BERT's pooler);
``mean`` averages the token vectors under the attention mask, the pooling all-MiniLM-L6-v2 and
all-mpnet-base-v2 were trained with as sentence encoders, then applies the model's own head. A model
directory says which in ``stance.json`` (``"pooling"``; absent means ``cls``). The ONNX exports
hold the pooling inside the graph, so only the torch backend and training read this module.

>>> pooling_of({"pooling": "mean"})
'mean'
"""

from __future__ import annotations

from typing import Any

__all__ = ["POOLINGS", "pooling_of", "sentence_logits"]

POOLINGS = ("cls", "mean")


def pooling_of(meta: dict[str, Any]) -> str:
    """The pooling a model's metadata names; an unknown one is refused."""
    pooling = meta.get("pooling", "cls")
    if pooling not in POOLINGS:
        from .model_dir import ModelDirError

        raise ModelDirError(f"stance.json names pooling {pooling!r}; this stance knows {', '.join(POOLINGS)}. Upgrade stance")
    return pooling


def sentence_logits(model: Any, input_ids: Any, attention_mask: Any, pooling: str = "cls") -> Any:
    """Logits (torch tensor) of a ``*ForSequenceClassification`` model under the given pooling."""
    if pooling == "cls":
        return model(input_ids=input_ids, attention_mask=attention_mask).logits
    head = getattr(model, "classifier", None)
    if head is None:
        raise ValueError(f"{type(model).__name__} has no classifier head; train it with pooling 'cls'")
    hidden = model.base_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
    if hasattr(head, "out_proj"):  # RoBERTa / MPNet heads read the first position of a sequence
        return head(pooled.unsqueeze(1))
    return head(model.dropout(pooled))  # BERT: dropout, then one linear layer
