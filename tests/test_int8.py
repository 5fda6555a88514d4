"""The int8 ONNX export (training/export_onnx.py --int8) and its load-time self-check, on a tiny model."""

import json
import sys
import warnings

import numpy as np
import pytest

import stance
from conftest import ROOT
from stance.backends import Int8Refused

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")
sys.path.insert(0, str(ROOT / "training"))

TEXTS = ["Relations thawed after the summit.", "Talks collapsed and troops massed on the border.",
         "China and South Korea signed a trade deal.", "He spoke.",
         "Pyongyang was not at the talks in Seoul with the United States and Russia on sanctions and peace."]


@pytest.fixture(scope="module")
def int8_dir(tiny_model_dir, tmp_path_factory):
    import export_onnx
    from datasets import Dataset, DatasetDict

    path = tmp_path_factory.mktemp("int8") / "model"
    stance.load(tiny_model_dir, backend="torch").save_pretrained(path)
    rows = [{"text": f"{t} {i}", "source": "voa_team" if i % 2 else "plover"} for i in range(40) for t in TEXTS]
    data = tmp_path_factory.mktemp("data") / "dataset"
    DatasetDict({"train": Dataset.from_list(rows)}).save_to_disk(str(data))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export_onnx, "CALIBRATION_SENTENCES", 64)
        mp.setattr(export_onnx, "CHECK_SENTENCES", 8)
        export_onnx.export(path, int8=True, dataset=data)
    return path


def test_int8_is_chosen_and_close_to_torch(int8_dir):
    int8 = stance.load(int8_dir, backend="onnx")
    assert (int8.backend.name, int8.backend.precision) == ("onnx-int8", "int8")
    assert stance.load(int8_dir, backend="onnx-int8").backend.precision == "int8"
    assert stance.load(int8_dir).backend.precision == "int8"  # auto prefers it
    ref = stance.load(int8_dir, backend="torch").predict_proba(TEXTS)
    assert np.abs(int8.predict_proba(TEXTS) - ref).max() <= 0.03
    meta = json.loads((int8_dir / "stance.json").read_text())["onnx_int8"]
    assert len(meta["texts"]) == 8 and meta["matmuls_int8"] == 6  # Q, K, V, attention out, FFN in, FFN out


def test_int8_scores_do_not_depend_on_the_batch(int8_dir):
    # Per-row activation scales: a sentence's score is its own, whatever is batched beside it.
    sc = stance.load(int8_dir, backend="onnx")
    alone = np.concatenate([sc.predict_proba([t]) for t in TEXTS])
    assert np.abs(alone - sc.predict_proba(TEXTS, batch_size=64)).max() <= 1e-6


@pytest.mark.parametrize("backend", ["onnx-int8", "onnx-fp32"])
def test_onnx_threads_run_batches_at_once_with_the_same_scores(int8_dir, backend):
    one = stance.load(int8_dir, backend=backend, threads=1)
    two = stance.load(int8_dir, backend=backend, threads=2)
    assert (one.backend.workers, two.backend.workers) == (1, 2)
    texts = [f"{t} {i}" for i in range(13) for t in TEXTS]
    assert np.abs(one.predict_proba(texts) - two.predict_proba(texts, batch_size=8)).max() <= 1e-6
    sizes = []
    logits = two.backend.logits
    two.backend.logits = lambda batch: sizes.append(len(batch)) or logits(batch)
    # A call smaller than one batch per worker is cut so that both workers get some of it.
    assert np.abs(two.predict_proba(TEXTS) - one.predict_proba(TEXTS)).max() <= 1e-6
    assert sorted(sizes) == [2, 3]


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_onnx_threads_work_again_in_a_forked_child(int8_dir):
    import multiprocessing as mp

    sc = stance.load(int8_dir, backend="onnx-int8", threads=2)
    texts = [f"{t} {i}" for i in range(13) for t in TEXTS]
    ref = sc.predict_proba(texts, batch_size=8)  # the parent's threads are running now
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=lambda: out.put(sc.predict_proba(texts, batch_size=8)))
    child.start()
    got = out.get(timeout=120)  # raises queue.Empty, not a hang, if the child's pool is dead
    child.join(30)
    assert np.abs(got - ref).max() <= 1e-6


def test_int8_failing_its_check_falls_back_to_fp32(int8_dir, tmp_path):
    bad = tmp_path / "model"
    stance.load(int8_dir, backend="torch").save_pretrained(bad)
    meta = json.loads((bad / "stance.json").read_text())
    meta["onnx_int8"]["torch_logits"] = [[9.0, -9.0, 0.0] for _ in meta["onnx_int8"]["texts"]]
    (bad / "stance.json").write_text(json.dumps(meta))
    with pytest.warns(RuntimeWarning, match="model.int8.onnx differs from the torch model"):
        sc = stance.load(bad, backend="onnx")
    assert (sc.backend.name, sc.backend.precision) == ("onnx-fp32", "fp32")
    with pytest.raises(Int8Refused, match="differs from the torch model"):
        stance.load(bad, backend="onnx-int8")  # strict: what Ray workers are given
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert stance.load(bad, backend="onnx-fp32").backend.precision == "fp32"  # no check, no warning


def test_int8_off_by_a_little_everywhere_is_refused(int8_dir, tmp_path):
    # What int16 saturation looked like on a CPU without VNNI: no check sentence far off, all of them a bit.
    from stance.backends import INT8_CHECK_MEAN_TOLERANCE, INT8_CHECK_TOLERANCE, int8_check, softmax

    off = tmp_path / "model"
    stance.load(int8_dir, backend="torch").save_pretrained(off)
    meta = json.loads((off / "stance.json").read_text())
    int8 = stance.load(int8_dir, backend="onnx-int8").backend
    assert int8_check(int8, meta)[1] <= INT8_CHECK_MEAN_TOLERANCE  # unaltered, it passes
    own = int8.logits(meta["onnx_int8"]["texts"])
    t = float(meta["temperature"])
    shifted = own + np.array([0.1 * t, 0.0, 0.0])
    diff = np.abs(softmax(shifted, t) - softmax(own, t))
    assert diff.max() < INT8_CHECK_TOLERANCE and diff.mean() > INT8_CHECK_MEAN_TOLERANCE
    meta["onnx_int8"]["torch_logits"] = shifted.tolist()
    (off / "stance.json").write_text(json.dumps(meta))
    with pytest.raises(Int8Refused, match="on average"):
        stance.load(off, backend="onnx-int8")


def test_int8_weights_are_unsigned(int8_dir):
    # uint8 x int8 saturates int16 sums on CPUs without VNNI (AVX2), which a VNNI CPU's parity run cannot show.
    import onnx

    graph = onnx.load(str(int8_dir / "model.int8.onnx")).graph
    inits = {i.name: i.data_type for i in graph.initializer}
    mms = [n for n in graph.node if n.op_type == "MatMulIntegerToFloat"]
    assert mms and all(inits[n.input[1]] == onnx.TensorProto.UINT8 and len(n.input) >= 6 for n in mms)


def test_int8_that_cannot_load_falls_back(int8_dir, tmp_path):
    broken = tmp_path / "model"
    stance.load(int8_dir, backend="torch").save_pretrained(broken)
    (broken / "model.int8.onnx").write_bytes(b"not an onnx graph")
    with pytest.warns(RuntimeWarning, match="could not run here"):
        assert stance.load(broken).backend.precision == "fp32"


def test_export_without_int8_removes_a_stale_int8_graph(int8_dir, tmp_path):
    from export_onnx import export

    copy = tmp_path / "model"
    stance.load(int8_dir, backend="torch").save_pretrained(copy)
    with pytest.raises(ValueError, match="--int8 needs --dataset"):
        export(copy, int8=True, dataset=None)
    export(copy)
    assert not (copy / "model.int8.onnx").exists()
    assert "onnx_int8" not in json.loads((copy / "stance.json").read_text())
    assert stance.load(copy).backend.precision == "fp32"
