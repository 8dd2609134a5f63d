"""Reading a submitted notebook and planning when each exercise's answer is read.

An answer is read where the exercise's test cell would run: before the cell
whose nbgrader ``grade_id`` is ``X_test`` (or whose convdojo role is the test of
X); failing that, after the first cell that calls ``check("X"...)`` following
the answer cell; failing that, right after the answer cell; else at the end.
Test cells belong to the grader and are never executed: nbgrader would restore
them, and here they would only call the stand-in ``check``.

Cells are compiled as a kernel would: plain Python as it is, anything else
through IPython's own input transformer (``%time``, ``!ls``, ``obj?``...), whose
two files are loaded privately, so ``sys.modules`` never holds a half IPython.
"""

from __future__ import annotations

import builtins
import importlib.util
import json
import os
import re
from dataclasses import dataclass, field
from types import CodeType, SimpleNamespace
from typing import Any

MAX_NOTEBOOK = 32 * 2**20
_compile = compile


class NotebookError(Exception):
    """The submission is not a readable notebook; the message is for the student."""


@dataclass
class Cell:
    index: int  # position among all cells, 1-based as Jupyter users count
    source: str
    skip: bool = False
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # exercises this is the answer cell of


@dataclass
class Plan:
    cells: list[Cell]
    at_end: list[str]
    answer_cell: dict[str, int] = field(default_factory=dict)  # exercise -> cell index


def load_json(data: bytes) -> Any:
    """The file's JSON (a UTF-8 byte-order mark allowed), or NotebookError saying why not."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NotebookError("the notebook file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        cut = " (the file looks truncated)" if exc.pos >= len(data.rstrip()) - 1 else ""
        raise NotebookError(f"the notebook is not valid JSON{cut}: {exc.msg} at line "
                            f"{exc.lineno}, column {exc.colno}") from None
    except RecursionError:  # json's decoder recurses once per level of nesting
        raise NotebookError("the notebook's JSON is nested too deeply to be a notebook") \
            from None


def parse(data: bytes) -> list[dict[str, Any]]:
    """The notebook's cells, or NotebookError saying what is wrong with the file."""
    if len(data) > MAX_NOTEBOOK:
        raise NotebookError(f"the notebook is {len(data) // 2**20} MiB; the limit is "
                            f"{MAX_NOTEBOOK // 2**20} MiB (clear large outputs and resubmit)")
    if not data.strip():
        raise NotebookError("the notebook file is empty")
    nb = load_json(data)
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
    nbg: dict[str, Any] = meta["nbgrader"] if isinstance(meta.get("nbgrader"), dict) else {}
    cdj: dict[str, Any] = meta["convdojo"] if isinstance(meta.get("convdojo"), dict) else {}
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
    answer_cell: dict[str, int] = {}
    for ex in exercises:
        answer = next((i for i, (gid, role, e, _) in enumerate(tags) if code[i] and (
            gid == ex or (role == "answer" and e == ex))), None)
        if answer is not None and not cells[answer].skip:
            cells[answer].answers.append(ex)
            answer_cell[ex] = cells[answer].index
        test = next((i for i, (gid, role, e, _) in enumerate(tags) if code[i] and (
            gid == f"{ex}_test" or (role == "test" and e == ex))), None)
        if test is not None:
            cells[test].before.append(ex)
            continue
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
    return Plan(cells, at_end, answer_cell)


# The one prompt IPython strips from what is also valid Python (an annotation).
_PROMPT = re.compile(r"\s*In \[\d+\]: ")


class TransformError(Exception):
    """IPython's transformer gave up on the cell (as it would in Jupyter)."""


def compile_cell(source: str, filename: str) -> CodeType:
    """The cell as a kernel compiles it: SyntaxError, ValueError or TransformError if
    it cannot.  Plain Python skips the transformer, which cannot change its meaning."""
    if not _PROMPT.match(source):
        try:
            return _compile(source, filename, "exec")
        except SyntaxError:
            pass
    return _compile(python_source(source), filename, "exec")


def python_source(source: str) -> str:
    """The cell as plain Python, as IPython's transformer makes it (unchanged without IPython)."""
    manager = transformer()
    if manager is None:
        return source
    try:
        return manager.transform_cell(source)
    except SyntaxError:
        raise
    except Exception as exc:  # noqa: BLE001  (what IPython says, e.g. "still changing")
        raise TransformError(f"IPython could not transform the cell: {exc}") from None


_MANAGER: list[Any] = []


def transformer() -> Any:
    """IPython's ``TransformerManager``, loaded once (None where IPython is not installed)."""
    if not _MANAGER:
        try:
            _MANAGER.append(_load_transformer())
        except Exception:  # noqa: BLE001  (no or a broken IPython: plain Python only)
            _MANAGER.append(None)
    return _MANAGER[0]


def _load_transformer() -> Any:
    spec = importlib.util.find_spec("IPython")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = list(spec.submodule_search_locations)[0]
    tokenutil = _load_file("tokenutil", os.path.join(root, "utils", "tokenutil.py"), {})
    module = _load_file("inputtransformer2", os.path.join(root, "core", "inputtransformer2.py"),
                        {"IPython.utils": SimpleNamespace(tokenutil=tokenutil)})
    return module.TransformerManager()


def _load_file(name: str, path: str, fakes: dict[str, Any]) -> Any:
    """Execute one of IPython's files as a module of its own: its cached bytecode is used,
    ``fakes`` answer its imports of IPython's packages, and ``sys.modules`` is not touched."""
    spec = importlib.util.spec_from_file_location(f"_cdj_ipython_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    real = builtins.__import__

    def _import(what: str, *args: Any, **kwargs: Any) -> Any:
        return fakes[what] if what in fakes else real(what, *args, **kwargs)

    module.__dict__["__builtins__"] = {**builtins.__dict__, "__import__": _import}
    spec.loader.exec_module(module)
    return module
