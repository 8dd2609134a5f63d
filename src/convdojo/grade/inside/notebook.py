"""Reading a submitted notebook and planning when each exercise's answer is read.

An answer is read where the exercise's test cell would run: before the cell
whose nbgrader ``grade_id`` is ``X_test`` (or whose convdojo role is the test of
X); failing that, after the first cell that calls ``check("X"...)`` following
the answer cell; failing that, right after the answer cell; else at the end.
Test cells belong to the grader and are never executed: nbgrader would restore
them, and here they would only call the stand-in ``check``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_NOTEBOOK = 32 * 2**20


class NotebookError(Exception):
    """The submission is not a readable notebook; the message is for the student."""


@dataclass
class Cell:
    index: int  # position among all cells, 1-based as Jupyter users count
    source: str
    skip: bool = False
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


@dataclass
class Plan:
    cells: list[Cell]
    at_end: list[str]


def parse(data: bytes) -> list[dict[str, Any]]:
    """The notebook's cells, or NotebookError saying what is wrong with the file."""
    if len(data) > MAX_NOTEBOOK:
        raise NotebookError(f"the notebook is {len(data) // 2**20} MiB; the limit is "
                            f"{MAX_NOTEBOOK // 2**20} MiB (clear large outputs and resubmit)")
    if not data.strip():
        raise NotebookError("the notebook file is empty")
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotebookError("the notebook file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        cut = " (the file looks truncated)" if exc.pos >= len(data.rstrip()) - 1 else ""
        raise NotebookError(f"the notebook is not valid JSON{cut}: {exc.msg} at line "
                            f"{exc.lineno}, column {exc.colno}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("the file is JSON but not a Jupyter notebook (no list of cells)")
    cells = []
    for i, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"cell {i} is not a notebook cell")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {i} has no readable source")
        meta = cell.get("metadata")
        cells.append({"type": cell["cell_type"], "source": source,
                      "meta": meta if isinstance(meta, dict) else {}})
    return cells


def _tags(meta: dict[str, Any]) -> tuple[str | None, str | None, str | None, bool]:
    """(nbgrader grade_id, convdojo role, convdojo exercise, is an autograder test)."""
    nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
    cdj = meta.get("convdojo") if isinstance(meta.get("convdojo"), dict) else {}
    gid = nbg.get("grade_id") if isinstance(nbg.get("grade_id"), str) else None
    role = cdj.get("role") if isinstance(cdj.get("role"), str) else None
    ex = cdj.get("exercise") if isinstance(cdj.get("exercise"), str) else None
    is_test = (nbg.get("grade") is True and nbg.get("solution") is not True) or role == "test"
    return gid, role, ex, is_test


def plan(raw: list[dict[str, Any]], exercises: list[str]) -> Plan:
    cells = [Cell(i, c["source"]) for i, c in enumerate(raw, 1)]
    code = [c["type"] == "code" for c in raw]
    tags = [_tags(c["meta"]) for c in raw]
    for cell, (_, _, _, is_test), is_code in zip(cells, tags, code):
        cell.skip = is_test or not is_code
    at_end: list[str] = []
    for ex in exercises:
        test = next((i for i, (gid, role, e, _) in enumerate(tags) if code[i] and (
            gid == f"{ex}_test" or (role == "test" and e == ex))), None)
        if test is not None:
            cells[test].before.append(ex)
            continue
        answer = next((i for i, (gid, role, e, _) in enumerate(tags) if code[i] and (
            gid == ex or (role == "answer" and e == ex))), None)
        call = re.compile(r"\bcheck\(\s*(['\"])" + re.escape(ex) + r"\1")
        start = 0 if answer is None else answer
        checker = next((i for i in range(start, len(cells))
                        if code[i] and not cells[i].skip and call.search(cells[i].source)),
                       None)
        if checker is not None:
            cells[checker].after.append(ex)
        elif answer is not None:
            cells[answer].after.append(ex)
        else:
            at_end.append(ex)
    return Plan(cells, at_end)


_MAGIC_LINE = re.compile(r"^(\s*)[%!].*$", re.MULTILINE)
_PASS_THROUGH = ("%%time", "%%timeit", "%%capture", "%%prun")


def python_source(source: str) -> str | None:
    """The cell as plain Python: IPython magics and shell lines dropped (None: skip cell)."""
    if source.lstrip().startswith("%%"):
        first, _, rest = source.lstrip().partition("\n")
        if first.split()[0] not in _PASS_THROUGH:
            return None
        source = rest
    return _MAGIC_LINE.sub(lambda m: f"{m.group(1)}pass  # IPython magic skipped", source)
