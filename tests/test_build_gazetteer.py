"""The gazetteer compiler (training/build_gazetteer.py) on a small file in the Phoenix format."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))

import pytest  # noqa: E402

from build_gazetteer import GEOGRAPHY, parse_phoenix, plural_demonyms, read_team  # noqa: E402

PHOENIX = """\
# comment
SOLOMON_ISLANDS_  [SLB]
+SOLOMON_ISLANDER_
COTE_D'IVOIRE_  [CIV]
+IVORIAN_
+ABIDJAN_
LAURENT_GBAGBO_  # CountryInfo.txt
\t[CIVELI 630101-001026]
\t[CIVGOV 001026-110411]
\t[CIVELI]
AHMED_DARWISH_  # the soccer player's more famous
\t[---]
TOMISLAV_NIKOLIC_
+NIKOLIC_
\t[SRBGOV >20120611]
INDIAN_OCEAN  [---]
PUERTO_RICO_  [USAPRI]
+SAN_JUAN_
SERBIA_AND_MONTENEGRO [SCG 920428-060605]
+SERBIA_MONTENEGRO
UKRAINE_
+UKRAINIAN_
\t[UKR >911221]
"""

def rows(tmp_path):
    path = tmp_path / "actors.txt"
    path.write_text(PHOENIX, encoding="utf-8")
    entries, states, heads = parse_phoenix(path)
    return {(n.strip().rstrip("_"), c, s, e, k) for n, c, s, e, k in entries}, states, heads

def test_blocks_kinds_and_dates(tmp_path):
    r, states, heads = rows(tmp_path)
    assert ("SOLOMON_ISLANDS", "SLB", "", "", "state") in r
    assert ("IVORIAN", "CIV", "", "", "alias") in r
    # Only the state role counts, with its dates; "ELI" (before and after office) does not.
    assert {x for x in r if x[0] == "LAURENT_GBAGBO"} == {("LAURENT_GBAGBO", "CIV", "2000-10-26", "2011-04-11", "person")}
    # YYYYMMDD dates; an open term is closed two years after the file's date.
    assert ("NIKOLIC", "SRB", "2012-06-11", "2016-01-30", "person") in r
    # [---] is TABARI's null code: those names are no actor, and are not handed to the next block.
    assert not any(x[0] in ("AHMED_DARWISH", "INDIAN_OCEAN") for x in r)
    # A territory is coded with its state's letters; a dated head is a state that no longer exists.
    assert ("SAN_JUAN", "USA", "", "", "territory") in r
    assert ("SERBIA_MONTENEGRO", "SCG", "1992-04-28", "2006-06-05", "alias") in r
    # A head without a code, coded by a bare code below: the state's own names.
    assert ("UKRAINE", "UKR", "1991-12-21", "", "state") in r and ("UKRAINIAN", "UKR", "1991-12-21", "", "alias") in r
    assert {"SLB", "CIV", "SCG", "UKR"} <= states and "SOLOMON_ISLANDS_" in heads

def test_geography_matches_whole_words_only():
    assert GEOGRAPHY.search("NILE_RIVER_") and GEOGRAPHY.search("SOUTH_CHINA_SEA")
    assert not GEOGRAPHY.search("BOMBAY_") and not GEOGRAPHY.search("GEORGE_WALLACE_")

def test_plural_demonyms():
    out = plural_demonyms({("somali", "SOM", "", "", "alias"), ("nigerian", "NGA", "", "", "alias"),
                           ("chinese", "CHN", "", "", "alias"), ("kim jong un", "PRK", "2011-12-17", "", "person")})
    assert {r[0] for r in out} == {"somalis", "nigerians"}

def test_team_file_removals_and_bad_codes(tmp_path):
    team = tmp_path / "team.tsv"
    team.write_text("# c\nthe hague\t-\t\t\treason\nxi jinping\tCHN\t2012-11-15\t\tleader\nkremlin\tRUS\n", encoding="utf-8")
    added, drop = read_team(team)
    assert drop == {"the hague"}
    assert ("xi jinping", "CHN", "2012-11-15", "", "person") in added and ("kremlin", "RUS", "", "", "name") in added
    team.write_text("kremlin\tRussia\n", encoding="utf-8")

    with pytest.raises(SystemExit, match="not an ISO alpha-3"):
        read_team(team)
