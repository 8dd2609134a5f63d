"""Benchmark ``convdojo grade --scheduler`` (Dask) against a local ``convdojo grade`` run.

Builds one batch like bench_grade.py (correct, wrong and erroring answers) and
grades it with the real command line, twice per round: locally with
``--workers 2``, and through a Dask ``LocalCluster`` of 2 single-threaded worker
processes (started once, as a real cluster is long-lived).  A 1-submission
batch measures each path's fixed cost, so the per-submission cost is the
marginal one: ``(wall(N) - wall(1)) / (N - 1)``.  Prints medians over the
rounds, submissions per second, and the cost per submission that Dask adds:
the difference of the two marginal costs, and (steadier on a busy machine)
the cost of Dask alone, N tasks that carry a notebook's bytes and grade nothing.

    .venv/bin/python bench/bench_dask.py [--students 80] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_grade import build  # noqa: E402

BIN = Path(sys.executable).parent


def grade(submitted: Path, out: Path, *extra: str) -> float:
    """Wall seconds of one ``convdojo grade`` from an empty output folder."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([str(BIN / "convdojo"), "grade", str(submitted), "--assignment",
                    "conv_shapes", "--out", str(out), *extra], check=True,
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def scores(out: Path) -> dict[str, list[tuple[str, float, str]]]:
    data = json.loads((out / "grades.json").read_text())
    return {s["student_id"]: [(e["exercise_id"], e["score"], e["status"])
                              for e in s["exercises"]] for s in data["students"]}


def latencies(out: Path) -> list[float]:
    data = json.loads((out / "grades.json").read_text())
    return [s["run"]["ms"] for s in data["students"] if s["run"].get("ms")]


def echo(notebook: bytes) -> dict[str, int]:
    """A task that grades nothing: what remains is Dask's own cost per submission."""
    return {"bytes": len(notebook)}


def dask_overhead(address: str, notebook: bytes, n: int, rounds: int) -> float:
    """Median ms per task for n tasks that carry a notebook's bytes and do nothing, with
    the grader's window of 2 tasks per worker thread in flight."""
    import distributed

    times = []
    with distributed.Client(address, set_as_default=False) as client:
        window = 2 * sum(client.nthreads().values())
        for r in range(rounds):
            start = time.perf_counter()
            done = distributed.as_completed(loop=client.loop)
            sent = 0
            for _ in range(min(window, n)):
                done.add(client.submit(echo, notebook, key=f"echo-{r}-{sent}"))
                sent += 1
            for future in done:
                future.result()
                future.release()
                if sent < n:
                    done.add(client.submit(echo, notebook, key=f"echo-{r}-{sent}"))
                    sent += 1
            times.append((time.perf_counter() - start) / n * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=80)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2,
                        help="local --workers, and Dask worker processes (1 thread each)")
    args = parser.parse_args()
    import distributed

    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    submitted, small = work / "submitted", work / "submitted-1"
    build(submitted, args.students)
    shutil.copytree(submitted / "student000", small / "student000")
    local = ["--workers", str(args.workers)]
    walls: dict[str, list[float]] = {"local": [], "dask": [], "local-1": [], "dask-1": []}
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                  processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        remote = ["--scheduler", cluster.scheduler_address]
        grade(small, work / "warm", *remote)  # the workers' sandboxes start once, as on a cluster
        for _ in range(args.rounds):  # interleaved, so both see the same machine load
            walls["local-1"].append(grade(small, work / "out-1", *local))
            walls["dask-1"].append(grade(small, work / "out-1", *remote))
            walls["local"].append(grade(submitted, work / "out-local", *local))
            walls["dask"].append(grade(submitted, work / "out-dask", *remote))
        notebook = (submitted / "student000" / "conv_shapes" / "conv_shapes.ipynb").read_bytes()
        bare = dask_overhead(cluster.scheduler_address, notebook, args.students, args.rounds)
    same = scores(work / "out-local") == scores(work / "out-dask")
    n = args.students
    med = {k: statistics.median(v) for k, v in walls.items()}
    # Per round: the marginal cost of a submission, and what Dask adds to it.
    per = {k: [(w - w1) / (n - 1) * 1000 for w, w1 in zip(walls[k], walls[f"{k}-1"])]
           for k in ("local", "dask")}
    added = [d - loc for d, loc in zip(per["dask"], per["local"])]
    print(f"convdojo grade, {n} submissions, {args.workers} local workers vs a Dask "
          f"LocalCluster of {args.workers} worker processes; medians of {args.rounds} rounds "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    for k, name in (("local", "local  "), ("dask", "dask   ")):
        lat = statistics.median(latencies(work / f"out-{k}"))
        ms = statistics.median(per[k])
        print(f"  {name} wall {med[k]:5.1f} s = {n / med[k]:4.1f} submissions/s overall; "
              f"beyond start-up ({med[f'{k}-1']:.1f} s for 1 submission): {ms:4.0f} ms per "
              f"submission (rounds {min(per[k]):.0f}-{max(per[k]):.0f}) = "
              f"{1000 / ms:4.1f} submissions/s; median grading time {lat:.0f} ms")
    print(f"  cost per submission that Dask adds: {statistics.median(added):+.0f} ms "
          f"(rounds {min(added):+.0f} to {max(added):+.0f}); fixed cost per run: "
          f"{med['dask-1'] - med['local-1']:+.1f} s (the workers' sandboxes stay warm)")
    print(f"  Dask alone, {n} tasks that carry a notebook ({len(notebook) // 1024} KiB) and "
          f"grade nothing: {bare:.1f} ms per task = {1000 / bare:.0f} tasks/s")
    print(f"  same grades on both paths: {'yes' if same else 'NO'}")
    shutil.rmtree(work, ignore_errors=True)
    if not same:
        raise SystemExit("the Dask run graded differently")


if __name__ == "__main__":
    main()
