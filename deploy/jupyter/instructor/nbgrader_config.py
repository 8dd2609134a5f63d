"""nbgrader for an instructor's server (Formgrader, and `nbgrader ...` in its terminals).

The hub puts this folder on JUPYTER_CONFIG_PATH for instructors and sets the variables:
the course folder (a copy of the kit's autograder/nbgrader_config.py lives there and
decides source, release, submitted, feedback and the gradebook), the exchange and the
course id. Formgrader reads only this file and the working directory's, so the course's
own config is loaded from here.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets)
COURSE = Path(os.environ["CONVDOJO_HUB_COURSE"])
load_subconfig(str(COURSE / "nbgrader_config.py"))  # noqa: F821
c.CourseDirectory.root = str(COURSE)
c.CourseDirectory.course_id = os.environ["CONVDOJO_COURSE_ID"]
c.Exchange.root = os.environ["CONVDOJO_EXCHANGE"]

# Feedback: nbgrader's page for each notebook, with convdojo's per-exercise page
# (from `convdojo grade --out COURSE/course/convdojo`) embedded at its end.
TEMPLATES = Path(os.environ["CONVDOJO_HUB_DEPLOY"]) / "templates"
NBGRADER_TEMPLATES = Path(__import__("nbgrader").__file__).parent / "server_extensions" / "formgrader" / "templates"
CONVDOJO_FEEDBACK = COURSE / "course" / "convdojo" / "feedback"


def convdojo_page(student: str) -> str:
    """convdojo's feedback page for ``student`` (HTML), or a note that there is none."""
    page = CONVDOJO_FEEDBACK / f"{student}.html"
    if page.is_file():
        return page.read_text(encoding="utf-8")
    return "<p>convdojo has not graded this submission (run convdojo grade, then generate feedback again).</p>"


c.HTMLExporter.template_name = "convdojo_feedback"
c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(NBGRADER_TEMPLATES)]
c.HTMLExporter.filters = {"convdojo_page": convdojo_page}
