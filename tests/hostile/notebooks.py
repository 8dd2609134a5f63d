"""Building submissions from the released notebook (or a synthetic stand-in) for tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[2]
RELEASED = ROOT / "exercises" / "conv_shapes" / "conv_shapes.ipynb"

SOLUTIONS = {
    "worked_7x7": "conv7 = nn.Conv2d(1, 1, kernel_size=3)",
    "channels": "conv = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3, padding=1)",
    "padding": 'conv = nn.Conv2d(16, 16, kernel_size=5, padding="valid")',
    "stride": "conv = nn.Conv2d(3, 3, kernel_size=5, stride=2, padding=2)",
    "combination": "conv = nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1)",
    "weight_shape": "weight_shape = (5, 3, 5, 5)",
    "param_count": "n_params = 5 * 3 * 5 * 5 + 5",
}
POINTS = {"worked_7x7": 1, "channels": 2, "padding": 2, "stride": 2, "combination": 2,
          "weight_shape": 1, "param_count": 1}
EXERCISES = list(SOLUTIONS)


def _meta(ex: str, role: str, **nbgrader: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"convdojo": {"role": role, "exercise": ex}}
    if nbgrader:
        meta["nbgrader"] = {"schema_version": 3, **nbgrader}
    return meta


def synthetic() -> nbformat.NotebookNode:
    """A notebook with the released layout, for when exercises/ is not built yet."""
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell("import torch\nfrom torch import nn\nfrom convdojo import "
                                       "check", metadata={"convdojo": {"role": "setup"}})]
    names = {"worked_7x7": "conv7", "weight_shape": "weight_shape", "param_count": "n_params"}
    for ex in EXERCISES:
        var = names.get(ex, "conv")
        cells += [
            nbformat.v4.new_markdown_cell(f"## {ex}"),
            nbformat.v4.new_code_cell(f"{var} = None\n# YOUR CODE HERE", metadata=_meta(
                ex, "answer", solution=True, grade=False, locked=False, grade_id=ex)),
            nbformat.v4.new_code_cell(f'check("{ex}", {var})', metadata=_meta(ex, "selfcheck")),
            nbformat.v4.new_code_cell(f'check("{ex}", {var}, hidden=True).report()',
                                      metadata=_meta(ex, "test", solution=False, grade=True,
                                                     locked=True, points=POINTS[ex],
                                                     grade_id=f"{ex}_test")),
        ]
    nb.cells = cells
    return nb


def released() -> nbformat.NotebookNode:
    if RELEASED.exists():
        return nbformat.read(RELEASED, as_version=4)
    return synthetic()


def answer_cell(nb: nbformat.NotebookNode, ex: str) -> nbformat.NotebookNode:
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and gid == ex:
            return cell
    raise KeyError(ex)


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def fill(answers: dict[str, str], base: nbformat.NotebookNode | None = None,
         extra: list[tuple[str, str]] | None = None) -> nbformat.NotebookNode:
    """The released notebook with these answer cells' sources (others left as released).

    ``extra`` inserts code cells ``(anchor, source)``: after the cell whose grade_id is
    ``anchor``, after the setup cell for "start" (the imports; after the identity cell),
    at the end for "end".
    """
    nb = copy.deepcopy(base if base is not None else released())
    for ex, source in answers.items():
        cell = answer_cell(nb, ex)
        keep = [line for line in cell.source.splitlines() if line.startswith("x = ")]
        cell.source = "\n".join(keep + [source])
    for anchor, source in extra or []:
        cell = nbformat.v4.new_code_cell(source)
        if anchor == "end":
            nb.cells.append(cell)
            continue
        if anchor == "start":
            at = next((i for i, c in enumerate(nb.cells) if c.metadata.get(
                "convdojo", {}).get("role") == "setup"),
                next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"))
        else:
            at = next(i for i, c in enumerate(nb.cells) if grade_id(c) == anchor)
        nb.cells.insert(at + 1, cell)
    return nb


def write(root: Path, student: str, nb: nbformat.NotebookNode | bytes | str,
          assignment: str = "conv_shapes") -> Path:
    folder = root / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    if isinstance(nb, (bytes, str)):
        path.write_bytes(nb if isinstance(nb, bytes) else nb.encode())
    else:
        nbformat.write(nb, path)
    return path


SETUP = ("import math\nimport numpy as np\nimport torch\nimport torch.nn.functional as F\n"
         "from torch import nn\nfrom convdojo import check")


def for_assignment(name: str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A notebook in the released layout for any assignment; missing answers stay None."""
    from convdojo import specs

    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell(SETUP, metadata={"convdojo": {"role": "setup"}})]
    for ex in specs.assignment(name).exercises:
        spec = specs.get(ex)
        var = spec.answer_name
        cells += [
            nbformat.v4.new_code_cell(answers.get(ex, f"{var} = None"), metadata=_meta(
                ex, "answer", solution=True, grade=False, locked=False, grade_id=ex)),
            nbformat.v4.new_code_cell(f'check("{ex}", {var})', metadata=_meta(ex, "selfcheck")),
            nbformat.v4.new_code_cell(f'check("{ex}", {var}, hidden=True).report()',
                                      metadata=_meta(ex, "test", solution=False, grade=True,
                                                     locked=True, points=spec.points,
                                                     grade_id=f"{ex}_test")),
        ]
    nb.cells = cells
    return nb
