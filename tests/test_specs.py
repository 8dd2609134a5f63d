"""Every spec against real torch: expected shapes, solutions, and the registry's promises."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from convdojo import check, specs
from convdojo.course_secret import FIXED
from convdojo.specs import RAISES
from convdojo.specs.personal import with_hidden

LAYER_SPECS = [s for s in specs.all_specs() if s.kind == "layer"]


def solve(spec) -> object:
    namespace: dict = {"torch": torch, "nn": nn}
    exec(spec.solution, namespace)
    if spec.kind == "project":  # a design is an answer once trained (reduced: a few seconds)
        from catalogue_networks import train_briefly

        torch.manual_seed(0)
        exec(spec.solution, namespace)
        return train_briefly(namespace[spec.answer_name])
    return namespace[spec.answer_name]


@pytest.mark.parametrize("spec", LAYER_SPECS, ids=lambda s: s.id)
def test_expected_shapes_match_real_torch(spec) -> None:
    """Shown and hidden expectations come from the rule; torch on CPU must agree."""
    layer = solve(spec)
    for variant in with_hidden(spec, FIXED, None).all_variants(hidden=True):
        want = spec.expected(variant)
        # A variant is either inside the rule's domain or one torch must refuse.
        assert want is RAISES or spec.rule.defined_for(variant.input_shape), (spec.id, variant)
        x = torch.randn(variant.input_shape)
        if want is RAISES:
            with pytest.raises((RuntimeError, ValueError)):
                layer(x)
        else:
            assert tuple(layer(x).shape) == want, (spec.id, variant)


@pytest.mark.parametrize("spec", specs.all_specs(), ids=lambda s: s.id)
def test_solution_gets_full_marks(spec) -> None:
    result = check(spec.id, solve(spec), hidden=True, device="cpu")
    assert result.passed and result.score == spec.points, result


@pytest.mark.parametrize("spec", LAYER_SPECS, ids=lambda s: s.id)
def test_variants_cover_the_catalogue_minimum(spec) -> None:
    drawn = with_hidden(spec, FIXED, None)
    shapes = [v.input_shape for v in drawn.all_variants(hidden=True)]
    assert any(s[0] == 1 for s in shapes), "batch 1"
    spatial = [s[2:] for s in shapes]  # (L,), (H, W) or (T, H, W)
    if all(len(x) >= 2 for x in spatial):
        assert any(len(set(x)) > 1 for x in spatial), "a non-square input"
    assert any(v.hidden for v in drawn.variants), "hidden variants"
    if spec.rule.domain == "any size" or len(spatial[0]) != 2:
        assert any(any(n % 2 for n in x) for x in spatial), "an odd size"


def test_ids_are_stable_snake_case_and_unique() -> None:
    ids = [s.id for s in specs.all_specs()]
    assert len(ids) == len(set(ids))
    for a in specs.assignments():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", a.name)
        for exercise in a.exercises:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", exercise)
            specs.get(exercise)
        for question in a.written:
            specs.get_written(question)


def test_unknown_assignment_is_a_clear_error() -> None:
    with pytest.raises(specs.UnknownAssignment, match="Did you mean 'conv_shapes'"):
        specs.assignment("conv_shape")


def test_specs_are_frozen() -> None:
    spec = specs.get("channels")
    with pytest.raises(AttributeError):
        spec.points = 100  # type: ignore[misc]
