"""Cut a sample of the synthetic news stories into annotation batches (sentence units from stance.segment).

Usage: python training/annotations/make_synthetic_batches.py [DATA_DIR]
The synthetic stories (NGEC, machine-written, no licence stated) may be used to train but not
redistributed, and never to evaluate: batches go to the git-ignored work/ folder, and the
committed labels carry only the story id (its row in the CSV), sentence indexes and a short
hash of the sentence text, like the AG News labels.

Sample: for each of the 16 PLOVER labels, the first PER_LABEL stories by a stable hash of the
text, one per title template (the file repeats each template over many countries), so the
sample spans interstate events (aid, sanctions, talks) and domestic ones (strikes, arrests).
"""
import csv
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

from stance.segment import split_sentences

PER_LABEL = 18
N_BATCHES = 6
FILE = "synthetic/gpt_synthetic_events_2023-10-19_19.csv"


def story_title(prompt: str) -> str:
    return prompt.split("\n", 1)[0].strip()


def sample(data: Path) -> list[dict]:
    with open(data / FILE, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    by_label = defaultdict(list)
    for i, r in enumerate(rows):
        by_label[r["label"]].append((hashlib.sha256(r["text"].encode()).hexdigest(), i, r))
    units = []
    for label in sorted(by_label):
        seen_templates, taken = set(), 0
        for _, i, r in sorted(by_label[label]):
            if taken >= PER_LABEL:
                break
            if r["title"] in seen_templates:
                continue
            seen_templates.add(r["title"])
            sents = [{"sent_idx": k, "text": s.text, "sha": hashlib.sha256(s.text.encode()).hexdigest()[:10]}
                     for k, s in enumerate(split_sentences(r["text"]))]
            if sents:
                units.append({"id": f"syn-{i:04d}", "title": story_title(r["prompt"]), "plover": label,
                              "sentences": sents})
                taken += 1
    return units


if __name__ == "__main__":
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    out = Path(__file__).parent / "work"
    out.mkdir(exist_ok=True)
    units = sample(data)
    units.sort(key=lambda u: hashlib.sha256(u["id"].encode()).hexdigest())  # mix labels across batches
    size = -(-len(units) // N_BATCHES)
    for b in range(N_BATCHES):
        part = units[b * size:(b + 1) * size]
        for u in part:
            u.pop("plover")  # annotators read the story, not the generator's label
        (out / f"syn_batch_{b}.json").write_text(json.dumps(part, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"syn_batch_{b}: {len(part)} stories, {sum(len(u['sentences']) for u in part)} sentences")
