"""A batch that always finishes: hostile text, odd files, lost workers and slow checks,
graded through the real ``convdojo grade`` with honest bystanders that keep full marks."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import threading
import sys
from pathlib import Path

import pytest

from hostile.notebooks import SOLUTIONS, fill, write

from convdojo import sandbox

CONVDOJO = str(Path(sys.executable).parent / "convdojo")
FULL = 11
KILLERS = [f"kill{i}" for i in range(7)]  # more than any "keeps failing" limit ever was
# A notebook cannot reach its worker (it runs in namespaces of its own), so the worker is
# killed from outside, as the OOM killer or an administrator would: `_WorkerKiller` kills
# the worker of any notebook that starts this marker process.
MARK = "424242"
KILL = f"import subprocess, time\nsubprocess.Popen(['sleep', '{MARK}'])\ntime.sleep(60)"
SURROGATE = "raise ValueError('bad ' + chr(0xD800) + ' text')"
HUGE_REPR = "weight_shape = tuple(range(19_000))"  # as large as the sandbox sends: ~110 KB
SLOW_CHECK = "conv = nn.Conv2d(3, 16, 31, padding=300)"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available(), reason=f"needs bubblewrap: {sandbox.INSTALL}"),
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CONVDOJO, "grade", *args], capture_output=True, text=True,
                          timeout=900, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("robust")
    sub, out = root / "submitted", root / "out"
    honest = fill(SOLUTIONS)
    for name in ("aa_honest", "mm_honest", "zz_honest"):
        write(sub, name, honest)
    for name in KILLERS:
        write(sub, name, fill(SOLUTIONS, extra=[("channels_test", KILL)]))
    write(sub, "surrogate", fill(SOLUTIONS, extra=[("start", SURROGATE)]))
    write(sub, "huge_repr", fill({**SOLUTIONS, "weight_shape": HUGE_REPR}))
    write(sub, "slow_check", fill({**SOLUTIONS, "channels": SLOW_CHECK}))
    # A student folder whose name is not UTF-8, with an honest notebook in it.
    os.makedirs(os.fsencode(sub) + b"/caf\xe9/conv_shapes")
    write(sub, os.fsdecode(b"caf\xe9"), honest)
    # Where the notebook should be: a folder, a FIFO, a socket, a symlink.
    (sub / "a_folder" / "conv_shapes" / "conv_shapes.ipynb").mkdir(parents=True)
    (sub / "a_fifo" / "conv_shapes").mkdir(parents=True)
    os.mkfifo(sub / "a_fifo" / "conv_shapes" / "conv_shapes.ipynb")
    (sub / "a_socket" / "conv_shapes").mkdir(parents=True)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sub / "a_socket" / "conv_shapes" / "conv_shapes.ipynb"))
    (sub / "a_link" / "conv_shapes").mkdir(parents=True)
    (sub / "a_link" / "conv_shapes" / "conv_shapes.ipynb").symlink_to(
        sub / "aa_honest" / "conv_shapes" / "conv_shapes.ipynb")
    # Folders that are not graded, each for a reason it must be told.
    write(sub, "misnamed", honest, assignment="Conv_Shapes")
    (sub / "linked_student").symlink_to(sub / "aa_honest")
    write(sub, ".hidden", honest)
    killer = _WorkerKiller()
    try:
        done = _run(str(sub), "--assignment", "conv_shapes", "--out", str(out),
                    "--workers", "2", "--timeout", "90")
    finally:
        sock.close()
        killer.stop()
    assert killer.killed >= len(KILLERS)
    assert done.returncode == 0, done.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {(r["student_id"], r["exercise_id"]): r for r in csv.DictReader(fh)}
    data = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    return {"done": done, "rows": rows, "data": data, "out": out,
            "students": {s["student_id"]: s for s in data["students"]}}


class _WorkerKiller(threading.Thread):
    """SIGKILLs the sandbox worker above every `sleep MARK` process it sees."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.killed, self.done = 0, threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.05):
            for pid in _pids():
                if _read(pid, "cmdline") == f"sleep\0{MARK}\0":
                    worker = _worker_above(pid)
                    if worker:
                        try:
                            os.kill(worker, signal.SIGKILL)
                            self.killed += 1
                        except ProcessLookupError:
                            pass

    def stop(self) -> None:
        self.done.set()
        self.join()


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _read(pid: int | str, name: str) -> str:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _worker_above(pid: int) -> int | None:
    """The worker: the topmost ancestor that is two PID namespaces deep (bubblewrap's) and
    runs the worker's code; the per-notebook processes below it are forks of it."""
    found = None
    for _ in range(8):
        status = _read(pid, "status")
        nspid = next((line.split()[1:] for line in status.splitlines()
                      if line.startswith("NSpid:")), [])
        if len(nspid) == 2 and "cdj_inside" in _read(pid, "cmdline"):
            found = pid
        ppid = next((line.split()[1] for line in status.splitlines()
                     if line.startswith("PPid:")), "0")
        if ppid == "0":
            break
        pid = int(ppid)
    return found


def test_the_batch_finishes_and_bystanders_keep_full_marks(batch: dict) -> None:
    assert batch["done"].returncode == 0, batch["done"].stderr
    students = batch["students"]
    for name in ("aa_honest", "mm_honest", "zz_honest", "caf\\xe9", "surrogate"):
        assert students[name]["score"] == FULL, (name, students[name])
    assert batch["data"]["sandboxed"] is True  # and so no page carries the warning
    assert not any("NOT SANDBOXED" in p.read_text() for p in (batch["out"] / "feedback").iterdir())


def test_each_worker_killer_costs_its_own_notebook_only(batch: dict) -> None:
    for name in KILLERS:
        student = batch["students"][name]
        assert student["run"]["status"] == "worker", student["run"]
        by_ex = {e["exercise_id"]: e for e in student["exercises"]}
        assert by_ex["padding"]["status"] == "error"
        assert "sandbox stopped while running this notebook" in by_ex["padding"]["feedback"][0]


def test_text_a_submission_controls_is_escaped_not_fatal(batch: dict) -> None:
    notes = " ".join(batch["students"]["surrogate"]["notes"])
    assert "bad \\ud800 text" in notes
    page = (batch["out"] / "feedback").glob("caf*.html")
    assert any("caf\\xe9" in p.read_text(encoding="utf-8") for p in page)


def test_notebooks_that_are_not_files_get_a_clear_status(batch: dict) -> None:
    for name, what in (("a_folder", "a folder"), ("a_fifo", "a named pipe"),
                       ("a_socket", "a socket"), ("a_link", "a symbolic link")):
        row = batch["rows"][name, "channels"]
        assert row["status"] == "error" and what in row["feedback"], (name, row)
        assert "not a notebook file" in row["feedback"]


def test_folders_not_graded_are_listed_with_the_reason(batch: dict) -> None:
    skipped = {s["folder"]: s["reason"] for s in batch["data"]["skipped"]}
    assert "misnamed: Conv_Shapes/" in skipped["misnamed"]
    assert "symbolic link" in skipped["linked_student"]
    assert "hidden" in skipped[".hidden"]
    for folder in ("misnamed", "linked_student", ".hidden"):
        assert folder not in batch["students"]
        assert f"skipped {folder}/: " in batch["done"].stderr


def test_outputs_are_capped_per_exercise_with_a_note(batch: dict) -> None:
    row = batch["rows"]["huge_repr", "weight_shape"]
    assert row["status"] == "failed" and "more characters]" in row["feedback"]
    assert len(row["feedback"]) < 5000
    for path in (batch["out"] / "grades.csv", batch["out"] / "grades.json",
                 batch["out"] / "journal.jsonl", *(batch["out"] / "feedback").glob("*.html")):
        assert path.stat().st_size < 2**20, path


def test_a_check_over_its_budget_scores_0_and_the_batch_goes_on(batch: dict) -> None:
    row = batch["rows"]["slow_check", "channels"]
    assert float(row["score"]) == 0 and "took longer than" in row["feedback"], row
    assert batch["rows"]["slow_check", "padding"]["status"] == "passed"


def test_validate_prints_hostile_text_escaped(tmp_path: Path) -> None:
    path = write(tmp_path, "me", fill(SOLUTIONS, extra=[("start", SURROGATE)]))
    done = subprocess.run([CONVDOJO, "validate", str(path)], capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "bad \\ud800 text" in done.stdout and "11 / 11" in done.stdout
