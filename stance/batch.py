"""Batch scoring of article files: JSONL, CSV, Parquet, a directory of .txt files, or stdin.

The function behind ``stance score``. It streams (constant memory), never stops on a bad
record (each goes to the errors file with its line number or id and the reason), and can
resume after a crash: output rows are whole lines flushed per batch, and a resumed run skips
the records whose ids are already in the output or the errors file, after dropping a torn
last line. Input rows = output rows + error rows, always.

>>> from stance.batch import output_row   # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, TextIO

from .results import ArticleScore, SentenceScore
from .scorer import Article, Scorer

__all__ = ["BatchSummary", "score_files", "read_records", "output_row", "InputRecord"]

# Articles longer than this are refused (reported in the errors file), not scored: a 10 MB
# "article" is a scraping accident, and one would hold a batch hostage.
MAX_ARTICLE_CHARS = 2_000_000
# Sentences per model batch, across articles.
BATCH_SENTENCES = 64
EVIDENCE_IN_ROW = 3
# Evidence sentences kept per pair and side in a row: enough to quote, small enough that an
# article naming ten pairs does not carry sixty sentences.
PAIR_EVIDENCE_IN_ROW = 2


@dataclass(frozen=True)
class InputRecord:
    """One input row: where it came from (for error messages) and its fields, or a read error."""

    where: str
    id: Optional[str]
    fields: Optional[dict[str, Any]]
    error: Optional[str] = None


@dataclass
class BatchSummary:
    articles: int = 0
    sentences: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        rate = self.articles / self.seconds if self.seconds else 0.0
        return (f"{self.articles} articles, {self.sentences} sentences, {self.errors} errors"
                + (f", {self.skipped} already done (resumed)" if self.skipped else "")
                + f" in {self.seconds:.1f}s ({rate:.1f} articles/s)")


# -- reading -------------------------------------------------------------------------------------
def _jsonl(stream: io.BufferedIOBase, name: str) -> Iterator[InputRecord]:
    for n, raw in enumerate(stream, 1):
        where = f"{name}:{n}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield InputRecord(where, None, None, f"invalid UTF-8 at byte {exc.start}")
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputRecord(where, None, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(obj, dict):
            yield InputRecord(where, None, None, f"expected a JSON object, got {type(obj).__name__}")
            continue
        yield InputRecord(where, None, obj)


def _csv(stream: io.BufferedIOBase, name: str) -> Iterator[InputRecord]:
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="strict", newline="")
    reader = csv.DictReader(text)
    n = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            yield InputRecord(f"{name}:{n + 1}", None, None, f"unreadable CSV row: {exc}")
            return  # the stream position is lost after a decode error
        n += 1
        yield InputRecord(f"{name}:{reader.line_num}", None, dict(row))


def _parquet(path: Path) -> Iterator[InputRecord]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError("reading Parquet needs pyarrow: pip install 'stance[io]'") from exc
    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            n += 1
            yield InputRecord(f"{path.name}:row {n}", None, row)


def _txt_record(file: Path, where: str, rid: str) -> InputRecord:
    """A whole .txt file as one article."""
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputRecord(where, rid, None, f"invalid UTF-8 at byte {exc.start}")
    return InputRecord(where, rid, {"id": rid, "text": text})


def _txt_dir(path: Path) -> Iterator[InputRecord]:
    for file in sorted(path.rglob("*.txt")):
        rel = str(file.relative_to(path))
        yield _txt_record(file, rel, rel)


def read_records(inputs: Sequence[str], *, stdin: Optional[io.BufferedIOBase] = None) -> Iterator[InputRecord]:
    """Records from each input in turn: JSONL (.jsonl/.json/-), CSV, Parquet, .txt or a directory."""
    for spec in inputs:
        if spec == "-":
            yield from _jsonl(stdin or sys.stdin.buffer, "stdin")
            continue
        path = Path(spec)
        if path.is_dir():
            yield from _txt_dir(path)
        elif not path.exists():
            raise FileNotFoundError(f"input {spec} does not exist")
        elif path.suffix == ".txt":
            yield _txt_record(path, path.name, path.stem)
        elif path.suffix == ".csv":
            with open(path, "rb") as f:
                yield from _csv(f, path.name)
        elif path.suffix == ".parquet":
            yield from _parquet(path)
        elif path.suffix in (".jsonl", ".json", ".ndjson"):
            with open(path, "rb") as f:
                yield from _jsonl(f, path.name)
        else:
            raise ValueError(f"input {spec}: unknown format {path.suffix!r}; use .jsonl, .csv, .parquet, .txt, a directory of .txt files, or - for JSONL on stdin")


# -- validating ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fields:
    id: str = "id"
    text: str = "text"
    title: str = "title"
    date: str = "date"


def to_article(rec: InputRecord, fields: Fields) -> tuple[Optional[Article], Optional[str], str]:
    """(article, error, id). The id falls back to the record's place in the input."""
    if rec.error:
        return None, rec.error, rec.id or rec.where
    f = rec.fields or {}
    rid = f.get(fields.id)
    rid = rec.where if rid is None or rid == "" else str(rid)
    text = f.get(fields.text)
    if fields.text not in f:
        return None, f"missing field {fields.text!r} (fields present: {', '.join(sorted(map(str, f))) or 'none'})", rid
    if not isinstance(text, str):
        return None, f"field {fields.text!r} is {type(text).__name__}, not a string", rid
    if not text.strip():
        return None, f"field {fields.text!r} is empty", rid
    if len(text) > MAX_ARTICLE_CHARS:
        return None, f"text is {len(text):,} characters, over the {MAX_ARTICLE_CHARS:,} limit", rid
    title, date = f.get(fields.title), f.get(fields.date)
    return Article(text, rid, title if isinstance(title, str) else None,
                   str(date) if date not in (None, "") else None), None, rid


# -- writing -------------------------------------------------------------------------------------
def output_row(a: ArticleScore, where: Optional[str] = None) -> dict[str, Any]:
    """The flat per-article row written by ``stance score``; ``where`` is the input position."""
    main = a.dyads[0] if a.dyads and a.dyads[0].pair == a.main_pair else None
    return {
        "id": a.id, "where": where, "date": a.date, "score": a.score, "label": a.label, "confidence": a.confidence,
        "n_sentences": sum(not s.duplicate for s in a.sentences),
        "main_pair": "-".join(a.main_pair) if a.main_pair else None,
        "main_pair_score": main.score if main else None,
        "main_pair_label": main.label if main else None,
        # Per pair: "confidence" (the pair's evidence weight, what `stance timeline` weighs articles
        # by) and "evidence" were added after "score", "label" and "n"; readers of older rows
        # see only new keys, none renamed.
        "pairs": {"-".join(d.pair): {"score": d.score, "label": d.label, "n": d.n_sentences,
                                     "confidence": d.confidence, "evidence": _evidence(d.evidence, PAIR_EVIDENCE_IN_ROW)}
                  for d in a.dyads},
        "evidence": _evidence(a.evidence, EVIDENCE_IN_ROW),
        "title": a.title,
    }


def _evidence(sentences: Sequence[SentenceScore], per_side: int) -> list[dict[str, Any]]:
    """The strongest ``per_side`` sentences each way (rollup.evidence gives cooling first, then warming)."""
    cooling = [s for s in sentences if s.score < 0][:per_side]
    warming = [s for s in sentences if s.score >= 0][:per_side]
    return [{"text": s.text, "score": s.score, "start": s.start, "end": s.end} for s in cooling + warming]


def sentence_rows(a: ArticleScore) -> Iterator[dict[str, Any]]:
    for i, s in enumerate(a.sentences):
        yield {"id": a.id, "sent_idx": i, "start": s.start, "end": s.end, "text": s.text, "label": s.label,
               "score": s.score, "p_warming": s.probs["warming"], "p_cooling": s.probs["cooling"],
               "p_neutral": s.probs["neutral"], "actors": [x.code for x in s.actors],
               "pairs": ["-".join(p) for p in s.pairs], "duplicate": s.duplicate}


class _Sink:
    """Appends rows as JSONL or CSV; each batch is flushed and fsynced so a crash tears at most
    the line being written, which resume drops."""

    def __init__(self, path: Optional[Path], fmt: str, resume: bool, stdout: TextIO):
        self.fmt, self.path = fmt, path
        self._writer: Optional[csv.DictWriter] = None
        self._csv_header_written = False
        if path is None:
            self.f = stdout
            return
        if resume and path.exists():
            _drop_torn_tail(path)
            self._csv_header_written = path.stat().st_size > 0
        self.f = open(path, "a" if resume else "w", encoding="utf-8", newline="")

    def write(self, row: dict[str, Any]) -> None:
        if self.fmt == "jsonl":
            self.f.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        flat = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v) for k, v in row.items()}
        if self._writer is None:
            self._writer = csv.DictWriter(self.f, fieldnames=list(flat))
            if not self._csv_header_written:
                self._writer.writeheader()
        self._writer.writerow(flat)

    def flush(self) -> None:
        self.f.flush()
        if self.path is not None:
            os.fsync(self.f.fileno())

    def close(self) -> None:
        self.flush()
        if self.path is not None:
            self.f.close()


class _ParquetSink:
    """Parquet cannot be appended to: rows are written to a JSONL spool beside it (resumable),
    converted to Parquet when the run completes."""

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.spool = _spool_path(path)
        self.inner = _Sink(self.spool, "jsonl", resume, sys.stdout)

    def write(self, row):
        self.inner.write(row)

    def flush(self):
        self.inner.flush()

    def close(self):
        self.inner.close()
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [json.loads(line) for line in open(self.spool, encoding="utf-8")]
        for r in rows:  # nested dicts with varying keys: keep them as JSON text
            for k, v in r.items():
                if isinstance(v, dict):
                    r[k] = json.dumps(v, ensure_ascii=False)
        pq.write_table(pa.Table.from_pylist(rows), self.path)
        self.spool.unlink()


def _spool_path(path: Path) -> Path:
    return path.with_name(path.name + ".partial.jsonl")


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line that a crash left without its newline."""
    with open(path, "rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        pos = size
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            f.seek(pos)
            chunk = f.read(step)
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                f.truncate(pos + nl + 1)
                return
        f.truncate(0)


def _done(path: Optional[Path], fmt: str) -> tuple[set[str], set[str]]:
    """(ids, input positions) of the whole rows already in an output or errors file."""
    ids: set[str] = set()
    wheres: set[str] = set()
    if path is None or not path.exists():
        return ids, wheres
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f) if fmt == "csv" else (
            json.loads(line) for line in f if line.endswith("\n") and line.strip())
        for row in rows:
            ids.add(str(row.get("id")))
            wheres.add(str(row.get("where")))
    return ids, wheres


def _format(path: Optional[Path]) -> str:
    if path is None:
        return "jsonl"
    fmt = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(path.suffix)
    if fmt is None:
        raise ValueError(f"output {path}: unknown format {path.suffix!r}; use .jsonl, .csv or .parquet")
    return fmt


class _Progress:
    """A tqdm bar on a terminal; otherwise a plain log line every LOG_EVERY seconds."""

    LOG_EVERY = 30.0

    def __init__(self, enabled: bool, stream: TextIO):
        self.stream, self.bar, self.last = stream, None, time.time()
        if enabled and stream.isatty():
            try:
                from tqdm import tqdm

                self.bar = tqdm(unit=" articles", file=stream, dynamic_ncols=True)
            except ImportError:
                pass
        self.enabled = enabled

    def update(self, s: BatchSummary) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if s.articles % 20 == 0 and s.seconds:
                self.bar.set_postfix_str(f"{s.sentences / max(s.seconds, 1e-9):.0f} sentences/s, {s.errors} errors")
        elif self.enabled and time.time() - self.last >= self.LOG_EVERY:
            self.last = time.time()
            self.stream.write(f"stance: {s.line()}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def score_files(scorer: Scorer, inputs: Sequence[str], output: Optional[str] = None, *,
                errors: Optional[str] = None, sentences: Optional[str] = None, force: bool = False,
                resume: bool = False, fields: Fields = Fields(), batch_size: int = BATCH_SENTENCES,
                progress: bool = True, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr,
                stdin: Optional[io.BufferedIOBase] = None) -> BatchSummary:
    """Score every record of ``inputs``; write one row per article to ``output`` (stdout if None).

    Bad records go to ``errors`` (default: beside the output, ``<output>.errors.jsonl``).
    Refuses to overwrite an existing output unless ``force`` or ``resume``.
    """
    out_path = Path(output) if output not in (None, "-") else None
    fmt = _format(out_path)
    err_path = Path(errors) if errors else (out_path.with_name(out_path.name + ".errors.jsonl") if out_path else None)
    sent_path = Path(sentences) if sentences else None
    for p in (out_path, sent_path):
        if p is not None and p.exists() and not (force or resume):
            raise FileExistsError(f"{p} exists; pass --force to overwrite or --resume to continue that run")
    if resume and out_path is None:
        raise ValueError("--resume needs an output file (-o)")
    done_ids: set[str] = set()
    done_where: set[str] = set()
    if resume:
        spool = _spool_path(out_path) if fmt == "parquet" else out_path
        for path, f in ((spool, "jsonl" if fmt == "parquet" else fmt), (err_path, "jsonl")):
            ids, wheres = _done(path, f)
            done_where |= wheres
            if path is spool:
                done_ids |= ids

    sink = _ParquetSink(out_path, resume) if fmt == "parquet" else _Sink(out_path, fmt, resume, stdout)
    err_sink = _Sink(err_path, "jsonl", resume, stderr) if err_path else None
    sent_sink = _Sink(sent_path, _format(sent_path), resume, stdout) if sent_path else None
    summary = BatchSummary()
    seen_ids: set[str] = set(done_ids)  # ids already written, for duplicate detection
    wheres: dict[str, str] = {}
    bar = _Progress(progress, stderr)
    t0 = time.time()

    def report(rid: str, where: str, reason: str) -> None:
        summary.errors += 1
        kind = reason.split(":")[0].split(" (")[0]
        summary.error_kinds[kind] = summary.error_kinds.get(kind, 0) + 1
        row = {"id": rid, "where": where, "error": reason}
        if err_sink is not None:
            err_sink.write(row)
        else:
            stderr.write(f"stance: {where}: {reason}\n")

    def articles() -> Iterator[Article]:
        for rec in read_records(inputs, stdin=stdin):
            if rec.where in done_where:
                summary.skipped += 1
                continue
            article, error, rid = to_article(rec, fields)
            if error is None and rid in seen_ids:
                error = f"duplicate id {rid!r}: an earlier record has it"
                rid = f"{rid}@{rec.where}"
            seen_ids.add(rid)
            if error is not None:
                report(rid, rec.where, error)
                continue
            wheres[rid] = rec.where
            yield article

    try:
        for a in scorer.pipe(articles(), batch_size=batch_size):
            sink.write(output_row(a, wheres.pop(a.id, None)))
            if sent_sink is not None:
                for row in sentence_rows(a):
                    sent_sink.write(row)
            summary.articles += 1
            summary.sentences += len(a.sentences)
            summary.seconds = time.time() - t0
            bar.update(summary)
            if summary.articles % 64 == 0:
                for s in (sink, err_sink, sent_sink):
                    if s is not None:
                        s.flush()
    finally:
        bar.close()
        for s in (sink, err_sink, sent_sink):
            if s is not None:
                s.close()
    summary.seconds = time.time() - t0
    return summary
