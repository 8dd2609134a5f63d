"""nbgrader course configuration for convdojo.

nbgrader's course directory is the repository itself: ``source`` is ``solutions/``
and ``release`` is ``exercises/``. Submitted, autograded and feedback folders, and
the gradebook, go under ``CONVDOJO_COURSE`` (default: ``course/`` at the repo root,
which git ignores); point that variable anywhere, e.g. at a JupyterHub exchange's
course folder. Run nbgrader from this folder, or pass ``--config`` with this file.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

ROOT = Path(__file__).resolve().parent.parent
COURSE = Path(os.environ.get("CONVDOJO_COURSE", ROOT / "course")).resolve()

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = os.environ.get("CONVDOJO_COURSE_ID", "convdojo")
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Absolute paths: nbgrader joins them onto the root, and an absolute path wins.
c.CourseDirectory.submitted_directory = str(COURSE / "submitted")
c.CourseDirectory.autograded_directory = str(COURSE / "autograded")
c.CourseDirectory.feedback_directory = str(COURSE / "feedback")
c.CourseDirectory.db_url = "sqlite:///" + str(COURSE / "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# Answer cells keep the line that sets the answer to None, so the released notebook
# runs to the end and its self-checks say "not answered yet".
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The autograded cells are cheap; a hostile submission must not hang autograde.
c.ExecutePreprocessor.timeout = 120
c.Execute.timeout = 120
