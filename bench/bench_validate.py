"""Benchmark ``convdojo validate`` (a student's pre-submission check) against ``nbgrader validate``.

    .venv/bin/python bench/bench_validate.py [--runs 5]

Both run as a student would, as fresh commands, on the same notebooks: the released
(unanswered) conv_shapes notebook and a solved copy. ``python -c "import torch"`` is
printed too: both of validate's processes (the sandbox and the checker) must pay it.
Target: under 2 s on the core four.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        print(f"validate one notebook, fresh command each time, median of {args.runs}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        floor = timed([sys.executable, "-c", "import torch"], work, args.runs)
        print(f"  python -c 'import torch'           {floor:6.2f} s")
        print(f"  {'notebook':10s} {'convdojo (s)':>13s} {'nbgrader (s)':>13s} {'ratio':>7s}")
        for name, source in NOTEBOOKS.items():
            path = work / f"{name}.ipynb"
            shutil.copy(source, path)
            ours = timed([str(BIN / "convdojo"), "validate", str(path)], work, args.runs)
            theirs = timed([str(BIN / "nbgrader"), "validate", str(path)], work, args.runs)
            print(f"  {name:10s} {ours:13.2f} {theirs:13.2f} {theirs / ours:6.1f}x")
        print("  (target: convdojo validate under 2 s on the core four)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
