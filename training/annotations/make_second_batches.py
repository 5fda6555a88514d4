"""Cut VOA stories into batches for a blind second annotation.

Usage: python training/annotations/make_second_batches.py [N_BATCHES] [--heldout]
Writes training/annotations/work/second_NN.json (the train stories) or, with ``--heldout``,
heldout_NN.json (the dev and test stories, less the test sample already double-labelled): whole
stories, every sentence with its index and text, and no label, so the second annotator cannot
see the first one's. The first labels are in parts/voa_sentences_b*.jsonl; disagreements go to
adjudication (``second_pass.py``).
"""
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from data import load_voa_team, second_pass_story_ids  # noqa: E402
from batching import cut  # noqa: E402

args = [a for a in sys.argv[1:] if a != "--heldout"]
heldout = "--heldout" in sys.argv[1:]
n_batches = int(args[0]) if args else 6
rows, info = load_voa_team()
wanted = second_pass_story_ids(rows, info, heldout)
prefix = "heldout" if heldout else "second"
stories: dict[str, list[dict]] = defaultdict(list)
for (sid, idx), r in sorted(info["primary"].items()):
    if sid in wanted:
        stories[sid].append({"sent_idx": idx, "text": r["text"]})
units = [{"id": sid, "text": " ".join(s["text"] for s in sents), "sentences": sents} for sid, sents in stories.items()]
out = HERE / "work"
out.mkdir(exist_ok=True)
batches = cut(units, n_batches)
for i, b in enumerate(batches):
    (out / f"{prefix}_{i:02d}.json").write_text(json.dumps(b, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{prefix}_{i:02d}: {len(b)} stories, {sum(len(u['sentences']) for u in b)} sentences")
