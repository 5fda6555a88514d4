"""Draw a timeline from :func:`stance.timeline.build_timeline`: one panel per pair.

Each panel: the weighted mean score per period (filled dots joined by a line; a dotted line
across periods with no articles), the 90 % interval (error bar and band), sparse periods as
hollow dots with no interval, periods with no articles shaded, article counts as bars below,
and the biggest moves numbered with a short evidence quote listed under the panel.
matplotlib is imported only when drawing, and through its object API with the Agg canvas, so
no global backend is switched.

>>> from stance.plot import plot_timeline                      # doctest: +SKIP
>>> plot_timeline(df, "timeline.png")                           # doctest: +SKIP
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from .timeline import MIN_ARTICLES, MIN_WEIGHT

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["plot_timeline", "biggest_moves", "FORMATS"]

FORMATS = (".png", ".svg")
# Moves numbered per pair.
ANNOTATE_MOVES = 3
# Pairs in one figure: each panel is about 5 inches; matplotlib refuses images over 65,536 px.
MAX_PAIRS = 24
# Characters in one quote line under a panel (fits the 12-inch figure at 8.5 pt).
LINE_CHARS = 165
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _period_end(label: str, start: datetime) -> datetime:
    """The day after a period's last: a week's label names its last day ("2024-06-03/2024-06-09"),
    a month ("2024-06") ends where the next month starts.

    >>> _period_end("2024-12", datetime(2024, 12, 1)), _period_end("2024-06-03/2024-06-09", datetime(2024, 6, 3))
    (datetime.datetime(2025, 1, 1, 0, 0), datetime.datetime(2024, 6, 10, 0, 0))
    """
    if "/" in label:
        return datetime.fromisoformat(label.split("/")[1]) + timedelta(days=1)
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1)


def biggest_moves(g: "pd.DataFrame", k: int = ANNOTATE_MOVES) -> list[tuple[int, int, float]]:
    """(row position it starts from, row position it ends at, change) of the k largest changes
    between successive periods with an interval (``ok``), in time order. Sparse periods (one or
    two articles) are drawn but not numbered: a move into or out of one is mostly one article's
    noise. The start is named because periods between may be sparse or empty."""
    seen = [(i, s) for i, (s, st) in enumerate(zip(g["score"], g["status"])) if st == "ok"]
    moves = [(j, i, s - prev) for (j, prev), (i, s) in zip(seen, seen[1:])]
    moves = sorted(moves, key=lambda m: -abs(m[2]))[:k]
    return sorted(moves)


def _within(g: "pd.DataFrame", j: int, i: int) -> bool:
    """Each period's score lies inside the other's interval: a move the sample cannot tell from none."""
    return bool(g["lo"][i] <= g["score"][j] <= g["hi"][i] and g["lo"][j] <= g["score"][i] <= g["hi"][j])


def _quote(evidence: list[dict[str, Any]], direction: float) -> Optional[dict[str, Any]]:
    """The period's strongest sentence pulling the way the score moved, else its strongest."""
    same = [e for e in evidence if (e["score"] >= 0) == (direction >= 0)]
    return (same or evidence)[0] if evidence else None


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    runs, start = [], None
    for i, f in enumerate(flags + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def plot_timeline(df: "pd.DataFrame", path: Union[str, Path], *, title: Optional[str] = None,
                  force: bool = False) -> Path:
    """Write the figure to ``path`` (.png or .svg); refuses to overwrite without ``force``."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"plot {path}: unknown format {path.suffix!r}; use {' or '.join(FORMATS)}")
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force (force=True) to overwrite")
    if df.empty:
        raise ValueError("the timeline has no rows to plot")
    try:
        import matplotlib.dates as mdates
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
    except ImportError as exc:
        raise ImportError("plotting needs matplotlib: pip install 'stance[timeline]'") from exc

    pairs = list(dict.fromkeys(df["pair"]))
    if len(pairs) > MAX_PAIRS:
        raise ValueError(f"{len(pairs)} pairs in one figure: at most {MAX_PAIRS} fit (each panel is about 5 "
                         "inches tall); plot them in groups with several --pair options per run")
    n_quotes = {p: len(biggest_moves(df[df["pair"] == p].reset_index(drop=True))) for p in pairs}
    # Rows in inches, per pair: room for the panel title, score panel, a gap, count panel, then
    # the date labels and one line per quote. Fixed inches keep text apart however many pairs.
    heights = [0.75]  # figure title and legend
    for p in pairs:
        heights += [0.35, 2.6, 0.06, 0.8, 0.45 + 0.25 * n_quotes[p] + 0.15]
    fig = Figure(figsize=(12, sum(heights)), dpi=100)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights, hspace=0, left=0.075, right=0.985,
                            top=1, bottom=0)
    fig.text(0.075, 1 - 0.3 / fig.get_figheight(), title or "stance timeline", fontsize=14,
             fontweight="bold", va="center", ha="left")
    first_ax = None
    for k, pair in enumerate(pairs):
        g = df[df["pair"] == pair].reset_index(drop=True)
        color = _COLORS[k % len(_COLORS)]
        starts = [datetime(d.year, d.month, d.day) for d in g["start"]]
        # Each period's end from its own label, so a filtered frame (no empty periods, say) is
        # still drawn at the right dates.
        ends = [_period_end(str(label), start) for label, start in zip(g["period"], starts)]
        step = ends[0] - starts[0]
        mids = [s + (e - s) / 2 for s, e in zip(starts, ends)]
        ax = fig.add_subplot(grid[2 + 5 * k], sharex=first_ax)
        bars = fig.add_subplot(grid[4 + 5 * k], sharex=ax)
        note = fig.add_subplot(grid[5 + 5 * k])
        first_ax = first_ax or ax
        status = list(g["status"])

        for a, b in _runs([s == "empty" for s in status]):
            ax.axvspan(starts[a], ends[b], color="#ececec", lw=0, zorder=0)
        ax.axhline(0, color="#888888", lw=0.8, zorder=1)
        seen = [i for i, s in enumerate(status) if s != "empty"]
        for i, j in zip(seen, seen[1:]):
            adjacent = j == i + 1
            ax.plot([mids[i], mids[j]], [g["score"][i], g["score"][j]], color=color,
                    lw=1.8 if adjacent else 1.0, ls="-" if adjacent else ":", alpha=1 if adjacent else 0.7, zorder=2)
        ok = [i for i, s in enumerate(status) if s == "ok"]
        for a, b in _runs([s == "ok" for s in status]):
            if b > a:
                ax.fill_between(mids[a : b + 1], g["lo"][a : b + 1], g["hi"][a : b + 1], color=color, alpha=0.18, lw=0)
        if ok:
            ax.errorbar([mids[i] for i in ok], [g["score"][i] for i in ok],
                        yerr=[[g["score"][i] - g["lo"][i] for i in ok], [g["hi"][i] - g["score"][i] for i in ok]],
                        fmt="o", color=color, ms=7, capsize=4, lw=1.5, zorder=4)
        sparse = [i for i, s in enumerate(status) if s == "sparse"]
        ax.plot([mids[i] for i in sparse], [g["score"][i] for i in sparse], "o", ms=7, mfc="white", mec=color,
                mew=1.5, zorder=4)

        values = [v for c in ("score", "lo", "hi") for v in g[c] if not math.isnan(v)]
        lim = min(1.05, max([0.5] + [abs(v) * 1.25 for v in values]))
        ax.set_ylim(-lim, lim)
        ax.set_ylabel("← cooling · warming →", fontsize=9)
        ax.grid(axis="y", color="#dddddd", lw=0.6)
        n_art = int(g["n_articles"].sum())
        counts = g["status"].value_counts()
        ax.set_title(f"{pair}   {n_art} articles ({int(g['n_duplicates'].sum())} copies collapsed);  "
                     f"{len(g)} periods: {counts.get('ok', 0)} with an interval, {counts.get('sparse', 0)} sparse, "
                     f"{counts.get('empty', 0)} with no articles", loc="left", fontsize=11, color=color,
                     fontweight="bold")

        lines: list[Any] = []
        placed: list[tuple[Any, float, bool]] = []
        near = (ends[-1] - starts[0]) * 0.025
        for n, (j, i, change) in enumerate(biggest_moves(g), 1):
            # Numbers of moves close in time and score, on the same side, would sit on each other:
            # push each one right of those already placed there.
            here = (mids[i], g["score"][i], change >= 0)
            shift = sum(abs(here[0] - x) < near and abs(here[1] - y) < 0.15 * lim and up == here[2]
                        for x, y, up in placed)
            placed.append(here)
            ax.annotate(str(n), (mids[i], g["score"][i]), xytext=(11 + 15 * shift, 10 if change >= 0 else -10),
                        textcoords="offset points", ha="center", va="center", fontsize=8, fontweight="bold",
                        color="white", bbox=dict(boxstyle="circle,pad=0.2", fc=color, ec="none"), zorder=5)
            e = _quote(g["evidence"][i], change)
            since, when = (g["period"][x].split("/")[0] for x in (j, i))  # a week is named by its Monday
            head = (f"{n}  {'weeks of ' if '/' in g['period'][i] else ''}{since} {g['score'][j]:+.2f} → {when} "
                    f"{g['score'][i]:+.2f}  {'▲' if change >= 0 else '▼'} {abs(change):.2f}"
                    + (" (within both intervals)" if _within(g, j, i) else ""))
            if e:
                room = LINE_CHARS - len(head) - len(str(e["id"])) - 14
                lines.append(f"{head}   {e['score']:+.2f} “{_short(e['text'], room)}”  [{e['id']}]")
            else:
                lines.append(f"{head}   (no evidence sentence)")
        note.axis("off")
        for n, line in enumerate(lines):  # below the date labels, one line per 0.25 in (18 pt)
            note.annotate(line, (0, 1), xycoords="axes fraction", xytext=(0, -40 - 18 * n),
                          textcoords="offset points", fontsize=8.5, va="center", ha="left")

        bars.bar(starts, list(g["n_articles"]), width=[(e - s) * 0.85 for s, e in zip(starts, ends)], align="edge", color=color, alpha=0.55)
        bars.set_ylabel("articles", fontsize=9)
        top = max(1, int(g["n_articles"].max()))
        bars.set_ylim(0, top * 1.15)
        bars.set_yticks([0, top])
        bars.axhline(MIN_ARTICLES, color="#555555", lw=0.7, ls="--")
        ax.tick_params(labelbottom=False)
        locator = mdates.AutoDateLocator(minticks=6, maxticks=14)
        bars.xaxis.set_major_locator(locator)
        bars.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        pad = max(step * 0.6, (ends[-1] - starts[0]) * 0.03)  # room for the end periods' numbers
        xlim = (starts[0] - pad, ends[-1] + pad)

    if first_ax is not None:  # every call draws at least one panel; this is for the type checker
        first_ax.set_xlim(*xlim)  # after all panels are drawn: later panels autoscale the shared axis
    fig.legend(handles=[
        Line2D([], [], color="#333333", marker="o", ms=6, lw=1.5, label="weighted mean, with its 90 % interval"),
        Line2D([], [], color="#333333", marker="o", ms=6, mfc="white", lw=0,
               label=f"sparse: < {MIN_ARTICLES} articles or weight < {MIN_WEIGHT:g}, no interval"),
        Patch(color="#ececec", label="no articles"),
        Line2D([], [], color="#555555", lw=0.7, ls="--", label=f"{MIN_ARTICLES} articles (bars below)"),
    ], loc="upper right", bbox_to_anchor=(0.985, 1 - 0.05 / fig.get_figheight()), fontsize=8, frameon=False, ncol=2)
    fig.savefig(path, format=path.suffix.lower()[1:])
    return path
