"""Mean pooling (stance/pooling.py): the metadata's pooling is what every backend runs."""

import sys

import numpy as np
import pytest

import stance
from conftest import ROOT, tiny_model_with
from stance.model_dir import ModelDirError

torch = pytest.importorskip("torch")
sys.path.insert(0, str(ROOT / "training"))

TEXTS = ["Relations thawed after the summit.", "He spoke.",
         "Pyongyang was not at the talks in Seoul with the United States and Russia on sanctions and peace."]


@pytest.fixture(scope="module")
def mean_dir(tiny_model_dir, tmp_path_factory):
    return tiny_model_with(tmp_path_factory.mktemp("mean") / "model", source=tiny_model_dir, pooling="mean")


def test_mean_pooling_averages_the_unpadded_tokens(mean_dir):
    from transformers import AutoModelForSequenceClassification

    from stance.pooling import sentence_logits

    model = AutoModelForSequenceClassification.from_pretrained(str(mean_dir)).eval()
    ids = torch.tensor([[2, 10, 11, 3, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0]])
    with torch.inference_mode():
        got = sentence_logits(model, ids, mask, "mean")
        hidden = model.bert(input_ids=ids[:, :4], attention_mask=mask[:, :4]).last_hidden_state
        want = model.classifier(hidden.mean(dim=1))
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)


def test_torch_backend_runs_the_pooling_the_metadata_names(tiny_model_dir, mean_dir):
    cls = stance.load(tiny_model_dir, backend="torch").backend.logits(TEXTS)
    mean = stance.load(mean_dir, backend="torch").backend.logits(TEXTS)
    assert not np.allclose(cls, mean, atol=1e-3)  # same weights, another sentence vector
    alone = np.concatenate([stance.load(mean_dir, backend="torch").backend.logits([t]) for t in TEXTS])
    np.testing.assert_allclose(mean, alone, atol=1e-5)  # padding beside a sentence changes nothing


def test_onnx_export_holds_the_pooling(mean_dir, tmp_path):
    pytest.importorskip("onnxruntime")
    import shutil

    import export_onnx

    path = tmp_path / "model"
    shutil.copytree(mean_dir, path)
    export_onnx.export(path)
    torch_logits = stance.load(path, backend="torch").backend.logits(TEXTS)
    onnx_logits = stance.load(path, backend="onnx-fp32").backend.logits(TEXTS)
    np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4)


def test_unknown_pooling_is_refused(tiny_model_dir, tmp_path):
    path = tiny_model_with(tmp_path / "model", source=tiny_model_dir, pooling="max")
    with pytest.raises(ModelDirError, match="pooling 'max'.*cls, mean"):
        stance.load(path, backend="torch")
