"""How the sandbox runs a notebook's cells, graded for real through ``convdojo grade``.

An answer belongs to its own exercise: an answer cell that raises scores 0 and
shows its error; one that binds nothing scores 0 and names the exercise whose
answer the variable still holds.  IPython syntax runs as in a kernel (harmless
magics work; shell escapes and the rest fail clearly, like a cell error), and
imports that load cached bytecode work.  Honest bystanders get full marks.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from hostile.notebooks import POINTS, SOLUTIONS, answer_cell, fill, write

from convdojo import sandbox

pytestmark = pytest.mark.slow
pytest_plugins = ["pytester"]
CONVDOJO = str(Path(sys.executable).parent / "convdojo")
ROOT = Path(__file__).resolve().parent.parent
S = SOLUTIONS


@dataclass
class Case:
    """A submission: answer cells replaced whole (``cells``), extra cells (``extra``), and
    for each exercise that does not deserve full marks: (status, words in the feedback)."""

    name: str
    cells: dict[str, str] = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)
    expect: dict[str, tuple[str, str]] = field(default_factory=dict)
    note: str | None = None  # words one of the run's notes must contain

    def notebook(self) -> nbformat.NotebookNode:
        nb = fill(S, extra=self.extra)
        for ex, source in self.cells.items():
            answer_cell(nb, ex).source = source
        return nb


STALE = ("unanswered", "conv still holds your answer to Channels (channels): the answer "
                       "cell (cell 16) of this exercise did not assign conv")
IMPORTS = """
from IPython.display import display
import statistics
from fractions import Fraction
from PIL import Image
n_params = int(statistics.median([Fraction(380), Fraction(380), Fraction(381)]))
display(n_params)
"""
# Hand-made bytecode stays refused: only the import system's own, byte-identical .pyc loads.
FORGED_BYTECODE = """
import marshal, importlib.machinery, importlib.util, os
import _frozen_importlib_external as be
blob = marshal.dumps(compile("n_params = -99", "evil", "exec"))
real = importlib.util.cache_from_source(importlib.util.find_spec("statistics").origin)
genuine = open(real, "rb").read()
with open("evil.pyc", "wb") as fh:
    fh.write(genuine[:16] + blob)
class Crafted(importlib.machinery.SourceFileLoader):
    def get_data(self, path):
        return genuine[:16] + blob if path.endswith(".pyc") else super().get_data(path)
origin = importlib.util.find_spec("statistics").origin
attempts = [
    lambda: marshal.loads(blob),
    lambda: be._compile_bytecode(blob),
    lambda: be._compile_bytecode(memoryview(genuine[:16] + blob)[16:], bytecode_path=real),
    lambda: be._compile_bytecode(memoryview(bytearray(genuine))[16:], bytecode_path=real),
    lambda: importlib.machinery.SourcelessFileLoader("evil", os.path.abspath("evil.pyc"))
            .load_module(),
    lambda: Crafted("statistics2", origin).get_code("statistics2"),
]
refused = 0
for attempt in attempts:
    try:
        attempt()
    except PermissionError as exc:
        refused += "not allowed in the grader's sandbox" in str(exc)
genuine_loads = be._compile_bytecode(memoryview(genuine)[16:], bytecode_path=real)
n_params = 380 if refused == len(attempts) and genuine_loads is not None else -refused
"""
WORKING_MAGICS = {
    "worked_7x7": "%time conv7 = nn.Conv2d(1, 1, kernel_size=3)\nnn.Conv2d?\nnn.Conv2d??\n?",
    "channels": "%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n%config X.y = 1\n"
                "%who\n%whos\n" + S["channels"],
    "padding": "%%time\n" + S["padding"] + "\nconv",
    "stride": "t = %timeit -o nn.Conv2d(1, 1, 3)\n"
              "assert t.average > 0 and t.best > 0 and t.loops >= 1 and t.all_runs, t\n"
              "t2 = %timeit -n1 -r1 -o -q sum([1])\nassert t2.worst >= 0\n" + S["stride"],
    "combination": "%%capture out\nprint('captured')\n" + S["combination"],
    "weight_shape": "assert out.stdout == 'captured\\n', out.stdout\n"
                    "w = %time (5, 3, 5, 5)\nweight_shape = w",
    # A continuation line that starts with % is Python's modulo, as IPython knows.
    "param_count": "n_params = (5 * 3 * 5 * 5 + 5\n            % 1000)",
}


def _refused(ex: str, source: str, words: str) -> Case:
    name = "refused_" + "".join(c if c.isalnum() else "_" for c in source.split()[0])
    return Case(name, cells={ex: source}, expect={ex: ("invalid", words)}, note=words)


CASES = [
    Case("honest"),
    Case("honest_ipython_syntax", cells=WORKING_MAGICS,
         note="%load_ext autoreload did nothing: the grader loads no IPython extensions"),
    Case("honest_imports", cells={"param_count": IMPORTS}),
    Case("forged_bytecode_refused", cells={"param_count": FORGED_BYTECODE}),
    # An answer cell elsewhere that uses refused syntax costs only that cell.
    Case("refused_outside_answers", extra=[("start", "files = !ls"), ("start", "%pip list")],
         note="shell commands (!ls) are not run by the grader"),
    # --- an answer belongs to its own exercise --------------------------------------
    Case("answer_cell_raises", cells={"padding": "raise ValueError('nope: ' + 'x' * 2000)"},
         expect={"padding": ("invalid", "Your answer cell (cell 16) raised ValueError: nope: "
                                        "xxx")}),
    Case("answer_cell_binds_nothing", cells={"padding": "x = torch.randn(4, 16, 16, 16)"},
         expect={"padding": STALE}),
    Case("answer_cell_empty", cells={"padding": ""}, expect={"padding": STALE}),
    Case("answer_cell_assigns_then_raises", cells={"padding": S["padding"] + "\n1 / 0"},
         expect={"padding": ("invalid", "raised ZeroDivisionError: division by zero")}),
    Case("answer_cell_syntax_error", cells={"padding": "conv = nn.Conv2d(16, 16, 5"},
         expect={"padding": ("invalid", "raised SyntaxError")}),
    Case("answer_cell_deletes", cells={"padding": "del conv"},
         expect={"padding": ("unanswered", "conv is not defined yet")}),
    Case("answer_still_none", cells={"padding": "conv = None"},
         expect={"padding": ("unanswered", "Not answered yet: conv is still None")}),
    Case("answer_through_globals",
         cells={"padding": "globals()['conv'] = nn.Conv2d(16, 16, kernel_size=5)"}),
    Case("answer_rebinds_same_object", cells={"padding": "conv = conv"},
         expect={"padding": STALE}),
    # %%timeit times its body in a scope of its own: as in Jupyter, it binds nothing.
    Case("answer_in_timeit_cell", cells={"padding": "%%timeit -n1 -r1\n" + S["padding"]},
         expect={"padding": STALE}),
    # The test cell grades what the variable holds when it runs, as nbgrader would.
    Case("answer_in_a_cell_of_its_own", cells={"padding": "pass"},
         extra=[("padding", S["padding"])]),
    # --- refused IPython syntax fails like a cell error, with a clear message ---------
    _refused("channels", "files = !ls\n" + S["channels"],
             "UsageError: shell commands (!ls) are not run by the grader"),
    _refused("channels", "!!ls\n" + S["channels"], "shell commands (!ls) are not run"),
    _refused("stride", "%%bash\nls", "UsageError: shell commands (%%bash) are not run"),
    _refused("stride", "%run helper.py\n" + S["stride"], "%run is not run by the grader"),
    _refused("combination", "%pip install torch\n" + S["combination"],
             "%pip is not run by the grader"),
    _refused("combination", "%frobnicate\n" + S["combination"],
             "%frobnicate is not run by the grader (it runs only %time"),
    _refused("weight_shape", S["weight_shape"] + "\n%%timeit\n1",
             "%%timeit is a cell magic: it works only on the first line"),
    _refused("weight_shape", "get_ipython().system('id')\n" + S["weight_shape"],
             "shell commands (!id) are not run"),
]
_names = [c.name for c in CASES]
assert len(set(_names)) == len(_names), "case names must be unique"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("cells")
    for case in CASES:
        write(root / "submitted", case.name, case.notebook())
    args = [CONVDOJO, "grade", str(root / "submitted"), "--assignment", "conv_shapes",
            "--out", str(root / "out"), "--workers", "2", "--timeout", "60"]
    if not sandbox.available():
        args.append("--no-sandbox")
    done = subprocess.run(args, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    students = json.loads((root / "out" / "grades.json").read_text())["students"]
    return {s["student_id"]: s for s in students}


@pytest.mark.parametrize("case", CASES, ids=_names)
def test_each_exercise_gets_what_it_deserves(graded: dict[str, dict], case: Case) -> None:
    student = graded[case.name]
    for row in student["exercises"]:
        ex = row["exercise_id"]
        feedback = " | ".join(row["feedback"])
        if ex in case.expect:
            status, words = case.expect[ex]
            assert (row["score"], row["status"]) == (0, status), (ex, feedback)
            assert words in feedback, (ex, feedback)
        else:  # a bystander exercise: full marks
            assert (row["score"], row["status"]) == (POINTS[ex], "passed"), (ex, feedback)
    if case.note:
        assert any(case.note in n for n in student["notes"]), student["notes"]


def test_an_answer_cells_error_is_cut_to_one_short_line(graded: dict[str, dict]) -> None:
    row = next(r for r in graded["answer_cell_raises"]["exercises"]
               if r["exercise_id"] == "padding")
    assert len(row["feedback"]) == 1 and len(row["feedback"][0]) < 500


def test_refused_syntax_is_never_a_syntax_error_or_a_skipped_cell(
        graded: dict[str, dict]) -> None:
    for case in CASES:
        if case.name.startswith("refused_") or case.name == "honest_ipython_syntax":
            notes = " ".join(graded[case.name]["notes"])
            assert "SyntaxError" not in notes and "was skipped" not in notes, case.name


# --- the same attribution from Dask and the student-side tools ------------------------
MIXED = Case("mixed", cells={"padding": "raise ValueError('nope')", "stride": "pass",
                             "worked_7x7": "%time conv7 = nn.Conv2d(1, 1, kernel_size=3)"})
RAISED = "Your answer cell (cell 16) raised ValueError: nope"
HOLDS = ("conv still holds your answer to Channels (channels): the answer cell (cell 22) of "
         "this exercise did not assign conv")


def test_validate_says_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from convdojo.cli import main

    path = tmp_path / "conv_shapes.ipynb"
    nbformat.write(MIXED.notebook(), path)
    main(["validate", str(path)])
    out = capsys.readouterr().out
    assert RAISED in out and HOLDS in out
    assert "score: 7 / 11 on the visible checks (5 of 7 exercises passed)" in out


def test_the_pytest_autograder_says_the_same(pytester: pytest.Pytester) -> None:
    import xml.etree.ElementTree as ET

    path = pytester.path / "conv_shapes.ipynb"
    nbformat.write(MIXED.notebook(), path)
    result = pytester.runpytest_subprocess(str(ROOT / "autograder"), "--device", "cpu",
                                           "--notebook", str(path), "--hidden",
                                           "--junitxml", "junit.xml", timeout=600)
    result.assert_outcomes(passed=5, failed=2)
    failures = {case.get("name"): case.find("failure")
                for case in ET.parse(pytester.path / "junit.xml").iter("testcase")}
    assert RAISED in (failures["padding"].text or "")
    assert HOLDS in (failures["stride"].text or "")
    assert failures["worked_7x7"] is None


def _mixed_rows(students: dict[str, dict]) -> dict[str, dict]:
    assert students["honest"]["score"] == sum(POINTS.values())
    return {r["exercise_id"]: r for r in students["mixed"]["exercises"]}


def test_dask_says_the_same(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    write(tmp_path / "submitted", "mixed", MIXED.notebook())
    write(tmp_path / "submitted", "honest", fill(S))
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as local:
        args = [CONVDOJO, "grade", str(tmp_path / "submitted"), "--assignment",
                "conv_shapes", "--out", str(tmp_path / "out"), "--scheduler",
                local.scheduler_address]
        done = subprocess.run(args + ([] if sandbox.available() else ["--no-sandbox"]),
                              capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    students = json.loads((tmp_path / "out" / "grades.json").read_text())["students"]
    rows = _mixed_rows({s["student_id"]: s for s in students})
    assert (rows["padding"]["score"], rows["padding"]["status"]) == (0, "invalid")
    assert RAISED in rows["padding"]["feedback"][0]
    assert (rows["stride"]["score"], rows["stride"]["status"]) == (0, "unanswered")
    assert HOLDS in rows["stride"]["feedback"][0]
    assert rows["worked_7x7"]["status"] == "passed"
