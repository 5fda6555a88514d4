"""Batch scoring throughput and memory: `stance score` on generated news articles.

Generates articles of news length (about 20 sentences, 2 kB, built from templates with
country names so that pairs are found; fixed seed), runs the local engine on 1,000 and 10,000 of
them, each in a fresh subprocess, and the Ray engine with 2 workers on the 1,000. Prints a table:
articles/s, sentences/s and the peak RSS of each local run (from wait4 on that subprocess), the
ratio of peak memory 10k/1k (streaming: should stay near 1) and the Ray engine's throughput as a
ratio to the local engine's, plus how far the two engines' rows are apart (and, with
--check-batch-size, how far the local engine's rows move with the batch size).

    python benchmarks/batch.py                         # 1,000 and 10,000 articles + Ray on 1,000
    python benchmarks/batch.py --sizes 1000,5000       # quicker
    python benchmarks/batch.py --sizes 1000 --no-ray   # quicker still

On a 2-core machine 10,000 articles (200,000 sentences) take about 13 minutes (2026-12-02).

Times are wall-clock for the whole command (Python start, model load, Ray start included): what a
user waits for. Run it on an otherwise idle machine; the 2-core box shared with other work gives
lower and noisier numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COUNTRIES = ["China", "North Korea", "South Korea", "Japan", "Russia", "Ukraine", "the United States", "India",
             "Pakistan", "Iran", "Israel", "Turkey", "Germany", "France", "Brazil", "Mexico", "Egypt", "Nigeria",
             "Vietnam", "the Philippines", "Poland", "Saudi Arabia", "Australia", "Canada", "Indonesia"]
TOPICS = ["trade", "energy", "border security", "fisheries", "nuclear talks", "visa rules", "grain exports",
          "a new rail link", "maritime patrols", "climate finance", "technology controls", "debt relief"]
CITIES = ["Geneva", "Vienna", "Jakarta", "Doha", "Brussels", "Singapore", "Nairobi", "Istanbul", "Oslo"]
WARM = [
    "{A} and {B} signed an agreement on {topic} on {day}, the first such deal in more than a decade.",
    "Officials from {A} said talks with {B} on {topic} had been constructive and would continue next month.",
    "{A} agreed to release detained fishermen from {B} as a goodwill gesture ahead of the summit.",
    "The foreign ministers of {A} and {B} pledged to restore direct flights and expand student exchanges.",
    "{A} offered {B} emergency aid after the floods, and the two governments set up a joint task force.",
    "Leaders of {A} and {B} hailed a new chapter in relations after a two-hour meeting in {city}.",
]
COOL = [
    "{A} accused {B} of violating the ceasefire along the border and summoned its ambassador.",
    "{A} imposed new sanctions on companies from {B} over what it called unfair practices in {topic}.",
    "Talks between {A} and {B} on {topic} collapsed on {day} after neither side would give ground.",
    "{B} expelled two diplomats from {A}, saying they had engaged in activities incompatible with their status.",
    "Warships from {A} shadowed a vessel from {B} near the disputed islands, raising fears of a clash.",
    "{A} warned {B} that it would retaliate if the new tariffs on {topic} were not withdrawn.",
]
NEUTRAL = [
    "The meeting was held in {city}, where both delegations arrived on {day}.",
    "Analysts said it was too early to say how the decision would affect the wider region.",
    "The ministry did not respond to a request for comment on Tuesday evening.",
    "Trade between the two countries reached about {n} billion dollars last year, according to official figures.",
    "The spokesman spoke at a regular news briefing that lasted a little under an hour.",
    "Reporters were not allowed to attend the closed session, which ran late into the night.",
    "The agency's correspondent in {city} contributed reporting to this story.",
    "Both governments are expected to publish a joint statement later this week.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def make_article(rng: random.Random, i: int) -> dict:
    """One article of 18-22 sentences about a main pair, with a few asides on a second pair."""
    a, b = rng.sample(COUNTRIES, 2)
    c, d = rng.sample(COUNTRIES, 2)
    lean = rng.random()
    sentences = []
    for _ in range(rng.randint(18, 22)):
        r = rng.random()
        pool = NEUTRAL if r < 0.5 else (WARM if rng.random() < lean else COOL)
        x, y = (a, b) if rng.random() < 0.8 else (c, d)
        s = rng.choice(pool).format(A=x, B=y, topic=rng.choice(TOPICS), city=rng.choice(CITIES),
                                    day=rng.choice(DAYS), n=rng.randint(5, 400))
        sentences.append(s[0].upper() + s[1:])
    paragraphs = [" ".join(sentences[k:k + 3]) for k in range(0, len(sentences), 3)]
    return {"id": f"bench-{i}", "title": f"{a} and {b}: {rng.choice(TOPICS)} in focus",
            "date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "text": "\n\n".join(paragraphs)}


def write_articles(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(make_article(rng, i)) + "\n")
    return path


SUMMARY = re.compile(r"stance: (\d+) articles, (\d+) sentences, (\d+) errors")


def run(inp: Path, out: Path, extra: list[str]) -> dict:
    """`stance score` in a fresh subprocess: wall time, peak RSS of that process, counts from its summary."""
    cmd = [sys.executable, "-m", "stance", "score", str(inp), "-o", str(out), "--force", *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    err_path = out.with_suffix(".stderr")
    t0 = time.perf_counter()
    with open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # rusage of this child alone, not of all children so far
    wall = time.perf_counter() - t0
    stderr = err_path.read_text()
    found = SUMMARY.findall(stderr)
    if os.waitstatus_to_exitcode(status) != 0 or not found:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{stderr[-3000:]}")
    articles, sentences, errors = map(int, found[-1])
    return {"articles": articles, "sentences": sentences, "errors": errors, "wall": wall,
            "rss_mb": usage.ru_maxrss / 1024}  # ru_maxrss is in KiB on Linux


def compare(a: Path, b: Path) -> str:
    """How far two runs' rows are apart: article scores (max, median), pair scores (max), labels changed."""
    ra = {r["id"]: r for r in map(json.loads, open(a, encoding="utf-8"))}
    rb = {r["id"]: r for r in map(json.loads, open(b, encoding="utf-8"))}
    if ra.keys() != rb.keys():
        return f"different article ids ({len(ra)} vs {len(rb)} rows)"
    art = sorted(abs(ra[k]["score"] - rb[k]["score"]) for k in ra)
    pairs = [abs(ra[k]["pairs"][p]["score"] - rb[k]["pairs"][p]["score"])
             for k in ra for p in ra[k]["pairs"] if p in rb[k]["pairs"]]
    labels = sum(ra[k]["label"] != rb[k]["label"] for k in ra)
    return (f"article score max {art[-1]:.2g}, median {art[len(art) // 2]:.2g}; pair score max "
            f"{max(pairs, default=0.0):.2g}; labels changed {labels} of {len(ra)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="article counts for the local engine (default 1000,10000)")
    ap.add_argument("--ray-workers", type=int, default=2)
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray engine")
    ap.add_argument("--threads", type=int, help="--threads for the local runs (default: stance's, all CPUs)")
    ap.add_argument("--check-batch-size", type=int, metavar="N",
                    help="also score the first size locally with --batch-size N and print the largest score change")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", help="where the generated inputs and outputs go (default: a new temp dir)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="stance-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"stance batch benchmark: shipped model (ONNX, the default backend), {os.cpu_count()} CPUs, work dir {work}")

    local_args = ["--threads", str(args.threads)] if args.threads else []
    threads_note = f" ({args.threads} thread{'s' if args.threads > 1 else ''})" if args.threads else ""
    results = []
    for n in sizes:
        inp = write_articles(work / f"articles_{n}.jsonl", n, args.seed)
        r = run(inp, work / f"local_{n}.jsonl", local_args)
        results.append((f"local{threads_note}, {n:,} articles", n, r))
        print(f"  {results[-1][0]}: {r['wall']:.1f}s", flush=True)
    ray_row = None
    if not args.no_ray:
        n = sizes[0]
        r = run(work / f"articles_{n}.jsonl", work / f"ray_{n}.jsonl",
                ["--engine", "ray", "--workers", str(args.ray_workers)])
        ray_row = (f"ray, {args.ray_workers} workers, {n:,} articles", n, r)
        print(f"  {ray_row[0]}: {r['wall']:.1f}s", flush=True)

    print()
    print("| run | articles | sentences | wall s | articles/s | sentences/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for name, _, r in results + ([ray_row] if ray_row else []):
        rss = f"{r['rss_mb']:.0f}" + (" (driver only)" if name.startswith("ray") else "")
        print(f"| {name} | {r['articles']:,} | {r['sentences']:,} | {r['wall']:.1f} | {r['articles'] / r['wall']:.1f} "
              f"| {r['sentences'] / r['wall']:.0f} | {rss} |")
    print()
    if len(results) > 1:
        (_, n0, r0), (_, n1, r1) = results[0], results[-1]
        print(f"peak memory {n1:,} / {n0:,} articles: {r1['rss_mb'] / r0['rss_mb']:.2f}x for {n1 / n0:.0f}x the input")
    if ray_row:
        n, r_ray = ray_row[1], ray_row[2]
        r_loc = next(r for _, k, r in results if k == n)
        print(f"ray ({args.ray_workers} workers) / local throughput on {n:,} articles: "
              f"{(r_ray['articles'] / r_ray['wall']) / (r_loc['articles'] / r_loc['wall']):.2f}x")
        print(f"ray vs local rows: {compare(work / f'local_{n}.jsonl', work / f'ray_{n}.jsonl')}")
    if args.check_batch_size:
        n = sizes[0]
        run(work / f"articles_{n}.jsonl", work / f"local_{n}_b{args.check_batch_size}.jsonl",
            local_args + ["--batch-size", str(args.check_batch_size)])
        diff = compare(work / f"local_{n}.jsonl", work / f"local_{n}_b{args.check_batch_size}.jsonl")
        print(f"local --batch-size {args.check_batch_size} vs 64 on {n:,} articles: {diff}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
