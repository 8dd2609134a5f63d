"""CheckResult: a score plus feedback that renders as HTML in Jupyter and as text elsewhere."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

from ..vocab import fmt_score as _fmt
from .. import maths
from ..vocab import status_label
from .policy import points, verdict

__all__ = ["Finding", "CheckResult", "GROUPS"]

# What a finding is about; convdojo.checks.policy turns them into points. "shape" is the
# shown input (or a function's first case), "variants" every other input.
GROUPS = ("structure", "constraints", "shape", "variants", "values")

# The end of a hidden shape failure's message (checks/layer.py), said only when the shown inputs pass.
SEEN_ONLY = "Your layer may be right only for the sizes you have seen."

STATUSES = ("passed", "failed", "unanswered", "invalid", "error", "timeout")


@dataclass
class Finding:
    """One thing that was checked, and what the student should know about it."""

    group: str
    passed: bool
    message: str
    hidden: bool = False
    secondary: bool = False  # a slip with a small deduction, not the point of the exercise
    misconception: str | None = None  # a code of convdojo.specs.misconceptions (checks.diagnose)
    value: float | None = None  # a measured quantity the policy scores (a project's accuracy)


@dataclass
class CheckResult:
    exercise_id: str
    score: float
    max_score: float
    status: str
    feedback: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    # --- construction -------------------------------------------------------------
    @classmethod
    def from_findings(
        cls,
        exercise_id: str,
        max_score: float,
        findings: list[Finding],
        *,
        on_pass: list[str],
        on_fail: list[str],
        kind: str = "layer",
    ) -> "CheckResult":
        """Score findings with the grading policy (``convdojo.checks.policy``)."""
        if all(f.passed for f in findings):
            return cls(exercise_id, max_score, max_score, "passed", list(on_pass), findings)
        judged = verdict(kind, findings)
        score = points(max_score, judged.fraction)
        feedback = [f.message for f in findings if not f.passed and not f.hidden]
        hidden = [f for f in findings if f.hidden]
        failed = [f for f in hidden if not f.passed]
        if failed:
            # One line for all hidden failures: their labels, never their inputs.
            summary = f"{len(failed)} of {len(hidden)} hidden inputs failed. {failed[0].message}"
            if any(not f.passed and not f.hidden and f.group == failed[0].group for f in findings):
                # The shown inputs fail too: "right only for the sizes you have seen" is untrue.
                summary = summary.replace(f" {SEEN_ONLY}", "")
            feedback.append(summary)
        feedback += list(on_fail)
        if judged.why:
            feedback.append(judged.why)
        return cls(exercise_id, score, max_score, "failed", feedback, findings)

    @classmethod
    def simple(cls, exercise_id: str, max_score: float, status: str,
               *feedback: str) -> "CheckResult":
        """A result with no findings: unanswered, invalid usage, grader errors."""
        return cls(exercise_id, 0.0, max_score, status, list(feedback), [])

    # --- transport ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CheckResult":
        known = set(Finding.__dataclass_fields__)
        findings = [Finding(**{k: v for k, v in f.items() if k in known})
                    for f in data.get("findings", [])]
        return cls(data["exercise_id"], float(data["score"]), float(data["max_score"]),
                   data["status"], list(data.get("feedback", [])), findings)

    # --- rendering ----------------------------------------------------------------
    def headline(self) -> str:
        label = status_label(self.status)
        return f"{self.exercise_id}: {label} ({_fmt(self.score)}/{_fmt(self.max_score)} points)"

    def __str__(self) -> str:
        lines = [self.headline()]
        lines += [f"  {line}" for line in self.feedback]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"CheckResult({self.exercise_id!r}, status={self.status!r}, "
                f"score={_fmt(self.score)}/{_fmt(self.max_score)})")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        colour = {"passed": "#009E73", "failed": "#D55E00"}.get(self.status, "#E69F00")
        items = "".join(f"<li>{maths.html_line(line)}</li>" for line in self.feedback)
        return (
            f'<div class="convdojo-check" style="border-left:4px solid {colour};'
            f'padding:4px 10px;margin:4px 0">'
            f"<strong>{html.escape(self.headline())}</strong>"
            f'<ul style="margin:4px 0 0 0">{items}</ul></div>'
        )

    def _repr_markdown_(self) -> str:
        """The same feedback as Markdown, formulas as $LaTeX$ (for frontends that prefer it)."""
        lines = [f"**{maths.markdown_line(self.headline())}**", ""]
        lines += [f"- {maths.markdown_line(line)}" for line in self.feedback]
        return "\n".join(lines)

    def report(self) -> float:
        """Show the feedback and return the score (an nbgrader test cell's partial credit).

        In a kernel the output turns into "run this cell again" once the answer changes.
        """
        from .. import freshness

        freshness.show(self)
        return self.score


