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

2. State mentions (training/annotations/voa_{dev,test}_mentions_*.jsonl, codebook MENTIONS.md):
   the words of each sentence that name a state (names, demonyms, capitals standing for the
   state, office-holders, state bodies, "the country"/"both sides"), written by annotators who
   did not see our output, for 407 sentences of train/dev stories (used to develop the rules)
   and all 803 sentences of the 26 test stories (not used for development). Implied states
   ("He said") are not mentions: this is the detection measure the gazetteer and rules answer
   for. Scored per sentence (the set of codes) and per mention (same code, overlapping
   characters). Where a second annotator labelled the same sentences
   (voa_test_mentions_1_second.jsonl), their agreement is printed as the ceiling.

3. Main pair: ``main_pair`` against the team's article labels (voa_articles_b*.jsonl) naming
   two states, on train+dev and on test stories.

4. ConfliBERT actor spans (labelled/cameo_ner_{train,test}.txt, GPL-3.0: read here, never
   copied into the repository). Each Source/Target/other span is mapped to states two ways:

   * **gazetteer lookup** (train and test): every gazetteer phrase found in the span's words,
     as on an undated text and with none of the context rules. This measures what the context rules
     and tokenisation lose; it cannot measure the gazetteer's own gaps or false hits, so its
     precision is close to 1 by construction.
   * **hand mapping** (test, 263 spans): training/annotations/cameo_ner_test_states.jsonl, written
     by the team from the span and its sentence without looking at our output (codes and word
     offsets only, no text). A span's states are those it names as the actor: a state's name,
     demonym, capital or seat of power, a state body, or an office-holder of the time by name or
     title ("Energy Minister Kiraitu Murungi" -> KEN; "Charles Taylor" -> LBR). Not states:
     international bodies (NATO, the EU, the UN, ECOWAS), NGOs and companies even when they carry
     a country's name ("The Syrian Observatory for Human Rights", "Malaysia Airlines"), an event
     named after a city ("the Beijing Olympics"), a place that only locates a non-state actor
     ("an Islamic State target southwest of Baghdad"), sub-national places, and actors only
     implied ("The government", "government forces"). Groups are coded by their nationality
     ("Syrian rebels" -> SYR, "Liberians" -> LBR) but "pro-Russia rebels" are not Russia. Historical
     names take today's code ("Moscow" in the 1980s -> RUS, "Serbian" in 1999 -> SRB).

   Spans naming no state are left out of recall. Our detection runs on each sentence alone (as
   a one-sentence article) with every rule and no date; a state counts as found when an actor of
   that code lies inside the span. Precision is over the actors we find inside spans (inside a
   span that names no state, or another state, it is a false hit); actors outside every span
   are not judged.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "training" / "annotations"))


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


# -- state mentions (codebook training/annotations/MENTIONS.md) -------------------------------------
MENTION_FILES = {"dev": ["voa_dev_mentions_3.jsonl", "voa_dev_mentions_4.jsonl", "voa_dev_mentions_5.jsonl", "voa_dev_mentions_6.jsonl", "voa_dev_mentions_7.jsonl"], "test": ["voa_test_mentions_1.jsonl", "voa_test_mentions_2.jsonl"]}
SECOND_ANNOTATOR = ("voa_test_mentions_1.jsonl", "voa_test_mentions_1_second.jsonl")


def load_mentions(stories: list[dict], names: list[str]) -> dict[tuple[str, int], list[tuple[str, int, int]]]:
    """(story, sentence) -> the annotated mentions as (code, start, end) in the sentence."""
    from check_mentions import occurrence

    text = {(s["id"], i): t for s in stories for i, t in enumerate(s["sentences"])}
    out: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
    for name in names:
        for line in open(ROOT / "training" / "annotations" / name, encoding="utf-8"):
            r = json.loads(line)
            key = (r["story_id"], r["sent_idx"])
            spans = []
            for m in r["mentions"]:
                start = occurrence(text[key], m["text"], int(m.get("nth", 0)))
                if start < 0:
                    raise ValueError(f"{name}: {key}: mention {m['text']!r} is not in the sentence")
                spans.append((m["code"], start, start + len(m["text"])))
            out[key] = spans
    return out


def mention_agreement(stories: list[dict]) -> Optional[tuple[int, list[int]]]:
    """Sentences and (both, first only, second only) state counts of two annotators, if present."""
    first, second = SECOND_ANNOTATOR
    if not (ROOT / "training" / "annotations" / second).exists():
        return None
    a, b = load_mentions(stories, [first]), load_mentions(stories, [second])
    counts = [0, 0, 0]
    for key in b:
        x, y = {c for c, _, _ in a[key]}, {c for c, _, _ in b[key]}
        for k, n in enumerate((len(x & y), len(x - y), len(y - x))):
            counts[k] += n
    return len(b), counts


def score_mentions(stories: list[dict], gold: dict[tuple[str, int], list[tuple[str, int, int]]]) -> dict[str, list[int]]:
    """(tp, fp, fn) for the states named per sentence ("states") and for mentions matched by code
    and overlapping characters ("mentions"), over the annotated sentences."""
    out = {"sentences": [0], "states": [0, 0, 0], "mentions": [0, 0, 0]}
    for story in stories:
        if (story["id"], 0) not in gold:
            continue
        acts, _ = detect(story)
        for i, found in enumerate(acts):
            want = gold[(story["id"], i)]
            out["sentences"][0] += 1
            pred, true = {a.code for a in found}, {c for c, _, _ in want}
            for k, n in enumerate((len(pred & true), len(pred - true), len(true - pred))):
                out["states"][k] += n
            hit = lambda a, m: a.code == m[0] and a.start < m[2] and m[1] < a.end  # noqa: E731
            tp = sum(any(hit(a, m) for m in want) for a in found)
            out["mentions"][0] += tp
            out["mentions"][1] += len(found) - tp
            out["mentions"][2] += sum(not any(hit(a, m) for a in found) for m in want)
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


def _loose_states(text: str) -> set[str]:
    """The states named by gazetteer phrases in ``text``: longest phrase first over capitalised
    words, as on an undated text (any office-holder; no state name that has since ended), with
    none of the context rules."""
    from stance.actors import _TOKEN, _default_gazetteer, _in_office, _norm

    table = _default_gazetteer().table
    words = _TOKEN.findall(text)
    norms = [_norm(t) for t in words]
    out, i = set(), 0
    while i < len(norms):
        n = 0
        for phrase, code, start, end, kind in table.get(norms[i], ()):
            if (not n or len(phrase) == n) and tuple(norms[i:i + len(phrase)]) == phrase and words[i][0].isupper() \
                    and _in_office(start, end, None, kind):
                out.add(code)
                n = len(phrase)
        i += n or 1
    return out


def hand_states(path: Path = ROOT / "training/annotations/cameo_ner_test_states.jsonl") -> dict[tuple[int, int, int], set[str]]:
    """The team's hand mapping of the test spans to states: (sentence, first word, end word) -> codes."""
    out = {}
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        out[(r["sentence"], *r["span"])] = set(r["states"])
    return out


def score_cameo(data: Path) -> dict[str, dict]:
    """Detection inside ConfliBERT's actor spans, against the loose gazetteer mapping (both files)
    and the team's hand mapping (test file)."""
    from stance.actors import article_actors

    hand = hand_states()
    out = {}
    for part in ("train", "test"):
        counts = {"loose": [0, 0, 0], "hand": [0, 0, 0]}
        n_spans = {"all": 0, "loose": 0, "hand": 0}
        for si, sent in enumerate(read_conll(data / f"labelled/cameo_ner_{part}.txt")):
            words, tags = [w for w, _ in sent], [t for _, t in sent]
            text, wspans = detokenise(words)
            found = article_actors([text])[0][0]  # each sentence alone, no date: any office-holder
            for a, b in spans_of(tags):
                s, e = wspans[a][0], wspans[b - 1][1]
                inside = {f.code for f in found if s <= f.start and f.end <= e}
                golds = {"loose": _loose_states(text[s:e])}
                if part == "test":
                    if (si, a, b) not in hand:
                        raise SystemExit(f"cameo_ner_test.txt sentence {si} span {a}-{b} has no hand mapping in "
                                         "training/annotations/cameo_ner_test_states.jsonl: the data file changed")
                    golds["hand"] = hand[(si, a, b)]
                n_spans["all"] += 1
                for key, gold in golds.items():
                    n_spans[key] += bool(gold)
                    c = counts[key]
                    c[0] += len(inside & gold)
                    c[1] += len(inside - gold)
                    c[2] += len(gold - inside)
        out[part] = {"spans": n_spans, "counts": counts}
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
    print("\nVOA state mentions (the team's mention labels, codebook training/annotations/MENTIONS.md: "
          "words that name a state, no implied states)")
    for part, names in MENTION_FILES.items():
        o = score_mentions(stories, load_mentions(stories, names))
        (p1, r1), (p2, r2) = _prf(*o["states"]), _prf(*o["mentions"])
        print(f"{part:<5} {o['sentences'][0]:>4} sentences | states per sentence P {p1:.3f} R {r1:.3f} "
              f"({'/'.join(map(str, o['states']))}) | mentions P {p2:.3f} R {r2:.3f} ({'/'.join(map(str, o['mentions']))})")
    agree = mention_agreement(stories)
    if agree:
        n, (both, a_only, b_only) = agree
        print(f"two annotators, {n} test sentences: states per sentence agree {both}, first only {a_only}, "
              f"second only {b_only} (second vs first as gold: P {both / (both + b_only):.3f} R {both / (both + a_only):.3f})")
    mp = score_main_pair(stories)
    print("\nmain pair right (team article labels naming two states): " + ", ".join(
        f"{g} {r}/{t} = {r / t:.3f}" for g, (r, t) in ((g, mp[g]) for g in ("train+dev", "test", "all"))))
    if (args.data / "labelled/cameo_ner_test.txt").exists():
        cameo = score_cameo(args.data)
        print("\nConfliBERT actor spans mapped to states (each sentence alone, no date; see the docstring)")
        for part, key, how in (("train", "loose", "gazetteer lookup"), ("test", "loose", "gazetteer lookup"),
                               ("test", "hand", "team's hand mapping")):
            o = cameo[part]
            p, r = _prf(*o["counts"][key])
            print(f"cameo_ner_{part:<5} {how:<20} spans {o['spans']['all']:>4}, naming a state {o['spans'][key]:>4}: "
                  f"precision {p:.3f}, recall {r:.3f} (tp/fp/fn {'/'.join(map(str, o['counts'][key]))})")


if __name__ == "__main__":
    main()
