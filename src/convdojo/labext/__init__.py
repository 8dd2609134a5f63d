"""JupyterLab's Validate button for convdojo: a server extension plus a small front end.

The server extension answers ``POST /convdojo/validate`` with the report that
``convdojo validate`` prints, for a notebook path under the server's root.  It
keeps one warm :class:`~convdojo.grade.session.Session` per assignment, so every
validation after the first skips the sandbox's start and torch's import.  The
front end (``labextensions/convdojo-validate/``, a prebuilt federated extension with no build step)
adds a Validate button to each notebook's toolbar: it saves the notebook, asks
the server, and shows the report in a panel beside the notebook.

Enable it with ``--ServerApp.jpserver_extensions='{"convdojo.labext": true}'`` and
``--LabApp.extra_labextensions_path=<this folder>/labextensions`` (``make lab``
does both through ``jupyter-config/student``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["LABEXTENSION", "_jupyter_server_extension_points", "_load_jupyter_server_extension"]

LABEXTENSION = Path(__file__).resolve().parent / "labextensions"  # holds convdojo-validate/


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "convdojo.labext"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextensions/convdojo-validate", "dest": "convdojo-validate"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from .handlers import setup

    setup(serverapp)
