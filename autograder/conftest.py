"""``pytest autograder --notebook PATH``: grade notebooks by their exercises.

The hooks live in the package (convdojo.pytest_plugin) so they are tested and
versioned with the checks; this folder holds no tests of its own.
"""

from convdojo.pytest_plugin import *  # noqa: F401,F403  (the plugin's hooks)
