"""--engine ray: the same rows and errors as the local engine, on a local Ray instance."""

import json
import math
import sys

import pytest

from stance.batch import score_files

TEXTS = [
    "China and North Korea held talks in Beijing. Relations have soured since 2013.",
    "Seoul and Tokyo signed a trade deal. The visit was the first in years.",
    "Russia massed troops on the border with Ukraine. Talks were called off.",
    "The United States and China agreed to resume military talks. Trade ties remain tense.",
    "Pyongyang rejected the sanctions. Beijing said it was not a party to the dispute.",
]


def _rows(n: int):
    rows = [{"id": f"a{i}", "text": " ".join(TEXTS[(i + k) % len(TEXTS)] for k in range(i % 4 + 1)),
             "date": f"2014-0{i % 9 + 1}-15", "title": "Ties" if i % 3 else None} for i in range(n)]
    bad = [b"{not json\n", {"id": "nofield", "body": "x"}, {"id": "notstr", "text": 42}, {"id": "empty", "text": " "},
           b'{"id": "badutf", "text": "caf\xe9"}\n', {"id": "a3", "text": TEXTS[0]}, [1, 2]]
    for k, b in enumerate(bad):  # spread the bad records through the file
        rows.insert(3 + 4 * k, b)
    return rows


def write_jsonl(path, rows):
    with open(path, "wb") as f:
        for r in rows:
            f.write(r if isinstance(r, bytes) else (json.dumps(r) + "\n").encode())
    return path


def read_jsonl(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def assert_same(a, b, where="row"):
    """Equal, with floats within 1e-5 (the determinism promise across batch and worker counts)."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, abs_tol=1e-5), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    import logging

    ray.init(num_cpus=2, object_store_memory=100 * 1024 * 1024, include_dashboard=False,
             logging_level=logging.WARNING)
    yield ray
    ray.shutdown()


def test_ray_gives_the_local_engines_rows_errors_and_sentences(ray_local, tmp_path):
    # The shipped ONNX model, not the tiny torch one: the rows must match on real scores,
    # pairs and evidence, not on a random model's near-constant output.
    rows = _rows(40)
    inp = write_jsonl(tmp_path / "in.jsonl", rows)
    local, distributed = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    s_local = score_files(None, [str(inp)], str(local), sentences=str(tmp_path / "ls.jsonl"),
                          batch_size=16, progress=False)
    s_ray = score_files(None, [str(inp)], str(distributed), sentences=str(tmp_path / "rs.jsonl"),
                        batch_size=16, progress=False, engine="ray", workers=2)
    a, b = read_jsonl(local), read_jsonl(distributed)
    assert len(a) == 40 and len(b) == 40
    assert_same(a, b)  # same order too: the driver writes in input order
    assert_same(read_jsonl(tmp_path / "ls.jsonl"), read_jsonl(tmp_path / "rs.jsonl"), "sentence")
    errs_local = read_jsonl(tmp_path / "local.jsonl.errors.jsonl")
    assert errs_local == read_jsonl(tmp_path / "ray.jsonl.errors.jsonl") and len(errs_local) == 7
    assert len(a) + len(errs_local) == len(rows)
    assert (s_ray.articles, s_ray.sentences, s_ray.errors) == (s_local.articles, s_local.sentences, s_local.errors)
    assert any(r["main_pair"] == "CHN-PRK" for r in b)


def test_ray_resumes_a_torn_parquet_run(ray_local, tiny_model_dir, tmp_path):
    # The tiny torch model: its scores do not depend on the batches, which a resumed run forms anew.
    pq = pytest.importorskip("pyarrow.parquet")
    rows = _rows(20)
    inp = write_jsonl(tmp_path / "in.jsonl", rows)
    full, out = tmp_path / "full.jsonl", tmp_path / "out.parquet"
    score_files(tiny_model_dir, [str(inp)], str(full), backend="torch", progress=False)
    lines = full.read_text().splitlines(keepends=True)
    spool = tmp_path / "out.parquet.partial.jsonl"  # where a Parquet run keeps its rows until it ends
    spool.write_text("".join(lines[:6]) + lines[6][:30])  # a crash mid-row, before any error was written
    s = score_files(tiny_model_dir, [str(inp)], str(out), backend="torch", progress=False, resume=True,
                    engine="ray", workers=1)
    assert s.skipped == 6 and s.articles == 14 and not spool.exists()
    got = pq.read_table(out).to_pylist()
    for r in got:  # Parquet keeps the per-pair dict as JSON text
        r["pairs"] = json.loads(r["pairs"])
    assert_same(read_jsonl(full), got)


def test_ray_refuses_stdin_clearly(ray_local, tiny_model_dir, tmp_path):
    with pytest.raises(ValueError, match="cannot read stdin"):
        score_files(tiny_model_dir, ["-"], str(tmp_path / "o.jsonl"), engine="ray", progress=False)
    assert not (tmp_path / "o.jsonl").exists()


def test_without_ray_the_error_names_the_extra(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": TEXTS[0]}])
    with pytest.raises(ImportError, match=r"pip install 'stance\[ray\]'"):
        score_files(tiny_model_dir, [str(inp)], str(tmp_path / "o.jsonl"), engine="ray", progress=False)
    assert not (tmp_path / "o.jsonl").exists()


def test_workers_without_ray_engine_is_a_usage_error(tiny_model_dir, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": TEXTS[0]}])
    with pytest.raises(ValueError, match="engine='ray'"):
        score_files(tiny_model_dir, [str(inp)], str(tmp_path / "o.jsonl"), workers=2, progress=False)


def test_ray_warns_of_a_misspelt_field_as_the_local_engine_does(ray_local, tiny_model_dir, tmp_path):
    import io

    from stance.batch import Fields

    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": TEXTS[0], "published": "2014-01-02"}])
    said = []
    for engine in ("local", "ray"):
        err = io.StringIO()
        score_files(tiny_model_dir, [str(inp)], str(tmp_path / f"{engine}.jsonl"), backend="torch", progress=False,
                    fields=Fields(date="pubished"), stderr=err, engine=engine)
        said.append([line for line in err.getvalue().splitlines() if "warning" in line])
    assert said[0] == said[1] == ["stance: warning: no record has a field 'pubished' (--date-field); misspelt? "
                                  "it was left empty"]


def test_ray_workers_get_the_backend_the_driver_settled_on(tmp_path, monkeypatch):
    # No Ray needed: what matters is the backend name handed to the workers.
    import stance.ray_engine as re_

    got = {}
    monkeypatch.setattr(re_, "check_ray", lambda inputs, model: None)
    monkeypatch.setattr(re_, "connect", lambda address=None: False)
    monkeypatch.setattr(re_, "scored_records", lambda *a, **k: got.update(k) or iter([]))
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": TEXTS[0]}])
    score_files(None, [str(inp)], str(tmp_path / "o.jsonl"), engine="ray", progress=False)
    assert got["backend"] == "onnx-int8"  # the shipped model's int8 graph, by its strict name, not "auto"
    score_files(None, [str(inp)], str(tmp_path / "o2.jsonl"), engine="ray", backend="onnx-fp32", progress=False)
    assert got["backend"] == "onnx-fp32"


def test_ray_names_records_as_the_local_engine_does(ray_local, tiny_model_dir, tmp_path, monkeypatch):
    # Relative inputs that share a file name: their places and ids are the paths as given, on both
    # engines (the Ray read task opens resolved paths).
    monkeypatch.chdir(tmp_path)
    for d in ("A", "B"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "story.txt").write_text("China and North Korea held talks.")
    write_jsonl(tmp_path / "A" / "news.jsonl", [{"text": "Seoul and Tokyo met."}])
    write_jsonl(tmp_path / "B" / "news.jsonl", [{"text": "Seoul and Tokyo met."}])
    inputs = ["A/story.txt", "B/story.txt", "A/news.jsonl", "B/news.jsonl"]
    for engine in ("local", "ray"):
        score_files(tiny_model_dir, inputs, f"{engine}.jsonl", backend="torch", progress=False, engine=engine,
                    **({"workers": 1} if engine == "ray" else {}))
    ids = [r["id"] for r in read_jsonl(tmp_path / "ray.jsonl")]
    assert ids == [r["id"] for r in read_jsonl(tmp_path / "local.jsonl")]
    assert ids == ["A/story.txt", "B/story.txt", "A/news.jsonl:1", "B/news.jsonl:1"]
