"""The beyond_2d assignment: every exercise accepts its correct answer in several forms,
and its measurements (causality, receptive field) agree with the closed form."""

from __future__ import annotations

import pytest
from catalogue_beyond_2d import causal, params
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from convdojo import check, shapes
from convdojo.shapes_nd import conv_out_nd
from convdojo.specs import beyond_2d

FORMS = {
    "audio_frontend": [
        lambda: nn.Conv1d(1, 32, 8, stride=4, padding=2),
        lambda: nn.Conv1d(1, 32, 4, stride=4),
        lambda: nn.Conv1d(1, 32, (12,), stride=(4,), padding=(4,), bias=False),
    ],
    "causal_stack": [
        lambda: causal([1, 2, 4]),
        lambda: nn.Sequential(nn.ZeroPad1d((14, 0)), nn.Conv1d(16, 16, 3),
                              nn.Conv1d(16, 16, 3, dilation=2), nn.Conv1d(16, 16, 3, dilation=4)),
        lambda: nn.Sequential(*[m for d in (4, 2, 1) for m in (
            nn.ConstantPad1d((2 * d, 0), 0.0), nn.Conv1d(16, 16, 3, dilation=d), nn.ReLU())]),
    ],
    "video_conv": [
        lambda: nn.Conv3d(3, 16, 3, stride=(1, 2, 2), padding=1),
        lambda: nn.Conv3d(3, 16, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
        lambda: nn.Conv3d(3, 16, (5, 3, 3), (1, 2, 2), (2, 1, 1), padding_mode="zeros"),
    ],
    "conv3d_params": [
        lambda: params,
        lambda: lambda i, o, k, bias=True: shapes.conv_params(i, o, k, bias, dims=3),
    ],
}


@pytest.mark.parametrize("exercise,index", [(e, i) for e, f in FORMS.items()
                                            for i in range(len(f))])
def test_every_form_gets_full_marks(exercise: str, index: int) -> None:
    result = check(exercise, FORMS[exercise][index](), hidden=True, device="cpu")
    assert result.passed and result.score == result.max_score, result


def test_the_assignment_lists_every_spec() -> None:
    assert set(beyond_2d.ASSIGNMENT.exercises) == set(FORMS)


@settings(max_examples=40, deadline=None)
@given(dilations=st.lists(st.integers(1, 4), min_size=1, max_size=3),  # reach within the probe
       kernel=st.integers(2, 3), pad=st.sampled_from(["left", "both", "right"]))
def test_measured_field_is_the_closed_form_and_causality_is_the_padding(dilations, kernel,
                                                                         pad) -> None:
    stack = causal(dilations, pad=pad, kernel=kernel)
    first, last = beyond_2d.measure_1d(stack, 16)
    assert last - first + 1 == shapes.receptive_field([(kernel, 1, d) for d in dilations])
    reach = sum(d * (kernel - 1) for d in dilations)
    # symmetric padding p = total // 2 per side: each layer reads total - p samples ahead
    ahead = {"left": 0, "right": reach,
             "both": sum(d * (kernel - 1) - d * (kernel - 1) // 2 for d in dilations)}
    assert last == 60 + ahead[pad]


@pytest.mark.parametrize("spec", [beyond_2d.audio_frontend, beyond_2d.video_conv])
def test_rules_agree_with_shapes_nd_on_the_solution(spec) -> None:
    from convdojo.course_secret import FIXED
    from convdojo.specs.personal import with_hidden

    layer = FORMS[spec.id][0]()
    drawn = with_hidden(spec, FIXED)  # the shown inputs and the hidden ones the grader draws
    assert any(v.hidden for v in drawn.all_variants(hidden=True))
    for v in drawn.all_variants(hidden=True):
        out = conv_out_nd(v.input_shape[2:], layer.kernel_size, layer.stride, layer.padding,
                          layer.dilation)
        assert (v.input_shape[0], layer.out_channels, *out) == spec.expected(v)
