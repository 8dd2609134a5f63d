"""Median time of one check(...) call in a warm process, on CPU and on meta.

Compares against the reference tool the seeds used: a hand-written assert on the
shown shape (`assert conv(x).shape == expected`), which checks far less.
Usage: .venv/bin/python bench/bench_check.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from convdojo import check, specs

CORE = ("channels", "padding", "stride", "combination")


def _solution(exercise_id: str) -> nn.Module:
    spec = specs.get(exercise_id)
    namespace: dict = {"torch": torch, "nn": nn}
    exec(spec.solution, namespace)
    return namespace[spec.answer_name]


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, "
          f"median of {args.repeat} warm calls (target: <= 20 ms on CPU, hidden variants included)")
    print(f"{'exercise':<12} {'assert (ms)':>11} {'cpu (ms)':>9} {'cpu+hidden':>10} "
          f"{'meta+hidden':>11} {'ratio cpu+hidden/assert':>24}")
    for exercise_id in CORE:
        spec = specs.get(exercise_id)
        layer = _solution(exercise_id)
        x = torch.randn(spec.input_shape)
        want = torch.Size(spec.target_shape)

        def plain_assert() -> None:
            assert layer(x).shape == want

        base = _median_ms(plain_assert, args.repeat)
        cpu = _median_ms(lambda: check(exercise_id, layer, device="cpu"), args.repeat)
        hidden = _median_ms(lambda: check(exercise_id, layer, device="cpu", hidden=True),
                            args.repeat)
        meta = _median_ms(lambda: check(exercise_id, layer, device="meta", hidden=True),
                          args.repeat)
        print(f"{exercise_id:<12} {base:>11.2f} {cpu:>9.2f} {hidden:>10.2f} {meta:>11.2f} "
              f"{hidden / base:>23.1f}x")


if __name__ == "__main__":
    main()
