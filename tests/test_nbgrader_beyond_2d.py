"""beyond_2d through nbgrader's real command line: generate_assignment, submissions of the
solutions, of catalogue mistakes and of nothing, autograde; each exercise's nbgrader score
equals ``convdojo grade``'s on the same notebooks (1-D and 3-D layers through the sandbox)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from test_nbgrader_roundtrip import _nbgrader, _run

from convdojo import gradebook, specs
from notebook_utils import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.sandbox,
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

ASSIGNMENT = "beyond_2d"
EXERCISES = specs.assignment(ASSIGNMENT).exercises
SOLUTIONS = {ex: specs.get(ex).solution for ex in EXERCISES}
ANSWERS = {
    "ada": dict(SOLUTIONS),
    "bo": {
        "audio_frontend": "frontend = nn.Conv1d(1, 32, 8, stride=4)",
        "causal_stack": "causal = nn.Sequential(*[nn.Conv1d(16, 16, 3, dilation=d, padding=d)\n"
                        "                         for d in (1, 2, 4)])",
        "video_conv": "video = nn.Conv3d(3, 16, 3, stride=2, padding=1)",
        "conv3d_params": "def conv3d_params(i, o, k, bias=True):\n"
                         "    k = (k,) * 3 if isinstance(k, int) else k\n"
                         "    return o * i * k[1] * k[2] + o",
    },
    "cy": {},
}


def _submit(course: Path, student: str, answers: dict[str, str]) -> None:
    nb = nbformat.read(course / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in answers:
            assert "# YOUR CODE HERE" in cell.source
            cell.source = cell.source.replace("# YOUR CODE HERE", answers[grade_id])
    folder = course / "course" / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")


def _graded_both_ways(course: Path, answers: dict[str, dict[str, str]]
                      ) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """Release, submit each student's answers, then grade with nbgrader autograde and
    with ``convdojo grade``: (nbgrader's scores, convdojo's), by (student, exercise)."""
    log: list[str] = []
    _nbgrader("generate_assignment", ASSIGNMENT, "--force", course=course, log=log)
    for student, given in answers.items():
        _submit(course, student, given)
    _nbgrader("autograde", ASSIGNMENT, "--force", course=course, log=log)
    url = f"sqlite:///{course / 'course' / 'gradebook.db'}"
    with gradebook.open_gradebook(url) as gb:
        ours = {(s.student.id, g.name.removesuffix("_test")): g.auto_score
                for s in gb.assignment_submissions(ASSIGNMENT) for nb in s.notebooks
                for g in nb.grades if g.name.endswith("_test")}
    _run([str(Path(sys.executable).with_name("convdojo")), "grade",
          str(course / "course" / "submitted"), "--assignment", ASSIGNMENT, "--out",
          str(course / "graded")], course, log)
    rows = gradebook.load_rows(course / "graded" / "grades.json")
    return ours, {(r["student_id"], r["exercise_id"]): r["score"] for r in rows}


def test_nbgrader_and_convdojo_grade_agree_on_beyond_2d(tmp_path: Path) -> None:
    course = tmp_path
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    # The answers are the fixed solutions and fixed mistakes: grade today's fixed numbers
    # (tests/test_variant_parity.py grades per-student variants through nbgrader).
    (course / "convdojo.toml").write_text("[variants]\nenabled = false\n")
    ours, theirs = _graded_both_ways(course, ANSWERS)
    assert ours == theirs
    full = {ex: specs.get(ex).points for ex in EXERCISES}
    assert {ex: ours[("ada", ex)] for ex in EXERCISES} == full
    assert all(ours[("cy", ex)] == 0 for ex in EXERCISES)
    assert all(ours[("bo", ex)] < full[ex] for ex in EXERCISES), ours
    assert sum(ours[("bo", ex)] for ex in EXERCISES) > 0, ours  # partial credit


def test_each_student_is_graded_on_their_own_numbers(tmp_path: Path) -> None:
    """Variants on: each student's own right answers get full marks, from nbgrader and from
    ``convdojo grade`` alike (the causal stack's measured checks with that student's
    numbers, through the sandbox); the fixed solutions do not fit a student whose numbers
    differ."""
    from convdojo.course import Course
    from convdojo.specs.personal import numbers, personal

    salt = "beyond-2d-salt"
    mine = Course(salt)
    course = tmp_path
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "convdojo.toml").write_text(f'[variants]\nenabled = true\nsalt = "{salt}"\n')
    varying = [ex for ex in EXERCISES if specs.get(ex).domain is not None]
    others = (f"s{i:03d}" for i in range(1000))
    # a student none of whose numbers is today's, so the fixed answers cannot fit
    gus = next(s for s in others if all(
        value != dict(specs.get(ex).numbers)[name]
        for ex in varying for name, value in (numbers(ex, s, mine) or {}).items()))
    answers = {s: {ex: personal(ex, s, mine).solution for ex in EXERCISES}
               for s in ("eve", "fay")}
    answers[gus] = dict(SOLUTIONS)
    ours, theirs = _graded_both_ways(course, answers)
    assert ours == theirs
    for student in ("eve", "fay"):
        assert {ex: ours[(student, ex)] for ex in EXERCISES} == {
            ex: specs.get(ex).points for ex in EXERCISES}, (student, ours)
    assert all(ours[(gus, ex)] < specs.get(ex).points for ex in varying), (gus, ours)
