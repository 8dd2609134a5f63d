"""Property-based tests: ``convdojo.shapes`` against real torch layers on CPU.

Every property builds the actual ``nn`` layer with a *pair* of per-dimension
settings, runs it on a tiny non-square ``(1, 1, H, W)`` tensor and compares:

* torch refuses the configuration (``RuntimeError``/``ValueError``, at
  construction or forward)  <=>  ``shapes`` raises ``ValueError`` for H or W;
* otherwise the output's ``(H, W)`` equals ``(f(H-settings), f(W-settings))``;
* when exactly one dimension is refused, the reason ``shapes`` gives is the
  reason torch gives (matched by topic: "strided", "half", ...).

The second dimension is often the identity (kernel 1, stride 1, no padding), so
an error is attributable to a single dimension, and the rest of the time both
dimensions are random and independent.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import torch
import torch.nn as nn
from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from convdojo import shapes
from convdojo.shapes import (
    avgpool_out,
    conv_out,
    conv_params,
    conv_transpose_out,
    conv_transpose_params,
    pool_out,
    receptive_field,
)

pytestmark = pytest.mark.filterwarnings(
    # torch warns that even kernels with padding='same' need a padded copy.
    "ignore:Using padding='same':UserWarning"
)

# Examples per property (about 4,600 random configurations in total, ~15 s on one
# idle core). CONVDOJO_SHAPES_SCALE=10 multiplies them for a deeper search.
SCALE = float(os.environ.get("CONVDOJO_SHAPES_SCALE", "1"))
N_CONV = 1000
N_MAXPOOL = 1000
N_AVGPOOL = 600
N_TRANSPOSE = 1000
N_TRANSPOSE_INVERSE = 200
N_PARAMS = 300  # per layer type
N_RECEPTIVE = 200

MAX_SIZE = 40


def _settings(n: int):
    return settings(max_examples=max(1, round(n * SCALE)), deadline=None)


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    """Tiny tensors: thread start-up and contention would cost more than the maths."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


@contextmanager
def onednn(enabled: bool):
    """Run with torch's oneDNN (mkldnn) CPU kernels on (the default) or off."""
    previous = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = enabled
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = previous


class EmptyOutput(RuntimeError):
    """torch returned a tensor with a zero-sized spatial dimension instead of raising."""


def torch_outcome(make_layer, h: int, w: int, requires_grad: bool = False,
                  use_onednn: bool = True, empty_is_refusal: bool = False):
    """(H_out, W_out) of ``make_layer()`` on a (1, 1, h, w) input, or the exception."""
    try:
        with onednn(use_onednn):
            layer = make_layer()
            x = torch.zeros(1, 1, h, w, requires_grad=requires_grad)
            if requires_grad:
                y = layer(x)
            else:
                with torch.no_grad():
                    y = layer(x)
    except (RuntimeError, ValueError) as exc:
        return exc
    assert y.dim() == 4 and y.shape[:2] == (1, 1)
    if empty_is_refusal and 0 in y.shape[2:]:
        return EmptyOutput(f"Output size is too small: empty output {tuple(y.shape)}")
    return tuple(y.shape[2:])


def ours(fn, *args, **kwargs):
    """The shapes function's result, or the ValueError it raised (anything else propagates)."""
    try:
        out = fn(*args, **kwargs)
    except ValueError as exc:
        return exc
    assert isinstance(out, int) and not isinstance(out, bool), out
    assert out >= 1, f"{fn.__name__} returned {out} instead of raising"
    return out


# torch's error message -> the word(s) our message must contain for the same reason.
TOPICS = [
    (r"not supported for strided convolutions", ["strided"]),
    (r"Kernel size can't be greater than actual input size", ["kernel", "larger"]),
    (r"pad should be .*half", ["half"]),
    (r"output padding must be smaller than either stride or dilation",
     ["output_padding", "stride", "dilation"]),
    (r"Output size is too small", None),  # layer specific, given by the caller
    # oneDNN's ConvTranspose2d kernel on a negative output size (see the transpose test).
    (r"could not construct a memory descriptor", None),
]


def assert_agrees(theirs, ours_h, ours_w, too_small_topic: list[str]):
    errors = [e for e in (ours_h, ours_w) if isinstance(e, ValueError)]
    if isinstance(theirs, Exception):
        assert errors, (
            f"torch refuses ({type(theirs).__name__}: {theirs}) but shapes gives "
            f"H={ours_h}, W={ours_w}"
        )
        if len(errors) == 1:
            # One dimension alone is invalid: the reasons must match.
            message = str(theirs)
            for pattern, words in TOPICS:
                if re.search(pattern, message):
                    words = too_small_topic if words is None else words
                    ours_msg = str(errors[0]).lower()
                    for word in words:
                        assert word.lower() in ours_msg, (
                            f"torch says {message!r}; shapes says {errors[0]!r}, "
                            f"which does not mention {word!r}"
                        )
                    break
            else:
                pytest.fail(f"unrecognised torch error message: {message!r}")
    else:
        assert not errors, f"torch gives {theirs} but shapes raised {errors[0]!r}"
        assert (ours_h, ours_w) == theirs, (
            f"torch gives {theirs}, shapes gives {(ours_h, ours_w)}"
        )


# --------------------------------------------------------------------------
# Strategies: one spatial dimension at a time
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dim:
    size: int
    kernel: int
    stride: int
    padding: int
    dilation: int = 1
    output_padding: int = 0


IDENTITY = st.builds(Dim, size=st.integers(1, MAX_SIZE), kernel=st.just(1),
                     stride=st.just(1), padding=st.just(0))


def random_dims(max_kernel=9, max_stride=5, max_padding=6, max_dilation=4,
                max_output_padding=0):
    return st.builds(
        Dim,
        size=st.integers(1, MAX_SIZE),
        kernel=st.integers(1, max_kernel),
        stride=st.integers(1, max_stride),
        padding=st.integers(0, max_padding),
        dilation=st.integers(1, max_dilation),
        output_padding=st.integers(0, max_output_padding),
    )


def dim_pairs(random):
    """(H, W) settings: both random, or one random and the other the identity."""
    return st.one_of(
        st.tuples(random, random),
        st.tuples(random, IDENTITY),
        st.tuples(IDENTITY, random),
    )


# --------------------------------------------------------------------------
# nn.Conv2d
# --------------------------------------------------------------------------


@_settings(N_CONV)
@given(dims=dim_pairs(random_dims()),
       mode=st.sampled_from(["int", "int", "int", "same", "valid"]),
       requires_grad=st.booleans(), use_onednn=st.booleans())
@example(dims=(Dim(5, 7, 1, 0), Dim(9, 1, 1, 0)), mode="int",  # kernel > input
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(8, 3, 2, 0), Dim(9, 1, 1, 0)), mode="same",  # 'same' + stride
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(6, 4, 1, 0, 3), Dim(7, 2, 1, 0, 1)), mode="same",  # asymmetric 'same'
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(4, 3, 1, 0, 2), Dim(9, 1, 1, 0)), mode="int",  # dilated span > input
         requires_grad=False, use_onednn=True)
def test_conv_out_matches_conv2d(dims, mode, requires_grad, use_onednn):
    h, w = dims
    padding = (h.padding, w.padding) if mode == "int" else mode
    note(f"H={h} W={w} padding={padding!r}")
    theirs = torch_outcome(
        lambda: nn.Conv2d(1, 1, (h.kernel, w.kernel), (h.stride, w.stride), padding,
                          (h.dilation, w.dilation), bias=False),
        h.size, w.size, requires_grad, use_onednn)
    results = [
        ours(conv_out, d.size, d.kernel, d.stride,
             d.padding if mode == "int" else mode, d.dilation)
        for d in (h, w)
    ]
    assert_agrees(theirs, *results, too_small_topic=["larger"])
    if mode == "same" and not isinstance(theirs, Exception):
        assert theirs == (h.size, w.size)


def test_conv_out_same_with_stride_message():
    with pytest.raises(ValueError, match="strided"):
        conv_out(16, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")  # torch agrees


def test_conv_out_kernel_too_large_message():
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_out(4, 7, padding=1)
    assert conv_out(5, 7, padding=1) == 1


def test_conv_out_known_values():
    assert conv_out(32, 3, padding=1) == 32
    assert conv_out(32, 3, stride=2, padding=1) == 16
    assert conv_out(28, 5) == 24
    assert conv_out(10, 3, dilation=2, padding="same") == 10
    assert conv_out(10, 3, padding="valid") == 8
    assert conv_out(224, 7, stride=2, padding=3) == 112


# --------------------------------------------------------------------------
# nn.MaxPool2d (ceil_mode, dilation) and nn.AvgPool2d (ceil_mode)
# --------------------------------------------------------------------------


def pool_dims(max_dilation):
    return dim_pairs(random_dims(max_kernel=7, max_stride=4, max_padding=4,
                                 max_dilation=max_dilation))


@_settings(N_MAXPOOL)
@given(dims=pool_dims(max_dilation=3), default_stride=st.booleans(),
       ceil_mode=st.booleans(), requires_grad=st.booleans(), use_onednn=st.booleans())
# ceil_mode keeps a partial last window ...
@example(dims=(Dim(5, 2, 2, 0), Dim(7, 3, 2, 0)), default_stride=False, ceil_mode=True,
         requires_grad=False, use_onednn=True)
# ... but drops one that would start in the right padding: 3, not 4.
@example(dims=(Dim(5, 2, 2, 1), Dim(5, 1, 1, 0)), default_stride=False, ceil_mode=True,
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(6, 3, 1, 2), Dim(6, 1, 1, 0)), default_stride=False, ceil_mode=False,
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(3, 2, 1, 0, 3), Dim(6, 1, 1, 0)), default_stride=False,
         ceil_mode=False, requires_grad=True, use_onednn=True)
def test_pool_out_matches_maxpool2d(dims, default_stride, ceil_mode, requires_grad,
                                    use_onednn):
    h, w = dims
    note(f"H={h} W={w} default_stride={default_stride} ceil_mode={ceil_mode}")
    stride = None if default_stride else (h.stride, w.stride)
    theirs = torch_outcome(
        lambda: nn.MaxPool2d((h.kernel, w.kernel), stride, (h.padding, w.padding),
                             (h.dilation, w.dilation), ceil_mode=ceil_mode),
        h.size, w.size, requires_grad, use_onednn)
    results = [
        ours(pool_out, d.size, d.kernel, None if default_stride else d.stride,
             d.padding, d.dilation, ceil_mode)
        for d in (h, w)
    ]
    assert_agrees(theirs, *results, too_small_topic=["larger"])


@_settings(N_AVGPOOL)
@given(dims=pool_dims(max_dilation=1), default_stride=st.booleans(),
       ceil_mode=st.booleans(), count_include_pad=st.booleans(), use_onednn=st.booleans())
@example(dims=(Dim(5, 2, 2, 1), Dim(4, 1, 1, 0)), default_stride=False, ceil_mode=True,
         count_include_pad=True, use_onednn=True)
@example(dims=(Dim(6, 3, 1, 2), Dim(6, 1, 1, 0)), default_stride=False, ceil_mode=True,
         count_include_pad=False, use_onednn=True)
def test_avgpool_out_matches_avgpool2d(dims, default_stride, ceil_mode, count_include_pad,
                                       use_onednn):
    h, w = dims
    note(f"H={h} W={w} default_stride={default_stride} ceil_mode={ceil_mode}")
    stride = None if default_stride else (h.stride, w.stride)
    theirs = torch_outcome(
        lambda: nn.AvgPool2d((h.kernel, w.kernel), stride, (h.padding, w.padding),
                             ceil_mode=ceil_mode, count_include_pad=count_include_pad),
        h.size, w.size, use_onednn=use_onednn)
    results = [
        ours(avgpool_out, d.size, d.kernel, None if default_stride else d.stride,
             d.padding, ceil_mode)
        for d in (h, w)
    ]
    assert_agrees(theirs, *results, too_small_topic=["larger"])


def test_pool_padding_message_mentions_half():
    with pytest.raises(ValueError, match="half"):
        pool_out(10, 3, padding=2)
    with pytest.raises(ValueError, match="half"):
        avgpool_out(10, 2, stride=1, padding=2)
    assert pool_out(10, 2, stride=1, padding=1) == 11  # exactly half is allowed


def test_pool_out_known_values():
    assert pool_out(32, 2) == 16
    assert pool_out(7, 2) == 3
    assert pool_out(7, 2, ceil_mode=True) == 4
    assert pool_out(5, 2, 2, padding=1, ceil_mode=True) == 3  # last window dropped
    assert pool_out(112, 3, 2, padding=1) == 56
    assert pool_out(10, 3, 1, dilation=2) == 6


# --------------------------------------------------------------------------
# nn.ConvTranspose2d (output_padding, dilation)
# --------------------------------------------------------------------------


@_settings(N_TRANSPOSE)
@given(dims=dim_pairs(random_dims(max_kernel=6, max_stride=4, max_padding=8,
                                  max_dilation=3, max_output_padding=3)),
       requires_grad=st.booleans(), use_onednn=st.booleans())
@example(dims=(Dim(4, 3, 2, 1, 1, 1), Dim(4, 1, 1, 0)),  # output_padding < stride
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(4, 3, 2, 1, 1, 2), Dim(4, 1, 1, 0)),  # output_padding == stride
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(4, 3, 1, 0, 3, 2), Dim(4, 1, 1, 0)),  # output_padding < dilation
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(1, 1, 1, 1), Dim(4, 1, 1, 0)),  # negative output size
         requires_grad=False, use_onednn=False)
@example(dims=(Dim(1, 4, 1, 2), Dim(1, 4, 1, 0)),  # zero output size, oneDNN path
         requires_grad=False, use_onednn=True)
@example(dims=(Dim(1, 4, 1, 2), Dim(1, 4, 1, 0)),  # zero output size, reference path
         requires_grad=False, use_onednn=False)
@example(dims=(Dim(2, 2, 1, 1), Dim(3, 1, 1, 0)),  # output size exactly 1
         requires_grad=False, use_onednn=True)
def test_conv_transpose_out_matches_convtranspose2d(dims, requires_grad, use_onednn):
    """ConvTranspose2d refuses an output size < 1 ("Output size is too small").

    Exception: torch's oneDNN kernel (the default on CPU for kernels > 1x1) returns an
    *empty* tensor for output size 0 and fails with an unrelated "memory descriptor"
    error for negative sizes, whereas the reference kernel (oneDNN off) raises "Output
    size is too small" for both. shapes follows the reference check, so with oneDNN on
    an empty output counts as a refusal; with oneDNN off the comparison is exact.
    """
    h, w = dims
    note(f"H={h} W={w} oneDNN={use_onednn}")
    theirs = torch_outcome(
        lambda: nn.ConvTranspose2d(1, 1, (h.kernel, w.kernel), (h.stride, w.stride),
                                   (h.padding, w.padding),
                                   (h.output_padding, w.output_padding),
                                   dilation=(h.dilation, w.dilation), bias=False),
        h.size, w.size, requires_grad, use_onednn, empty_is_refusal=use_onednn)
    results = [
        ours(conv_transpose_out, d.size, d.kernel, d.stride, d.padding, d.output_padding,
             d.dilation)
        for d in (h, w)
    ]
    assert_agrees(theirs, *results, too_small_topic=["padding"])


@_settings(N_TRANSPOSE_INVERSE)
@given(d=random_dims(max_kernel=6, max_stride=4, max_padding=3, max_dilation=3))
def test_conv_transpose_inverts_conv_shape(d):
    """Some output_padding < stride maps conv's output size back to its input size."""
    try:
        small = conv_out(d.size, d.kernel, d.stride, d.padding, d.dilation)
    except ValueError:
        return
    back = [
        ours(conv_transpose_out, small, d.kernel, d.stride, d.padding, op, d.dilation)
        for op in range(d.stride)
    ]
    assert d.size in back, back


def test_output_padding_message():
    with pytest.raises(ValueError, match="output_padding") as info:
        conv_transpose_out(4, 3, stride=2, padding=1, output_padding=2)
    assert "stride" in str(info.value) and "dilation" in str(info.value)
    assert conv_transpose_out(4, 3, stride=2, padding=1, output_padding=1) == 8
    assert conv_transpose_out(4, 3, stride=1, output_padding=2, dilation=3) == 12


def test_conv_transpose_out_known_values():
    assert conv_transpose_out(16, 4, stride=2, padding=1) == 32
    assert conv_transpose_out(7, 3, stride=2, padding=1, output_padding=1) == 14
    assert conv_transpose_out(1, 4) == 4


# --------------------------------------------------------------------------
# Parameter counts
# --------------------------------------------------------------------------


@st.composite
def channel_configs(draw):
    groups = draw(st.integers(1, 4))
    if draw(st.integers(0, 4)) == 0:  # sometimes not divisible by groups
        in_ch, out_ch = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    else:
        in_ch = groups * draw(st.integers(1, 4))
        out_ch = groups * draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kernel = draw(st.sampled_from([(kh, kw), [kh, kw], kh]))
    return in_ch, out_ch, kernel, draw(st.booleans()), groups


@pytest.mark.parametrize(
    "fn, layer_cls",
    [(conv_params, nn.Conv2d), (conv_transpose_params, nn.ConvTranspose2d)],
    ids=["Conv2d", "ConvTranspose2d"],
)
@_settings(N_PARAMS)
@given(cfg=channel_configs())
@example(cfg=(3, 64, 3, True, 1))
@example(cfg=(8, 8, (3, 5), False, 8))
@example(cfg=(6, 4, (1, 2), True, 4))
def test_params_match_torch(fn, layer_cls, cfg):
    in_ch, out_ch, kernel, bias, groups = cfg
    try:
        layer = layer_cls(in_ch, out_ch, kernel, bias=bias, groups=groups)
    except (ValueError, RuntimeError) as exc:
        with pytest.raises(ValueError, match="divisible by groups"):
            fn(in_ch, out_ch, kernel, bias=bias, groups=groups)
        note(f"torch: {exc}")
        return
    expected = sum(p.numel() for p in layer.parameters())
    assert fn(in_ch, out_ch, kernel, bias=bias, groups=groups) == expected


def test_linear_params_match_torch():
    for i, o, b in [(1, 1, True), (512, 10, True), (7, 3, False)]:
        assert shapes.linear_params(i, o, b) == sum(
            p.numel() for p in nn.Linear(i, o, bias=b).parameters())


# --------------------------------------------------------------------------
# Receptive field: measured from the gradient footprint of a real stack
# --------------------------------------------------------------------------


def measured_receptive_field(layers, margin: int) -> tuple[int, int]:
    """Extent (rows, cols) of the input pixels that reach the centre output pixel."""
    expected = 1
    jump = 1
    for k, s, d in layers:  # only to size the input
        expected += d * (k - 1) * jump
        jump *= s
    n = expected + margin
    convs = []
    for k, s, d in layers:
        conv = nn.Conv2d(1, 1, k, stride=s, dilation=d, bias=False).double()
        with torch.no_grad():
            conv.weight.fill_(1.0)
        convs.append(conv)
    x = torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    y = nn.Sequential(*convs)(x)
    oh, ow = y.shape[2:]
    y[0, 0, oh // 2, ow // 2].backward()
    footprint = x.grad[0, 0] != 0
    rows = footprint.any(dim=1).nonzero().flatten()
    cols = footprint.any(dim=0).nonzero().flatten()
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


layer_specs = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3))


@_settings(N_RECEPTIVE)
@given(layers=st.lists(layer_specs, min_size=1, max_size=4),
       margin=st.integers(0, 6), short_form=st.booleans())
@example(layers=[(3, 1, 1), (3, 1, 1)], margin=0, short_form=True)
@example(layers=[(3, 2, 1), (3, 2, 1)], margin=3, short_form=True)
@example(layers=[(3, 1, 1), (3, 1, 2), (3, 1, 4)], margin=1, short_form=False)
@example(layers=[(2, 3, 1), (1, 2, 1), (4, 1, 2)], margin=5, short_form=True)
def test_receptive_field_matches_gradient_footprint(layers, margin, short_form):
    # (k, s) when the dilation is 1 and short_form is drawn, to cover the 2-tuple form.
    spec = [(k, s) if (short_form and d == 1) else (k, s, d) for k, s, d in layers]
    rows, cols = measured_receptive_field(layers, margin)
    assert rows == cols
    assert receptive_field(spec) == rows
    # Any iterable of layers works, e.g. a generator.
    assert receptive_field(iter(spec)) == rows


def test_receptive_field_known_values():
    assert receptive_field([]) == 1
    assert receptive_field([(3, 1), (3, 1)]) == 5
    assert receptive_field([(3, 2), (3, 2)]) == 7
    assert receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)]) == 15
    assert receptive_field([(7, 2), (3, 2)]) == 11  # ResNet stem: conv 7/2 + pool 3/2
    assert receptive_field([(3, 1)] * 3) == 7


def test_receptive_field_rejects_bad_layers():
    with pytest.raises(ValueError):
        receptive_field([(3, 0)])
    with pytest.raises(ValueError):
        receptive_field([(0, 1)])
    with pytest.raises(ValueError):
        receptive_field([(3, 1, 0)])
