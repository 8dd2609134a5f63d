"""A stand-in ``convdojo`` package, mounted as ``convdojo`` inside the grading sandbox.

The real package holds the hidden variants and the solutions, so it is never
visible to student code; this one only keeps ``from convdojo import check``
and the widgets importable.  Its contents live in ``stub/convdojo``.
"""
