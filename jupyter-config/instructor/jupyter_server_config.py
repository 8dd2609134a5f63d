"""The instructor's JupyterLab (``make instructor``, started in ``autograder/``).

nbgrader's Formgrader and Create Assignment read ``autograder/nbgrader_config.py`` (nbgrader
looks in the server's working folder): the course is the kit, ``solutions/`` its source.
convdojo's Validate is there too; the student-side exchange tools are off (no exchange).
"""

import os
import sys
from pathlib import Path

from convdojo.labext import LABEXTENSION

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

NBGRADER = "nbgrader.server_extensions."
c.ServerApp.jpserver_extensions = {
    "convdojo.labext": True,
    NBGRADER + "formgrader": True,
    NBGRADER + "course_list": False,
    NBGRADER + "assignment_list": False,
    NBGRADER + "validate_assignment": False,
}
c.LabApp.extra_labextensions_path = [str(LABEXTENSION)]
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

BIN = str(Path(sys.prefix) / "bin")  # nbgrader runs `alembic` from here when it makes a gradebook
PATH = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != BIN]
os.environ["PATH"] = os.pathsep.join([BIN] + (PATH or ["/usr/local/bin", "/usr/bin", "/bin"]))
c.ServerApp.terminado_settings = {"shell_command": [os.environ.get("SHELL") or "/bin/bash"]}
