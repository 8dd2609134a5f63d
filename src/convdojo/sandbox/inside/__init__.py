"""Code that runs inside the grading sandbox.

Nothing in this package imports ``convdojo``: inside the sandbox the name
``convdojo`` is a harmless stand-in, and the real package (with its hidden
variants and solutions) is not even mounted.  The grader outside imports
``wire`` and ``codec`` from here, which use only the standard library.
"""
