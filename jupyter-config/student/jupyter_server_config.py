"""The student's JupyterLab (``make lab``), read because make puts this folder on JUPYTER_CONFIG_PATH.

- convdojo's Validate (server extension ``convdojo.labext`` and its toolbar button) replaces
  nbgrader's; nbgrader's instructor and exchange extensions are off (labconfig/page_config.json
  turns off their front ends, as ``jupyter labextension disable`` would).
- Terminals run a non-login shell with the kit's ``.venv/bin`` first on PATH, so
  ``convdojo validate`` works however JupyterLab was started (terminal, service, nohup).
- Nothing asks the network for news or updates.
"""

import os
import shutil
import sys
from pathlib import Path

from convdojo.labext import LABEXTENSION

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

NBGRADER = "nbgrader.server_extensions."
c.ServerApp.jpserver_extensions = {
    "convdojo.labext": True,
    NBGRADER + "formgrader": False,
    NBGRADER + "course_list": False,
    NBGRADER + "assignment_list": False,  # no exchange for a local lab: nothing to list
    NBGRADER + "validate_assignment": False,  # convdojo's Validate instead
}
c.LabApp.extra_labextensions_path = [str(LABEXTENSION)]
c.LabApp.default_url = "/lab/tree/exercises"
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

# The environment that runs this server (make's .venv) goes first on PATH for kernels and
# terminals; a login shell would reset PATH from /etc/profile, so terminals start a plain one.
BIN = str(Path(sys.prefix) / "bin")
PATH = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != BIN]
os.environ["PATH"] = os.pathsep.join([BIN] + (PATH or ["/usr/local/bin", "/usr/bin", "/bin"]))
SHELL = os.environ.get("SHELL") or shutil.which("bash") or shutil.which("sh") or "/bin/sh"
c.ServerApp.terminado_settings = {"shell_command": [SHELL]}
