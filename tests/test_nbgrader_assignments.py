"""Every assignment through nbgrader's real autograde and `convdojo grade`: the solution
gets full marks, the released notebook left as it is scores 0 with "not answered yet".

test_nbgrader_roundtrip follows one assignment through the whole cycle (manual grades,
export, feedback, tampering); this one covers each assignment's own notebook.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from convdojo import gradebook, specs
from notebook_utils import ROOT
from test_nbgrader_roundtrip import _nbgrader, _run

pytestmark = [pytest.mark.slow, pytest.mark.sandbox,
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]  # nbgrader 0.9

ASSIGNMENTS = [a.name for a in specs.assignments()]


def _submit(course: Path, name: str, student: str, answers: dict[str, str]) -> None:
    notebook = specs.assignment(name).notebook
    nb = nbformat.read(course / "exercises" / name / notebook, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in answers:
            cell.source = cell.source.replace("# YOUR CODE HERE", answers[grade_id])
    folder = course / "course" / "submitted" / student / name
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / notebook)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_full_marks_and_unanswered_zero_through_nbgrader(
        name: str, tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    course, log = tmp_path, []
    exercises = specs.assignment(name).exercises
    shutil.copytree(ROOT / "solutions" / name, course / "solutions" / name)
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    # The fixed solutions answer today's fixed numbers (tests/test_variant_parity.py
    # grades per-student variants through nbgrader).
    (course / "convdojo.toml").write_text("[variants]\nenabled = false\n")
    _nbgrader("generate_assignment", name, "--force", course=course, log=log)
    _submit(course, name, "ada", {ex: specs.get(ex).solution for ex in exercises})
    _submit(course, name, "cy", {})
    _nbgrader("autograde", name, "--force", course=course, log=log)

    url = f"sqlite:///{course / 'course' / 'gradebook.db'}"
    with Gradebook(url, course_id="convdojo") as gb:
        scores = {(s.student.id, g.name.removesuffix("_test")): g.auto_score
                  for s in gb.assignment_submissions(name) for nb in s.notebooks
                  for g in nb.grades if g.name.endswith("_test")}
    for ex in exercises:
        assert scores[("ada", ex)] == specs.get(ex).points, (ex, scores)
        assert scores[("cy", ex)] == 0, (ex, scores)

    from convdojo.grade.side_files import declared

    for side in declared(name):  # the trained weights: a student submits them with it
        made = course / "course" / "autograded" / "ada" / name / side
        if made.exists():
            shutil.copy(made, course / "course" / "submitted" / "ada" / name / side)
    _run([str(Path(sys.executable).with_name("convdojo")), "grade",
          str(course / "course" / "submitted"), "--assignment", name, "--out",
          str(course / "graded")], course, log)
    rows = gradebook.load_rows(course / "graded" / "grades.json")
    by = {(r["student_id"], r["exercise_id"]): r for r in rows}
    for ex in exercises:
        assert by[("ada", ex)]["status"] == "passed", by[("ada", ex)]
        assert by[("ada", ex)]["score"] == specs.get(ex).points
        assert by[("cy", ex)]["status"] == "unanswered", by[("cy", ex)]
        assert "Not answered yet" in " ".join(by[("cy", ex)]["feedback"]), by[("cy", ex)]
