"""``convdojo build``: rebuild solutions/ notebooks from the lessons and specs."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the kit's folder")
    parser.add_argument("--check", action="store_true",
                        help="only report notebooks that are out of date (exit 1)")


def run(args: argparse.Namespace) -> int:
    from .build import write_sources  # nbformat and torch: only for this command

    stale = write_sources(args.root.resolve(), check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    if args.check and stale:
        print("run `convdojo build` to update them")
        return 1
    return 0
