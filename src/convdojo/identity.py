"""Who a notebook belongs to, for the student's own numbers, never for a grade.

In the student's kernel: ``JUPYTERHUB_USER`` when JupyterHub sets it, else the id
the student types into the first cell (``identify("s123")``). The grader never
trusts this: it takes the id from the submission's folder (``graded_student``)
and only compares the two, to flag a notebook set up for someone else.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .course import DEFAULT_SALT, OFF, Course
from .course import load as load_course

__all__ = ["Who", "identify", "current", "grading", "folder_student", "typed_student",
           "ID_VARIABLE"]

ID_VARIABLE = "STUDENT_ID"
_STATE: dict[str, object] = {}
_TYPED = re.compile(r"^\s*STUDENT_ID\s*=\s*(['\"])(.*?)\1", re.M)


@dataclass(frozen=True)
class Who:
    student: str | None
    course: Course
    how: str  # "JupyterHub", "typed", "folder", "none"


def identify(student_id: str = "", *, salt: str = DEFAULT_SALT, variants: bool = True) -> Who:
    """Set this kernel's student (the first cell calls it) and say whose numbers it shows."""
    typed = str(student_id or "").strip()
    hub = os.environ.get("JUPYTERHUB_USER", "").strip()
    if os.environ.get("CONVDOJO_VARIANTS", "").strip().lower() in OFF:
        variants = False  # the course switched them off where the notebooks run (a hub)
    _STATE.update(student=hub or typed or None, how="JupyterHub" if hub else
                  ("typed" if typed else "none"), course=Course(salt, variants))
    who = current()
    if not variants:
        print("This course uses the same numbers for everyone.")
    elif who.student:
        print(f"The exercises below show the numbers of student {who.student!r} ({who.how}).")
    else:
        print(f"Type your student id between the quotes of {ID_VARIABLE} above and run this "
              "cell again: every student gets their own numbers.")
    return who


def current() -> Who:
    """The kernel's student, as the first cell set it (JupyterHub's user if never set)."""
    course = _STATE.get("course")
    if not isinstance(course, Course):
        course = Course()
    student = _STATE.get("student")
    if student is None and "how" not in _STATE:
        student = os.environ.get("JUPYTERHUB_USER", "").strip() or None
    return Who(student if isinstance(student, str) else None, course,
               str(_STATE.get("how", "JupyterHub" if student else "none")))


def folder_student(path: Path | str) -> str | None:
    """The student id nbgrader's layout gives ``path`` (``.../<student>/<assignment>/``),
    when it sits in an ``autograded`` or ``submitted`` folder."""
    here = Path(path).resolve()
    parts = here.parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i - 1] in ("autograded", "submitted"):
            return parts[i]
    return None


def grading() -> Who:
    """The identity a hidden check (nbgrader's test cells) grades under: the folder's id
    when nbgrader runs the notebook in ``autograded/<student>/<assignment>/``, with the
    course secret; a student running the cell themselves gets their own, without it."""
    here = Path.cwd()
    student = folder_student(here)
    mine = current()
    if student is None:
        return Who(mine.student, mine.course, mine.how)
    from .course import find_course_dir

    # The grader's own settings decide (salt, switch, secret): never the notebook's cell.
    return Who(student, load_course(find_course_dir(here)), "folder")


def typed_student(notebook_text: str) -> str | None:
    """The id typed into a notebook's first cell, read as text (never run), to compare."""
    import json

    try:
        cells = json.loads(notebook_text.removeprefix("\ufeff")).get("cells", [])
        sources = ["".join(c["source"]) if isinstance(c.get("source"), list)
                   else str(c.get("source", "")) for c in cells if isinstance(c, dict)]
    except (ValueError, AttributeError, TypeError, KeyError, RecursionError):
        sources = [notebook_text]
    for source in sources:
        match = _TYPED.search(source)
        if match:
            return match.group(2).strip() or None
    return None


def for_grading(notebook: Path | str, given: str | None = None) -> tuple[str, str]:
    """(student id, where it came from) for a tool grading ``notebook`` outside nbgrader:
    ``given`` (``--student``), else the nbgrader folder it sits in, else JupyterHub's
    user; "" (the fixed numbers) when none says."""
    if given and given.strip():
        return given.strip(), "--student"
    folder = folder_student(Path(notebook).parent)
    if folder:
        return folder, "the submission folder"
    hub = os.environ.get("JUPYTERHUB_USER", "").strip()
    if hub:
        return hub, "JupyterHub"
    return "", "none"
