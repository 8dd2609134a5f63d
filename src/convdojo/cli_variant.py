"""``convdojo variant STUDENT [EXERCISE]``: a student's numbers and expected answers, for a TA.

Hidden inputs are never shown: only their kinds (the grader draws them from the
course secret at grade time).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["configure", "run", "describe"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("student", metavar="STUDENT", help="the student's id (their "
                        "submission folder's name)")
    parser.add_argument("exercise", metavar="EXERCISE", nargs="?", default=None,
                        help="one exercise (default: every exercise of every assignment)")
    parser.add_argument("--course", type=Path, default=None, metavar="DIR",
                        help="the course folder with convdojo.toml (default: found from the "
                             "current folder upwards, e.g. the kit's autograder/)")


def _expected(spec: Any) -> str:
    if spec.kind == "layer":
        return f"input {tuple(spec.input_shape)} -> {spec.target_shape} ({spec.rule.text})"
    if spec.kind == "value":
        return repr(spec.normalize(spec.expected()))
    return "a function, called on the shown cases and on hidden ones"


def describe(spec: Any, student: str, course: Any) -> str:
    """What a TA reads about one exercise of one student."""
    from .specs.personal import numbers, personal

    mine = personal(spec.id, student, course)
    chosen = numbers(spec.id, student, course)
    draws = getattr(mine, "hidden_draws", ())
    hidden = ", ".join(d.label for d in draws)
    if getattr(mine, "hidden_case", None) is not None:
        hidden = f"{getattr(mine, 'hidden_count', 0)} more calls"
    lines = [f"{spec.id}: {mine.title}",
             "  numbers: " + (", ".join(f"{k} {v}" for k, v in chosen.items()) if chosen
                              else "fixed (this exercise cannot vary)" if spec.domain is None
                              else "fixed (variants are off)"),
             f"  prompt: {mine.prompt}",
             f"  expected: {_expected(mine)}",
             "  a right answer: " + mine.solution.replace("\n", "\n                  ")]
    if hidden:
        lines.append(f"  hidden inputs (drawn at grade time, never shown): {hidden}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from . import course as course_mod
    from . import specs

    where = args.course or course_mod.find_course_dir(Path.cwd())
    course = course_mod.load(where, secret=False)
    chosen = [specs.get(args.exercise)] if args.exercise else list(specs.all_specs())
    state = "on" if course.variants else "off"
    print(f"student {args.student!r}; variants {state}; salt from {course.source}\n")
    print("\n\n".join(describe(spec, args.student, course) for spec in chosen))
    return 0
