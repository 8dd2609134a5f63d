"""Grade a small class with typical mistakes and screenshot its class report for the README.

    .venv/bin/python bench/screenshot_report.py [--students 40] [--out docs/img/report.png]

Renders report.html with Debian's headless Chromium (no network, no GPU).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _chromium import screenshot  # noqa: E402  (bench/, beside this script)
from hostile.notebooks import SOLUTIONS, fill, write  # noqa: E402
from test_class_report_grade import PLANTED  # noqa: E402

from convdojo.grade import grade_batch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "report.png")
    parser.add_argument("--size", default="1100,1900", help="window width,height")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    rng = random.Random(5)
    work = Path(tempfile.mkdtemp(prefix="report-shot-"))
    try:
        for i in range(args.students):
            answers = {ex: wrong if rng.random() < rate else SOLUTIONS[ex]
                       for ex, (wrong, _, rate) in PLANTED.items()}
            write(work / "submitted", f"student{i:02d}", fill({**SOLUTIONS, **answers}))
        write(work / "submitted", "zz_loops",
              fill(SOLUTIONS, extra=[("start", "while True:\n    pass")]))
        grade_batch(work / "submitted", assignment="conv_shapes", out=work / "out", workers=2,
                    timeout=5)
        page = work / "out" / "report.html"
        screenshot(args.chromium, page, args.out, args.size, work / "ud")
        print(f"wrote {args.out} from {page}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
