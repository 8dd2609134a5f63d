"""``convdojo validate NOTEBOOK``: structure first (instant), then the visible checks."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest


from hostile.notebooks import RELEASED, SOLUTIONS, fill, grade_id, released

from convdojo import specs, validate
from convdojo.cli import main
from convdojo.notebooks import layout
from convdojo.notebooks.build import build_source

ROOT = Path(__file__).resolve().parent.parent
CONVDOJO = str(Path(sys.executable).parent / "convdojo")
CORE = ("conv_shapes", "pooling", "modern_convs", "stacking")


def _write(tmp_path: Path, nb: nbformat.NotebookNode, name: str = "conv_shapes.ipynb") -> str:
    path = tmp_path / name
    nbformat.write(nb, path)
    return str(path)


def _without(nb: nbformat.NotebookNode, gid: str) -> nbformat.NotebookNode:
    nb.cells = [c for c in nb.cells if grade_id(c) != gid]
    return nb


def _validate(capsys: pytest.CaptureFixture[str], path: str) -> tuple[int, str]:
    code = main(["validate", path])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("lesson", layout.lessons(), ids=lambda lesson: lesson.assignment)
def test_the_layout_is_the_builders(lesson) -> None:
    """validate's list of graded cells is exactly what the builder gives nbgrader."""
    built = [(c.metadata["nbgrader"]["grade_id"], c.cell_type)
             for c in build_source(lesson).cells
             if c.metadata["nbgrader"].get("solution") or c.metadata["nbgrader"].get("grade")]
    assert built == [(g.grade_id, g.cell_type) for g in layout.graded_cells(lesson)]


@pytest.mark.parametrize("folder", ["exercises", "solutions"])
@pytest.mark.parametrize("name", [a.name for a in specs.assignments()])
def test_shipped_notebooks_are_sound(folder: str, name: str) -> None:
    item = specs.assignment(name)
    insp = validate.inspect(ROOT / folder / name / item.notebook)
    assert (insp.assignment, insp.problems, insp.warnings) == (name, [], [])


def test_the_assignment_comes_from_the_cells_not_the_name(tmp_path: Path) -> None:
    pooling = ROOT / "exercises" / "pooling" / "pooling.ipynb"
    path = tmp_path / "my copy.ipynb"
    path.write_bytes(pooling.read_bytes())
    assert validate.inspect(path).assignment == "pooling"
    path = tmp_path / "conv_shapes.ipynb"
    path.write_bytes(pooling.read_bytes())
    insp = validate.inspect(path)
    assert insp.assignment == "pooling" and "graded as pooling" in insp.warnings[0]


def test_a_deleted_answer_cell_is_named(tmp_path: Path, capsys) -> None:
    code, out = _validate(capsys, _write(tmp_path, _without(released(), "padding")))
    assert code == 1
    assert "answer cell of exercise 3 (padding, grade id `padding`) is missing" in out
    assert "re-download" in out and "channels" not in out


def test_deleted_test_and_written_cells_are_named(tmp_path: Path, capsys) -> None:
    nb = _without(_without(released(), "stride_test"), "explain_valid")
    code, out = _validate(capsys, _write(tmp_path, nb))
    assert code == 1
    assert "autograder test cell of exercise 5 (stride, grade id `stride_test`)" in out
    assert "answer cell of written question 4 (explain_valid" in out


def test_a_cell_without_grade_id_fails(tmp_path: Path, capsys) -> None:
    nb = released()
    cell = next(c for c in nb.cells if grade_id(c) == "combination")
    del cell.metadata["nbgrader"]["grade_id"]
    code, out = _validate(capsys, _write(tmp_path, nb))
    assert code == 1
    assert "the answer cell of exercise combination) has no nbgrader grade id" in out
    assert "is missing" not in out  # one message for one mistake


def test_a_copied_answer_cell_and_a_changed_type_fail(tmp_path: Path, capsys) -> None:
    nb = released()
    at = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "stride")
    nb.cells.insert(at + 1, copy.deepcopy(nb.cells[at]))
    nb.cells[at + 1].id = "copy"
    cell = next(c for c in nb.cells if grade_id(c) == "weight_shape")
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]
    code, out = _validate(capsys, _write(tmp_path, nb))
    assert code == 1
    assert "(stride, grade id `stride`) appears 2 times" in out
    assert "(weight_shape, grade id `weight_shape`)" in out and "is a markdown cell" in out


@pytest.mark.parametrize("content,words", [
    (b"", "empty"), (b'{"cells": [', "not valid JSON (the file looks truncated)"),
    (b'{"worksheets": []}', "not a Jupyter notebook"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    ('{"cells": []}'.encode("utf-16"), "not UTF-8 text"),
])
def test_not_a_notebook_fails_clearly(tmp_path: Path, capsys, content: bytes,
                                      words: str) -> None:
    path = tmp_path / "conv_shapes.ipynb"
    path.write_bytes(content)
    code, out = _validate(capsys, str(path))
    assert code == 1 and words in out and "Traceback" not in out


def test_missing_file_and_unknown_notebook(tmp_path: Path, capsys) -> None:
    code, out = _validate(capsys, str(tmp_path / "nope.ipynb"))
    assert code == 2 and "No such file" in out
    code, out = _validate(capsys, _write(tmp_path, nbformat.v4.new_notebook(), "x.ipynb"))
    assert code == 1 and "belongs to no assignment" in out


def test_a_broken_notebook_is_reported_without_importing_torch(tmp_path: Path) -> None:
    """Structure is checked before any sandbox starts: a student waits no second for it."""
    path = _write(tmp_path, _without(released(), "padding"))
    code = ("import sys; from convdojo.cli import main; rc = main(['validate', %r]); "
            "print('torch' in sys.modules); sys.exit(rc)" % path)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout.strip().endswith("False"), done.stdout


@pytest.fixture(scope="module")
def session() -> Iterator[object]:
    from convdojo.grade.session import Session

    with Session("conv_shapes", device="cpu", hidden=False, reduced_ok=True) as run:
        yield run


def _report(tmp_path: Path, nb: nbformat.NotebookNode, session: object) -> str:
    from convdojo.cli_validate import format_report

    insp = validate.inspect(_write(tmp_path, nb))
    assert insp.ok, insp.problems
    return format_report(validate.grade(insp, session=session))  # type: ignore[arg-type]


@pytest.mark.slow
def test_released_notebook_is_not_answered_yet() -> None:
    """The real command on the released notebook: every exercise 'not answered yet', exit 0."""
    done = subprocess.run([CONVDOJO, "validate", str(RELEASED), "--device", "cpu"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    for number, exercise in enumerate(specs.assignment("conv_shapes").exercises):
        assert f"{exercise}: not answered yet" in done.stdout
    assert done.stdout.count("not answered yet (0/") == number + 1
    assert "explain_valid: written, not answered yet" in done.stdout
    assert "score: 0 / 11 on the visible checks" in done.stdout
    assert "Hidden checks exist" in done.stdout


@pytest.mark.slow
def test_solved_and_partly_wrong_notebooks(tmp_path: Path, session: object) -> None:
    out = _report(tmp_path, fill(SOLUTIONS), session)
    assert out.count("✓") == 7 and "score: 11 / 11" in out
    wrong = {**SOLUTIONS, "stride": "conv = nn.Conv2d(3, 3, kernel_size=5, stride=2, padding=1)"}
    del wrong["param_count"]
    out = _report(tmp_path, fill(wrong), session)
    assert "✗ 5. stride: not yet (0.5/2 points)" in out
    assert "floor((64 + 2*1 - 1*(5-1) - 1) / 2) + 1 = 31" in out  # the check's feedback
    assert "○ 9. param_count: not answered yet (0/1 points)" in out
    assert "score: 8.5 / 11 on the visible checks (5 of 7 exercises passed)" in out
    # Written answers are listed in the notebook's order, between the exercises.
    assert out.index("3. padding") < out.index("4. explain_valid") < out.index("5. stride")


@pytest.mark.slow
@pytest.mark.parametrize("name", CORE)
def test_solutions_of_the_core_four_pass(name: str) -> None:
    item = specs.assignment(name)
    insp = validate.inspect(ROOT / "solutions" / name / item.notebook)
    report = validate.grade(insp, device="cpu")
    assert [r["status"] for r in report.results] == ["passed"] * len(item.exercises)
    assert report.score == report.max_score > 0
