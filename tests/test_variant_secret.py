"""With a course secret set, the hidden inputs appear nowhere a student can read: not in
the installed package, not in exercises/, not in any self-check's output."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import torch
from torch import nn

import convdojo
from convdojo import check, specs
from convdojo.course import Course
from convdojo.course_secret import FIXED, Secret
from convdojo.specs.personal import personal, resolve

ROOT = Path(__file__).resolve().parent.parent
SECRET = Secret(b"a-real-course-secret-9d2e", "test")
STUDENTS = ["ana", "ben", "cat"]


def _hidden_texts(student: str) -> set[str]:
    """How each secret-drawn hidden input would be written: its shape, or its call."""
    course = Course("secret-salt", True, SECRET)
    texts = set()
    for spec in specs.all_specs():
        full = resolve(spec.id, student, course, hidden=True)
        drawn = {d.label: d for d in getattr(full, "hidden_draws", ())}
        for v in getattr(full, "variants", ()):
            d = drawn.get(v.label)
            # Not fixed by the rule itself, and not so small it matches some text by chance.
            if v.hidden and d is not None and d.low != d.high and \
                    math.prod(v.input_shape[2:]) >= 64:
                texts.add(str(tuple(v.input_shape)))
        for args, kwargs, hidden in getattr(full, "cases", ()):
            if hidden and not any(isinstance(a, np.ndarray) for a in args):
                texts.add(repr(args))
    return texts


def _shown() -> set[str]:
    """Every shown input: a hidden one that happens to equal one of them reveals nothing."""
    return {str(tuple(v.input_shape)) for spec in specs.all_specs()
            for v in getattr(spec, "variants", ())} | {
        str(tuple(spec.input_shape)) for spec in specs.all_specs() if spec.kind == "layer"}


def _readable() -> str:
    package = Path(convdojo.__file__).parent
    files = [p for p in package.rglob("*") if p.is_file() and p.suffix in (".py", ".json",
                                                                          ".toml", ".txt")]
    files += list((ROOT / "exercises").rglob("*.ipynb"))
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def _selfcheck_output(student: str) -> str:
    course = Course("secret-salt", True, SECRET)
    out = []
    for spec in specs.all_specs():
        mine = personal(spec.id, student, course)
        ns: dict = {"torch": torch, "nn": nn, "np": np}
        try:
            exec(mine.solution, ns)
        except Exception:  # noqa: BLE001  (a template-based solution: checked elsewhere)
            continue
        answer = ns[spec.answer_name]
        for result in (check(spec.id, answer, student=student, course=course),):
            out.append(str(result) + repr(result.to_dict()))
    return "\n".join(out)


def test_hidden_inputs_are_nowhere_a_student_reads() -> None:
    text = re.sub(r"\s+", " ", _readable())
    for student in STUDENTS:
        hidden = _hidden_texts(student) - _shown()
        assert len(hidden) > 15
        output = _selfcheck_output(student)
        assert not [h for h in hidden if h in text], "hidden inputs in the package/exercises"
        assert not [h for h in hidden if h in output], "hidden inputs in self-check output"


def test_the_secret_decides_the_hidden_inputs_and_fixed_seeds_are_stable() -> None:
    with_secret = _hidden_texts("ana")
    other = Course("secret-salt", True, Secret(b"another-secret", "test"))
    shapes = {str(tuple(v.input_shape)) for v in resolve("channels", "ana", other, True).variants
              if v.hidden}
    assert shapes - with_secret, "another secret drew the same hidden inputs"
    fixed = Course("secret-salt", True, FIXED)
    a = resolve("channels", "ana", fixed, True).variants
    assert a == resolve("channels", "ana", fixed, True).variants
