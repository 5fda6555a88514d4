"""Choose the main-pair weights (stance.actors.main_pair) on the team's train+dev articles.

    python training/tune_main_pair.py [--data ../shared/data]

Prints, for each setting of the title weight, the lead weight, the number of lead sentences and
the salience weight, how many train+dev articles (team label naming two states) get the team's
main pair, and whether both seed articles get China-North Korea. Test articles are not read
here: training/evaluate_actors.py reports the chosen setting on them.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

GRID = {"title_weight": (1.0, 2.0, 3.0, 5.0), "lead_weight": (1.0, 2.0, 3.0), "lead_sentences": (1, 3, 5),
        "salience_weight": (0.0, 0.5, 1.0, 2.0)}
SEEDS = (("koreaherald-north-korea-china.txt", "2014-07-30"), ("baonghean-china-north-korea.txt", None))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args(argv)
    import stance
    import stance.actors as actors
    from data import load_article_labels
    from evaluate_actors import voa_stories

    labels = load_article_labels()
    cases = []
    for st in voa_stories(args.data):
        lab = labels.get(st["id"])
        gold = tuple(sorted(c for c in lab["pair"] if c)) if lab else ()
        if st["split"] != "test" and len(gold) == 2:
            cases.append((st["sentences"], st["title"], st["date"], gold))
    seeds = []
    for name, date in SEEDS:
        path = args.data / "seeds" / name
        if path.exists():
            seeds.append(([s.text for s in stance.split_sentences(path.read_text(encoding="utf-8"))], None, date,
                          ("CHN", "PRK")))
    default = actors.main_pair
    chosen = {k: getattr(actors, k.upper()) for k in GRID}
    rows = []
    try:
        for values in itertools.product(*GRID.values()):
            setting = dict(zip(GRID, values))
            actors.main_pair = functools.partial(default, **setting)
            right = sum(actors.article_actors(s, title=t, date=d)[1] == g for s, t, d, g in cases)
            seeds_right = sum(actors.article_actors(s, title=t, date=d)[1] == g for s, t, d, g in seeds)
            rows.append((right, seeds_right, setting))
    finally:
        actors.main_pair = default
    rows.sort(key=lambda r: -r[0])
    print(f"{len(cases)} train+dev articles; seeds: {len(seeds)}")
    print("right seeds  title lead  lead_n  salience")
    for right, seeds_right, s in rows[:15]:
        print(f"{right:>5} {seeds_right:>5}  {s['title_weight']:>5} {s['lead_weight']:>4} {s['lead_sentences']:>7} "
              f"{s['salience_weight']:>9}")
    print(f"range over the grid: {rows[-1][0]}..{rows[0][0]}")
    mine = next(r for r in rows if r[2] == chosen)
    print(f"shipped setting {chosen}: {mine[0]}/{len(cases)} train+dev articles, {mine[1]}/{len(seeds)} seeds")


if __name__ == "__main__":
    main()
