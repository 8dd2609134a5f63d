"""The mini-project's full figure: the reference trained as the notebook trains it, then graded.

Prints the machine's load, the training's wall and CPU seconds (the target: under 60 s of
CPU), the accuracy on the grader's glyphs with its band, and the median time of one warm
grading check (the target: under 1 s per notebook).
Usage: .venv/bin/python bench/bench_project.py [--seeds 0 1 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from torch import nn

from convdojo import check, glyphs
from convdojo.specs.project import mini_project


def _reference(seed: int) -> nn.Module:
    namespace: dict = {"nn": nn, "torch": torch}
    exec(mini_project.solution.replace("manual_seed(0)", f"manual_seed({seed})"), namespace)
    return namespace["model"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    images, labels = glyphs.make(8000, seed=0)  # what the notebook's data cell makes
    for seed in args.seeds:
        model = _reference(seed)
        cpu, wall = time.process_time(), time.perf_counter()
        fitted = glyphs.fit(model, images, labels, verbose=False, seed=seed)  # the cell's call
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        result = check("mini_project", model, hidden=True, device="cpu")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            check("mini_project", model, hidden=True, device="cpu")
            times.append(time.perf_counter() - start)
        accuracy = next(f.value for f in result.findings if f.value is not None)
        print(f"seed {seed}: {fitted.epochs} epochs in {wall:.1f} s wall, {cpu:.1f} s CPU; "
              f"grader's glyphs {accuracy:.1%} -> {result.score:g}/{result.max_score:g}; "
              f"one grading check {statistics.median(times) * 1000:.0f} ms (median)")


if __name__ == "__main__":
    main()
