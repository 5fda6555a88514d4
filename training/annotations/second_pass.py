"""Blind second annotation of VOA stories: agreement, adjudication batches, final files.

    python training/annotations/second_pass.py compare [--heldout]       # agreement; work/adjudicate_NN.json
    python training/annotations/second_pass.py collect TAG [--heldout]   # voa_train_second.jsonl, voa_train_adjudicated_TAG.jsonl

The train stories by default; ``--heldout`` the dev and test stories (less the test sample that
was double-labelled from the start): work/heldout_NN.labels.jsonl, work/adjudicate_heldout_NN.json,
voa_heldout_second.jsonl and voa_heldout_adjudicated_TAG.jsonl.

``compare`` reads the second labels (work/second_NN.labels.jsonl, from the batches of
``make_second_batches.py``) against the first (parts/voa_sentences_b*.jsonl), prints Cohen's kappa,
raw agreement and the second's macro-F1 against the first, and writes every disagreement into
adjudication batches: the whole story, the sentence, and the two labels as A and B in an order
drawn per sentence, so the adjudicator does not know which annotator said which.
``collect TAG`` checks the adjudicators' files (work/adjudicate_NN.TAG.labels.jsonl: story_id,
sent_idx, label, reason) and writes the committed files: every second label, and the final label
of each disagreement with its reason (the format of ``voa_adjudicated.jsonl``). TAG names the
codebook version the adjudicators read (v1.1 first; v1.2 after the codebook was narrowed).
"""
import glob
import json
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from data import LABELS, cohen_kappa, load_voa_team, second_pass_story_ids  # noqa: E402
from batching import read_jsonl as _jsonl  # noqa: E402

WORK = HERE / "work"
N_ADJ_BATCHES = 3
HELDOUT = "--heldout" in sys.argv[1:]
SET = "heldout" if HELDOUT else "train"
BATCH = "heldout" if HELDOUT else "second"  # make_second_batches.py's file names
ADJ = "adjudicate_heldout" if HELDOUT else "adjudicate"
SECOND_FILE = HERE / f"voa_{SET}_second.jsonl"


def _second() -> dict:
    rows = [r for p in sorted(glob.glob(str(WORK / f"{BATCH}_*.labels.jsonl"))) for r in _jsonl(p)]
    return {(str(r["story_id"]), int(r["sent_idx"])): r for r in rows}


def _first_and_second() -> tuple[dict, dict, dict]:
    """(first labels, second labels, load_voa_team's info) of this set's sentences; every one must
    have a second label and no other sentence may (a stale batch file would)."""
    rows, info = load_voa_team()
    wanted = second_pass_story_ids(rows, info, HELDOUT)
    first = {k: r for k, r in info["primary"].items() if k[0] in wanted}
    second = _second()
    missing, extra = sorted(set(first) - set(second)), sorted(set(second) - set(first))
    if missing or extra:
        raise SystemExit(f"error: {len(missing)} {SET} sentences have no second label (first {missing[:3]}) and "
                         f"{len(extra)} second labels are for other sentences (first {extra[:3]}); check "
                         f"work/{BATCH}_*.labels.jsonl against make_second_batches.py's batches")
    return first, second, info


def compare() -> None:
    from sklearn.metrics import f1_score

    first, second, info = _first_and_second()
    keys = sorted(first)
    a, b = [first[k]["label"] for k in keys], [second[k]["label"] for k in keys]
    print(f"{len(keys)} sentences: kappa {cohen_kappa(a, b):.3f}, raw agreement "
          f"{sum(x == y for x, y in zip(a, b)) / len(keys):.3f}, second vs first macro-F1 "
          f"{f1_score(a, b, labels=list(LABELS), average='macro'):.3f}")
    print("first -> second:", dict(Counter((x, y) for x, y in zip(a, b) if x != y).most_common()))
    texts = {}
    for k, r in info["primary"].items():
        texts.setdefault(k[0], []).append((k[1], r["text"]))
    rng = random.Random(7)
    items = []
    for k in keys:
        if first[k]["label"] != second[k]["label"]:
            pair = [first[k]["label"], second[k]["label"]]
            rng.shuffle(pair)
            story = " ".join(t for _, t in sorted(texts[k[0]]))
            items.append({"story_id": k[0], "sent_idx": k[1], "text": first[k]["text"], "story": story,
                          "label_a": pair[0], "label_b": pair[1]})
    WORK.mkdir(exist_ok=True)
    for i in range(N_ADJ_BATCHES):
        part = items[i::N_ADJ_BATCHES]
        (WORK / f"{ADJ}_{i:02d}.json").write_text(json.dumps(part, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{ADJ}_{i:02d}.json: {len(part)} disagreements")


def adjudicated_file(tag: str) -> Path:
    return HERE / f"voa_{SET}_adjudicated_{tag}.jsonl"


def collect(tag: str) -> None:
    _, second, _ = _first_and_second()
    asked = {(str(r["story_id"]), int(r["sent_idx"])): r
             for p in sorted(glob.glob(str(WORK / f"{ADJ}_[0-9][0-9].json")))
             for r in json.load(open(p, encoding="utf-8"))}
    answers = [(Path(p).name, n, r) for p in sorted(glob.glob(str(WORK / f"{ADJ}_[0-9][0-9].{tag}.labels.jsonl")))
               for n, r in enumerate(_jsonl(p), 1)]
    problems, out = [], {}
    for name, n, r in answers:
        k = (str(r.get("story_id")), str(r.get("sent_idx")))
        k = (k[0], int(k[1])) if k[1].lstrip("-").isdigit() else k
        if k not in asked:
            problems.append(f"{name} line {n}: story {k[0]} sentence {k[1]} was not asked")
        elif r.get("label") not in LABELS:
            problems.append(f"{name} line {n}: label {r.get('label')!r} not in {list(LABELS)}")
        elif not str(r.get("reason", "")).strip():
            problems.append(f"{name} line {n}: story {k[0]} sentence {k[1]} has no reason")
        elif k in out:
            problems.append(f"{name} line {n}: story {k[0]} sentence {k[1]} answered twice")
        else:
            q = asked[k]
            out[k] = {"story_id": k[0], "sent_idx": k[1], "text": q["text"], "label_a": q["label_a"],
                      "label_b": q["label_b"], "label": r["label"], "reason": r["reason"],
                      "adjudicator": r.get("adjudicator", "")}
    if set(asked) - set(out):
        problems.append(f"{len(set(asked) - set(out))} disagreements not adjudicated, first {sorted(set(asked) - set(out))[:3]}")
    if problems:
        raise SystemExit("\n".join(problems[:30]))
    with open(SECOND_FILE, "w", encoding="utf-8") as f:
        for k in sorted(second):
            r = second[k]
            f.write(json.dumps({"story_id": k[0], "sent_idx": k[1], "text": r["text"], "label": r["label"],
                                "countries": r.get("countries", []), "pair_labels": r.get("pair_labels", {}),
                                "annotator": r.get("annotator", "")}, ensure_ascii=False) + "\n")
    with open(adjudicated_file(tag), "w", encoding="utf-8") as f:
        for k in sorted(out):
            f.write(json.dumps(out[k], ensure_ascii=False) + "\n")
    print(f"{len(second)} second labels -> {SECOND_FILE.name}; {len(out)} adjudicated -> {adjudicated_file(tag).name}: "
          f"{dict(Counter(r['label'] for r in out.values()))}")


if __name__ == "__main__":
    argv = [a for a in sys.argv[1:] if a != "--heldout"]
    if argv == ["compare"]:
        compare()
    elif len(argv) == 2 and argv[0] == "collect":
        collect(argv[1])
    else:
        raise SystemExit(f"error: {' '.join(sys.argv[1:]) or 'no command'}: expected `compare [--heldout]` or "
                         "`collect TAG [--heldout]` (TAG: the codebook version the adjudicators read, e.g. v1.2)")
