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
import errno
import io
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Collection, Iterable, Iterator, Optional, Sequence, TextIO, Union, cast

from .model_dir import replacing
from .progress import Progress, counted
from .results import ArticleScore, SentenceScore
from .scorer import Article, Scorer, unicode_problem

__all__ = ["BatchSummary", "score_files", "read_records", "checked_records", "output_row", "InputRecord", "Fields", "ENGINES"]

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
    """What a run did; ``line()`` is the summary printed at the end.

    >>> BatchSummary(articles=10, sentences=200, errors=1, seconds=2.0, error_kinds={"invalid JSON": 1}).line()
    '10 articles, 200 sentences, 1 error (invalid JSON 1) in 2.0s (5.0 articles/s, 100 sentences/s)'
    """

    articles: int = 0
    sentences: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)
    errors_file: Optional[str] = None  # where the bad records went (None: stderr)

    def line(self) -> str:
        """The one-line summary ``stance score`` prints at the end."""
        secs = self.seconds or float("inf")
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.error_kinds.items(), key=lambda kv: -kv[1]))
        return (f"{counted(self.articles, 'article')}, {counted(self.sentences, 'sentence')}, "
                f"{counted(self.errors, 'error')}"
                + (f" ({kinds})" if kinds else "")
                + (f", {self.skipped} already done (resumed)" if self.skipped else "")
                + f" in {self.seconds:.1f}s ({self.articles / secs:.1f} articles/s, {self.sentences / secs:.0f} sentences/s)"
                + (f"; errors in {self.errors_file}" if self.errors and self.errors_file else ""))

    def to_dict(self) -> dict[str, Any]:
        """The counts as plain JSON-ready values."""
        return asdict(self)


# -- reading -------------------------------------------------------------------------------------
def _jsonl(stream: BinaryIO, name: str) -> Iterator[InputRecord]:
    for n, raw in enumerate(stream, 1):
        where = f"{name}:{n}"
        try:
            line = raw.decode("utf-8-sig" if n == 1 else "utf-8")  # a byte-order mark is not part of the record
        except UnicodeDecodeError as exc:
            yield InputRecord(where, None, None, f"invalid UTF-8 at byte {exc.start}")
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputRecord(where, None, None, f"invalid JSON: {exc.msg.removesuffix(' at')} at column {exc.colno}")
            continue
        except RecursionError:
            yield InputRecord(where, None, None, "invalid JSON: nested too deeply to read")
            continue
        if not isinstance(obj, dict):
            hint = " (JSON lines: one object per line, not an array)" if isinstance(obj, list) else ""
            yield InputRecord(where, None, None, f"expected a JSON object, got {type(obj).__name__}{hint}")
            continue
        yield InputRecord(where, None, obj)


def _csv(stream: BinaryIO, name: str) -> Iterator[InputRecord]:
    # Bad bytes come through as lone surrogates (so one bad row costs that row alone, not the rest
    # of the file), and a long article is a long field, not a reason to stop reading.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    csv.field_size_limit(max(csv.field_size_limit(), 4 * MAX_ARTICLE_CHARS))
    reader = csv.DictReader(text, strict=True)  # strict: a quote left open is an error, not the rest of the file
    start = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" not in str(exc):  # a stray quote: the parser goes on from the next row
                yield InputRecord(f"{name}:{start}", None, None, f"unreadable CSV row: {exc}")
                start = reader.line_num + 1
                continue
            # A quote left open ran to the end of the file: where its rows were is lost.
            yield InputRecord(f"{name}:{start}", None, None, f"unreadable CSV row: {exc}; the rows after it were not read")
            return
        where, start = f"{name}:{start}", reader.line_num + 1
        n_header = len(reader.fieldnames or ())
        if None in row or None in row.values():  # DictReader's marks of a row longer or shorter than the header
            n = n_header + len(row.get(None) or ()) if None in row else sum(v is not None for v in row.values())
            yield InputRecord(where, None, None, f"{counted(n, 'field')} where the header has {n_header}")
            continue
        bad = next((k for k, v in row.items() if isinstance(v, str) and _escaped_byte(v) is not None), None)
        if bad is not None:
            yield InputRecord(where, None, None, f"invalid UTF-8 (byte 0x{_escaped_byte(row[bad]):02X}) in column {bad!r}")
            continue
        yield InputRecord(where, None, dict(row))


def _escaped_byte(value: str) -> Optional[int]:
    """The first undecodable byte that ``errors="surrogateescape"`` kept in ``value``, or None."""
    if value.isascii():
        return None
    return next((ord(ch) - 0xDC00 for ch in value if 0xDC80 <= ord(ch) <= 0xDCFF), None)


def _parquet(path: Path, name: str) -> Iterator[InputRecord]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError("reading Parquet needs pyarrow: pip install 'stance[io]'") from exc
    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            n += 1
            yield InputRecord(f"{name}:row {n}", None, row)


def _txt_record(file: Path, where: str, rid: str) -> InputRecord:
    """A whole .txt file as one article."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InputRecord(where, rid, None, f"invalid UTF-8 at byte {exc.start}")
    except OSError as exc:  # a broken link, no permission
        return InputRecord(where, rid, None, f"unreadable file: {exc.strerror or exc}")
    return InputRecord(where, rid, {"id": rid, "text": text})


def _txt_dir(path: Path, prefix: Optional[str]) -> Iterator[InputRecord]:
    """Each .txt file under ``path``, its id the path below it (``prefix/`` first: the folder's
    name when several inputs are read, so that two folders' story.txt stay two articles)."""
    for file in sorted(path.rglob("*.txt")):
        if file.is_dir():  # a folder named x.txt; a broken link is reported by _txt_record
            continue
        rel = str(file.relative_to(path))
        rid = rel if prefix is None else f"{prefix}/{rel}"
        yield _txt_record(file, rid, rid)


def read_records(inputs: Sequence[str], *, stdin: Optional[BinaryIO] = None,
                 names: Optional[dict[str, str]] = None) -> Iterator[InputRecord]:
    """Records from each input in turn: JSONL (.jsonl/.json/-), CSV, Parquet, .txt or a directory.

    A record's place (``where``) starts with its input's file name, or with the path as given when
    two inputs share a file name (``A/news.jsonl``, ``B/news.jsonl``): a resumed run matches records
    by place, so two inputs must never share one. ``names``: those names worked out elsewhere (the
    Ray engine reads resolved paths, but its places and ids must be the local engine's).
    """
    names = _input_names(inputs) if names is None else names
    for spec in inputs:
        name = names.get(spec, spec)
        if spec == "-":
            yield from _jsonl(stdin or sys.stdin.buffer, "stdin")
            continue
        path = Path(spec)
        if path.is_dir():
            yield from _txt_dir(path, name if len(inputs) > 1 else None)
        elif not path.exists():
            raise FileNotFoundError(f"input {spec} does not exist")
        elif path.suffix == ".txt":
            yield _txt_record(path, name, name)  # the id a folder of it would give: "story.txt"
        elif path.suffix == ".csv":
            with open(path, "rb") as f:
                yield from _csv(f, name)
        elif path.suffix == ".parquet":
            yield from _parquet(path, name)
        elif path.suffix in (".jsonl", ".json", ".ndjson"):
            with open(path, "rb") as f:
                yield from _jsonl(f, name)
        else:
            raise ValueError(f"input {spec}: unknown format {path.suffix!r}; use .jsonl, .csv, .parquet, .txt, a directory of .txt files, or - for JSONL on stdin")


def _input_names(inputs: Sequence[str]) -> dict[str, str]:
    """Each input's name in record places: its file name, or the path as given where two share one.

    >>> _input_names(["A/news.jsonl", "B/news.jsonl", "C/other.csv"])
    {'A/news.jsonl': 'A/news.jsonl', 'B/news.jsonl': 'B/news.jsonl', 'C/other.csv': 'other.csv'}
    """
    base = {spec: Path(spec).name for spec in inputs if spec != "-"}
    counts: dict[str, int] = {}
    for b in base.values():
        counts[b] = counts.get(b, 0) + 1
    return {spec: spec if counts[b] > 1 else b for spec, b in base.items()}


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
    if unicode_problem(rid):  # the id is written to every output: it must be valid Unicode
        return None, f"field {fields.id!r} {unicode_problem(rid)}", rec.where
    text = f.get(fields.text)
    if fields.text not in f:
        return None, f"missing field {fields.text!r} (fields present: {', '.join(sorted(map(str, f))) or 'none'})", rid
    if not isinstance(text, str):
        kind = "null" if text is None else type(text).__name__
        return None, f"field {fields.text!r} is {kind}, not a string", rid
    if not text.strip():
        return None, f"field {fields.text!r} is empty", rid
    if len(text) > MAX_ARTICLE_CHARS:
        return None, f"text is {len(text):,} characters, over the {MAX_ARTICLE_CHARS:,} limit", rid
    title, date = (None if _missing(v) else v for v in (f.get(fields.title), f.get(fields.date)))
    if title is not None and not isinstance(title, str):  # as score_article refuses it
        return None, f"field {fields.title!r} (the title) is {type(title).__name__}, not a string", rid
    date = None if date is None else str(date)
    for name, value in ((fields.text, text), (fields.title, title), (fields.date, date)):
        if value is not None and unicode_problem(value):
            return None, f"field {name!r} {unicode_problem(value)}", rid
    return Article(text, rid, title, date), None, rid


def _missing(value: Any) -> bool:
    # A missing value read from CSV or Parquet by pandas-style tools arrives as NaN, not None.
    return value is None or value == "" or (isinstance(value, float) and value != value)


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
    """One row per sentence for ``--sentences``; a sentence naming several states also lists the
    clauses pair-aware scoring cut it into, each with its own score and the pairs it speaks to."""
    for i, s in enumerate(a.sentences):
        yield {"id": a.id, "sent_idx": i, "start": s.start, "end": s.end, "text": s.text, "label": s.label,
               "score": s.score, "p_warming": s.probs["warming"], "p_cooling": s.probs["cooling"],
               "p_neutral": s.probs["neutral"], "actors": [x.code for x in s.actors],
               "pairs": ["-".join(p) for p in s.pairs], "duplicate": s.duplicate,
               "clauses": [{"start": c.start, "end": c.end, "text": c.text, "score": c.score, "label": c.label,
                            "pairs": ["-".join(p) for p in c.pairs]} for c in s.clauses]}


class _Sink:
    """Appends rows as JSONL or CSV; each batch is flushed and fsynced so a crash tears at most
    the row being written, which a resumed run cuts (``_Run``, ``_keep_rows_of``) before this opens."""

    def __init__(self, path: Optional[Path], fmt: str, resume: bool, stdout: TextIO):
        self.fmt, self.path = fmt, path
        self._writer: Optional[csv.DictWriter] = None
        self._csv_header_written = False
        if path is None:
            self.f = stdout
            return
        if resume and path.exists():
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

    def push(self) -> None:
        """Hand the rows written so far to the OS (no fsync: that is flush's job)."""
        self.f.flush()

    def flush(self) -> None:
        self.f.flush()
        if self.path is not None:
            try:
                os.fsync(self.f.fileno())
            except OSError as exc:  # /dev/null, a pipe: nothing on a disk to sync
                if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS):
                    raise

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

    def push(self):
        self.inner.push()

    def flush(self):
        self.inner.flush()

    def close(self, complete: bool = True):
        self.inner.close()
        if not complete:  # an interrupted run keeps its spool, for --resume
            return
        _spool_to_parquet(self.spool, self.path)
        self.spool.unlink()


# Rows per Parquet row group: the conversion holds one group in memory, not the whole output.
PARQUET_ROWS_PER_GROUP = 10_000


def _spool_to_parquet(spool: Path, path: Path) -> None:
    """Two passes over the spool, one group of rows at a time: the schema every group fits
    (a column null in one group and text in another is text), then the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def groups():
        rows: list[dict[str, Any]] = []
        with open(spool, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                for k, v in r.items():  # nested dicts with varying keys: keep them as JSON text
                    if isinstance(v, dict):
                        r[k] = json.dumps(v, ensure_ascii=False)
                rows.append(r)
                if len(rows) == PARQUET_ROWS_PER_GROUP:
                    yield rows
                    rows = []
        if rows:
            yield rows

    schemas = [pa.Table.from_pylist(g).schema for g in groups()]
    if not schemas:
        pq.write_table(pa.table({}), path)
        return
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    with replacing(path) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for g in groups():
                writer.write_table(pa.Table.from_pylist(g, schema=schema))


def _spool_path(path: Path) -> Path:
    return path.with_name(path.name + ".partial.jsonl")


def _restore_spool(path: Path) -> None:
    """Resuming a finished Parquet output: its rows go back into the spool, so that a resumed
    run knows them (and keeps them) instead of scoring everything again."""
    spool = _spool_path(path)
    if spool.exists() or not path.exists():
        return
    import pyarrow.parquet as pq

    with replacing(spool) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _keep_rows_of(path: Path, fmt: str, ids: Collection[str]) -> None:
    """Drop the sentence rows of articles a resumed run does not have (an interrupted run can
    write an article's sentences and die before its output row): they are scored again."""
    if not path.exists():
        return
    _drop_torn_tail(path, fmt)
    with replacing(path) as tmp, open(path, encoding="utf-8", newline="") as src, \
            open(tmp, "w", encoding="utf-8", newline="") as dst:
        if fmt == "csv":
            reader = csv.DictReader(src)
            if reader.fieldnames is None:
                return
            writer = csv.DictWriter(dst, fieldnames=reader.fieldnames)
            writer.writeheader()
            writer.writerows(row for row in reader if row.get("id") in ids)
        else:
            dst.writelines(line for line in src if line.strip() and str(json.loads(line).get("id")) in ids)


def _drop_torn_tail(path: Path, fmt: str = "jsonl") -> None:
    """Cut what a crash left of a last row: a line without its newline or, in CSV, where a quoted
    field may hold newlines, everything after the last newline that is outside quotes."""
    with open(path, "rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        if fmt == "csv":
            f.truncate(_csv_whole_rows_end(f))
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


def _csv_whole_rows_end(f: BinaryIO) -> int:
    """Byte offset just past the last whole CSV row: a newline with an even number of quote
    characters before it (an escaped quote is two, so the count is odd only inside a field)."""
    f.seek(0)
    quotes, end, offset = 0, 0, 0
    while chunk := f.read(1 << 20):
        *lines, rest = chunk.split(b"\n")  # counted line by line: one pass in C per line, not per quote
        for line in lines:
            quotes += line.count(b'"')
            offset += len(line) + 1
            if quotes % 2 == 0:
                end = offset
        quotes += rest.count(b'"')
        offset += len(rest)
    return end


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


def _check_distinct(inputs: Sequence[str], outputs: dict[str, Optional[Path]]) -> None:
    """Refuse an output that is an input (opening it for writing would empty it before it is read)
    or another output (two writers would interleave their lines)."""
    seen: dict[str, str] = {os.path.realpath(spec): f"input {spec}" for spec in inputs if spec != "-"}
    for role, path in outputs.items():
        if path is None:
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise ValueError(f"the {role} {path} is also the {seen[key]}; write it to another file")
        seen[key] = f"{role} {path}"


def check_writable(role: str, path: Path) -> None:
    """Refuse, before any file is opened, an output that cannot be written: a directory, a folder
    that is missing or not a folder, no permission. (A full disk still shows only when writing.)

    >>> check_writable("output", Path("/no/such/folder/out.jsonl"))
    Traceback (most recent call last):
    ...
    ValueError: output /no/such/folder/out.jsonl: the folder /no/such/folder does not exist; make it first
    """
    if path.is_dir():
        raise ValueError(f"{role} {path} is a directory; give a file name")
    folder = path.parent
    if not folder.exists():
        raise ValueError(f"{role} {path}: the folder {folder} does not exist; make it first")
    if not folder.is_dir():
        raise ValueError(f"{role} {path}: {folder} is a file, not a folder")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise ValueError(f"{role} {path}: {'the file' if path.exists() else 'the folder ' + str(folder)} "
                         "is not writable; choose another place")


def _format(path: Optional[Path]) -> str:
    if path is None:
        return "jsonl"
    fmt = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(path.suffix)
    if fmt is None:
        raise ValueError(f"output {path}: unknown format {path.suffix!r}; use .jsonl, .csv or .parquet")
    return fmt


def _open_sink(path: Optional[Path], fmt: str, resume: bool, stdout: TextIO):
    return _ParquetSink(path, resume) if fmt == "parquet" and path is not None else _Sink(path, fmt, resume, stdout)


# -- running -------------------------------------------------------------------------------------
ENGINES = ("local", "ray")


@dataclass(frozen=True)
class Checked:
    """One input record after checking: an article to score, an error, or a record that a
    resumed run already has. Both engines get them from :func:`checked_records`."""

    where: str
    id: str
    article: Optional[Article] = None
    error: Optional[str] = None
    skipped: bool = False


def check_inputs(inputs: Sequence[str]) -> None:
    """Fail before any output is opened if an input is missing or of an unknown kind."""
    if not inputs:
        raise ValueError("no input given; pass one or more .jsonl, .csv, .parquet or .txt files, a directory, or -")
    seen: dict[str, str] = {}
    for spec in inputs:
        path = Path(spec)
        if spec != "-" and path.exists():  # twice, every record of the second would be a duplicate id
            key = os.path.realpath(spec)
            if key in seen:
                also = f" (also as {seen[key]})" if seen[key] != spec else ""
                raise ValueError(f"input {spec} is given twice{also}; give each input once")
            seen[key] = spec
        if spec == "-":
            continue
        if not path.exists():
            raise FileNotFoundError(f"input {spec} does not exist")
        if not os.access(path, os.R_OK):
            raise ValueError(f"input {spec} is not readable (no permission)")
        if not path.is_dir() and path.suffix not in _INPUT_SUFFIXES:
            raise ValueError(f"input {spec}: unknown format {path.suffix!r}; use .jsonl, .csv, .parquet, .txt, "
                             "a directory of .txt files, or - for JSONL on stdin")
    folders = {key: spec for key, spec in seen.items() if Path(key).is_dir()}
    for key, spec in seen.items():  # a file or folder inside a folder also given would be read twice
        outer = next((f for f in folders if key.startswith(f.rstrip(os.sep) + os.sep)), None)
        if outer is not None:
            raise ValueError(f"input {spec} is inside the input folder {folders[outer]}, which is read whole; "
                             "give one of them")


_INPUT_SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv", ".parquet", ".txt")


def checked_records(inputs: Sequence[str], fields: "Fields", *, done_where: Collection[str] = frozenset(),
                    done_ids: Collection[str] = frozenset(), stdin: Optional[BinaryIO] = None,
                    present: Optional[set[str]] = None, names: Optional[dict[str, str]] = None) -> Iterator[Checked]:
    """Every record of ``inputs`` in order, read, validated and checked for duplicate ids (the
    first record with an id wins; a later one is an error, its id made unique with its place).

    ``done_where`` and ``done_ids``: positions and ids a resumed run already has. ``present``
    collects which of the text, id, title and date fields some record holds (a misspelt one is in none).
    ``names``: as for :func:`read_records`.
    """
    seen: set[str] = set(done_ids)
    optional = (fields.text, fields.id, fields.title, fields.date)
    for rec in read_records(inputs, stdin=stdin, names=names):
        if present is not None and rec.fields and len(present) < len(optional):
            # The text field counts when the key is there, even empty ("is empty" is its own error).
            present.update(f for f in optional if rec.fields.get(f) not in (None, "") or (f == fields.text and f in rec.fields))
        if rec.where in done_where:
            yield Checked(rec.where, rec.id or rec.where, skipped=True)
            continue
        article, error, rid = to_article(rec, fields)
        if error is None and rid in seen:
            error = f"duplicate id {rid!r}: an earlier record has it"
            rid = f"{rid}@{rec.where}"
        if error is None:  # a failed record does not take its id from a later, good one
            seen.add(rid)
        yield Checked(rec.where, rid, article if error is None else None, error)


_ERROR_KINDS = (("(the title)", "title not a string"),  # before "not a string", which is the text's
                ("invalid UTF-8", "invalid UTF-8"), ("invalid JSON", "invalid JSON"), ("expected a JSON object", "not an object"),
                ("unreadable CSV", "unreadable CSV"), ("missing field", "missing text"), ("not a string", "text not a string"),
                ("is empty", "empty text"), ("characters, over the", "text too long"), ("duplicate id", "duplicate id"),
                ("unpaired surrogate", "invalid Unicode"), ("where the header has", "wrong field count"))


def error_kind(reason: str) -> str:
    """A short name for an error reason, for the summary's counts.

    >>> error_kind("duplicate id 'a1': an earlier record has it")
    'duplicate id'
    """
    return next((kind for needle, kind in _ERROR_KINDS if needle in reason), reason.split(":")[0])


class _Run:
    """The output side that both engines share, so that their files are the same: the output,
    errors and sentence files, what a resumed run already has, the summary and the progress display."""

    def __init__(self, out_path: Optional[Path], fmt: str, err_path: Optional[Path], sent_path: Optional[Path],
                 resume: bool, stdout: TextIO, stderr: TextIO, progress: bool, inputs: Sequence[str]):
        self.done_ids: set[str] = set()
        self.done_where: set[str] = set()
        if resume and out_path is not None:
            for path in (out_path, sent_path):
                if path is not None and _format(path) == "parquet":
                    _restore_spool(path)
            spool = _spool_path(out_path) if fmt == "parquet" else out_path
            for path, f in ((spool, "jsonl" if fmt == "parquet" else fmt), (err_path, "jsonl")):
                if path is not None and path.exists():  # before reading: a torn row's id is not done
                    _drop_torn_tail(path, f)
                ids, wheres = _done(path, f)
                self.done_where |= wheres
                if path is spool:
                    self.done_ids |= ids
            if sent_path is not None:
                sent_fmt = _format(sent_path)
                _keep_rows_of(_spool_path(sent_path) if sent_fmt == "parquet" else sent_path,
                              "jsonl" if sent_fmt == "parquet" else sent_fmt, self.done_ids)
        self.stderr = stderr
        # All three or none: a sentences file that cannot be opened must not leave an empty output
        # behind, which the next run would refuse to overwrite.
        spools = [_spool_path(p) for p in (out_path, sent_path) if p is not None and _format(p) == "parquet"]
        new = [p for p in (out_path, err_path, sent_path, *spools) if p is not None and not p.exists()]
        opened: list = []
        try:
            self.sink = _open_sink(out_path, fmt, resume, stdout)
            opened.append(self.sink)
            self.err_sink = _Sink(err_path, "jsonl", resume, stderr) if err_path else None
            opened.append(self.err_sink)
            self.sent_sink = _open_sink(sent_path, _format(sent_path), resume, stdout) if sent_path else None
        except OSError as exc:  # passed check_writable, refused anyway (a read-only file system, /sys)
            for sink in opened:
                if sink is not None:
                    (sink.inner if isinstance(sink, _ParquetSink) else sink).close()
            for p in new:
                if p.is_file():
                    p.unlink()
            raise ValueError(f"cannot write {exc.filename or 'an output'}: {exc.strerror or exc}; "
                             "choose another place") from exc
        self.summary = BatchSummary(errors_file=str(err_path) if err_path else None)
        self.inputs = inputs
        self.progress = Progress(progress, stderr, inputs)
        self.t0 = time.time()

    def warn(self, message: str) -> None:
        self.stderr.write(f"stance: warning: {message}\n")

    def skip(self, n: int = 1) -> None:
        self.summary.skipped += n
        self.progress.update(self.summary)

    def report(self, rid: str, where: str, reason: str) -> None:
        s = self.summary
        s.errors += 1
        kind = error_kind(reason)
        s.error_kinds[kind] = s.error_kinds.get(kind, 0) + 1
        if self.err_sink is not None:
            self.err_sink.write({"id": rid, "where": where, "error": reason})
        else:
            self.stderr.write(f"stance: {where}: {reason}\n")
        self.progress.update(s)

    def write(self, row: dict[str, Any], sentences: Iterable[dict[str, Any]], n_sentences: int) -> None:
        # An article's sentences reach the file before its output row: a run killed in between
        # leaves sentences without a row (which resume drops), never a row without its sentences.
        if self.sent_sink is not None:
            for r in sentences:
                self.sent_sink.write(r)
            self.sent_sink.push()
        self.sink.write(row)
        s = self.summary
        s.articles += 1
        s.sentences += n_sentences
        s.seconds = time.time() - self.t0
        self.progress.update(s)
        if s.articles % 64 == 0:
            for sink in (self.sent_sink, self.err_sink, self.sink):  # sentences on disk first, as above
                if sink is not None:
                    sink.flush()

    def close(self, complete: bool = True) -> None:
        """Flush and close every file; a Parquet output is only written when ``complete``."""
        self.summary.seconds = time.time() - self.t0
        self.progress.close(self.summary)
        for sink in (self.sent_sink, self.err_sink, self.sink):
            if sink is None:
                continue
            if isinstance(sink, _ParquetSink):
                sink.close(complete)
            else:
                sink.close()
        err = self.err_sink.path if self.err_sink is not None else None
        # A clean run leaves no empty errors file; only a regular file is removed (never /dev/null).
        if complete and err is not None and err.is_file() and not err.is_symlink() and err.stat().st_size == 0:
            err.unlink()


def score_files(scorer: Union[Scorer, str, Path, None], inputs: Sequence[str], output: Optional[str] = None, *,
                errors: Optional[str] = None, sentences: Optional[str] = None, force: bool = False,
                resume: bool = False, fields: Fields = Fields(), batch_size: int = BATCH_SENTENCES,
                progress: bool = True, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr,
                stdin: Optional[BinaryIO] = None, engine: str = "local", backend: str = "auto",
                threads: Optional[int] = None, workers: Optional[int] = None,
                ray_address: Optional[str] = None) -> BatchSummary:
    """Score every record of ``inputs``; write one row per article to ``output`` (stdout if None).

    ``scorer`` is a loaded :class:`Scorer` or a model directory (None: the shipped model; then
    ``backend`` and ``threads`` say how to load it). Bad records go to ``errors`` (default:
    ``<output>.errors.jsonl``). Refuses to overwrite an existing output unless ``force`` or
    ``resume``. ``engine="ray"`` scores on Ray Data with ``workers`` actors, each loading the model
    once, on the cluster at ``ray_address`` (or ``RAY_ADDRESS``) or a local one; the rows are
    the same as the local engine's.

    >>> score_files(None, ["news.jsonl"], "scored.jsonl").line()      # doctest: +SKIP
    '2 articles, 31 sentences, 0 errors in 1.2s (1.7 articles/s, 26 sentences/s)'
    """
    if isinstance(inputs, (str, Path)):  # a str is a sequence too: its characters would be the inputs
        raise TypeError(f"inputs is a list of paths, not one: wrap it: [{str(inputs)!r}]")
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if engine == "local" and (workers is not None or ray_address is not None):
        raise ValueError("workers and ray_address are for engine='ray' (--engine ray); the local engine "
                         "uses one process: set its CPU threads with threads (--threads)")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    check_inputs(inputs)
    out_path = Path(output) if output not in (None, "-") else None
    fmt = _format(out_path)
    if errors == "-":  # as for -o: the errors go to stderr, one line each
        err_path = None
    else:
        err_path = Path(errors) if errors else (out_path.with_name(out_path.name + ".errors.jsonl") if out_path else None)
    sent_path = Path(sentences) if sentences else None
    roles = {"output": out_path, "errors file": err_path, "sentences file": sent_path}
    _check_distinct(inputs, roles)
    for role, p in roles.items():
        if p is not None:
            check_writable(role, p)
    for p in (out_path, sent_path):
        if p is not None and p.exists() and not (force or resume):
            raise FileExistsError(f"{p} exists; pass --force (force=True) to overwrite or --resume (resume=True) "
                                  "to continue that run")
        if p is not None and _format(p) == "parquet":
            if _spool_path(p).exists() and not (force or resume):
                raise FileExistsError(f"{_spool_path(p)} holds the rows of an interrupted run; pass --resume to "
                                      "continue it or --force to start over")
            try:
                import pyarrow  # noqa: F401
            except ImportError as exc:
                raise ImportError(f"writing {p} needs pyarrow: pip install 'stance[io]'") from exc
    # Errors a run wrote are not overwritten either (an empty file, /dev/null: nothing to lose).
    if err_path is not None and err_path.is_file() and err_path.stat().st_size and not (force or resume):
        raise FileExistsError(f"{err_path} holds the errors of an earlier run; pass --force (force=True) to "
                              "overwrite it or --resume (resume=True) to continue that run")
    if resume and out_path is None:
        raise ValueError("--resume needs an output file (-o)")
    ray_started = False
    if engine == "ray":
        from .ray_engine import check_ray, connect, disconnect

        # Before any file is opened: a missing extra, a bad model or an unreachable cluster must
        # not leave an empty output behind.
        check_ray(inputs, scorer.path if isinstance(scorer, Scorer) else scorer)
        if not isinstance(scorer, Scorer) and backend in ("auto", "onnx"):
            # Workers get the backend this load settles on, by its strict name ("onnx-int8"): left
            # at "auto", each could fall back to fp32 on its own and one output would mix the two.
            resolved = Scorer.from_pretrained(scorer, backend=backend, threads=1)
            scorer, backend = resolved.path, resolved.backend.name
            del resolved
        ray_started = connect(ray_address)
    elif not isinstance(scorer, Scorer):
        scorer = Scorer.from_pretrained(scorer, backend=backend, threads=threads)

    try:
        run = _Run(out_path, fmt, err_path, sent_path, resume, stdout, stderr, progress, inputs)
        complete = False
        try:
            if engine == "ray":
                _run_ray(run, scorer, inputs, fields, batch_size, sentences=sent_path is not None, backend=backend,
                         threads=threads, workers=workers)
            else:
                _run_local(run, cast(Scorer, scorer), inputs, fields, batch_size, stdin=stdin)  # loaded above
            complete = True
        finally:
            run.close(complete)
    finally:
        if ray_started:
            disconnect()
    return run.summary


def _run_local(run: _Run, scorer: Scorer, inputs: Sequence[str], fields: Fields, batch_size: int, *,
               stdin: Optional[BinaryIO]) -> None:
    wheres: dict[Optional[str], str] = {}
    present: set[str] = set()

    def articles() -> Iterator[Article]:
        for c in checked_records(inputs, fields, done_where=run.done_where, done_ids=run.done_ids, stdin=stdin,
                                 present=present):
            if c.skipped:
                run.skip()
            elif c.article is None:  # a record is an article or an error
                run.report(c.id, c.where, c.error or "no article")
            else:
                wheres[c.id] = c.where
                yield c.article

    with_sentences = run.sent_sink is not None
    for a in scorer.pipe(articles(), batch_size=batch_size):
        run.write(output_row(a, wheres.pop(a.id, None)), sentence_rows(a) if with_sentences else (), len(a.sentences))
    _end_warnings(run, fields, present)


def _end_warnings(run: _Run, fields: Fields, present: Collection[str]) -> None:
    """Warn of a run that read no record at all (a mistyped folder looks like success otherwise),
    and of a --*-field option that names a field no record holds (misspelt, most likely)."""
    s = run.summary
    if not (s.articles or s.errors or s.skipped):
        run.warn(f"no record was read from {', '.join(run.inputs)}: an empty file, or a folder with no .txt files?")
    default = Fields()
    for option, name, usual in (("--id-field", fields.id, default.id), ("--title-field", fields.title, default.title),
                                ("--date-field", fields.date, default.date)):
        if name != usual and name not in present and run.summary.articles:
            run.warn(f"no record has a field {name!r} ({option}); misspelt? "
                     + ("ids are the records' places" if option == "--id-field" else "it was left empty"))
    if present and fields.text not in present and run.summary.errors and not run.summary.articles:
        # Every record failed the same way: say it once, not only once per record.
        run.warn(f"no record has a field {fields.text!r} (--text-field), so nothing was scored; "
                 "each error lists the fields its record holds")


def _run_ray(run: _Run, scorer: Union[Scorer, str, Path, None], inputs: Sequence[str], fields: Fields,
             batch_size: int, *, sentences: bool, backend: str, threads: Optional[int], workers: Optional[int]) -> None:
    from .ray_engine import scored_records

    model: Union[str, Path, None]
    if isinstance(scorer, Scorer):
        model, backend = scorer.path, scorer.backend.name
    else:
        model = scorer
    for r in scored_records(inputs, fields, done_where=run.done_where, done_ids=run.done_ids, model=model,
                            backend=backend, threads=threads, workers=workers, batch_size=batch_size,
                            sentences=sentences, report_fields=True):
        if r["kind"] == "skipped":
            run.skip(r["n"])
        elif r["kind"] == "error":
            run.report(r["id"], r["where"], r["error"])
        elif r["kind"] == "present":
            _end_warnings(run, fields, json.loads(r["error"]))
        else:
            for row, sents, n_sentences in json.loads(r["scored"]):
                run.write(row, sents or (), n_sentences)
