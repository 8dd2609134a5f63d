"""The core four: right answers written several ways pass; common mistakes fail with a cause."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convdojo import check
from convdojo.specs import UnknownExercise


def feedback(result) -> str:
    return "\n".join(result.feedback)


CORRECT = {
    "channels": [
        lambda: nn.Conv2d(3, 16, 3, padding=1),
        lambda: nn.Conv2d(in_channels=3, out_channels=16, kernel_size=(3, 3), padding="same"),
        lambda: nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=(1, 1), bias=False),
        lambda: nn.Conv2d(3, 16, 3, padding=1, padding_mode="zeros", dilation=1),
    ],
    "padding": [
        lambda: nn.Conv2d(16, 16, 5),
        lambda: nn.Conv2d(16, 16, kernel_size=(5, 5), padding="valid"),
        lambda: nn.Conv2d(in_channels=16, out_channels=16, kernel_size=5, padding=0, bias=False),
    ],
    "stride": [
        lambda: nn.Conv2d(3, 3, 5, stride=2, padding=2),
        lambda: nn.Conv2d(3, 3, kernel_size=(5, 5), stride=(2, 2), padding=(2, 2)),
        # Dilation 2 with padding 4 halves even sizes too: the rule, not one recipe, decides.
        lambda: nn.Conv2d(3, 3, 5, stride=2, padding=4, dilation=2),
    ],
    "combination": [
        lambda: nn.Conv2d(3, 16, 3, stride=2, padding=1),
        lambda: nn.Conv2d(in_channels=3, out_channels=16, kernel_size=(3, 3), stride=(2, 2),
                          padding=(1, 1)),
        lambda: nn.Conv2d(3, 16, 3, stride=2, padding=2, dilation=2),
    ],
}


@pytest.mark.parametrize("exercise,make", [(e, m) for e, ms in CORRECT.items() for m in ms])
def test_correct_answers_get_full_marks(exercise: str, make) -> None:
    result = check(exercise, make(), hidden=True)
    assert result.passed, result
    assert result.score == result.max_score > 0


@pytest.mark.parametrize("exercise", sorted(CORRECT))
def test_self_check_pass_mentions_other_sizes(exercise: str) -> None:
    result = check(exercise, CORRECT[exercise][0]())
    assert result.passed
    assert "other input sizes" in feedback(result)


# (exercise, wrong layer, words the feedback must contain, points under the grading policy)
MISTAKES = [
    # no padding: the formula with the student's numbers, and the hyperparameter to change
    ("channels", nn.Conv2d(3, 16, 3), ["floor((16 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 14",
                                       "Reconsider padding"], 0.5),
    ("combination", nn.Conv2d(3, 16, 3, stride=2), ["floor((32 + 2*0 - 1*(3-1) - 1) / 2) + 1 = 15",
                                                    "Reconsider padding"], 0.5),
    ("stride", nn.Conv2d(3, 3, 5, stride=2, padding=1), ["= 31", "Reconsider padding"], 0.5),
    # the wrong kernel, as in the published answer to exercise 3
    ("stride", nn.Conv2d(3, 3, 3, stride=2, padding=1), ["kernel_size is (3, 3)", "5×5"], 1),
    ("channels", nn.Conv2d(3, 16, 5, padding=2), ["kernel_size is (5, 5)", "3×3"], 1),
    ("padding", nn.Conv2d(16, 16, 3), ["kernel_size is (3, 3)", "5×5"], 0.25),
    ("padding", nn.Conv2d(16, 16, 5, padding=1), ["padding is ((1, 1), (1, 1))", "'valid'"], 0.25),
    # channel mistakes
    ("channels", nn.Conv2d(3, 8, 3, padding=1), ["out_channels is 8", "C: expected 16, got 8"], 0.25),
    ("combination", nn.Conv2d(16, 16, 3, stride=2, padding=1),
     ["in_channels is 16, but the input has 3 channels"], 0.25),
    # a shape that is right only for the shown size
    ("stride", nn.Conv2d(3, 3, 5, stride=3, padding=18), ["6 of 6 hidden inputs failed",
                                                          "(non-square) expected (2, 3, 19, 31)"], 1),
    ("channels", nn.Conv2d(3, 16, 3, stride=2, padding=9), ["(non-square) expected"], 1),
    # non-convolutions that fake the shape
    ("channels", nn.Sequential(nn.Conv2d(3, 16, 3), nn.ZeroPad2d(1)),
     ["nn.Sequential", "single nn.Conv2d"], 0),
    ("channels", nn.AdaptiveAvgPool2d(16), ["nn.AdaptiveAvgPool2d", "nn.Conv2d"], 0),
    ("stride", nn.AvgPool2d(2), ["nn.AvgPool2d", "nn.Conv2d"], 0),
    ("combination", nn.Upsample(size=(16, 16)), ["nn.Upsample"], 0),
]


@pytest.mark.parametrize("exercise,layer,words,points", MISTAKES)
def test_mistakes_fail_and_name_the_cause(exercise: str, layer: nn.Module, words: list[str],
                                          points: float) -> None:
    result = check(exercise, layer, hidden=True)
    assert not result.passed
    assert result.score == points, result
    text = feedback(result)
    for word in words:
        assert word in text, f"{word!r} not in feedback:\n{text}"


def test_wrong_shape_gets_partial_credit_but_fake_gets_none() -> None:
    no_padding = check("channels", nn.Conv2d(3, 16, 3), hidden=True)
    fake = check("channels", nn.AdaptiveAvgPool2d(16), hidden=True)
    assert no_padding.score == 0.5  # wrong on the shown input: at most 25 % of 2
    assert fake.score == 0


class Subclassed(nn.Conv2d):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], 16, x.shape[2], x.shape[3])


class ZeroFake(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], 16, x.shape[2], x.shape[3])


def test_fakes_that_return_the_right_shape_fail() -> None:
    sub = check("channels", Subclassed(3, 16, 3, padding=1), hidden=True)
    assert sub.score == 0 and "subclass of nn.Conv2d" in feedback(sub)
    fake = check("channels", ZeroFake(), hidden=True)
    assert fake.score == 0 and "ZeroFake" in feedback(fake)


def test_instance_forward_override_and_hooks_fail() -> None:
    conv = nn.Conv2d(3, 16, 3)
    conv.forward = lambda x: torch.zeros(x.shape[0], 16, *x.shape[2:])  # type: ignore[method-assign]
    result = check("channels", conv, hidden=True)
    assert result.score == 0 and "overrides forward" in feedback(result)

    hooked = nn.Conv2d(3, 16, 3)
    hooked.register_forward_hook(lambda m, i, o: nn.functional.pad(o, (1, 1, 1, 1)))
    result = check("channels", hooked, hidden=True)
    assert result.score == 0 and "hooks" in feedback(result)


def test_check_does_not_touch_the_students_layer() -> None:
    conv = nn.Conv2d(3, 16, 3, padding=1)
    before = conv.weight.detach().clone()
    check("channels", conv, hidden=True)
    assert conv.weight.grad is None
    assert torch.equal(conv.weight, before)


@pytest.mark.parametrize("answer,status,words", [
    (None, "unanswered", ["Not answered yet", "conv is still None"]),
    (nn.Conv2d, "invalid", ["the class Conv2d itself"]),
    (torch.zeros(4, 16, 16, 16), "invalid", ["tensor", "assign the layer itself"]),
    ("nn.Conv2d(3, 16, 3)", "invalid", ["should be a layer", "str"]),
    (42, "invalid", ["int"]),
])
def test_bad_usage_gets_a_clear_message(answer, status: str, words: list[str]) -> None:
    result = check("channels", answer)
    assert result.status == status and result.score == 0
    for word in words:
        assert word in feedback(result)


def test_answer_defaults_to_the_callers_variable() -> None:
    namespace: dict = {"check": check, "nn": nn}
    exec("result = check('channels')", namespace)
    assert namespace["result"].status == "unanswered"
    assert "conv is not defined" in feedback(namespace["result"])
    exec("conv = nn.Conv2d(3, 16, 3, padding=1)\nresult = check('channels')", namespace)
    assert namespace["result"].passed


def test_unknown_exercise_suggests_the_right_id() -> None:
    with pytest.raises(UnknownExercise, match="Did you mean 'channels'"):
        check("chanels", nn.Conv2d(3, 16, 3))


def test_nothing_reaches_stderr(capfd) -> None:
    for layer in (nn.Conv2d(3, 16, 3), nn.Conv2d(3, 16, 3, padding="same"), None):
        check("channels", layer, hidden=True)
    check("padding", nn.Conv2d(16, 16, 5, padding="same"), hidden=True)  # even-kernel warnings
    assert capfd.readouterr().err == ""


def test_meta_device_checks_shapes_without_values() -> None:
    good = check("channels", nn.Conv2d(3, 16, 3, padding=1), device="meta", hidden=True)
    assert good.passed and "meta" in feedback(good)
    bad = check("channels", nn.Conv2d(3, 16, 3), device="meta", hidden=True)
    assert not bad.passed and "= 14" in feedback(bad)


def test_device_from_environment(monkeypatch) -> None:
    from convdojo import devices

    devices.default_device.cache_clear()
    monkeypatch.setenv("CONVDOJO_DEVICE", "meta")
    try:
        assert devices.default_device().type == "meta"
        monkeypatch.setenv("CONVDOJO_DEVICE", "tpu")
        devices.default_device.cache_clear()
        with pytest.raises(ValueError, match="cpu, cuda, meta"):
            devices.default_device()
    finally:
        devices.default_device.cache_clear()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_device() -> None:
    result = check("channels", nn.Conv2d(3, 16, 3, padding=1), device="cuda", hidden=True)
    assert result.passed


def test_cuda_requested_without_gpu_is_a_clear_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="no usable CUDA device"):
        check("channels", nn.Conv2d(3, 16, 3, padding=1), device="cuda")


def test_value_exercises() -> None:
    assert check("weight_shape", (5, 3, 5, 5)).passed
    assert check("weight_shape", torch.Size([5, 3, 5, 5])).passed
    tf = check("weight_shape", (5, 5, 3, 5))
    assert not tf.passed and "TensorFlow" in feedback(tf)
    assert check("param_count", 380).passed
    nobias = check("param_count", 375)
    assert not nobias.passed and "bias" in feedback(nobias)
    wrong_type = check("param_count", "380")
    assert not wrong_type.passed and "str" in feedback(wrong_type)


def test_result_renders_as_html_and_text() -> None:
    result = check("channels", nn.Conv2d(3, 16, 3))
    html = result._repr_html_()
    assert "channels" in html and "<li>" in html and "= 14" in html
    assert str(result).startswith("channels: not yet")
    assert result.to_dict()["status"] == "failed"


def test_hidden_findings_never_show_hidden_inputs_or_outputs() -> None:
    from convdojo import specs

    spec = specs.get("padding")
    hidden = [v for v in spec.variants if v.hidden]
    # A padded layer returns an output where torch must refuse, and wrong sizes elsewhere.
    result = check("padding", nn.Conv2d(16, 16, 5, padding=2), hidden=True)
    texts = [f.message for f in result.findings if f.hidden] + result.feedback
    for variant in hidden:
        shown = str(tuple(variant.input_shape))
        assert all(shown not in t for t in texts), shown
    # A hidden input torch must refuse, answered anyway: the output's shape stays hidden.
    from convdojo.checks.layer import _variant
    from convdojo.specs import Variant

    layer = nn.Conv2d(16, 16, 5, padding=2)
    finding = _variant(spec, layer, [layer], Variant((1, 16, 3, 3), "too small", hidden=True),
                       torch.device("cpu"), seed=0)
    assert not finding.passed and "(1, 16, 3, 3)" not in finding.message
