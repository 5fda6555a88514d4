"""``--engine ray``: the batch job on Ray Data, for a cluster (or to use every core of one machine).

The plan::

    inputs --one read task: the local engine's reader, checks and sentence groups--> groups
           --actor pool, one model per actor--> scored groups
           --driver, in input order--> the local engine's writer (output, errors, sentences)

Why this split:

* The inputs are read by the *same* code as the local engine (:func:`stance.batch.checked_records`)
  in one Ray task, not by Ray's own JSON/CSV readers: those stop the whole job on one invalid
  line and know nothing of line numbers or duplicate ids (which need the whole run's state, in
  input order), so the errors file could not be the same. Reading costs little next to the model.
* The task cuts the articles into the groups the local engine scores together
  (:func:`stance.scorer.group_articles`) and each group is scored whole by one actor. So the
  model sees the same batches as in the local engine and the scores are the same, not just
  close (the backends are batch-invariant to about 1e-6, so this is belt and braces; it would
  matter again for a model that quantises each batch as a whole, as dynamic int8 does).
* The model runs in ``map_batches`` with a callable class on an actor pool: each actor loads the
  model once and scores groups.
* The driver writes the rows itself, in input order (``preserve_order``), with the local engine's
  sinks. So the output and errors files are the local engine's, and ``--resume`` works the same
  way: a resumed run skips the positions already in the output or errors file. Writing a row costs
  the driver microseconds, far below what the actors produce. Ray's own writers would give a
  directory of shards instead of one file, and could not be resumed row by row.

Requirements on a real cluster: the same version of stance installed on every node, and the
input files and the model directory readable at the same paths from the driver and the workers
(a shared file system). stdin cannot be read by a worker: use the local engine for ``-``.

>>> from stance.ray_engine import check_ray   # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any, Collection, Iterator, Optional, Sequence, Union

from .batch import Fields, _input_names, checked_records, output_row, sentence_rows
from .scorer import Article, group_articles

__all__ = ["check_ray", "connect", "disconnect", "scored_records"]

# Groups (of about --batch-size sentences each) per call to an actor: enough that Ray's per-call
# overhead (about a millisecond) is small next to scoring them.
GROUPS_PER_CALL = 8
# Rows per Arrow table out of the read task.
READ_BLOCK = 64
# Bytes per block. Ray packs a task's output into blocks of up to 128 MB and sends a block to one
# actor, so the whole input would go to one actor; small blocks spread it, and actors still get
# bundles of GROUPS_PER_CALL rows. (A streaming repartition by rows would need a CPU of its own,
# which the actors may all hold: a deadlock.)
BLOCK_BYTES = 16 * 1024

_MISSING = "--engine ray needs Ray Data: pip install 'stance[ray]'"
_COLUMNS = ("kind", "where", "id", "error", "n", "group")


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ImportError(_MISSING) from exc
    return ray


def check_ray(inputs: Sequence[str], model: Union[str, Path, None] = None) -> None:
    """Fail early, before any output is opened: Ray missing, stdin given, or a bad model directory."""
    _import_ray()
    if "-" in inputs:
        raise ValueError("--engine ray reads input files on its workers and cannot read stdin ('-'); "
                         "save the stream to a .jsonl file, or use --engine local")
    from .model_dir import default_model_path, read_metadata

    read_metadata(Path(model) if model is not None else default_model_path())


def _read(batch: Any, inputs: list[str], fields: Fields, done_where: frozenset[str], done_ids: frozenset[str],
          batch_size: int, report_fields: bool = False, names: Optional[dict[str, str]] = None) -> Iterator[Any]:
    """Ray task: every record in input order as rows of kind "error", "skipped" (``n`` of them in a
    row) or "group" (JSON list of [where, id, text, title, date], one sentence group); with
    ``report_fields``, then one row of kind "present": in ``error``, the JSON list of the field
    names some record holds (see :func:`stance.batch.checked_records`), for the misspelt-field warnings."""
    import pyarrow as pa

    rows: list[tuple] = []
    held: list[tuple] = []  # errors and skips read while the current group was forming
    wheres: dict[Optional[str], str] = {}
    present: set[str] = set()

    def hold(c) -> None:
        if c.skipped and held and held[-1][0] == "skipped":
            held[-1] = ("skipped", None, None, None, held[-1][4] + 1, None)
        else:
            held.append(("skipped", None, None, None, 1, None) if c.skipped else ("error", c.where, c.id, c.error, 0, None))

    def articles() -> Iterator[Article]:
        for c in checked_records(inputs, fields, done_where=done_where, done_ids=done_ids, present=present,
                                 names=names):
            if c.article is None:
                hold(c)
                continue
            wheres[c.id] = c.where
            yield c.article

    def table():
        t = pa.table({k: pa.array([r[i] for r in rows], pa.int64() if k == "n" else pa.string())
                      for i, k in enumerate(_COLUMNS)})
        rows.clear()
        return t

    for group in group_articles(articles(), batch_size):
        rows.extend(held)  # in the local engine too, these are reported before the group is scored
        held.clear()
        recs = [[wheres.pop(a.id), a.id, a.text, a.title, a.date] for a, _ in group]
        rows.append(("group", None, None, None, len(recs), json.dumps(recs, ensure_ascii=False)))
        if len(rows) >= READ_BLOCK:
            yield table()
    rows.extend(held)
    if report_fields:
        rows.append(("present", None, None, json.dumps(sorted(present)), 0, None))
    if rows:
        yield table()


class _ScoreGroups:
    """Ray actor: loads the model once, then scores sentence groups; other rows pass through."""

    def __init__(self, model: Optional[str], backend: str, threads: int, batch_size: int, sentences: bool):
        from .scorer import load

        self.scorer = load(model, backend=backend, threads=threads)
        self.batch_size, self.sentences = batch_size, sentences

    def __call__(self, table: Any) -> Any:
        import pyarrow as pa

        scored: list[Optional[str]] = []
        for kind, group in zip(table.column("kind").to_pylist(), table.column("group").to_pylist()):
            if kind != "group":
                scored.append(None)
                continue
            recs = json.loads(group)
            # The group was cut by group_articles with this batch_size, so pipe scores it as one.
            arts = (Article(text, rid, title, date) for _, rid, text, title, date in recs)
            out = [[output_row(a, where), list(sentence_rows(a)) if self.sentences else None, len(a.sentences)]
                   for (where, *_), a in zip(recs, self.scorer.pipe(arts, batch_size=self.batch_size))]
            scored.append(json.dumps(out, ensure_ascii=False))
        return table.drop_columns(["group"]).append_column("scored", pa.array(scored, pa.string()))


def connect(address: Optional[str] = None) -> bool:
    """Join the cluster at ``address`` or RAY_ADDRESS, or start a local Ray instance.

    Returns True if it did either (the caller then calls :func:`disconnect` when done), False if
    Ray was already set up by the caller (a notebook, a test): that is used and left up.
    """
    ray = _import_ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")
    try:
        if address:
            ray.init(address=address, logging_level=logging.WARNING)
        else:
            ray.init(include_dashboard=False, logging_level=logging.WARNING)
    except ConnectionError as exc:
        raise ConnectionError(f"could not join the Ray cluster at {address}: {exc}. Check --ray-address or "
                              "RAY_ADDRESS, or leave both unset to start a local Ray instance") from exc
    return True


def disconnect() -> None:
    _import_ray().shutdown()


def scored_records(inputs: Sequence[str], fields: Fields, *, done_where: Collection[str] = frozenset(),
                   done_ids: Collection[str] = frozenset(), model: Union[str, Path, None] = None,
                   backend: str = "auto", threads: Optional[int] = None, workers: Optional[int] = None,
                   batch_size: int = 64, sentences: bool = False,
                   report_fields: bool = False) -> Iterator[dict[str, Any]]:
    """Every input record in input order, as dicts with ``kind`` ("error", "skipped", "group"; with
    ``report_fields``, last one "present" row, see ``_read``),
    ``where``, ``id``, ``error``, ``n`` (records skipped, or articles in the group) and ``scored``
    (a group's articles as a JSON list of [output row, sentence rows or None, number of sentences]).

    ``workers`` actors (default: one per CPU of the cluster) each use ``threads`` CPU threads (default 1).
    """
    ray = _import_ray()
    if not ray.is_initialized():
        raise RuntimeError("scored_records needs Ray set up: call stance.ray_engine.connect() first")
    ctx = ray.data.DataContext.get_current()
    saved = (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.target_max_block_size)
    data_log = logging.getLogger("ray.data")
    saved_level = data_log.level
    try:
        # Rows must come back in input order: the output is written in input order, and resume relies on it.
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False  # stance shows its own progress
        ctx.target_max_block_size = BLOCK_BYTES
        data_log.setLevel(logging.WARNING)
        threads = threads or 1
        if workers is None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 1) // threads))
        # The task opens resolved paths (it may run elsewhere) but names records as the local engine does.
        resolved = {p: str(Path(p).resolve()) for p in inputs}
        read_args = {"inputs": list(resolved.values()), "fields": fields,
                     "names": {resolved[p]: name for p, name in _input_names(inputs).items()},
                     "done_where": frozenset(done_where), "done_ids": frozenset(done_ids), "batch_size": batch_size,
                     "report_fields": report_fields}
        ds = (ray.data.from_items([{"task": 0}])
              # num_cpus=0: reading is light, and it keeps the read from being fused into the
              # actors (which would then score everything on one actor) or waiting for a free CPU.
              .map_batches(_read, batch_size=1, num_cpus=0, compute=ray.data.TaskPoolStrategy(size=1),
                           fn_kwargs=read_args)
              .map_batches(_ScoreGroups, batch_size=GROUPS_PER_CALL, batch_format="pyarrow", num_cpus=threads,
                           compute=ray.data.ActorPoolStrategy(size=workers),
                           fn_constructor_kwargs={"model": None if model is None else str(Path(model).resolve()),
                                                  "backend": backend, "threads": threads,
                                                  "batch_size": batch_size, "sentences": sentences}))
        with warnings.catch_warnings():
            # Ray warns at plan time that one input item cannot feed several actors; the read
            # task splits it into many blocks, so they all do get work.
            warnings.filterwarnings("ignore", message=r"The (maximum|minimum) number of concurrent",
                                    category=UserWarning)
            for block in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
                yield from block.to_pylist()
    finally:
        ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.target_max_block_size = saved
        data_log.setLevel(saved_level)
