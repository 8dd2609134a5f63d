"""Each submission in a sandbox of its own: attacks on the grader and on other students.

One worker grades every notebook here in order, so each attacker runs in the same warm
sandbox right before the notebooks it targets.  Attackers plant state or try to reach
the grader's pipes, log and environment; the "spy" notebooks after them answer
correctly only if they find nothing.  Honest bystanders must get full marks, and no
output may contain the grader's environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from convdojo import sandbox
from convdojo.grade import grade_batch

from hostile import support
from hostile.corpus import NONE, Case
from hostile.notebooks import SOLUTIONS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available(), reason=f"needs bubblewrap: {sandbox.INSTALL}"),
]

SECRET = "cdj-gradebook-password-" + os.urandom(6).hex()

# Runs in an unguarded child Python, as an attacker would (the audit hook is per process).
_PY = 'import subprocess, sys\nsubprocess.run([sys.executable, "-c", {code!r}], timeout=20)\n'

FORGE = Case("a1_forge_through_proc", [("start", """
import os, glob
hits = []
for pid in ["1", "self", "thread-self"] + [str(p) for p in range(2, 64)]:
    for fd in range(0, 32):
        link = f"/tmp/l{pid}_{fd}"
        try:
            os.symlink(f"/proc/{pid}/fd/{fd}", link)
            with open(link, "wb", buffering=0) as fh:
                fh.write(b"CDJ1" + b"\\x00" * 4 + b"x" * 64)
            hits.append((pid, fd))
        except OSError:
            pass
        try:
            fd2 = os.open(link, os.O_RDONLY | os.O_NONBLOCK)
            os.read(fd2, 65536)
            hits.append(("r", pid, fd))
        except OSError:
            pass
""" + _PY.format(code="""
import ctypes, os
for pid in range(1, 64):
    for fd in range(32):
        try:
            with open(f"/proc/{pid}/fd/{fd}", "wb", buffering=0) as fh:
                fh.write(b"garbage" * 100)
        except OSError:
            pass
"""))], answers=dict(NONE), expect={e: 0 for e in SOLUTIONS})

LEAK = Case("a1b_leak_environment", [("start", """
import glob, os, subprocess, sys
leak = []
for path in glob.glob("/proc/*/environ") + ["/proc/1/environ", "/proc/self/environ"]:
    try:
        leak += [v for v in open(path, "rb").read().split(bytes(1)) if b"PASSWORD" in v]
    except OSError:
        pass
leak += [f"{k}={v}" for k, v in os.environ.items() if "PASSWORD" in k]
code = (
    "import glob\\n"
    "for p in glob.glob('/proc/*/environ'):\\n"
    "    try:\\n"
    "        print([v for v in open(p, 'rb').read().split(bytes(1)) if b'PASSWORD' in v])\\n"
    "    except OSError:\\n"
    "        pass\\n")
leak.append(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=20).stdout)
"""), ("param_count", """
n_params = None
raise RuntimeError(repr(leak))  # a cell's error is shown in the feedback
""")], answers=dict(NONE), expect={e: 0 for e in SOLUTIONS})

PLANT = Case("a2_plant_state", [("start", """
import os
from multiprocessing import shared_memory
for folder in ("/tmp", "/scratch", "/dev/shm", "/dev", "/", os.path.expanduser("~")):
    try:
        with open(os.path.join(folder, "cdj_left"), "w") as fh:
            fh.write("x")
    except OSError:
        pass
try:
    keep = shared_memory.SharedMemory(name="cdj_posix", create=True, size=4096)
except OSError:
    pass
""" + _PY.format(code="""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
shm = libc.shmget(0x5EED, 4096, 0o1666)
libc.msgget(0x5EED, 0o1666)
libc.semget(0x5EED, 1, 0o1666)
""")), ("param_count", "n_params = 0")],
    expect={"param_count": 0})

SEE = Case("a3_see_state", [("param_count", """
import os
seen = [f for f in ("/tmp", "/scratch", "/dev/shm", "/dev", "/", os.path.expanduser("~"))
        if os.path.exists(os.path.join(f, "cdj_left"))]
seen += [p for p in os.listdir("/proc")]
seen += [p for p in ("/proc/1/fd", "/proc/1/environ", "/dev/fd/0") if os.path.exists(p)]
try:
    from multiprocessing import shared_memory
    shared_memory.SharedMemory(name="cdj_posix")
    seen.append("posix shm")
except OSError:
    pass
import subprocess, sys
probe = subprocess.run([sys.executable, "-c", '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
found = [libc.shmget(0x5EED, 0, 0), libc.msgget(0x5EED, 0), libc.semget(0x5EED, 0, 0)]
newns = libc.unshare(0x10000000)
mounted = libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)
print(max(found) >= 0, newns == 0, mounted == 0)
'''], capture_output=True, text=True, timeout=20)
if probe.stdout.split() != ["False", "False", "False"]:
    seen.append("sysv/userns/mount: " + probe.stdout + probe.stderr)
n_params = 380 if not seen else -1
""")])

HONEST = [Case(f"h{i}_honest") for i in range(3)]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("isolation")
    submitted, out = root / "submitted", root / "out"
    order = [HONEST[0], FORGE, HONEST[1], LEAK, PLANT, SEE, HONEST[2]]
    for case in order:
        support.build(submitted, case, {})
    os.environ["CONVDOJO_TEST_GRADEBOOK_PASSWORD"] = SECRET
    try:  # one worker: every attacker shares a warm sandbox with the notebooks after it
        summary = grade_batch(submitted, assignment="conv_shapes", out=out, workers=1,
                              timeout=30, memory_limit="1G")
    finally:
        del os.environ["CONVDOJO_TEST_GRADEBOOK_PASSWORD"]
    return {"rows": support.rows(out), "out": out, "summary": summary, "cases": order}


@pytest.mark.parametrize("case", [FORGE, LEAK, PLANT, SEE] + HONEST, ids=lambda c: c.name)
def test_each_notebook_gets_what_it_deserves(batch: dict, case: Case) -> None:
    assert support.check_expectation(case, batch["rows"]) == []


def test_the_graders_pipes_are_out_of_reach(batch: dict) -> None:
    """Garbage written to every descriptor a notebook can name reaches no pipe of ours:
    the attacker's run ends normally instead of killing its worker."""
    statuses = {r["status"] for (student, _), r in batch["rows"].items()
                if student == FORGE.name}
    assert "error" not in statuses, statuses


def test_no_output_contains_the_graders_environment(batch: dict) -> None:
    files = [p for p in batch["out"].rglob("*") if p.is_file()]
    assert any(p.name == "grades.csv" for p in files)
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path


def test_the_batch_finished(batch: dict) -> None:
    assert batch["summary"].students == len(batch["cases"])
    assert batch["summary"].isolation == "bubblewrap"


def test_bubblewraps_pid_1_holds_no_grader_environment(tmp_path: Path) -> None:
    """What /proc/1/environ would show inside, read from outside while a worker runs."""
    from convdojo.sandbox.workers import Worker

    os.environ["CONVDOJO_TEST_GRADEBOOK_PASSWORD"] = SECRET
    try:
        worker = Worker(0, sandbox.detect(), tmp_path, tmp_path / "worker.log")
        worker.start()
    finally:
        del os.environ["CONVDOJO_TEST_GRADEBOOK_PASSWORD"]
    try:
        assert worker.proc is not None
        family = [worker.proc.pid] + _descendants(worker.proc.pid)
        assert len(family) >= 3  # bwrap, its init, the worker
        for pid in family:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            assert SECRET.encode() not in environ, pid
    finally:
        worker.stop()


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True)
    children: dict[int, list[int]] = {}
    for line in out.stdout.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_grade_refuses_to_run_without_bubblewrap(tmp_path: Path) -> None:
    """Fails closed: no bwrap on PATH, no grade; --no-sandbox grades and says so."""
    support.build(tmp_path / "submitted", HONEST[0], {})
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": str(bindir)}  # the venv, without /usr/bin/bwrap
    cmd = [sys.executable, "-m", "convdojo.cli", "grade", str(tmp_path / "submitted"),
           "--assignment", "conv_shapes", "--timeout", "30"]
    refused = subprocess.run(cmd + ["--out", str(tmp_path / "out")], env=env,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1, refused.stderr
    assert "bubblewrap (bwrap) is not installed" in refused.stderr
    assert sandbox.INSTALL in refused.stderr and "--no-sandbox" in refused.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
    graded = subprocess.run(cmd + ["--out", str(tmp_path / "out2"), "--no-sandbox"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert graded.returncode == 0, graded.stderr
    assert "NOT SANDBOXED" in graded.stdout + graded.stderr
    assert "NOT SANDBOXED" in (tmp_path / "out2" / "grades.json").read_text()


def test_pytest_autograder_isolates_notebooks_from_each_other(tmp_path: Path) -> None:
    """One warm Session grades both: what the first plants, the second cannot find."""
    import xml.etree.ElementTree as ET

    paths = []
    for case in (PLANT, SEE):
        support.build(tmp_path / "submitted", case, {})
        paths += ["--notebook", str(tmp_path / "submitted" / case.name / "conv_shapes"
                                    / "conv_shapes.ipynb")]
    autograder = Path(__file__).resolve().parent.parent / "autograder"
    done = subprocess.run([sys.executable, "-m", "pytest", str(autograder), *paths, "--hidden",
                           "--device", "cpu", "-p", "no:cacheprovider",
                           "--junitxml", str(tmp_path / "junit.xml")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    cases = {}
    for case in ET.parse(tmp_path / "junit.xml").iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        student = Path(props.get("notebook", "")).parts[-3]
        cases[student, case.get("name", "").rsplit("::", 1)[-1]] = props
    spy = cases[SEE.name, "param_count"]
    assert spy["points"] == spy["max_points"] == "1", done.stdout[-3000:]
    assert cases[PLANT.name, "param_count"]["points"] == "0"


def test_student_side_tools_check_without_bubblewrap_and_say_so(tmp_path: Path) -> None:
    """validate may run a student's own notebook unsandboxed: one line says so."""
    path = support.build(tmp_path / "submitted", HONEST[0], {})
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run([sys.executable, "-m", "convdojo.cli", "validate", str(path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stdout.splitlines() if "without the grader's sandbox" in line]
    assert len(notes) == 1 and "score: 11 / 11" in done.stdout
    sandboxed = subprocess.run([sys.executable, "-m", "convdojo.cli", "validate", str(path)],
                               capture_output=True, text=True, timeout=300)
    assert "without the grader's sandbox" not in sandboxed.stdout
