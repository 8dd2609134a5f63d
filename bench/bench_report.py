"""Benchmark building the class report (report.html + misconceptions.csv) for 1,000 students.

Writes a synthetic grades.json (tests/synthetic_grades.py) and times ``write_report``:
a cold build in a fresh process (imports included) and the median of warm builds.

    .venv/bin/python bench/bench_report.py [--students 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from synthetic_grades import make_grades  # noqa: E402

COLD = ("import sys, time; t = time.perf_counter(); "
        "from convdojo.grade.class_report import write_report; write_report(sys.argv[1]); "
        "print(time.perf_counter() - t)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from convdojo.grade.class_report import write_report

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "grades.json").write_text(json.dumps(make_grades(args.students).grades))
        cold = [float(subprocess.run([sys.executable, "-c", COLD, str(out)], check=True,
                                     capture_output=True, text=True).stdout)
                for _ in range(3)]
        write_report(out)  # warm: matplotlib and the specs imported
        warm = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            write_report(out)
            warm.append(time.perf_counter() - start)
        size = (out / "report.html").stat().st_size
    print(f"class report for {args.students} students ({size / 1024:.0f} KiB page):")
    print(f"  warm build, median of {args.repeat}: {statistics.median(warm):.3f} s")
    print(f"  cold build in a fresh process (imports included), median of 3: "
          f"{statistics.median(cold):.3f} s")
    ok = statistics.median(warm) < 2.0
    print(f"  target: under 2 s warm: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
