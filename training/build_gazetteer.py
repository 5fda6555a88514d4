"""Compile the country gazetteer shipped in stance/data/ from the Phoenix (MIT) dictionary
plus the team's additions (training/actors_team.tsv).

    python training/build_gazetteer.py [--data ../shared/data]

Output: stance/data/gazetteer.tsv with columns phrase, code, start, end (YYYY-MM-DD or empty),
and stance/data/LICENSE-phoenix. Only entries whose code starts with a state's ISO alpha-3
code are kept; the country code is those three letters.
"""
import argparse
import re
import shutil
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "stance" / "data"
# Phoenix lumps places inside a country with the country; the team keeps only names people use
# for the state itself. These first-block synonyms are geography, not the state.
GEOGRAPHY = re.compile(r"RIVER|DESERT|MOUNTAIN|_SHAN|LAKE|PENINSULA|ISLAND|GULF|_SEA_|CANAL|WALL|PROVINCE|BAY_|VALLEY|PLATEAU|COAST", re.I)
# Phoenix synonyms that in modern news mostly mean something else.
DROP = {"GEORGIA_", "JORDAN_", "CHAD_", "TURKEY_", "NIGER_", "GUINEA_", "CUBA_", "CHILE_", "ORAN_",
        "CANTON_", "PEKING_", "PRC_", "NORTH_", "SOUTH_"}


def _date(s: str) -> str:
    s = s.strip()
    if not s:
        return ""
    yy, mm, dd = int(s[:2]), int(s[2:4]), int(s[4:6])
    return date(1900 + yy if yy > 50 else 2000 + yy, mm, max(dd, 1)).isoformat()


def _phrase(name: str) -> str:
    name = name.strip().rstrip("_").replace("_", " ")
    return re.sub(r"\s+", " ", name).strip()


def parse_phoenix(path: Path) -> tuple[list[tuple[str, str, str, str]], set[str]]:
    """TABARI blocks: ``NAME_ [XXX]`` opens a country; ``+SYN`` adds a name to the open block;
    a tab-indented ``[CODE dates]`` line gives the codes (and dates) of the block's names."""
    states: set[str] = set()
    entries = []
    names: list[str] = []
    mode, country = "none", ""
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        head = re.match(r"^([^\s+\[][^\[]*?)\s*\[([A-Z]{3})\]\s*$", line)
        code = re.match(r"^\s+\[([A-Z]{3})[A-Z]*\s*([<>]?)(\d{6})?-?(\d{6})?\]", line)
        if head:
            names, mode, country = [head.group(1)], "country", head.group(2)
            states.add(country)
            entries.append((head.group(1), country, "", ""))
        elif line.startswith("+"):
            names.append(line[1:])
            if mode == "country":
                entries.append((line[1:], country, "", ""))
        elif code:
            c, op, d1, d2 = code.groups()
            if re.match(r"^\s+\[[A-Z]{3}[\s\]]", line):
                states.add(c)  # a bare three-letter code is a state
            start = _date(d1 or "") if op in (">", "") else ""
            end = _date(d1 or "") if op == "<" else _date(d2 or "") if not op else ""
            entries.extend((n, c, start, end) for n in names)
            mode = "coded"
        elif not line.startswith((" ", "\t")):
            names = names + [line] if mode == "pending" else [line]
            mode = "pending"
    return entries, states


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args()
    entries, states = parse_phoenix(args.data / "actors/Phoenix.Countries.actors.txt")
    rows = set()
    for name, code, start, end in entries:
        if code not in states or name.strip() in DROP or GEOGRAPHY.search(name):
            continue
        phrase = _phrase(name)
        if len(phrase) < 3 or not re.search(r"[A-Za-z]", phrase):
            continue
        rows.add((phrase.lower(), code, start, end))
    drop = set()
    for line in open(Path(__file__).parent / "actors_team.tsv", encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            phrase, code, start, end = (line.rstrip("\n").split("\t") + ["", ""])[:4]
            if code == "-":  # the team's removals: Phoenix names that mostly mean something else
                drop.add(phrase.lower())
            else:
                rows.add((phrase.lower(), code, start, end))
    rows = {r for r in rows if r[0] not in drop}
    OUT.mkdir(exist_ok=True)
    with open(OUT / "gazetteer.tsv", "w", encoding="utf-8") as f:
        f.write("# phrase\tcode\tstart\tend — built by training/build_gazetteer.py from Phoenix (MIT, see LICENSE-phoenix) and the team's additions\n")
        for r in sorted(rows):
            f.write("\t".join(r) + "\n")
    shutil.copy(args.data / "actors/LICENSE", OUT / "LICENSE-phoenix")
    print(f"{len(rows)} phrases for {len({r[1] for r in rows})} states -> {OUT / 'gazetteer.tsv'}")


if __name__ == "__main__":
    main()
