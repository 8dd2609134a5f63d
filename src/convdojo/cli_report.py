"""``convdojo report OUT``: rebuild the class report of a finished ``convdojo grade`` run."""

from __future__ import annotations

import argparse
import json
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT",
                        help="the folder convdojo grade wrote (it holds grades.json)")


def run(args: argparse.Namespace) -> int:
    from convdojo.grade.class_report import write_report

    try:
        report = write_report(args.out)
    except FileNotFoundError as exc:
        print(f"convdojo report: error: {exc}", file=sys.stderr)
        return 2
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        print(f"convdojo report: error: {args.out}/grades.json is not convdojo grade's "
              f"output ({type(exc).__name__}: {exc}); re-run convdojo grade", file=sys.stderr)
        return 2
    top = ", ".join(f"{m.code} ({len(m.students)})" for m in report.misconceptions[:3])
    print(f"wrote {args.out}/report.html and misconceptions.csv: {len(report.students)} "
          f"students, {len(report.help)} need help"
          + (f"; most common: {top}" if top else ""))
    return 0
