"""``convdojo``: a thin command line over plain functions.

Subcommands live in their own modules, each exposing ``configure(parser)`` and
``run(args) -> int``; this file only wires them up.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]

# name -> (module, one-line help)
COMMANDS = {
    "build": ("convdojo.notebooks.cli_build", "rebuild solutions/ notebooks from the specs"),
    "release": ("convdojo.notebooks.cli_release",
                "generate exercises/ from solutions/ with nbgrader (or --check they are current)"),
    "list": ("convdojo.cli_list", "list the assignments and their exercises"),
    "grade": ("convdojo.cli_grade", "grade a batch of submissions in isolation"),
    "validate": ("convdojo.cli_validate", "check your notebook before you submit it"),
    "report": ("convdojo.cli_report", "rebuild a graded run's class report (report.html)"),
    "variant": ("convdojo.cli_variant", "show a student's numbers and expected answers (TAs)"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convdojo",
        description="Exercises, self-checks and grading for PyTorch convolution shapes.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # a command whose module is not part of this install
            raise
        cmd = sub.add_parser(name, help=text, description=text)
        module.configure(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyError as exc:
        # specs is imported here, not at the top: it imports torch (~2 s), which
        # `convdojo validate` must start its sandbox before paying for.
        from . import specs

        if not isinstance(exc, (specs.UnknownAssignment, specs.UnknownExercise)):
            raise
        print(f"convdojo: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
