"""Benchmark ``convdojo validate`` (a student's pre-submission check) against ``nbgrader validate``.

    .venv/bin/python bench/bench_validate.py [--runs 5]

Both run as a student would, as fresh commands, on the same notebooks: the released
(unanswered) conv_shapes notebook and a solved copy. ``python -c "import torch"`` is
printed too: both of validate's processes (the sandbox and the checker) must pay it.

Then JupyterLab's Validate (the convdojo.labext server extension, as ``make lab`` loads it):
the first validation after the server starts (cold) and the following ones (warm sandbox).
Targets: warm at most 0.5 s; cold at most 1.3x ``python -c "import torch"``.
With Chromium, and without ``--no-docs``, it also saves docs/img/validate.png.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the shared JupyterLab driver lives with the tests
from _jupyter_server import JupyterLab, chromium_missing_reason, jupyter_lab, \
    launch_chromium  # noqa: E402

BIN = pathlib.Path(sys.executable).parent
NOTEBOOKS = {"released": REPO / "exercises" / "conv_shapes" / "conv_shapes.ipynb",
             "solved": REPO / "solutions" / "conv_shapes" / "conv_shapes.ipynb"}


def timed(cmd: list[str], cwd: pathlib.Path, runs: int) -> float:
    """Median wall time in seconds; fails loudly if the command does."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        # nbgrader validate exits 0 even when tests fail; convdojo validate exits 0 when the
        # notebook can be graded: a non-zero exit is a broken benchmark, not a figure.
        if done.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return statistics.median(times)


# The screenshot's notebook: one right, one wrong and the rest unanswered.
ANSWERS = {"conv7 = None": "conv7 = nn.Conv2d(1, 1, kernel_size=3)",
           "conv = None": "conv = nn.Conv2d(3, 16, kernel_size=3)"}


def _answered(source: pathlib.Path, target: pathlib.Path) -> None:
    nb = json.loads(source.read_text())
    todo = dict(ANSWERS)
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        for stub, answer in list(todo.items()):
            if cell["cell_type"] == "code" and f"\n{stub}" in f"\n{src}":
                cell["source"] = f"\n{src}".replace(f"\n{stub}", f"\n{answer}", 1)[1:]
                del todo[stub]
                break
    target.write_text(json.dumps(nb))


def _post(lab: JupyterLab, path: str) -> tuple[float, dict]:
    req = urllib.request.Request(f"{lab.base_url}convdojo/validate", method="POST",
                                 data=json.dumps({"path": path}).encode(),
                                 headers={"Authorization": f"token {lab.token}"})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as reply:
        body = json.load(reply)
    seconds = time.perf_counter() - start
    if body["status"] != "graded":
        sys.exit(f"Validate failed on {path}: {body['text']}")
    return seconds, body


def lab_side(work: pathlib.Path, runs: int, floor: float, docs: bool) -> None:
    """JupyterLab's Validate endpoint, cold then warm, as `make lab` configures it."""
    root = work / "lab"
    root.mkdir()
    for name, source in NOTEBOOKS.items():
        shutil.copy(source, root / f"{name}.ipynb")
    _answered(NOTEBOOKS["released"], root / "student.ipynb")
    os.environ["JUPYTER_CONFIG_PATH"] = str(REPO / "jupyter-config" / "student")
    with jupyter_lab(root) as lab:
        cold, _ = _post(lab, "released.ipynb")  # the first request after the server answered
        warm = {name: statistics.median(_post(lab, f"{name}.ipynb")[0] for _ in range(runs))
                for name in NOTEBOOKS}
        print("JupyterLab's Validate (POST /convdojo/validate, the sandbox kept warm)")
        print(f"  cold: first validate after start   {cold:6.2f} s  = {cold / floor:.2f}x import "
              "torch (target ≤ 1.3x)")
        for name, seconds in warm.items():
            print(f"  warm: {name:10s} median of {runs}    {seconds:6.3f} s  (target ≤ 0.5 s)")
        if docs and not chromium_missing_reason():
            shot = screenshot(lab)
            print(f"  wrote {shot.relative_to(REPO)}")


def screenshot(lab: JupyterLab) -> pathlib.Path:
    from playwright.sync_api import sync_playwright

    out = REPO / "docs" / "img" / "validate.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(120_000)
        page.goto(lab.url("lab/tree/student.ipynb"))
        page.locator(".jp-NotebookPanel .convdojo-validate-button").first.click()
        page.wait_for_selector(".convdojo-report[data-status='graded']")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.wait_for_timeout(500)
        page.screenshot(path=str(out))
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/img/validate.png")
    parser.add_argument("--lab-only", action="store_true", help="skip the command-line comparison")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        print(f"validate one notebook, fresh command each time, median of {args.runs}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        floor = timed([sys.executable, "-c", "import torch"], work, args.runs)
        print(f"  python -c 'import torch'           {floor:6.2f} s")
        if not args.lab_only:
            print(f"  {'notebook':10s} {'convdojo (s)':>13s} {'nbgrader (s)':>13s} {'ratio':>7s}")
            for name, source in NOTEBOOKS.items():
                path = work / f"{name}.ipynb"
                shutil.copy(source, path)
                ours = timed([str(BIN / "convdojo"), "validate", str(path)], work, args.runs)
                theirs = timed([str(BIN / "nbgrader"), "validate", str(path)], work, args.runs)
                print(f"  {name:10s} {ours:13.2f} {theirs:13.2f} {theirs / ours:6.1f}x "
                      f"(convdojo = {ours / floor:.2f}x import torch)")
        lab_side(work, args.runs, floor, docs=not args.no_docs)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
