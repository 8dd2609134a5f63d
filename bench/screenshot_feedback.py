"""Grade one realistic submission and screenshot its feedback page for the README.

    .venv/bin/python bench/screenshot_feedback.py [--out docs/img/feedback.png]

Renders the page with Debian's headless Chromium (no network, no GPU).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _chromium import screenshot  # noqa: E402  (bench/, beside this script)
from hostile.notebooks import SOLUTIONS, fill, write  # noqa: E402

from convdojo.grade import grade_batch  # noqa: E402

# A typical first attempt: some right, one off by the padding, one TensorFlow habit,
# one left unanswered, and a cell that raises.
ANSWERS = {
    **SOLUTIONS,
    "channels": "conv = nn.Conv2d(3, 16, kernel_size=3)",
    "weight_shape": "weight_shape = (5, 5, 3, 5)",
    "param_count": "n_params = None",
}
EXTRA = [("stride", "plt.imshow(x[0, 0])")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "feedback.png")
    parser.add_argument("--size", default="900,1560", help="window width,height")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="feedback-shot-"))
    try:
        write(work / "submitted", "jdoe", fill(ANSWERS, extra=EXTRA))
        grade_batch(work / "submitted", assignment="conv_shapes", out=work / "out", workers=1)
        page = work / "out" / "feedback" / "jdoe.html"
        screenshot(args.chromium, page, args.out, args.size, work / "ud")
        print(f"wrote {args.out} from {page.name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
