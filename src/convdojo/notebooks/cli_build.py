"""``convdojo build``: rebuild solutions/ notebooks from the lessons and specs."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the kit's folder")
    parser.add_argument("--check", action="store_true",
                        help="only report notebooks that are out of date (exit 1)")
    parser.add_argument("--student", default=None, metavar="ID",
                        help="write solution notebooks with this student's numbers instead "
                             "(into --out; solutions/ is left alone)")
    parser.add_argument("--assignment", default=None, metavar="NAME",
                        help="with --student: only this assignment")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="with --student: where to write (default: students/ID/)")


def run(args: argparse.Namespace) -> int:
    if args.student is not None:
        return _for_student(args)
    if args.assignment or args.out:
        print("convdojo build: --assignment and --out go with --student")
        return 2
    from .build import write_sources  # nbformat and torch: only for this command

    stale = write_sources(args.root.resolve(), check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    if args.check and stale:
        print("run `convdojo build` to update them")
        return 1
    return 0


def _for_student(args: argparse.Namespace) -> int:
    import nbformat

    from .. import specs
    from ..course import load
    from .build import build_source
    from .lessons import LESSONS

    student = args.student.strip()
    if not student:
        print("convdojo build: --student needs an id")
        return 2
    root = args.root.resolve()
    course = load(root / "autograder", secret=False, environment=False)
    if args.assignment:
        specs.assignment(args.assignment)  # an unknown name says so, with the known ones
    out = args.out or root / "students" / student
    for lesson in LESSONS:
        if args.assignment and lesson.assignment != args.assignment:
            continue
        path = out / specs.assignment(lesson.assignment).notebook
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(build_source(lesson, course, student)) + "\n",
                        encoding="utf-8")
        print(f"wrote: {path} (the solutions with {student}'s numbers)")
    return 0
