"""Benchmark ``convdojo grade`` against ``nbgrader autograde`` on realistic submissions.

Builds a batch from the released notebook (exercises/conv_shapes): correct,
wrong and erroring answers.  Grades all of it with ``convdojo grade --workers 2``
(sandboxed) and a sample with ``nbgrader autograde`` in a temporary course, then
prints the median cost per submission of each and their ratio.

    .venv/bin/python bench/bench_grade.py [--students 200] [--nbgrader 12]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile.notebooks import SOLUTIONS, fill, released, write  # noqa: E402

BIN = Path(sys.executable).parent
# The batch is built from the kit's fixed answers, so both graders grade the fixed numbers
# (per-student variants off); the hidden inputs come from fixed seeds (no course secret).
os.environ["CONVDOJO_VARIANTS"] = "off"
WRONG = {
    "worked_7x7": ["conv7 = nn.Conv2d(1, 1, 3, padding=1)", "conv7 = nn.Conv2d(1, 3, 3)"],
    "channels": ["conv = nn.Conv2d(3, 16, 3)", "conv = nn.Conv2d(3, 16, 5, padding=1)"],
    "padding": ["conv = nn.Conv2d(16, 16, 5, padding=2)", "conv = nn.Conv2d(16, 16, 3)"],
    "stride": ["conv = nn.Conv2d(3, 3, 5, stride=2)", "conv = nn.Conv2d(3, 3, 5, padding=2)"],
    "combination": ["conv = nn.Conv2d(3, 16, 3, stride=2)", "conv = nn.Conv2d(3, 16, 3)"],
    "weight_shape": ["weight_shape = (5, 5, 3, 5)", "weight_shape = (3, 5, 5, 5)"],
    "param_count": ["n_params = 375", "n_params = 80"],
}
ERRORING = ["conv = nn.Conv2D(3, 16, 3)", "conv = nn.Conv2d(3, 16)", "raise ValueError('todo')",
            "conv = nn.Conv2d(3, 16, 3, padding=one)"]


def student_answers(rng: random.Random, kind: str) -> dict[str, str]:
    answers = {}
    for ex, solution in SOLUTIONS.items():
        roll = rng.random()
        if kind == "correct" or roll < 0.5:
            answers[ex] = solution
        elif kind == "erroring" and roll < 0.8:
            answers[ex] = rng.choice(ERRORING)
        else:
            answers[ex] = rng.choice(WRONG[ex])
    return answers


def build(submitted: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    base = released()
    for i in range(n):
        kind = ("correct", "wrong", "erroring")[0 if i % 10 < 5 else 1 if i % 10 < 8 else 2]
        write(submitted, f"student{i:03d}", fill(student_answers(rng, kind), base=base))


def run_convdojo(submitted: Path, out: Path, workers: int) -> tuple[float, list[float], float]:
    """(wall seconds, per-submission ms, CPU seconds of every process of the run)."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(BIN / "convdojo"), "grade", str(submitted), "--assignment",
                    "conv_shapes", "--out", str(out), "--workers", str(workers)],
                   check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    data = json.loads((out / "grades.json").read_text())
    return elapsed, [s["run"]["ms"] for s in data["students"]], cpu


def run_nbgrader(submitted: Path, course: Path, n: int) -> tuple[float, dict[str, float]]:
    """A temporary nbgrader course: generate_assignment from solutions/, then autograde."""
    shutil.rmtree(course, ignore_errors=True)
    (course / "source" / "conv_shapes").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "conv_shapes" / "conv_shapes.ipynb",
                course / "source" / "conv_shapes" / "conv_shapes.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.db_url = 'sqlite:///' + "
        f"{str(course / 'gradebook.db')!r}\n"
        "c.ExecutePreprocessor.timeout = 60\n")
    # nbgrader runs `alembic` when it creates the gradebook: the venv's bin must be on PATH.
    env = {**os.environ, "PYTHONWARNINGS": "ignore",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    nbgrader = [str(BIN / "nbgrader")]
    subprocess.run(nbgrader + ["generate_assignment", "conv_shapes", "--force"], cwd=course,
                   check=True, capture_output=True, env=env)
    students = sorted(p.name for p in submitted.iterdir())[:n]
    for sid in students:
        shutil.copytree(submitted / sid, course / "submitted" / sid)
    start = time.perf_counter()
    done = subprocess.run(nbgrader + ["autograde", "conv_shapes", "--force"], cwd=course,
                          capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        raise SystemExit("nbgrader autograde failed")
    return elapsed, _nbgrader_scores(course, students)


def _nbgrader_scores(course: Path, students: list[str]) -> dict[str, float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {sid: gb.find_submission("conv_shapes", sid).score for sid in students}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--nbgrader", type=int, default=12, help="nbgrader sample size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="keep the work folder here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-grade-"))
    submitted = work / "submitted"
    shutil.rmtree(submitted, ignore_errors=True)
    build(submitted, args.students)
    small = work / "submitted-1"
    shutil.rmtree(small, ignore_errors=True)
    shutil.copytree(submitted / "student000", small / "student000")

    fixed, _, cpu1 = run_convdojo(small, work / "out-1", args.workers)
    total, latencies, cpu = run_convdojo(submitted, work / "out", args.workers)
    med = statistics.median(latencies)
    per = (total - fixed) / max(1, args.students - 1) * 1000
    cpu_per = (cpu - cpu1) / max(1, args.students - 1) * 1000
    print(f"convdojo grade, {args.students} submissions, {args.workers} workers, isolation "
          f"{json.loads((work / 'out' / 'grades.json').read_text())['isolation']}:")
    print(f"  wall time {total:.1f} s (start-up, once: {fixed:.1f} s for a 1-submission batch); "
          f"{total / args.students * 1000:.0f} ms per submission with start-up included")
    print(f"  median per submission: {med:.0f} ms (the time a notebook holds its engine: "
          f"its sandbox run and any wait for its checks); throughput {per:.0f} ms per "
          "submission beyond start-up")
    print(f"  CPU per submission, the grader and its checkers (the sandboxes' own CPU is not "
          f"counted: bubblewrap reaps them): {cpu_per:.0f} ms; "
          f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    if args.nbgrader:
        nb_total, nb_scores = run_nbgrader(submitted, work / "course", args.nbgrader)
        nb_per = nb_total / len(nb_scores) * 1000
        ours = {s["student_id"]: s["score"] for s in
                json.loads((work / "out" / "grades.json").read_text())["students"]}
        agree = sum(abs(ours[s] - v) < 1e-6 for s, v in nb_scores.items())
        print(f"nbgrader autograde, {len(nb_scores)} of the same submissions (sequential):")
        print(f"  wall time {nb_total:.1f} s, {nb_per:.0f} ms per submission")
        print(f"  same total score as convdojo grade for {agree}/{len(nb_scores)} students")
        with_startup = total / args.students * 1000
        print(f"ratio (nbgrader per submission / convdojo per submission with start-up "
              f"included): {nb_per / with_startup:.0f}x; by throughput beyond start-up: "
              f"{nb_per / per:.0f}x; against convdojo's median: {nb_per / med:.0f}x")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
