"""``pytest autograder --notebook PATH``: the suite run through pytest's own pytester.

A correct, a wrong and a malformed notebook (plus one of no assignment and one
that does not exist) in one student-view run; the per-exercise outcomes, the
failure text, the JUnit points and the closing ``score: X / Y`` line.  Then
``--hidden`` against the real ``convdojo grade`` on the same notebooks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest


from hostile.notebooks import SOLUTIONS, fill

from convdojo import specs

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
AUTOGRADER = ROOT / "autograder"
CONVDOJO = str(Path(sys.executable).parent / "convdojo")
EXERCISES = list(specs.assignment("conv_shapes").exercises)

# Partly right: channels loses a little (and a little more on a hidden 1×1 input),
# stride is wrong by one padding, weight_shape is in TensorFlow's order, and
# param_count is left unanswered.
WRONG = {**SOLUTIONS,
         "channels": 'conv = nn.Conv2d(3, 16, 3, padding=1, padding_mode="reflect")',
         "stride": "conv = nn.Conv2d(3, 3, kernel_size=5, stride=2, padding=1)",
         "weight_shape": "weight_shape = (5, 5, 3, 5)"}
del WRONG["param_count"]


def _notebooks(root: Path) -> dict[str, str]:
    """Student notebooks laid out as SUBMITTED/<student>/conv_shapes/conv_shapes.ipynb."""
    paths = {}
    for student, content in (("correct", fill(SOLUTIONS)), ("wrong", fill(WRONG)),
                             ("malformed", b'{"cells": [{"cell_type": "code", "sou')):
        path = root / "SUBMITTED" / student / "conv_shapes" / "conv_shapes.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            nbformat.write(content, path)
        paths[student] = str(path.relative_to(root))
    return paths


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(str(AUTOGRADER), "--device", "cpu", *args,
                                         timeout=600)


def _junit(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """(student, exercise) -> the test's properties, plus its outcome and failure text."""
    out = {}
    for case in ET.parse(path).iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        parts = Path(props["notebook"]).parts  # the path as given to --notebook
        student = parts[1] if parts[0] == "SUBMITTED" else Path(parts[-1]).stem
        failure = case.find("failure")
        props["outcome"] = "failed" if failure is not None else "passed"
        props["text"] = failure.text or "" if failure is not None else ""
        out[student, case.get("name", "")] = props
    return out


@pytest.mark.slow
def test_student_view_outcomes_points_and_score(pytester: pytest.Pytester) -> None:
    paths = _notebooks(pytester.path)
    (pytester.path / "stray.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    args = [a for student in ("correct", "wrong", "malformed")
            for a in ("--notebook", paths[student])]
    result = _run(pytester, *args, "--notebook", "stray.ipynb", "--notebook", "gone.ipynb",
                  "--junitxml", "junit.xml")

    wrong_fails = {"channels", "stride", "weight_shape", "param_count"}
    result.assert_outcomes(passed=7 + 7 - len(wrong_fails), failed=len(wrong_fails) + 7 + 2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    got = _junit(pytester.path / "junit.xml")
    for exercise in EXERCISES:  # one test per exercise per notebook, points as properties
        correct, wrong = got["correct", exercise], got["wrong", exercise]
        max_points = f"{specs.get(exercise).points:g}"
        assert (correct["outcome"], correct["points"], correct["max_points"]) == (
            "passed", max_points, max_points)
        assert wrong["outcome"] == ("failed" if exercise in wrong_fails else "passed")
        malformed = got["malformed", exercise]
        assert (malformed["outcome"], malformed["points"]) == ("failed", "0")
        assert "not valid JSON" in malformed["text"]
    # Partial credit survives a failure; the message is the check's feedback.
    assert got["wrong", "channels"]["points"] == "1.8"
    assert "padding_mode is 'reflect'" in got["wrong", "channels"]["text"]
    stride = got["wrong", "stride"]["text"]
    assert stride.startswith("stride: not yet (0.5/2 points)")
    assert "floor((64 + 2*1 - 1*(5-1) - 1) / 2) + 1 = 31" in stride
    assert "Traceback" not in stride and "convdojo/" not in stride
    assert "TensorFlow's (kh, kw, in, out) order" in got["wrong", "weight_shape"]["text"]
    assert "not answered yet" in got["wrong", "param_count"]["text"]
    assert "hidden" not in got["wrong", "channels"]["text"]  # the student view
    # A notebook of no assignment, or none at all: one failing test each, no crash.
    assert "belongs to no assignment" in got["stray", "notebook"]["text"]
    assert "No such file" in got["gone", "notebook"]["text"]
    result.stdout.fnmatch_lines([
        "*convdojo autograder*",
        f"{paths['correct']} (conv_shapes): 11 / 11",
        f"{paths['wrong']} (conv_shapes): 7.3 / 11",
        f"{paths['malformed']} (conv_shapes): 0 / 11",
        "stray.ipynb: not graded*",
        "score: 18.3 / 33",
        "Hidden checks exist*",
    ])


@pytest.mark.slow
@pytest.mark.sandbox  # `convdojo grade` never runs without bubblewrap
def test_hidden_scores_equal_convdojo_grade(pytester: pytest.Pytester) -> None:
    paths = _notebooks(pytester.path)
    args = [a for path in paths.values() for a in ("--notebook", path)]
    result = _run(pytester, *args, "--hidden", "--junitxml", "junit.xml")
    got = _junit(pytester.path / "junit.xml")
    out = pytester.path / "graded"
    done = subprocess.run([CONVDOJO, "grade", str(pytester.path / "SUBMITTED"), "--assignment",
                           "conv_shapes", "--out", str(out), "--workers", "1", "--device",
                           "cpu"], capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    grades = json.loads((out / "grades.json").read_text())["students"]
    want = {(s["student_id"], e["exercise_id"]): e for s in grades for e in s["exercises"]}
    assert len(want) == len(got) == 3 * len(EXERCISES)
    for key, row in want.items():
        assert float(got[key]["points"]) == round(row["score"], 2), key
        assert (got[key]["outcome"] == "passed") == (row["status"] == "passed"), key
    # Reflect padding cannot pad the hidden 1×1 input: the rule breaks there (at most 50 %).
    assert got["wrong", "channels"]["points"] == "0.9"
    assert "1 of 6 hidden inputs failed" in got["wrong", "channels"]["text"]
    totals = {s["student_id"]: s["score"] for s in grades}
    result.stdout.fnmatch_lines(["*convdojo autograder (with hidden checks)*",
                                 f"score: {round(sum(totals.values()), 2):g} / 33"])
    assert "Hidden checks exist" not in result.stdout.str()


def test_the_suite_is_generated_from_the_specs(pytester: pytest.Pytester) -> None:
    """Every assignment's released notebook collects exactly its spec's exercises."""
    released = ROOT / "exercises"
    args = []
    for item in specs.assignments():
        args += ["--notebook", str(released / item.name / item.notebook)]
    result = _run(pytester, "--collect-only", "-q", *args)
    ids = [line for line in result.stdout.lines if "::" in line]
    # Node ids are relative to the rootdir (the kit), as pytest's own are.
    assert ids == [f"exercises/{item.name}/{item.notebook}::{exercise}"
                   for item in specs.assignments() for exercise in item.exercises]


def test_no_notebook_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(str(AUTOGRADER))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "needs a notebook: pytest autograder --notebook PATH" in result.stderr.str()



@pytest.mark.slow
@pytest.mark.sandbox  # `convdojo grade` never runs without bubblewrap
def test_1d_and_3d_answers_score_as_convdojo_grade(pytester: pytest.Pytester) -> None:
    """beyond_2d's Conv1d/Conv3d answers: the pytest autograder's hidden scores are the grader's."""
    from hostile.notebooks import for_assignment

    item = specs.assignment("beyond_2d")
    right = {e: specs.get(e).solution for e in item.exercises}
    wrong = {**right, "audio_frontend": "frontend = nn.Conv1d(1, 32, 8, stride=4)",
             "video_conv": "video = nn.Conv3d(3, 16, 3, stride=2, padding=1)"}
    args = []
    for student, answers in (("correct", right), ("wrong", wrong)):
        path = pytester.path / "SUBMITTED" / student / item.name / item.notebook
        path.parent.mkdir(parents=True)
        nbformat.write(for_assignment(item.name, answers), path)
        args += ["--notebook", str(path.relative_to(pytester.path))]
    _run(pytester, *args, "--hidden", "--junitxml", "junit.xml")
    got = _junit(pytester.path / "junit.xml")
    out = pytester.path / "graded"
    done = subprocess.run([CONVDOJO, "grade", str(pytester.path / "SUBMITTED"), "--assignment",
                           item.name, "--out", str(out), "--workers", "1", "--device", "cpu"],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    grades = json.loads((out / "grades.json").read_text())["students"]
    want = {(s["student_id"], e["exercise_id"]): e for s in grades for e in s["exercises"]}
    assert len(want) == len(got) == 2 * len(item.exercises)
    for key, row in want.items():
        assert float(got[key]["points"]) == round(row["score"], 2), key
    assert got["wrong", "audio_frontend"]["points"] == "0.75"
    assert "L: expected 4000, got 3999" in got["wrong", "audio_frontend"]["text"]
