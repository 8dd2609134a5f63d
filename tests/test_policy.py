"""The grading policy: caps, defining constraints, slips; answers in unusual but right forms.

The numbers here are written out, not read from ``convdojo.checks.policy``: a change of
policy must change this file too.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import torch
from torch import nn

from convdojo import check
from convdojo.checks.policy import points, verdict
from convdojo.checks.result import Finding


def text(result) -> str:
    return "\n".join(result.feedback)


# --- the policy on findings alone -------------------------------------------------------


def _f(group: str, passed: bool, secondary: bool = False) -> Finding:
    return Finding(group, passed, "", secondary=secondary)


OK = [_f("shape", True), _f("variants", True), _f("constraints", True), _f("values", True)]


@pytest.mark.parametrize("changes,fraction", [
    ({0: _f("structure", False)}, 0.0),
    ({0: _f("shape", False)}, 0.25),
    ({1: _f("variants", False)}, 0.5),
    ({2: _f("constraints", False)}, 0.5),
    ({3: _f("values", False)}, 0.5),
    ({1: _f("variants", False), 2: _f("constraints", False)}, 0.25),
    ({0: _f("shape", False), 2: _f("constraints", False)}, 0.125),
    ({2: _f("constraints", False, secondary=True)}, 0.9),
    ({2: _f("constraints", False, True), 3: _f("values", False, True)}, 0.8),
    ({0: _f("shape", False), 3: _f("values", False, True)}, 0.225),
])
def test_layer_policy(changes: dict[int, Finding], fraction: float) -> None:
    findings = [changes.get(i, f) for i, f in enumerate(OK)]
    assert verdict("layer", findings).fraction == pytest.approx(fraction)


def test_function_policy_is_the_share_of_cases_capped() -> None:
    cases = [_f("shape", True)] + [_f("variants", True)] * 9
    assert verdict("function", cases).fraction == 1
    one_wrong = cases[:-1] + [_f("variants", False)]
    assert verdict("function", one_wrong).fraction == 0.5  # 90 % right, capped at half
    shown_wrong = [_f("shape", False)] + cases[1:]
    assert verdict("function", shown_wrong).fraction == 0.25
    mostly_wrong = [_f("shape", False)] + [_f("variants", False)] * 8 + [_f("variants", True)]
    assert verdict("function", mostly_wrong).fraction == pytest.approx(0.1)


def test_points_round_down_without_float_noise() -> None:
    assert points(2, 0.45) == 0.9  # 2 * 0.45 * 100 is 89.99999999999999
    assert points(1, 0.125) == 0.12 and points(3, 0.125) == 0.37
    assert points(2, 1.0) == 2


# --- the examples that were far too generous ---------------------------------------------


@pytest.mark.parametrize("exercise,answer,score,why", [
    # wrong on the shown input and on every other one: at most 25 %
    ("channels", lambda: nn.Conv2d(3, 16, 3), 0.5, "the shown input fails"),
    ("ceil_mode_pool", lambda: nn.MaxPool2d(2), 0.25, "the shown input fails"),
    # raises on every input (in_channels 8): the shown input fails, a defining one broken
    ("channels", lambda: nn.Conv2d(8, 16, 3, padding=1), 0.25, "the shown input fails"),
    # right only on the shown size: at most 50 %, and ceil_mode is the point: 25 %
    ("ceil_mode_pool", lambda: nn.MaxPool2d(2, padding=1), 0.5,
     "the rule breaks on another input"),
    # the shape rule holds, the choice the prompt is about does not: at most 50 %
    ("stride", lambda: nn.Conv2d(3, 3, 3, stride=2, padding=1), 1, "the exercise is about"),
    ("depthwise_conv", lambda: nn.Conv2d(32, 32, 3, padding=1), 1, "the exercise is about"),
    ("pointwise_conv", lambda: nn.Conv2d(64, 32, 3, padding=1), 1, "the exercise is about"),
    ("dilated_conv", lambda: nn.Conv2d(16, 16, 5, padding=2), 1, "the exercise is about"),
    ("overlap_pool", lambda: nn.MaxPool2d(2), 0.5, "the exercise is about"),
    # a secondary slip: a small deduction
    ("depthwise_conv", lambda: nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False), 1.8,
     "secondary slip"),
    ("combination", lambda: nn.Conv2d(3, 16, 3, 2, 1, padding_mode="replicate"), 1.8,
     "secondary slip"),
])
def test_partial_credit_follows_the_policy(exercise, answer, score, why) -> None:
    result = check(exercise, answer(), hidden=True, device="cpu")
    assert result.score == score, result
    assert why in text(result)


def test_a_function_follows_the_same_caps() -> None:
    def no_groups(cin, cout, k, bias=True, groups=1):
        kh, kw = (k, k) if isinstance(k, int) else k
        return cout * cin * kh * kw + (cout if bias else 0)
    result = check("conv_params", no_groups, hidden=True)
    assert result.score == 1.5  # right on the first case, wrong on another: half of 3
    assert "at most 50 %" in text(result)
    never = check("conv_params", lambda *a, **k: 0, hidden=True)
    assert never.score == 0


# --- right answers in unusual forms ------------------------------------------------------


def _no_grad_conv() -> nn.Conv2d:
    with torch.no_grad():
        return nn.Conv2d(3, 16, 3, padding=1)


RIGHT = [
    ("channels", lambda: nn.Conv2d(3, 16, (3, 3), padding="same")),
    ("channels", _no_grad_conv),
    ("padding", lambda: nn.Conv2d(16, 16, [5, 5], padding=(0, 0))),
    ("stride", lambda: nn.Conv2d(3, 3, (5, 5), stride=[2, 2], padding=[2, 2])),
    ("dilated_conv", lambda: nn.Conv2d(16, 16, 3, dilation=2, padding="same")),
    ("ceil_mode_pool", lambda: nn.MaxPool2d((2, 2), ceil_mode=True)),
    ("overlap_pool", lambda: nn.MaxPool2d(kernel_size=3, stride=(2, 2), padding=0)),
    ("depthwise_conv", lambda: nn.Conv2d(32, 32, (3, 3), padding="same", groups=32)),
    ("separable_conv", lambda: nn.Sequential(nn.Sequential(
        nn.Conv2d(32, 32, 3, padding="same", groups=32)), nn.Conv2d(32, 64, (1, 1)))),
    ("rf_stack", lambda: nn.Sequential(nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU()),
                                       *[nn.Conv2d(16, 16, 3, padding="same")
                                         for _ in range(4)])),
    ("param_count", lambda: 380.0),
    ("param_count", lambda: np.int64(380)),
    ("param_count", lambda: np.float32(380)),
    ("param_count", lambda: torch.tensor(380)),
    ("param_count", lambda: torch.tensor(380.0)),
    ("weight_shape", lambda: [5, 3, 5, 5]),
    ("weight_shape", lambda: torch.Size([5, 3, 5, 5])),
    ("weight_shape", lambda: (np.int64(5), 3.0, torch.tensor(5), 5)),
    ("tconv_weight_shape", lambda: [64, 32, 2, 2]),
    ("flatten_batch", lambda: {"view": [16, 400], "flatten": torch.Size([25, 256])}),
    ("predict_params", lambda: {"conv": 448.0, "no_bias": np.int64(432), "grouped": 18560,
                                "transposed": torch.tensor(8224), "linear": 48120,
                                "batchnorm": 128}),
    ("pool_vs_conv", lambda: {"conv_params": np.int32(36928), "pool_params": 0.0,
                              "pool_shape": torch.Size([1, 64, 56, 56])}),
    ("conv_params", lambda: lambda cin, cout, k, bias=True, groups=1: float(
        cout * (cin // groups) * np.prod(k if isinstance(k, tuple) else (k, k))
        + (cout if bias else 0))),
    ("receptive_field", lambda: lambda layers: np.int64(1 + sum(
        d * (k - 1) * int(np.prod([s for _, s, _ in layers[:i]]))
        for i, (k, _, d) in enumerate(layers)))),
]


@pytest.mark.parametrize("exercise,answer", RIGHT, ids=[f"{e}-{i}" for i, (e, _) in
                                                       enumerate(RIGHT)])
def test_right_answers_in_unusual_forms_get_full_marks(exercise, answer) -> None:
    result = check(exercise, answer(), hidden=True, device="cpu")
    assert result.passed and result.score == result.max_score, result


# --- counts and shapes that are not ------------------------------------------------------


@pytest.mark.parametrize("answer,words", [
    (True, "is a bool"),
    (380.5, "380.5 is not a whole number"),
    (np.float64(380.25), "is not a whole number"),
    (torch.tensor([380]), "is a Tensor; the answer is a whole number"),
    ("380", "is a string; write the number itself"),
    ([380], "is a list; the answer is a whole number"),
])
def test_what_is_not_a_count_says_why(answer, words: str) -> None:
    result = check("param_count", answer)
    assert result.score == 0 and words in text(result), text(result)
    assert "a int" not in text(result)


@pytest.mark.parametrize("answer,words", [
    ((5, 3, 5.5, 5), "contains 5.5, which is not a whole number"),
    ("(5, 3, 5, 5)", "is a string; write the tuple itself"),
    ("5355", "is a string"),
    (5, "5 is an int; the answer is a shape"),
])
def test_what_is_not_a_shape_says_why(answer, words: str) -> None:
    result = check("weight_shape", answer)
    assert result.score == 0 and words in text(result), text(result)


def test_quiz_items_that_are_not_counts_are_wrong() -> None:
    from convdojo.specs import shape_quiz
    right = shape_quiz.predict_params.expected()
    result = check("predict_params", {**right, "conv": True, "linear": 48120.5})
    assert result.score == 2  # 4 of 6 right
    assert "'conv': True is not right" in text(result)


# --- frozen weights, however they are frozen ---------------------------------------------


def _frozen_by_requires_grad() -> nn.Conv2d:
    conv = nn.Conv2d(3, 16, 3, padding=1)
    conv.requires_grad_(False)
    return conv


def _frozen_as_buffer() -> nn.Conv2d:
    conv = nn.Conv2d(3, 16, 3, padding=1)
    weight, bias = conv.weight.detach(), conv.bias.detach()
    del conv.weight, conv.bias
    conv.register_buffer("weight", weight)
    conv.register_buffer("bias", bias)
    return conv


def _frozen_as_attribute() -> nn.Conv2d:
    conv = nn.Conv2d(3, 16, 3, padding=1)
    weight, bias = conv.weight.detach(), conv.bias.detach()
    del conv.weight, conv.bias
    conv.weight, conv.bias = weight, bias
    return conv


def _frozen_parameter() -> nn.Conv2d:
    conv = nn.Conv2d(3, 16, 3, padding=1)
    conv.weight = nn.Parameter(conv.weight.detach(), requires_grad=False)
    conv.bias = nn.Parameter(conv.bias.detach(), requires_grad=False)
    return conv


@pytest.mark.parametrize("make", [_frozen_by_requires_grad, _frozen_as_buffer,
                                  _frozen_as_attribute, _frozen_parameter])
def test_frozen_weights_are_one_secondary_slip_whichever_way(make) -> None:
    for device in ("cpu", "meta"):  # a property of the layer, not of its values
        result = check("channels", make(), hidden=True, device=device)
        assert result.score == 1.8, (device, result)
        assert "weight, bias cannot learn" in text(result), text(result)
        assert "No gradient reaches" not in text(result)


def test_frozen_weights_still_count_as_parameters() -> None:
    conv = nn.Conv2d(64, 32, 1)
    conv.requires_grad_(False)
    layer = nn.Conv2d(64, 32, 1)
    w = layer.weight.detach()
    del layer.weight
    layer.register_buffer("weight", w)
    for answer in (conv, layer):
        result = check("pointwise_conv", answer, hidden=True, device="cpu")
        assert result.score == 1.8 and "cannot learn" in text(result), result


# --- forged hyperparameters --------------------------------------------------------------


def forged_kernel() -> nn.Conv2d:
    conv = nn.Conv2d(3, 3, 3, stride=2, padding=1)
    conv.kernel_size = (5, 5)
    return conv


def swapped_weight() -> nn.Conv2d:
    conv = nn.Conv2d(3, 3, 3, stride=2, padding=2)
    conv.weight = nn.Parameter(torch.randn(3, 3, 5, 5))
    return conv


def forged_channels() -> nn.Conv2d:
    conv = nn.Conv2d(3, 8, 3, padding=1)
    conv.out_channels = 16
    return conv


def forged_padding() -> nn.Conv2d:
    conv = nn.Conv2d(3, 16, 3, padding=0, padding_mode="reflect")
    conv.padding = (1, 1)  # forward pads by the (0, 0, 0, 0) it computed when built
    return conv


def broken_stride() -> nn.Conv2d:
    conv = nn.Conv2d(3, 3, 5, stride=2, padding=2)
    conv.stride = "two"
    return conv


def forged_linear() -> nn.Sequential:
    net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120),
                        nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    net[7].in_features = 400  # LeNet's number, on a Linear that takes 256
    return net


FORGED = [
    ("stride", forged_kernel, 1, ["kernel_size says (5, 5) but the weight is 3×3",
                                  "kernel_size is (3, 3), but the prompt asks for a 5×5"]),
    ("stride", swapped_weight, 1, ["kernel_size says (3, 3) but the weight is 5×5"]),
    ("channels", forged_channels, 0.25, ["out_channels says 16 but the weight",
                                         "makes 8 output channels", "out_channels is 8"]),
    # 25 % (shown input) × 50 % (the layer is not what it says) × 90 % (reflect, a slip)
    ("channels", forged_padding, 0.22, ["padding says (1, 1) but with padding_mode 'reflect'"]),
    ("stride", broken_stride, 0, ["nn.Conv2d.stride is 'two', which it cannot compute with"]),
    ("lenet", forged_linear, 1.5, ["nn.Linear says 400 → 120 features but its weight (120, 256) "
                                   "maps 256 → 120", "The convolutions are"]),
]


@pytest.mark.parametrize("exercise,make,score,words", FORGED,
                         ids=[m.__name__ for _, m, _, _ in FORGED])
def test_forged_attributes_fail_with_a_message(exercise, make, score, words) -> None:
    result = check(exercise, make(), hidden=True, device="cpu")
    assert result.score == score, result
    for word in words:
        assert word in text(result), text(result)


def test_forging_leaves_the_students_layer_alone() -> None:
    conv = forged_kernel()
    check("stride", conv, hidden=True)
    assert conv.kernel_size == (5, 5)


def test_pooling_attributes_are_what_forward_computes_with() -> None:
    pool = nn.MaxPool2d(3)
    pool.stride = 2  # set after construction: forward reads it, so it is the truth
    assert check("overlap_pool", pool, hidden=True).passed
    pool = nn.MaxPool2d(2)
    pool.kernel_size = 3  # likewise; the stride it was built with stays 2
    result = check("overlap_pool", pool, hidden=True)
    assert result.passed, result


@pytest.fixture(scope="module")
def sender() -> dict:
    from convdojo.sandbox.inside import private
    return private.load(private.compile_file("sender.py"))


def codec_tree(sender: dict, obj: object) -> object:
    """What the sandbox sends for ``obj``, as JSON."""
    from convdojo.sandbox.inside import codec
    return json.loads(json.dumps(codec.to_json(sender["encode"](obj))))


def _through_the_wall(sender: dict, obj: object) -> object:
    from convdojo.grade import plain
    return plain.rebuild(codec_tree(sender, obj))


@pytest.mark.parametrize("exercise,make,score,words", FORGED,
                         ids=[m.__name__ for _, m, _, _ in FORGED])
def test_the_grader_judges_a_rebuilt_forgery_as_the_self_check_does(
        sender, exercise, make, score, words) -> None:
    from convdojo.grade import checker
    answer = make()
    ours = checker.check_one(exercise, codec_tree(sender, answer), {}, "cpu")
    assert ours["score"] == score == check(exercise, answer, hidden=True).score
    for word in words:
        assert word in "\n".join(ours["feedback"])


@pytest.mark.parametrize("make", [_frozen_by_requires_grad, _frozen_as_buffer,
                                  _frozen_as_attribute])
def test_the_grader_judges_frozen_weights_alike(sender, make) -> None:
    back = _through_the_wall(sender, make())
    assert check("channels", back, hidden=True).score == 1.8


@pytest.mark.parametrize("node,words", [
    ({"t": "module", "cls": "Conv2d", "exact": True, "params": {"weight": {"t": "list", "v": [1, 2]}}},
     "nn.Conv2d.weight is registered as a parameter but is not a tensor"),
    ({"t": "module", "cls": "Conv2d", "exact": True, "buffers": {"weight": "w"}},
     "nn.Conv2d.weight is registered as a buffer but is not a tensor"),
    ({"t": "module", "cls": "Conv2d", "exact": True, "attrs": [1, 2]},
     "the attrs of nn.Conv2d are not named entries"),
    ({"t": "module", "cls": "Sequential", "exact": True, "children": {"0": 3}},
     "nn.Sequential.0 is a child layer that is not a layer"),
])
def test_malformed_layer_data_is_refused_with_a_message(node, words) -> None:
    from convdojo.grade import checker
    result = checker.check_one("channels", node, {}, "cpu")
    assert result["score"] == 0 and result["status"] == "invalid"
    assert words in "\n".join(result["feedback"])


def test_a_layer_rebuilt_without_its_hyperparameters_gets_a_message_not_a_crash(
        sender) -> None:
    from convdojo.grade import checker
    tree = codec_tree(sender, nn.Conv2d(3, 16, 3, padding=1))
    del tree["attrs"]["stride"]
    result = checker.check_one("channels", tree, {}, "cpu")
    assert result["score"] == 0
    assert "nn.Conv2d.stride is None, which it cannot compute with" in "\n".join(
        result["feedback"])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([nn.Conv2d, nn.ConvTranspose2d]), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 3), st.tuples(st.integers(1, 5), st.integers(1, 5)),
       st.tuples(st.integers(1, 3), st.integers(1, 3)), st.integers(0, 2), st.booleans(),
       st.sampled_from(["zeros", "reflect", "replicate", "circular", "same", "valid"]))
def test_honest_layers_are_never_called_forged(kind, cin_per, cout_per, groups, kernel,
                                                dilation, padding, bias, mode) -> None:
    from convdojo.checks.integrity import inconsistent, malformed
    args = dict(kernel_size=kernel, dilation=dilation, groups=groups, bias=bias)
    if mode in ("same", "valid"):
        if kind is nn.ConvTranspose2d:
            return
        args["padding"] = mode
    else:
        args["padding"] = padding
        if kind is nn.Conv2d:
            args["padding_mode"] = mode
    layer = kind(cin_per * groups, cout_per * groups, **args)
    assert malformed(layer) == [] and inconsistent(layer) == []
