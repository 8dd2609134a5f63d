"""The grader's own failures (never a submission's): importable from anywhere, cheaply."""

from __future__ import annotations

__all__ = ["CannotStart", "GraderError"]


class GraderError(RuntimeError):
    """The grader itself could not run (not a problem with a submission)."""


class CannotStart(GraderError):
    """The sandbox worker could not start at all: no notebook is to blame."""
