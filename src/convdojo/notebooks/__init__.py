"""Building the nbgrader source notebooks and releasing the student versions."""
