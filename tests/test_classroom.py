"""autograder/classroom.yml (the README's GitHub Classroom workflow) agrees with the specs."""

from __future__ import annotations

from pathlib import Path

import yaml

from convdojo import specs

WORKFLOW = Path(__file__).resolve().parents[1] / "autograder" / "classroom.yml"
NOTEBOOK = "exercises/conv_shapes/conv_shapes.ipynb"


def test_one_step_per_exercise_with_its_points() -> None:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["run-autograding-tests"]["steps"]
    graders = [s for s in steps if "autograding-command-grader" in s.get("uses", "")]
    assignment = specs.assignment("conv_shapes")
    assert [s["with"]["test-name"] for s in graders] == list(assignment.exercises)
    for step in graders:
        exercise = step["with"]["test-name"]
        command = step["with"]["command"].split()
        assert command[:4] == ["pytest", "autograder", "--notebook", NOTEBOOK]
        assert command[command.index("-k") + 1] == exercise
        # -k matches substrings: no other exercise id may contain this one
        assert not [e for e in assignment.exercises if exercise in e and e != exercise]
        assert step["with"]["max-score"] == specs.get(exercise).points
    reporter = next(s for s in steps if "grading-reporter" in s.get("uses", ""))
    assert reporter["with"]["runners"].split(",") == [s["id"] for s in graders]
    for step in graders:
        key = f"{step['id'].upper()}_RESULTS"
        assert reporter["env"][key] == f"${{{{ steps.{step['id']}.outputs.result }}}}"
