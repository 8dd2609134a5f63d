"""``convdojo release``: regenerate exercises/ from solutions/ with nbgrader."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the kit's folder")
    parser.add_argument("--check", action="store_true",
                        help="only report notebooks that are out of date (exit 1)")


def run(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    if not (root / "solutions").is_dir():
        print(f"error: {root} has no solutions/ folder; run from the kit's folder or pass "
              "--root", file=sys.stderr)
        return 2
    # nbformat and torch (~4 s): imported for this command only, not by every parser
    from .build import write_sources
    from .release import ReleaseError, release

    stale = write_sources(root, check=args.check)
    try:
        stale += release(root, check=args.check)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path.relative_to(root)}")
    if args.check and stale:
        print("run `make exercises` (convdojo release) and commit the result")
        return 1
    if not stale:
        print("solutions/ and exercises/ are up to date")
    return 0
