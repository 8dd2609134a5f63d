"""Words and small helpers every part of the kit shares: one definition each."""

from __future__ import annotations

from .shapes import pair  # shapes.py also runs in the sandbox, without this package

__all__ = ["DEVICES", "STATUS_LABELS", "fmt_score", "pair", "status_label"]

DEVICES = ("cpu", "cuda", "meta")  # where checks may run (--device, CONVDOJO_DEVICE)

# How a result's status reads to a student, in every output (self-check, validate,
# pytest, the feedback pages).
STATUS_LABELS = {
    "passed": "passed",
    "failed": "not yet",
    "unanswered": "not answered yet",
    "invalid": "cannot be checked",
    "error": "could not be graded",
    "timeout": "timed out",
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def fmt_score(value: float) -> str:
    """A score as people read it: 2, 1.87, 0.5 (never 1.8700000001)."""
    return f"{round(float(value), 2):g}"
