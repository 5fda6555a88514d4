"""``stance`` command line: thin wrappers over :func:`stance.batch.score_files` and
:func:`stance.timeline.build_timeline`."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Optional, Sequence, TextIO, cast

from .backends import BACKENDS

# 1 means "finished, some records were bad" (they are in the errors file): a pipeline must be
# able to tell that from a run that did not finish (3, or 130 after Ctrl-C).
EXIT_OK, EXIT_RECORD_ERRORS, EXIT_USAGE, EXIT_CRASH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process stopped by SIGPIPE


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stance")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="stance", description="Warming or cooling? Score news articles.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = ap.add_subparsers(dest="command", required=True)
    sc = sub.add_parser("score", help="score articles from files or stdin",
                        description="Score articles. INPUT: .jsonl, .csv, .parquet, .txt, a directory of .txt files, or - (JSONL on stdin).",
                        epilog="exit status: 0 all scored; 1 some records failed (see the errors file); 2 a usage "
                        "error, nothing scored; 3 the run crashed or a write failed (--resume continues); "
                        "130 interrupted; 141 the reader of stdout went away")
    sc.add_argument("inputs", nargs="+", metavar="INPUT")
    sc.add_argument("-o", "--output", help="output .jsonl, .csv or .parquet (- for JSONL on stdout); "
                    "without it, one summary line per article is printed")
    sc.add_argument("--errors", help="where bad records go, as JSONL (default: OUTPUT.errors.jsonl, left out when no record failed; - or no -o: one line each on stderr)")
    sc.add_argument("--sentences", metavar="FILE", help="also write one row per sentence here")
    sc.add_argument("--force", action="store_true", help="overwrite existing output")
    sc.add_argument("--resume", action="store_true", help="continue an interrupted run into the same output")
    sc.add_argument("--model", help="model directory (default: the shipped model)")
    sc.add_argument("--backend", choices=BACKENDS, default="auto",
                    help="auto (default): ONNX int8 where it passes its load-time check, else ONNX fp32, else torch")
    sc.add_argument("--threads", type=_positive, help="CPU threads for the model")
    sc.add_argument("--batch-size", type=_positive, default=64, help="sentences per model batch (default: 64)")
    sc.add_argument("--id-field", default="id", metavar="NAME", help="the records' id field (default: id)")
    sc.add_argument("--text-field", default="text", metavar="NAME", help="the records' text field (default: text)")
    sc.add_argument("--title-field", default="title", metavar="NAME", help="the records' title field (default: title)")
    sc.add_argument("--date-field", default="date", metavar="NAME", help="the records' date field (default: date)")
    sc.add_argument("--engine", choices=("local", "ray"), default="local",
                    help="local: this process (default); ray: Ray Data actors, on a cluster or this machine "
                    "(needs pip install 'stance[ray]')")
    sc.add_argument("--workers", type=int, help="--engine ray: actors, each loading the model once "
                    "(default: one per CPU of the cluster, each with --threads threads, default 1)")
    sc.add_argument("--ray-address", help="--engine ray: the cluster to join (default: $RAY_ADDRESS, "
                    "else start a local Ray instance)")
    sc.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")

    tl = sub.add_parser("timeline", help="per pair and period: weighted mean score, interval, evidence",
                        description="Relations over time from `stance score` output: per pair and period, the "
                        "weighted mean score with a 90% t interval, counts and evidence; syndicated "
                        "copies counted once; thin periods marked sparse.")
    tl.add_argument("scored", metavar="SCORED", help="the .jsonl (or .csv / .parquet) `stance score -o` wrote")
    tl.add_argument("--pair", action="append", default=[], metavar="AAA-BBB",
                    help="a pair of ISO 3166 alpha-3 codes, e.g. CHN-PRK; repeat for several")
    tl.add_argument("--freq", default="M", type=str.upper, choices=["W", "M"], help="weeks or months (default M)")
    tl.add_argument("--since", metavar="DATE", help="leave out articles dated before this day (ISO, e.g. 2024-01-01)")
    tl.add_argument("--until", metavar="DATE", help="leave out articles dated after this day (included)")
    tl.add_argument("-o", "--output", help="write the table here as CSV; without it a summary is printed")
    tl.add_argument("--plot", help="draw the figure here (.png or .svg)")
    tl.add_argument("--title", help="figure title")
    tl.add_argument("--force", action="store_true", help="overwrite existing output")
    return ap


def _timeline(args: argparse.Namespace) -> int:
    from .batch import check_writable
    from .timeline import build_timeline, summary_lines, write_csv

    try:
        # Everything that can be refused is refused before anything is written.
        if args.output and Path(args.output).suffix.lower() != ".csv":
            raise ValueError(f"-o {args.output}: the timeline table is CSV; name it .csv")
        if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg"):
            raise ValueError(f"--plot {args.plot}: unknown format {Path(args.plot).suffix!r}; use .png or .svg")
        seen = {os.path.realpath(args.scored): "the scored input"}
        for option, path in (("-o", args.output), ("--plot", args.plot)):
            if not path:
                continue
            real = os.path.realpath(path)
            if real in seen:
                raise ValueError(f"{option} {path} is also {seen[real]}; write it to another file")
            seen[real] = f"the {option} file"
            check_writable(option, Path(path))
            if Path(path).exists() and not args.force:
                raise FileExistsError(f"{path} exists; pass --force to overwrite")
        df = build_timeline(args.scored, args.pair, args.freq, since=args.since, until=args.until)
        # The figure first: plot_timeline refuses (no matplotlib, too many pairs) before it draws,
        # so a refusal leaves no CSV behind either.
        if args.plot:
            from .plot import plot_timeline

            plot_timeline(df, args.plot, title=args.title, force=args.force)
        if args.output:
            write_csv(df, args.output, force=args.force)
    except (FileExistsError, FileNotFoundError, ValueError, ImportError) as exc:
        print(f"stance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a folder that does not exist, no permission, a full disk
        print(f"stance: error: could not write the timeline: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.output:
        cols = ["pair", "period", "score", "lo", "hi", "status", "n_articles", "n_duplicates", "n_sentences"]
        try:
            print(df[df["status"] != "empty"][cols].to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
            sys.stdout.flush()
        except BrokenPipeError:  # `stance timeline ... | head`, as for score
            _quiet_stdout()
            return EXIT_BROKEN_PIPE
    for line in summary_lines(df):
        print(f"stance: {line}", file=sys.stderr)
    return EXIT_OK


class _LinePrinter:
    """Stands in for the output file when no -o is given: one readable line per article."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        import json

        for line in text.splitlines():
            row = json.loads(line)
            pair = row["main_pair"] or "-"
            pair_part = f"  {pair} {row['main_pair_label'] or ''}".rstrip()
            self.stream.write(f"{row['id']}\t{row['score']:+.3f}\t{row['label']}{pair_part}\n")

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False


def _quiet_stdout() -> None:
    """Point the process's stdout at /dev/null, so that exit's flush of the lines still buffered
    raises no second BrokenPipeError; only when sys.stdout is the real one (not in a caller's
    captured stream)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return
    if fd != 1:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {value}")
    return n


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # A warning is for the user of the command (an int8 graph refused, fp32 used): one plain line,
    # not Python's file, line number and source line.
    print(f"stance: warning: {message}", file=file or sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    previous, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        return _timeline(args) if args.command == "timeline" else _score(args)
    finally:
        warnings.showwarning = previous


def _score(args: argparse.Namespace) -> int:
    from .batch import Fields, _spool_path, score_files
    from .scorer import load

    try:
        # The local engine loads the model here, so a bad model fails before any output is opened;
        # the Ray engine's actors load it on the workers (score_files loads it once first, to hand
        # them the backend it settles on).
        scorer = load(args.model, backend=args.backend, threads=args.threads) if args.engine == "local" else args.model
        out = args.output
        stdout = sys.stdout if out else cast(TextIO, _LinePrinter(sys.stdout))  # it writes, as a file would
        summary = score_files(
            scorer, args.inputs, None if out in (None, "-") else out, errors=args.errors,
            sentences=args.sentences, force=args.force, resume=args.resume,
            fields=Fields(args.id_field, args.text_field, args.title_field, args.date_field),
            batch_size=args.batch_size, progress=not args.quiet, stdout=stdout, engine=args.engine,
            backend=args.backend, threads=args.threads, workers=args.workers, ray_address=args.ray_address)
    except BrokenPipeError:  # the reader of stdout stopped (`stance score ... | head`): stop quietly
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except (FileExistsError, FileNotFoundError, ValueError, ImportError, ConnectionError) as exc:
        print(f"stance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a full disk, a vanished folder: the machine's trouble, not a bug
        out = Path(args.output) if args.output not in (None, "-") else None
        started = out is not None and (out.is_file() and out.stat().st_size > 0 or _spool_path(out).is_file())
        again = "; the rows written so far are kept (--resume continues)" if started else ""
        print(f"stance: error: the run stopped: {exc}{again}", file=sys.stderr)
        return EXIT_CRASH
    except KeyboardInterrupt:
        again = "run the same command with --resume to continue" if args.output not in (None, "-") else "nothing was saved"
        print(f"\nstance: interrupted; the rows written so far are kept: {again}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug, not a bad record: say so, keep the traceback for the report
        import traceback

        traceback.print_exc()
        again = "; the rows written so far are kept (--resume continues)" if args.output not in (None, "-") else ""
        print(f"stance: crashed ({type(exc).__name__}: {exc}){again}. Please report it with the traceback above",
              file=sys.stderr)
        return EXIT_CRASH
    if not args.quiet:
        sys.stdout.flush()  # rows first: in a shared pipe or log the summary comes after them
        print(f"stance: {summary.line()}", file=sys.stderr)
    return EXIT_RECORD_ERRORS if summary.errors else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
