"""Validate an annotation part file against its batch.

Usage: python training/annotations/check_part.py BATCH.json SENTENCES.jsonl [ARTICLES.jsonl]
Prints problems (missing/extra sentences, bad labels, bad codes) and counts; exit 1 on problems.
"""
import json
import re
import sys
from collections import Counter

LABELS = {"warming", "cooling", "neutral"}
ARTICLE_LABELS = {"warming", "cooling", "mixed", "neutral"}
CODE = re.compile(r"^[A-Z]{3}$")

batch = json.load(open(sys.argv[1], encoding="utf-8"))
want = {(u["id"], s["sent_idx"]): s for u in batch for s in u["sentences"]}
problems, got, labels = [], set(), Counter()
for n, line in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
    row = json.loads(line)
    key = (str(row.get("story_id")), row.get("sent_idx"))
    if key not in want:
        problems.append(f"line {n}: {key} is not a sentence of this batch")
        continue
    if key in got:
        problems.append(f"line {n}: {key} labelled twice")
    got.add(key)
    if row.get("text") != want[key]["text"]:
        problems.append(f"line {n}: text differs from the batch for {key}")
    if row.get("label") not in LABELS:
        problems.append(f"line {n}: label {row.get('label')!r} not in {sorted(LABELS)}")
    labels[row.get("label")] += 1
    for c in row.get("countries", []):
        if not CODE.match(str(c)):
            problems.append(f"line {n}: country {c!r} is not an ISO alpha-3 code")
    for pair, lab in (row.get("pair_labels") or {}).items():
        if not re.match(r"^[A-Z]{3}-[A-Z]{3}$", pair) or lab not in LABELS:
            problems.append(f"line {n}: pair_labels entry {pair!r}: {lab!r} is malformed")
missing = sorted(set(want) - got)
if missing:
    problems.append(f"{len(missing)} sentences not labelled, first: {missing[:5]}")
if len(sys.argv) > 3:
    stories = {u["id"] for u in batch}
    seen = set()
    for n, line in enumerate(open(sys.argv[3], encoding="utf-8"), 1):
        row = json.loads(line)
        seen.add(str(row.get("story_id")))
        if row.get("label") not in ARTICLE_LABELS:
            problems.append(f"articles line {n}: label {row.get('label')!r} not in {sorted(ARTICLE_LABELS)}")
    if stories - seen:
        problems.append(f"articles missing for stories {sorted(stories - seen)}")
print("\n".join(problems[:50]) or "OK")
print(f"{len(got)}/{len(want)} sentences labelled; labels: {dict(labels)}")
sys.exit(1 if problems else 0)
