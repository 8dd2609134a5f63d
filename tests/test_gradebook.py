"""convdojo.gradebook on a small SQLite gradebook built with nbgrader's own API."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

nbgrader_api = pytest.importorskip("nbgrader.api")
# nbgrader 0.9's add_submission trips SQLAlchemy 2's autoflush warnings; not ours.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

from convdojo import gradebook  # noqa: E402
from convdojo.gradebook import GradebookError, compare, import_scores  # noqa: E402
from notebook_utils import ROOT  # noqa: E402

ASSIGNMENT = "ps1"
NOTEBOOK = "ps1"
POINTS = {"channels": 2.0, "stride": 2.0}
# nbgrader's autograde scores (what the student's own kernel reported)
AUTO = {("ann", "channels"): 2.0, ("ann", "stride"): 1.0,     # honest
        ("tom", "channels"): 2.0, ("tom", "stride"): 2.0}     # patched his checks


def _row(student, exercise, score, status="failed", **extra):
    return {"student_id": student, "exercise_id": exercise, "score": score,
            "max_score": POINTS[exercise], "status": status, **extra}


# convdojo's hardened scores (checked outside the student's kernel)
ROWS = [
    _row("ann", "channels", 2.0, "passed"),
    _row("ann", "stride", 1.0, feedback=["H is 31, not 32."]),
    _row("tom", "channels", 2.0, "passed"),
    _row("tom", "stride", 0.5, feedback=["H is 31, not 32.", "Try padding 2."],
         findings=[{"group": "shape", "passed": False, "message": "H is 31, not 32.",
                    "hidden": False},
                   {"group": "variants", "passed": False, "message": "a 1×1 image: error",
                    "hidden": True},
                   {"group": "constraints", "passed": True, "message": "kernel ok",
                    "hidden": False}]),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One gradebook, built once (nbgrader runs the slow `alembic` command to create one)."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + old_path
    try:
        _build(f"sqlite:///{path}")
    finally:
        os.environ["PATH"] = old_path
    return path


@pytest.fixture
def url(template: Path, tmp_path: Path) -> str:
    shutil.copy(template, tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


def _build(url: str) -> None:
    with nbgrader_api.Gradebook(url, course_id="convdojo") as gb:
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(NOTEBOOK, ASSIGNMENT)
        for exercise, points in POINTS.items():
            gb.add_solution_cell(exercise, NOTEBOOK, ASSIGNMENT)
            gb.add_grade_cell(f"{exercise}_test", NOTEBOOK, ASSIGNMENT, max_score=points,
                              cell_type="code")
        gb.add_solution_cell("explain", NOTEBOOK, ASSIGNMENT)
        gb.add_grade_cell("explain", NOTEBOOK, ASSIGNMENT, max_score=2, cell_type="markdown")
        for student in ("ann", "tom", "zoe"):
            gb.add_student(student)
        for student in ("ann", "tom"):
            gb.add_submission(ASSIGNMENT, student)
        for (student, exercise), score in AUTO.items():
            grade = gb.find_grade(f"{exercise}_test", NOTEBOOK, ASSIGNMENT, student)
            grade.auto_score = score
            grade.needs_manual_grade = False
        gb.find_grade("explain", NOTEBOOK, ASSIGNMENT, "ann").manual_score = 1.5
        gb.db.commit()


def _grades(url: str, student: str) -> dict[str, tuple]:
    with nbgrader_api.Gradebook(url, course_id="convdojo") as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return {g.name: (g.auto_score, g.manual_score, g.score, g.needs_manual_grade)
                for nb in sub.notebooks for g in nb.grades}


def test_compare_flags_only_scores_above_convdojos(url: str) -> None:
    result = compare(url, assignment=ASSIGNMENT, rows=ROWS)
    assert result.matched == 4
    assert [(s.student_id, s.exercise_id) for s in result.suspects] == [("tom", "stride")]
    suspect = result.suspects[0]
    assert (suspect.nbgrader_score, suspect.convdojo_score, suspect.max_score) == (2, 0.5, 2)
    # the evidence: the checks that failed outside the kernel, hidden ones labelled
    assert suspect.evidence == ("[shape] H is 31, not 32.",
                                "[variants, hidden] a 1×1 image: error")
    assert not result.lower and not result.unverified and not result.not_in_gradebook
    text = str(result)
    assert "SUSPECTED TAMPERING" in text and "tom / stride: nbgrader 2, convdojo 0.5" in text
    json.dumps(dataclasses.asdict(result))  # the JSON report


def test_compare_sorts_out_the_other_disagreements(url: str) -> None:
    rows = [_row("ann", "channels", 2.0, "passed"),
            _row("ann", "stride", 2.0, "passed"),          # nbgrader lower
            _row("tom", "stride", 0.0, "timeout"),         # convdojo could not grade it
            _row("zoe", "stride", 1.0)]                    # never autograded
    result = compare(url, assignment=ASSIGNMENT, rows=rows)
    assert not result.suspects
    assert [(s.student_id, s.exercise_id) for s in result.unverified] == [("tom", "stride")]
    assert [(s.student_id, s.exercise_id) for s in result.lower] == [("ann", "stride")]
    assert result.not_in_gradebook == [("zoe", "stride")]
    assert result.not_in_rows == [("tom", "channels")]


def test_import_writes_manual_scores_that_win_over_autograde(url: str) -> None:
    rows = ROWS + [_row("zoe", "stride", 1.0), _row("ann", "channels", 0.0, "error")]
    report = import_scores(url, assignment=ASSIGNMENT, rows=rows)
    assert len(report.written) == 4
    assert {(s, e) for s, e, _ in report.skipped} == {("zoe", "stride"), ("ann", "channels")}
    tom = _grades(url, "tom")
    assert tom["stride_test"] == (2.0, 0.5, 0.5, False)   # auto kept, manual wins
    assert tom["channels_test"] == (2.0, 2.0, 2.0, False)
    with nbgrader_api.Gradebook(url, course_id="convdojo") as gb:
        assert gb.find_submission(ASSIGNMENT, "tom").score == 2.5
        assert gb.find_submission(ASSIGNMENT, "ann").score == 2.0 + 1.0 + 1.5  # + manual
        # the why, on the answer cell, only where the scores differ
        comment = gb.find_comment("stride", NOTEBOOK, ASSIGNMENT, "tom").manual_comment
        assert comment.startswith("convdojo: stride scored 0.5/2")
        assert "- Try padding 2." in comment and "1×1" not in comment  # no hidden input
        assert gb.find_comment("channels", NOTEBOOK, ASSIGNMENT, "tom").manual_comment is None
        # a grader's own comment stays
        gb.find_comment("stride", NOTEBOOK, ASSIGNMENT, "tom").manual_comment = "see me"
        gb.find_grade("stride_test", NOTEBOOK, ASSIGNMENT, "tom").manual_score = 1.0
        gb.db.commit()
    again = import_scores(url, assignment=ASSIGNMENT, rows=ROWS)
    assert again.replaced == [("tom", "stride", 1.0, 0.5)]
    with nbgrader_api.Gradebook(url, course_id="convdojo") as gb:
        assert gb.find_comment("stride", NOTEBOOK, ASSIGNMENT, "tom").manual_comment == "see me"
    # re-graded: convdojo now agrees with nbgrader, and its old comment goes
    import_scores(url, assignment=ASSIGNMENT, rows=[_row("ann", "stride", 0.5)])
    with nbgrader_api.Gradebook(url, course_id="convdojo") as gb:
        assert gb.find_comment("stride", NOTEBOOK, ASSIGNMENT, "ann").manual_comment
    import_scores(url, assignment=ASSIGNMENT, rows=[_row("ann", "stride", 1.0)])
    with nbgrader_api.Gradebook(url, course_id="convdojo") as gb:
        assert gb.find_comment("stride", NOTEBOOK, ASSIGNMENT, "ann").manual_comment is None
    # compare still reads nbgrader's own autograde scores after an import
    assert [s.student_id for s in compare(url, assignment=ASSIGNMENT, rows=ROWS).suspects] == \
        ["tom"]


def test_import_skips_rows_whose_points_differ(url: str) -> None:
    row = dict(_row("ann", "stride", 1.0), max_score=3)
    report = import_scores(url, assignment=ASSIGNMENT, rows=[row])
    assert not report.written and "points differ" in report.skipped[0][2]
    assert _grades(url, "ann")["stride_test"][1] is None


def test_rows_from_convdojo_grades_outputs(tmp_path: Path, url: str) -> None:
    # the layout of `convdojo grade`'s grades.json: per student, results and run notes
    results = {"ann": [r for r in ROWS if r["student_id"] == "ann"],
               "tom": [r for r in ROWS if r["student_id"] == "tom"]}
    report = {"assignment": ASSIGNMENT, "students": [
        {"student_id": s, "score": 0, "max_score": 4, "run": {},
         "notes": ["Cell 6 raised ModuleNotFoundError: No module named 'convdojo.checks'"]
         if s == "tom" else [],
         "exercises": [{k: v for k, v in r.items() if k != "student_id"} for r in rs]}
        for s, rs in results.items()]}
    (tmp_path / "grades.json").write_text(json.dumps(report), encoding="utf-8")
    rows = gradebook.load_rows(tmp_path / "grades.json")
    assert {(r["student_id"], r["exercise_id"], r["score"]) for r in rows} == \
        {(r["student_id"], r["exercise_id"], r["score"]) for r in ROWS}
    suspect, = compare(url, assignment=ASSIGNMENT, rows=rows).suspects
    assert suspect.evidence[0] == ("[notebook run] Cell 6 raised ModuleNotFoundError: "
                                   "No module named 'convdojo.checks'")
    assert suspect.evidence[1:] == ("[shape] H is 31, not 32.",
                                    "[variants, hidden] a 1×1 image: error")
    # grades.csv: one line per result, feedback lines joined with " | "
    path = tmp_path / "grades.csv"
    path.write_text("student_id,exercise_id,score,max_score,status,feedback\n"
                    'tom,stride,0.5,2,failed,"H is 31, not 32. | Try padding 2."\n'
                    "ann,stride,1,2,failed,\n", encoding="utf-8")
    suspect, = compare(url, assignment=ASSIGNMENT, rows=gradebook.load_rows(path)).suspects
    assert suspect.evidence == ("H is 31, not 32.", "Try padding 2.")
    (tmp_path / "other.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(GradebookError, match="not a convdojo grade row"):
        compare(url, assignment=ASSIGNMENT, rows=gradebook.load_rows(tmp_path / "other.json"))
    (tmp_path / "other.json").write_text("{}", encoding="utf-8")
    with pytest.raises(GradebookError, match="no students"):
        gradebook.load_rows(tmp_path / "other.json")


def test_clear_errors_for_bad_gradebooks(tmp_path: Path, url: str) -> None:
    missing = tmp_path / "nope" / "gradebook.db"
    for bad, message in [
        ("", "no gradebook given"),
        ("sqlite://", "not a SQLite file"),
        ("sqlite:///:memory:", "not a SQLite file"),
        (f"sqlite:///{missing}", "no gradebook at"),
        (str(missing), "no gradebook at"),
        ("http//x:y", "no gradebook at"),  # a path, then: no such file
        ("nosuchdialect://u@h/db", "cannot open the gradebook"),
        ("postgresql://u@h:notaport/db", "invalid gradebook URL|cannot open"),
    ]:
        with pytest.raises(GradebookError, match=message):
            compare(bad, assignment=ASSIGNMENT, rows=ROWS)
    assert not missing.exists()  # never creates a database
    other = tmp_path / "other.db"
    other.write_bytes(b"")
    with pytest.raises(GradebookError, match="not an nbgrader gradebook"):
        import_scores(str(other), assignment=ASSIGNMENT, rows=ROWS)
    with pytest.raises(GradebookError, match=r"no assignment 'ps2' in the gradebook \(it "
                                             r"has: ps1\)"):
        compare(url, assignment="ps2", rows=ROWS)
    # a plain path to the SQLite file works too
    assert compare(url.removeprefix("sqlite:///"), assignment=ASSIGNMENT, rows=ROWS).suspects


def test_cli_options_and_apply(tmp_path: Path, url: str) -> None:
    parser = argparse.ArgumentParser()
    gradebook.add_options(parser)
    args = parser.parse_args(["--gradebook", url, "--gradebook-mode", "import"])
    assert (args.gradebook, args.gradebook_mode) == (url, "import")
    assert parser.parse_args([]).gradebook_mode == "compare"
    with pytest.raises(SystemExit):
        parser.parse_args(["--gradebook-mode", "merge"])
    report = gradebook.apply(url, mode="compare", assignment=ASSIGNMENT, rows=ROWS, out=tmp_path)
    saved = json.loads((tmp_path / "gradebook-compare.json").read_text())
    assert saved["suspects"][0]["student_id"] == "tom" == report.suspects[0].student_id
    gradebook.apply(url, mode="import", assignment=ASSIGNMENT, rows=ROWS, out=tmp_path)
    assert json.loads((tmp_path / "gradebook-import.json").read_text())["written"]
    with pytest.raises(GradebookError, match="unknown gradebook mode"):
        gradebook.apply(url, mode="merge", assignment=ASSIGNMENT, rows=ROWS)


# --- autograder/nbgrader_config.py --------------------------------------------------

def _course_config(path: Path, monkeypatch: pytest.MonkeyPatch, **env: str):
    from traitlets.config.loader import PyFileConfigLoader

    for name in ("CONVDOJO_ROOT", "CONVDOJO_COURSE", "CONVDOJO_GRADEBOOK", "CONVDOJO_COURSE_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config().CourseDirectory


def test_course_config_follows_the_environment(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    kit = ROOT / "autograder" / "nbgrader_config.py"
    course = tmp_path / "term1"
    cd = _course_config(kit, monkeypatch, CONVDOJO_COURSE=str(course))
    assert (cd.root, cd.source_directory, cd.release_directory) == \
        (str(ROOT), "solutions", "exercises")
    assert cd.submitted_directory == str(course / "submitted")
    assert cd.feedback_directory == str(course / "feedback")
    assert cd.db_url == f"sqlite:///{course / 'gradebook.db'}" and course.is_dir()
    assert cd.course_id == "convdojo"
    cd = _course_config(kit, monkeypatch, CONVDOJO_COURSE=str(course),
                        CONVDOJO_GRADEBOOK="postgresql://grader@db/convdojo")
    assert cd.db_url == "postgresql://grader@db/convdojo"
    monkeypatch.chdir(tmp_path)
    cd = _course_config(kit, monkeypatch, CONVDOJO_COURSE="term2",
                        CONVDOJO_GRADEBOOK="books/g.db")
    assert cd.submitted_directory == str(tmp_path / "term2" / "submitted")
    assert cd.db_url == f"sqlite:///{tmp_path / 'books' / 'g.db'}"
    # a copy saved elsewhere as nbgrader_config.py is its own course root
    copy = tmp_path / "course" / "nbgrader_config.py"
    copy.parent.mkdir()
    shutil.copy(kit, copy)
    cd = _course_config(copy, monkeypatch)
    assert cd.root == str(copy.parent)
    assert cd.db_url == f"sqlite:///{copy.parent / 'course' / 'gradebook.db'}"
