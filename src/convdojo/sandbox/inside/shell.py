"""``get_ipython()`` in the sandbox: the harmless magics run as a kernel runs them.

IPython's transformer turns ``%time x = 1`` into ``get_ipython().run_line_magic(
"time", "x = 1")``; this object answers those calls.  ``%time``/``%%time`` and
``%%capture`` run their code in the notebook's namespace; ``%timeit``/``%%timeit``
run it once, in a scope of its own as IPython does (so it binds nothing), and
``-o`` returns a ``TimeitResult``.  Help (``?``), ``%matplotlib``, ``%config``,
``%load_ext`` and display-only cell magics do nothing; ``%who``/``%whos`` list
names.  Shell escapes and every other magic raise ``UsageError`` with a clear
message, which the runner reports like any cell error.  Student code can reach
and change this object: that only changes how its own cells run.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from . import notebook

_exec, _eval, _compile, _print = exec, eval, compile, print

_HELP = frozenset({"pinfo", "pinfo2", "pdoc", "pdef", "psource", "pfile", "psearch"})
_QUIET = frozenset({"matplotlib", "config", "autoreload", "aimport"})
_EXTENSIONS = frozenset({"load_ext", "reload_ext", "unload_ext"})
_DISPLAY = frozenset({"html", "HTML", "markdown", "latex", "svg", "javascript", "js"})
_SHELLS = frozenset({"bash", "sh", "script", "system", "sx", "sc", "!", "perl", "ruby",
                     "python", "python2", "python3", "pypy", "writefile", "file"})
RUNS = ("%time, %timeit, %%capture, %matplotlib, %config, %load_ext, %who, %whos and "
        "? help")
_OPTION = re.compile(r"-([nrtcpqo])(\S*)\s*")


class UsageError(Exception):
    """A magic the grader does not run (IPython raises its own UsageError likewise)."""


@dataclass
class TimeitResult:
    """What ``%timeit -o`` returns: here from a single run (loops = repeat = 1)."""

    loops: int
    repeat: int
    best: float
    worst: float
    all_runs: list[float]
    compile_time: float
    precision: int = 3
    timings: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.timings = [t / self.loops for t in self.all_runs]

    @property
    def average(self) -> float:
        return sum(self.timings) / len(self.timings)

    @property
    def stdev(self) -> float:
        mean = self.average
        return (sum((t - mean) ** 2 for t in self.timings) / len(self.timings)) ** 0.5

    def __str__(self) -> str:
        return (f"{_seconds(self.average)} ± {_seconds(self.stdev)} per loop (mean ± std. "
                f"dev. of {self.repeat} run, {self.loops} loop each)")

    __repr__ = __str__


class CapturedIO:
    """What ``%%capture out`` binds: the cell's printed output."""

    def __init__(self, stdout: str, stderr: str) -> None:
        self.stdout, self.stderr = stdout, stderr
        self.outputs: list[Any] = []

    def show(self) -> None:
        _print(self.stdout, end="")

    __call__ = show

    def __str__(self) -> str:
        return self.stdout


def _seconds(value: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value * 1e9:.3g} ns"


class Shell:
    """The notebook's ``get_ipython()``; ``note`` tells the student something about a cell."""

    def __init__(self, ns: dict[str, Any], note: Callable[[str], None]) -> None:
        self.user_ns = ns
        self._note = note
        self._hidden = frozenset(ns)

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None  # kernel plumbing a notebook may poke at

    # --- what IPython's transformer emits ------------------------------------------
    def run_line_magic(self, magic_name: str, line: str, _stack_depth: int = 1) -> Any:
        name = str(magic_name)
        if name == "time":
            return self._time(str(line))
        if name == "timeit":
            return self._timeit(str(line), None)
        if name in ("who", "whos", "who_ls"):
            return self._who(name)
        if name in _EXTENSIONS:
            self._note(f"%{name} {line} did nothing: the grader loads no IPython extensions")
            return None
        if name in _HELP or name in _QUIET:
            return None
        if name.startswith("%"):
            raise UsageError(f"%{name} is a cell magic: it works only on the first line of "
                             "its cell")
        raise UsageError(self._refusal(name, line))

    def run_cell_magic(self, magic_name: str, line: str, cell: str) -> Any:
        name = str(magic_name)
        if name == "time":
            if str(line).strip():
                raise UsageError("Can't use statement directly after '%%time'!")
            return self._time(str(cell))
        if name == "timeit":
            return self._timeit(str(line), str(cell))
        if name == "capture":
            return self._capture(str(line), str(cell))
        if name in _DISPLAY:
            return None
        raise UsageError(self._refusal(name, line, cell=True))

    def system(self, cmd: str) -> None:
        raise UsageError(_shell_refusal(f"!{cmd}"))

    def getoutput(self, cmd: str, split: bool = True, depth: int = 0) -> None:
        raise UsageError(_shell_refusal(f"!{cmd}"))

    def show_usage(self) -> None:
        return None

    def magic(self, line: str) -> Any:
        name, _, rest = str(line).lstrip("%").partition(" ")
        return self.run_line_magic(name, rest)

    # --- the magics ----------------------------------------------------------------
    def _refusal(self, name: str, line: str, cell: bool = False) -> str:
        shown = ("%%" if cell else "%") + name
        if name in _SHELLS:
            return _shell_refusal(shown)
        return f"{shown} is not run by the grader (it runs only {RUNS})"

    def _time(self, source: str) -> Any:
        body, last = self._split(source)
        wall, cpu = time.perf_counter(), time.process_time()
        _exec(body, self.user_ns)
        value = _eval(last, self.user_ns) if last is not None else None
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        _print(f"CPU times: total: {_seconds(cpu)}\nWall time: {_seconds(wall)}")
        return value

    def _split(self, source: str) -> tuple[CodeType, CodeType | None]:
        """The code, and its last line apart when it is an expression (its value is returned)."""
        try:
            tree = ast.parse(source)
        except SyntaxError:
            tree = ast.parse(notebook.python_source(source))
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            expr = tree.body.pop()
            assert isinstance(expr, ast.Expr)
            last = _compile(ast.Expression(expr.value), "<magic>", "eval")
        return _compile(tree, "<magic>", "exec"), last

    def _timeit(self, line: str, cell: str | None) -> TimeitResult | None:
        options, rest = _options(line)
        setup, stmt = (rest, cell) if cell is not None else ("pass", rest)
        started = time.perf_counter()
        setup_code = notebook.compile_cell(setup or "pass", "<timeit setup>")
        code = notebook.compile_cell(stmt or "pass", "<timeit>")
        compiled = time.perf_counter() - started
        scope: dict[str, Any] = {}  # IPython times inside a function: nothing is bound
        _exec(setup_code, self.user_ns, scope)
        started = time.perf_counter()
        _exec(code, self.user_ns, scope)
        took = time.perf_counter() - started
        result = TimeitResult(1, 1, took, took, [took], compiled)
        if "q" not in options:
            _print(result)
        return result if "o" in options else None

    def _capture(self, line: str, cell: str) -> None:
        words = line.split()
        target = next((w for w in words if not w.startswith("-")), None)
        out, err = io.StringIO(), io.StringIO()
        code = notebook.compile_cell(cell, "<capture>")
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                _exec(code, self.user_ns)
        finally:
            if target and target.isidentifier():
                self.user_ns[target] = CapturedIO(out.getvalue(), err.getvalue())

    def _who(self, name: str) -> list[str] | None:
        names = sorted(k for k in self.user_ns if not k.startswith("_")
                       and k not in self._hidden)
        if name == "who_ls":
            return names
        if name == "who":
            _print("\t ".join(names) if names else "Interactive namespace is empty.")
        else:
            for k in names:
                _print(f"{k:<12}{type(self.user_ns[k]).__name__:<16}{str(self.user_ns[k])[:40]}")
        return None


def _shell_refusal(command: str) -> str:
    shown = command if len(command) <= 60 else command[:57] + "..."
    return f"shell commands ({shown}) are not run by the grader"


def _options(line: str) -> tuple[dict[str, str], str]:
    """``%timeit``'s leading options (-n, -r, -t, -c, -p, -q, -o) and the statement after."""
    options: dict[str, str] = {}
    rest = line.lstrip()
    while True:
        match = _OPTION.match(rest)
        if match is None:
            return options, rest
        letter, value = match.group(1), match.group(2)
        rest = rest[match.end():]
        if letter in "nrp" and not value:
            value, _, rest = rest.partition(" ")
        options[letter] = value
