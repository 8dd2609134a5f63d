"""Running a notebook's cells in order, like a kernel would, and handing over answers.

This runs in the child's main thread, alongside student code, so nothing here
is trusted: whatever it hands the sender is read by the sender as an object
(through base types, see sender.py).  The worst student code can do to this
module is choose which real objects count as its answers, which is answering.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from . import codec, notebook, shell

Post = Callable[[tuple], Any]
# Builtins as they were at import (in the worker, before any student code): a notebook that
# patches builtins.len or builtins.type must not break the cell loop it runs in.
_len, _type, _callable, _str, _bytes, _int = len, type, callable, str, bytes, int
_exec, _BaseException = exec, BaseException
_SyntaxError, _ValueError, _TransformError = SyntaxError, ValueError, notebook.TransformError
_ABSENT = object()  # the answer variable is not bound


def _display(*objs: Any, **kwargs: Any) -> None:
    return None


def _describe(exc: BaseException) -> str:
    try:
        text = _str(exc).strip().splitlines()
        first = text[0] if text else ""
    except _BaseException:  # a hostile __str__
        first = ""
    name = _type(exc).__name__
    return f"{name}: {first}"[:300] if first else name


def first_line(source: str) -> str:
    """The cell's first line of code (comments skipped), to name it in messages."""
    lines = [line.strip() for line in source.splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    return (code or [line for line in lines if line] or [""])[0][:60]


def mark(progress: Any, index: int, source: str) -> None:
    """Note the running cell in memory shared with the worker (for crash and timeout
    messages only: a student can scribble here, and only confuse their own report)."""
    try:
        line = first_line(source).encode("utf-8", "replace")[:80]
        progress[:4] = _int.to_bytes(index, 4, "big")
        progress[4:5] = _bytes([_len(line)])
        progress[5:5 + _len(line)] = line
    except _BaseException:  # the progress note is a nicety
        pass


def run_cells(data: bytes, exercises: list[dict[str, Any]], post: Post,
              progress: Any) -> dict[str, Any]:
    """Execute the notebook; post each answer at its snapshot point; return function answers.

    Each answer goes with the facts about its own answer cell (see ``Answers``), so the
    grader can tell an answer from what an earlier exercise left in the variable.
    """
    try:
        plan = notebook.plan(notebook.parse(data), [e["id"] for e in exercises])
    except notebook.NotebookError as exc:
        post(("fatal", str(exc)))
        return {}
    names = {e["id"]: e["name"] for e in exercises}
    sys.modules["__main__"] = type(sys)("__main__")
    ns = sys.modules["__main__"].__dict__
    ns.update({"__builtins__": builtins, "display": _display})
    kernel = shell.Shell(ns, lambda text: post(("note", text)))
    ns["get_ipython"] = lambda: kernel
    answers = Answers(plan, names, ns)
    for cell in plan.cells:
        for ex in cell.before:
            answers.snapshot(ex, post)
        if not cell.skip and cell.source.strip():
            mark(progress, cell.index, cell.source)
            answers.before_cell(cell.answers)
            raised = _execute(cell.index, cell.source, ns, post)
            answers.after_cell(cell.answers, raised)
        for ex in cell.after:
            answers.snapshot(ex, post)
    for ex in plan.at_end:
        answers.snapshot(ex, post)
    return answers.functions


class Answers:
    """Snapshots of the answer variables, and what each exercise's answer cell did.

    Facts only: did the answer cell raise (and what), did it rebind the variable, and which
    earlier exercises' snapshots (same variable) are this very object.  The grader decides.
    """

    def __init__(self, plan: notebook.Plan, names: dict[str, str], ns: dict[str, Any]) -> None:
        self.names, self.ns = names, ns
        self.functions: dict[str, Any] = {}
        # exercise -> [answer cell, its error or None, rebound]; not run yet: nothing bound
        self.cells: dict[str, list[Any]] = {ex: [index, None, False]
                                            for ex, index in plan.answer_cell.items()}
        self.held: dict[str, Any] = {}
        self.seen: list[tuple[str, str, Any]] = []  # (exercise, variable, value) snapshotted

    def before_cell(self, exercises: list[str]) -> None:
        for ex in exercises:
            self.held[ex] = self.ns.get(self.names[ex], _ABSENT)

    def after_cell(self, exercises: list[str], raised: str | None) -> None:
        for ex in exercises:
            now = self.ns.get(self.names[ex], _ABSENT)
            self.cells[ex][1:] = [raised, now is not self.held.pop(ex, _ABSENT)]

    def snapshot(self, ex: str, post: Post) -> None:
        name = self.names[ex]
        value = self.ns.get(name, _ABSENT)
        present = value is not _ABSENT
        facts = None
        if ex in self.cells:
            cell, raised, rebound = self.cells[ex]
            same = [other for other, var, seen in self.seen
                    if var == name and seen is value and value is not None and present]
            if raised is not None or (not rebound and same):
                facts = (cell, raised, rebound, same)
        if present:
            self.seen.append((ex, name, value))
            if _callable(value):
                self.functions[ex] = value
        post(("answer", ex, present, value if present else None, facts))


def _execute(index: int, source: str, ns: dict[str, Any], post: Post) -> str | None:
    """Run one cell like a kernel: report an error and go on; return the error, if any."""
    where = f"Cell {index} (`{first_line(source)}`)"  # numbers alone mean little in Jupyter
    try:
        code = notebook.compile_cell(source, f"<cell {index}>")
    except (_SyntaxError, _ValueError, _TransformError) as exc:
        error = _describe(exc)
        post(("note", f"{where} was skipped: {error}"))
        return error
    try:
        _exec(code, ns)
    except _BaseException as exc:  # like a kernel: report, then run the next cell
        error = _describe(exc)
        post(("note", f"{where} raised {error}"))
        return error
    return None


def call_cases(functions: dict[str, Any], fd: int, which: str, post: Post) -> None:
    """Read one batch of cases from the worker, call the functions, post the results."""
    cases = _read_frame(fd)
    results = []
    for ex, index, args, kwargs in cases:
        fn = functions.get(ex)
        if fn is None:
            continue
        try:
            value = fn(*codec.decode(codec.from_json(args)),
                       **codec.decode(codec.from_json(kwargs)))
            results.append((ex, index, True, value))
        except _BaseException as exc:
            results.append((ex, index, False, (_type(exc).__name__, _describe(exc))))
    post(("results", which, results))


def _read_frame(fd: int) -> list[Any]:
    size = int.from_bytes(_read_exact(fd, 8), "big")
    return json.loads(_read_exact(fd, size)) if size else []


def _read_exact(fd: int, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise EOFError("the worker closed the case pipe")
        out += chunk
    return out
