"""Every variant any spec can produce is valid, checked against torch on CPU over many seeds.

For each spec with a domain: many students' numbers, each with hidden inputs drawn
from several secrets; the spec's own solution (built with those numbers) must get
full marks, its shapes must match real torch, sizes stay small and the prompt reads
as text. Specs without a domain are fixed and say so (``domain is None``), and their
hidden draws are checked the same way.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from convdojo import check, specs, templates
from convdojo.course import Course
from convdojo.course_secret import Secret
from convdojo.specs import RAISES
from convdojo.specs.personal import numbers, personal, with_hidden

STUDENTS = [f"s{i:03d}" for i in range(40)]
SECRETS = [Secret(f"secret-{i}".encode(), "test") for i in range(3)]
COURSE = Course("test-salt")
MAX_ELEMENTS = 2_000_000  # an input or output this large would make a check slow


def solve(spec: specs.Spec) -> object:
    namespace: dict = {"torch": torch, "nn": nn, "np": np, "F": F,
                       "DownBlock": templates.DownBlock}
    exec(spec.solution, namespace)
    return namespace[spec.answer_name]


def _reads_naturally(text: str) -> None:
    prose = re.sub(r"`[^`]*`", "", text)  # code such as `x[None]` is not prose
    assert not re.search(r"\{[a-z_]+\}|None|\bnan\b|-\d+-channel|\b0×0\b", prose), text


def _layer_ok(spec: specs.LayerSpec, layer: nn.Module) -> None:
    assert spec.rule is not None and spec.rule.defined_for(spec.input_shape), spec.input_shape
    for variant in spec.all_variants(hidden=True):
        assert int(np.prod(variant.input_shape)) <= MAX_ELEMENTS, variant
        want = spec.expected(variant)
        x = torch.randn(variant.input_shape)
        if want is RAISES:
            with pytest.raises((RuntimeError, ValueError)):
                layer(x)
        else:
            assert spec.rule.defined_for(variant.input_shape), (spec.id, variant)
            assert tuple(layer(x).shape) == want, (spec.id, variant)


def _all_valid(spec: specs.Spec, student: str, secret: Secret) -> None:
    full = with_hidden(spec, secret, student)
    answer = solve(full)
    _reads_naturally(full.prompt + full.title)
    if isinstance(full, specs.LayerSpec):
        _layer_ok(full, answer)  # type: ignore[arg-type]
    course = Course(COURSE.salt, True, secret)
    result = check(full.id, answer, hidden=True, device="cpu", student=student, course=course)
    assert result.passed and result.score == full.points, (full.id, student, result)


@pytest.mark.parametrize("spec", specs.all_specs(), ids=lambda s: s.id)
def test_every_variant_is_valid(spec: specs.Spec) -> None:
    if spec.kind == "project":
        pytest.skip("a project is trained, then graded on glyphs drawn from the secret: "
                    "tests/test_project.py")
    students = STUDENTS if spec.domain is not None else STUDENTS[:4]
    seen = set()
    for i, student in enumerate(students):
        mine = personal(spec.id, student, COURSE)
        seen.add(mine.numbers)
        _all_valid(mine, student, SECRETS[i % len(SECRETS)])
    if spec.domain is not None:
        assert len(seen) > 1, f"{spec.id}: its domain gave every student the same numbers"
        assert set(dict(spec.numbers)) == set(spec.domain.names)
    else:
        assert seen == {()}, f"{spec.id} has no domain: its numbers are fixed"


@pytest.mark.parametrize("spec", [s for s in specs.all_specs() if s.domain is not None],
                         ids=lambda s: s.id)
def test_defaults_are_todays_numbers(spec: specs.Spec) -> None:
    """Variants off gives exactly the fixed spec (the numbers the domain's defaults build)."""
    off = Course(COURSE.salt, variants=False)
    assert personal(spec.id, "anyone", off) is spec
    assert numbers(spec.id, "anyone", off) is None
    assert dict(spec.numbers) == dict(spec.domain.defaults)  # type: ignore[union-attr]


def test_misconception_probes_follow_the_students_numbers() -> None:
    """A varying value exercise's probes (the layers its recognised mistakes are measured
    on) must be built from the student's numbers, or "To revisit" would be about
    another layer."""
    from convdojo.specs import value_errors

    fixed = [k for k in value_errors.PROBES
             if specs.get(k).domain is not None and k not in value_errors.BY_NUMBERS]
    assert fixed == []


def test_the_readme_says_which_exercises_vary() -> None:
    """The README's table of varying exercises per assignment matches the specs."""
    from notebook_utils import ROOT

    text = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| (\w+) \| (\d+ of \d+) \|", text, flags=re.M))
    for a in specs.assignments():
        vary = sum(specs.get(e).domain is not None for e in a.exercises)
        assert rows.get(a.name) == f"{vary} of {len(a.exercises)}", a.name
    total = sum(len(a.exercises) for a in specs.assignments())
    varying = sum(specs.get(e).domain is not None for a in specs.assignments()
                  for e in a.exercises)
    assert f"Today {varying} of the {total} exercises vary" in " ".join(text.split())
