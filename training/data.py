"""Build the stance training data: public coded sentences + the team's real-article labels.

    python training/data.py [--data ../shared/data] [--out build/dataset] [--card training/DATA.md]

Deterministic: the same inputs give the same rows, the same split and the same hash (printed,
and recorded in the model metadata by train.py). Every row carries provenance: source,
licence, original id, article id, and ``kind`` ("event" for the coded event sets,
"article" for sentences of real articles read in context).
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # stance.segment: the same segmentation the library uses
ANNOTATIONS = HERE / "annotations"
LABELS = ("warming", "cooling", "neutral")

# CAMEO PentaClass -> our label (SOURCES.md: 1-2 cooperation, 3-4 conflict, 0 statement).
PENTA = {0: "neutral", 1: "warming", 2: "warming", 3: "cooling", 4: "cooling"}
PLOVER_WARMING = {"AGREE", "CONSULT", "SUPPORT", "COOPERATE", "AID", "YIELD", "CONCEDE", "RETREAT"}
PLOVER_COOLING = {"INVESTIGATE", "ACCUSE", "REQUEST", "DEMAND", "REJECT", "THREATEN", "PROTEST",
                  "MOBILIZE", "SANCTION", "COERCE", "ASSAULT", "FIGHT"}
LICENCE = {
    "cameo_class": "GPL-3.0 (ConfliBERT); text not owned by them: train only",
    "plover": "none stated: train only, not redistributed",
    "multicoder": "GPL-3.0 (CAMEO_ConfliBERT): train only",
    "voa_team": "text public domain (VOA); labels ours",
    "ag_news_team": "text research/non-commercial only (AG's corpus): train only, not in the repo; labels ours",
    "synthetic_team": "machine-written (NGEC), no licence stated: train only, never evaluated, not in the repo; labels ours",
}
SYNTHETIC_FILE = "synthetic/gpt_synthetic_events_2023-10-19_19.csv"
# Near-duplicate threshold on TF-IDF cosine of word 1-2 grams: the ConfliBERT and PLOVER
# sets hold the same sentences with small edits (quotes, datelines, trailing attributions).
NEAR_DUP_COSINE = 0.85
# VOA stories held out by article: test gets the double-labelled (adjudicated) stories first.
VOA_TEST_STORIES = 26
VOA_DEV_STORIES = 12
PRIORITY = {"test": 0, "dev": 1, "train": 2}


def text_sha(text: str) -> str:
    """The short text hash stored beside labels of text we do not commit (AG News, synthetic,
    pair labels): a changed segmentation or data file is caught when they are joined back."""
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _stable(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16)


def _row(text, label, source, orig_id, split, article_id=None, kind="event", countries=()):
    return {"text": text.strip(), "label": label, "source": source, "licence": LICENCE[source],
            "orig_id": str(orig_id), "article_id": article_id or "", "kind": kind,
            "countries": list(countries), "split": split}


def load_cameo(data: Path) -> list[dict]:
    rows = []
    for part in ("train", "test"):
        with open(data / f"labelled/cameo_class_{part}.tsv", encoding="utf-8") as f:
            for i, r in enumerate(csv.DictReader(f, delimiter="\t")):
                rows.append(_row(r["sentence"], PENTA[int(r["penta"])], "cameo_class", f"{part}:{i}",
                                 "test" if part == "test" else "train"))
    return rows


def load_plover(data: Path) -> list[dict]:
    """One row per sentence: the file has one row per (sentence, dyad); keep the majority label."""
    rows = []
    for part in ("train", "test"):
        votes: dict[str, Counter] = defaultdict(Counter)
        ids: dict[str, str] = {}
        with open(data / f"labelled/plv_{part}.tsv", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                root = r["gold_root"].strip().upper()
                label = "warming" if root in PLOVER_WARMING else "cooling" if root in PLOVER_COOLING else None
                if label:
                    votes[r["sentence"]][label] += 1
                    ids.setdefault(r["sentence"], r["sentence_id"])
        for sent, c in votes.items():
            (label, n), *rest = c.most_common()
            if rest and rest[0][1] == n:
                continue  # a sentence coded warming for one dyad and cooling for another: ambiguous
            rows.append(_row(sent, label, "plover", f"{part}:{ids[sent]}", "test" if part == "test" else "train"))
    return rows


def load_multicoder(data: Path) -> list[dict]:
    """Majority of several trained coders: not relevant -> neutral, else PentaClass."""
    rows = []
    for path in sorted(glob.glob(str(data / "labelled/multicoder/summary_r*.csv"))):
        with open(path, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                votes = Counter()
                for k, v in r.items():
                    m = re.match(r"1_Relevant_(\d+)$", k or "")
                    if not m or v not in ("True", "False", "TRUE", "FALSE"):
                        continue
                    if v.upper() == "FALSE":
                        votes["neutral"] += 1
                    else:
                        penta = r.get(f"Action1-PentaClass_{m.group(1)}", "")
                        digits = re.findall(r"\d", penta or "")
                        if digits:
                            votes[PENTA[int(digits[0])]] += 1
                if sum(votes.values()) < 2:
                    continue
                (label, n), *rest = votes.most_common()
                if n * 2 > sum(votes.values()):  # strict majority only
                    rows.append(_row(r["sentences"], label, "multicoder", Path(path).stem + ":" + r["ids"], "train"))
    return rows


def _voa_splits(story_ids: list[str], double_ids: set[str]) -> dict[str, str]:
    rest = sorted((s for s in story_ids if s not in double_ids), key=_stable)
    test = set(double_ids) | set(rest[: max(0, VOA_TEST_STORIES - len(double_ids))])
    rest = [s for s in rest if s not in test]
    dev = set(rest[:VOA_DEV_STORIES])
    return {s: "test" if s in test else "dev" if s in dev else "train" for s in story_ids}


def load_voa_team(ann_dir: Path = ANNOTATIONS, second_pass: Optional[str] = None,
                  heldout_second_pass: Optional[str] = None) -> tuple[list[dict], dict]:
    """The team's sentence labels, with the adjudicated label where two annotators disagreed.

    ``second_pass``: a codebook version (``v1.1``, ``v1.2``); also read the train stories' blind
    second annotation and the labels adjudicated under that version
    (``annotations/voa_train_adjudicated_VERSION.jsonl``; ``annotations/second_pass.py``), which
    ``build`` applies once the splits are final (``apply_second_pass``). ``heldout_second_pass``: the
    same for the dev and test stories (``voa_heldout_adjudicated_VERSION.jsonl``): a second reading
    of the measured labels, to report beside the first, never to choose a model on."""
    labels: dict[tuple[str, int], dict] = {}
    for path in sorted(glob.glob(str(ann_dir / "parts/voa_sentences_b*.jsonl"))):
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            labels[(str(r["story_id"]), int(r["sent_idx"]))] = r
    adjudicated = _labels_by_sentence(ann_dir / "voa_adjudicated.jsonl")
    train_adjudicated = _second_pass_labels(ann_dir, "train", second_pass, "--second-pass")
    heldout_adjudicated = _second_pass_labels(ann_dir, "heldout", heldout_second_pass, "--heldout-second-pass")
    double = _read_jsonl(ann_dir / "voa_double.jsonl")
    double_ids = {str(r["story_id"]) for r in double}
    splits = _voa_splits(sorted({k[0] for k in labels}), double_ids)
    rows = []
    for (sid, idx), r in sorted(labels.items()):
        label = adjudicated.get((sid, idx), r["label"])
        rows.append(_row(r["text"], label, "voa_team", f"{sid}:{idx}", splits[sid], article_id=sid,
                         kind="article", countries=r.get("countries", [])))
    second = _read_jsonl(ann_dir / "voa_train_second.jsonl") if second_pass else []
    heldout_second = _read_jsonl(ann_dir / "voa_heldout_second.jsonl") if heldout_second_pass else []
    return rows, {"double": double, "primary": labels, "adjudicated": adjudicated,
                  "second": second, "train_adjudicated": train_adjudicated,
                  "heldout_second": heldout_second, "heldout_adjudicated": heldout_adjudicated}


def _labels_by_sentence(path: Path) -> dict[tuple[str, int], str]:
    """{(story id, sentence index): label} of a sentence-label file (none if it is not there)."""
    return {(str(r["story_id"]), int(r["sent_idx"])): r["label"] for r in _read_jsonl(path)}


def _second_pass_labels(ann_dir: Path, which: str, version: Optional[str], flag: str) -> dict[tuple[str, int], str]:
    """The adjudicated labels of a second pass (``which``: train or heldout) under codebook ``version``;
    none when no version is asked for, an error naming the versions there when it is missing."""
    if not version:
        return {}
    path = ann_dir / f"voa_{which}_adjudicated_{version}.jsonl"
    if not path.exists():
        known = sorted(p.stem.rsplit("_", 1)[1] for p in ann_dir.glob(f"voa_{which}_adjudicated_*.jsonl"))
        raise SystemExit(f"error: {flag} {version}: no annotations/{path.name} (versions there: {', '.join(known) or 'none'})")
    return _labels_by_sentence(path)


def second_pass_story_ids(rows: list[dict], team: dict, heldout: bool) -> set[str]:
    """The VOA stories a blind second pass covers: the train stories, or (``heldout``) the dev and
    test ones less the sample that was double-labelled from the start."""
    double = {str(r["story_id"]) for r in team["double"]}
    return {r["article_id"] for r in rows if (r["split"] != "train") == heldout} - double


def _hashed_labels(pattern: str, ann_dir: Path) -> dict[tuple[str, int], dict]:
    labels = {}
    for path in sorted(glob.glob(str(ann_dir / pattern))):
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            labels[(r["id"], int(r["sent_idx"]))] = r
    return labels


def _join_hashed(items, labels: dict, source: str, kind: str, split_of) -> list[dict]:
    """Join labels stored as (id, sentence index, text hash) to the re-segmented text.

    ``items`` yields (id, text); ``split_of`` maps an id to its split. A hash that differs
    means the data or the segmenter changed since the sentences were labelled: stop loudly.
    """
    from stance.segment import split_sentences

    rows = []
    for item_id, text in items:
        for i, span in enumerate(split_sentences(text)):
            r = labels.get((item_id, i))
            if r is None:
                continue
            if text_sha(span.text) != r["sha"]:
                raise SystemExit(f"{source} {item_id} sentence {i}: text hash differs from the labelled one; "
                                 "the data or the segmenter changed — re-annotate or restore them")
            rows.append(_row(span.text, r["label"], source, f"{item_id}:{i}", split_of(item_id),
                             article_id=item_id, kind=kind, countries=r.get("countries", [])))
    return rows


def load_ag_team(data: Path, ann_dir: Path = ANNOTATIONS) -> list[dict]:
    """The team's labels of AG News 'World' leads, joined to the text in the data directory.

    Only ids, sentence indexes and a text hash are committed (the text may not be
    redistributed). Train and dev only: short leads are not the articles we test on.
    """
    labels = _hashed_labels("ag_news/labels_*.jsonl", ann_dir)
    if not labels:
        return []
    items = ((it["id"], it["text"]) for it in map(json.loads, open(data / "unlabelled/ag_news_world.jsonl", encoding="utf-8")))
    return _join_hashed(items, labels, "ag_news_team", "lead", lambda i: "dev" if _stable(i) % 10 == 0 else "train")


def load_synthetic_team(data: Path, ann_dir: Path = ANNOTATIONS) -> list[dict]:
    """The team's sentence labels of a sample of the synthetic (machine-written) stories.

    Story ids are rows of the CSV (``syn-0123``); committed as ids and hashes only, like AG
    News. Train only: SOURCES.md says synthetic text is never for evaluation, and the dev
    split picks the temperature and the roll-up constants.
    """
    labels = _hashed_labels("synthetic/labels_*.jsonl", ann_dir)
    if not labels:
        return []
    return _join_hashed(synthetic_stories(data), labels, "synthetic_team", "synthetic", lambda i: "train")


def synthetic_stories(data: Path) -> list[tuple[str, str]]:
    """(story id, text) of every synthetic story; the id is the CSV row (``syn-0123``)."""
    with open(data / SYNTHETIC_FILE, encoding="utf-8", newline="") as f:
        return [(f"syn-{i:04d}", r["text"]) for i, r in enumerate(csv.DictReader(f))]


def load_article_labels(ann_dir: Path = ANNOTATIONS) -> dict[str, dict]:
    """The team's article-level labels (main pair, label, rationale), by story id."""
    return {str(r["story_id"]): r for p in sorted(ann_dir.glob("parts/voa_articles_b*.jsonl")) for r in _read_jsonl(p)}


def sentence_contexts(data: Path, ann_dir: Path = ANNOTATIONS) -> dict[str, str]:
    """The context (``stance.context.article_contexts``) of every VOA and AG News sentence, by
    ``orig_id``: what a context model reads after each training sentence (event sets: none)."""
    from stance.context import article_contexts
    from stance.segment import split_sentences

    titles = {str(s["id"]): s.get("title") for s in _read_jsonl(data / "unlabelled/voa_stories.jsonl")}
    voa: dict[str, dict[int, str]] = defaultdict(dict)
    for path in sorted(glob.glob(str(ann_dir / "parts/voa_sentences_b*.jsonl"))):
        for r in _read_jsonl(Path(path)):
            voa[str(r["story_id"])][int(r["sent_idx"])] = r["text"]
    out = {}
    for sid, by_idx in voa.items():
        idx = sorted(by_idx)
        out.update({f"{sid}:{i}": c for i, c in zip(idx, article_contexts(titles.get(sid), [by_idx[i] for i in idx]))})
    for it in _read_jsonl(data / "unlabelled/ag_news_world.jsonl"):
        sents = [s.text for s in split_sentences(it["text"])]
        out.update({f"{it['id']}:{i}": c for i, c in enumerate(article_contexts(it.get("title"), sents))})
    return out


def model_input(data: Path):
    """A function giving a dataset row's text as a context model reads it: article and lead
    sentences with their context (``stance.context``), event sentences alone."""
    from stance.context import with_context

    contexts = sentence_contexts(data)

    def read(row: dict) -> str:
        if row["kind"] == "event":
            return row["text"]
        if row["orig_id"] not in contexts:
            raise SystemExit(f"error: no context for {row['source']} sentence {row['orig_id']}; rebuild the dataset")
        return with_context(row["text"], contexts[row["orig_id"]])

    return read


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8")] if path.exists() else []


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def deduplicate(rows: list[dict]) -> tuple[list[dict], int]:
    """Collapse exact and near-duplicate sentences across sources into one row.

    A duplicate group goes to the most held-out split of any member (test > dev > train),
    so that no sentence is in two splits; the kept row is the team's label when present.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_by_norm: dict[str, int] = {}
    for i, r in enumerate(rows):
        key = _norm(r["text"])
        if key in first_by_norm:
            parent[find(i)] = find(first_by_norm[key])
        else:
            first_by_norm[key] = i
    matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=1).fit_transform([_norm(r["text"]) for r in rows])
    sims = (matrix @ matrix.T).tocoo()
    for i, j, v in zip(sims.row, sims.col, sims.data):
        if i < j and v >= NEAR_DUP_COSINE:
            parent[find(i)] = find(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        groups[find(i)].append(i)
    # Synthetic rows rank last: all of them are train, so one is kept only when its whole
    # group is synthetic, and never moved into dev or test with a held-out near-duplicate.
    source_rank = {"voa_team": 0, "ag_news_team": 1, "cameo_class": 2, "plover": 3, "multicoder": 4, "synthetic_team": 5}
    kept = []
    for members in groups.values():
        split = min((rows[i]["split"] for i in members), key=PRIORITY.__getitem__)
        best = min(members, key=lambda i: (source_rank[rows[i]["source"]], i))
        kept.append(dict(rows[best], split=split))
    kept.sort(key=lambda r: (PRIORITY[r["split"]], r["source"], r["orig_id"]))
    return kept, len(rows) - len(kept)


def _dev_from_train(rows: list[dict]) -> None:
    """Carve a dev split (10 %) out of the public train rows, by a stable hash of the text."""
    for r in rows:
        if r["split"] == "train" and r["source"] not in ("voa_team", "ag_news_team", "synthetic_team") and _stable(r["text"]) % 10 == 0:
            r["split"] = "dev"


def cohen_kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def agreement(team: dict, rows: list[dict], second: str = "double", adjudicated: str = "adjudicated") -> dict:
    """First annotator against a blind second one: ``team[second]``'s rows (the double-labelled test
    sample, or with ``second="second"`` the train stories' second pass)."""
    pairs = [(team["primary"][(str(r["story_id"]), int(r["sent_idx"]))]["label"], r["label"])
             for r in team[second] if (str(r["story_id"]), int(r["sent_idx"])) in team["primary"]]
    if not pairs:
        return {}
    a, b = zip(*pairs)
    from sklearn.metrics import f1_score

    double_ids = {str(r["story_id"]) for r in team[second]}
    splits = sorted({r["split"] for r in rows if r.get("article_id") in double_ids})

    # The second annotator scored as a model is: 3-class macro-F1 against the first (a human
    # reference point for the real-article F1 in training/evaluate.py).
    return {"n": len(pairs), "kappa": cohen_kappa(list(a), list(b)),
            "macro_f1": float(f1_score(a, b, labels=list(LABELS), average="macro")), "splits": splits,
            "raw_agreement": sum(x == y for x, y in pairs) / len(pairs),
            "disagreements": sum(x != y for x, y in pairs), "adjudicated": len(team[adjudicated])}


def dataset_hash(rows: list[dict]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps(r, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:16]


# Marks a build whose dev and test rows carry the held-out second pass's labels.
HELDOUT_READING_FILE = "HELDOUT_SECOND_PASS"


def apply_second_pass(rows: list[dict], adjudicated: dict[tuple[str, int], str],
                      splits: tuple[str, ...] = ("train",)) -> None:
    """The adjudicated second-pass label of each VOA row in ``splits``. After de-duplication,
    because a train sentence that near-duplicates a held-out one moves into that split with its
    label: dev and test keep the labels they were measured with."""
    for r in rows:
        if r["source"] == "voa_team" and r["split"] in splits:
            sid, idx = r["orig_id"].rsplit(":", 1)
            r["label"] = adjudicated.get((sid, int(idx)), r["label"])


# International organisations that make a one-state event a relation between states ("The UN renewed
# the arms embargo on Iran"); stance's country detection finds states only.
_IGO = re.compile(r"\b(?:United Nations|U\.?N\.?|Security Council|European Union|E\.?U\.?|NATO|African Union|"
                  r"ASEAN|Arab League|IAEA|World Health Organization|WHO|World Bank|IMF|International Monetary Fund|"
                  r"OPEC|G-?7|G-?20|ECOWAS|Organization of American States|OSCE|International Criminal Court|ICC)\b")


def interstate(text: str) -> bool:
    """Does an event sentence name two different states, or a state and an international organisation?

    >>> interstate("Kenya signed an agreement with the U.K."), interstate("The ACLU is suing the FBI.")
    (True, False)
    """
    from stance.actors import find_actors

    codes = {a.code for a in find_actors(text)}
    return len(codes) >= 2 or (len(codes) == 1 and _IGO.search(text) is not None)


def drop_domestic_events(rows: list[dict]) -> int:
    """Drop train-split warming/cooling event rows that are not shown to be between states; returns how many.

    The public sets code any two actors' conflict as cooling ("Taliban suicide bombers killed 48
    people in Afghanistan"), which the team's article labels call neutral: no relation between
    countries moves. Dev and test rows stay, so every evaluation is unchanged.
    """
    keep = [r for r in rows if not (r["split"] == "train" and r["kind"] == "event"
                                    and r["label"] != "neutral" and not interstate(r["text"]))]
    dropped = len(rows) - len(keep)
    rows[:] = keep
    return dropped


def build(data: Path, with_synthetic: bool = False, second_pass: Optional[str] = None,
          heldout_second_pass: Optional[str] = None, events: str = "all") -> tuple[list[dict], dict]:
    team_rows, team = load_voa_team(second_pass=second_pass, heldout_second_pass=heldout_second_pass)
    synthetic = load_synthetic_team(data) if with_synthetic else []
    rows = team_rows + load_ag_team(data) + synthetic + load_cameo(data) + load_plover(data) + load_multicoder(data)
    n_raw = Counter(r["source"] for r in rows)
    rows, n_dups = deduplicate(rows)
    _dev_from_train(rows)
    apply_second_pass(rows, team["train_adjudicated"])
    apply_second_pass(rows, team["heldout_adjudicated"], ("dev", "test"))
    n_domestic = drop_domestic_events(rows) if events == "interstate" else 0
    info = {"raw": n_raw, "duplicates_removed": n_dups, "events": events, "domestic_events_dropped": n_domestic,
            "agreement": agreement(team, team_rows),
            "second_pass": ({**agreement(team, team_rows, "second", "train_adjudicated"), "version": second_pass}
                            if second_pass else {}),
            "heldout_second_pass": ({**agreement(team, team_rows, "heldout_second", "heldout_adjudicated"),
                                     "version": heldout_second_pass} if heldout_second_pass else {}),
            "hash": dataset_hash(rows),
            "train_hash": dataset_hash([r for r in rows if r["split"] != "test"]),
            "articles": list(load_article_labels().values())}
    return rows, info


def to_datasetdict(rows: list[dict]):
    from datasets import Dataset, DatasetDict

    return DatasetDict({s: Dataset.from_list([r for r in rows if r["split"] == s]) for s in ("train", "dev", "test")})


def _second_pass_line(sp: dict, which: str, what: str, how: str, used: str) -> str:
    """The data card's sentence on a blind second pass (``agreement``'s numbers and its version)."""
    return (f"{what} labelled again by a second annotator blind to the first (`annotations/voa_{which}_second.jsonl`): "
            f"kappa **{sp['kappa']:.3f}**, raw agreement {sp['raw_agreement']:.3f}, macro-F1 of the second against "
            f"the first {sp['macro_f1']:.3f}; {sp['disagreements']} disagreements, {sp['adjudicated']} adjudicated "
            f"{how} {sp['version']} (`annotations/voa_{which}_adjudicated_{sp['version']}.jsonl`), {used}.")


def data_card(rows: list[dict], info: dict) -> str:
    lines = ["# stance training data card", "",
             "Generated by `python training/data.py`; do not edit by hand.", "",
             f"Dataset hash: `{info['hash']}` (train+dev: `{info['train_hash']}`) — {len(rows)} rows after removing "
             f"{info['duplicates_removed']} exact or near-duplicate sentences (TF-IDF cosine ≥ {NEAR_DUP_COSINE}).", "",
             "## Rows per source, split and label", "",
             "| source | kind | split | warming | cooling | neutral | total | licence |", "|---|---|---|---|---|---|---|---|"]
    table = Counter((r["source"], r["kind"], r["split"], r["label"]) for r in rows)
    for src, kind, split in sorted({k[:3] for k in table}, key=lambda k: (k[0], PRIORITY[k[2]])):
        counts = [table[(src, kind, split, lab)] for lab in LABELS]
        lines.append(f"| {src} | {kind} | {split} | {' | '.join(map(str, counts))} | {sum(counts)} | {LICENCE[src]} |")
    lines += ["", "Raw rows read before de-duplication: " + ", ".join(f"{k} {v}" for k, v in sorted(info["raw"].items())), ""]
    voa_articles = {r["article_id"] for r in rows if r["source"] == "voa_team"}
    by_split = Counter(r["split"] for r in rows if r["source"] == "voa_team")
    lines += ["## Team annotation of real articles", "",
              f"{sum(by_split.values())} sentences of {len(voa_articles)} Voice of America stories, labelled "
              "sentence by sentence in context following `training/ANNOTATION.md`; split by story "
              f"(train/dev/test sentences: {by_split['train']}/{by_split['dev']}/{by_split['test']}), so no "
              "article is in two splits.", ""]
    ag = info["agreement"]
    if ag:
        lines += [f"Inter-annotator agreement on {ag['n']} double-labelled sentences (two annotators, "
                  f"blind to each other; their stories are in the {'/'.join(ag['splits'])} split): Cohen's kappa **{ag['kappa']:.3f}**, raw agreement {ag['raw_agreement']:.3f}, "
                  f"3-class macro-F1 of the second against the first {ag['macro_f1']:.3f}; "
                  f"{ag['disagreements']} disagreements, {ag['adjudicated']} adjudicated "
                  "(`annotations/voa_adjudicated.jsonl`).", ""]
    sp = info.get("second_pass")
    if sp:
        lines += [_second_pass_line(sp, "train", f"Train stories, second pass: all {sp['n']} train sentences",
                                    "by a third reader who saw both labels unattributed, reading codebook",
                                    "whose label is used"), ""]
    else:
        lines += ["Not in this build: a blind second annotation of all 1,525 train-story sentences "
                  "(`annotations/voa_train_second.jsonl`; kappa 0.802 against the first; 176 disagreements, 135 of "
                  "them first neutral, second cooling, adjudicated under codebook v1.1 and again under v1.2 in "
                  "`annotations/voa_train_adjudicated_VERSION.jsonl`). `--second-pass VERSION` uses those labels "
                  "(v1.1: 114 train rows change, v1.2: 94; dev and test do not); on the dev split they lowered "
                  "real-article macro-F1 from 0.649 to 0.569 (v1.1) and 0.605 (v1.2), so the shipped model is "
                  "trained on the first pass.", ""]
    hp = info.get("heldout_second_pass")
    if hp:
        lines += [_second_pass_line(hp, "heldout", f"Dev and test stories, second pass: {hp['n']} sentences (all but "
                                    "the test sample double-labelled from the start)", "under codebook",
                                    "whose labels this build's dev and test rows carry"), ""]
    syn = [r for r in rows if r["source"] == "synthetic_team"]
    if syn:
        lines += [f"Synthetic stories: {len(syn)} sentences of {len({r['article_id'] for r in syn})} machine-written "
                  "stories (a sample across the 16 PLOVER labels, `annotations/make_synthetic_batches.py`), "
                  "labelled by the team in context with the same codebook; train split only, never evaluated.", ""]
    else:
        lines += ["Not in this build: the team's labels of 2,045 sentences of 236 synthetic stories "
                  "(`annotations/synthetic/`; kappa 0.968 on a 101-sentence double-labelled sample, "
                  "`annotations/synthetic_double/`). `--with-synthetic` adds them; on the dev split they lowered "
                  "real-article macro-F1 from 0.649 to 0.612, so the shipped model is trained without them.", ""]
    if info.get("events") == "interstate":
        lines += [f"Events, interstate only (`--events interstate`): {info['domestic_events_dropped']} warming or "
                  "cooling event rows of the train split that do not name two states (or a state and an "
                  "international organisation) were dropped; dev and test keep theirs.", ""]
    else:
        lines += ["Not in this build: `--events interstate` drops the train split's 491 warming or cooling event "
                  "rows that do not name two states (or a state and an international organisation); on the dev "
                  "split that lowered real-article macro-F1 from 0.649 to 0.624 and event F1 from 0.980 to 0.891, "
                  "so the shipped model is trained on every event row.", ""]
    arts = Counter(r["label"] for r in info["articles"])
    lines += [f"Article-level labels for the main pair: {len(info['articles'])} stories "
              f"({', '.join(f'{k} {v}' for k, v in sorted(arts.items()))}).", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data directory")
    ap.add_argument("--out", type=Path, default=Path("build/dataset"), help="where to save the DatasetDict")
    ap.add_argument("--card", type=Path, default=HERE / "DATA.md", help="where to write the data card")
    # Off by default: on the dev split the synthetic rows cost 3.7 points of real-article F1
    # (0.649 -> 0.612, MiniLM, 4 epochs, 2026-12-02); the shipped model is trained without them.
    ap.add_argument("--with-synthetic", action="store_true",
                    help="add the team's labels of the synthetic stories to the train split")
    ap.add_argument("--second-pass", metavar="VERSION", default=None,
                    help="use the train stories' blind second annotation, as adjudicated under this codebook "
                         "version (v1.1 or v1.2)")
    ap.add_argument("--heldout-second-pass", metavar="VERSION", default=None,
                    help="measure against the dev and test stories' blind second annotation, adjudicated under "
                         "this codebook version (a second reading of the held-out labels; never for choosing)")
    ap.add_argument("--events", choices=("all", "interstate"), default="all",
                    help="interstate: drop train-split warming/cooling event rows that do not name two states "
                         "(or a state and an international organisation)")
    args = ap.parse_args(argv)
    if not (args.data / "SOURCES.md").exists():
        raise SystemExit(f"error: {args.data} is not the shared data directory (no SOURCES.md); pass --data DIR")
    rows, info = build(args.data, args.with_synthetic, args.second_pass, args.heldout_second_pass, args.events)
    from datasets import disable_progress_bars

    disable_progress_bars()
    to_datasetdict(rows).save_to_disk(str(args.out))
    (args.out / "HASH").write_text(info["hash"] + "\n")
    (args.out / "TRAIN_HASH").write_text(info["train_hash"] + "\n")
    if args.heldout_second_pass:  # train.py refuses it: its dev labels are a reading to report, not to choose on
        (args.out / HELDOUT_READING_FILE).write_text(args.heldout_second_pass + "\n")
    else:
        (args.out / HELDOUT_READING_FILE).unlink(missing_ok=True)
    card = data_card(rows, info)
    args.card.write_text(card, encoding="utf-8")
    print(card)


if __name__ == "__main__":
    main()
