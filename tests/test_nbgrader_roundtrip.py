"""The whole nbgrader cycle, with nbgrader's real command line, in a course built from the kit.

generate_assignment → submissions → autograde → a manual grade (Gradebook API) → export;
convdojo's gradebook compare and import modes; generate_feedback → export again.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from convdojo import gradebook, specs
from notebook_utils import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.sandbox,
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]  # nbgrader 0.9

ASSIGNMENT = "conv_shapes"
NOTEBOOK = Path(specs.assignment(ASSIGNMENT).notebook).stem
EXERCISES = specs.assignment(ASSIGNMENT).exercises
SOLUTIONS = {ex: specs.get(ex).solution for ex in EXERCISES}

# Answer sets, by exercise: the code that replaces "# YOUR CODE HERE".
HONEST = {
    "ada": dict(SOLUTIONS),                                       # all right
    "bo": {                                                       # partial credit
        "worked_7x7": "conv7 = nn.Conv2d(1, 1, kernel_size=3, padding=1)",
        "channels": "conv = nn.Conv2d(3, 16, kernel_size=5, padding=2)",
        "padding": "conv = nn.Conv2d(16, 16, kernel_size=5, padding=1)",
        "stride": SOLUTIONS["stride"],
        "combination": "conv = nn.Conv2d(3, 16, kernel_size=3, stride=2)",
        "weight_shape": "weight_shape = (5, 5, 3, 5)",
        "param_count": "n_params = 5 * 5 * 5",
    },
    "cy": {},                                                     # nothing answered
    "dee": {                                                      # mixed, an error, a warning
        "worked_7x7": SOLUTIONS["worked_7x7"],
        # its cell raises (it runs the layer on x, the input its prompt cell set)
        "channels": "conv = nn.Conv2d(1, 16, kernel_size=3, padding=1)\nconv(x).shape",
        "stride": "conv = nn.Conv2d(3, 3, kernel_size=4, stride=2, padding=1)",
        "combination": "conv = nn.Conv2d(3, 16, kernel_size=4, padding='same')",  # warns
        "param_count": "n_params = 380",
    },
}
# Where the two graders differ by design: dee's answer cell raises (it runs the layer on x),
# so convdojo scores that exercise 0 (an answer belongs to a cell that ran), while nbgrader's
# test cell, in the student's kernel, cannot know and grades the layer left in `conv`.
DIVERGES = {("dee", "channels")}
TAMPERED = {
    # patches CheckResult.report in her kernel: every test cell reports full marks
    "eve": {
        "worked_7x7": "from convdojo.checks.result import CheckResult\n"
                      "CheckResult.report = lambda self: self.max_score\n"
                      "conv7 = nn.Conv2d(1, 1, kernel_size=3, padding=1)",
        "param_count": "n_params = 380",
    },
    # replaces check itself, in the notebook and in the package
    "finn": {
        "worked_7x7": "import convdojo\n"
                      "from convdojo.checks.result import CheckResult\n"
                      "def check(exercise_id, *args, **kwargs):\n"
                      "    points = convdojo.specs.get(exercise_id).points\n"
                      "    return CheckResult(exercise_id, points, points, 'passed')\n"
                      "convdojo.check = convdojo.checks.check = check",
    },
}
WRITTEN = {"ada": {"explain_valid": "The 5×5 kernel fits 16 − 5 + 1 = 12 times."}}
MANUAL = {("ada", "explain_valid"): 1.5}


@dataclass
class Cycle:
    course: Path
    url: str
    nbgrader: dict[tuple[str, str], float]      # autograde scores, by (student, exercise)
    convdojo: list[dict]                        # convdojo's hardened rows
    export_before: dict[str, dict]              # nbgrader export, by student
    export_after: dict[str, dict]               # ... after the import
    comparison: gradebook.Comparison
    imported: dict                              # gradebook-import.json written by the CLI


def _env(course: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVDOJO_")}
    env["CONVDOJO_COURSE"] = str(course / "course")
    # nbgrader runs `alembic` (a console script next to this interpreter) to create the db.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _run(cmd: list[str], course: Path, log: list[str]) -> str:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=course, env=_env(course), capture_output=True, text=True,
                          timeout=420)
    text = f"$ {' '.join(cmd)}  ({time.monotonic() - start:.1f} s)\n{proc.stdout}{proc.stderr}"
    log.append(text)
    assert proc.returncode == 0, text
    return text


def _nbgrader(*args: str, course: Path, log: list[str]) -> str:
    return _run([str(Path(sys.executable).with_name("nbgrader")), *args], course, log)


def _submit(course: Path, student: str, answers: dict[str, str]) -> None:
    nb = nbformat.read(course / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in answers:
            assert "# YOUR CODE HERE" in cell.source
            cell.source = cell.source.replace("# YOUR CODE HERE", answers[grade_id])
        elif cell.cell_type == "markdown" and grade_id in WRITTEN.get(student, {}):
            cell.source = WRITTEN[student][grade_id]
    folder = course / "course" / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")


# --- convdojo's hardened rows ---------------------------------------------------------

def _grade(course: Path, log: list[str], *extra: str) -> str:
    """`convdojo grade`: the answers run sandboxed, the checks in clean processes."""
    return _run([str(Path(sys.executable).with_name("convdojo")), "grade",
                 str(course / "course" / "submitted"), "--assignment", ASSIGNMENT, "--out",
                 str(course / "convdojo-grade"), *extra], course, log)


def _hardened_rows(course: Path, log: list[str]) -> list[dict]:
    _grade(course, log)
    return gradebook.load_rows(course / "convdojo-grade" / "grades.json")


# --- the cycle ------------------------------------------------------------------------

def _export(course: Path, name: str, log: list[str]) -> dict[str, dict]:
    _nbgrader("export", f"--to={name}", course=course, log=log)
    with (course / name).open(newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def _autograde_scores(url: str) -> dict[tuple[str, str], float]:
    with gradebook.open_gradebook(url) as gb:
        return {(s.student.id, g.name.removesuffix("_test")): g.auto_score
                for s in gb.assignment_submissions(ASSIGNMENT) for nb in s.notebooks
                for g in nb.grades if g.name.endswith("_test")}


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    # nbgrader reads nbgrader_config.py from its working directory; a copy of the kit's
    # config outside autograder/ takes its own folder as the course root.
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    # Today's fixed numbers (its answers are the fixed solutions); test_variant_parity.py
    # runs this cycle with variants on.
    (course / "convdojo.toml").write_text("[variants]\nenabled = false\n")
    log: list[str] = []
    _nbgrader("generate_assignment", ASSIGNMENT, "--force", course=course, log=log)
    for student, answers in {**HONEST, **TAMPERED}.items():
        _submit(course, student, answers)
    _nbgrader("autograde", ASSIGNMENT, "--force", course=course, log=log)
    url = f"sqlite:///{course / 'course' / 'gradebook.db'}"
    nbgrader_scores = _autograde_scores(url)

    with Gradebook(url, course_id="convdojo") as gb:  # a grader marks a written answer
        for (student, question), score in MANUAL.items():
            grade = gb.find_grade(question, NOTEBOOK, ASSIGNMENT, student)
            grade.manual_score = score
            grade.needs_manual_grade = False
        gb.db.commit()
    export_before = _export(course, "grades-before.csv", log)

    rows = _hardened_rows(course, log)
    # The real command line; with the same --out it resumes, so only the gradebook runs.
    compare_out = _grade(course, log, "--gradebook", url, "--gradebook-mode", "compare")
    assert "SUSPECTED TAMPERING" in compare_out
    comparison = gradebook.compare(url, assignment=ASSIGNMENT, rows=rows)  # read-only
    _grade(course, log, "--gradebook", url, "--gradebook-mode", "import")
    imported = json.loads((course / "convdojo-grade" / "gradebook-import.json").read_text())
    _nbgrader("generate_feedback", ASSIGNMENT, "--force", course=course, log=log)
    export_after = _export(course, "grades-after.csv", log)
    print("\n".join(line.splitlines()[0] for line in log))  # timings, with pytest -s
    return Cycle(course, url, nbgrader_scores, rows, export_before, export_after, comparison,
                 imported)


def _convdojo(cycle: Cycle) -> dict[tuple[str, str], float]:
    return {(r["student_id"], r["exercise_id"]): r["score"] for r in cycle.convdojo}


def _total(scores: dict[tuple[str, str], float], student: str) -> float:
    return sum(v for (s, _), v in scores.items() if s == student)


def test_every_submission_was_autograded(cycle: Cycle) -> None:
    students = set(HONEST) | set(TAMPERED)
    assert set(cycle.nbgrader) == {(s, e) for s in students for e in EXERCISES}
    assert set(_convdojo(cycle)) == set(cycle.nbgrader)
    for student in students:
        assert (cycle.course / "course" / "autograded" / student / ASSIGNMENT
                / f"{NOTEBOOK}.ipynb").exists()


def test_nbgrader_scores_equal_convdojos_for_honest_submissions(cycle: Cycle) -> None:
    ours = _convdojo(cycle)
    for student in HONEST:
        for exercise in EXERCISES:
            key = (student, exercise)
            if key in DIVERGES:
                assert ours[key] == 0 < cycle.nbgrader[key], key
                continue
            assert cycle.nbgrader[key] == pytest.approx(ours[key], abs=1e-9), key
    assert _total(cycle.nbgrader, "ada") == 11
    assert _total(cycle.nbgrader, "cy") == 0
    partial = [v for (s, _), v in cycle.nbgrader.items() if s in ("bo", "dee")]
    assert any(0 < v < 1 or 1 < v < 2 for v in partial)  # real partial credit
    honest = {(s.student_id, s.exercise_id) for s in cycle.comparison.suspects
              if s.student_id in HONEST}
    assert honest == DIVERGES
    assert not cycle.comparison.lower and not cycle.comparison.unverified


def test_tampering_gets_full_marks_from_nbgrader_and_is_flagged(cycle: Cycle) -> None:
    ours = _convdojo(cycle)
    max_points = {ex: specs.get(ex).points for ex in EXERCISES}
    for student in TAMPERED:
        assert {e: cycle.nbgrader[(student, e)] for e in EXERCISES} == max_points
    flagged = {(s.student_id, s.exercise_id): s for s in cycle.comparison.suspects}
    expected = {key for key, score in ours.items()
                if key[0] in TAMPERED and score < max_points[key[1]]} | DIVERGES
    assert set(flagged) == expected
    assert ("eve", "param_count") not in flagged  # her one right answer is no suspect
    assert len(expected) == 2 * len(EXERCISES) - 1 + len(DIVERGES)
    assert "raised" in " ".join(map(str, flagged[("dee", "channels")].evidence))
    eve = flagged[("eve", "worked_7x7")]
    assert (eve.nbgrader_score, eve.convdojo_score) == (1, ours[("eve", "worked_7x7")])
    assert all(s.evidence for s in flagged.values())  # what fails outside the kernel
    assert "SUSPECTED TAMPERING" in str(cycle.comparison)
    saved = json.loads((cycle.course / "convdojo-grade" / "gradebook-compare.json").read_text())
    assert len(saved["suspects"]) == len(expected)


def test_manual_grade_and_export(cycle: Cycle) -> None:
    feedback = cycle.course / "course" / "feedback"
    for student in set(HONEST) | set(TAMPERED):
        assert (feedback / student / ASSIGNMENT / f"{NOTEBOOK}.html").exists()
    before = cycle.export_before
    assert set(before) == set(HONEST) | set(TAMPERED)
    total_points = sum(specs.get(e).points for e in EXERCISES) + sum(
        specs.get_written(q).points for q in specs.assignment(ASSIGNMENT).written)
    for student, row in before.items():
        manual = sum(v for (s, _), v in MANUAL.items() if s == student)
        assert float(row["max_score"]) == total_points
        assert float(row["score"]) == pytest.approx(_total(cycle.nbgrader, student) + manual)
    assert float(before["ada"]["score"]) == 11 + 1.5
    # generate_feedback shows the manual grade in the total
    html = (feedback / "ada" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    assert "Score: 12.5 / 15.0" in html


def test_imported_scores_appear_in_nbgrader_export(cycle: Cycle) -> None:
    ours = _convdojo(cycle)
    assert len(cycle.imported["written"]) == len(ours) and not cycle.imported["skipped"]
    for student, row in cycle.export_after.items():
        manual = sum(v for (s, _), v in MANUAL.items() if s == student)
        assert float(row["score"]) == pytest.approx(_total(ours, student) + manual), student
    for student in TAMPERED:
        assert float(cycle.export_after[student]["score"]) < float(
            cycle.export_before[student]["score"])
    for student in HONEST:
        lost = sum(cycle.nbgrader[k] for k in DIVERGES if k[0] == student)
        assert float(cycle.export_after[student]["score"]) == pytest.approx(
            float(cycle.export_before[student]["score"]) - lost)
    # compare still sees nbgrader's own autograde scores after the import
    again = gradebook.compare(cycle.url, assignment=ASSIGNMENT, rows=cycle.convdojo)
    assert again.suspects == cycle.comparison.suspects
    # the tampered student's feedback explains the score
    html = (cycle.course / "course" / "feedback" / "eve" / ASSIGNMENT
            / f"{NOTEBOOK}.html").read_text()
    assert "convdojo: worked_7x7 scored" in html
