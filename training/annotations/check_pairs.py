"""Check a pair annotation file against the batch it annotates (codebook: PAIRS.md).

    python training/annotations/check_pairs.py BATCH.jsonl LABELS.jsonl

Prints one line per problem (item, sentence, what is wrong) and a summary; exits 1 on any problem.
"""

from __future__ import annotations

import json
import sys

LABELS = {"warming", "cooling", "neutral"}


def check(batch_path: str, labels_path: str) -> list[str]:
    wanted = {}
    for line in open(batch_path, encoding="utf-8"):
        it = json.loads(line)
        for t in it["targets"]:
            wanted[(it["item"], t["sent_idx"])] = t
    problems, seen = [], set()
    for n, line in enumerate(open(labels_path, encoding="utf-8"), 1):
        try:
            r = json.loads(line)
            key = (r["item"], int(r["sent_idx"]))
            pairs = dict(r["pairs"])
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"line {n}: not a pair record ({e})")
            continue
        t = wanted.get(key)
        if t is None:
            problems.append(f"line {n}: {key} is not a target of the batch")
            continue
        if key in seen:
            problems.append(f"line {n}: {key} annotated twice")
        seen.add(key)
        if r.get("sha") != t["sha"]:
            problems.append(f"line {n} {key}: sha {r.get('sha')!r} is not the batch's {t['sha']!r}")
        if set(pairs) != set(t["pairs"]):
            problems.append(f"line {n} {key}: pairs {sorted(pairs)} are not the batch's {t['pairs']}")
        bad = {k: v for k, v in pairs.items() if v not in LABELS}
        if bad:
            problems.append(f"line {n} {key}: labels {bad} not one of {sorted(LABELS)}")
        for c in r.get("not_states", []):
            if c not in t["states"]:
                problems.append(f"line {n} {key}: not_states code {c!r} is not a listed state")
    for key in sorted(set(wanted) - seen):
        problems.append(f"{key}: target not annotated")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    problems = check(*argv)
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
