"""Honest submissions: ``convdojo grade`` gives exactly what the self-check logic gives.

Each answer is also executed here, in-process, and ``convdojo.check(...,
hidden=True)`` is called on it; score, status and every feedback line that is
not about hidden inputs must match the grader's row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


from hostile.notebooks import SETUP, SOLUTIONS, fill, for_assignment, write

from convdojo import check, specs
from convdojo.checks import MISSING
from convdojo.grade import grade_batch

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

CONV_SHAPES: dict[str, dict[str, str]] = {
    "solutions": dict(SOLUTIONS),
    "variations": {
        "worked_7x7": "conv7 = nn.Conv2d(1, 1, 3, padding=1)",
        "channels": 'conv = nn.Conv2d(3, 16, 3, padding="same")',
        "padding": "conv = nn.Conv2d(16, 16, 5, padding=0)",
        "stride": "conv = nn.Conv2d(3, 3, 5, stride=2)",
        "combination": "conv = nn.Conv2d(3, 16, 3, stride=(2, 2), padding=(1, 1), bias=False)",
        "weight_shape": "weight_shape = [5, 3, 5, 5]",
        "param_count": "n_params = 375",
    },
    "odd_types": {
        "worked_7x7": "conv7 = nn.Conv2d",
        "channels": 'conv = nn.Conv2d(3, 16, 3, padding=1, padding_mode="reflect")',
        "padding": "conv = nn.Sequential(nn.Conv2d(16, 16, 5))",
        "stride": "conv = nn.Conv2d(3, 3, 5, stride=2, padding=2)\nconv.padding = (1, 1)",
        "combination": "conv = nn.ConvTranspose2d(3, 16, 3)",
        "weight_shape": "weight_shape = torch.Size([5, 3, 5, 5])",
        "param_count": "import numpy as np\nn_params = np.int64(380)",
    },
    "weights_matter": {
        "worked_7x7": "pass",
        "channels": "conv = nn.Conv2d(3, 16, 3, padding=1)\nconv.weight.requires_grad_(False)",
        "padding": "conv = nn.Conv2d(16, 16, 5).double()",
        "stride": "conv = nn.Conv2d(3, 3, 5, 2, 2)\nwith torch.no_grad():\n"
                  "    conv.weight.zero_()\n    conv.bias.zero_()",
        "combination": "conv = torch.zeros(4, 16, 16, 16)",
        "weight_shape": 'weight_shape = "5, 3, 5, 5"',
        "param_count": "n_params = 380.0",
    },
    "unanswered": {},
}


def _solutions(name: str) -> dict[str, str]:
    return {e: specs.get(e).solution for e in specs.assignment(name).exercises}


OTHER: dict[str, dict[str, dict[str, str]]] = {
    name: {"solutions": _solutions(name), "unanswered": {}}
    for name in [a.name for a in specs.assignments() if a.name != "conv_shapes"]
}
if "conv_params" in [s.id for s in specs.all_specs()]:
    OTHER.setdefault("modern_convs", {})["wrong_functions"] = {
        "conv_params": "def conv_params(i, o, k, bias=True, groups=1):\n"
                       "    k = k if isinstance(k, int) else k[0]\n    return o * i * k * k",
    }
if "receptive_field" in [s.id for s in specs.all_specs()]:
    OTHER.setdefault("stacking", {})["wrong_functions"] = {
        "receptive_field": "def receptive_field(layers):\n"
                           "    if len(layers) > 3:\n        raise ValueError('too deep')\n"
                           "    return float(sum(k for k, s, d in layers))",
        "channels_last": "def to_nchw(image):\n    t = torch.as_tensor(image)\n"
                         "    t = t[None] if t.dim() == 3 else t\n"
                         "    return t.reshape(t.shape[0], t.shape[3], t.shape[1], t.shape[2])"
                         ".float()",
    }

if "causal_stack" in [s.id for s in specs.all_specs()]:  # 1-D and 3-D layers through the wall
    OTHER.setdefault("beyond_2d", {})["mistakes"] = {
        "audio_frontend": "frontend = nn.Conv1d(1, 32, 8, stride=4)",
        "causal_stack": "causal = nn.Sequential(*[nn.Conv1d(16, 16, 3, dilation=d, padding=d)\n"
                        "                         for d in (1, 2, 4)])",
        "video_conv": "video = nn.Conv3d(3, 16, (1, 3, 3), stride=(2, 2, 2), padding=(0, 1, 1))",
        "conv3d_params": "def conv3d_params(i, o, k, bias=True):\n    return o * i * 9 + o",
    }


def in_process(exercise: str, source: str) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    exec(SETUP.replace("from convdojo import check", ""), ns)
    exec(source, ns)  # trusted test snippets
    value = ns.get(specs.get(exercise).answer_name, MISSING)
    return check(exercise, value, hidden=True).to_dict()


def _public(lines: list[str]) -> list[str]:
    return [line for line in lines if "hidden" not in line]


def _grade(tmp_path: Path, assignment: str, students: dict[str, dict[str, str]],
           released: bool) -> dict[str, Any]:
    submitted = tmp_path / "submitted"
    for student, answers in students.items():
        nb = fill(answers) if released else for_assignment(assignment, answers)
        write(submitted, student, nb, assignment=assignment)
    grade_batch(submitted, assignment=assignment, out=tmp_path / "out",
                workers=2 if released else 1, timeout=30)
    data = json.loads((tmp_path / "out" / "grades.json").read_text())
    return {s["student_id"]: {e["exercise_id"]: e for e in s["exercises"]}
            for s in data["students"]}


def _compare(got: dict[str, Any], assignment: str,
             students: dict[str, dict[str, str]]) -> list[str]:
    problems = []
    for student, answers in students.items():
        for ex in specs.assignment(assignment).exercises:
            var = specs.get(ex).answer_name
            source = answers.get(ex, f"{var} = None")
            want, row = in_process(ex, source), got[student][ex]
            if (row["score"], row["status"]) != (want["score"], want["status"]) or \
                    _public(row["feedback"]) != _public(want["feedback"]):
                problems.append(f"{student}/{ex}: grader {row['score']} {row['status']} "
                                f"{row['feedback']} != check {want['score']} {want['status']} "
                                f"{want['feedback']}")
    return problems


def test_conv_shapes_matches_self_check(tmp_path: Path) -> None:
    got = _grade(tmp_path, "conv_shapes", CONV_SHAPES, released=True)
    assert _compare(got, "conv_shapes", CONV_SHAPES) == []


@pytest.mark.parametrize("assignment", sorted(OTHER))
def test_other_assignments_match_self_check(tmp_path: Path, assignment: str) -> None:
    students = OTHER[assignment]
    got = _grade(tmp_path, assignment, students, released=False)
    assert _compare(got, assignment, students) == []


@pytest.mark.cuda
def test_cuda_checks_give_the_same_grades(tmp_path: Path) -> None:
    import torch
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    students = {"solutions": CONV_SHAPES["solutions"], "variations": CONV_SHAPES["variations"]}
    write_all = tmp_path / "submitted"
    for student, answers in students.items():
        write(write_all, student, fill(answers))
    grade_batch(write_all, assignment="conv_shapes", out=tmp_path / "cuda", workers=1,
                device="cuda")
    grade_batch(write_all, assignment="conv_shapes", out=tmp_path / "cpu", workers=1,
                device="cpu")
    scores = [{s["student_id"]: s["score"] for s in json.loads(
        (tmp_path / d / "grades.json").read_text())["students"]} for d in ("cuda", "cpu")]
    assert scores[0] == scores[1]


def _crash_once(exercise_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Kills its checker process the first time it sees 'padding' (see the test below)."""
    import os

    from convdojo.grade import checker
    flag = Path(os.environ["CONVDOJO_TEST_CRASH_FLAG"])
    if exercise_id == "padding" and not flag.exists():
        flag.write_text("crashed")
        os._exit(1)
    # In the spawned replacement pool nothing is patched: check_one is the real one there.
    original = getattr(checker, "_original_check_one", checker.check_one)
    return original(exercise_id, *args, **kwargs)


def test_a_dead_checker_is_replaced_and_its_work_redone(tmp_path: Path, monkeypatch) -> None:
    from convdojo.grade import checker
    monkeypatch.setenv("CONVDOJO_TEST_CRASH_FLAG", str(tmp_path / "crashed"))
    monkeypatch.setattr(checker, "_original_check_one", checker.check_one, raising=False)
    monkeypatch.setattr(checker, "check_one", _crash_once)
    for student in ("a", "b"):
        write(tmp_path / "submitted", student, fill(SOLUTIONS))
    grade_batch(tmp_path / "submitted", assignment="conv_shapes", out=tmp_path / "out",
                workers=1)
    assert (tmp_path / "crashed").exists()
    data = json.loads((tmp_path / "out" / "grades.json").read_text())
    assert [s["score"] for s in data["students"]] == [11, 11]
