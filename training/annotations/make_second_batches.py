"""Cut the VOA *train* stories into batches for a blind second annotation.

Usage: python training/annotations/make_second_batches.py [N_BATCHES]
Writes training/annotations/work/second_NN.json (git-ignored): whole stories, every sentence
with its index and text, and no label, so the second annotator cannot see the first one's.
The first labels are in parts/voa_sentences_b*.jsonl; disagreements go to adjudication
(``second_pass.py``). Train stories only: dev and test keep the labels they were measured with.
"""
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from data import load_voa_team  # noqa: E402
from batching import cut  # noqa: E402

n_batches = int(sys.argv[1]) if len(sys.argv) > 1 else 6
rows, info = load_voa_team()
train_ids = sorted({r["article_id"] for r in rows if r["split"] == "train"})
stories: dict[str, list[dict]] = defaultdict(list)
for (sid, idx), r in sorted(info["primary"].items()):
    if sid in train_ids:
        stories[sid].append({"sent_idx": idx, "text": r["text"]})
units = [{"id": sid, "text": " ".join(s["text"] for s in sents), "sentences": sents} for sid, sents in stories.items()]
out = HERE / "work"
out.mkdir(exist_ok=True)
batches = cut(units, n_batches)
for i, b in enumerate(batches):
    (out / f"second_{i:02d}.json").write_text(json.dumps(b, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"second_{i:02d}: {len(b)} stories, {sum(len(u['sentences']) for u in b)} sentences")
