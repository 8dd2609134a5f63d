"""convdojo.widgets.geometry on its own, checked against what torch actually does."""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from convdojo import shapes
from convdojo.widgets import geometry as geo

# torch warns that 'same' with an even kernel copies the input; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")

# ----- torch references (also used by test_widget_traits.py) ------------------------------


def torch_layer(spec: geo.Spec, weight=None, bias=None) -> nn.Module:
    """The torch layer that ``spec`` describes, with ``weight``/``bias`` if given."""
    k, s, d = spec.kernel_size, spec.stride, spec.dilation
    if spec.mode == "conv":
        layer = nn.Conv2d(spec.in_channels, spec.out_channels, k, s, spec.padding, d,
                          groups=spec.groups, bias=bias is not None, padding_mode=spec.padding_mode)
    elif spec.mode == "transposed":
        layer = nn.ConvTranspose2d(spec.in_channels, spec.out_channels, k, s, spec.padding,
                                   spec.output_padding, groups=spec.groups, bias=bias is not None,
                                   dilation=d)
    elif spec.mode == "maxpool":
        return nn.MaxPool2d(k, s, spec.padding, d, ceil_mode=spec.ceil_mode)
    else:
        return nn.AvgPool2d(k, s, spec.padding, spec.ceil_mode, spec.count_include_pad,
                            spec.divisor_override)
    with torch.no_grad():
        if weight is not None:
            layer.weight.copy_(torch.tensor(weight, dtype=torch.float64))
        else:
            layer.weight.fill_(1.0)
        if bias is not None:
            layer.bias.copy_(torch.tensor(bias, dtype=torch.float64))
    return layer.double()


def torch_output_size(spec: geo.Spec) -> tuple[tuple[int, int] | None, str]:
    """(H_out, W_out) that torch produces for ``spec``, or None and torch's complaint."""
    try:
        layer = torch_layer(spec)
        out = layer(torch.zeros(1, spec.in_channels, *spec.input_size, dtype=torch.float64))
    except (RuntimeError, ValueError) as exc:
        return None, str(exc)
    return (out.shape[-2], out.shape[-1]), ""


def torch_coverage(spec: geo.Spec) -> torch.Tensor:
    """covered[i, j, oy, ox]: does output (oy, ox) read input pixel (i, j)? (zeros padding)"""
    h, w = spec.input_size
    eye = torch.eye(h * w, dtype=torch.float64).reshape(h * w, 1, h, w)
    one = geo.Spec(**{**spec.__dict__, "in_channels": 1, "out_channels": 1, "groups": 1})
    out = torch_layer(one)(eye)  # one-hot images through an all-ones kernel
    # Max pooling over padding alone gives -inf: that window read nothing.
    return ((out != 0) & out.isfinite()).reshape(h, w, *out.shape[-2:])


def shapes_error(spec: geo.Spec) -> str:
    """The message convdojo.shapes raises for ``spec``, or ''."""
    try:
        geo.build(spec)
    except ValueError as exc:
        return str(exc)
    return ""


# ----- strategies --------------------------------------------------------------------------

small = st.integers(1, 4)


@st.composite
def specs(draw, modes=geo.MODES) -> geo.Spec:
    """Mostly valid configurations, with a share of ones torch refuses."""
    mode = draw(st.sampled_from(modes))
    size = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    kernel = (draw(small), draw(small))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if mode == "avgpool" else (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    kwargs = {}
    if mode == "conv":
        padding = draw(st.one_of(st.sampled_from(["same", "valid"]), st.tuples(st.integers(0, 3), st.integers(0, 3))))
    else:
        padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    if mode == "transposed":
        kwargs["output_padding"] = (draw(st.integers(0, 2)), draw(st.integers(0, 1)))
    if mode.endswith("pool"):
        kwargs["ceil_mode"] = draw(st.booleans())
    if mode == "avgpool":
        kwargs["count_include_pad"] = draw(st.booleans())
    return geo.make_spec(size, kernel, stride, padding, dilation, draw(st.integers(1, 2)),
                         draw(st.integers(1, 2)), mode, **kwargs)


# ----- tests --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(specs())
def test_output_size_and_refusals_match_torch(spec: geo.Spec) -> None:
    expected, complaint = torch_output_size(spec)
    if expected is None:
        assert shapes_error(spec), f"torch refuses ({complaint}) but geometry accepts {spec}"
        return
    geom = geo.build(spec)
    assert geom.output_size == expected
    assert geom.n_steps == expected[0] * expected[1]


@settings(max_examples=150, deadline=None)
@given(specs())
def test_windows_cover_exactly_what_torch_reads(spec: geo.Spec) -> None:
    if torch_output_size(spec)[0] is None:
        return
    geom = geo.build(spec)
    covered = torch_coverage(spec)
    for step in range(geom.n_steps):
        oy, ox = geom.cell(step)
        from_torch = {tuple(ij) for ij in covered[:, :, oy, ox].nonzero().tolist()}
        assert geom.covered_inputs(step) == from_torch, f"step {step} of {spec}"


@settings(max_examples=100, deadline=None)
@given(specs(modes=("conv",)))
def test_conv_taps_match_unfold_in_order(spec: geo.Spec) -> None:
    """F.unfold lists each window's pixels row-major; label pixels 1.. so padding reads 0."""
    if torch_output_size(spec)[0] is None or spec.padding == "same":
        return  # unfold has no asymmetric padding; 'same' is covered by the test above
    geom = geo.build(spec)
    h, w = spec.input_size
    labels = torch.arange(1, h * w + 1, dtype=torch.float64).reshape(1, 1, h, w)
    cols = F.unfold(labels, spec.kernel_size, spec.dilation, spec.padding, spec.stride)[0]
    for step in range(geom.n_steps):
        want = [int(v) - 1 for v in cols[:, step].tolist()]
        got = [y * w + x if geom.kind(y, x) == geo.INPUT else -1 for y, x in geom.window(step)]
        assert got == want


@settings(max_examples=150, deadline=None)
@given(specs())
def test_uncovered_rows_and_cols_are_the_ones_torch_never_reads(spec: geo.Spec) -> None:
    if torch_output_size(spec)[0] is None:
        return
    geom = geo.build(spec)
    never_read = {tuple(ij) for ij in (~torch_coverage(spec).flatten(2).any(dim=2)).nonzero().tolist()}
    # A pixel is never read exactly when its row or its column lies in an uncovered band.
    def real(axis: geo.Axis) -> set[int]:  # real pixels, including ones a transposed conv crops
        return {x // axis.upsample for x in axis.uncovered() if 0 <= x < axis.extent and x % axis.upsample == 0}

    rows, cols = real(geom.rows), real(geom.cols)
    h, w = spec.input_size
    assert never_read == {(i, j) for i in range(h) for j in range(w) if i in rows or j in cols}


@settings(max_examples=150, deadline=None)
@given(specs(), st.integers(0, 10**6), st.booleans())
def test_cell_arithmetic_matches_torch(spec: geo.Spec, seed: int, with_bias: bool) -> None:
    if torch_output_size(spec)[0] is None:
        return
    gen = torch.Generator().manual_seed(seed)
    c, (h, w), (kh, kw) = spec.in_channels, spec.input_size, spec.kernel_size
    x = torch.randint(-5, 6, (c, h, w), generator=gen).double()
    weight = bias = None
    if spec.mode in ("conv", "transposed"):
        shape = (spec.out_channels, c // spec.groups) if spec.mode == "conv" else (c, spec.out_channels // spec.groups)
        weight = torch.randint(-3, 4, (*shape, kh, kw), generator=gen).double().tolist()
        bias = torch.randint(-3, 4, (spec.out_channels,), generator=gen).double().tolist() if with_bias else None
    out = torch_layer(spec, weight, bias)(x[None])[0]
    geom = geo.build(spec)
    for oc in range(out.shape[0]):
        for step in range(geom.n_steps):
            cell = geo.cell_arithmetic(geom, x.tolist(), weight, bias, step, oc)
            assert math.isclose(cell.total, out[oc].flatten()[step].item(), abs_tol=1e-9)


@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [(1, 2), (2, 1), "same"])
def test_padding_modes_read_the_values_torch_pads_with(padding_mode: str, padding) -> None:
    spec = geo.make_spec((4, 5), (3, 4), 1, padding, 1, 2, 3, padding_mode=padding_mode)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 4, 5, generator=gen, dtype=torch.float64)
    weight = torch.randn(3, 2, 3, 4, generator=gen, dtype=torch.float64).tolist()
    out = torch_layer(spec, weight)(x[None])[0]
    geom = geo.build(spec)
    for oc in range(3):
        got = [geo.cell_arithmetic(geom, x.tolist(), weight, None, s, oc).total for s in range(geom.n_steps)]
        assert torch.allclose(torch.tensor(got, dtype=torch.float64), out[oc].flatten())


def test_same_padding_with_an_even_kernel_is_split_like_torch() -> None:
    geom = geo.build(geo.make_spec((6, 6), 4, 1, "same"))
    before, after = shapes.same_padding(4)
    assert (geom.rows.pad_before, geom.rows.pad_after) == (before, after) and before != after
    assert [geom.rows.kind(x) for x in range(geom.rows.lo, geom.rows.hi)].count(geo.PAD) == before + after
    # The asymmetric split is spelled out, and the formula is the shapes module's.
    assert geom.formulas()[0] == f"H_out = {shapes.conv_formula(6, 4, 1, 'same')}"
    assert any(f"{before} before and {after} after" in line for line in geom.formulas())


@pytest.mark.parametrize("spec", [
    geo.make_spec((7, 5), 3, 2, 1),
    geo.make_spec((5, 5), 2, 2, 1, mode="maxpool", ceil_mode=True),
    geo.make_spec((3, 4), 3, 2, 1, mode="transposed", output_padding=1),
])
def test_formulas_come_from_the_shapes_module(spec: geo.Spec) -> None:
    geom = geo.build(spec)
    (h, w), k, s, p = spec.input_size, spec.kernel_size[0], spec.stride[0], spec.padding[0]
    if spec.mode == "conv":
        want = [shapes.conv_formula(n, k, s, p) for n in (h, w)]
    elif spec.mode == "maxpool":
        want = [shapes.pool_formula(n, k, s, p, 1, True) for n in (h, w)]
    else:
        want = [shapes.conv_transpose_formula(n, k, s, p, 1) for n in (h, w)]
    assert geom.formulas() == [f"H_out = {want[0]}", f"W_out = {want[1]}"]
    assert all(re.search(rf"= {n}( \(|$)", line) for line, n in zip(geom.formulas(), geom.output_size))


def test_caption_names_the_rows_and_cols_of_the_window() -> None:
    geom = geo.build(geo.make_spec((7, 7), 3, 2))
    step = 1 * geom.cols.out + 2  # output (1, 2)
    assert geo.describe(geom, step) == "output (1, 2) = sum of input rows 2–4, cols 4–6 × kernel"
    dilated = geo.build(geo.make_spec((7, 7), 3, 1, 0, 2, in_channels=3))
    assert geo.describe(dilated, 0) == ("output (0, 0) = sum over 3 channels of input rows 0–4 every 2, "
                                         "cols 0–4 every 2 × kernel")
    assert "max of input" in geo.describe(geo.build(geo.make_spec((4, 4), 2, 2, mode="maxpool")), 0)


def test_transposed_is_drawn_as_a_zero_inserted_input() -> None:
    spec = geo.make_spec((3, 3), 3, 2, 1, mode="transposed", output_padding=1)
    rows = geo.build(spec).rows
    kinds = [rows.kind(x) for x in range(rows.lo, rows.hi)]
    real = [x for x in range(rows.lo, rows.hi) if rows.kind(x) == geo.INPUT]
    assert real == [0, 2, 4]  # real pixel i sits at i * stride
    assert kinds.count(geo.ZERO) == (3 - 1) * (2 - 1)
    assert rows.stride == 1 and rows.out == shapes.conv_transpose_out(3, 3, 2, 1, 1)


@pytest.mark.parametrize("kwargs", [
    dict(input_size=(2, 2), kernel_size=5),
    dict(input_size=(5, 5), kernel_size=3, stride=2, padding="same"),
    dict(input_size=(5, 5), kernel_size=2, padding=2, mode="maxpool"),
    dict(input_size=(2, 2), kernel_size=2, padding=2, mode="transposed"),
    dict(input_size=(4, 4), kernel_size=2, stride=1, mode="transposed", output_padding=1),
])
def test_refusals_carry_the_shapes_module_message(kwargs) -> None:
    spec = geo.make_spec(**kwargs)
    with pytest.raises(ValueError) as err:
        geo.build(spec)
    assert torch_output_size(spec)[0] is None  # torch refuses it too
    h, k = spec.input_size[0], spec.kernel_size[0]
    s, d, p = spec.stride[0], spec.dilation[0], spec.padding if isinstance(spec.padding, str) else spec.padding[0]
    call = {"conv": lambda: shapes.conv_out(h, k, s, p, d),
            "maxpool": lambda: shapes.pool_out(h, k, s, p, d),
            "transposed": lambda: shapes.conv_transpose_out(h, k, s, p, spec.output_padding[0], d)}
    with pytest.raises(ValueError) as direct:
        call[spec.mode]()
    assert str(err.value) == str(direct.value)


@pytest.mark.parametrize("kwargs, words", [
    (dict(input_size=(5, 5), mode="conv2d"), "mode must be one of"),
    (dict(input_size=(5, 5), kernel_size=(1, 2, 3)), "kernel_size must be an int or a pair"),
    (dict(input_size=(5, 5), dilation=2, mode="avgpool"), "AvgPool2d has no dilation"),
    (dict(input_size=(5, 5), padding="same", mode="maxpool"), "exists only for Conv2d"),
    (dict(input_size=(5, 5), in_channels=3, out_channels=2, groups=2), "divisible by groups"),
])
def test_bad_arguments_raise_readable_value_errors(kwargs, words) -> None:
    with pytest.raises(ValueError, match=words):
        geo.make_spec(**kwargs)


def test_spec_json_round_trip() -> None:
    spec = geo.make_spec((5, 6), (3, 2), (2, 1), (1, 0), (1, 2), 2, 4, "conv", groups=2)
    assert geo.Spec.from_json(spec.to_json()) == spec
