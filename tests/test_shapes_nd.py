"""Property-based tests: ``convdojo.shapes_nd`` against real 1-D and 3-D torch layers.

As in test_shapes.py (whose helpers and topics this reuses): each property builds the
real ``nn`` layer with one setting per axis, runs it on a ``(1, 1, *sizes)`` tensor and
compares. torch refuses <=> shapes_nd raises ``ValueError``; otherwise the spatial
shapes are equal; when exactly one axis alone is invalid, the reasons share a topic.
Per-axis tuples, an int for every axis, padding strings, ``ceil_mode``, the default
pooling stride, ``output_padding`` and dilation are all drawn.
"""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn as nn
from hypothesis import example, given, note
from hypothesis import strategies as st
from test_shapes import TOPICS, Dim, _settings, _single_thread, ours, random_dims  # noqa: F401

from convdojo import shapes
from convdojo.shapes_nd import avgpool_out_nd, conv_out_nd, conv_transpose_out_nd, pool_out_nd

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

# torch's 1-D pooling words its checks its own way.
TOPICS_ND = TOPICS + [
    (r"padding should be at most half", ["half"]),
    (r"Invalid computed output size", None),
    (r"smaller than kernel size", ["larger"]),
]
MAX_SIZE = {1: 40, 3: 11}
CONVS = {1: nn.Conv1d, 3: nn.Conv3d}
TRANSPOSED = {1: nn.ConvTranspose1d, 3: nn.ConvTranspose3d}
MAXPOOLS = {1: nn.MaxPool1d, 3: nn.MaxPool3d}
AVGPOOLS = {1: nn.AvgPool1d, 3: nn.AvgPool3d}


@st.composite
def axes(draw, n_dims=st.sampled_from([1, 3]), **limits):
    """(n, [Dim per axis]): sometimes every axis alike, so an int covers them all."""
    n = draw(n_dims)
    limits = {"max_kernel": 5 if n == 3 else 9, **limits}
    first = draw(random_dims(**limits).filter(lambda d: d.size <= MAX_SIZE[n]))
    if draw(st.booleans()):
        return n, [first] * n
    rest = [draw(random_dims(**limits).filter(lambda d: d.size <= MAX_SIZE[n]))
            for _ in range(n - 1)]
    return n, [first, *rest]


def form(values: list, as_int: bool):
    """All equal and drawn so: the int form torch repeats; else one entry per axis."""
    return values[0] if as_int and len(set(values)) == 1 else tuple(values)


def outcome(make_layer, sizes, empty_is_refusal=False):
    try:
        layer = make_layer()
        with torch.no_grad():
            y = layer(torch.zeros(1, 1, *sizes))
    except (RuntimeError, ValueError, TypeError) as exc:
        return exc
    if empty_is_refusal and 0 in y.shape[2:]:
        return RuntimeError(f"Output size is too small: empty output {tuple(y.shape)}")
    return tuple(y.shape[2:])


def agree(theirs, fn_nd, per_axis, too_small, *args, **kwargs):
    """Compare torch with ``fn_nd``; ``per_axis`` are the one-axis outcomes (to attribute)."""
    mine = ours_nd(fn_nd, *args, **kwargs)
    if not isinstance(theirs, Exception):
        assert not isinstance(mine, Exception), f"torch gives {theirs}, shapes_nd: {mine!r}"
        assert mine == theirs
        return
    assert isinstance(mine, ValueError), f"torch refuses ({theirs}) but shapes_nd gives {mine}"
    if sum(isinstance(e, ValueError) for e in per_axis) != 1:
        return
    for pattern, words in TOPICS_ND:
        if re.search(pattern, str(theirs)):
            for word in (too_small if words is None else words):
                assert word.lower() in str(mine).lower(), (str(theirs), str(mine))
            return
    pytest.fail(f"unrecognised torch error message: {theirs}")


def ours_nd(fn, *args, **kwargs):
    try:
        out = fn(*args, **kwargs)
    except ValueError as exc:
        return exc
    assert isinstance(out, tuple) and all(isinstance(v, int) and v >= 1 for v in out), out
    return out


@_settings(600)
@given(case=axes(), padding=st.sampled_from(["int", "same", "valid"]), as_int=st.booleans())
@example(case=(1, [Dim(16000, 400, 160, 0)]), padding="int", as_int=True)  # a speech front end
@example(case=(3, [Dim(8, 3, 1, 0, 1), Dim(9, 3, 2, 0, 1), Dim(9, 3, 1, 0, 1)]),
         padding="same", as_int=False)  # 'same' refused when any axis strides
@example(case=(1, [Dim(7, 4, 1, 0, 2)]), padding="same", as_int=True)  # odd extra after
def test_conv_out_nd_matches_conv1d_conv3d(case, padding, as_int):
    n, dims = case
    note(f"n={n} dims={dims} padding={padding}")
    sizes = [d.size for d in dims]
    k, s, d = (form([getattr(a, f) for a in dims], as_int)
               for f in ("kernel", "stride", "dilation"))
    p = form([a.padding for a in dims], as_int) if padding == "int" else padding
    theirs = outcome(lambda: CONVS[n](1, 1, k, s, p, d, bias=False), sizes)
    per_axis = [ours(shapes.conv_out, a.size, a.kernel, a.stride,
                     a.padding if padding == "int" else padding, a.dilation) for a in dims]
    agree(theirs, conv_out_nd, per_axis, ["larger"], sizes, k, s, p, d)


@_settings(600)
@given(case=axes(max_kernel=7, max_stride=4, max_padding=4, max_dilation=3),
       default_stride=st.booleans(), ceil_mode=st.booleans(), as_int=st.booleans())
# ceil_mode's last window must start inside the input or the left padding: 3, not 4.
@example(case=(1, [Dim(5, 2, 2, 1)]), default_stride=False, ceil_mode=True, as_int=True)
@example(case=(3, [Dim(5, 2, 2, 1), Dim(7, 3, 2, 0), Dim(4, 2, 2, 0)]), default_stride=False,
         ceil_mode=True, as_int=False)
@example(case=(1, [Dim(6, 3, 1, 2)]), default_stride=False, ceil_mode=False, as_int=True)
def test_pool_out_nd_matches_maxpool1d_maxpool3d(case, default_stride, ceil_mode, as_int):
    n, dims = case
    note(f"n={n} dims={dims} default_stride={default_stride} ceil_mode={ceil_mode}")
    sizes = [d.size for d in dims]
    k, s, p, d = (form([getattr(a, f) for a in dims], as_int)
                  for f in ("kernel", "stride", "padding", "dilation"))
    s = None if default_stride else s
    theirs = outcome(lambda: MAXPOOLS[n](k, s, p, d, ceil_mode=ceil_mode), sizes)
    per_axis = [ours(shapes.pool_out, a.size, a.kernel, None if default_stride else a.stride,
                     a.padding, a.dilation, ceil_mode) for a in dims]
    agree(theirs, pool_out_nd, per_axis, ["larger"], sizes, k, s, p, d, ceil_mode)


@_settings(400)
@given(case=axes(max_kernel=7, max_stride=4, max_padding=4, max_dilation=1),
       default_stride=st.booleans(), ceil_mode=st.booleans(), as_int=st.booleans(),
       count_include_pad=st.booleans())
@example(case=(1, [Dim(5, 2, 2, 1)]), default_stride=False, ceil_mode=True, as_int=True,
         count_include_pad=False)
def test_avgpool_out_nd_matches_avgpool1d_avgpool3d(case, default_stride, ceil_mode, as_int,
                                                    count_include_pad):
    n, dims = case
    sizes = [d.size for d in dims]
    k, s, p = (form([getattr(a, f) for a in dims], as_int)
               for f in ("kernel", "stride", "padding"))
    s = None if default_stride else s
    theirs = outcome(lambda: AVGPOOLS[n](k, s, p, ceil_mode=ceil_mode,
                                         count_include_pad=count_include_pad), sizes)
    per_axis = [ours(shapes.avgpool_out, a.size, a.kernel,
                     None if default_stride else a.stride, a.padding, ceil_mode) for a in dims]
    agree(theirs, avgpool_out_nd, per_axis, ["larger"], sizes, k, s, p, ceil_mode)


@_settings(600)
@given(case=axes(max_kernel=5, max_stride=4, max_padding=6, max_dilation=3,
                 max_output_padding=3), as_int=st.booleans())
@example(case=(1, [Dim(4, 3, 2, 1, 1, 2)]), as_int=True)  # output_padding == stride
@example(case=(3, [Dim(4, 3, 1, 0, 3, 2), Dim(4, 3, 2, 1, 1, 1), Dim(3, 1, 1, 0)]),
         as_int=False)  # output_padding below the dilation, below the stride
@example(case=(1, [Dim(1, 1, 1, 1)]), as_int=True)  # output size below 1
def test_conv_transpose_out_nd_matches_convtranspose1d_3d(case, as_int):
    """As for 2-D, an empty output counts as a refusal (oneDNN's kernel returns one)."""
    n, dims = case
    sizes = [d.size for d in dims]
    k, s, p, op, d = (form([getattr(a, f) for a in dims], as_int)
                      for f in ("kernel", "stride", "padding", "output_padding", "dilation"))
    theirs = outcome(lambda: TRANSPOSED[n](1, 1, k, s, p, op, dilation=d, bias=False), sizes,
                     empty_is_refusal=True)
    per_axis = [ours(shapes.conv_transpose_out, a.size, a.kernel, a.stride, a.padding,
                     a.output_padding, a.dilation) for a in dims]
    agree(theirs, conv_transpose_out_nd, per_axis, ["padding"], sizes, k, s, p, op, d)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("transposed", [False, True])
@_settings(150)
@given(groups=st.integers(1, 3), in_per=st.integers(1, 3), out_per=st.integers(1, 3),
       kernel=st.lists(st.integers(1, 4), min_size=3, max_size=3), bias=st.booleans(),
       as_int=st.booleans(), skew=st.integers(0, 3))
def test_params_nd_match_torch(n, transposed, groups, in_per, out_per, kernel, bias, as_int,
                               skew):
    in_ch, out_ch = groups * in_per + (skew == 1), groups * out_per
    k = kernel[0] if as_int else tuple(kernel[:n])
    cls = {1: (nn.Conv1d, nn.ConvTranspose1d), 2: (nn.Conv2d, nn.ConvTranspose2d),
           3: (nn.Conv3d, nn.ConvTranspose3d)}[n][transposed]
    fn = shapes.conv_transpose_params if transposed else shapes.conv_params
    try:
        layer = cls(in_ch, out_ch, k, bias=bias, groups=groups)
    except (ValueError, RuntimeError):
        with pytest.raises(ValueError, match="divisible by groups"):
            fn(in_ch, out_ch, k, bias, groups, dims=n)
        return
    assert fn(in_ch, out_ch, k, bias, groups, dims=n) == sum(
        p.numel() for p in layer.parameters())


def test_wrong_tuple_lengths_are_refused_with_the_axis_count():
    with pytest.raises(ValueError, match="3 ints"):
        conv_out_nd((8, 9, 9), (3, 3))
    with pytest.raises(ValueError, match="1 ints"):
        pool_out_nd((16,), 2, stride=(2, 2))
    with pytest.raises(ValueError, match="spatial sizes"):
        conv_out_nd((), 3)
    with pytest.raises(ValueError, match="integer padding"):
        conv_transpose_out_nd((4,), 3, padding="same")
    with pytest.raises(ValueError, match="kernel_size"):
        shapes.conv_params(1, 1, (3, 3), dims=3)
    for bad in ((3, 3), 3.0, True):
        with pytest.raises(ValueError):
            shapes.ntuple(bad, 1)  # type: ignore[arg-type]


def test_known_values():
    assert conv_out_nd((16000,), 400, 160) == (98,)  # 25 ms windows every 10 ms at 16 kHz
    assert conv_out_nd((16, 112, 112), (3, 7, 7), (1, 2, 2), (1, 3, 3)) == (16, 56, 56)
    assert pool_out_nd((16, 56, 56), (1, 3, 3), (1, 2, 2), (0, 1, 1)) == (16, 28, 28)
    assert avgpool_out_nd((9,), 2, ceil_mode=True) == (5,)
    assert conv_transpose_out_nd((8, 14, 14), (1, 4, 4), (1, 2, 2), (0, 1, 1)) == (8, 28, 28)
    assert shapes.conv_params(3, 64, (3, 7, 7), dims=3) == 64 * 3 * 147 + 64


def test_avgpool3d_refuses_an_input_smaller_than_its_kernel_like_torch():
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        nn.AvgPool3d(2, padding=1)(torch.zeros(1, 1, 1, 4, 4))
    with pytest.raises(ValueError, match="larger than the input"):
        avgpool_out_nd((1, 4, 4), 2, padding=1)
    assert nn.AvgPool2d(2, padding=1)(torch.zeros(1, 1, 1, 4)).shape[2:] == (1, 3)
    assert avgpool_out_nd((1, 4), 2, padding=1) == (1, 3)  # 2-D has no such check
