"""``convdojo grade --scheduler``: the same grades on a Dask cluster, exactly once, resumable.

A LocalCluster of 2 worker processes (nannies, so a killed worker comes back)
stands in for a real cluster; the real command line connects to it by address,
as it would to ``dask scheduler`` on another machine.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")


from hostile.notebooks import SOLUTIONS, fill, released, write  # noqa: E402

from convdojo.grade.submissions import discover  # noqa: E402

pytestmark = pytest.mark.sandbox  # the cluster grades in sandboxes, which fail closed

CONVDOJO = str(Path(sys.executable).parent / "convdojo")
FULL = 11  # conv_shapes' points


def _grade(sub: Path, out: Path, *extra: str,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CONVDOJO, "grade", str(sub), "--assignment", "conv_shapes",
                           "--out", str(out), *extra], capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def _students(out: Path) -> dict[str, dict[str, Any]]:
    return {s["student_id"]: s for s in json.loads((out / "grades.json").read_text())["students"]}


def _journal_ids(out: Path) -> list[str]:
    ids = []
    for line in (out / "journal.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "student_id" in record:
            ids.append(record["student_id"])
    return ids


def _without_timing(student: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on where a notebook was graded: all but clocks and hosts."""
    return {"score": student["score"], "max_score": student["max_score"],
            "notes": student["notes"], "exercises": student["exercises"],
            "status": student["run"].get("status")}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as local:
        yield local


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Correct, wrong, unanswered, crashing, unreadable and missing submissions."""
    sub = tmp_path_factory.mktemp("dask") / "submitted"
    write(sub, "good", fill(SOLUTIONS))
    write(sub, "wrong", fill({**SOLUTIONS, "channels": "conv = nn.Conv2d(3, 16, 3)",
                              "param_count": "n_params = 375"}))
    write(sub, "unanswered", released())
    write(sub, "crash", fill(SOLUTIONS, extra=[("channels_test", "import os\nos.abort()")]))
    write(sub, "broken", b"{")
    (sub / "missing" / "conv_shapes").mkdir(parents=True)
    return sub


@pytest.fixture(scope="module")
def graded(batch: Path, cluster: Any) -> Path:
    out = batch.parent / "out-dask"
    done = _grade(batch, out, "--scheduler", cluster.scheduler_address)
    assert done.returncode == 0, done.stderr
    assert "6 students (0 from the journal)" in done.stdout, done.stdout
    return out


@pytest.mark.slow
def test_grades_on_the_cluster_equal_a_local_run(batch: Path, graded: Path) -> None:
    local = batch.parent / "out-local"
    done = _grade(batch, local, "--workers", "2")
    assert done.returncode == 0, done.stderr
    ours, theirs = _students(graded), _students(local)
    assert sorted(ours) == ["broken", "crash", "good", "missing", "unanswered", "wrong"]
    assert {k: _without_timing(v) for k, v in ours.items()} == \
        {k: _without_timing(v) for k, v in theirs.items()}
    # grades.csv holds no clock: byte for byte the same file.
    assert (graded / "grades.csv").read_bytes() == (local / "grades.csv").read_bytes()
    assert ours["good"]["score"] == FULL and 0 < ours["wrong"]["score"] < FULL
    assert ours["crash"]["score"] < FULL and ours["unanswered"]["score"] == 0
    meta, local_meta = (json.loads((o / "grades.json").read_text()) for o in (graded, local))
    assert meta["isolation"] == local_meta["isolation"] and meta["device"] == "cpu"
    assert sorted(p.name for p in (graded / "feedback").iterdir()) == \
        sorted(p.name for p in (local / "feedback").iterdir())
    # Each graded notebook says which worker graded it (not the missing one: never ran).
    workers = {ours[s]["run"].get("worker") for s in ours if s != "missing"}
    assert workers and all(str(w).startswith("tcp://") for w in workers)


@pytest.mark.slow
def test_a_rerun_on_the_cluster_grades_only_what_changed(batch: Path, graded: Path,
                                                         cluster: Any, tmp_path: Path) -> None:
    sub, out = tmp_path / "submitted", tmp_path / "out"
    shutil.copytree(batch, sub)
    shutil.copytree(graded, out)
    before = (out / "journal.jsonl").read_bytes()
    done = _grade(sub, out, "--scheduler", cluster.scheduler_address)
    assert done.returncode == 0, done.stderr
    assert "6 students (6 from the journal)" in done.stdout
    assert (out / "journal.jsonl").read_bytes() == before  # nothing graded, nothing written
    write(sub, "good", fill({**SOLUTIONS, "stride": "conv = nn.Conv2d(3, 3, 5, stride=2)"}))
    done = _grade(sub, out, "--scheduler", cluster.scheduler_address)
    assert done.returncode == 0, done.stderr
    assert "6 students (5 from the journal)" in done.stdout
    assert _students(out)["good"]["score"] < FULL  # its new, wrong stride counts
    assert Counter(_journal_ids(out))["good"] == 2  # the journal keeps both; outputs the last


@pytest.mark.slow
def test_a_worker_that_cannot_grade_stops_the_batch_clearly(batch: Path, cluster: Any,
                                                            tmp_path: Path) -> None:
    """Every worker reports its fitness before any student is sent: here, no GPU."""
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    done = _grade(batch, tmp_path / "out", "--scheduler", cluster.scheduler_address,
                  "--device", "cuda")
    assert done.returncode == 1, done.stderr
    assert "the grader could not run: worker tcp://127.0.0.1:" in done.stderr
    assert "no usable CUDA device" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(cluster: Any,
                                                                tmp_path: Path) -> None:
    sub, out = tmp_path / "submitted", tmp_path / "out"
    slow = fill(SOLUTIONS, extra=[("start", "import time\ntime.sleep(1)")])
    names = [f"s{i:02d}" for i in range(14)]
    for name in names:
        write(sub, name, slow)
    with distributed.Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)
        pids = client.run(os.getpid)
        proc = subprocess.Popen([CONVDOJO, "grade", str(sub), "--assignment", "conv_shapes",
                                 "--out", str(out), "--scheduler", cluster.scheduler_address],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)
        journal, victim = out / "journal.jsonl", None
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline and proc.poll() is None:
            # Once results stream in, kill a worker that is grading a notebook right now.
            if journal.exists() and journal.read_text().count("student_id") >= 2:
                busy = {w: keys for w, keys in client.processing().items()
                        if any(str(k).startswith("convdojo-grade-") for k in keys)}
                victim, lost = next(iter(busy.items()), (None, ()))
            time.sleep(0.05)
        assert victim is not None, "no worker was ever seen grading"
        os.kill(pids[victim], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=400)
        assert proc.returncode == 0, stderr
        assert "14 students (0 from the journal)" in stdout
        client.wait_for_workers(2, timeout=120)  # the nanny restarts it, for the next test
        assert pids[victim] not in client.run(os.getpid).values()
    assert sorted(_journal_ids(out)) == names  # every student exactly once
    with open(out / "grades.csv", newline="") as fh:
        rows = [(r["student_id"], r["exercise_id"], r["status"]) for r in csv.DictReader(fh)]
    assert len(rows) == len({r[:2] for r in rows}) == 14 * 7
    assert {r[2] for r in rows} == {"passed"}
    students = _students(out)
    assert all(s["score"] == FULL for s in students.values())
    # What the dead worker held was graded again, elsewhere.
    keys = {_key(s): s.student_id for s in discover(sub, "conv_shapes", "conv_shapes.ipynb")[0]}
    assert any(students[keys[k]]["run"]["worker"] != victim for k in lost if k in keys)


def _key(sub: Any) -> str:
    import convdojo
    from convdojo import specs
    from convdojo.grade.cluster import task_key
    from convdojo.grade.limits import Limits
    from convdojo.grade.tasks import Config

    from convdojo import course

    # The course settings as `convdojo grade` reads them (the suite runs with variants off).
    config = Config("conv_shapes", tuple(specs.assignment("conv_shapes").exercises),
                    convdojo.__version__, Limits(), None, True,
                    course.load(course.find_course_dir(sub.path)))
    return task_key(config, sub)


@pytest.mark.slow
def test_without_dask_a_local_grade_still_works(tmp_path: Path) -> None:
    """distributed is imported only for --scheduler; without it, --scheduler says what to
    install."""
    (tmp_path / "sub" / "someone" / "conv_shapes").mkdir(parents=True)  # a missing notebook
    code = ("import sys; sys.modules['distributed'] = None\n"
            "from convdojo.cli import main\n"
            "args = [sys.argv[1], '--assignment', 'conv_shapes', '--out', sys.argv[2]]\n"
            "assert main(['grade', *args]) == 0\n"
            "assert 'distributed' not in [m for m in sys.modules if sys.modules[m]]\n"
            "sys.exit(main(['grade', *args, '--scheduler', 'tcp://127.0.0.1:8786']))\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "sub"),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "pip install 'convdojo[dask]'" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "out" / "grades.csv").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_a_quick_clear_error(tmp_path: Path, capsys) -> None:
    import dask

    from convdojo.cli import main
    (tmp_path / "sub").mkdir()
    start = time.monotonic()
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = main(["grade", str(tmp_path / "sub"), "--assignment", "conv_shapes", "--out",
                     str(tmp_path / "out"), "--scheduler", f"127.0.0.1:{_free_port()}"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in err
    assert "dask scheduler" in err and "Traceback" not in err
    assert time.monotonic() - start < 20


@pytest.mark.parametrize("extra,words", [
    (["--scheduler", "nonsense://host:8786"], "is not a Dask scheduler address"),
    (["--scheduler", "tcp://host-without-port"], "is not a Dask scheduler address"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "--workers does not apply"),
])
def test_bad_cluster_arguments_exit_2(tmp_path: Path, extra: list[str], words: str,
                                      capsys) -> None:
    from convdojo.cli import main
    (tmp_path / "sub").mkdir()
    code = main(["grade", str(tmp_path / "sub"), "--assignment", "conv_shapes", "--out",
                 str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


def _config(**changes: Any) -> Any:
    import dataclasses

    import convdojo
    from convdojo import specs
    from convdojo.grade.limits import Limits
    from convdojo.grade.tasks import Config

    config = Config("conv_shapes", tuple(specs.assignment("conv_shapes").exercises),
                    convdojo.__version__, Limits(), None, True)
    return dataclasses.replace(config, **changes)


@pytest.mark.parametrize("changes,words", [
    ({"version": "0.0.0-other"}, "has convdojo"),
    ({"exercises": ("channels",)}, "knows assignment 'conv_shapes'"),
])
def test_a_worker_with_another_install_refuses_to_grade(changes: dict[str, Any],
                                                        words: str) -> None:
    from convdojo.grade import GraderError
    from convdojo.grade.tasks import _check_install

    _check_install(_config(), "tcp://w:1")  # the same install: fine
    with pytest.raises(GraderError, match=words) as info:
        _check_install(_config(**changes), "tcp://w:1")
    assert "worker tcp://w:1" in str(info.value) and "same" in str(info.value)


def test_task_keys_are_deterministic_and_tell_notebooks_and_settings_apart() -> None:
    from convdojo.grade.cluster import task_key
    from convdojo.grade.limits import Limits
    from convdojo.grade.submissions import Submission

    sub = Submission("ada", Path("x"), b"{}", "d1")
    key = task_key(_config(), sub)
    assert key == task_key(_config(), Submission("ada", Path("y"), b"{}", "d1"))
    assert key.startswith("convdojo-grade-")
    assert len({key, task_key(_config(), Submission("ada", Path("x"), b"{}", "d2")),
                task_key(_config(), Submission("bob", Path("x"), b"{}", "d1")),
                task_key(_config(limits=Limits(timeout=5)), sub),
                task_key(_config(sandbox=False), sub)}) == 5


def test_mixed_workers_are_never_summarised_as_one_label() -> None:
    from convdojo.grade.cluster import ClusterRun, label

    run = ClusterRun()
    run.seen("tcp://a:1", {"isolation": "bubblewrap", "device": "cpu", "notes": []})
    run.seen("tcp://a:1", {"isolation": "bubblewrap", "device": "cpu", "notes": []})
    assert label(run.isolation) == "bubblewrap"
    run.seen("tcp://b:1", {"isolation": "NOT SANDBOXED (resource limits only)",
                           "device": "cpu", "notes": ["NOT SANDBOXED: ..."]})
    assert label(run.isolation).startswith("mixed: ")
    assert "NOT SANDBOXED" in label(run.isolation)
    assert label(run.devices) == "cpu" and run.notes == ["NOT SANDBOXED: ..."]


def test_workers_reuse_one_warm_sandbox_and_drop_broken_or_stale_ones(monkeypatch) -> None:
    """A task borrows a warm Session, gives it back, and a broken one is never reused."""
    from types import SimpleNamespace

    from convdojo.grade import GraderError, tasks
    from convdojo.grade.limits import Limits
    from convdojo.grade.records import Graded, Run

    made: list[Any] = []

    @dataclasses.dataclass(frozen=True)
    class FakeJob:
        roster: tuple[str, ...] = ()

    class FakeSession:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.job = FakeJob()
            self.iso = SimpleNamespace(label="bubblewrap", notes=[])
            self.device, self.closed, self.fail = "cpu", False, False
            made.append(self)

        def grade(self, notebook: bytes, student: str = "") -> Graded:
            if self.fail:
                raise GraderError("the sandbox worker keeps failing")
            return Graded([], [], Run("ok", ms=1.0))

        def close(self) -> None:
            self.closed = True

    monkeypatch.setattr(tasks, "Session", FakeSession)
    monkeypatch.setattr(tasks, "_IDLE", {})
    monkeypatch.setattr(tasks, "_ALL", [])
    config = _config()
    assert tasks.grade_task(config, b"{}")["worker"]["isolation"] == "bubblewrap"
    tasks.grade_task(config, b"{}")
    assert len(made) == 1  # warm: the same sandbox for the next notebook
    made[0].fail = True
    with pytest.raises(GraderError, match="keeps failing"):
        tasks.grade_task(config, b"{}")
    assert made[0].closed and made[0] not in tasks._ALL
    tasks.grade_task(config, b"{}")
    assert len(made) == 2 and not made[1].closed  # a fresh one replaced it
    # Another batch of the same settings has its own roster: the warm sandbox serves it,
    # with that roster (copies are looked for among its students only).
    tasks.grade_task(dataclasses.replace(config, roster=("ann", "bob")), b"{}")
    assert len(made) == 2 and made[1].job.roster == ("ann", "bob")
    tasks.grade_task(config, b"{}")
    assert len(made) == 2 and made[1].job.roster == ()
    tasks.grade_task(_config(limits=Limits(timeout=5)), b"{}")  # another batch's settings
    assert made[1].closed and len(made) == 3  # its idle sandbox is not kept for nothing
    tasks.close_all()
    assert made[2].closed and not tasks._ALL


def test_a_rerun_retries_only_what_the_grader_could_not_grade(tmp_path: Path) -> None:
    """One resume rule, local and cluster alike: a run whose failure says nothing about
    the notebook (a KilledWorker, a local sandbox that died) is tried again."""
    from convdojo.grade.journal import Journal
    from convdojo.grade.records import Graded, Record, Run
    from convdojo.grade.submissions import Submission

    journal = Journal(tmp_path / "journal.jsonl", "conv_shapes")
    graded, killed, died, timeout, changed, new = (
        Submission(n, Path(n), b"{}", f"d-{n}")
        for n in ("graded", "killed", "died", "timeout", "changed", "new"))
    journal.add(Record("graded", "d-graded", Graded([], [], Run("ok", ms=5.0))))
    journal.add(Record("killed", "d-killed", Graded([], ["KilledWorker"], Run("cluster"))))
    journal.add(Record("died", "d-died", Graded([], [], Run("worker", detail="exited"))))
    journal.add(Record("timeout", "d-timeout", Graded([], [], Run("timeout", ms=9.0))))
    journal.add(Record("changed", "d-old", Graded([], [], Run("ok", ms=5.0))))
    journal.close()
    reread = Journal(tmp_path / "journal.jsonl", "conv_shapes")  # as a rerun sees it
    assert [s.student_id for s in reread.todo([graded, killed, died, timeout, changed, new])] \
        == ["killed", "died", "changed", "new"]
    reread.close()


@pytest.mark.slow
def test_1d_and_3d_layers_grade_on_the_cluster_as_locally(tmp_path: Path, cluster: Any) -> None:
    """beyond_2d's Conv1d/Conv3d answers cross the wall as plain data on a Dask worker too."""
    from hostile.notebooks import for_assignment

    from convdojo import specs
    item = specs.assignment("beyond_2d")
    right = {e: specs.get(e).solution for e in item.exercises}
    wrong = {**right, "causal_stack": "causal = nn.Sequential(nn.Conv1d(16, 16, 3, padding=1))",
             "video_conv": "video = nn.Conv3d(3, 16, 3, stride=2, padding=1)"}
    sub = tmp_path / "submitted"
    for student, answers in (("good", right), ("wrong", wrong)):
        write(sub, student, for_assignment("beyond_2d", answers), assignment="beyond_2d")
    outs = []
    for name, extra in (("dask", ["--scheduler", cluster.scheduler_address]),
                        ("local", ["--workers", "1"])):
        done = subprocess.run([CONVDOJO, "grade", str(sub), "--assignment", "beyond_2d", "--out",
                               str(tmp_path / name), *extra], capture_output=True, text=True,
                              timeout=600, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        outs.append(_students(tmp_path / name))
    assert {k: _without_timing(v) for k, v in outs[0].items()} == \
        {k: _without_timing(v) for k, v in outs[1].items()}
    full = sum(specs.get(e).points for e in item.exercises)
    assert outs[0]["good"]["score"] == full
    assert outs[0]["wrong"]["score"] == full - 3 - 3 + 1.5 + 0.75
