"""Fixtures: a tiny randomly initialised model directory (fast, no shipped weights needed)."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest

from stance.model_dir import FORMAT_VERSION, LABELS, write_metadata

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "data" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []

_WORDS = """the a of and to in on with for by at from as is are was were has have had be not no
relations ties talks agreed signed met visit sanctions attack war peace trade deal troops border
china north korea south seoul beijing pyongyang u.s. united states russia ukraine thaw chill""".split()


def make_tiny_model(path: Path, *, seed: int = 0) -> Path:
    """A 1-layer BERT with a word-piece vocabulary of a few hundred tokens, random weights."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + _WORDS + list(string.ascii_lowercase + string.digits)
    vocab += ["##" + c for c in string.ascii_lowercase + string.digits]
    vocab = list(dict.fromkeys(vocab))
    tok = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    path.mkdir(parents=True, exist_ok=True)
    tok.save(str(path / "tokenizer.json"))
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=256,
                        id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)})
    BertForSequenceClassification(config).save_pretrained(str(path), safe_serialization=True)
    write_metadata(path, {"format_version": FORMAT_VERSION, "labels": list(LABELS), "base_model": "tiny-random",
                          "max_length": 128, "temperature": 1.0, "data_hash": "none", "metrics": {}})
    return path


def tiny_model_with(path: Path, *, seed: int = 0, source: Path | None = None, **meta) -> Path:
    """A tiny model at ``path`` (new, or a copy of ``source``) whose stance.json also holds ``meta``."""
    import shutil

    from stance.model_dir import read_metadata, write_metadata

    if source is None:
        make_tiny_model(path, seed=seed)
    else:
        shutil.copytree(source, path)
    write_metadata(path, {**read_metadata(path), **meta})
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_scorer(tiny_model_dir):
    import stance

    return stance.load(tiny_model_dir, backend="torch")


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
