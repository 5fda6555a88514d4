"""Shared by the annotation tools: whole stories into batches of about equal sentence counts,
and JSON-lines files read and written."""
import json
from pathlib import Path


def cut(units: list[dict], n_batches: int) -> list[list[dict]]:
    """Stories in order into ``n_batches`` batches, cutting only between stories.

    >>> [len(b) for b in cut([{"sentences": [1]}] * 5, 2)]
    [3, 2]
    """
    total = sum(len(u["sentences"]) for u in units)
    batches, cur, size = [], [], 0
    for u in units:
        cur.append(u)
        size += len(u["sentences"])
        if size >= total / n_batches * (len(batches) + 1) and len(batches) < n_batches - 1:
            batches.append(cur)
            cur = []
    batches.append(cur)
    return batches


def read_jsonl(path) -> list[dict]:
    """One dict per non-blank line; a missing file is an error (a batch not yet answered)."""
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def write_jsonl(path: Path, rows) -> None:
    """One JSON object per line, UTF-8 text kept as it is."""
    Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
