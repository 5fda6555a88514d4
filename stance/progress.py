"""Progress of a batch run: a tqdm bar on a terminal, a plain log line otherwise, and the count
of input records that gives the ETA.

>>> count_records(["-"]) is None      # stdin: no total, so no ETA
True
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence, TextIO

if TYPE_CHECKING:
    from .batch import BatchSummary

__all__ = ["count_records", "Progress", "format_seconds"]


# Inputs up to this size are counted before the run starts (a few tens of milliseconds); bigger
# ones in a background thread, so the run does not wait for the count.
COUNT_NOW_BYTES = 64 << 20


def _input_bytes(inputs: Sequence[str]) -> float:
    try:
        return sum(Path(p).stat().st_size if Path(p).is_file() else float("inf") for p in inputs)
    except OSError:
        return float("inf")


def _count_lines(path: Path) -> int:
    """Newlines in a file, plus a last line without one: 1 GB takes about a second."""
    n, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def count_records(inputs: Sequence[str]) -> Optional[int]:
    """About how many records ``inputs`` hold, for the ETA; None when it cannot be known (stdin).

    JSONL counts lines (blank lines are over-counted), CSV lines minus the header (a quoted field
    with a newline is over-counted), Parquet its metadata, a directory its .txt files.
    """
    total = 0
    for spec in inputs:
        path = Path(spec)
        if spec == "-" or not path.exists():
            return None
        if path.is_dir():
            total += sum(1 for _ in path.rglob("*.txt"))
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            total += pq.ParquetFile(path).metadata.num_rows
        elif path.suffix == ".csv":
            total += max(_count_lines(path) - 1, 0)
        elif path.suffix == ".txt":
            total += 1
        else:
            total += _count_lines(path)
    return total


def format_seconds(seconds: float) -> str:
    """>>> format_seconds(3725)
    '1h02m'
    """
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def counted(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless one.

    >>> counted(1, "error"), counted(0, "error")
    ('1 error', '0 errors')
    """
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


class Progress:
    """Articles/s, sentences/s and ETA: a tqdm bar when ``stream`` is a terminal (and tqdm is
    installed), otherwise a plain line every ``LOG_EVERY`` seconds.

    The total of a big input is counted in a background thread, so the run starts at once and
    the ETA appears when the count is done. Records skipped by ``--resume`` are taken off the total:
    the rate and ETA are about the work left, not the work found already done.
    """

    LOG_EVERY = 30.0
    POSTFIX_EVERY = 0.5

    def __init__(self, enabled: bool, stream: TextIO, inputs: Sequence[str] = ()):
        self.enabled, self.stream = enabled, stream
        self.bar = None
        self.total: Optional[int] = None
        self.t0 = self.last_log = self.last_postfix = time.time()
        if not enabled:
            return
        if stream.isatty():
            try:
                from tqdm import tqdm

                # smoothing=0: the ETA uses the average rate, as the plain line does
                self.bar = tqdm(total=None, unit=" articles", file=stream, dynamic_ncols=True, smoothing=0,
                                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]")
            except ImportError:
                pass
        if inputs:
            if _input_bytes(inputs) <= COUNT_NOW_BYTES:
                self._count(list(inputs))
            else:
                threading.Thread(target=self._count, args=(list(inputs),), daemon=True).start()

    def _count(self, inputs: list[str]) -> None:
        try:
            self.total = count_records(inputs)
        except Exception:  # noqa: BLE001 - a failed count only costs the ETA; reading reports the real error
            self.total = None

    def _left(self, s: "BatchSummary") -> Optional[int]:
        if self.total is None:
            return None
        return max(self.total - s.skipped - s.articles - s.errors, 0)

    def eta(self, s: "BatchSummary") -> Optional[float]:
        """Seconds left at the current rate of records handled (articles + errors)."""
        left, done, elapsed = self._left(s), s.articles + s.errors, time.time() - self.t0
        if left is None or done == 0 or elapsed <= 0:
            return None
        return left / (done / elapsed)

    def rates(self, s: "BatchSummary") -> str:
        elapsed = max(time.time() - self.t0, 1e-9)
        return f"{s.articles / elapsed:.1f} articles/s, {s.sentences / elapsed:.0f} sentences/s, {counted(s.errors, 'error')}"

    def line(self, s: "BatchSummary") -> str:
        done = s.articles + s.errors
        total = None if self.total is None else self.total - s.skipped
        eta = self.eta(s)
        head = f"{done:,}/{total:,} records ({100 * done / max(total, 1):.0f}%)" if total else f"{done:,} records"
        return f"{head}, {self.rates(s)}" + (f", ETA {format_seconds(eta)}" if eta is not None else "")

    def update(self, s: "BatchSummary") -> None:
        """Call after each record handled (scored, failed or skipped)."""
        if not self.enabled:
            return
        now = time.time()
        if self.bar is not None:
            if self.total is not None and self.bar.total != self.total - s.skipped:
                self.bar.total = self.total - s.skipped
            self.bar.n = s.articles + s.errors
            if now - self.last_postfix >= self.POSTFIX_EVERY:
                self.last_postfix = now
                self.bar.set_postfix_str(self.rates(s), refresh=False)
                self.bar.refresh()
        elif now - self.last_log >= self.LOG_EVERY:
            self.last_log = now
            self.stream.write(f"stance: {self.line(s)}\n")
            self.stream.flush()

    def close(self, s: Optional["BatchSummary"] = None) -> None:
        if self.bar is not None:
            if s is not None:
                self.bar.n = s.articles + s.errors
                self.bar.set_postfix_str(self.rates(s), refresh=False)
            self.bar.close()
