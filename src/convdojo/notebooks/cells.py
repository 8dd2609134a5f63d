"""Notebook cells with the nbgrader and convdojo metadata each role needs."""

from __future__ import annotations

import json
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell

from ..specs.model import LayerSpec, WrittenSpec
from . import layout

__all__ = ["markdown", "code", "setup", "identity", "prompt", "answer", "selfcheck", "test",
           "written"]


def _nbgrader(grade_id: str, *, solution: bool = False, grade: bool = False,
              locked: bool = False, points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _meta(role: str, exercise: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"role": role}
    if exercise:
        data["exercise"] = exercise
    return {"convdojo": data}


def markdown(text: str, cell_id: str) -> NotebookNode:
    cell = new_markdown_cell(text.strip(), metadata=_meta("text"))
    cell.metadata["nbgrader"] = _nbgrader(cell_id, locked=True)
    return cell


def code(source: str, cell_id: str, role: str = "demo") -> NotebookNode:
    cell = new_code_cell(source.strip(), metadata=_meta(role))
    cell.metadata["nbgrader"] = _nbgrader(cell_id, locked=True)
    return cell


def setup(imports: str) -> NotebookNode:
    return code(imports, "setup", role="setup")


def identity(salt: str, variants: bool, student: str = "") -> NotebookNode:
    """The first cell: the one a student edits to say who they are (never locked)."""
    source = (
        "# Who you are. On JupyterHub your login is used. Elsewhere, type your student id\n"
        "# between the quotes and run this cell: every student gets their own numbers.\n"
        "# (The grader uses your submission folder's id, not this one.)\n"
        f"STUDENT_ID = {json.dumps(student)}\n"
        "from convdojo import exercise, identify\n\n"
        f"identify(STUDENT_ID, salt={salt!r}, variants={variants!r})")
    cell = new_code_cell(source, metadata=_meta("identity"))
    cell.metadata["nbgrader"] = _nbgrader("identity")
    return cell


def _varies(spec: Any, personal: bool) -> bool:
    return personal and getattr(spec, "domain", None) is not None


def prompt(spec: Any, number: int, personal: bool = True) -> NotebookNode:
    """A varying exercise's prompt is a cell that shows the student's own numbers when run
    (and, for a layer, sets ``x`` to their input); a fixed one is plain markdown."""
    from ..yours import prompt_markdown

    if _varies(spec, personal):
        call = f'exercise("{spec.id}", {number})'
        source = (f"# Run this cell: it shows exercise {number} with your numbers."
                  + (f"\nx = {call}  # x: your input" if isinstance(spec, LayerSpec)
                     else f"\n{call}"))
        cell = new_code_cell(source, metadata=_meta("prompt", spec.id))
    else:
        cell = new_markdown_cell(prompt_markdown(spec, number), metadata=_meta("prompt", spec.id))
    cell.metadata["nbgrader"] = _nbgrader(layout.prompt_id(spec.id), locked=True)
    return cell


def answer(spec: Any, personal: bool = True) -> NotebookNode:
    """The cell students edit: it keeps ``name = None`` so an unanswered notebook still runs.

    A varying layer exercise's input ``x`` comes from its prompt cell; the answer cell does
    not call the layer (the grader's sandbox has no student numbers to make ``x`` from)."""
    varies = _varies(spec, personal)
    lines = []
    if isinstance(spec, LayerSpec) and varies:
        lines.append(f"# x is your input (from the cell above): try {spec.answer_name}(x).shape")
    elif isinstance(spec, LayerSpec):
        shape = ", ".join(str(d) for d in spec.input_shape)
        lines.append(f"x = torch.randn({shape})  # the shown input")
    lines += [f"{spec.answer_name} = None  # replace None with your answer",
              "### BEGIN SOLUTION", spec.solution.strip(), "### END SOLUTION"]
    if getattr(spec, "epilogue", ""):  # a project: load the trained weights, or train
        lines.append(spec.epilogue.strip())
    if isinstance(spec, LayerSpec) and not varies:
        lines.append(f"{spec.answer_name}(x).shape if {spec.answer_name} is not None else None")
    cell = new_code_cell("\n".join(lines), metadata=_meta("answer", spec.id))
    cell.metadata["nbgrader"] = _nbgrader(layout.answer_id(spec.id), solution=True)
    return cell


def selfcheck(spec: Any) -> NotebookNode:
    cell = new_code_cell(f'check("{spec.id}", {spec.answer_name})',
                         metadata=_meta("selfcheck", spec.id))
    cell.metadata["nbgrader"] = _nbgrader(layout.selfcheck_id(spec.id), locked=True)
    return cell


def test(spec: Any) -> NotebookNode:
    """nbgrader's autograded cell: hidden variants, partial credit as the cell's value."""
    source = (f"# Autograder: hidden inputs too; the value below is your score.\n"
              f'check("{spec.id}", {spec.answer_name}, hidden=True).report()')
    cell = new_code_cell(source, metadata=_meta("test", spec.id))
    cell.metadata["nbgrader"] = _nbgrader(layout.test_id(spec.id), grade=True, locked=True,
                                          points=spec.points)
    return cell


def written(item: WrittenSpec, number: int) -> list[NotebookNode]:
    """A locked question and a manually graded markdown answer that holds the rubric."""
    question = new_markdown_cell(f"### {number}. {item.title} (written, {item.points:g} points)"
                                 f"\n\n{item.prompt}", metadata=_meta("prompt", item.id))
    question.metadata["nbgrader"] = _nbgrader(layout.prompt_id(item.id), locked=True)
    reply = new_markdown_cell(f"**Rubric.** {item.rubric}", metadata=_meta("written", item.id))
    reply.metadata["nbgrader"] = _nbgrader(layout.answer_id(item.id), solution=True, grade=True,
                                           points=item.points)
    return [question, reply]


def notebook(cells: list[NotebookNode]) -> NotebookNode:
    for cell in cells:
        # Stable ids keep rebuilt notebooks byte-identical (nbformat would pick random ones).
        cell.id = cell.metadata["nbgrader"]["grade_id"].replace(".", "-")[:64]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb
