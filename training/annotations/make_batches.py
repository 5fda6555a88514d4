"""Cut the VOA stories into annotation batches (sentence units from stance.segment).

Usage: python training/annotations/make_batches.py [DATA_DIR]
Writes training/annotations/work/batch_NN.json (git-ignored: derivable from the data).
"""
import json
import sys
from pathlib import Path

from batching import cut
from stance.segment import split_sentences

N_BATCHES = 6
DOUBLE_TARGET = 200  # sentences in the independently double-labelled sample

data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
out = Path(__file__).parent / "work"
out.mkdir(exist_ok=True)
stories = [json.loads(line) for line in open(data / "unlabelled/voa_stories.jsonl", encoding="utf-8")]
units = []
for st in stories:
    sents = [
        {"sent_idx": i, "start": s.start, "end": s.end, "text": s.text}
        for i, s in enumerate(split_sentences(st["text"]))
    ]
    units.append({k: st[k] for k in ("id", "title", "section", "published")} | {"text": st["text"], "sentences": sents})

batches = cut(units, N_BATCHES)
for i, b in enumerate(batches):
    (out / f"batch_{i:02d}.json").write_text(json.dumps(b, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"batch_{i:02d}: {len(b)} stories, {sum(len(u['sentences']) for u in b)} sentences")

# Double-label sample: every 13th story until ~200 sentences, whole stories only.
double, n = [], 0
for u in units[3::13] + units[7::13]:
    if n >= DOUBLE_TARGET:
        break
    double.append(u)
    n += len(u["sentences"])
(out / "double.json").write_text(json.dumps(double, ensure_ascii=False, indent=1), encoding="utf-8")
print(f"double: {len(double)} stories, {n} sentences: {[u['id'] for u in double]}")
