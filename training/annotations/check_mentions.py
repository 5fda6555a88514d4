"""Check a state-mention annotation file against the stories it annotates (codebook: MENTIONS.md).

    python training/annotations/check_mentions.py STORIES.jsonl MENTIONS.jsonl

Prints one line per problem (story, sentence, what is wrong) and a summary; exits 1 on any problem.
"""

from __future__ import annotations

import json
import re
import sys

KINDS = {"name", "demonym", "capital", "person", "body", "description"}
CODE = re.compile(r"^[A-Z]{3}$")


def occurrence(text: str, needle: str, nth: int) -> int:
    """Start of the ``nth`` occurrence of ``needle`` in ``text``, or -1."""
    start = -1
    for _ in range(nth + 1):
        start = text.find(needle, start + 1)
        if start < 0:
            return -1
    return start


def check(stories_path: str, mentions_path: str) -> list[str]:
    sentences = {}
    for line in open(stories_path, encoding="utf-8"):
        st = json.loads(line)
        for s in st["sentences"]:
            sentences[(st["story_id"], s["sent_idx"])] = s["text"]
    problems, seen = [], set()
    for n, line in enumerate(open(mentions_path, encoding="utf-8"), 1):
        try:
            r = json.loads(line)
            key = (r["story_id"], r["sent_idx"])
        except (ValueError, KeyError) as e:
            problems.append(f"line {n}: not a mention record ({e})")
            continue
        if key not in sentences:
            problems.append(f"line {n}: {key} is not a sentence of the stories file")
            continue
        if key in seen:
            problems.append(f"line {n}: {key} annotated twice")
        seen.add(key)
        for m in r.get("mentions", []):
            where = f"line {n} {key} mention {m!r}"
            if not CODE.match(str(m.get("code", ""))):
                problems.append(f"{where}: code must be ISO alpha-3")
            if m.get("kind") not in KINDS:
                problems.append(f"{where}: kind must be one of {sorted(KINDS)}")
            if occurrence(sentences[key], str(m.get("text", "")), int(m.get("nth", 0))) < 0 or not m.get("text"):
                problems.append(f"{where}: text (occurrence nth={m.get('nth', 0)}) not in the sentence")
        for c in r.get("implied", []):
            if not CODE.match(str(c)):
                problems.append(f"line {n} {key}: implied code {c!r} must be ISO alpha-3")
    for key in sorted(set(sentences) - seen):
        problems.append(f"{key}: sentence not annotated")
    return problems


if __name__ == "__main__":
    found = check(sys.argv[1], sys.argv[2])
    print("\n".join(found) or "ok")
    print(f"{len(found)} problems")
    sys.exit(1 if found else 0)
