"""Finding submissions in nbgrader's layout and reading them without following links.

Nothing under ``submitted/`` is dropped silently: a folder that is not graded is
a ``Skipped`` with the reason, and a notebook that is not a regular file (a
folder, a FIFO, a socket, a device, a symlink) is a submission with a problem.
Nothing here ever blocks on what a student put there.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .records import safe_text

__all__ = ["Submission", "Skipped", "discover", "MAX_NOTEBOOK"]

MAX_NOTEBOOK = 32 * 2**20


@dataclass
class Submission:
    student_id: str  # the folder's name, made safe to store (see records.safe_text)
    path: Path
    data: bytes | None = None
    digest: str | None = None
    problem: str | None = None  # why there is nothing to run


@dataclass(frozen=True)
class Skipped:
    """A folder under ``submitted/`` that is not graded, and why."""

    folder: str
    reason: str


def _kind(mode: int) -> str | None:
    """What a path is when it is not what we need, in words."""
    for test, what in ((stat.S_ISLNK, "a symbolic link (links are not followed)"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "not a regular file"


def discover(submitted: Path, assignment: str,
             notebook: str) -> tuple[list[Submission], list[Skipped]]:
    """nbgrader's layout: SUBMITTED/<student>/<assignment>/<notebook>."""
    from . import side_files  # reads the specs, so torch: only once there is work

    subs, skipped = [], []
    for entry in sorted(submitted.iterdir(), key=lambda p: p.name):
        name = safe_text(entry.name)
        why = _skip_reason(entry, assignment)
        if why:
            skipped.append(Skipped(name, why))
            continue
        sub = Submission(name, entry / assignment / notebook)
        _read(sub)
        if sub.data is not None:  # the files the assignment takes beside the notebook
            sub.data = side_files.bundle(sub.data, sub.path.parent, assignment)
            sub.digest = hashlib.sha256(sub.data).hexdigest()
        subs.append(sub)
    return subs, skipped


def _skip_reason(entry: Path, assignment: str) -> str | None:
    if entry.name.startswith("."):
        return "hidden (its name starts with a dot)"
    mode = entry.lstat().st_mode
    if not stat.S_ISDIR(mode):
        return f"not a student folder: it is {_kind(mode) or 'a file'}"
    folder = entry / assignment
    try:
        inner = folder.lstat().st_mode
    except FileNotFoundError:
        others = sorted(p.name for p in entry.iterdir() if p.name.lower() == assignment.lower()
                        or p.name.lower().replace("-", "_") == assignment)
        if others:
            return (f"misnamed: {safe_text(others[0])}/ instead of {assignment}/ (rename it "
                    "to grade it)")
        return f"no {assignment}/ folder in it"
    except OSError as exc:
        return f"its {assignment}/ folder cannot be read ({exc.strerror})"
    if not stat.S_ISDIR(inner):
        return f"its {assignment}/ is {_kind(inner)}, not a folder"
    return None


def _read(sub: Submission) -> None:
    folder = sub.path.parent
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer that never comes
        fd = os.open(sub.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        others = sorted(safe_text(p.name) for p in folder.glob("*.ipynb"))
        sub.problem = (f"No notebook named {sub.path.name} was submitted"
                       + (f" (found: {', '.join(others)})" if others else "") + ".")
        return
    except OSError as exc:
        try:
            what = _kind(sub.path.lstat().st_mode)
        except OSError:
            what = None
        sub.problem = (f"The submitted {sub.path.name} is {what}, not a notebook file."
                       if what else
                       f"The submitted notebook could not be opened ({exc.strerror}).")
        return
    what = _kind(os.fstat(fd).st_mode)
    if what:
        os.close(fd)
        sub.problem = f"The submitted {sub.path.name} is {what}, not a notebook file."
        return
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_NOTEBOOK + 1)
    if len(data) > MAX_NOTEBOOK:
        sub.problem = f"The notebook is larger than {MAX_NOTEBOOK // 2**20} MiB."
        return
    sub.data, sub.digest = data, hashlib.sha256(data).hexdigest()
