"""Screenshot a self-check cell in JupyterLab for the README: docs/img/selfcheck.png.

It opens the released conv_shapes notebook with a first try at the channels
exercise (no padding), runs every cell in a real kernel and photographs the
answer cell with the feedback under it.
Usage: .venv/bin/python bench/screenshot_selfcheck.py
"""

from __future__ import annotations

import pathlib
import shutil
import sys
import tempfile

import nbformat

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from _jupyter_server import (chromium_missing_reason, jupyter_lab, launch_chromium,  # noqa: E402
                             open_notebook, run_all_cells)

FIRST_TRY = "conv = nn.Conv2d(3, 16, kernel_size=3)"


def main() -> int:
    reason = chromium_missing_reason()
    if reason:
        print(f"cannot take the screenshot: {reason}")
        return 1
    from playwright.sync_api import sync_playwright

    root = pathlib.Path(tempfile.mkdtemp(prefix="convdojo-shot-"))
    nb = nbformat.read(REPO / "exercises" / "conv_shapes" / "conv_shapes.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "channels":
            cell.source = cell.source.replace("# YOUR CODE HERE", FIRST_TRY)
    nbformat.write(nb, root / "conv_shapes.ipynb")
    out = REPO / "docs" / "img" / "selfcheck.png"
    try:
        with jupyter_lab(root) as lab, sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            open_notebook(page, lab, "conv_shapes.ipynb")
            run_all_cells(page)
            answer = page.locator(".jp-CodeCell", has_text=FIRST_TRY)
            check = page.locator(".jp-CodeCell", has_text='check("channels", conv)').first
            check.scroll_into_view_if_needed()
            box_a, box_c = answer.bounding_box(), check.bounding_box()
            top = box_a["y"]
            clip = {"x": box_a["x"], "y": top, "width": box_a["width"],
                    "height": box_c["y"] + box_c["height"] - top}
            page.screenshot(path=str(out), clip=clip)
            browser.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
