"""training/qat.py: its fake-quantised forward is the int8 graph's arithmetic, and a run end to end."""

import json
import sys

import numpy as np
import pytest

import stance
from conftest import ROOT, tiny_model_with

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
sys.path.insert(0, str(ROOT / "training"))
from test_int8 import TEXTS  # noqa: E402  the int8 export's own test sentences


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from datasets import Dataset, DatasetDict

    rows = [{"text": f"{t} {i}", "source": "voa_team" if i % 2 else "plover", "label": ("warming", "cooling", "neutral")[i % 3]}
            for i in range(40) for t in TEXTS]
    path = tmp_path_factory.mktemp("data") / "dataset"
    DatasetDict({"train": Dataset.from_list(rows), "dev": Dataset.from_list(rows[:30])}).save_to_disk(str(path))
    (path / "TRAIN_HASH").write_text("none\n")  # the tiny model's data_hash
    return path


def test_fake_quantised_forward_computes_what_the_int8_graph_computes(tmp_path, data, monkeypatch):
    import export_onnx
    import onnxruntime as ort
    import torch
    from datasets import load_from_disk
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import qat
    from stance.backends import _encode, _tokenizer

    model_dir = tiny_model_with(tmp_path / "model")
    # Random init gives logits near 0.01, where rounding barely shows: scale the head up.
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), dtype=torch.float32)
    with torch.no_grad():
        model.classifier.weight.mul_(300)
    model.save_pretrained(str(model_dir), safe_serialization=True)
    train = sorted(set(load_from_disk(str(data))["train"]["text"]))
    # Both calibrate on every training sentence, so the SmoothQuant factors are the same.
    monkeypatch.setattr(export_onnx, "CALIBRATION_SENTENCES", len(train))
    monkeypatch.setattr(export_onnx, "CHECK_SENTENCES", 8)
    export_onnx.export(model_dir, int8=True, dataset=data)
    ids, mask = _encode(_tokenizer(model_dir, 128), TEXTS)
    onnx_int8 = ort.InferenceSession(str(model_dir / "model.int8.onnx"), providers=["CPUExecutionProvider"]).run(
        None, {"input_ids": ids, "attention_mask": mask})[0]

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    groups = qat.wrap(model)
    assert len(groups) == 4 and len(groups[0]) == 3  # one layer: Q/K/V together, attention out, FFN in, FFN out
    qat.calibrate(model, tok, groups, train, 128)
    enc = tok(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        fp32 = model(**enc).logits.numpy()
        qat.set_active(groups, True)
        fake = model(**enc).logits.numpy()
    quant_error = np.abs(onnx_int8 - fp32).mean()
    assert quant_error > 1e-5  # the int8 graph does round
    assert np.abs(fake - onnx_int8).mean() < 0.05 * quant_error
    qat.set_active(groups, False)
    qat.unwrap(model)
    with torch.no_grad():
        assert np.array_equal(model(**enc).logits.numpy(), fp32)


def test_qat_run_writes_a_model_that_loads(tmp_path, data):
    import qat

    start = tiny_model_with(tmp_path / "start")
    out = tmp_path / "out"
    qat.main([str(start), "--out", str(out), "--dataset", str(data), "--epochs", "1", "--stochastic"])
    meta = json.loads((out / "stance.json").read_text())
    assert meta["qat_command"].startswith("python training/qat.py") and meta["data_hash"] == "none"
    assert meta["temperature"] > 0 and meta["metrics"] == {}
    assert stance.load(out, backend="torch").predict_proba(TEXTS).shape == (len(TEXTS), 3)
    with pytest.raises(SystemExit, match="exists; pass --force"):
        qat.main([str(start), "--out", str(out), "--dataset", str(data)])


def test_qat_refuses_a_dataset_the_model_was_not_trained_on(tmp_path, data):
    import qat

    start = tiny_model_with(tmp_path / "start", data_hash="0123456789abcdef")
    with pytest.raises(SystemExit, match="not the dataset"):
        qat.main([str(start), "--out", str(tmp_path / "out"), "--dataset", str(data)])
