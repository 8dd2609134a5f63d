"""Stand-in for convdojo inside the grader's sandbox: checks and widgets do nothing here.

The grade is decided outside the sandbox, from what your answers are, by the
same checks you ran in the notebook (plus the grader's hidden inputs).
"""

from __future__ import annotations

from typing import Any

__all__ = ["check", "CheckResult", "__version__"]
__version__ = "0.1.0"

NOTE = "convdojo.check does nothing while grading: the grader checks your answers itself."


class CheckResult:
    """What ``check`` returns here: no score, only the note."""

    score = 0.0
    max_score = 0.0
    status = "not checked"
    passed = False
    feedback = [NOTE]

    def report(self) -> float:
        print(NOTE)
        return 0.0

    def headline(self) -> str:
        return NOTE

    def __repr__(self) -> str:
        return NOTE

    def _repr_html_(self) -> str:
        return f"<p>{NOTE}</p>"


def check(*args: Any, **kwargs: Any) -> CheckResult:
    """No-op stand-in for ``convdojo.check``."""
    print(NOTE)
    return CheckResult()


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return _NoOp(name)


class _NoOp:
    """Anything else from convdojo: callable, indexable, and silent."""

    def __init__(self, name: str = "convdojo") -> None:
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> "_NoOp":
        return self

    def __getattr__(self, name: str) -> "_NoOp":
        if name.startswith("__"):
            raise AttributeError(name)
        return _NoOp(f"{self._name}.{name}")

    def __repr__(self) -> str:
        return f"<{self._name}: inactive while grading>"

    def _ipython_display_(self) -> None:
        print(f"{self._name} is inactive while grading.")
