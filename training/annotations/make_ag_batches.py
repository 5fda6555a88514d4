"""Cut the AG News 'World' leads into annotation batches (sentence units from stance.segment).

Usage: python training/annotations/make_ag_batches.py [DATA_DIR]
AG News text may not be redistributed: batches go to the git-ignored work/ folder, and the
committed labels carry only ids, sentence indexes and a short hash of the sentence text.
"""
import hashlib
import json
import sys
from pathlib import Path

from stance.segment import split_sentences

N_BATCHES = 4
data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
out = Path(__file__).parent / "work"
out.mkdir(exist_ok=True)
items = [json.loads(l) for l in open(data / "unlabelled/ag_news_world.jsonl", encoding="utf-8")]
units = []
for it in items:
    sents = [{"sent_idx": i, "text": s.text, "sha": hashlib.sha256(s.text.encode()).hexdigest()[:10]}
             for i, s in enumerate(split_sentences(it["text"]))]
    units.append({"id": it["id"], "title": it["title"], "sentences": sents})
size = -(-len(units) // N_BATCHES)
for b in range(N_BATCHES):
    part = units[b * size:(b + 1) * size]
    (out / f"ag_batch_{b}.json").write_text(json.dumps(part, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"ag_batch_{b}: {len(part)} items, {sum(len(u['sentences']) for u in part)} sentences")
