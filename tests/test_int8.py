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
def int8_data(tmp_path_factory):
    from datasets import Dataset, DatasetDict

    rows = [{"text": f"{t} {i}", "source": "voa_team" if i % 2 else "plover"} for i in range(40) for t in TEXTS]
    data = tmp_path_factory.mktemp("data") / "dataset"
    DatasetDict({"train": Dataset.from_list(rows)}).save_to_disk(str(data))
    return data


def _export(model_dir, data):
    import export_onnx

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export_onnx, "CALIBRATION_SENTENCES", 64)
        mp.setattr(export_onnx, "CHECK_SENTENCES", 8)
        export_onnx.export(model_dir, int8=True, dataset=data)


@pytest.fixture(scope="module")
def int8_dir(tiny_model_dir, tmp_path_factory, int8_data):
    path = tmp_path_factory.mktemp("int8") / "model"
    stance.load(tiny_model_dir, backend="torch").save_pretrained(path)
    _export(path, int8_data)
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
    assert not (copy / "model.int8.onnx").exists() and not (copy / "model.int8-vnni.onnx").exists()
    assert "onnx_int8" not in json.loads((copy / "stance.json").read_text())
    assert stance.load(copy).backend.precision == "fp32"


def _session_logits(path, texts=TEXTS):
    import onnxruntime as ort
    from stance.backends import _encode, _tokenizer

    ids, mask = _encode(_tokenizer(path.parent, 128), texts)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input_ids": ids, "attention_mask": mask})[0]


def test_vnni_view_is_the_int8_weight_graph_without_its_weights(int8_dir, int8_data, tmp_path, monkeypatch):
    # The view must compute exactly what a graph exported with int8 weights computes (saturating
    # or not, the same integers go through the same kernel), while storing none of them.
    import export_onnx

    signed = tmp_path / "model"
    stance.load(int8_dir, backend="torch").save_pretrained(signed)
    unsigned = export_onnx._export_int8
    monkeypatch.setattr(export_onnx, "_export_int8", lambda *a, **k: unsigned(*a, **{**k, "unsigned_weights": False}))
    _export(signed, int8_data)
    assert not (signed / "model.int8-vnni.onnx").exists()  # int8 weights already: no view, none left over
    from quantize_int8 import signed_view

    with pytest.raises(ValueError, match="not a uint8-weight graph"):
        signed_view(signed / "model.int8.onnx", signed / "model.int8-vnni.onnx")
    view, host = int8_dir / "model.int8-vnni.onnx", int8_dir / "model.int8.onnx"
    import onnx

    graph = onnx.load(str(view), load_external_data=False).graph
    weights = {n.input[0] for n in graph.node if n.name.endswith("_widen")}
    stored = {i.name: i.data_location for i in graph.initializer}
    assert len(weights) == 9 and all(stored[w] == onnx.TensorProto.EXTERNAL for w in weights)  # FFN out in 4 groups
    assert np.array_equal(_session_logits(view), _session_logits(signed / "model.int8.onnx"))
    meta = json.loads((int8_dir / "stance.json").read_text())["onnx_int8"]["vnni"]
    assert (meta["file"], meta["of"], meta["of_bytes"]) == ("model.int8-vnni.onnx", "model.int8.onnx", host.stat().st_size)


def test_a_vnni_cpu_runs_the_view_when_it_passes_its_check(int8_dir, monkeypatch):
    import stance.backends as sb

    monkeypatch.setattr(sb, "has_vnni", lambda: False)
    plain = stance.load(int8_dir, backend="onnx-int8")
    assert plain.backend.file == "model.int8.onnx"
    assert repr(plain).endswith("backend='onnx-int8', precision='int8', graph='model.int8.onnx')")
    monkeypatch.setattr(sb, "has_vnni", lambda: True)
    # Both branches, whatever this CPU's kernel: a check any graph passes, then one the view fails.
    monkeypatch.setattr(sb, "INT8_CHECK_TOLERANCE", 1.0)
    monkeypatch.setattr(sb, "INT8_CHECK_MEAN_TOLERANCE", 1.0)
    assert stance.load(int8_dir, backend="onnx-int8").backend.file == "model.int8-vnni.onnx"
    real_check = sb.int8_check
    monkeypatch.setattr(sb, "int8_check", lambda b, m: (2.0, 2.0) if b.file == "model.int8-vnni.onnx" else real_check(b, m))
    with pytest.warns(RuntimeWarning, match="model.int8-vnni.onnx differs.*using model.int8.onnx \\(uint8 weights\\)"):
        got = stance.load(int8_dir, backend="onnx-int8").backend
    assert (got.file, got.precision) == ("model.int8.onnx", "int8")
    # Both refused: the plain onnx backend ends on fp32, with a warning for each graph.
    monkeypatch.setattr(sb, "int8_check", lambda b, m: (2.0, 2.0))
    with pytest.warns(RuntimeWarning) as caught:
        assert stance.load(int8_dir, backend="onnx").backend.file == "model.onnx"
    assert sum("differs from the torch model" in str(w.message) for w in caught) == 2


def test_a_view_of_another_int8_graph_is_refused(int8_dir, tmp_path, monkeypatch):
    import stance.backends as sb

    other = tmp_path / "model"
    stance.load(int8_dir, backend="torch").save_pretrained(other)
    meta = json.loads((other / "stance.json").read_text())
    meta["onnx_int8"]["vnni"]["of_sha256"] = "0" * 64
    (other / "stance.json").write_text(json.dumps(meta))
    monkeypatch.setattr(sb, "has_vnni", lambda: True)
    with pytest.warns(RuntimeWarning, match="does not match the model.int8.onnx beside it.*--vnni-only"):
        assert stance.load(other, backend="onnx").backend.file == "model.int8.onnx"


@pytest.mark.parametrize("flags, vnni", [
    ("fpu sse2 avx avx2 fma bmi2", False),                                               # AMD EPYC Zen 2/3
    ("avx2 avx512f avx512dq avx512bw avx512vl", False),                                  # Skylake-SP
    ("avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni", True),                       # Cascade Lake, Zen 4
    ("avx2 avx_vnni", True),                                                             # Alder Lake
    ("avx512_vnni", False),                                                              # no AVX-512 core set
])
def test_vnni_is_read_from_the_cpu_flags(flags, vnni):
    from stance.cpu import cpu_flags, has_vnni

    text = f"processor\t: 0\nvendor_id\t: X\nflags\t\t: {flags}\nbugs\t\t: none\n\nprocessor\t: 1\nflags\t: avx2\n"
    assert has_vnni(cpu_flags(text)) is vnni
    assert cpu_flags("no flags line here") == frozenset()


def test_check_only_reports_both_int8_graphs_on_a_vnni_cpu_and_writes_nothing(int8_dir, tmp_path, monkeypatch, capsys):
    import ast

    from datasets import Dataset, DatasetDict

    import export_onnx
    import stance.backends as sb
    import stance.cpu

    data = tmp_path / "dataset"
    DatasetDict({"test": Dataset.from_list([{"text": t} for t in TEXTS])}).save_to_disk(str(data))
    for mod in (sb, stance.cpu):
        monkeypatch.setattr(mod, "has_vnni", lambda: True)
    monkeypatch.setattr(sb, "INT8_CHECK_TOLERANCE", 1.0)  # whatever this CPU's kernel does with the view
    monkeypatch.setattr(sb, "INT8_CHECK_MEAN_TOLERANCE", 1.0)
    before = {p.name: p.stat().st_mtime_ns for p in int8_dir.iterdir()}
    export_onnx.main([str(int8_dir), "--dataset", str(data), "--check-only"])
    out = capsys.readouterr().out.splitlines()
    graphs = [ast.literal_eval(line)["graph"] for line in out[:3]]  # the lines are dicts as printed
    assert graphs == ["model.onnx", "model.int8-vnni.onnx", "model.int8.onnx"]
    assert out[3].startswith("model.int8-vnni.onnx vs model.int8.onnx: max probability difference")
    assert {p.name: p.stat().st_mtime_ns for p in int8_dir.iterdir()} == before
