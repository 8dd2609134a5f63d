"""Every catalogue mistake (tests/test_catalogue.py) carries the misconception code it shows.

A code is recognised by recomputing the solution under that error (checks/diagnose.py);
an empty set means no error model explains the answer (listed, so a new one shows up here).
The student reads the code's teaching note, never the code.
"""

from __future__ import annotations

import pytest
from torch import nn

import catalogue_beyond_2d
from test_catalogue import CATALOGUE

from convdojo import check
from convdojo.specs.misconceptions import TAXONOMY

EXPECTED: dict[str, list[set[str]]] = {
    "worked_7x7": [{"padding.unneeded"}, {"channels.out_mismatch"}],
    "channels": [{"padding.missing"}, {"layer.not_a_convolution"}],
    "padding": [{"padding.unneeded"}, {"kernel.wrong_size"}],
    "stride": [{"kernel.wrong_size"}, {"padding.miscounted"}, {"size.hard_coded"}],
    "combination": [{"padding.missing"}, {"size.hard_coded"}, {"channels.in_mismatch"}],
    "weight_shape": [{"weights.tf_order"}, {"weights.channels_forgotten"}],
    "param_count": [{"params.bias_forgotten"}, {"params.kernel_only"}],
    "max_pool": [{"layer.not_a_pool"}, {"stride.pool_default"}, {"rounding.floor_vs_ceil"}],
    "avg_pool_blur": [{"pool.count_include_pad"}, set(), {"layer.wrong_pool"}],
    "ceil_mode_pool": [{"padding.unneeded"}, {"rounding.floor_vs_ceil"}],
    "overlap_pool": [{"stride.pool_default"}, {"kernel.wrong_size"}, {"padding.unneeded"}],
    "padded_pool": [{"padding.missing"}, {"padding.total_vs_per_side"}, {"kernel.wrong_size"}],
    "global_pool": [{"pool.fixed_window"}, {"layer.wrong_pool"}, set()],
    "pool_vs_conv": [set(), {"params.bias_forgotten"}, {"padding.missing"}],
    "dilated_conv": [{"dilation.forgotten"}, {"dilation.bigger_kernel"}],
    "pointwise_conv": [{"kernel.wrong_size"}, {"padding.unneeded"}, {"layer.not_a_convolution"}],
    "depthwise_conv": [{"params.groups_forgotten"}, {"padding.missing"},
                       {"params.bias_forgotten"}],
    "separable_conv": [set(), set(), {"params.groups_forgotten"}],
    "conv_params": [{"params.bias_forgotten"}, {"params.groups_forgotten"},
                    {"kernel.assumed_square"}],
    "upsample_transposed": [{"layer.not_a_convolution"}, {"kernel.wrong_size"}, set()],
    "tconv_weight_shape": [{"weights.transposed_order"}, set()],
    "undo_downsample": [{"transposed.output_padding"}, {"transposed.output_padding"}, set()],
    "channels_last": [{"layout.reshape_not_permute"}, {"dtype.not_float"}, {"layout.hw_swapped"},
                      {"layout.batch_missing"}],
    "lenet": [{"padding.missing"}, set(), set(), set()],
    "flatten_batch": [set(), set()],
    "receptive_field": [{"rf.stride_ignored"}, {"dilation.forgotten"}, {"rf.own_stride"}],
    "rf_stack": [set(), set(), {"padding.missing"}],
    "residual_down": [{"kernel.wrong_size"}, {"stride.forgotten"}, {"size.hard_coded"}, set()],
    "predict_shapes": [{"padding.same_strided", "rounding.floor_vs_ceil"},
                       {"rounding.floor_vs_ceil", "transposed.output_padding"}, set()],
    "predict_params": [{"params.buffers_counted"},
                       {"params.bias_forgotten", "params.groups_forgotten"}],
    "conv_single": [{"conv.flipped_kernel"}, set()],
    "conv_multi": [{"weights.channels_forgotten"}, set()],
    "conv_strided": [{"padding.missing"}, {"stride.forgotten"}, {"conv.positions_off_by_one"}],
    "im2col_shapes": [set(), set()],
    "im2col": [{"layout.hw_swapped"}, {"im2col.weight_order"}],
    "photo_kernels": [set(), set(), set(), set()],
    "edge_magnitude": [set(), set(), set()],
    "colour_kernel": [set(), set(), set(), set()],
    # networks and mini_project (tests/catalogue_networks.py)
    "conv_macs": [set(), set(), set(), set()],
    "stem_macs": [set(), set(), set()],
    "activation_memory": [set(), set(), set()],
    "fix_network": [{"channels.in_mismatch"}, set(), {"size.hard_coded"}, set()],
    "mini_project": [set(), set(), set(), set(), set()],
}
EXPECTED.update(catalogue_beyond_2d.CODES)
ROWS = [(ex, i) for ex, codes in EXPECTED.items() for i in range(len(codes))]


def test_the_table_covers_every_catalogue_mistake() -> None:
    assert {ex: len(c.mistakes) for ex, c in CATALOGUE.items()} == \
        {ex: len(codes) for ex, codes in EXPECTED.items()}
    assert set().union(*[c for codes in EXPECTED.values() for c in codes]) <= set(TAXONOMY)


def _codes(result) -> set[str]:
    return {f.misconception for f in result.findings if not f.passed and f.misconception}


@pytest.mark.parametrize("exercise,index", ROWS, ids=[f"{e}-{i}" for e, i in ROWS])
def test_mistake_carries_its_code(exercise: str, index: int) -> None:
    answer = CATALOGUE[exercise].mistakes[index].answer()
    result = check(exercise, answer, hidden=True, device="cpu")
    assert _codes(result) == EXPECTED[exercise][index]
    text = "\n".join(result.feedback)
    for code in EXPECTED[exercise][index]:
        assert TAXONOMY[code].note in text  # named in words...
        assert code not in text             # ... never by its code


def test_right_answers_and_unanswered_carry_no_code() -> None:
    for exercise in ("channels", "max_pool", "conv_params", "predict_shapes"):
        right = check(exercise, CATALOGUE[exercise].correct(), hidden=True, device="cpu")
        assert right.passed and not _codes(right)
        assert not any("To revisit" in line for line in right.feedback)
    assert not _codes(check("channels", None))


def test_a_mistake_with_something_else_wrong_is_not_named() -> None:
    """padding.missing means "the solution without padding": a wrong kernel too is not it."""
    assert _codes(check("channels", nn.Conv2d(3, 16, 3), hidden=True)) == {"padding.missing"}
    assert _codes(check("channels", nn.Conv2d(3, 16, 5), hidden=True)) != {"padding.missing"}
    assert _codes(check("channels", nn.Conv2d(3, 8, 3, padding=1), hidden=True)) == \
        {"channels.out_mismatch"}
    assert _codes(check("combination", nn.Conv2d(3, 16, 3, padding=1), hidden=True)) == \
        {"stride.forgotten"}


def test_hooked_or_subclassed_layers_get_no_code() -> None:
    class Mine(nn.Conv2d):
        pass

    layer = nn.Conv2d(3, 16, 3)
    layer.register_forward_hook(lambda m, i, o: o)
    assert not _codes(check("channels", layer, hidden=True))
    assert not _codes(check("channels", Mine(3, 16, 3), hidden=True))


def test_the_code_reaches_the_result_dict() -> None:
    data = check("channels", nn.Conv2d(3, 16, 3), hidden=True).to_dict()
    assert {f["misconception"] for f in data["findings"] if not f["passed"]} == \
        {"padding.missing"}
    from convdojo.checks import CheckResult
    again = CheckResult.from_dict(data)
    assert {f.misconception for f in again.findings if not f.passed} == {"padding.missing"}
