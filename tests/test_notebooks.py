"""The conv_shapes notebooks in a real kernel, and exercises/ in sync with solutions/."""

from __future__ import annotations

import subprocess
import sys

import pytest

from convdojo import specs
from notebook_utils import ROOT, execute, role, text_of

pytestmark = pytest.mark.slow

ASSIGNMENTS = [a.name for a in specs.assignments()]


def _path(folder: str, name: str):
    return ROOT / folder / name / specs.assignment(name).notebook


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_notebook_gets_full_marks(name: str) -> None:
    nb = execute(_path("solutions", name))
    tests = [c for c in nb.cells if role(c) == "test"]
    assert {c.metadata.convdojo.exercise for c in tests} == set(specs.assignment(name).exercises)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", text_of(cell)
            assert not (out.output_type == "stream" and out.name == "stderr"), text_of(cell)
    for cell in tests:
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(results) == 1, text_of(cell)
        # nbgrader reads this value as the cell's partial credit.
        assert float(results[0].data["text/plain"]) == cell.metadata.nbgrader.points
        assert "passed" in text_of(cell)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_exercise_notebook_runs_to_the_end_unanswered(name: str) -> None:
    nb = execute(_path("exercises", name))  # allow_errors=False: any error fails here
    checks = [c for c in nb.cells if role(c) == "selfcheck"]
    assert checks
    for cell in checks:
        assert "not answered yet" in text_of(cell), text_of(cell)
    for cell in (c for c in nb.cells if role(c) == "test"):
        assert float(cell.outputs[-1].data["text/plain"]) == 0.0


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_notebooks_are_committed_without_outputs(name: str) -> None:
    import nbformat

    for folder in ("solutions", "exercises"):
        nb = nbformat.read(_path(folder, name), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_answer_cells_carry_the_exercise_id(name: str) -> None:
    import nbformat

    for folder in ("solutions", "exercises"):
        nb = nbformat.read(_path(folder, name), as_version=4)
        answers = {c.metadata.nbgrader.grade_id for c in nb.cells if role(c) == "answer"}
        assert answers == set(specs.assignment(name).exercises)
        for cell in (c for c in nb.cells if role(c) == "answer"):
            spec = specs.get(cell.metadata.nbgrader.grade_id)
            assert f"{spec.answer_name} = None" in cell.source
            if folder == "exercises":
                assert "BEGIN SOLUTION" not in cell.source and spec.solution not in cell.source
        core = [c for c in nb.cells if role(c) == "answer"
                and c.metadata.nbgrader.grade_id in ("channels", "padding", "stride",
                                                     "combination")]
        for cell in core:
            assert "conv = None" in cell.source


def test_exercises_are_in_sync_with_solutions() -> None:
    """exercises/ is nbgrader's generate_assignment output of solutions/, nothing else."""
    proc = subprocess.run([sys.executable, "-m", "convdojo.cli", "release", "--check",
                           "--root", str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
