"""training/train.py: the loss with and without a teacher, and a tiny end-to-end run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("datasets")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.train import batch_loss, main as train_main, read_teacher  # noqa: E402


def test_loss_without_teacher_is_cross_entropy():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    batch = [("a", 0), ("b", 2)]
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2]))
    assert torch.allclose(batch_loss(logits, batch, {}, 0.5), expected)


def test_label_smoothing_targets_a_share_of_every_class():
    import torch

    logits = torch.tensor([[4.0, 0.0, 0.0]])
    logp = torch.log_softmax(logits, -1)[0]
    # Smoothing 0.3 over 3 classes: target 0.8 / 0.1 / 0.1.
    expected = -(0.8 * logp[0] + 0.1 * logp[1] + 0.1 * logp[2])
    assert torch.allclose(batch_loss(logits, [("a", 0)], {}, 0.5, 0.3), expected)
    assert batch_loss(logits, [("a", 0)], {}, 0.5, 0.3) > batch_loss(logits, [("a", 0)], {}, 0.5)


def test_loss_with_teacher_mixes_ce_and_kl_and_unlabelled_rows_follow_the_teacher():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    teacher = {"a": torch.tensor([0.7, 0.2, 0.1]), "b": torch.softmax(logits[1], -1)}
    ce_a = torch.nn.functional.cross_entropy(logits[:1], torch.tensor([0]))
    kl_a = (teacher["a"] * (teacher["a"].log() - torch.log_softmax(logits[0], -1))).sum()
    # Row b is unlabelled and the student already matches the teacher there: it adds nothing.
    got = batch_loss(logits, [("a", 0), ("b", -1)], teacher, 0.25)
    assert torch.allclose(got, (0.75 * ce_a + 0.25 * kl_a) / 2, atol=1e-6)
    assert torch.allclose(batch_loss(logits[1:], [("b", -1)], teacher, 0.25), torch.tensor(0.0), atol=1e-6)


def test_labelled_rows_the_teacher_does_not_cover_learn_from_their_label_alone():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    teacher = {"b": torch.tensor([0.2, 0.7, 0.1])}
    ce_a = torch.nn.functional.cross_entropy(logits[:1], torch.tensor([1]))
    kl_b = (teacher["b"] * (teacher["b"].log() - torch.log_softmax(logits[1], -1))).sum()
    ce_b = torch.nn.functional.cross_entropy(logits[1:], torch.tensor([1]))
    got = batch_loss(logits, [("a", 1), ("b", 1)], teacher, 0.5)
    assert torch.allclose(got, (ce_a + 0.5 * ce_b + 0.5 * kl_b) / 2, atol=1e-6)


def _tiny_dataset(path: Path) -> Path:
    from datasets import Dataset, DatasetDict

    def rows(n, kind):
        texts = ["china and north korea signed a trade deal", "sanctions and troops at the border",
                 "the talks were on a monday"]
        return {"text": [texts[i % 3] + f" {i}" for i in range(n)],
                "label": [["warming", "cooling", "neutral"][i % 3] for i in range(n)],
                "kind": [kind] * n}

    DatasetDict({"train": Dataset.from_dict(rows(12, "article")), "dev": Dataset.from_dict(rows(6, "event")),
                 "test": Dataset.from_dict(rows(3, "event"))}).save_to_disk(str(path))
    (path / "TRAIN_HASH").write_text("tinyhash\n")
    return path


def test_tiny_run_with_a_teacher_writes_a_loadable_model(tiny_model_dir, tmp_path):
    import stance
    from datasets import load_from_disk

    ds = _tiny_dataset(tmp_path / "ds")
    teacher = tmp_path / "teacher.jsonl"
    texts = list(load_from_disk(str(ds))["train"]["text"]) + ["an unlabelled sentence about seoul"]
    teacher.write_text("".join(json.dumps({"text": t, "logits": [1.0, 0.0, -1.0], "temperature": 2.0}) + "\n"
                               for t in texts))
    assert torch.allclose(read_teacher(teacher)[texts[0]], torch.softmax(torch.tensor([0.5, 0.0, -0.5]), -1))
    out = tmp_path / "student"
    train_main(["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(out), "--epochs", "1",
                "--batch-size", "4", "--teacher", str(teacher)])
    meta = json.loads((out / "stance.json").read_text())
    assert meta["teacher_rows"] == len(texts) and meta["data_hash"] == "tinyhash"
    # --distil-kinds: the tiny train rows are all "article"; leaving that kind out keeps only
    # the unlabelled row under the teacher.
    train_main(["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(out), "--epochs", "1",
                "--batch-size", "4", "--teacher", str(teacher), "--distil-kinds", "lead", "--force"])
    assert json.loads((out / "stance.json").read_text())["teacher_rows"] == 1
    assert stance.load(out, backend="torch").predict_proba(["china and seoul"]).shape == (1, 3)
    with pytest.raises(SystemExit, match="exists"):
        train_main(["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(out)])


def test_teacher_missing_train_rows_is_refused(tiny_model_dir, tmp_path):
    ds = _tiny_dataset(tmp_path / "ds")
    teacher = tmp_path / "teacher.jsonl"
    teacher.write_text(json.dumps({"text": "something else", "logits": [0, 0, 0], "temperature": 1.0}) + "\n")
    with pytest.raises(SystemExit, match="lacks 12 train sentences"):
        train_main(["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(tmp_path / "m"),
                    "--teacher", str(teacher)])


def test_keep_layers_makes_a_shallower_student(tmp_path):
    from transformers import BertConfig, BertForSequenceClassification

    from training.train import keep_layers

    model = BertForSequenceClassification(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3,
                                                     num_attention_heads=2, intermediate_size=32, num_labels=3))
    third = model.bert.encoder.layer[2]
    keep_layers(model, [0, 2])
    assert model.config.num_hidden_layers == 2 and model.bert.encoder.layer[1] is third
    model.save_pretrained(str(tmp_path))
    assert len(BertForSequenceClassification.from_pretrained(str(tmp_path)).bert.encoder.layer) == 2
    with pytest.raises(SystemExit, match="layers 0..1"):
        keep_layers(model, [2])


def test_kinds_trains_on_those_rows_only_and_names_the_kinds_there(tiny_model_dir, tmp_path):
    ds = _tiny_dataset(tmp_path / "ds")
    out = tmp_path / "m"
    with pytest.raises(SystemExit, match="--kinds does not combine with --teacher"):
        train_main(["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(out), "--kinds", "article",
                    "--teacher", str(tmp_path / "t.jsonl")])
    with pytest.raises(SystemExit, match="--kinds lead: no such rows .*kinds there: article"):
        train_main(["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(out), "--kinds", "lead,article"])
    train_main(["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(out), "--epochs", "1",
                "--batch-size", "4", "--kinds", "article, "])
    meta = json.loads((out / "stance.json").read_text())
    assert meta["kinds"] == ["article"] and meta["train_rows"] == 12


def test_perturbed_copies_are_stable_different_and_never_bare_fragments():
    from training.teacher_logits import perturb

    text = "Ties between Seoul and Tokyo, long frosty, warmed after the summit."
    copies = [perturb(text, k) for k in range(3)]
    assert copies == [perturb(text, k) for k in range(3)] and len(set(copies) | {text}) == 4
    assert perturb("Seoul, Tokyo.", 2) == "Seoul, Tokyo."  # a crop would leave one word


def test_running_mean_is_the_mean_of_the_snapshots():
    from training.train import running_mean

    m = torch.nn.Linear(2, 1, bias=False)
    mean = None
    for n, value in enumerate([1.0, 2.0, 6.0]):
        with torch.no_grad():
            m.weight.fill_(value)
        mean = running_mean(mean, m, n)
    assert torch.allclose(mean["weight"], torch.full((1, 2), 3.0))
    assert m.weight[0, 0].item() == 6.0  # the model itself is left as it is


def test_average_last_ships_the_mean_of_the_last_epochs_snapshots(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    ds = _tiny_dataset(tmp_path / "ds")
    common = ["--dataset", str(ds), "--base", str(tiny_model_dir), "--epochs", "4", "--batch-size", "4"]
    train_main(common + ["--out", str(tmp_path / "last")])
    train_main(common + ["--out", str(tmp_path / "avg"), "--average-last", "2"])
    meta = json.loads((tmp_path / "avg" / "stance.json").read_text())
    # 36 rows a epoch (12 articles, each 3 times) in batches of 4: 9 steps, 36 in all; the last 2
    # epochs are steps 19-36, snapshots every 10 steps: 20 and 30.
    assert meta["weights_averaged"] == {"last_epochs": 2.0, "snapshots": 2}
    assert "weights_averaged" not in json.loads((tmp_path / "last" / "stance.json").read_text())
    last, avg = (load_file(str(tmp_path / d / "model.safetensors")) for d in ("last", "avg"))
    assert not torch.equal(last["classifier.weight"], avg["classifier.weight"])


def test_layer_decay_gives_lower_layers_smaller_rates_and_covers_every_parameter():
    from transformers import BertConfig, BertForSequenceClassification
    from training.train import layer_groups

    m = BertForSequenceClassification(BertConfig(hidden_size=8, num_hidden_layers=3, num_attention_heads=2,
                                                 intermediate_size=8, vocab_size=10, num_labels=3))
    groups = layer_groups(m, 1e-4, 0.5)
    rate = {id(p): g["lr"] for g in groups for p in g["params"]}
    assert len(rate) == sum(1 for _ in m.parameters()) == sum(len(g["params"]) for g in groups)  # each once
    named = dict(m.named_parameters())
    assert rate[id(named["classifier.weight"])] == 1e-4
    assert rate[id(named["bert.encoder.layer.2.output.dense.weight"])] == 5e-5
    assert rate[id(named["bert.encoder.layer.0.output.dense.weight"])] == 1.25e-5
    assert rate[id(named["bert.embeddings.word_embeddings.weight"])] == 6.25e-6
    assert [len(g["params"]) for g in layer_groups(m, 1e-4, 1.0)] == [len(named)]


def test_layer_decay_refuses_a_parameter_it_cannot_place():
    from transformers import MPNetConfig, MPNetForSequenceClassification
    from training.train import layer_groups

    m = MPNetForSequenceClassification(MPNetConfig(hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                                                   intermediate_size=8, vocab_size=10, num_labels=3))
    with pytest.raises(ValueError, match="relative_attention_bias"):
        layer_groups(m, 1e-4, 0.8)


def test_bad_averaging_and_decay_values_and_a_relabelled_heldout_build_are_refused(tiny_model_dir, tmp_path):
    ds = _tiny_dataset(tmp_path / "ds")
    common = ["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(tmp_path / "m"), "--batch-size", "4"]
    with pytest.raises(SystemExit, match=r"--average-last 5: must be above 0 and at most --epochs \(4\)"):
        train_main(common + ["--average-last", "5"])
    # 36 steps; the last 0.5 epoch is steps 32-36, which hold no multiple of 10.
    with pytest.raises(SystemExit, match="would take no snapshot"):
        train_main(common + ["--average-last", "0.5"])
    with pytest.raises(SystemExit, match=r"--layer-decay 0: must be in \(0, 1\]"):
        train_main(common + ["--layer-decay", "0"])
    (ds / "HELDOUT_SECOND_PASS").write_text("v1.2\n")
    with pytest.raises(SystemExit, match="held-out second pass"):
        train_main(common)


def test_out_of_fold_teachers_score_only_rows_they_never_trained_on(tiny_model_dir, tmp_path):
    from datasets import load_from_disk
    from training.teacher_folds import fold_of, main as folds_main

    ds = _tiny_dataset(tmp_path / "ds")
    out, work = tmp_path / "oof.jsonl", tmp_path / "folds"
    folds_main(["--base", str(tiny_model_dir), "--dataset", str(ds), "--folds", "2", "--epochs", "1",
                "--work", str(work), "--out", str(out)])
    rows = [json.loads(line) for line in open(out, encoding="utf-8")]
    train = list(load_from_disk(str(ds))["train"]["text"])
    assert sorted(r["text"] for r in rows if r["kind"] == "train") == sorted(train)
    for k in range(2):
        fold_train = set(load_from_disk(str(work / f"dataset_{k}"))["train"]["text"])
        scored = {t for t in train if fold_of({"text": t, "kind": "article"}, 2) == k}
        assert scored and not scored & fold_train and scored | fold_train == set(train)
        assert (work / f"dataset_{k}" / "TRAIN_HASH").read_text().strip() == f"tinyhash-fold{k}of2"
    train_main(["--dataset", str(ds), "--base", str(tiny_model_dir), "--out", str(tmp_path / "student"),
                "--epochs", "1", "--batch-size", "4", "--teacher", str(out)])
    with pytest.raises(SystemExit, match="exists"):
        folds_main(["--base", str(tiny_model_dir), "--dataset", str(ds), "--work", str(work), "--out", str(out)])
    # A fold teacher left in --work is reused for the same fold, retrained for another build's.
    again = ["--base", str(tiny_model_dir), "--dataset", str(ds), "--folds", "2", "--epochs", "1",
             "--work", str(work), "--out", str(out), "--force"]
    stamp = (work / "teacher_0" / "stance.json").stat().st_mtime_ns
    folds_main(again)
    assert (work / "teacher_0" / "stance.json").stat().st_mtime_ns == stamp
    (ds / "TRAIN_HASH").write_text("otherhash\n")
    folds_main(again)
    assert json.loads((work / "teacher_0" / "stance.json").read_text())["data_hash"] == "otherhash-fold0of2"


def test_tag_events_reads_train_event_rows_tagged_and_nothing_else(tiny_model_dir, tmp_path, monkeypatch):
    from datasets import Dataset, DatasetDict

    import training.train as train_mod

    rows = {"text": ["rebels attacked a base", "the two sides signed a deal", "ties soured after 2013",
                     "talks were on a monday"],
            "label": ["cooling", "warming", "cooling", "neutral"], "kind": ["event", "event", "article", "lead"]}
    ds = tmp_path / "ds"
    DatasetDict({"train": Dataset.from_dict(rows), "dev": Dataset.from_dict(rows),
                 "test": Dataset.from_dict(rows)}).save_to_disk(str(ds))
    (ds / "TRAIN_HASH").write_text("tinyhash\n")
    seen: set[str] = set()
    real_loss = train_mod.batch_loss

    def recording_loss(logits, batch, *args, **kwargs):
        seen.update(t for t, _ in batch)
        return real_loss(logits, batch, *args, **kwargs)

    monkeypatch.setattr(train_mod, "batch_loss", recording_loss)
    common = ["--dataset", str(ds), "--base", str(tiny_model_dir), "--epochs", "1", "--batch-size", "2",
              "--article-weight", "1"]
    train_main(common + ["--out", str(tmp_path / "m"), "--tag-events"])
    tag = train_mod.EVENT_TAG
    assert seen == {f"{tag} rebels attacked a base", f"{tag} the two sides signed a deal",
                    "ties soured after 2013", "talks were on a monday"}
    assert json.loads((tmp_path / "m" / "stance.json").read_text())["train_event_tag"] == tag
    seen.clear()
    train_main(common + ["--out", str(tmp_path / "plain")])
    assert seen == set(rows["text"])
    assert "train_event_tag" not in json.loads((tmp_path / "plain" / "stance.json").read_text())
    with pytest.raises(SystemExit, match="--tag-events does not combine with --teacher"):
        train_main(common + ["--out", str(tmp_path / "x"), "--tag-events", "--teacher", str(tmp_path / "t.jsonl")])
