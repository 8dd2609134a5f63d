"""nbgrader for a student's server: the course's exchange, nothing else.

The hub puts this folder on JUPYTER_CONFIG_PATH for every student and sets the variables.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets)
c.Exchange.root = os.environ["CONVDOJO_EXCHANGE"]
c.CourseDirectory.course_id = os.environ["CONVDOJO_COURSE_ID"]
