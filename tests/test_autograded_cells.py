"""nbgrader's autograded cells in a real kernel: partial credit, and never a word on stderr.

The kernel runs as nbgrader's autograde would on a teaching server: no display,
every warning shown (PYTHONWARNINGS=always), CONVDOJO_DEVICE unset (so CUDA is used
where there is one). nbgrader's own ``determine_grade`` reads each test cell.
"""

from __future__ import annotations

import os
import tempfile

import nbformat
import pytest
import torch
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

import convdojo
from convdojo import specs
from notebook_utils import ROOT, role, text_of

pytestmark = pytest.mark.slow

ASSIGNMENTS = [a.name for a in specs.assignments()]
HIDDEN_ENV = ("DISPLAY", "WAYLAND_DISPLAY", "CONVDOJO_DEVICE")

# conv_shapes answers that are partly right, wrong, unanswered, or break their own cell
MIXED = {
    # right shape, wrong kernel; torch warns about 'same' with an even kernel (the answer
    # cell of a varying exercise does not run the layer: this one does, on x)
    "channels": ("conv = nn.Conv2d(3, 16, kernel_size=4, padding='same')\nconv(x).shape",
                 "partial"),
    "padding": ("conv = nn.Conv2d(16, 16, kernel_size=5, padding=1)", "partial"),
    # in_channels 1: the answer cell raises on the shown input
    "stride": ("conv = nn.Conv2d(1, 3, kernel_size=5, stride=2, padding=2)\nconv(x).shape",
               "partial"),
    "combination": ("conv = None", "zero"),
    "weight_shape": ("weight_shape = (5, 5, 3, 5)", "zero"),
    "param_count": ("n_params = '380'", "zero"),
}


def _execute(nb: nbformat.NotebookNode, **env_changes: str) -> nbformat.NotebookNode:
    env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENV}
    env.update(PYTHONWARNINGS="always", **env_changes)
    with tempfile.TemporaryDirectory(prefix="convdojo-nb-") as where:  # what it writes stays there
        client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": where}})
        client.execute(env=env)
    return nb


def _notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / name / specs.assignment(name).notebook,
                         as_version=4)


def _stderr(cell: nbformat.NotebookNode) -> list[str]:
    return [out.get("text", "") if out.output_type == "stream" else "\n".join(out.traceback)
            for out in cell.get("outputs", [])
            if out.output_type == "error"
            or (out.output_type == "stream" and out.name == "stderr")]


def _tests(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata.convdojo.exercise: c for c in nb.cells if role(c) == "test"}


def _assert_quiet(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if role(cell) in ("test", "selfcheck", "setup"):
            assert not _stderr(cell), f"{cell.source}\n---\n{text_of(cell)}"


@pytest.mark.parametrize("gpu", ["as is", "hidden"])
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solutions_get_full_credit_quietly(name: str, gpu: str) -> None:
    if gpu == "hidden" and not torch.cuda.is_available():
        pytest.skip("no GPU here: the 'as is' run already is the no-GPU case")
    env = {"CUDA_VISIBLE_DEVICES": ""} if gpu == "hidden" else {}
    nb = _execute(_notebook(name), **env)
    _assert_quiet(nb)
    tests = _tests(nb)
    assert set(tests) == set(specs.assignment(name).exercises)
    for exercise, cell in tests.items():
        points = float(specs.get(exercise).points)
        assert determine_grade(cell) == (points, points), text_of(cell)
        # the feedback is shown (as HTML in Jupyter), then the score is the cell's value
        kinds = [out.output_type for out in cell.outputs]
        assert kinds == ["display_data", "execute_result"], kinds
        assert "passed" in cell.outputs[0].data["text/plain"]


def test_partial_credit_is_fractional_and_wrong_answers_stay_quiet() -> None:
    nb = _notebook("conv_shapes")
    for cell in nb.cells:
        if role(cell) == "answer" and cell.metadata.convdojo.exercise in MIXED:
            code, _ = MIXED[cell.metadata.convdojo.exercise]
            start = cell.source.index("### BEGIN SOLUTION")
            end = cell.source.index("### END SOLUTION") + len("### END SOLUTION")
            cell.source = cell.source[:start] + code + cell.source[end:]
    nb = _execute(nb)
    answers = {c.metadata.convdojo.exercise: c for c in nb.cells if role(c) == "answer"}
    # warnings are on, and the broken answer cell fails: both stay in the answer cells
    assert any("UserWarning" in text for text in _stderr(answers["channels"]))
    assert any("RuntimeError" in text for text in _stderr(answers["stride"]))
    _assert_quiet(nb)
    for exercise, cell in _tests(nb).items():
        points = float(specs.get(exercise).points)
        score, max_score = determine_grade(cell)
        assert max_score == points
        if exercise not in MIXED:
            assert score == points, text_of(cell)
            continue
        namespace: dict = {"nn": torch.nn}
        exec(MIXED[exercise][0].split("\n")[0], namespace)  # the answer, not its call
        answer = namespace[specs.get(exercise).answer_name]
        expected = convdojo.check(exercise, answer, hidden=True).score
        assert score == pytest.approx(expected, abs=1e-9), text_of(cell)
        if MIXED[exercise][1] == "partial":
            assert 0 < score < points, (exercise, score)
        else:
            assert score == 0, (exercise, score)
