"""``convdojo list``: the assignments, their exercises, points and written questions."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", nargs="?", help="show only this assignment")


def run(args: argparse.Namespace) -> int:
    from . import specs  # imports torch: not while `convdojo validate` builds its parser

    chosen = [specs.assignment(args.assignment)] if args.assignment else specs.assignments()
    for item in chosen:
        auto = sum(specs.get(e).points for e in item.exercises)
        manual = sum(specs.get_written(w).points for w in item.written)
        n = len(item.exercises)
        print(f"{item.name}: {item.title} (~{item.minutes} min, {n} autograded "
              f"exercise{'s' if n != 1 else ''}, {auto:g} + {manual:g} manual points)")
        for exercise in item.exercises:
            spec = specs.get(exercise)
            print(f"  {spec.id:<22} {spec.points:>4g} pt  {spec.kind:<8}  {spec.title}")
        for question in item.written:
            w = specs.get_written(question)
            print(f"  {w.id:<22} {w.points:>4g} pt  written   {w.title}")
    return 0
