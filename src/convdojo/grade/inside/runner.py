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

from . import codec, notebook

Post = Callable[[tuple], Any]
# Builtins as they were at import (in the worker, before any student code): a notebook that
# patches builtins.len or builtins.type must not break the cell loop it runs in.
_len, _type, _callable, _str, _bytes, _int = len, type, callable, str, bytes, int
_compile, _exec, _BaseException = compile, exec, BaseException
_SyntaxError, _ValueError = SyntaxError, ValueError


class _Shell:
    """Enough of ``get_ipython()`` for notebooks that call it; everything is a no-op."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def _display(*objs: Any, **kwargs: Any) -> None:
    return None


def _describe(exc: BaseException) -> str:
    try:
        text = _str(exc).strip().splitlines()
        first = text[0] if text else ""
    except _BaseException:  # a hostile __str__
        first = ""
    return f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__


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
    """Execute the notebook; post each answer at its snapshot point; return function answers."""
    try:
        plan = notebook.plan(notebook.parse(data), [e["id"] for e in exercises])
    except notebook.NotebookError as exc:
        post(("fatal", str(exc)))
        return {}
    names = {e["id"]: e["name"] for e in exercises}
    functions: dict[str, Any] = {}
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins,
                          "get_ipython": _Shell, "display": _display}
    sys.modules["__main__"] = type(sys)("__main__")
    sys.modules["__main__"].__dict__.update(ns)
    ns = sys.modules["__main__"].__dict__

    def snapshot(ex: str) -> None:
        present = names[ex] in ns
        value = ns.get(names[ex]) if present else None
        if present and _callable(value):
            functions[ex] = value
        post(("answer", ex, present, value))

    for cell in plan.cells:
        for ex in cell.before:
            snapshot(ex)
        source = None if cell.skip else notebook.python_source(cell.source)
        if source and source.strip():
            mark(progress, cell.index, source)
            _execute(cell.index, source, ns, post)
        for ex in cell.after:
            snapshot(ex)
    for ex in plan.at_end:
        snapshot(ex)
    return functions


def _execute(index: int, source: str, ns: dict[str, Any], post: Post) -> None:
    where = f"Cell {index} (`{first_line(source)}`)"  # numbers alone mean little in Jupyter
    try:
        code = _compile(source, f"<cell {index}>", "exec")
    except (_SyntaxError, _ValueError) as exc:
        post(("note", f"{where} was skipped: {_describe(exc)}"))
        return
    try:
        _exec(code, ns)
    except _BaseException as exc:  # like a kernel: report, then run the next cell
        post(("note", f"{where} raised {_describe(exc)}"))


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
