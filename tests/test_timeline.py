"""Timelines: numbers on constructed rows with known answers, copies, sparse periods, CLI, plots."""

import json
import re
import math
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from stance.cli import main  # noqa: E402
from stance.timeline import (  # noqa: E402
    MIN_ARTICLES, build_timeline, duplicate_groups, mean_interval, normalize_pair, summary_lines, weighted_mean)

WIRE = ["China and North Korea agreed on Monday to reopen the Friendship Bridge to freight traffic for the first time since 2020.",
        "Officials in Pyongyang called the agreement a new chapter in the blood alliance between the two neighbours."]


def row(rid, date, pairs, *, title=None, evidence=()):
    """A `stance score` output row; pairs: {pair: (score, confidence, n)}."""
    return {"id": rid, "date": date, "score": 0.0, "label": "neutral", "confidence": 0.5, "title": title,
            "pairs": {p: {"score": s, "label": "x", "n": n, "confidence": c,
                          "evidence": [{"text": f"{rid} says {p} moved.", "score": s}]}
                      for p, (s, c, n) in pairs.items()},
            "evidence": [{"text": t, "score": 0.5} for t in evidence]}


def one(df, pair, period):
    got = df[(df["pair"] == pair) & (df["period"] == period)]
    assert len(got) == 1, (pair, period)
    return got.iloc[0]


@pytest.fixture
def rows():
    return [
        # 2024-01: three articles, weighted mean by hand (0.5*0.8 - 0.2*0.4 + 0.1*0.8) / 2.0 = 0.2
        row("a", "2024-01-03", {"CHN-PRK": (0.5, 0.8, 4), "CHN-USA": (-0.6, 0.5, 2)}),
        row("b", "2024-01-10T08:00:00Z", {"CHN-PRK": (-0.2, 0.4, 1)}),
        row("c", "2024-01-20", {"CHN-PRK": (0.1, 0.8, 3)}),
        # 2024-02: nothing.  2024-03: three equal scores -> a degenerate interval
        row("d", "2024-03-01", {"CHN-PRK": (0.3, 0.9, 5)}),
        row("e", "2024-03-02", {"CHN-PRK": (0.3, 0.5, 2)}),
        row("f", "2024-03-03", {"CHN-PRK": (0.3, 0.6, 2)}),
        # 2024-04: one article -> sparse, shown but no interval
        row("g", "2024-04-15", {"CHN-PRK": (-0.7, 0.9, 6), "CHN-USA": (0.4, 0.9, 3)}),
        # 2024-05: three articles but passing mentions (weight 0.3 < MIN_WEIGHT) -> sparse
        row("h", "2024-05-01", {"CHN-PRK": (0.0, 0.1, 1)}),
        row("i", "2024-05-02", {"CHN-PRK": (0.01, 0.1, 1)}),
        row("j", "2024-05-03", {"CHN-PRK": (-0.01, 0.1, 1)}),
        row("undated", None, {"CHN-PRK": (0.9, 0.9, 9)}),
    ]


def test_weighted_means_counts_and_statuses_match_hand_computation(rows):
    df = build_timeline(rows, ["CHN-PRK"], freq="M")
    assert list(df["period"]) == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    jan = one(df, "CHN-PRK", "2024-01")
    assert jan["score"] == pytest.approx(0.2) and jan["status"] == "ok"
    assert (jan["n_articles"], jan["n_sentences"], jan["weight"]) == (3, 8, pytest.approx(2.0))
    # By hand: se^2 = (0.64*0.09/0.6 + 0.16*0.16/0.8 + 0.64*0.01/0.6) / 2.0^2 (HC2: each over 1 - w/2),
    # t on 4/1.44 - 1 degrees of freedom.
    from scipy.stats import t

    half = t.ppf(0.95, 4 / 1.44 - 1) * math.sqrt((0.0576 / 0.6 + 0.0256 / 0.8 + 0.0064 / 0.6) / 4)
    assert (jan["lo"], jan["hi"]) == (pytest.approx(0.2 - half, abs=1e-6), pytest.approx(0.2 + half, abs=1e-6))
    feb = one(df, "CHN-PRK", "2024-02")
    assert feb["status"] == "empty" and math.isnan(feb["score"]) and feb["n_articles"] == 0 and feb["evidence"] == []
    mar = one(df, "CHN-PRK", "2024-03")
    assert mar["status"] == "ok" and mar["score"] == mar["lo"] == mar["hi"] == pytest.approx(0.3)
    apr = one(df, "CHN-PRK", "2024-04")
    assert apr["status"] == "sparse" and apr["score"] == pytest.approx(-0.7) and math.isnan(apr["lo"])
    may = one(df, "CHN-PRK", "2024-05")
    assert may["n_articles"] == MIN_ARTICLES and may["status"] == "sparse" and math.isnan(may["hi"])
    assert df.attrs["undated"] == 1
    assert [e["id"] for e in jan["evidence"]] == ["a", "b", "c"]  # |score| x weight: 0.4, 0.08, 0.08


def test_several_pairs_share_the_file_span(rows):
    df = build_timeline(rows, ["usa-chn", "CHN-PRK", "CHN-USA"], freq="M")
    assert list(dict.fromkeys(df["pair"])) == ["CHN-USA", "CHN-PRK"]
    assert len(df) == 10  # both pairs over Jan..May
    assert one(df, "CHN-USA", "2024-01")["score"] == pytest.approx(-0.6)
    assert one(df, "CHN-USA", "2024-03")["status"] == "empty"
    assert one(df, "CHN-USA", "2024-04")["status"] == "sparse"


def test_weeks_run_monday_to_sunday():
    rows = [row("sun", "2024-01-07", {"CHN-PRK": (0.2, 0.5, 1)}), row("mon", "2024-01-08", {"CHN-PRK": (0.4, 0.5, 1)})]
    df = build_timeline(rows, ["CHN-PRK"], freq="W")
    assert list(df["period"]) == ["2024-01-01/2024-01-07", "2024-01-08/2024-01-14"]
    assert list(df["score"]) == [0.2, 0.4]


def test_interval_width_matches_the_normal_theory_on_a_large_sample():
    rng = np.random.default_rng(1)
    scores = rng.normal(0.1, 0.3, 400)
    lo, hi = mean_interval(scores, np.ones(400))
    expected = 2 * 1.6449 * scores.std() / math.sqrt(400)
    assert abs((hi - lo) - expected) / expected < 0.05
    assert lo < scores.mean() < hi


@pytest.mark.parametrize("n", [3, 5, 10])
def test_the_90_percent_interval_covers_about_90_percent_at_the_sizes_it_is_shown_for(n):
    # Articles' weights and scores as in real periods; the true mean is 0. The percentile
    # bootstrap used before covered 0.62 / 0.78 / 0.86 of the time at 3 / 5 / 10 articles.
    pytest.importorskip("scipy")
    rng = np.random.default_rng(n)
    hits = 0
    for _ in range(1000):
        lo, hi = mean_interval(rng.normal(0, 0.4, n), rng.uniform(0.4, 0.95, n))
        hits += lo <= 0 <= hi
    assert 0.86 <= hits / 1000 <= 0.95


@pytest.mark.parametrize("n", [5, 10])
def test_one_heavy_article_does_not_make_the_interval_overconfident(n):
    # One full article and n - 1 passing mentions (the unweighted sandwich covered 0.79 at 5).
    pytest.importorskip("scipy")
    from stance.timeline import MIN_EFFECTIVE_ARTICLES, _effective

    rng = np.random.default_rng(n)
    hits = shown = 0
    for _ in range(1000):
        w = np.r_[rng.uniform(0.9, 1.0), rng.uniform(0.01, 0.08, n - 1)]
        lo, hi = mean_interval(rng.normal(0, 0.4, n), w)
        hits += lo <= 0 <= hi
        shown += _effective(list(w)) >= MIN_EFFECTIVE_ARTICLES
    assert hits / 1000 >= 0.86
    if n == 5:  # effectively under two articles: such a period is sparse, no interval is shown at all
        assert shown == 0


def test_weighted_mean_and_interval_edge_cases():
    assert weighted_mean([1.0, -1.0], [3, 1]) == 0.5
    assert math.isnan(weighted_mean([], []))
    assert all(math.isnan(v) for v in mean_interval([0.4], [0.7]))  # one article: no spread to go on
    assert all(math.isnan(v) for v in mean_interval([0.4, 0.9], [0.7, 0.0]))  # weight 0 does not count
    lo, hi = mean_interval([1.0, 0.9, 1.0], [1, 1, 1])
    assert hi == 1.0 and lo < 0.95  # clipped to the score range


def test_syndicated_copies_are_collapsed_and_counted():
    wire = dict(title="China, N. Korea reopen bridge", evidence=WIRE)
    rows = [
        row("outlet2", "2024-06-04", {"CHN-PRK": (0.9, 0.9, 5)}, **{**wire, "title": "Bridge reopens (Yonhap)"}),
        row("outlet1", "2024-06-03", {"CHN-PRK": (0.6, 0.8, 5)}, **wire),
        row("outlet3", "2024-06-05", {"CHN-PRK": (0.6, 0.8, 5)}, evidence=WIRE[::-1]),
        # same sentences a month later: a new article (outside the window), not a copy
        row("later", "2024-07-20", {"CHN-PRK": (0.5, 0.8, 5)}, **wire),
        # shares one quoted sentence only: its own story
        row("other", "2024-06-06", {"CHN-PRK": (-0.4, 0.5, 5)}, title="Sanctions bite",
            evidence=[WIRE[1], "The United Nations says exports of coal from North Korea to China fell sharply again this month."]),
    ]
    df = build_timeline(rows, ["CHN-PRK"], freq="M")
    jun = one(df, "CHN-PRK", "2024-06")
    assert (jun["n_articles"], jun["n_duplicates"]) == (2, 2)
    assert jun["score"] == pytest.approx((0.6 * 0.8 - 0.4 * 0.5) / 1.3, abs=1e-6)  # outlet1 kept: the earliest
    assert {e["id"] for e in jun["evidence"]} == {"outlet1", "other"}
    jul = one(df, "CHN-PRK", "2024-07")
    assert (jul["n_articles"], jul["n_duplicates"]) == (1, 0)


def test_duplicate_groups_need_enough_text():
    from datetime import datetime

    d = datetime(2024, 1, 1)
    assert duplicate_groups([["Briefing"], ["Briefing"]], [d, d]) == [[0], [1]]  # a bare title is too little
    assert duplicate_groups([WIRE, WIRE], [d, d]) == [[0, 1]]
    # Short texts (under 20 shingles) are copies only when the same, title and sentence both.
    short = ["Bridge reopens", "China and North Korea reopened a bridge."]
    assert duplicate_groups([short, short, [short[0], "Trade fell."]], [d, d, d]) == [[0, 1], [2]]


def test_reruns_of_a_story_do_not_chain_beyond_the_window():
    from datetime import datetime, timedelta

    d = datetime(2024, 6, 1)
    groups = duplicate_groups([WIRE] * 11, [d + timedelta(days=6 * k) for k in range(11)])
    # Each copy is judged against the kept one: 0-6 days from it joins, 12 days starts anew.
    assert groups == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10]]


def test_a_pairs_numbers_do_not_depend_on_the_other_pairs_asked_for():
    wire = dict(title="China, N. Korea reopen bridge", evidence=WIRE)
    rows = [row("A", "2024-06-01", {"RUS-USA": (0.5, 0.8, 2)}, **wire),
            row("B", "2024-06-02", {"RUS-USA": (0.5, 0.8, 2), "CHN-USA": (-0.7, 0.8, 2)}, **wire)]
    alone = build_timeline(rows, ["CHN-USA"])
    both = build_timeline(rows, ["CHN-USA", "RUS-USA"])
    for df in (alone, both):
        got = one(df, "CHN-USA", "2024-06")
        assert (got["n_articles"], got["score"]) == (1, -0.7)
    assert one(both, "RUS-USA", "2024-06")["n_duplicates"] == 1


def test_bad_input_names_the_record_and_the_way_out(rows, tmp_path):
    with pytest.raises(ValueError, match=r"pair 'CHN-XXX' is in no dated article.*CHN-PRK \(10\), CHN-USA \(2\)"):
        build_timeline(rows, ["CHN-XXX"])
    with pytest.raises(ValueError, match="freq 'D': use one of M, W"):
        build_timeline(rows, ["CHN-PRK"], freq="D")
    with pytest.raises(ValueError, match="two different ISO 3166"):
        normalize_pair("CHN")
    # A date that is not one comes from the input data: that row is left out and named, the rest count.
    df = build_timeline([rows[0], {**rows[1], "date": "soon"}], ["CHN-PRK"])
    assert df.attrs["bad_dates"] == 1 and df.attrs["first_bad_date"] == "row 2 (id 'b'): date 'soon' is not a date"
    assert int(df["n_articles"].sum()) == 1
    # Nor a word pandas reads as the current time, a numeric date other than ISO, a bare year.
    for date in ("now", "today", "06/07/2024", "24-06-30", "2024", "2024-06"):
        df = build_timeline([rows[0], {**rows[1], "date": date}], ["CHN-PRK"])
        assert df.attrs["bad_dates"] == 1 and list(df["period"]) == ["2024-01"], date
    for date in ("2024-01-30T23:30:00-05:00", "30 January 2024", "Tue, 30 Jan 2024 08:00:00 GMT"):
        assert build_timeline([rows[0], {**rows[1], "date": date}], ["CHN-PRK"]).attrs["bad_dates"] == 0, date
    for field, value, says in (("n", "3", "not a count of sentences"), ("n", 2.5, "not a count of sentences"),
                               ("confidence", 5, "not a weight in \\[0, 1\\]"), ("score", 7, "not in \\[-1, 1\\]"),
                               ("score", float("nan"), "not in \\[-1, 1\\]"), ("score", "0.9", "not a number"),
                               ("confidence", True, "not a number")):
        broken = {**rows[0], "pairs": {"CHN-PRK": {**rows[0]["pairs"]["CHN-PRK"], field: value}}}
        with pytest.raises(ValueError, match=f"row 1 \\(id 'a'\\): pair CHN-PRK: {field} .* {says}"):
            build_timeline([broken], ["CHN-PRK"])
    # A pair key that is not two codes, or evidence that is not a list of scored sentences, is
    # named, not dropped (nor a KeyError from deep inside).
    with pytest.raises(ValueError, match=r"row 1 \(id 'a'\): pair key 'CHN-PRK-USA' is not two different ISO"):
        build_timeline([{**rows[0], "pairs": {"CHN-PRK-USA": rows[0]["pairs"]["CHN-PRK"]}}], ["CHN-PRK"])
    for evidence, says in (("oops", "evidence 'oops' is not a list"), (5, "evidence 5 is not a list"),
                           ([{"x": 1}], "evidence item {'x': 1} is not an object"),
                           ([{"text": "t", "score": "high"}], "evidence score 'high' is not a number"),
                           ([{"text": "t", "score": float("nan")}], "evidence score nan is not a number"),
                           ('[{"text": "t", ', "evidence is not valid JSON")):
        with pytest.raises(ValueError, match=f"row 1 \\(id 'a'\\): {re.escape(says)}"):
            build_timeline([{**rows[0], "evidence": evidence}], ["CHN-PRK"])
        broken = {**rows[0], "pairs": {"CHN-PRK": {**rows[0]["pairs"]["CHN-PRK"], "evidence": evidence}}}
        with pytest.raises(ValueError, match=f"row 1 \\(id 'a'\\): pair CHN-PRK: {re.escape(says)}"):
            build_timeline([broken], ["CHN-PRK"])
    # Pair keys written by another tool, unsorted or lower case, are the same pair.
    other = {**rows[1], "pairs": {"prk-chn": rows[1]["pairs"]["CHN-PRK"]}}
    assert int(build_timeline([rows[0], other], ["CHN-PRK"])["n_articles"].sum()) == 2
    assert "1 with one that is not a date; first: row 2 (id 'b')" in " ".join(summary_lines(df))
    old = {**rows[0], "pairs": {"CHN-PRK": {"score": 0.1, "label": "x", "n": 1}}}
    with pytest.raises(ValueError, match="no 'confidence'.*older stance.*score it again"):
        build_timeline([old], ["CHN-PRK"])
    with pytest.raises(ValueError, match="no dated rows.*--date-field"):
        build_timeline([rows[-1]], ["CHN-PRK"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rows[0]) + "\n{torn")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: invalid JSON"):
        build_timeline(bad, ["CHN-PRK"])


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cli_writes_csv_and_refuses_to_overwrite(rows, tmp_path, capsys):
    scored = write_jsonl(tmp_path / "scored.jsonl", rows)
    out = tmp_path / "t.csv"
    assert main(["timeline", str(scored), "--pair", "CHN-PRK", "--pair", "CHN-USA", "-o", str(out)]) == 0
    back = pd.read_csv(out)
    assert len(back) == 10 and back.loc[0, "score"] == pytest.approx(0.2)
    assert json.loads(back.loc[0, "evidence"])[0]["id"] == "a"
    assert "CHN-PRK: 10 articles (0 copies collapsed)" in capsys.readouterr().err
    out.write_text("keep me")
    assert main(["timeline", str(scored), "--pair", "CHN-PRK", "-o", str(out)]) == 2
    assert out.read_text() == "keep me" and "exists; pass --force" in capsys.readouterr().err
    assert main(["timeline", str(scored), "--pair", "CHN-PRK", "-o", str(out), "--force"]) == 0
    assert len(pd.read_csv(out)) == 5
    assert main(["timeline", str(scored), "--pair", "FRA-DEU"]) == 2
    assert "CHN-PRK (10)" in capsys.readouterr().err
    assert main(["timeline", str(scored), "--pair", "CHN-PRK", "--plot", str(tmp_path / "x.jpg")]) == 2
    assert "use .png or .svg" in capsys.readouterr().err


def test_cli_refuses_bad_outputs_before_writing_anything(rows, tmp_path, capsys):
    scored = write_jsonl(tmp_path / "scored.jsonl", rows)
    (tmp_path / "d.csv").mkdir()
    base = ["timeline", str(scored), "--pair", "CHN-PRK"]
    for extra, says in ((["-o", str(tmp_path / "t.parquet")], "the timeline table is CSV"),
                        (["-o", str(tmp_path / "d.csv")], "is a directory"),
                        (["-o", str(tmp_path / "no" / "t.csv")], "the folder"),
                        (["-o", str(tmp_path / "t.csv"), "--plot", str(tmp_path / "no" / "x.png")], "does not exist")):
        assert main(base + extra) == 2, extra
        assert says in capsys.readouterr().err
    scored_csv = tmp_path / "scored.csv"
    scored_csv.write_text("keep me")
    assert main(["timeline", str(scored_csv), "--pair", "CHN-PRK", "-o", str(scored_csv), "--force"]) == 2
    assert "is also the scored input" in capsys.readouterr().err and scored_csv.read_text() == "keep me"
    assert json.loads(scored.read_text().splitlines()[0])["id"] == "a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "scored.csv", "scored.jsonl"]


def test_a_filtered_frame_is_plotted_at_its_own_dates_and_too_many_pairs_are_refused(rows, tmp_path):
    pytest.importorskip("matplotlib")
    from stance.plot import MAX_PAIRS, biggest_moves, plot_timeline

    df = build_timeline(rows, ["CHN-PRK"])
    # between ok periods only, named from where they start (the periods between may be sparse)
    assert [(df.loc[j, "period"], df.loc[i, "period"]) for j, i, _ in biggest_moves(df)] == [("2024-01", "2024-03")]
    plot_timeline(df[df["status"] != "empty"], tmp_path / "f.png")
    many = pd.concat([df.assign(pair=f"AAA-B{k:02d}") for k in range(MAX_PAIRS + 1)])
    with pytest.raises(ValueError, match=f"{MAX_PAIRS + 1} pairs in one figure"):
        plot_timeline(many, tmp_path / "g.png")


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_plot_renders(rows, tmp_path, ext):
    pytest.importorskip("matplotlib")
    scored = write_jsonl(tmp_path / "scored.jsonl", rows)
    path = tmp_path / f"t.{ext}"
    assert main(["timeline", str(scored), "--pair", "CHN-PRK", "--pair", "CHN-USA", "--plot", str(path)]) == 0
    data = path.read_bytes()
    assert len(data) > 10_000
    if ext == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert b"<svg" in data[:1000] and "2024-03".encode() in data  # the quote line names the period moved to


def test_score_rows_carry_what_the_timeline_needs(tiny_scorer, tmp_path):
    """Per-pair confidence and evidence and the title are in `stance score` rows, in every output format."""
    from stance.batch import score_files

    text = ("China and North Korea held talks in Beijing. Relations have soured since 2013. "
            "North Korea and China signed a trade deal.")
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": f"n{i}", "text": text, "title": "Talks", "date": f"2024-0{i}-10"}
                                              for i in range(1, 4)])
    frames = {}
    for ext in ("jsonl", "csv", "parquet"):
        if ext == "parquet":
            pytest.importorskip("pyarrow")
        out = tmp_path / f"out.{ext}"
        score_files(tiny_scorer, [str(inp)], str(out), progress=False)
        frames[ext] = build_timeline(out, ["CHN-PRK"], freq="M")
    row0 = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    pair = row0["pairs"]["CHN-PRK"]
    assert {"score", "label", "n", "confidence", "evidence"} <= set(pair) and 0 < pair["confidence"] < 1
    assert row0["title"] == "Talks" and row0["main_pair"] == "CHN-PRK"
    # identical articles a month apart: not copies; each month one sparse article
    jsonl = frames["jsonl"]
    assert list(jsonl["n_articles"]) == [1, 1, 1] and set(jsonl["status"]) == {"sparse"}
    for ext in ("csv", "parquet"):
        pd.testing.assert_frame_equal(frames[ext], jsonl)


def test_cli_stops_quietly_when_its_reader_goes(rows, tmp_path, monkeypatch):
    import io

    scored = write_jsonl(tmp_path / "scored.jsonl", rows)

    class GoneReader(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", GoneReader())  # not fd 1: the handler leaves the process's stdout alone
    assert main(["timeline", str(scored), "--pair", "CHN-PRK"]) == 141


def test_a_move_inside_both_intervals_is_marked_as_such():
    from stance.plot import _within

    g = pd.DataFrame({"score": [0.16, 0.14, -0.6], "lo": [-0.8, -0.8, -0.7], "hi": [1.0, 1.0, -0.5]})
    assert _within(g, 0, 1)  # +0.16 -> +0.14, both intervals about [-0.8, 1.0]: noise
    assert not _within(g, 1, 2)  # -0.6 lies inside the first's interval, +0.14 outside the second's


def test_the_apis_own_results_and_tuple_pairs_are_taken(tiny_scorer):
    from stance.batch import output_row

    texts = ["China and North Korea held talks.", "China condemned North Korea.", "China and North Korea met."]
    arts = [{"id": f"a{i}", "text": t, "date": f"2024-0{1 + i % 2}-0{1 + i}"} for i, t in enumerate(texts)]
    results = list(tiny_scorer.pipe(arts))
    from_results = build_timeline(results, [("PRK", "CHN")])
    from_rows = build_timeline([output_row(r) for r in results], ["CHN-PRK"])
    pd.testing.assert_frame_equal(from_results, from_rows)
    assert list(from_results["pair"].unique()) == ["CHN-PRK"]
    with pytest.raises(ValueError, match="holds no scored article"):
        build_timeline([], ["CHN-PRK"])
    with pytest.raises(ValueError, match="reads a file, not stdin"):
        build_timeline("-", ["CHN-PRK"])


def test_one_misdated_article_is_pointed_at_and_since_until_leave_it_out(rows, tmp_path, capsys):
    stray = row("stray", "1970-01-01", {"CHN-PRK": (0.2, 0.5, 1)})
    df = build_timeline(rows + [stray], ["CHN-PRK"])
    assert len(df) == 653 and df.attrs["first"] == "1970-01-01, row 12 (id 'stray')"
    assert "one article alone stretches the periods to its date: 1970-01-01, row 12 (id 'stray')" in \
        " ".join(summary_lines(df))
    assert build_timeline(rows, ["CHN-PRK"]).attrs["stray"] is None  # a gap inside the span is no stray
    late = row("late", "2031-06-01", {"CHN-PRK": (0.2, 0.5, 1)})
    assert build_timeline(rows + [late], ["CHN-PRK"]).attrs["stray"].startswith("2031-06-01, row 12 (id 'late')")
    df = build_timeline(rows + [stray], ["CHN-PRK"], since="2024-01-01", until="2024-03-01")
    # until is a whole day: 2024-03-01 is in, 2024-03-02 is not
    assert list(df["period"]) == ["2024-01", "2024-02", "2024-03"] and int(df["n_articles"].sum()) == 4
    assert df.attrs["outside"] == 7 and "7 dated rows outside --since / --until" in " ".join(summary_lines(df))
    assert df.attrs["stray"] is None
    # A bound with a time of day is that instant; one with a zone is converted to UTC first.
    assert int(build_timeline(rows, ["CHN-PRK"], until="2024-01-10T07:59Z")["n_articles"].sum()) == 1
    assert int(build_timeline(rows, ["CHN-PRK"], until="2024-01-10T09:00+01:00")["n_articles"].sum()) == 2
    assert int(build_timeline(rows, ["CHN-PRK"], since="2024-01-10 06:00", until="2024-01-10")["n_articles"].sum()) == 1
    for kwargs, says in (({"since": "soon"}, "since 'soon' is not a date"),
                         ({"since": "2024-05-01", "until": "2024-01-01"}, "since '2024-05-01' is after until"),
                         ({"since": "2030-01-01"}, "no article is dated from 2030-01-01 to the end"),
                         ({"since": "2024-04-20"}, "pair 'CHN-USA' is in no article dated from 2024-04-20 to the end "
                                                   "(2 dated articles outside)")):
        with pytest.raises(ValueError, match=re.escape(says)):
            build_timeline(rows, ["CHN-PRK", "CHN-USA"], **kwargs)
    scored = write_jsonl(tmp_path / "scored.jsonl", rows + [stray])
    assert main(["timeline", str(scored), "--pair", "CHN-PRK", "--since", "2024-01-01"]) == 0
    out, err = capsys.readouterr()
    assert "1970-01" not in out and "1 dated rows outside --since / --until (since=, until=) were left out" in err
