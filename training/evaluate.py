"""Evaluate a stance model against the baselines users have today; write the model card table.

    python training/evaluate.py models/stance-minilm [--dataset build/dataset] [--data ../shared/data] [--write]
    python training/evaluate.py build/model --split dev --no-baselines   # choosing between candidates
    python training/evaluate.py build/model --split dev --no-baselines --compare models/stance-minilm

One table, same test split, for: (a) our model (and its ONNX exports, fp32 and int8, if present),
(b) a Goldstein/CAMEO dictionary coder built from lexicons/ (what GDELT-style coders do),
(c) VADER compound sentiment, (d) TF-IDF + logistic regression trained on the same train split,
(e) zero-shot: cosine of the base encoder's embedding to label descriptions.
With --write, the table goes into the model card (README.md in the model directory) and the
metrics into its stance.json. ``--split dev`` scores the dev split and the dev contrast set
instead: use it to choose between training runs, and the test split once, for the chosen one.
Every number comes with a 95% bootstrap interval (``training/intervals.py``), and every other
system (baselines, ``--compare`` models) with the paired interval of its gap to the model on
real-article F1, event F1 and contrast accuracy.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from stance.model_dir import LABELS, read_metadata, write_metadata  # noqa: E402
from training import intervals  # noqa: E402

ANN = ROOT / "training" / "annotations"
W, C, N = range(3)
ECE_BINS = 15


# -- baselines -----------------------------------------------------------------------------------
def onehot(labels: list[str]) -> np.ndarray:
    out = np.zeros((len(labels), 3))
    for i, lab in enumerate(labels):
        out[i, LABELS.index(lab)] = 1.0
    return out


class GoldsteinCoder:
    """A dictionary event coder in the PETRARCH/GDELT manner, simplified: verbs from the CAMEO
    verb dictionary, refined by the object words of its patterns, give CAMEO codes; a code's
    Goldstein score (-10..+10) gives the direction. |mean Goldstein| < 1 is neutral."""

    THRESHOLD = 1.0

    def __init__(self, lexicons: Path):
        self.goldstein: dict[str, float] = {}
        with open(lexicons / "cameo-codes.csv", encoding="utf-8", errors="replace") as f:
            for r in csv.DictReader(f):
                try:
                    self.goldstein[r["code"].strip()] = float(r["goldstein"])
                except ValueError:
                    pass
        self.verbs: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        block_code, forms, patterns = None, [], []
        for line in open(lexicons / "CAMEO.2.0.txt", encoding="utf-8", errors="replace"):
            line = line.split("#", 1)[0].rstrip()
            head = re.match(r"^---\s+(\S+)\s+\[([^\]]*)\]", line)
            if head:
                self._add(block_code, forms, patterns)
                block_code, forms, patterns = head.group(2), [], []
            elif line.startswith("- "):
                m = re.search(r"\[(\d+)", line)
                words = [w for w in re.findall(r"[A-Z]{3,}", line[2:line.find("[")])]
                if m and words:
                    patterns.append((words[0].lower(), m.group(1)))
            elif block_code is not None and re.match(r"^[A-Z]", line):
                base = line.split("{")[0].strip().lower()
                extra = re.findall(r"\{([^}]*)\}", line)
                if base and " " not in base:
                    forms.append(base)
                    forms += [base + "s", base + "ed", base + "d", base + "ing", base + "es"]
                    forms += [w.lower() for w in (extra[0].split() if extra else [])]
        self._add(block_code, forms, patterns)

    def _add(self, code, forms, patterns):
        if forms and (code and code != "---" or patterns):
            for f in forms:
                self.verbs.setdefault(f, (code or "---", patterns))

    def _score(self, code: str) -> float | None:
        for k in (code, code[:3], code[:2]):
            if k in self.goldstein:
                return self.goldstein[k]
        return None

    def predict(self, texts: list[str]) -> np.ndarray:
        labels = []
        for t in texts:
            words = re.findall(r"[a-z]+", t.lower())
            wordset = set(words)
            scores = []
            for w in words:
                if w not in self.verbs:
                    continue
                code, patterns = self.verbs[w]
                for obj, pcode in patterns:
                    if obj in wordset:
                        code = pcode
                        break
                g = self._score(code) if code != "---" else None
                if g is not None:
                    scores.append(g)
            g = float(np.mean(scores)) if scores else 0.0
            labels.append("warming" if g >= self.THRESHOLD else "cooling" if g <= -self.THRESHOLD else "neutral")
        return onehot(labels)


def vader_predict(texts: list[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    # VADER's own recommended cut-offs for positive / negative.
    return onehot(["warming" if c >= 0.05 else "cooling" if c <= -0.05 else "neutral"
                   for c in (sia.polarity_scores(t)["compound"] for t in texts)])


def tfidf_lr(train_texts: list[str], train_labels: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced"))
    model.fit(train_texts, train_labels)
    order = [list(model.classes_).index(l) for l in LABELS]
    return lambda texts: model.predict_proba(texts)[:, order]


ZERO_SHOT_DESCRIPTIONS = {
    "warming": "Relations between the two countries are improving: cooperation, agreement, support, aid, talks.",
    "cooling": "Relations between the two countries are worsening: conflict, accusation, threat, sanctions, attack.",
    "neutral": "A neutral statement of fact that says nothing about relations between countries.",
}


def zero_shot():
    import torch
    from transformers import AutoModel, AutoTokenizer

    from train import minilm_path

    path = minilm_path()
    tok, enc = AutoTokenizer.from_pretrained(str(path)), AutoModel.from_pretrained(str(path)).eval()

    @torch.inference_mode()
    def embed(texts):
        out = []
        for i in range(0, len(texts), 64):
            b = tok(texts[i:i + 64], padding=True, truncation=True, max_length=128, return_tensors="pt")
            h = enc(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).float()
            e = (h * m).sum(1) / m.sum(1)
            out.append(torch.nn.functional.normalize(e, dim=-1).numpy())
        return np.concatenate(out)

    anchors = embed([ZERO_SHOT_DESCRIPTIONS[l] for l in LABELS])
    return lambda texts: onehot([LABELS[i] for i in (embed(texts) @ anchors.T).argmax(1)])


# -- metrics -------------------------------------------------------------------------------------
def ece(probs: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    conf, pred = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return float(total)


# Statistics of a subset of items (index array -> number), for ``intervals.cluster_interval``.
Stat = Callable[[np.ndarray], float]


def article_f1_of(y: np.ndarray, pred: np.ndarray) -> Stat:
    """3-class macro-F1 of the rows drawn."""
    return lambda i: intervals.macro_f1(y[i], pred[i], 3)


def event_f1_of(y: np.ndarray, calls: np.ndarray) -> Stat:
    """Warming-vs-cooling macro-F1 of the event rows drawn."""
    return lambda i: intervals.macro_f1(y[i], calls[i], 3, (W, C))


def mean_of(hits: np.ndarray) -> Stat:
    """Share of the items drawn that are right (``hits`` 1 / 0)."""
    return lambda i: float(hits[i].mean())


def gold_ids(rows: list[dict]) -> np.ndarray:
    return np.array([LABELS.index(r["label"]) for r in rows], dtype=int)


def rows_where(rows: list[dict], mask: np.ndarray) -> list[dict]:
    """The rows whose ``mask`` entry is true, in order.

    >>> rows_where([{"i": 0}, {"i": 1}], np.array([False, True]))
    [{'i': 1}]
    """
    return [r for r, keep in zip(rows, mask) if keep]


def article_mask(rows: list[dict]) -> np.ndarray:
    """The rows the real-article metrics read: sentences of the team's VOA stories."""
    return np.array([r["kind"] == "article" for r in rows], dtype=bool)


def event_mask(rows: list[dict]) -> np.ndarray:
    """The rows the event metric reads: event sentences labelled warming or cooling."""
    return np.array([r["kind"] == "event" and r["label"] != "neutral" for r in rows], dtype=bool)


def event_calls(probs: np.ndarray, rows: list[dict]) -> np.ndarray:
    """Each ``event_mask`` row's call, warming or cooling by the sign of its score."""
    ev = event_mask(rows)
    return np.where(probs[ev, W] - probs[ev, C] > 0, W, C)


def sentence_metrics(probs: np.ndarray, rows: list[dict]) -> dict:
    y = gold_ids(rows)
    pred = probs.argmax(1)
    art, ev, ev_pred = article_mask(rows), event_mask(rows), event_calls(probs, rows)
    stories = [r["article_id"] for r in rows_where(rows, art)]
    out = {
        "article_f1": intervals.macro_f1(y[art], pred[art], 3),
        "article_f1_ci": intervals.cluster_interval(article_f1_of(y[art], pred[art]), stories),
        "article_acc": float((y[art] == pred[art]).mean()),
        "event_wc_f1": intervals.macro_f1(y[ev], ev_pred, 3, (W, C)),
        "event_wc_f1_ci": intervals.cluster_interval(event_f1_of(y[ev], ev_pred), range(int(ev.sum()))),
        "ece_article": ece(probs[art], y[art]),
        "n_article": int(art.sum()), "n_event": int(ev.sum()),
    }
    per_source = {}
    for src in sorted({r["source"] for r in rows}):
        m = np.array([r["source"] == src for r in rows])
        classes = sorted(set(y[m]))
        per_source[src] = {"n": int(m.sum()), "macro_f1": intervals.macro_f1(y[m], pred[m], 3, classes),
                           "acc": float((y[m] == pred[m]).mean())}
    out["per_source"] = per_source
    return out


# The team's contrast sets: minimal groups of written sentences (negation, modality, quotes...).
# The test one is read with the test split only; the dev one, written later by other annotators
# without seeing it, is for choosing between training runs.
CONTRAST = {"test": ANN / "contrast.jsonl", "dev": ANN / "contrast_dev.jsonl"}


def contrast_rows(split: str = "test") -> list[dict]:
    return [json.loads(l) for l in open(CONTRAST[split], encoding="utf-8")]


def contrast_hits(predict, rows: list[dict]) -> np.ndarray:
    """Whether ``predict`` (texts -> probabilities) got each contrast row (1 / 0)."""
    pred = predict([r["text"] for r in rows]).argmax(1)
    return np.array([LABELS[p] == r["label"] for p, r in zip(pred, rows)], dtype=float)


def contrast_summary(rows: list[dict], hits: np.ndarray) -> tuple[float, int, dict[str, float], tuple[float, float]]:
    """Contrast accuracy, the set's size, accuracy per phenomenon, and the interval (whole groups resampled)."""
    by: dict[str, list[float]] = defaultdict(list)
    for ok, r in zip(hits, rows):
        by[r["phenomenon"]].append(ok)
    ci = intervals.cluster_interval(mean_of(hits), [r["group"] for r in rows])
    return float(hits.mean()), len(rows), {k: float(np.mean(v)) for k, v in sorted(by.items())}, ci


def team_pair_result(a, team_label: dict) -> tuple[float, str]:
    """(score, label) of the team's main pair in an ArticleScore; the article's own when the
    team named fewer than two states or the pair was not detected."""
    pair = tuple(sorted(c for c in team_label["pair"] if c))
    for d in a.dyads:
        if len(pair) == 2 and d.pair == pair:
            return d.score, d.label
    return a.score, a.label


def evidence_counts(evidence, gold: dict[str, str]) -> Counter:
    """Sort the sentences an article shows as evidence by the team's label of each (read in the
    article): ``right`` (shown as cooling and labelled cooling, or warming and warming),
    ``neutral`` (labelled neutral), ``opposite`` (labelled the other way), ``unlabelled`` (the
    library cut the sentence differently from the annotation, so no label matches its text)."""
    from data import _norm

    counts: Counter = Counter()
    for e in evidence:
        side = "warming" if e.score > 0 else "cooling"
        label = gold.get(_norm(e.text))
        counts["unlabelled" if label is None else "right" if label == side
               else "neutral" if label == "neutral" else "opposite"] += 1
    return counts


def evidence_summary(counts: Counter) -> dict:
    matched = counts["right"] + counts["neutral"] + counts["opposite"]
    share = (lambda k: counts[k] / matched) if matched else (lambda k: float("nan"))
    return {"evidence_shown": sum(counts.values()), "evidence_matched": matched,
            "evidence_precision": share("right"), "evidence_opposite": share("opposite")}


def article_metrics(predict, test_ids: set[str], data: Path, pair_marked: bool = False, context: bool = False) -> dict:
    """Team article labels of the test stories, through the library's segmentation and roll-up
    (``pair_marked``: the model reads pair-marked copies of sentences naming several states;
    ``context``: it reads each sentence after the one before it); and the team's sentence labels
    of the evidence each article shows (``evidence_counts``)."""
    from stance.scorer import Article, build_article
    from stance.segment import split_sentences

    from data import _norm, load_article_labels, load_voa_team

    labels = load_article_labels()
    gold: dict[str, dict[str, str]] = defaultdict(dict)
    for r in load_voa_team()[0]:
        gold[r["article_id"]][_norm(r["text"])] = r["label"]
    shown: Counter = Counter()
    stories = {json.loads(l)["id"]: json.loads(l) for l in open(data / "unlabelled/voa_stories.jsonl", encoding="utf-8")}
    results = []
    for sid in sorted(test_ids):
        if sid not in labels:
            continue
        st = stories[sid]
        spans = split_sentences(st["text"])
        a = build_article(Article(st["text"], sid, st["title"], st["published"][:10]), spans, predict, pair_marked, context)
        shown += evidence_counts(a.evidence, gold[sid])
        pair = [c for c in labels[sid]["pair"] if c]
        score, label = team_pair_result(a, labels[sid])
        results.append((labels[sid]["label"], score, label, tuple(sorted(pair)), a.main_pair))
    clear = [(g, s) for g, s, *_ in results if g in ("warming", "cooling")]
    hits = np.array([(s > 0) == (g == "warming") and s != 0 for g, s in clear], dtype=float)
    mixed = [abs(s) for g, s, *_ in results if g == "mixed"]
    pairs = [(p, m) for *_, p, m in results if len(p) == 2]
    return {
        "n": len(results), "n_clear": len(clear),
        "direction_acc": float(hits.mean()) if clear else float("nan"),
        "direction_acc_ci": intervals.cluster_interval(mean_of(hits), range(len(hits))),
        "label_acc": float(np.mean([g == l for g, _, l, *_ in results])) if results else float("nan"),
        "mean_abs_clear": float(np.mean([abs(s) for _, s in clear])) if clear else float("nan"),
        "mean_abs_mixed": float(np.mean(mixed)) if mixed else float("nan"), "n_mixed": len(mixed),
        "main_pair_acc": float(np.mean([p == m for p, m in pairs])) if pairs else float("nan"), "n_pairs": len(pairs),
        **evidence_summary(shown),
    }


def confusion(probs: np.ndarray, rows: list[dict]) -> list[list[int]]:
    """Real-article confusion matrix: gold rows, predicted columns, in ``LABELS`` order."""
    art = article_mask(rows)
    y, pred = gold_ids(rows)[art], probs.argmax(1)[art]
    return np.bincount(y * 3 + pred, minlength=9).reshape(3, 3).tolist()


def span(ci: tuple[float, float]) -> str:
    """An interval as "[lo, hi]", or "—" when there was nothing to resample."""
    lo, hi = ci
    return "—" if lo != lo else f"[{lo:.3f}, {hi:.3f}]"


def paired_gap(stat_ours: Stat, stat_other: Stat, clusters: Sequence) -> str:
    """``ours - other`` on all items, and its interval over the same resamples for both ("—": no items)."""
    n = len(clusters)
    if n == 0:
        return "—"
    d = stat_ours(np.arange(n)) - stat_other(np.arange(n))
    return f"{d:+.3f} ({span(intervals.cluster_interval(lambda i: stat_ours(i) - stat_other(i), clusters))})"


def intervals_table(results: dict, calls: dict, rows: list[dict], contrast: list[dict], ours: str) -> str:
    """Each system's intervals, and the paired interval of ``ours`` minus it on real-article F1
    (issue #4 asks for 10 points above every baseline), event F1 and contrast accuracy.

    ``calls[name]``: that system's real-article predictions (``article``), event calls (``event``,
    as ``event_calls``) and contrast hits (``contrast``), in row order."""
    arts = rows_where(rows, article_mask(rows))
    y = gold_ids(arts)
    stories = [r["article_id"] for r in arts]
    y_ev = gold_ids(rows_where(rows, event_mask(rows)))
    groups = [r["group"] for r in contrast]
    stats = {name: (article_f1_of(y, c["article"]), event_f1_of(y_ev, c["event"]), mean_of(c["contrast"]))
             for name, c in calls.items()}
    lines = [f"{intervals.LEVEL:.0%} intervals ({intervals.RESAMPLES:,} bootstrap resamples, seed {intervals.SEED}; "
             f"whole stories for real-article sentences ({len(set(stories))} stories), whole groups for the contrast "
             "set, whole articles for direction, event sentences one by one). The \"ours minus this\" columns are "
             f"paired (the same resamples for both), so they say whether {ours} is ahead.", "",
             "| system | real-article F1 | events W-vs-C F1 | contrast acc. | article direction | "
             "real-article F1, ours minus this | events, ours minus this | contrast, ours minus this |",
             "|---|---|---|---|---|---|---|---|"]
    for name, m in results.items():
        if name == ours:
            gaps = ["—"] * 3
        else:
            gaps = [paired_gap(a, b, cl) for a, b, cl in zip(stats[ours], stats[name],
                                                                (stories, range(len(y_ev)), groups))]
        lines.append(f"| {name} | {span(m['article_f1_ci'])} | {span(m['event_wc_f1_ci'])} | "
                     f"{span(m['contrast_acc_ci'])} | {span(m['articles']['direction_acc_ci'])} | {' | '.join(gaps)} |")
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------------
def _encoder_name(meta: dict) -> str:
    """A short name for the table: "MiniLM", "MiniLM, 3 layers", "mpnet"."""
    base = str(meta.get("base_model", ""))
    name = "mpnet" if "mpnet" in base.lower() else "MiniLM" if "minilm" in base.lower() else base or "model"
    layers = meta.get("base_layers_kept")
    return f"{name}, {len(layers)} layers" if layers else name


def fmt(x: float) -> str:
    return "—" if x != x else f"{x:.3f}"


def refuse_dev_trained(split: str, models) -> None:
    """Stop when a model to be read on the dev split was trained on it (``train.py --with-dev``)."""
    if split != "dev":
        return
    for model in models:
        meta_file = Path(model) / "stance.json"
        if meta_file.exists() and json.loads(meta_file.read_text(encoding="utf-8")).get("dev_in_train"):
            raise SystemExit(f"error: {model} was trained on the dev split (train.py --with-dev); its dev numbers "
                             "say nothing about it: read it on test, or compare the same recipe without --with-dev")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--dataset", type=Path, default=ROOT / "build" / "dataset")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--write", action="store_true", help="write the table into the model card and stance.json")
    ap.add_argument("--skip-zero-shot", action="store_true")
    ap.add_argument("--split", choices=("test", "dev"), default="test",
                    help="dev: for choosing between training runs (the dev contrast set, no --write)")
    ap.add_argument("--no-baselines", action="store_true", help="score the model only")
    ap.add_argument("--compare", type=Path, nargs="+", default=[], metavar="MODEL",
                    help="also score these models (torch backend), each with its paired gaps to MODEL")
    args = ap.parse_args(argv)
    if args.split == "dev" and args.write:
        raise SystemExit("error: --write puts test-split numbers in the model card; drop --split dev")
    if args.compare and args.write:
        raise SystemExit("error: --write puts the model's own table in its card; drop --compare")
    refuse_dev_trained(args.split, [args.model, *args.compare])

    import stance
    from datasets import load_from_disk
    from stance.backends import Int8Refused

    ds = load_from_disk(str(args.dataset))
    test, train = list(ds[args.split]), list(ds["train"])
    texts = [r["text"] for r in test]
    test_ids = {r["article_id"] for r in test if r["kind"] == "article"}

    systems: dict[str, object] = {}
    reads: dict[str, dict] = {}  # how a stance model reads: pair-marked copies, context
    for backend in ("torch", "onnx-fp32", "onnx-int8"):
        try:
            sc = stance.load(args.model, backend=backend)
        except (FileNotFoundError, ImportError, Int8Refused):
            continue
        runtime = "torch" if backend == "torch" else "ONNX"
        name = f"stance ({_encoder_name(sc.meta)}, {sc.backend.precision} {runtime})"
        systems[name] = sc.predict_proba
        reads[name] = {"pair_marked": sc.pair_marked, "context": sc.context}
    for other in args.compare:
        sc = stance.load(other, backend="torch")
        name = f"{other} ({_encoder_name(sc.meta)}, {sc.backend.precision} torch)"
        systems[name] = sc.predict_proba
        reads[name] = {"pair_marked": sc.pair_marked, "context": sc.context}
    if not args.no_baselines:
        systems["Goldstein/CAMEO dictionary"] = GoldsteinCoder(args.data / "lexicons").predict
        systems["VADER compound"] = vader_predict
        systems["TF-IDF + logistic regression"] = tfidf_lr([r["text"] for r in train], [r["label"] for r in train])
        if not args.skip_zero_shot:
            systems["zero-shot MiniLM (cosine to label descriptions)"] = zero_shot()

    results = {}
    calls: dict[str, dict[str, np.ndarray]] = {}  # per-item results, for the paired gaps below
    art = article_mask(test)
    contrast = contrast_rows(args.split)
    in_context = None
    for name, predict in systems.items():
        read = reads.get(name, {})
        if read.get("context") and in_context is None:
            from data import model_input

            reader = model_input(args.data)
            in_context = [reader(r) for r in test]
        probs = predict(in_context if read.get("context") else texts)
        m = sentence_metrics(probs, test)
        hits = contrast_hits(predict, contrast)
        m["contrast_acc"], n_contrast, m["contrast_by_phenomenon"], m["contrast_acc_ci"] = contrast_summary(
            contrast, hits)
        calls[name] = {"article": probs.argmax(1)[art], "event": event_calls(probs, test), "contrast": hits}
        m["articles"] = article_metrics(predict, test_ids, args.data, **read)
        m["confusion_article"] = confusion(probs, test)
        results[name] = m
        print(f"{name}: article F1 {m['article_f1']:.3f}  event W/C F1 {m['event_wc_f1']:.3f}  "
              f"contrast {m['contrast_acc']:.3f}  article direction {m['articles']['direction_acc']:.3f}  "
              f"evidence right {m['articles']['evidence_precision']:.3f}", flush=True)

    first = next(iter(results.values()))
    lines = [
        f"{args.split.capitalize()} split: {first['n_article']} real-article sentences (VOA stories never seen in training), "
        f"{first['n_event']} warming/cooling event sentences (ConfliBERT + PLOVER {args.split}), "
        f"{n_contrast} contrast-set sentences, {first['articles']['n']} {args.split} articles "
        f"({first['articles']['n_clear']} labelled warming or cooling, {first['articles']['n_mixed']} mixed).", "",
        "| system | 3-class macro-F1, real articles | W-vs-C macro-F1, events | contrast acc. | article direction acc. | article label acc. | mean abs score clear / mixed | ECE (real articles) | evidence right / opposite (sentences shown) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in results.items():
        a = m["articles"]
        lines.append(f"| {name} | {fmt(m['article_f1'])} | {fmt(m['event_wc_f1'])} | {fmt(m['contrast_acc'])} | "
                     f"{fmt(a['direction_acc'])} | {fmt(a['label_acc'])} | {fmt(a['mean_abs_clear'])} / {fmt(a['mean_abs_mixed'])} | {fmt(m['ece_article'])} | "
                     f"{fmt(a['evidence_precision'])} / {fmt(a['evidence_opposite'])} ({a['evidence_shown']}) |")
    lines += ["", "Evidence: the sentences each article shows as weighing most each way (up to "
              "three per side), against the team's label of each: right = labelled the way it is shown, "
              "opposite = labelled the other way (the rest are labelled neutral); "
              f"{sum(m['articles']['evidence_matched'] for m in results.values())} of "
              f"{sum(m['articles']['evidence_shown'] for m in results.values())} shown sentences, all systems, "
              "matched an annotated sentence by text."]
    ours = next(iter(results))
    lines += ["", intervals_table(results, calls, test, contrast, ours)]
    lines += ["", f"Per source ({ours}):", "", "| source | n | macro-F1 | accuracy |", "|---|---|---|---|"]
    for src, v in results[ours]["per_source"].items():
        lines.append(f"| {src} | {v['n']} | {fmt(v['macro_f1'])} | {fmt(v['acc'])} |")
    lines += ["", f"Contrast set by phenomenon ({ours}): " + ", ".join(
        f"{k} {fmt(v)}" for k, v in results[ours]["contrast_by_phenomenon"].items()) + "."]
    cm = results[ours]["confusion_article"]
    lines += ["", f"Confusion on real-article sentences ({ours}; rows gold, columns predicted):", "",
              "| gold \\ predicted | warming | cooling | neutral |", "|---|---|---|---|"]
    for lab, row in zip(LABELS, cm):
        lines.append(f"| {lab} | {' | '.join(map(str, row))} |")
    lines += ["", f"Main pair of the article right (team pair = detected main pair): "
              f"{fmt(results[ours]['articles']['main_pair_acc'])} on {results[ours]['articles']['n_pairs']} {args.split} articles with a pair."]
    table = "\n".join(lines)
    print("\n" + table)
    if args.write:
        card = args.model / "README.md"
        text = card.read_text(encoding="utf-8") if card.exists() else "<!-- metrics:start -->\n<!-- metrics:end -->\n"
        start, end = "<!-- metrics:start -->", "<!-- metrics:end -->"
        text = text[: text.index(start) + len(start)] + "\n" + table + "\n" + text[text.index(end):]
        card.write_text(text, encoding="utf-8")
        meta = read_metadata(args.model)
        meta["metrics"] = {k: {kk: vv for kk, vv in v.items() if kk != "confusion_article"} for k, v in results.items()}
        write_metadata(args.model, meta)
        print(f"wrote {card} and {args.model / 'stance.json'}")


if __name__ == "__main__":
    main()
