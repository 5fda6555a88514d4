"""Batch scoring: formats, bad records, refusal to overwrite, resume after kill -9."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stance.batch import score_files

GOOD = "China and North Korea held talks. Relations have soured since 2013."


def write_jsonl(path: Path, rows) -> Path:
    with open(path, "wb") as f:
        for r in rows:
            f.write(r if isinstance(r, bytes) else (json.dumps(r) + "\n").encode())
    return path


def read_jsonl(path: Path):
    return [json.loads(l) for l in open(path, encoding="utf-8")]


def test_every_bad_record_kind_is_reported_and_nothing_is_lost(tiny_scorer, tmp_path, monkeypatch):
    import stance.batch as b

    monkeypatch.setattr(b, "MAX_ARTICLE_CHARS", 1_000_000)
    rows = [
        {"id": "ok1", "text": GOOD},
        b"{not json\n",
        {"id": "nofield", "body": GOOD},
        {"id": "notstr", "text": 42},
        {"id": "empty", "text": "   "},
        {"id": "huge", "text": "x" * 10_000_001},
        b'{"id": "badutf", "text": "caf\xe9"}\n',
        {"id": "ok1", "text": GOOD},
        [1, 2],
        {"id": "ok2", "text": GOOD, "date": "2014-07-30", "title": "Chill"},
    ]
    inp = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    s = score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    good, bad = read_jsonl(out), read_jsonl(tmp_path / "out.jsonl.errors.jsonl")
    assert [r["id"] for r in good] == ["ok1", "ok2"]
    assert len(good) + len(bad) == len(rows) and s.errors == len(bad) == 8
    reasons = " | ".join(f"{r['where']}: {r['error']}" for r in bad)
    for expected in ("in.jsonl:2: invalid JSON", "missing field 'text'", "is int, not a string", "is empty",
                     "over the 1,000,000 limit", "invalid UTF-8", "duplicate id 'ok1'", "expected a JSON object"):
        assert expected in reasons
    assert good[1]["date"] == "2014-07-30" and good[1]["main_pair"] == "CHN-PRK"


def test_refuses_to_overwrite_without_force(tiny_scorer, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    with pytest.raises(FileExistsError, match="--force"):
        score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    assert out.read_text() == "precious\n"
    score_files(tiny_scorer, [str(inp)], str(out), force=True, progress=False)
    assert read_jsonl(out)[0]["id"] == "a"


def test_csv_in_csv_out_txt_dir_and_sentences(tiny_scorer, tmp_path):
    with open(tmp_path / "in.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["doc", "body"])
        w.writeheader()
        w.writerow({"doc": "c1", "body": GOOD})
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "a.txt").write_text(GOOD)
    from stance.batch import Fields

    out = tmp_path / "out.csv"
    score_files(tiny_scorer, [str(tmp_path / "in.csv")], str(out), fields=Fields(id="doc", text="body"),
                sentences=str(tmp_path / "sents.jsonl"), progress=False)
    rows = list(csv.DictReader(open(out)))
    assert rows[0]["id"] == "c1" and json.loads(rows[0]["pairs"])
    assert len(read_jsonl(tmp_path / "sents.jsonl")) == 2
    out2 = tmp_path / "out2.jsonl"
    score_files(tiny_scorer, [str(tmp_path / "txt")], str(out2), progress=False)
    assert read_jsonl(out2)[0]["id"] == "a.txt"


def test_parquet_round_trip(tiny_scorer, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist([{"id": "p1", "text": GOOD}, {"id": "p2", "text": None}]), tmp_path / "in.parquet")
    score_files(tiny_scorer, [str(tmp_path / "in.parquet")], str(tmp_path / "out.parquet"), progress=False)
    assert pq.read_table(tmp_path / "out.parquet").to_pylist()[0]["id"] == "p1"
    assert read_jsonl(tmp_path / "out.parquet.errors.jsonl")[0]["id"] == "p2"


def test_same_scores_whatever_the_batch_size(tiny_scorer, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": GOOD * (i % 4 + 1)} for i in range(20)])
    outs = []
    for bs in (1, 7, 64):
        out = tmp_path / f"o{bs}.jsonl"
        score_files(tiny_scorer, [str(inp)], str(out), batch_size=bs, progress=False)
        outs.append([r["score"] for r in read_jsonl(out)])
    assert all(abs(a - b) < 1e-5 for o in outs[1:] for a, b in zip(outs[0], o))


def test_resume_drops_a_torn_line_and_finishes(tiny_scorer, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": GOOD} for i in range(10)])
    out = tmp_path / "out.jsonl"
    score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:4]) + lines[4][:20])  # a crash mid-row
    s = score_files(tiny_scorer, [str(inp)], str(out), resume=True, progress=False)
    ids = [r["id"] for r in read_jsonl(out)]
    assert sorted(ids, key=int) == [str(i) for i in range(10)] and s.skipped == 4


def test_kill_9_then_resume_gives_exactly_one_row_per_input(tiny_model_dir, tmp_path):
    n = 3000
    rows = [{"id": str(i), "text": GOOD} for i in range(n)] + [{"id": "bad", "text": None}]
    inp = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "stance", "score", str(inp), "-o", str(out), "--model", str(tiny_model_dir),
           "--backend", "torch", "--quiet", "--batch-size", "16"]
    proc = subprocess.Popen(cmd + ["--force"], stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(out.read_text().splitlines())
    assert 0 < before < n, "the run should have been killed mid-way"
    rc = subprocess.run(cmd + ["--resume"], stderr=subprocess.DEVNULL).returncode
    assert rc == 1  # one record failed
    ids = [r["id"] for r in read_jsonl(out)]
    errors = read_jsonl(tmp_path / "out.jsonl.errors.jsonl")
    assert len(ids) == len(set(ids)) == n and sorted(map(int, ids)) == list(range(n))
    assert [e["id"] for e in errors] == ["bad"]


def test_cli_prints_one_line_per_article(tiny_model_dir, tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "b.txt").write_text("Seoul and Tokyo signed a pact.")
    r = subprocess.run([sys.executable, "-m", "stance", "score", str(tmp_path), "--model", str(tiny_model_dir),
                        "--backend", "torch"], capture_output=True, text=True)
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0 and [l.split("\t")[0] for l in lines] == ["a.txt", "b.txt"]
    assert lines[0].split("\t")[2].split()[0] in {"warming", "cooling", "mixed", "neutral"}
    assert "2 articles" in r.stderr


def test_cli_usage_errors_are_clear(tiny_model_dir, tmp_path):
    r = subprocess.run([sys.executable, "-m", "stance", "score", str(tmp_path / "missing.jsonl"), "--model",
                        str(tiny_model_dir), "--backend", "torch"], capture_output=True, text=True)
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_sentence_rows_carry_the_clauses_of_multi_state_sentences(tiny_scorer, tmp_path):
    text = "Beijing increasingly courts Seoul while its ties with Pyongyang sour. The talks went on."
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "k", "text": text}])
    score_files(tiny_scorer, [str(inp)], str(tmp_path / "out.jsonl"), sentences=str(tmp_path / "s.parquet"),
                progress=False)
    pq = pytest.importorskip("pyarrow.parquet")
    first, second = pq.read_table(tmp_path / "s.parquet").to_pylist()
    assert [c["text"] for c in first["clauses"]] == ["Beijing increasingly courts Seoul",
                                                      "while its ties with Pyongyang sour."]
    assert [c["pairs"] for c in first["clauses"]] == [["CHN-KOR"], ["CHN-PRK"]]
    for c in first["clauses"]:
        assert text[c["start"]:c["end"]] == c["text"] and -1 <= c["score"] <= 1
    assert second["clauses"] == []
