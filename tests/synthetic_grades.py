"""A synthetic grades.json (as ``convdojo grade`` writes it) for report tests and the bench.

Every planted misconception is recorded, so a test can compare the report with the plan.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

# exercise -> (points, [(code, share of students, the failing finding's message)])
EXERCISES: dict[str, tuple[float, list[tuple[str, float, str]]]] = {
    "channels": (2, [("padding.missing", 0.3, "On input (4, 3, 16, 16) (shown input) expected "
                      "(4, 16, 16, 16), got (4, 16, 14, 14).")]),
    "padding": (2, [("padding.unneeded", 0.15, "padding is ((1, 1), (1, 1)), but the prompt "
                     "asks for no padding.")]),
    "stride": (2, [("padding.miscounted", 0.2, "expected (4, 3, 32, 32), got (4, 3, 31, 31).")]),
    "combination": (2, [("padding.missing", 0.2, "expected (4, 16, 16, 16), got (4, 16, 15, "
                         "15).")]),
    "weight_shape": (1, [("weights.tf_order", 0.35, "(5, 5, 3, 5) is not right.")]),
    "param_count": (1, [("params.bias_forgotten", 0.4, "375 is not right."),
                        ("params.kernel_only", 0.1, "25 is not right.")]),
}


@dataclass
class Plan:
    grades: dict[str, Any]
    by_code: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unanswered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    problems: dict[str, str] = field(default_factory=dict)  # student -> run status


def _result(ex: str, points: float, status: str, code: str | None, text: str) -> dict[str, Any]:
    findings = [] if status != "failed" else [
        {"group": "shape", "passed": False, "message": text, "hidden": False,
         "secondary": False, "misconception": code},
        {"group": "variants", "passed": False, "message": "On a hidden input (a small size) "
         "the output has the wrong H, W.", "hidden": True, "secondary": False,
         "misconception": code}]
    score = {"passed": points, "failed": round(points * 0.25, 2)}.get(status, 0.0)
    return {"exercise_id": ex, "score": score, "max_score": points, "status": status,
            "feedback": [text] if status != "passed" else ["All checks passed."],
            "findings": findings, "passed": status == "passed"}


def make_grades(n: int, seed: int = 3) -> Plan:
    rng = random.Random(seed)
    plan = Plan({"assignment": "conv_shapes", "title": "Convolution shapes",
                 "titles": {ex: ex.replace("_", " ").title() for ex in EXERCISES},
                 "generated": "2026-12-01T00:00:00+00:00", "students": []})
    for i in range(n):
        sid = f"student{i:04d}"
        run = {"status": "ok"}
        if i % 97 == 13:
            run = {"status": "timeout"}
        elif i % 101 == 7:
            run = {"status": "fatal", "fatal": "not valid JSON"}
        results = []
        for ex, (points, mistakes) in EXERCISES.items():
            if run["status"] != "ok":
                status = "timeout" if run["status"] == "timeout" else "error"
                results.append(_result(ex, points, status, None, "The notebook stopped."))
                continue
            roll, code, text = rng.random(), None, ""
            for c, share, message in mistakes:
                if roll < share:
                    code, text = c, message
                    break
                roll -= share
            if code is None and rng.random() < 0.05:
                plan.unanswered[ex] += 1
                results.append(_result(ex, points, "unanswered", None, "Not answered yet."))
                continue
            if code:
                plan.by_code[code].add(sid)
            results.append(_result(ex, points, "failed" if code else "passed", code, text))
        if run["status"] != "ok":
            plan.problems[sid] = run["status"]
        plan.grades["students"].append({
            "student_id": sid, "score": sum(r["score"] for r in results),
            "max_score": sum(r["max_score"] for r in results), "run": run,
            "notes": ["The notebook was still running after the 60 s limit."]
            if run["status"] == "timeout" else [], "exercises": results})
    return plan
