"""nbgrader for an instructor's server (Formgrader, and `nbgrader ...` in its terminals).

The hub puts this folder on JUPYTER_CONFIG_PATH for instructors and sets the variables:
the course folder (a copy of the kit's autograder/nbgrader_config.py lives there and
decides source, release, submitted, feedback and the gradebook), the exchange and the
course id. Formgrader reads only this file and the working directory's, so the course's
own config is loaded from here.
"""

import os
from pathlib import Path

from nbconvert.exporters import HTMLExporter
from traitlets import default

c = get_config()  # noqa: F821  (provided by traitlets)
COURSE = Path(os.environ["CONVDOJO_HUB_COURSE"])
load_subconfig(str(COURSE / "nbgrader_config.py"))  # noqa: F821
c.CourseDirectory.root = str(COURSE)
c.CourseDirectory.course_id = os.environ["CONVDOJO_COURSE_ID"]
c.Exchange.root = os.environ["CONVDOJO_EXCHANGE"]

# Feedback: nbgrader's page for each notebook, with convdojo's per-exercise page
# (from `convdojo grade --out COURSE/course/convdojo`) embedded at its top. nbgrader forces
# its template "feedback"; the hub puts deploy/share on the instructor's JUPYTER_PATH, whose
# nbconvert/templates/feedback/convdojo_index.html.j2 extends nbgrader's index.html.j2.
CONVDOJO_FEEDBACK = COURSE / "course" / "convdojo" / "feedback"


def convdojo_page(student: str) -> str:
    """convdojo's feedback page for ``student`` (HTML), or a note that there is none."""
    page = CONVDOJO_FEEDBACK / f"{student}.html"
    if page.is_file():
        return page.read_text(encoding="utf-8")
    return "<p>convdojo has not graded this submission (run convdojo grade, then generate feedback again).</p>"


class ConvdojoFeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter, with convdojo's page; Formgrader's own pages keep theirs."""

    @default("template_file")
    def _template_file_default(self) -> str:
        return "convdojo_index.html.j2"

    def default_filters(self):
        yield from super().default_filters()
        yield ("convdojo_page", convdojo_page)


c.GenerateFeedback.exporter_class = ConvdojoFeedbackExporter
