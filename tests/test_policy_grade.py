"""The grading policy through the real ``convdojo grade``: forgeries, frozen weights, counts.

One batch: an honest bystander, a forger, a student with frozen weights and odd but right
value answers, and a student whose partial credit the policy caps. Scores are read from
grades.csv and must equal what the self-check gives the same answers.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from hostile.notebooks import SOLUTIONS, fill, write

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

CONVDOJO = str(Path(sys.executable).parent / "convdojo")

STUDENTS: dict[str, dict[str, str]] = {
    "honest": {},
    "forger": {
        # a 3×3 convolution labelled 5×5: it computes with its 3×3 weight
        "stride": "conv = nn.Conv2d(3, 3, 3, stride=2, padding=1)\nconv.kernel_size = (5, 5)",
        # a 5×5 convolution whose weight was swapped for a 3×3 one
        "channels": "conv = nn.Conv2d(3, 16, 5, padding=1)\n"
                    "conv.weight = nn.Parameter(torch.randn(16, 3, 3, 3))",
    },
    "frozen": {
        "channels": "conv = nn.Conv2d(3, 16, 3, padding=1).requires_grad_(False)",
        "padding": "conv = nn.Conv2d(16, 16, 5)\nw = conv.weight.detach()\ndel conv.weight\n"
                   "conv.register_buffer('weight', w)",
        "param_count": "import numpy as np\nn_params = np.int64(380)",
        "weight_shape": "weight_shape = torch.Size([5, 3, 5, 5])",
    },
    "capped": {
        "channels": "conv = nn.Conv2d(3, 16, 3)",
        "stride": "conv = nn.Conv2d(3, 3, 3, stride=2, padding=1)",
        "param_count": "n_params = 380.0",
        "weight_shape": "weight_shape = [5, 3, 5, 5.5]",
    },
}

# (student, exercise) -> points; every other exercise gets full marks
EXPECTED = {
    ("forger", "stride"): 1.0, ("forger", "channels"): 1.0,
    ("frozen", "channels"): 1.8, ("frozen", "padding"): 1.8,
    ("capped", "channels"): 0.5, ("capped", "stride"): 1.0, ("capped", "weight_shape"): 0.0,
}
WORDS = {
    ("forger", "stride"): "kernel_size says (5, 5) but the weight is 3×3",
    ("forger", "channels"): "kernel_size says (5, 5) but the weight is 3×3",
    ("frozen", "channels"): "cannot learn",
    ("frozen", "padding"): "cannot learn",
    ("capped", "channels"): "At most 25 % of the points",
    ("capped", "weight_shape"): "contains 5.5, which is not a whole number",
}
FULL = {"worked_7x7": 1, "channels": 2, "padding": 2, "stride": 2, "combination": 2,
        "weight_shape": 1, "param_count": 1}


def test_convdojo_grade_follows_the_policy(tmp_path: Path) -> None:
    sub, out = tmp_path / "sub", tmp_path / "out"
    for student, answers in STUDENTS.items():
        write(sub, student, fill({**SOLUTIONS, **answers}))
    done = subprocess.run([CONVDOJO, "grade", str(sub), "--assignment", "conv_shapes",
                           "--out", str(out), "--workers", "1", "--device", "cpu"],
                          capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    with open(out / "grades.csv", newline="") as fh:
        rows = {(r["student_id"], r["exercise_id"]): r for r in csv.DictReader(fh)}
    assert len(rows) == len(STUDENTS) * len(FULL)
    for (student, exercise), row in rows.items():
        want = EXPECTED.get((student, exercise), FULL[exercise])
        assert float(row["score"]) == want, (student, exercise, row)
        if (student, exercise) in WORDS:
            assert WORDS[student, exercise] in row["feedback"], row["feedback"]
    assert all(rows["honest", ex]["status"] == "passed" for ex in FULL)
    _same_as_the_self_check(rows)


def _same_as_the_self_check(rows: dict) -> None:
    import torch
    from torch import nn

    from convdojo import check, specs
    for student, answers in STUDENTS.items():
        for exercise, source in answers.items():
            namespace = {"torch": torch, "nn": nn}
            exec(source, namespace)  # the test's own answers, not a submission
            result = check(exercise, namespace[specs.get(exercise).answer_name], hidden=True)
            assert float(rows[student, exercise]["score"]) == result.score, (student, exercise)
