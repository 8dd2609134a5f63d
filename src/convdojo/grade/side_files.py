"""Files an assignment takes beside its notebook (the mini-project's trained weights).

The sandbox is sent one notebook, nothing else. So the trusted side reads each declared
file (``ProjectSpec.weights_file``) from the submission's folder, without following links,
regular files only, at most ``MAX_SIDE`` bytes. It appends them to the notebook's first
code cell as base64 literals, with a few lines that write them into the sandbox's scratch
folder, its working directory. They run before any answer and keep every cell's number.
Nothing in them is trusted: they are the student's data, written where the student's own
code could write them. The digest of a submission then covers them, so a new weights file
is graded again.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

from convdojo.sandbox.inside.notebook import NotebookError, load_json

from .. import specs

__all__ = ["MAX_SIDE", "declared", "bundle"]

MAX_SIDE = 2 * 2**20  # a 5,000-parameter network's .npz is about 21 KB

_WRITER = """

# convdojo grader: the files submitted beside this notebook, put beside it here
import base64 as _cdj_b64
for _cdj_name, _cdj_data in {files!r}.items():
    with open(_cdj_name, "wb") as _cdj_out:
        _cdj_out.write(_cdj_b64.b64decode(_cdj_data))
del _cdj_b64, _cdj_name, _cdj_data, _cdj_out
"""


def declared(assignment: str) -> tuple[str, ...]:
    """The file names the assignment's exercises take beside the notebook."""
    try:
        exercises = specs.assignment(assignment).exercises
    except specs.UnknownAssignment:
        return ()
    names = (getattr(specs.get(e), "weights_file", "") for e in exercises)
    return tuple(n for n in names if n)


def _read_beside(folder: Path, name: str) -> bytes | None:
    try:
        fd = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None  # missing, a link, unreadable: the notebook says what is missing
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        data = fh.read(MAX_SIDE + 1)
    return data if len(data) <= MAX_SIDE else None


def bundle(data: bytes, folder: Path, assignment: str) -> bytes:
    """The notebook with its declared side files inside; unchanged when there are none."""
    names = declared(assignment)
    files = {n: b for n in names if (b := _read_beside(folder, n)) is not None}
    if not files:
        return data
    try:
        nb = load_json(data)
        cell = next(c for c in nb["cells"] if isinstance(c, dict)
                    and c.get("cell_type") == "code")
    except (NotebookError, KeyError, TypeError, StopIteration):
        return data  # not a notebook the sandbox could run anyway: it says so itself
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    encoded = {n: base64.b64encode(b).decode("ascii") for n, b in files.items()}
    cell["source"] = source + _WRITER.format(files=encoded)
    return json.dumps(nb).encode("utf-8")
