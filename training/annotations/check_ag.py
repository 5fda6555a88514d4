"""Validate a hash-only label file (AG News, synthetic stories) against its batch:

    python check_ag.py BATCH.json LABELS.jsonl
"""
import json
import re
import sys
from collections import Counter

batch = json.load(open(sys.argv[1], encoding="utf-8"))
want = {(u["id"], s["sent_idx"]): s["sha"] for u in batch for s in u["sentences"]}
got, problems, labels = set(), [], Counter()
for n, line in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
    r = json.loads(line)
    key = (r.get("id"), r.get("sent_idx"))
    if key not in want:
        problems.append(f"line {n}: {key} not in batch")
        continue
    if r.get("sha") != want[key]:
        problems.append(f"line {n}: sha mismatch for {key}")
    if "text" in r:
        problems.append(f"line {n}: do not store the text (licence)")
    if r.get("label") not in ("warming", "cooling", "neutral"):
        problems.append(f"line {n}: bad label {r.get('label')!r}")
    if any(not re.match(r"^[A-Z]{3}$", str(c)) for c in r.get("countries", [])):
        problems.append(f"line {n}: bad country code")
    got.add(key)
    labels[r.get("label")] += 1
missing = set(want) - got
if missing:
    problems.append(f"{len(missing)} sentences missing, e.g. {sorted(missing)[:3]}")
print("\n".join(problems[:30]) or "OK")
print(f"{len(got)}/{len(want)} labelled: {dict(labels)}")
sys.exit(1 if problems else 0)
