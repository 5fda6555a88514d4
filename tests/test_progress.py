"""Progress: totals for the ETA, the plain log line, the tqdm bar on a terminal, the summary."""

import io
import json

import pytest

from stance.batch import score_files
from stance.progress import Progress, count_records

GOOD = "China and North Korea held talks. Relations have soured since 2013."


def write_jsonl(path, n, trailing_newline=True):
    text = "\n".join(json.dumps({"id": str(i), "text": GOOD}) for i in range(n))
    path.write_text(text + ("\n" if trailing_newline else ""))
    return path


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_count_records_per_format(tmp_path):
    assert count_records([str(write_jsonl(tmp_path / "a.jsonl", 5, trailing_newline=False))]) == 5
    (tmp_path / "b.csv").write_text("id,text\n1,x\n2,y\n")
    (tmp_path / "d").mkdir()
    for name in ("x.txt", "y.txt", "z.md"):
        (tmp_path / "d" / name).write_text(GOOD)
    assert count_records([str(tmp_path / "a.jsonl"), str(tmp_path / "b.csv"), str(tmp_path / "d")]) == 5 + 2 + 2
    assert count_records([str(tmp_path / "a.jsonl"), "-"]) is None
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist([{"id": "p", "text": GOOD}] * 3), tmp_path / "c.parquet")
    assert count_records([str(tmp_path / "c.parquet")]) == 3


def test_plain_log_line_has_rates_total_and_eta(tiny_scorer, tmp_path, monkeypatch):
    monkeypatch.setattr(Progress, "LOG_EVERY", 0.0)
    inp = write_jsonl(tmp_path / "in.jsonl", 12)
    with open(inp, "a") as f:
        f.write("{broken\n")
    err = io.StringIO()
    s = score_files(tiny_scorer, [str(inp)], str(tmp_path / "out.jsonl"), stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 13 and all(l.startswith("stance: ") for l in lines)
    assert "1/13 records (8%)" in lines[0] and "articles/s" in lines[0] and "sentences/s" in lines[0]
    assert "ETA" in lines[0] and lines[-1].split(", ETA ")[-1] == "0s" and "1 error" in lines[-1]
    assert "13/13 records (100%)" in lines[-1]
    assert s.line().startswith("12 articles, 24 sentences, 1 error (invalid JSON 1) in ")


def test_no_total_no_eta_for_stdin(tiny_scorer, tmp_path, monkeypatch):
    monkeypatch.setattr(Progress, "LOG_EVERY", 0.0)
    data = write_jsonl(tmp_path / "in.jsonl", 3).read_bytes()
    err = io.StringIO()
    score_files(tiny_scorer, ["-"], str(tmp_path / "out.jsonl"), stderr=err, stdin=io.BytesIO(data))
    assert err.getvalue().splitlines()[-1].startswith("stance: 3 records, ") and "ETA" not in err.getvalue()


def test_terminal_gets_a_tqdm_bar_with_rates(tiny_scorer, tmp_path, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(Progress, "POSTFIX_EVERY", 0.0)
    inp = write_jsonl(tmp_path / "in.jsonl", 20)
    err = Terminal()
    score_files(tiny_scorer, [str(inp)], str(tmp_path / "out.jsonl"), stderr=err)
    last = err.getvalue().split("\r")[-1]
    assert "20/20" in last and "100%" in last and "articles/s" in last and "sentences/s" in last


def test_resumed_records_are_taken_off_the_total(tiny_scorer, tmp_path, monkeypatch):
    monkeypatch.setattr(Progress, "LOG_EVERY", 0.0)
    inp = write_jsonl(tmp_path / "in.jsonl", 10)
    out = tmp_path / "out.jsonl"
    score_files(tiny_scorer, [str(inp)], str(out), progress=False)
    out.write_text("".join(out.read_text().splitlines(keepends=True)[:4]))
    err = io.StringIO()
    score_files(tiny_scorer, [str(inp)], str(out), resume=True, stderr=err)
    assert "6/6 records (100%)" in err.getvalue().splitlines()[-1]
