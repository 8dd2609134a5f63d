"""``convdojo grade`` on the command line: exit codes, messages, quiet output, resuming."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


from hostile.notebooks import SOLUTIONS, fill, released, write


CONVDOJO = str(Path(sys.executable).parent / "convdojo")


def _run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CONVDOJO, "grade", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args,words", [
    (["/no/such/dir", "--assignment", "conv_shapes", "--out", "{out}"], "does not exist"),
    (["{sub}", "--assignment", "conv_shape", "--out", "{out}"], "Did you mean 'conv_shapes'"),
    (["{sub}", "--assignment", "conv_shapes", "--out", "{out}", "--memory-limit", "lots"],
     "is not a size"),
    (["{sub}", "--assignment", "conv_shapes", "--out", "{out}", "--memory-limit", "2 TB?"],
     "is not a size"),
    (["{sub}", "--assignment", "conv_shapes", "--out", "{out}", "--device", "tpu"],
     "invalid choice"),
    (["{sub}", "--assignment", "conv_shapes", "--out", "{out}", "--workers", "0"],
     "must be positive"),
    (["{sub}", "--assignment", "conv_shapes", "--out", "{out}", "--timeout", "soon"],
     "is not a number"),
    (["{sub}", "--out", "{out}"], "--assignment"),
])
def test_bad_arguments_exit_2_with_a_clear_message(tmp_path: Path, args: list[str],
                                                   words: str, capsys) -> None:
    from convdojo.cli import main
    (tmp_path / "sub").mkdir()
    args = [a.format(sub=tmp_path / "sub", out=tmp_path / "out") for a in args]
    try:
        code = main(["grade", *args])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert words in err and "Traceback" not in err


def test_cuda_without_a_gpu_is_a_clear_error(tmp_path: Path, capsys) -> None:
    import torch

    from convdojo.cli import main
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    (tmp_path / "sub").mkdir()
    code = main(["grade", str(tmp_path / "sub"), "--assignment", "conv_shapes", "--out",
                 str(tmp_path / "out"), "--device", "cuda"])
    assert code == 2 and "no usable CUDA device" in capsys.readouterr().err


def test_the_real_command_exits_2_on_a_missing_folder(tmp_path: Path) -> None:
    done = _run("/no/such/dir", "--assignment", "conv_shapes", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "does not exist" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("flags", [pytest.param([], marks=pytest.mark.sandbox, id="sandboxed"),
                                   pytest.param(["--no-sandbox"], id="no-sandbox")])
def test_killed_mid_batch_resumes_without_duplicates(tmp_path: Path, flags: list[str]) -> None:
    sub, out = tmp_path / "sub", tmp_path / "out"
    nb = fill(SOLUTIONS)
    for i in range(12):
        write(sub, f"s{i:02d}", nb)
    write(sub, "slow", fill(SOLUTIONS, extra=[("start", "import time\ntime.sleep(3)")]))
    proc = subprocess.Popen([CONVDOJO, "grade", str(sub), "--assignment", "conv_shapes",
                             "--out", str(out), "--workers", "2", *flags], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # kill it once some students are recorded
        if journal.exists() and journal.read_text().count("\n") >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    graded_before = journal.read_text().count("student_id")
    assert 0 < graded_before < 13
    done = _run(str(sub), "--assignment", "conv_shapes", "--out", str(out), "--workers", "2",
                *flags)
    assert done.returncode == 0, done.stderr
    assert f"({graded_before} from the journal)" in done.stdout
    with open(out / "grades.csv", newline="") as fh:
        rows = [(r["student_id"], r["exercise_id"]) for r in csv.DictReader(fh)]
    assert len(rows) == len(set(rows)) == 13 * 7
    data = json.loads((out / "grades.json").read_text())
    assert all(s["score"] == 11 for s in data["students"])
    assert len(list((out / "feedback").glob("*.html"))) == 13
    # A third run has nothing left to do; a changed notebook is graded again.
    write(sub, "s00", fill({**SOLUTIONS, "channels": "conv = nn.Conv2d(3, 16, 3)"}))
    done = _run(str(sub), "--assignment", "conv_shapes", "--out", str(out), "--workers", "1",
                *flags)
    assert "(12 from the journal)" in done.stdout
    data = json.loads((out / "grades.json").read_text())
    assert {s["student_id"]: s["score"] for s in data["students"]}["s00"] < 11


@pytest.mark.slow
def test_exit_0_quiet_off_a_terminal_and_reduced_isolation_said_plainly(
        tmp_path: Path) -> None:
    """--no-sandbox: still graded, with a plain warning; exit 0 though all fail."""
    sub = tmp_path / "sub"
    write(sub, "nobody", released())
    write(sub, "broken", b"{")
    write(sub, "crash", fill(SOLUTIONS, extra=[("channels_test", "import os\nos.abort()")]))
    done = _run(str(sub), "--assignment", "conv_shapes", "--out", str(tmp_path / "out"),
                "--workers", "1", "--no-sandbox", "--memory-limit", "1G")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "3 students" in lines[0]
    assert "NOT SANDBOXED: student code ran with resource limits only" in done.stderr
    # Unsandboxed grades say so in every output: the summary, grades.json, every page.
    assert "NOT SANDBOXED" in lines[0]
    data = json.loads((tmp_path / "out" / "grades.json").read_text())
    assert data["sandboxed"] is False and "NOT SANDBOXED" in data["isolation"]
    pages = list((tmp_path / "out" / "feedback").glob("*.html"))
    assert len(pages) == 3 and all("NOT SANDBOXED" in p.read_text() for p in pages)
    assert "\r" not in done.stderr + done.stdout  # no progress bar off a terminal
    with open(tmp_path / "out" / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"student_id", "exercise_id", "score", "max_score", "status"} <= set(rows[0])
    status = {(r["student_id"], r["exercise_id"]): r for r in rows}
    assert status["nobody", "channels"]["status"] == "unanswered"
    assert status["broken", "channels"]["status"] == "error"
    assert "not valid JSON" in status["broken", "channels"]["feedback"]
    assert status["crash", "channels"]["status"] == "passed"
    assert status["crash", "padding"]["status"] == "error"
    assert "aborted" in status["crash", "padding"]["feedback"]


def test_help_mentions_every_option(capsys) -> None:
    from convdojo.cli import main
    with pytest.raises(SystemExit) as exc:
        main(["grade", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--assignment", "--out", "--workers", "--timeout", "--device",
                   "--memory-limit"):
        assert option in out
