"""Batch scoring: formats, bad records, refusal to overwrite, resume after kill -9."""

import csv
import io
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
        b'{"id": "surrogate", "text": "China \\ud800 met Japan."}\n',  # valid JSON, invalid Unicode
        b'{"id": "\\udc00", "text": "China met Japan."}\n',           # an id no output file could hold
    ]
    inp = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    s = score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    good, bad = read_jsonl(out), read_jsonl(tmp_path / "out.jsonl.errors.jsonl")
    assert [r["id"] for r in good] == ["ok1", "ok2"]
    assert len(good) + len(bad) == len(rows) and s.errors == len(bad) == 10
    reasons = " | ".join(f"{r['where']}: {r['error']}" for r in bad)
    for expected in ("in.jsonl:2: invalid JSON", "missing field 'text'", "is int, not a string", "is empty",
                     "over the 1,000,000 limit", "invalid UTF-8", "duplicate id 'ok1'",
                     "expected a JSON object, got list (JSON lines: one object per line",
                     "field 'text' holds an unpaired surrogate (U+D800)", "in.jsonl:12: field 'id' holds an unpaired"):
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


# -- found by a review of the batch command (2026-12-04) ------------------------------------------
def test_an_output_that_is_an_input_or_another_output_is_refused(tiny_scorer, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    before = inp.read_bytes()
    with pytest.raises(ValueError, match="is also the input"):
        score_files(tiny_scorer, [str(inp)], str(inp), force=True, progress=False)
    assert inp.read_bytes() == before  # opening it for writing would have emptied it
    out = tmp_path / "out.jsonl"
    with pytest.raises(ValueError, match="sentences file .* is also the output"):
        score_files(tiny_scorer, [str(inp)], str(out), sentences=str(out), progress=False)
    assert not out.exists()


def test_two_inputs_with_one_file_name_are_kept_apart(tiny_scorer, tmp_path):
    (tmp_path / "A").mkdir(), (tmp_path / "B").mkdir()
    a = write_jsonl(tmp_path / "A" / "news.jsonl", [{"id": f"a{i}", "text": GOOD} for i in range(3)])
    b = write_jsonl(tmp_path / "B" / "news.jsonl", [{"id": f"b{i}", "text": GOOD} for i in range(3)])
    out = tmp_path / "out.jsonl"
    score_files(tiny_scorer, [str(a)], str(out), progress=False)
    s = score_files(tiny_scorer, [str(a), str(b)], str(out), resume=True, progress=False)
    assert s.articles == 3 and sorted(r["id"] for r in read_jsonl(out)) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    for d in ("D1", "D2"):  # two folders, each with a story.txt: two articles
        (tmp_path / d).mkdir()
        (tmp_path / d / "story.txt").write_text(GOOD)
    score_files(tiny_scorer, [str(tmp_path / "D1"), str(tmp_path / "D2")], str(tmp_path / "t.jsonl"), progress=False)
    assert [r["id"] for r in read_jsonl(tmp_path / "t.jsonl")] == ["D1/story.txt", "D2/story.txt"]


def test_one_bad_csv_row_costs_that_row_only(tiny_scorer, tmp_path):
    long_text = (GOOD + " ") * 4000  # ~270,000 characters: over csv's default field limit
    body = (f'id,text\nu1,"{GOOD}"\nu2,"caf\xe9 {GOOD}"\nu3,"{long_text}"\nu4,"{GOOD}"\n').encode("latin-1")
    (tmp_path / "in.csv").write_bytes(b"\xef\xbb\xbf" + body)  # with a byte-order mark, as Excel writes
    out = tmp_path / "out.jsonl"
    s = score_files(tiny_scorer, [str(tmp_path / "in.csv")], str(out), progress=False)
    errors = read_jsonl(tmp_path / "out.jsonl.errors.jsonl")
    assert [r["id"] for r in read_jsonl(out)] == ["u1", "u3", "u4"] and s.errors == 1
    assert errors[0]["where"] == "in.csv:3" and "invalid UTF-8 (byte 0xE9) in column 'text'" in errors[0]["error"]


def test_records_that_used_to_stop_the_run(tiny_scorer, tmp_path):
    rows = [b"\xef\xbb\xbf" + (json.dumps({"id": "bom", "text": GOOD}) + "\n").encode(),
            ("[" * 100_000 + "\n").encode(),                      # nested too deeply for json
            {"id": "x", "text": ""}, {"id": "x", "text": GOOD}]   # a failed record keeps no id
    inp = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    assert [r["id"] for r in read_jsonl(out)] == ["bom", "x"]
    assert "nested too deeply" in read_jsonl(tmp_path / "out.jsonl.errors.jsonl")[0]["error"]
    d = tmp_path / "txt"
    (d / "folder.txt").mkdir(parents=True)
    (d / "ok.txt").write_text(GOOD)
    (d / "gone.txt").symlink_to(d / "nowhere")
    s = score_files(tiny_scorer, [str(d)], str(tmp_path / "t.jsonl"), progress=False)
    assert [r["id"] for r in read_jsonl(tmp_path / "t.jsonl")] == ["ok.txt"] and s.errors == 1
    assert "unreadable file" in read_jsonl(tmp_path / "t.jsonl.errors.jsonl")[0]["error"]


def test_resume_drops_sentences_of_articles_without_a_row(tiny_scorer, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": GOOD} for i in range(6)])
    out, sent = tmp_path / "out.jsonl", tmp_path / "s.jsonl"
    score_files(tiny_scorer, [str(inp)], str(out), sentences=str(sent), progress=False)
    per_article = len(read_jsonl(sent)) // 6
    rows = out.read_text().splitlines(keepends=True)
    out.write_text("".join(rows[:3]))  # killed after article 5's sentences but before rows 3-5
    s = score_files(tiny_scorer, [str(inp)], str(out), sentences=str(sent), resume=True, progress=False)
    ids = [r["id"] for r in read_jsonl(sent)]
    assert s.skipped == 3 and len(ids) == 6 * per_article
    assert sorted(set(ids)) == [str(i) for i in range(6)] and all(ids.count(str(i)) == per_article for i in range(6))


def test_an_interrupted_parquet_run_keeps_its_spool_and_resumes(tiny_scorer, tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet")
    import stance.batch as b

    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": GOOD} for i in range(8)])
    out = tmp_path / "out.parquet"
    real_write, calls = b._Run.write, []

    def dies_after_five(self, *a, **k):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(1)
        real_write(self, *a, **k)

    monkeypatch.setattr(b._Run, "write", dies_after_five)
    with pytest.raises(KeyboardInterrupt):
        score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    monkeypatch.setattr(b._Run, "write", real_write)
    assert not out.exists() and len(read_jsonl(tmp_path / "out.parquet.partial.jsonl")) == 5
    with pytest.raises(FileExistsError, match="interrupted run"):
        score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    s = score_files(tiny_scorer, [str(inp)], str(out), resume=True, progress=False)
    assert s.skipped == 5 and s.articles == 3
    assert sorted(pq.read_table(out).column("id").to_pylist(), key=int) == [str(i) for i in range(8)]
    again = score_files(tiny_scorer, [str(inp)], str(out), resume=True, progress=False)  # a finished run
    assert again.articles == 0 and again.skipped == 8 and pq.read_table(out).num_rows == 8


def test_cli_exit_codes_tell_bad_records_from_usage(tiny_model_dir, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    r = subprocess.run([sys.executable, "-m", "stance", "score", str(inp), "--model", str(tiny_model_dir),
                        "--backend", "torch", "--batch-size", "0"], capture_output=True, text=True)
    assert r.returncode == 2 and "must be a whole number >= 1" in r.stderr


def test_a_misspelt_field_option_is_warned_about(tiny_scorer, tmp_path):
    import io

    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD, "published": "2024-01-02"}])
    err = io.StringIO()
    score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), fields=b_fields(date="pubished"),
                progress=False, stderr=err)
    assert "no record has a field 'pubished' (--date-field); misspelt?" in err.getvalue()
    err = io.StringIO()
    score_files(tiny_scorer, [str(inp)], str(tmp_path / "o2.jsonl"), fields=b_fields(date="published"),
                progress=False, stderr=err)
    assert "warning" not in err.getvalue() and read_jsonl(tmp_path / "o2.jsonl")[0]["date"] == "2024-01-02"


def b_fields(**kw):
    from stance.batch import Fields

    return Fields(**kw)


def test_parquet_output_is_written_a_group_at_a_time(tiny_scorer, tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet")
    import stance.batch as b

    monkeypatch.setattr(b, "PARQUET_ROWS_PER_GROUP", 2)
    rows = [{"id": str(i), "text": GOOD if i % 2 else "Nothing about states here.",
             **({"date": "2024-01-02"} if i >= 3 else {})} for i in range(7)]  # dates only from group 2 on
    inp = write_jsonl(tmp_path / "in.jsonl", rows)
    score_files(tiny_scorer, [str(inp)], str(tmp_path / "out.parquet"), progress=False)
    f = pq.ParquetFile(tmp_path / "out.parquet")
    t = f.read()
    assert f.metadata.num_row_groups == 4 and t.column("id").to_pylist() == [str(i) for i in range(7)]
    assert str(t.schema.field("date").type) == "string" and t.column("date").to_pylist()[3] == "2024-01-02"


def test_errors_go_to_stderr_with_dash_and_a_clean_run_leaves_no_errors_file(tiny_scorer, tmp_path):
    import io

    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}, {"id": "b", "text": ""}])
    err = io.StringIO()
    s = score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), errors="-", progress=False, stderr=err)
    assert s.errors == 1 and "in.jsonl:2: field 'text' is empty" in err.getvalue()
    assert not (tmp_path / "o.jsonl.errors.jsonl").exists() and len(read_jsonl(tmp_path / "o.jsonl")) == 1
    clean = write_jsonl(tmp_path / "clean.jsonl", [{"id": "a", "text": GOOD}])
    score_files(tiny_scorer, [str(clean)], str(tmp_path / "c.jsonl"), progress=False)
    assert (tmp_path / "c.jsonl").exists() and not (tmp_path / "c.jsonl.errors.jsonl").exists()
    score_files(tiny_scorer, [str(inp)], str(tmp_path / "d.jsonl"), progress=False)  # a failed record keeps it
    assert read_jsonl(tmp_path / "d.jsonl.errors.jsonl")[0]["id"] == "b"


def test_a_text_field_no_record_has_is_named_once(tiny_scorer, tmp_path):
    import io

    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "body": GOOD}, {"id": "b", "body": GOOD}])
    err = io.StringIO()
    s = score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), fields=b_fields(text="text"),
                    progress=False, stderr=err)
    assert s.errors == 2 and "no record has a field 'text' (--text-field), so nothing was scored" in err.getvalue()
    assert "fields present: body, id" in read_jsonl(tmp_path / "o.jsonl.errors.jsonl")[0]["error"]
    err = io.StringIO()
    s = score_files(tiny_scorer, [str(inp)], str(tmp_path / "o2.jsonl"), fields=b_fields(text="body"),
                    progress=False, stderr=err)
    assert s.errors == 0 and "warning" not in err.getvalue()
    empty = write_jsonl(tmp_path / "empty.jsonl", [{"id": "a", "text": ""}])  # there, but empty: its own error
    err = io.StringIO()
    s = score_files(tiny_scorer, [str(empty)], str(tmp_path / "o3.jsonl"), progress=False, stderr=err)
    assert s.errors == 1 and "warning" not in err.getvalue()


@pytest.mark.parametrize("cut", ["after_where", "inside_multiline_title"])
def test_csv_resume_after_a_torn_row_loses_and_repeats_nothing(tiny_scorer, tmp_path, cut):
    rows = [{"id": str(i), "text": GOOD, "title": f"Line one\nline two {i}"} for i in range(6)]
    inp = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.csv"
    score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    data = out.read_bytes()
    last = data.rindex(b'\r\n5,')  # the start of the last row
    at = data.index(b"in.jsonl:6", last) + 12 if cut == "after_where" else data.index(b"Line one\n", last) + 9
    out.write_bytes(data[:at])  # a crash mid-row: the id and place are there, the row is not whole
    s = score_files(tiny_scorer, [str(inp)], str(out), resume=True, progress=False)
    with open(out, encoding="utf-8", newline="") as f:
        got = list(csv.DictReader(f))
    assert [r["id"] for r in got] == [str(i) for i in range(6)] and s.skipped == 5 and s.articles == 1
    assert got[5]["title"] == "Line one\nline two 5"


def test_an_errors_path_that_is_not_a_regular_file_is_left_alone(tiny_scorer, tmp_path, monkeypatch):
    import errno

    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    target = tmp_path / "real_errors.jsonl"
    target.write_text("")
    link = tmp_path / "errors.jsonl"
    link.symlink_to(target)
    score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), errors=str(link), progress=False)
    assert link.is_symlink() and target.exists()  # a clean run removes only an empty regular file it wrote

    def no_sync(fd):  # what /dev/null or a pipe answers
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr("stance.batch.os.fsync", no_sync)
    s = score_files(tiny_scorer, [str(inp)], str(tmp_path / "o2.jsonl"), progress=False)
    assert s.articles == 1 and len(read_jsonl(tmp_path / "o2.jsonl")) == 1


def test_an_output_that_cannot_be_written_is_refused_before_anything_is(tiny_scorer, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    (tmp_path / "afile").write_text("")
    out = tmp_path / "out.jsonl"
    with pytest.raises(ValueError, match="afile is a file, not a folder"):
        score_files(tiny_scorer, [str(inp)], str(tmp_path / "afile" / "out.jsonl"), progress=False)
    with pytest.raises(ValueError, match=r"sentences file .*afile is a file, not a folder"):
        score_files(tiny_scorer, [str(inp)], str(out), sentences=str(tmp_path / "afile" / "s.jsonl"), progress=False)
    with pytest.raises(ValueError, match="is a directory; give a file name"):
        score_files(tiny_scorer, [str(inp)], str(out), errors=str(tmp_path), progress=False)
    assert not out.exists()


def test_an_output_refused_when_opened_leaves_no_file_behind(tiny_scorer, tmp_path, monkeypatch):
    import stance.batch as b

    # Past the up-front check (as a read-only file system can be): the output is opened first, and
    # must not stay behind empty for the next run to refuse to overwrite.
    monkeypatch.setattr(b, "check_writable", lambda role, path: None)
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    (tmp_path / "afile").write_text("")
    pytest.importorskip("pyarrow.parquet")
    for out in (tmp_path / "out.jsonl", tmp_path / "out.parquet"):
        with pytest.raises(ValueError, match=r"cannot write .*afile/s.jsonl"):
            score_files(tiny_scorer, [str(inp)], str(out), sentences=str(tmp_path / "afile" / "s.jsonl"),
                        progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "in.jsonl"]


def test_cli_stops_quietly_when_its_reader_goes_and_says_so_when_the_disk_is_full(tiny_model_dir, tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(GOOD)
    cmd = [sys.executable, "-m", "stance", "score", str(tmp_path), "--model", str(tiny_model_dir), "--backend", "torch"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # as `| head` does, before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait() == 141 and "error" not in err and "Traceback" not in err
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            r = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True)
        assert r.returncode == 3 and "the run stopped" in r.stderr and "No space left" in r.stderr
        assert "Traceback" not in r.stderr and "report" not in r.stderr


def test_a_txt_file_has_the_id_a_folder_of_it_gives_and_two_of_one_name_are_two_articles(tiny_scorer, tmp_path):
    for d in ("A", "B"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "story.txt").write_text(GOOD)
    out = tmp_path / "out.jsonl"
    score_files(tiny_scorer, [str(tmp_path / "A" / "story.txt")], str(out), progress=False)
    score_files(tiny_scorer, [str(tmp_path / "A")], str(tmp_path / "dir.jsonl"), progress=False)
    assert [r["id"] for r in read_jsonl(out)] == [r["id"] for r in read_jsonl(tmp_path / "dir.jsonl")] == ["story.txt"]
    both = [str(tmp_path / d / "story.txt") for d in ("A", "B")]
    s = score_files(tiny_scorer, both, str(out), force=True, progress=False)
    assert s.errors == 0 and [r["id"] for r in read_jsonl(out)] == both


def test_a_csv_quote_left_open_or_a_row_of_the_wrong_length_is_an_error_not_a_merge(tiny_scorer, tmp_path):
    (tmp_path / "open.csv").write_text('id,text\na,"China and Japan held talks."\nc,"open quote\nd,Seoul and Tokyo met.\n')
    (tmp_path / "len.csv").write_text("id,text,x\na,China and Japan held talks.,1,2,3\nb\nc,Seoul and Tokyo met.,1\n")
    err = tmp_path / "e.jsonl"
    s = score_files(tiny_scorer, [str(tmp_path / "open.csv")], str(tmp_path / "o.jsonl"), errors=str(err), progress=False)
    assert [r["id"] for r in read_jsonl(tmp_path / "o.jsonl")] == ["a"] and s.errors == 1
    (bad,) = read_jsonl(err)
    assert bad["where"] == "open.csv:3" and "unexpected end of data" in bad["error"]
    s = score_files(tiny_scorer, [str(tmp_path / "len.csv")], str(tmp_path / "o.jsonl"), errors=str(err), force=True,
                    progress=False)
    assert [r["id"] for r in read_jsonl(tmp_path / "o.jsonl")] == ["c"]
    assert [r["error"] for r in read_jsonl(err)] == ["5 fields where the header has 3", "1 field where the header has 3"]
    assert s.error_kinds == {"wrong field count": 2} and s.line().endswith(f"; errors in {err}")
    # A stray quote inside a field costs that row only: the parser goes on from the next one.
    (tmp_path / "stray.csv").write_text('id,text\na,"Blood alliance" frays\nb,Seoul and Tokyo met.\n')
    s = score_files(tiny_scorer, [str(tmp_path / "stray.csv")], str(tmp_path / "o.jsonl"), errors=str(err), force=True,
                    progress=False)
    assert [r["id"] for r in read_jsonl(tmp_path / "o.jsonl")] == ["b"]
    assert [(r["where"], r["error"]) for r in read_jsonl(err)] == [("stray.csv:2", "unreadable CSV row: ',' expected after '\"'")]


def test_nothing_read_is_warned_of_and_a_txt_decoding_error_asks_for_no_text_field(tiny_scorer, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bin.txt").write_bytes(b"caf\xe9 " * 100)
    for inputs, expected, absent in (([str(tmp_path / "empty")], "no record was read from", "--text-field"),
                                     ([str(tmp_path / "bin.txt")], "invalid UTF-8", "--text-field")):
        err = io.StringIO()
        score_files(tiny_scorer, inputs, None, stdout=io.StringIO(), stderr=err, progress=False)
        assert expected in err.getvalue() and absent not in err.getvalue()
    with pytest.raises(TypeError, match=r"wrap it: \['news.jsonl'\]"):
        score_files(tiny_scorer, "news.jsonl", None)


def test_a_title_that_is_not_a_string_is_an_error_row_as_in_the_api(tiny_scorer, tmp_path):
    rows = [{"id": "n", "text": GOOD, "title": 5}, {"id": "nan", "text": GOOD, "title": float("nan")},
            {"id": "ok", "text": GOOD, "title": "Talks"}]
    inp = write_jsonl(tmp_path / "in.jsonl", rows)  # json writes and reads the NaN as NaN
    s = score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), progress=False)
    assert [(r["id"], r["title"]) for r in read_jsonl(tmp_path / "o.jsonl")] == [("nan", None), ("ok", "Talks")]
    (bad,) = read_jsonl(tmp_path / "o.jsonl.errors.jsonl")
    assert bad["id"] == "n" and bad["error"] == "field 'title' (the title) is int, not a string"
    assert s.error_kinds == {"title not a string": 1}
    with pytest.raises(TypeError, match="title must be a str"):
        tiny_scorer.score_article(GOOD, title=5)


def test_cli_warnings_are_one_plain_line_each(monkeypatch, capsys):
    import warnings

    from stance import cli

    def score(args):
        warnings.warn("the int8 graph was refused; using the fp32 export instead", RuntimeWarning)
        return 0

    monkeypatch.setattr(cli, "_score", score)
    before = warnings.showwarning
    assert cli.main(["score", "news.jsonl"]) == 0
    assert capsys.readouterr().err == "stance: warning: the int8 graph was refused; using the fp32 export instead\n"
    assert warnings.showwarning is before  # the command's way of showing them ends with it


def test_one_input_given_twice_is_refused(tiny_scorer, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    for second in (str(inp), str(tmp_path / "." / "in.jsonl")):
        with pytest.raises(ValueError, match="is given twice"):
            score_files(tiny_scorer, [str(inp), second], str(tmp_path / "o.jsonl"), progress=False)
    (tmp_path / "news" / "2014").mkdir(parents=True)
    (tmp_path / "news" / "2014" / "a.txt").write_text(GOOD)
    for inner in ("news/2014", "news/2014/a.txt"):
        with pytest.raises(ValueError, match=f"input {tmp_path / inner} is inside the input folder"):
            score_files(tiny_scorer, [str(tmp_path / "news"), str(tmp_path / inner)], str(tmp_path / "o.jsonl"),
                        progress=False)
    assert not (tmp_path / "o.jsonl").exists()
    s = score_files(tiny_scorer, [str(tmp_path / "news"), str(inp)], str(tmp_path / "o.jsonl"), progress=False)
    assert s.articles == 2  # a folder and a file beside it are fine


def test_an_existing_errors_file_is_not_overwritten_without_force(tiny_scorer, tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    (tmp_path / "e.jsonl").write_text('{"kept": true}\n')
    with pytest.raises(FileExistsError, match="e.jsonl holds the errors of an earlier run; pass --force"):
        score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), errors=str(tmp_path / "e.jsonl"), progress=False)
    assert (tmp_path / "e.jsonl").read_text() == '{"kept": true}\n'
    s = score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), errors=str(tmp_path / "e.jsonl"), force=True,
                    progress=False)
    assert s.articles == 1 and not (tmp_path / "e.jsonl").exists()  # overwritten, then removed: no errors
    s = score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), errors=os.devnull, force=True, progress=False)
    assert s.articles == 1  # /dev/null exists, and is no earlier run's errors


def test_an_unreadable_input_is_refused_before_any_output_is_opened(tiny_scorer, tmp_path, monkeypatch):
    import stance.batch as b

    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD}])
    real_access = os.access
    monkeypatch.setattr(b.os, "access", lambda p, mode: mode != os.R_OK and real_access(p, mode))  # as root cannot
    with pytest.raises(ValueError, match="in.jsonl is not readable"):
        score_files(tiny_scorer, [str(inp)], str(tmp_path / "o.jsonl"), progress=False)
    assert not (tmp_path / "o.jsonl").exists()
