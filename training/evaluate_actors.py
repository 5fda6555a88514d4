"""Measure state detection and the main-pair choice against the team's labels, and detection
against the ConfliBERT actor spans.

    python training/evaluate_actors.py [--data ../shared/data]

1. VOA sentences (training/annotations/parts/voa_sentences_b*.jsonl). Per sentence, the set of
   ISO codes found by ``stance.actors.article_actors`` is compared with the set the annotators
   wrote. Numbers are printed for the stories of the train and dev splits (the ones the rules
   and gazetteer entries were developed on) and, separately, for the test stories (split by
   story with ``training/data.py``'s own function; never used for development since this
   script began reporting it). Two readings of the labels:

   * **detection**: every code the annotators wrote counts, including states that are only
     implied by the story ("He said", "They were wrong"): the issue's measure, unchanged.
   * **detection + pair rule**: a sentence's states are those of the pairs the library assigns
     it (``sentence_pairs``: a sentence naming no state speaks to the article's main pair, one
     naming one state is paired with its counterpart) plus those detected. This is what the
     per-pair roll-up uses; implied states are the pair rule's job, not the gazetteer's.

2. Main pair: ``main_pair`` against the team's article labels (voa_articles_b*.jsonl) naming
   two states, on train+dev and on test stories.

3. ConfliBERT actor spans (labelled/cameo_ner_{train,test}.txt, GPL-3.0: read here, never
   copied into the repository). Each Source/Target/other span is mapped to the states it names
   by a loose lookup: every gazetteer phrase found in the span's words, whatever its dates and
   with none of the context rules (the sentences carry no date). Spans naming no state
   ("police", "the Taliban") are left out. Our detection runs on the whole sentence with every
   rule and no date; a state counts as found when an actor of that code lies inside the span.
   Precision is over the actors we find inside spans (an actor inside a span that names no
   state, or another state, is a false hit); actors outside every span are not judged.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))


def voa_stories(data: Path) -> list[dict]:
    """The team-labelled VOA stories: id, split, date, title, sentences, gold codes per sentence."""
    from data import load_voa_team

    raw = {json.loads(l)["id"]: json.loads(l) for l in open(data / "unlabelled/voa_stories.jsonl", encoding="utf-8")}
    rows, _ = load_voa_team()
    by_story: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_story[r["article_id"]].append(r)
    stories = []
    for sid, rs in sorted(by_story.items()):
        rs.sort(key=lambda r: int(r["orig_id"].split(":")[1]))
        st = raw[sid]
        stories.append({"id": sid, "split": rs[0]["split"], "date": st["published"][:10], "title": st["title"],
                        "sentences": [r["text"] for r in rs], "gold": [set(r["countries"]) for r in rs]})
    return stories


def detect(story: dict):
    from stance.actors import article_actors

    return article_actors(story["sentences"], title=story["title"], date=story["date"])


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def score_voa(stories: list[dict]) -> dict[str, dict]:
    """Per split group: sentence counts and (tp, fp, fn) for detection and detection + pair rule."""
    from stance.actors import sentence_pairs

    out: dict[str, dict] = {}
    for story in stories:
        acts, main = detect(story)
        group = "test" if story["split"] == "test" else "train+dev"
        for g in (group, "all"):
            o = out.setdefault(g, {"stories": 0, "sentences": 0, "det": [0, 0, 0], "pair": [0, 0, 0]})
            o["stories"] += 1
            o["sentences"] += len(story["sentences"])
            for found_actors, gold in zip(acts, story["gold"]):
                found = {a.code for a in found_actors}
                paired = found | {c for p in sentence_pairs(sorted(found), main) for c in p}
                for key, pred in (("det", found), ("pair", paired)):
                    o[key][0] += len(pred & gold)
                    o[key][1] += len(pred - gold)
                    o[key][2] += len(gold - pred)
    return out


def score_main_pair(stories: list[dict]) -> dict[str, list[int]]:
    from data import load_article_labels

    labels = load_article_labels()
    out: dict[str, list[int]] = {}
    for story in stories:
        lab = labels.get(story["id"])
        if not lab:
            continue
        gold = tuple(sorted(c for c in lab["pair"] if c))
        if len(gold) != 2:
            continue
        _, main = detect(story)
        for g in ("test" if story["split"] == "test" else "train+dev", "all"):
            o = out.setdefault(g, [0, 0])
            o[0] += main == gold
            o[1] += 1
    return out


# -- ConfliBERT spans ------------------------------------------------------------------------------
def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    sents, cur = [], []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            if cur:
                sents.append(cur)
            cur = []
            continue
        word, _, tag = line.rpartition(" ")
        cur.append((word or tag, tag if word else "O"))
    if cur:
        sents.append(cur)
    return sents


def detokenise(words: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join CoNLL words into text a reader would see ("Mexico 's" -> "Mexico's", "Lee Nak - yon"
    -> "Lee Nak-yon"), with each word's character span."""
    text, spans = "", []
    for i, w in enumerate(words):
        prev = words[i - 1] if i else ""
        glue = (not text or w in (",", ".", ";", ":", "?", "!", ")", "'s", "’s", "'", "’", "s", "%")
                or prev in ("(", "$", "-", "“", "\"") or w == "-" or (w == "s" and prev in ("'", "’")))
        if not glue:
            text += " "
        spans.append((len(text), len(text) + len(w)))
        text += w
    return text, spans


def spans_of(tags: list[str]) -> list[tuple[int, int]]:
    out, start = [], None
    for i, t in enumerate(tags + ["O"]):
        if start is not None and not t.startswith("I-"):
            out.append((start, i))
            start = None
        if t.startswith("B-"):
            start = i
    return out


def score_cameo(data: Path) -> dict[str, dict]:
    from stance.actors import _TOKEN, _default_gazetteer, _norm, find_actors

    table = _default_gazetteer().table
    out = {}
    for part in ("train", "test"):
        tp = fp = fn = n_spans = n_state_spans = 0
        for sent in read_conll(data / f"labelled/cameo_ner_{part}.txt"):
            words, tags = [w for w, _ in sent], [t for _, t in sent]
            text, wspans = detokenise(words)
            found = find_actors(text)
            for a, b in spans_of(tags):
                n_spans += 1
                s, e = wspans[a][0], wspans[b - 1][1]
                norms = [_norm(t) for t in _TOKEN.findall(text[s:e])]
                gold = set()
                for i in range(len(norms)):
                    for phrase, code, *_ in table.get(norms[i], ()):
                        if tuple(norms[i:i + len(phrase)]) == phrase:
                            gold.add(code)
                inside = {f.code for f in found if s <= f.start and f.end <= e}
                n_state_spans += bool(gold)
                tp += len(inside & gold)
                fp += len(inside - gold)
                fn += len(gold - inside)
        out[part] = {"spans": n_spans, "state_spans": n_state_spans, "counts": (tp, fp, fn)}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args(argv)
    stories = voa_stories(args.data)
    voa = score_voa(stories)
    print("VOA team labels: states per sentence (split by story as in training/data.py)")
    print(f"{'stories':<10} {'n':>3} {'sents':>5} | {'detection P':>11} {'R':>5} {'tp/fp/fn':>14} | "
          f"{'+ pair rule P':>13} {'R':>5} {'tp/fp/fn':>14}")
    for g in ("train+dev", "test", "all"):
        o = voa[g]
        (p1, r1), (p2, r2) = _prf(*o["det"]), _prf(*o["pair"])
        print(f"{g:<10} {o['stories']:>3} {o['sentences']:>5} | {p1:>11.3f} {r1:>5.3f} {'/'.join(map(str, o['det'])):>14} | "
              f"{p2:>13.3f} {r2:>5.3f} {'/'.join(map(str, o['pair'])):>14}")
    mp = score_main_pair(stories)
    print("\nmain pair right (team article labels naming two states): " + ", ".join(
        f"{g} {r}/{t} = {r / t:.3f}" for g, (r, t) in ((g, mp[g]) for g in ("train+dev", "test", "all"))))
    if (args.data / "labelled/cameo_ner_test.txt").exists():
        cameo = score_cameo(args.data)
        print("\nConfliBERT actor spans mapped to states (loose gazetteer lookup; see the docstring)")
        for part in ("train", "test"):
            o = cameo[part]
            p, r = _prf(*o["counts"])
            print(f"cameo_ner_{part:<5} spans {o['spans']:>4}, naming a state {o['state_spans']:>4}: "
                  f"precision {p:.3f}, recall {r:.3f} (tp/fp/fn {'/'.join(map(str, o['counts']))})")


if __name__ == "__main__":
    main()
