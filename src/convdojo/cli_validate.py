"""``convdojo validate NOTEBOOK``: check a notebook before you submit it.

Exit codes: 0 the notebook is sound (whatever its answers score); 1 something is
wrong with the notebook itself (not a notebook, a deleted or renamed graded cell);
2 bad arguments (no such file, an unusable device); 3 the grader could not run.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from . import validate
from .vocab import DEVICES
from .vocab import fmt_score as _fmt

__all__ = ["configure", "run", "format_report"]

EPILOG = ("exit status: 0 the notebook is sound (even if answers are wrong or missing), "
          "1 something is wrong with the notebook itself, 2 bad arguments, "
          "3 the grader could not run")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.add_argument("notebook", metavar="NOTEBOOK", help="your notebook, e.g. "
                        "conv_shapes.ipynb")
    parser.add_argument("--device", choices=DEVICES, default=None,
                        help="where the checks run (default: CONVDOJO_DEVICE, else cuda if "
                             "available, else cpu)")
    parser.add_argument("--student", default=None, metavar="ID",
                        help="check on this student's numbers (default: the submission "
                             "folder, else JUPYTERHUB_USER, else the id typed in the notebook)")


def _marks(out: TextIO) -> dict[str, str]:
    """✓ ✗ ○ ✎ where the terminal can show them, plain letters where it cannot."""
    fancy = {"passed": "✓", "failed": "✗", "unanswered": "○", "written": "✎"}
    try:
        "".join(fancy.values()).encode(out.encoding or "ascii")
        return fancy
    except (UnicodeEncodeError, LookupError):
        return {"passed": "+", "failed": "x", "unanswered": "o", "written": "w"}


def format_report(report: validate.Report, out: TextIO = sys.stdout) -> str:
    """The per-exercise report a student reads."""
    from .checks import CheckResult
    from .specs import assignment

    marks = _marks(out)
    insp = report.inspection
    lines = [f"{insp.path.name}: {assignment(insp.assignment or '').title} "
             "(visible checks)", ""]
    rows: list[tuple[int, list[str]]] = []  # in the notebook's order
    for row in report.results:
        result = CheckResult.from_dict(row)
        mark = marks.get(result.status, marks["failed"])
        number = report.numbers.get(result.exercise_id, 0)
        text = [f"  {mark} {number}. {result.headline()}"]
        if result.status != "passed":
            text += [f"       {line}" for line in result.feedback]
        rows.append((number, text))
    for question, points, answered in report.written:
        state = "answered" if answered else "not answered yet"
        number = report.numbers.get(question, 0)
        rows.append((number, [f"  {marks['written']} {number}. {question}: written, {state} "
                              f"({_fmt(points)} points, graded by hand)"]))
    for _, text in sorted(rows, key=lambda row: row[0]):
        lines += text
    lines += [""] + [f"Note: {note}" for note in report.notes]
    done = sum(r["status"] == "passed" for r in report.results)
    lines.append(f"score: {_fmt(report.score)} / {_fmt(report.max_score)} on the visible "
                 f"checks ({done} of {len(report.results)} exercises passed)")
    if report.hidden_checks:
        lines.append("Hidden checks exist: the grader also tries your answers on inputs you "
                     "have not seen, so your grade can be lower than this. Make each answer "
                     "follow the rule, not just the shown numbers.")
    return "\n".join(lines)


def _problems(insp: validate.Inspection) -> str:
    lines = [f"{insp.path.name}: this notebook cannot be graded as it is:"]
    lines += [f"  - {problem.text}" for problem in insp.problems]
    lines.append("Fix these, save the notebook, and run `convdojo validate` again.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        insp = validate.inspect(args.notebook)
    except OSError as exc:
        print(f"convdojo validate: error: cannot read {args.notebook}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    for warning in insp.warnings:
        print(f"convdojo validate: warning: {warning}", file=sys.stderr)
    if not insp.ok:
        print(_problems(insp))
        return 1
    from .grade.errors import GraderError

    try:
        report = validate.grade(insp, device=args.device, student=args.student)
    except ValueError as exc:  # an unusable --device or CONVDOJO_DEVICE
        print(f"convdojo validate: error: {exc}", file=sys.stderr)
        return 2
    except GraderError as exc:
        print(f"convdojo validate: the grader could not run: {exc}", file=sys.stderr)
        return 3
    print(format_report(report))
    return 0
