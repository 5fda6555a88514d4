"""The dev contrast set: written groups, a blind second label, adjudication, the final file.

    python training/annotations/contrast_dev.py batches N   # work/contrast_dev/blind/label_NN.jsonl (id, text)
    python training/annotations/contrast_dev.py compare     # agreement; work/contrast_dev/adjudicate.json
    python training/annotations/contrast_dev.py collect     # annotations/contrast_dev.jsonl

The test contrast set (``contrast.jsonl``) has no dev counterpart, so no training run could be
chosen by it. Annotators who had not seen it wrote groups of minimal sentences per phenomenon
(the prompt: contrast_dev_prompts/AUTHOR_PROMPT.md; work/contrast_dev/author_X.jsonl, each with
the author's label; one author per region, A Latin America, B Sub-Saharan Africa, C Europe and
Eurasia, D Middle East, North Africa and Central Asia, E Asia-Pacific). ``batches``
merges them, drops any sentence within the project's near-duplicate threshold of a test
contrast or pair-contrast sentence, and cuts shuffled batches of bare sentences for a second
annotator, who labels each alone (contrast_dev_prompts/LABEL_PROMPT.md; label_NN.labels.jsonl:
id, label). The batches go to ``work/contrast_dev/blind/``, a folder that holds nothing with a
label in it but the labellers' own answers; the authors' merged file, ``sentences.jsonl``, stays
one level up. ``compare`` prints Cohen's
kappa against the authors and writes the disagreements, the two labels as A and B in a drawn
order; ``collect`` reads the adjudicator's answers (adjudicate.labels.jsonl: id, label, reason)
and writes the final set in the test set's format plus both labels.

Agreement (2026-12-06): the second labels matched the authors' on all 279 sentences (kappa
1.000), and so did a third annotator's blind labels of 120 of them drawn at random, read from a
folder holding nothing else. Same codebook, written sentences meant to be unambiguous: this says
the set's labels follow the codebook, not that news sentences are this easy to agree on.
"""
import glob
import json
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from data import LABELS, NEAR_DUP_COSINE, _norm, cohen_kappa  # noqa: E402
from batching import read_jsonl as _jsonl, write_jsonl  # noqa: E402

WORK = HERE / "work" / "contrast_dev"
OUT = HERE / "contrast_dev.jsonl"
PHENOMENA = ("negation", "tense_modality", "question", "quote", "swap", "hedge", "commentary", "history", "background")
SEED = 11


def authored() -> list[dict]:
    """Every author's sentences with an id (group-index), checked; errors name file and line."""
    rows, problems = [], []
    for p in sorted(glob.glob(str(WORK / "author_*.jsonl"))):
        per_group: Counter = Counter()
        for n, r in enumerate(_jsonl(p), 1):
            where = f"{Path(p).name} line {n}"
            if r.get("label") not in LABELS:
                problems.append(f"{where}: label {r.get('label')!r} not in {list(LABELS)}")
            elif r.get("phenomenon") not in PHENOMENA:
                problems.append(f"{where}: phenomenon {r.get('phenomenon')!r} not in {list(PHENOMENA)}")
            elif not str(r.get("text", "")).strip() or not r.get("group"):
                problems.append(f"{where}: no text or no group")
            else:
                per_group[r["group"]] += 1
                rows.append(dict(r, id=f"{r['group']}-{per_group[r['group']]}"))
    if problems:
        raise SystemExit("\n".join(problems[:30]))
    if len({r["id"] for r in rows}) != len(rows):
        raise SystemExit("error: two authors used the same group id; give each author its own prefix")
    return rows


def near_test(rows: list[dict]) -> dict[str, tuple[float, str]]:
    """id -> (cosine, text) of sentences as close to a test contrast or pair sentence as the
    project's de-duplication threshold (TF-IDF cosine, ``data.NEAR_DUP_COSINE``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    test = [r["text"] for name in ("contrast.jsonl", "pairs.jsonl") for r in _jsonl(HERE / name)]
    vec = TfidfVectorizer(ngram_range=(1, 2)).fit([_norm(t) for t in test + [r["text"] for r in rows]])
    sims = vec.transform([_norm(r["text"]) for r in rows]) @ vec.transform([_norm(t) for t in test]).T
    out = {}
    for i, r in enumerate(rows):
        j = sims[i].toarray().argmax()
        if sims[i, j] >= NEAR_DUP_COSINE:
            out[r["id"]] = (float(sims[i, j]), test[j])
    return out


def blind_dir() -> Path:
    """Where the labellers' batches and answers live: no file here carries an author's label."""
    return WORK / "blind"


def batches(n_batches: int) -> None:
    rows = authored()
    close = near_test(rows)
    for i, (c, t) in close.items():
        print(f"dropped {i} (cosine {c:.2f} to a test sentence: {t!r})")
    rows = [r for r in rows if r["id"] not in close]
    write_jsonl(WORK / "sentences.jsonl", rows)
    order = rows[:]
    random.Random(SEED).shuffle(order)
    blind_dir().mkdir(exist_ok=True)
    for k in range(n_batches):
        part = order[k::n_batches]
        write_jsonl(blind_dir() / f"label_{k:02d}.jsonl", ({"id": r["id"], "text": r["text"]} for r in part))
        print(f"label_{k:02d}.jsonl: {len(part)} sentences")
    print(f"{len(rows)} sentences, {len({r['group'] for r in rows})} groups; authors' labels {dict(Counter(r['label'] for r in rows))}")


def _with_second() -> list[dict]:
    rows = _jsonl(WORK / "sentences.jsonl")
    second = {r["id"]: r for p in sorted(glob.glob(str(blind_dir() / "label_[0-9][0-9].labels.jsonl"))) for r in _jsonl(p)}
    missing = [r["id"] for r in rows if r["id"] not in second]
    bad = [f"{i}: {s.get('label')!r}" for i, s in second.items() if s.get("label") not in LABELS]
    if missing or bad or len(second) != len(rows):
        raise SystemExit(f"error: {len(missing)} sentences have no second label (first {missing[:3]}), "
                         f"{len(bad)} second labels are not one of {list(LABELS)} ({bad[:3]}), "
                         f"{len(second)} second labels for {len(rows)} sentences; check label_NN.labels.jsonl")
    return [dict(r, second_label=second[r["id"]]["label"]) for r in rows]


def compare() -> None:
    rows = _with_second()
    a, b = [r["label"] for r in rows], [r["second_label"] for r in rows]
    print(f"{len(rows)} sentences: kappa {cohen_kappa(a, b):.3f}, raw agreement {sum(x == y for x, y in zip(a, b)) / len(rows):.3f}")
    print("author -> second:", dict(Counter((x, y) for x, y in zip(a, b) if x != y).most_common()))
    rng = random.Random(SEED)
    items = []
    for r in rows:
        if r["label"] != r["second_label"]:
            pair = [r["label"], r["second_label"]]
            rng.shuffle(pair)
            items.append({"id": r["id"], "text": r["text"], "label_a": pair[0], "label_b": pair[1]})
    (WORK / "adjudicate.json").write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"adjudicate.json: {len(items)} disagreements")


def collect() -> None:
    rows = _with_second()
    asked = {r["id"] for r in json.load(open(WORK / "adjudicate.json", encoding="utf-8"))}
    answers = {}
    answered = WORK / "adjudicate.labels.jsonl"
    for n, r in enumerate(_jsonl(answered) if asked or answered.exists() else [], 1):
        if r.get("id") not in asked or r.get("label") not in LABELS or not str(r.get("reason", "")).strip():
            raise SystemExit(f"adjudicate.labels.jsonl line {n}: id {r.get('id')!r} not asked, label "
                             f"{r.get('label')!r} not in {list(LABELS)}, or no reason")
        answers[r["id"]] = r
    if asked - set(answers):
        raise SystemExit(f"error: {len(asked - set(answers))} disagreements not adjudicated, first {sorted(asked - set(answers))[:3]}")
    final = []
    for r in rows:
        adj = answers.get(r["id"])
        out = {"group": r["group"], "phenomenon": r["phenomenon"], "text": r["text"],
               "label": adj["label"] if adj else r["label"], "countries": r.get("countries", []),
               "note": r.get("note", ""), "author_label": r["label"], "second_label": r["second_label"]}
        if adj:
            out["adjudication"] = adj["reason"]
        final.append(out)
    write_jsonl(OUT, final)
    counts = Counter(r["label"] for r in final)
    print(f"wrote {OUT.name}: {len(rows)} sentences, {dict(counts)}; {len(answers)} adjudicated")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "batches" and len(sys.argv) == 3 and sys.argv[2].isdigit():
        batches(int(sys.argv[2]))
    elif cmd in ("compare", "collect") and len(sys.argv) == 2:
        {"compare": compare, "collect": collect}[cmd]()
    else:
        raise SystemExit(f"usage: contrast_dev.py batches N | compare | collect (got {' '.join(sys.argv[1:])!r})")
