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
# Whole words only: "BAY" must not drop "BOMBAY", nor "WALL" a "WALLACE". Block heads (the
# states' own names: Solomon Islands, Marshall Islands) are never geography.
GEOGRAPHY = re.compile(r"(?:^|_)(?:RIVER|DESERT|MOUNTAINS?|SHAN|LAKE|PENINSULA|ISLANDS?|GULF|SEA|CANAL|WALL|"
                       r"PROVINCES?|BAY|VALLEY|PLATEAU|COAST)(?:_|$)", re.I)
# Phoenix gives Hong Kong and Macau their own blocks; they are parts of China, not states: their
# other names are China's. "Hong Kong" itself is a place, not a mention of China (MENTIONS.md),
# and the team's file removes it.
PART_OF = {"HKG": "CHN", "MAC": "CHN",
           # Historical names take today's code (MENTIONS.md; the ConfliBERT hand mapping does the
           # same: "Moscow" in the 1980s is RUS).
           "SUN": "RUS"}
# CAMEO role codes under which a person acts for the state: government, military, police,
# intelligence, legislature, judiciary.
STATE_ROLES = {"GOV", "MIL", "COP", "SPY", "LEG", "JUD"}
# The Phoenix file was compiled on 2014-01-30. An office it lists as open may have ended any time
# after (Merkel, Gbagbo, King Abdullah): its open terms are closed two years later, and the
# team's file (training/actors_team.tsv) carries the office-holders since.
PHOENIX_OPEN_UNTIL = "2016-01-30"
# Phoenix synonyms that in modern news mostly mean something else.
DROP = {"GEORGIA_", "JORDAN_", "CHAD_", "TURKEY_", "NIGER_", "GUINEA_", "CUBA_", "CHILE_", "ORAN_",
        "CANTON_", "PEKING_", "PRC_", "NORTH_", "SOUTH_"}


def _date(s: str) -> str:
    """YYMMDD or YYYYMMDD -> YYYY-MM-DD; anything else (a typo in the file) -> "" (open)."""
    s = s.strip()
    try:
        if len(s) == 6:
            yy, mm, dd = int(s[:2]), int(s[2:4]), int(s[4:6])
            # The file was compiled in 2014: two-digit years up to 25 are this century.
            return date(1900 + yy if yy > 25 else 2000 + yy, mm, max(dd, 1)).isoformat()
        if len(s) == 8:
            return date(int(s[:4]), int(s[4:6]), max(int(s[6:8]), 1)).isoformat()
    except ValueError:
        pass
    return ""


def _phrase(name: str) -> str:
    name = name.strip().rstrip("_").replace("_", " ")
    return re.sub(r"\s+", " ", name).strip()


def parse_phoenix(path: Path) -> tuple[list[tuple[str, str, str, str, str]], set[str], set[str]]:
    """TABARI blocks: ``NAME_ [XXX]`` opens a country; ``+SYN`` adds a name to the open block;
    a tab-indented ``[CODE dates]`` line gives the codes (and dates) of the block's names.

    A head with a longer code (``PUERTO_RICO_ [USAPRI]``) opens a territory block coded with its
    state's three letters; ``[---]`` is TABARI's null code (a name that is *not* an actor: the
    soccer player, the Indian Ocean) and drops the names it codes. Rows are
    (name, code, start, end, kind) with kind "state" for a state's own name (the block's head),
    "alias" for the block's other names (demonyms, capitals, cities, provinces), "territory" for a
    territory block and "person" for people and bodies coded one by one. Also returns the
    state codes and the blocks' head names.
    """
    states: set[str] = set()
    heads: set[str] = set()
    entries = []
    names: list[str] = []
    mode, country, kind = "none", "", ""
    block_dates, names_kind = ("", ""), "person"
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        head = re.match(r"^([^\s+\[][^\[]*?)\s*\[([A-Z]{3,}|---)(?:\s+(\d{6})-(\d{6}))?\]\s*$", line)
        # Dates are YYMMDD, or YYYYMMDD in later additions ("[SRBGOV >20120611]"); a few are
        # malformed ("9008223") and are read as open-ended rather than dropping the name.
        code = re.match(r"^\s+\[([A-Z]{3})([A-Z]*)\s*([<>]?)\s*(\d{6,10})?-?(\d{6,10})?\]", line)
        if head:
            names, country = [head.group(1)], head.group(2)
            if country == "---":
                mode, names = "null", []
                continue
            # A dated head is a state that no longer exists (Serbia and Montenegro, 1992-2006).
            block_dates = (_date(head.group(3)), _date(head.group(4))) if head.group(3) else ("", "")
            kind = "state" if len(country) == 3 else "territory"
            country = country[:3]
            mode = "country"
            if kind == "state":
                states.add(country)
            entries.append((head.group(1), country, *block_dates, kind))
            heads.add(head.group(1))
            names_kind = kind
        elif line.startswith("+"):
            names.append(line[1:])
            if mode == "country":
                entries.append((line[1:], country, *block_dates, "alias" if kind == "state" else kind))
        elif re.match(r"^\s+\[---\]", line):
            names, mode = [], "null"  # the names above are not actors
        elif code:
            c, role, op, d1, d2 = code.groups()
            bare = not role
            if bare:
                states.add(c)  # a bare three-letter code is a state
            start = _date(d1 or "") if op in (">", "") else ""
            end = _date(d1 or "") if op == "<" else _date(d2 or "") if not op else ""
            # A bare code names the state itself (UKRAINE_ ... [UKR >910824]); dates on a country
            # block's own names (Serbia from 2006) keep the block's kind. People count as the
            # state only while they hold a state role (GOV, MIL, ...): CAMEO's ELI ("elite":
            # before or after office), opposition, rebels and territories' officials do not.
            if bare or names_kind != "person":
                for k, n in enumerate(names):
                    own = "state" if bare or names_kind == "state" else names_kind
                    entries.append((n, c, start, end, "alias" if own == "state" and k else own))
            elif role[:3] in STATE_ROLES:
                entries.extend((n, c, start, end or PHOENIX_OPEN_UNTIL, "person") for n in names)
            mode = "coded"
        elif not line.startswith((" ", "\t")):
            names = names + [line] if mode == "pending" else [line]
            mode, names_kind = "pending", "person"
    return entries, states, heads


def plural_demonyms(rows: set[tuple[str, str, str, str, str]]) -> set[tuple[str, str, str, str, str]]:
    """"Somalis", "Nigerians", "Afghans": Phoenix lists demonyms in the singular only. One-word
    names of a state's block ending in -an, -i or -er get an -s plural ("Iran" -> "Irans" is
    harmless: nobody writes it)."""
    out = set()
    for phrase, code, start, end, kind in rows:
        if kind in ("state", "alias") and " " not in phrase and re.search(r"(?:an|i|er)$", phrase) and len(phrase) > 3:
            out.add((phrase + "s", code, start, end, "alias"))
    return out


def read_team(path: Path) -> tuple[set[tuple[str, str, str, str, str]], set[str]]:
    """The team's file: phrase, code, start, end, reason (tab-separated). Code "-" removes a
    phrase. Entries with a start date are office-holders (kind "person"); others are names."""
    rows, drop = set(), set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        phrase, code, start, end = (line.rstrip("\n").split("\t") + ["", "", ""])[:4]
        if code == "-":
            drop.add(phrase.lower())
        elif not re.fullmatch(r"[A-Z]{3}", code):
            raise SystemExit(f"{path}:{n}: code {code!r} for {phrase!r} is not an ISO alpha-3 code or '-'")
        else:
            rows.add((phrase.lower(), code, start, end, "person" if start else "name"))
    return rows, drop


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args()
    entries, states, heads = parse_phoenix(args.data / "actors/Phoenix.Countries.actors.txt")
    rows = set()
    for name, code, start, end, kind in entries:
        code = PART_OF.get(code, code)
        if code not in states or name.strip() in DROP or (name not in heads and GEOGRAPHY.search(name.strip())):
            continue
        phrase = _phrase(name)
        if len(phrase) < 3 or not re.search(r"[A-Za-z]", phrase):
            continue
        rows.add((phrase.lower(), code, start, end, kind))
    # A territory's block repeats names of independent states ("Samoan" under American Samoa).
    state_names = {r[0] for r in rows if r[4] == "state"}
    rows = {r for r in rows if r[4] != "territory" or r[0] not in state_names}
    rows |= plural_demonyms(rows)
    team, drop = read_team(Path(__file__).parent / "actors_team.tsv")
    # Removals apply to Phoenix's rows only, so the team can drop a phrase and re-add it with
    # the right dates (a national leader who went on to head NATO).
    rows = {r for r in rows if r[0] not in drop}
    # A team name Phoenix already has keeps Phoenix's kind (a capital stays an alias).
    known = {(r[0], r[1]) for r in rows if not r[2] and not r[3]}
    rows |= {r for r in team if r[4] == "person" or (r[0], r[1]) not in known}
    OUT.mkdir(exist_ok=True)
    with open(OUT / "gazetteer.tsv", "w", encoding="utf-8") as f:
        f.write("# phrase\tcode\tstart\tend\tkind — built by training/build_gazetteer.py from Phoenix (MIT, see LICENSE-phoenix) and the team's additions\n")
        for r in sorted(rows):
            f.write("\t".join(r) + "\n")
    shutil.copy(args.data / "actors/LICENSE", OUT / "LICENSE-phoenix")
    print(f"{len(rows)} phrases for {len({r[1] for r in rows})} states -> {OUT / 'gazetteer.tsv'}")


if __name__ == "__main__":
    main()
