"""Variants on, a course secret set: one student's grade is the same, exercise by exercise,
from nbgrader autograde, ``convdojo grade``, ``convdojo grade --scheduler`` and
``pytest autograder --hidden``; every path takes the id from the submission's folder.

``cat`` types ``ana``'s id into her notebook and copies ana's answers: she is graded on
her own numbers (so she fails where they differ) and the record says so.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from convdojo import specs
from convdojo.course import Course
from convdojo.specs.personal import personal

pytestmark = [pytest.mark.slow, pytest.mark.sandbox,
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSIGNMENT = "conv_shapes"
EXERCISES = specs.assignment(ASSIGNMENT).exercises
SALT, SECRET = "parity-salt", "parity-secret-3f9c"
COURSE = Course(SALT)


def _answers(student: str) -> dict[str, str]:
    return {e: personal(e, student, COURSE).solution for e in EXERCISES}


# student folder -> (id typed in the notebook, answers)
STUDENTS = {
    "ana": ("ana", _answers("ana")),
    "ben": ("ben", {e: (_answers("ben") if i % 2 else {e: specs.get(e).solution})[e]
                    for i, e in enumerate(EXERCISES)}),
    "cat": ("ana", _answers("ana")),  # copied, and typed ana's id
    "dan": ("", {}),
}


def _env(course: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVDOJO_")}
    env.update(CONVDOJO_COURSE=str(course / "course"), CONVDOJO_COURSE_SECRET=SECRET,
               PATH=str(BIN) + os.pathsep + env.get("PATH", ""))
    return env


def _run(cmd: list[str], course: Path) -> str:
    proc = subprocess.run(cmd, cwd=course, env=_env(course), capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode in (0, 1) or "pytest" not in cmd[0], proc.stderr
    if "pytest" not in " ".join(cmd):
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _submit(course: Path, student: str, typed: str, answers: dict[str, str]) -> Path:
    nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "identity":
            cell.source = cell.source.replace('STUDENT_ID = ""', f"STUDENT_ID = {typed!r}")
        elif cell.cell_type == "code" and gid in answers:
            cell.source = cell.source.replace("# YOUR CODE HERE", answers[gid])
    path = course / "course" / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


def _rows(out: Path) -> tuple[dict[tuple[str, str], float], dict[str, list[str]]]:
    data = json.loads((out / "grades.json").read_text())["students"]
    return ({(s["student_id"], e["exercise_id"]): e["score"] for s in data
             for e in s["exercises"]}, {s["student_id"]: s["notes"] for s in data})


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from convdojo import gradebook

    course = tmp_path_factory.mktemp("variants")
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "convdojo.toml").write_text(f'[variants]\nenabled = true\nsalt = "{SALT}"\n')
    with open(course / "nbgrader_config.py", "a") as fh:  # release into a folder of its own
        fh.write('\nc.CourseDirectory.release_directory = "release"\n')
    _run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], course)
    for student, (typed, answers) in STUDENTS.items():
        _submit(course, student, typed, answers)
    _run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force"], course)
    url = f"sqlite:///{course / 'course' / 'gradebook.db'}"
    with gradebook.open_gradebook(url) as gb:
        scores = {(s.student.id, g.name.removesuffix("_test")): g.auto_score
                  for s in gb.assignment_submissions(ASSIGNMENT) for nb in s.notebooks
                  for g in nb.grades if g.name.endswith("_test")}
    (course / "nbgrader.json").write_text(json.dumps([[s, e, v] for (s, e), v in
                                                      scores.items()]))
    return course


def _nbgrader(course: Path) -> dict[tuple[str, str], float]:
    return {(s, e): v for s, e, v in json.loads((course / "nbgrader.json").read_text())}


def _grade(course: Path, out: str, *extra: str) -> str:
    return _run([str(BIN / "convdojo"), "grade", str(course / "course" / "submitted"),
                 "--assignment", ASSIGNMENT, "--out", str(course / out), *extra], course)


def test_grades_agree_on_every_path(course: Path) -> None:
    distributed = pytest.importorskip("distributed")
    nbg = _nbgrader(course)
    summary = _grade(course, "local", "--workers", "2")
    assert "fixed seeds" not in summary  # a secret is set
    local, notes = _rows(course / "local")
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as cluster:
        _grade(course, "dask", "--scheduler", cluster.scheduler_address)
    dask, _ = _rows(course / "dask")
    junit = course / "junit.xml"
    paths = [a for s in STUDENTS for a in ("--notebook", str(
        course / "course" / "submitted" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))]
    _run([sys.executable, "-m", "pytest", str(ROOT / "autograder"), "-p", "no:cacheprovider",
          "--device", "cpu", "--hidden", *paths, "--junitxml", str(junit)], course)
    pyt = {}
    for case in ET.parse(junit).iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        pyt[Path(props["notebook"]).parts[-3], case.get("name")] = float(props["points"])
    assert set(local) == set(nbg) == set(dask) == set(pyt) == {
        (s, e) for s in STUDENTS for e in EXERCISES}
    for key in local:
        assert local[key] == pytest.approx(nbg[key], abs=1e-9) == dask[key], key
        assert pyt[key] == round(local[key], 2), key
    full = sum(specs.get(e).points for e in EXERCISES)
    assert sum(local["ana", e] for e in EXERCISES) == full
    assert sum(local["cat", e] for e in EXERCISES) < full  # ana's numbers are not cat's
    assert any("set up for student 'ana'" in n and "'cat'" in n for n in notes["cat"])
    assert not any("set up for" in n for n in notes["ana"] + notes["ben"])
    assert any(n.startswith("answers fit the variant of ana:") for n in notes["cat"])
    assert not any(n.startswith("answers fit the variant of") for n in notes["ana"])
    assert "answers fit the variant of" in (course / "local" / "report.html").read_text().lower()


def test_variants_off_and_no_secret(course: Path) -> None:
    """Variants off in the course config: everyone on today's numbers; no secret: said."""
    off = course.parent / "off"
    shutil.copytree(course / "course" / "submitted", off / "submitted")
    (off / "convdojo.toml").write_text('[variants]\nenabled = false\n')
    env = {k: v for k, v in _env(course).items() if k != "CONVDOJO_COURSE_SECRET"}
    proc = subprocess.run([str(BIN / "convdojo"), "grade", str(off / "submitted"),
                           "--assignment", ASSIGNMENT, "--out", str(off / "out"),
                           "--workers", "2"], env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "fixed seeds (no course secret)" in proc.stdout + proc.stderr
    assert "variants are off" in proc.stdout + proc.stderr
    rows, _ = _rows(off / "out")
    ana_total = sum(rows["ana", e] for e in EXERCISES)
    full = sum(specs.get(e).points for e in EXERCISES)
    assert ana_total < full  # her own numbers are not today's fixed ones
    assert all(rows["dan", e] == 0 for e in EXERCISES)
