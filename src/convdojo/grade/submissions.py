"""Finding submissions in nbgrader's layout and reading them without following links."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Submission", "discover", "MAX_NOTEBOOK"]

MAX_NOTEBOOK = 32 * 2**20


@dataclass
class Submission:
    student_id: str
    path: Path
    data: bytes | None = None
    digest: str | None = None
    problem: str | None = None  # why there is nothing to run


def discover(submitted: Path, assignment: str, notebook: str) -> list[Submission]:
    """nbgrader's layout: SUBMITTED/<student>/<assignment>/<notebook>."""
    subs = []
    for entry in sorted(submitted.iterdir(), key=lambda p: p.name):
        folder = entry / assignment
        if entry.name.startswith(".") or entry.is_symlink() or not entry.is_dir() \
                or folder.is_symlink() or not folder.is_dir():
            continue
        sub = Submission(entry.name, folder / notebook)
        _read(sub, folder)
        subs.append(sub)
    return subs


def _read(sub: Submission, folder: Path) -> None:
    try:
        fd = os.open(sub.path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        others = sorted(p.name for p in folder.glob("*.ipynb"))
        sub.problem = (f"No notebook named {sub.path.name} was submitted"
                       + (f" (found: {', '.join(others)})" if others else "") + ".")
        return
    except OSError as exc:
        sub.problem = f"The submitted notebook could not be opened ({exc.strerror})."
        return
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_NOTEBOOK + 1)
    if len(data) > MAX_NOTEBOOK:
        sub.problem = f"The notebook is larger than {MAX_NOTEBOOK // 2**20} MiB."
        return
    sub.data, sub.digest = data, hashlib.sha256(data).hexdigest()
