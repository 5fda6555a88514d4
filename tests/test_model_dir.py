import json
import shutil

import pytest

import stance
from stance.model_dir import ModelDirError, read_metadata


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    dst = tmp_path / "m"
    shutil.copytree(tiny_model_dir, dst)
    return dst


def test_valid_dir_reads(tiny_model_dir):
    assert read_metadata(tiny_model_dir)["labels"] == list(stance.LABELS)


def test_missing_dir_is_a_clear_error(tmp_path):
    with pytest.raises(ModelDirError, match="does not exist"):
        stance.load(tmp_path / "nope")


@pytest.mark.parametrize("victim", ["model.safetensors", "stance.json", "tokenizer.json", "config.json"])
def test_missing_file_fails_loudly_never_random_weights(model_copy, victim):
    (model_copy / victim).unlink()
    with pytest.raises(ModelDirError, match=victim):
        stance.load(model_copy, backend="torch")


def test_bad_metadata(model_copy):
    (model_copy / "stance.json").write_text("{not json")
    with pytest.raises(ModelDirError, match="not valid JSON"):
        read_metadata(model_copy)


def test_wrong_format_version(model_copy):
    meta = json.loads((model_copy / "stance.json").read_text())
    meta["format_version"] = 99
    (model_copy / "stance.json").write_text(json.dumps(meta))
    with pytest.raises(ModelDirError, match="format_version 99"):
        read_metadata(model_copy)


def test_label_order_must_match_config(model_copy):
    meta = json.loads((model_copy / "stance.json").read_text())
    meta["labels"] = ["cooling", "warming", "neutral"]
    (model_copy / "stance.json").write_text(json.dumps(meta))
    with pytest.raises(ModelDirError, match="id2label"):
        read_metadata(model_copy)


def test_unknown_backend(tiny_model_dir):
    with pytest.raises(ValueError, match="not one of auto, onnx, onnx-int8, onnx-fp32, torch"):
        stance.load(tiny_model_dir, backend="tensorflow")


def test_save_pretrained_round_trips(tiny_scorer, tmp_path):
    tiny_scorer.save_pretrained(tmp_path / "copy")
    again = stance.load(tmp_path / "copy", backend="torch")
    a = tiny_scorer.score_sentences(["Relations thawed."])[0]
    b = again.score_sentences(["Relations thawed."])[0]
    assert a.probs == b.probs


def test_replacing_swaps_the_file_in_one_step(tmp_path):
    from stance.model_dir import replacing

    target = tmp_path / "model.int8.onnx"
    target.write_bytes(b"old")
    with open(target, "rb") as reader:  # a live process holding the old file
        with replacing(target) as tmp:
            tmp.write_bytes(b"new")
            assert target.read_bytes() == b"old"  # nothing visible before the swap
        assert reader.read() == b"old"
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["model.int8.onnx"]


def test_replacing_keeps_the_old_file_when_writing_fails(tmp_path):
    from stance.model_dir import replacing

    target = tmp_path / "stance.json"
    target.write_text("{}")
    with pytest.raises(OSError, match="disk full"):
        with replacing(target) as tmp:
            tmp.write_text('{"half')
            raise OSError("disk full")
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["stance.json"]


@pytest.mark.parametrize("value", [0, -1.0, "hot", None, float("inf"), True])
def test_a_temperature_that_would_break_the_probabilities_is_refused(model_copy, value):
    # 0 gave NaN probabilities and -1 inverted them, silently.
    meta = read_json_file(model_copy / "stance.json")
    meta["temperature"] = value
    (model_copy / "stance.json").write_text(json.dumps(meta))
    with pytest.raises(ModelDirError, match="temperature"):
        stance.load(model_copy, backend="torch")


@pytest.mark.parametrize("value,msg", [(100_000, "max_position_embeddings"), (1.5, "whole number"), ("128", "whole number")])
def test_max_length_must_fit_the_encoder(model_copy, value, msg):
    meta = read_json_file(model_copy / "stance.json")
    meta["max_length"] = value
    (model_copy / "stance.json").write_text(json.dumps(meta))
    with pytest.raises(ModelDirError, match=msg):
        read_metadata(model_copy)


@pytest.mark.parametrize("victim,content", [("config.json", "nope"), ("tokenizer.json", "{}")])
def test_damaged_files_are_model_dir_errors_naming_the_file(model_copy, victim, content):
    (model_copy / victim).write_text(content)
    with pytest.raises(ModelDirError, match=victim):
        stance.load(model_copy, backend="torch")


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True])
def test_threads_must_be_a_positive_whole_number(tiny_model_dir, threads):
    with pytest.raises(ValueError, match="threads"):
        stance.load(tiny_model_dir, backend="torch", threads=threads)


def read_json_file(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_damaged_onnx_file_is_a_model_dir_error_with_the_remedy(model_copy):
    pytest.importorskip("onnxruntime")
    (model_copy / "model.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(ModelDirError, match="model.onnx could not be loaded by ONNX Runtime.*export_onnx.py"):
        stance.load(model_copy, backend="onnx-fp32")


def test_auto_without_an_onnx_export_or_torch_names_both_ways_out(tiny_model_dir, monkeypatch):
    from stance import backends

    def no_torch(*args, **kwargs):
        raise ImportError("the torch backend needs torch and transformers: pip install 'stance[torch]'")

    monkeypatch.setattr(backends, "TorchBackend", no_torch)
    with pytest.raises(ImportError, match=r"it has no model.onnx or model.int8.onnx: export them with .*"
                                          r"export_onnx.py .* --int8`; or the torch backend needs"):
        stance.load(tiny_model_dir)
    with pytest.raises(ImportError, match="^the torch backend needs"):  # asked for by name: its own message
        stance.load(tiny_model_dir, backend="torch")


def test_the_torch_backend_loads_without_transformers_progress_bar(tiny_model_dir, capfd):
    from transformers.utils import logging as hf_logging

    stance.load(tiny_model_dir, backend="torch")
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled()  # the global setting is put back
