"""The class report is the same for a local run, a Dask run and a resumed run."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from hostile.notebooks import SOLUTIONS, fill, write  # noqa: E402

CONVDOJO = str(Path(sys.executable).parent / "convdojo")


def _grade(sub: Path, out: Path, *extra: str) -> None:
    done = subprocess.run([CONVDOJO, "grade", str(sub), "--assignment", "conv_shapes",
                           "--out", str(out), "--timeout", "20", *extra], capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.sandbox
def test_local_dask_and_resumed_runs_write_the_same_report(tmp_path: Path) -> None:
    sub = tmp_path / "submitted"
    write(sub, "good", fill(SOLUTIONS))
    write(sub, "wrong", fill({**SOLUTIONS, "channels": "conv = nn.Conv2d(3, 16, 3)",
                              "weight_shape": "weight_shape = (5, 5, 3, 5)"}))
    write(sub, "also_wrong", fill({**SOLUTIONS, "combination":
                                   "conv = nn.Conv2d(3, 16, 3, stride=2)"}))
    write(sub, "broken", b"{")
    local, dask = tmp_path / "local", tmp_path / "dask"
    _grade(sub, local, "--workers", "2")
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as cluster:
        _grade(sub, dask, "--scheduler", cluster.scheduler_address)
    want = ("exercise_id,code,count,students\n"
            "channels,padding.missing,1,wrong\n"
            "combination,padding.missing,1,also_wrong\n"
            "weight_shape,weights.tf_order,1,wrong\n")
    assert (local / "misconceptions.csv").read_text() == want
    assert (dask / "misconceptions.csv").read_text() == want
    for out in (local, dask):
        page = (out / "report.html").read_text()
        assert 'data-code="padding.missing"' in page and "notebook could not be read" in page
    # A resumed run (nothing left to grade) rewrites the report from the journal.
    (local / "report.html").unlink()
    (local / "misconceptions.csv").unlink()
    _grade(sub, local, "--workers", "2")
    assert (local / "misconceptions.csv").read_text() == want
    assert 'data-code="weights.tf_order"' in (local / "report.html").read_text()
