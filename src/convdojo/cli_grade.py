"""``convdojo grade SUBMITTED --assignment NAME --out DIR``: argument parsing and exit codes.

Exit 0 when the batch was graded (whatever the students scored); 2 for bad
arguments (argparse's convention, and a malformed --scheduler address); 1 when
the grader itself could not run (no sandbox, dask not installed, a scheduler
that cannot be reached or a worker that cannot grade).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .grade.limits import parse_size
from .vocab import DEVICES

__all__ = ["configure", "run"]


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(kind: type) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be positive")
        return value
    return parse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submitted", metavar="SUBMITTED",
                        help="nbgrader's submitted/ folder: SUBMITTED/<student>/<assignment>/"
                             "<notebook>.ipynb")
    parser.add_argument("--assignment", required=True, metavar="NAME",
                        help="assignment name, e.g. conv_shapes")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (grades.csv, grades.json, feedback/); a rerun "
                             "with the same folder resumes")
    parser.add_argument("--workers", type=_positive(int), default=None, metavar="N",
                        help=f"parallel sandbox workers (default: {os.cpu_count()}, the cores); "
                             "not with --scheduler")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="grade on the workers of this Dask scheduler, e.g. "
                             "tcp://HOST:8786 (needs pip install 'convdojo[dask]' here and on "
                             "every worker); outputs are still written here")
    parser.add_argument("--timeout", type=_positive(float), default=60.0, metavar="SECONDS",
                        help="wall time per notebook (default: 60)")
    parser.add_argument("--device", choices=DEVICES, default=None,
                        help="where the checks run (default: CONVDOJO_DEVICE, else cuda if "
                             "available, else cpu)")
    parser.add_argument("--memory-limit", type=_size, default=parse_size("2G"), metavar="SIZE",
                        help="memory per notebook beyond the worker's own, e.g. 512M, 2G "
                             "(default: 2G)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="do not use bubblewrap even if it is installed (reduced isolation)")
    from . import gradebook

    gradebook.add_options(parser)


def _bad_arguments() -> tuple[type[BaseException], ...]:
    # Evaluated only when grade_batch raised: importing specs here (torch) would delay the
    # sandboxes it starts before it imports torch itself.
    from .grade.journal import JournalMismatch
    from .specs import UnknownAssignment

    return (UnknownAssignment, FileNotFoundError, NotADirectoryError, ValueError,
            JournalMismatch)


def run(args: argparse.Namespace) -> int:
    from . import gradebook
    from .grade import GraderError, grade_batch
    from .grade.progress import Progress, format_summary

    from .grade.class_report import write_report as write_class_report

    tty = sys.stderr.isatty()
    if args.gradebook:
        try:  # a bad URL must fail before the batch is graded, not after
            gradebook.gradebook_url(args.gradebook)
        except gradebook.GradebookError as exc:
            print(f"convdojo grade: error: {exc}", file=sys.stderr)
            return 2
    try:
        summary = grade_batch(args.submitted, assignment=args.assignment, out=args.out,
                              workers=args.workers, timeout=args.timeout, device=args.device,
                              memory_limit=args.memory_limit, sandbox=not args.no_sandbox,
                              progress=Progress(sys.stderr, enabled=tty),
                              scheduler=args.scheduler)
    except _bad_arguments() as exc:
        print(f"convdojo grade: error: {exc}", file=sys.stderr)
        return 2
    except (GraderError, OSError) as exc:
        print(f"convdojo grade: the grader could not run: {exc}", file=sys.stderr)
        return 1
    for note in summary.notes if not tty else []:
        print(f"convdojo grade: warning: {note}", file=sys.stderr)
    for skip in summary.skipped if not tty else []:
        print(f"convdojo grade: skipped {skip.folder}/: {skip.reason}", file=sys.stderr)
    print(format_summary(summary, verbose=tty), file=sys.stderr if tty else sys.stdout)
    if args.gradebook:
        try:
            rows = gradebook.load_rows(Path(args.out) / "grades.json")
            report = gradebook.apply(args.gradebook, mode=args.gradebook_mode,
                                     assignment=args.assignment, rows=rows, out=args.out)
            write_class_report(args.out)  # now with the suspects of gradebook-compare.json
        except gradebook.GradebookError as exc:
            print(f"convdojo grade: error: {exc}", file=sys.stderr)
            return 2
        print(report)  # suspects are a report, not a failure: still exit 0
    return 0
