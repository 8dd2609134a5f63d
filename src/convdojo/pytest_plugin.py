"""pytest plugin: grade notebooks by their exercises, ``pytest autograder --notebook PATH``.

autograder/conftest.py loads it.  Each notebook gives one test per exercise of
its assignment, generated from the specs (``conv_shapes.ipynb::stride``).  A
notebook runs once, in the sandbox of a ``grade.session.Session`` (one per
assignment, reused across notebooks); its answers are judged in this process by
the same checks as ``convdojo grade``.  A failed test's message is the check's
feedback; ``points`` and ``max_points`` go to the JUnit XML as properties, partial
credit included, and the run ends with ``score: X / Y``.

Without ``--hidden`` (the student's view) only the visible checks run, and an
unanswered exercise fails with "not answered yet": it earns no points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import validate
from .vocab import DEVICES
from .vocab import fmt_score as _fmt

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr
    from _pytest.terminal import TerminalReporter

    from .grade.records import Graded
    from .grade.session import Session

__all__ = ["pytest_addoption", "pytest_configure", "pytest_collection_modifyitems",
           "pytest_terminal_summary", "pytest_unconfigure"]

USAGE = ("pytest autograder --notebook PATH [--notebook PATH ...] [--device cpu|cuda|meta] "
         "[--hidden]")


@dataclass
class _State:
    hidden: bool
    device: str | None
    warm: bool
    sessions: dict[str, Session] = field(default_factory=dict)
    files: list[NotebookFile] = field(default_factory=list)

    def session(self, assignment: str) -> Session:
        """One warm sandbox per assignment, shared by all its notebooks."""
        if assignment not in self.sessions:
            from .grade.session import Session

            from . import course

            where = course.find_course_dir(self.files[0].path if self.files else Path.cwd())
            try:
                self.sessions[assignment] = Session(assignment, device=self.device,
                                                    hidden=self.hidden, warm=self.warm,
                                                    reduced_ok=True, course=course.load(
                                                        where, secret=self.hidden))
            except ValueError as exc:  # an unusable --device or CONVDOJO_DEVICE
                raise pytest.UsageError(f"convdojo autograder: {exc}") from None
        return self.sessions[assignment]


STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("convdojo", "convdojo autograder (" + USAGE + ")")
    group.addoption("--notebook", action="append", default=[], metavar="PATH",
                    help="a notebook to grade; repeat for several")
    group.addoption("--device", choices=DEVICES, default=None,
                    help="where the checks run (default: CONVDOJO_DEVICE, else cuda if "
                         "available, else cpu)")
    group.addoption("--hidden", action="store_true",
                    help="also run the hidden checks, as `convdojo grade` does (instructors)")
    group.addoption("--student", default=None, metavar="ID",
                    help="grade on this student's numbers (default: the nbgrader folder the "
                         "notebook sits in, else JUPYTERHUB_USER; never the notebook's own)")


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "help", False) or getattr(config.option, "version", False):
        return
    if not config.getoption("notebook"):
        raise pytest.UsageError(f"the convdojo autograder needs a notebook: {USAGE}")
    config.stash[STATE] = _State(config.getoption("hidden"), config.getoption("device"),
                                 warm=not config.getoption("collectonly"))


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    for session in state.sessions.values() if state else ():
        session.close()


@pytest.hookimpl(tryfirst=True)  # before -k and --deselect choose among our items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    for raw in dict.fromkeys(config.getoption("notebook")):  # each notebook once
        path = Path(raw).absolute()
        # pytest reads node ids as relative to the rootdir (for -k, --lf, the summary).
        nodeid = (str(path.relative_to(config.rootpath)) if path.is_relative_to(
            config.rootpath) else str(path))
        node = NotebookFile.from_parent(session, path=path, nodeid=nodeid)
        node.shown = raw
        state.files.append(node)
        found = node.collect()
        # Reported like collected files, so the header counts them ("collected 7 items").
        config.hook.pytest_collectreport(
            report=pytest.CollectReport(node.nodeid, "passed", None, list(found)))
        items.extend(found)


class NotebookFile(pytest.File):
    """A notebook: graded once, the first time one of its exercises runs."""

    shown: str = ""  # the path as given on the command line
    inspection: validate.Inspection | None = None
    assignment: str | None = None
    exercises: list[Exercise] = []
    _graded: Graded | None = None
    _error: str | None = None

    def collect(self) -> list[pytest.Item]:
        state = self.config.stash[STATE]
        self.exercises = []
        try:
            self.inspection = validate.inspect(self.path)
        except OSError as exc:
            return [Broken.from_parent(self, name="notebook", message=(
                f"cannot read {self.shown}: {exc.strerror or exc}"))]
        self.assignment = self.inspection.assignment
        if self.assignment is None:
            text = " ".join(p.text for p in self.inspection.problems)
            return [Broken.from_parent(self, name="notebook", message=(
                f"{self.shown} cannot be graded: {text} Name it after its assignment "
                "(e.g. conv_shapes.ipynb) or use the notebook you were given."))]
        run = state.session(self.assignment)
        self.exercises = [Exercise.from_parent(self, name=spec.id, spec=spec)
                          for spec in run.specs]
        return list(self.exercises)

    def result(self, exercise: str) -> dict[str, Any]:
        """This exercise's CheckResult dict; the notebook runs on the first call."""
        from .grade.errors import GraderError

        if self._graded is None and self._error is None:
            assert self.inspection is not None and self.assignment is not None
            run = self.config.stash[STATE].session(self.assignment)
            try:
                from .identity import for_grading

                student, _ = for_grading(self.path, self.config.getoption("student"))
                self._graded = run.grade(self.inspection.data, student)
            except GraderError as exc:
                self._error = f"the grader could not run: {exc}"
        if self._error is not None:
            raise GraderFailed(self._error)
        assert self._graded is not None
        return next(r for r in self._graded.results if r["exercise_id"] == exercise)

    @property
    def notes(self) -> list[str]:
        return list(self._graded.notes) if self._graded else []


class ExerciseFailed(Exception):
    """An exercise that did not pass; its message is the check's feedback."""


class GraderFailed(Exception):
    """The sandbox could not run at all: the grader's fault, not the notebook's."""


class Exercise(pytest.Item):
    """One exercise of one notebook."""

    def __init__(self, *, spec: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.points = 0.0
        self.graded = False
        self.user_properties += [("notebook", getattr(self.parent, "shown", "")),
                                 ("max_points", _fmt(spec.points))]

    def runtest(self) -> None:
        parent = self.parent
        assert isinstance(parent, NotebookFile)
        self.graded = True  # it counts in the score even if the grader fails
        try:
            result = parent.result(self.name)
        except GraderFailed:
            self.user_properties.append(("points", "0"))
            raise
        self.points = float(result["score"])
        self.user_properties.append(("points", _fmt(self.points)))
        if result["status"] != "passed":
            raise ExerciseFailed(self._message(result))

    def _message(self, result: dict[str, Any]) -> str:
        from .checks import CheckResult

        lines = [CheckResult.from_dict(result).headline()]
        lines += [f"  {line}" for line in result.get("feedback", [])]
        parent = self.parent
        insp = parent.inspection if isinstance(parent, NotebookFile) else None
        # An unreadable notebook's problem is already the feedback ("could not be read").
        for problem in insp.problems if insp and insp.cells is not None else []:
            if problem.item in (None, self.name):  # why the grader saw this answer
                lines.append(f"  Notebook problem: {problem.text}")
        return "\n".join(lines)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, (ExerciseFailed, GraderFailed)):
            return str(excinfo.value)  # the feedback, not a traceback into convdojo
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{getattr(self.parent, 'shown', '')}::{self.name}"


class Broken(pytest.Item):
    """A notebook that cannot be graded at all (missing, or of no known assignment)."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message
        self.user_properties.append(("notebook", getattr(self.parent, "shown", "")))

    def runtest(self) -> None:
        raise ExerciseFailed(self.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, ExerciseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{getattr(self.parent, 'shown', '')}::{self.name}"


def pytest_terminal_summary(terminalreporter: TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or not state.files or config.getoption("collectonly"):
        return
    tr = terminalreporter
    tr.write_sep("=", "convdojo autograder" + (" (with hidden checks)" if state.hidden else ""))
    total = maximum = 0.0
    for node in state.files:
        ran = [item for item in node.exercises if item.graded]  # -k may deselect some
        insp = node.inspection
        if node.assignment is None or not ran:
            if node.assignment is None:
                tr.write_line(f"{node.shown}: not graded (see its failure above)")
            continue
        got, out_of = sum(i.points for i in ran), sum(float(i.spec.points) for i in ran)
        total, maximum = total + got, maximum + out_of
        tr.write_line(f"{node.shown} ({node.assignment}): {_fmt(got)} / {_fmt(out_of)}")
        for text in (insp.warnings if insp else []) + node.notes:
            tr.write_line(f"  note: {text}")
        for problem in insp.problems if insp else []:
            tr.write_line(f"  notebook problem: {problem.text}")
    for assignment, run in state.sessions.items():
        if run.iso.student_note:
            tr.write_line(f"note ({assignment}): {run.iso.student_note}")
    tr.write_line(f"score: {_fmt(total)} / {_fmt(maximum)}")
    if not state.hidden and any(validate.has_hidden_checks(s) for run in
                                state.sessions.values() for s in run.specs):
        tr.write_line("Hidden checks exist and did not run (visible checks only): the "
                      "instructor's grade, with --hidden, may be lower.")
