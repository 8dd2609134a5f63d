"""nbgrader course configuration for convdojo.

nbgrader's course directory is the kit itself: ``source`` is ``solutions/`` and
``release`` is ``exercises/``. Submitted, autograded and feedback folders, and the
gradebook, go wherever the instructor points them:

``CONVDOJO_COURSE``     folder for submitted/, autograded/, feedback/ and gradebook.db
                        (default: ``course/`` in the kit, which git ignores).
``CONVDOJO_GRADEBOOK``  the gradebook instead: any SQLAlchemy URL, or a path to a SQLite
                        file (default: ``$CONVDOJO_COURSE/gradebook.db``).
``CONVDOJO_ROOT``       the kit (default: the folder above ``autograder/``; a copy of this
                        file saved elsewhere as ``nbgrader_config.py`` uses its own folder).
``CONVDOJO_COURSE_ID``  nbgrader's course id (default ``convdojo``).

Relative paths in these variables are relative to the folder nbgrader runs in.
nbgrader reads ``nbgrader_config.py`` from its working directory: run it from
``autograder/`` (``cd autograder && nbgrader autograde conv_shapes``). Options on the
command line (``--CourseDirectory.db_url=...``) still win over this file.
nbgrader calls the ``alembic`` command when it creates a gradebook: keep the
virtualenv's ``bin/`` on PATH (activate it).
"""

import os
from pathlib import Path

from convdojo.notebooks.layout import CODE_STUB, TEXT_STUB

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent


def _path(value, default):
    return Path(value).expanduser().resolve() if value else default


ROOT = _path(os.environ.get("CONVDOJO_ROOT"), HERE.parent if HERE.name == "autograder" else HERE)
COURSE = _path(os.environ.get("CONVDOJO_COURSE"), ROOT / "course")
GRADEBOOK = os.environ.get("CONVDOJO_GRADEBOOK", "").strip()
if "://" not in GRADEBOOK:  # a SQLite file (or nothing: the default one)
    db_file = _path(GRADEBOOK, COURSE / "gradebook.db")
    # SQLite cannot create the folder, and nbgrader's error would only say
    # "unable to open database file".
    db_file.parent.mkdir(parents=True, exist_ok=True)
    GRADEBOOK = "sqlite:///" + str(db_file)

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = os.environ.get("CONVDOJO_COURSE_ID", "convdojo")
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Absolute paths: nbgrader joins them onto the root, and an absolute path wins.
c.CourseDirectory.submitted_directory = str(COURSE / "submitted")
c.CourseDirectory.autograded_directory = str(COURSE / "autograded")
c.CourseDirectory.feedback_directory = str(COURSE / "feedback")
c.CourseDirectory.db_url = GRADEBOOK
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# Answer cells keep the line that sets the answer to None, so the released notebook
# runs to the end and its self-checks say "not answered yet".
c.ClearSolutions.code_stub = {"python": CODE_STUB}
c.ClearSolutions.text_stub = TEXT_STUB

# The autograded cells are cheap; a hostile submission must not hang autograde.
c.Execute.timeout = 120
