"""PyTorch's output-size arithmetic, one spatial dimension at a time.

Every function follows the rules of the pinned torch exactly (floor division,
``ceil_mode``, ``'same'`` padding) and raises ``ValueError`` with a reason for
configurations that torch refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Union

Padding = Union[int, str]

__all__ = [
    "conv_out",
    "pool_out",
    "avgpool_out",
    "conv_transpose_out",
    "same_padding",
    "resolve_padding",
    "conv_formula",
    "pool_formula",
    "avgpool_formula",
    "conv_transpose_formula",
    "conv_params",
    "conv_transpose_params",
    "linear_params",
    "receptive_field",
    "ntuple",
]


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


def _non_negative(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Padding (before, after) that ``padding='same'`` adds; the odd extra goes after."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def resolve_padding(
    padding: Padding, kernel_size: int, stride: int = 1, dilation: int = 1
) -> tuple[int, int]:
    """Turn an int, ``'same'`` or ``'valid'`` into (before, after) pixels."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "same":
            if stride != 1:
                raise ValueError(
                    f"padding='same' is not supported for strided convolutions "
                    f"(stride={stride}): the padding it needs would depend on the input "
                    "size. Use an integer padding instead."
                )
            return same_padding(kernel_size, dilation)
        raise ValueError(f"padding must be an int, 'same' or 'valid', got {padding!r}")
    _non_negative("padding", padding)
    return padding, padding


def _span(kernel_size: int, dilation: int) -> int:
    return dilation * (kernel_size - 1) + 1


def conv_out(
    size: int, kernel_size: int, stride: int = 1, padding: Padding = 0, dilation: int = 1
) -> int:
    """Output size of ``nn.Conv2d`` along one dimension."""
    for name, value in (("size", size), ("kernel_size", kernel_size), ("stride", stride),
                        ("dilation", dilation)):
        _positive(name, value)
    before, after = resolve_padding(padding, kernel_size, stride, dilation)
    padded = size + before + after
    span = _span(kernel_size, dilation)
    if span > padded:
        raise ValueError(
            f"the kernel is larger than the padded input: the kernel spans {span} pixels "
            f"(dilation*(kernel_size-1)+1 = {dilation}*({kernel_size}-1)+1) but the padded "
            f"input is only {padded} (size {size} + padding {before}+{after}). "
            "PyTorch refuses this: \"Kernel size can't be greater than actual input size\"."
        )
    return (padded - span) // stride + 1


def pool_out(
    size: int,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output size of ``nn.MaxPool2d`` along one dimension (stride defaults to kernel)."""
    stride = kernel_size if stride is None else stride
    for name, value in (("size", size), ("kernel_size", kernel_size), ("stride", stride),
                        ("dilation", dilation)):
        _positive(name, value)
    _non_negative("padding", padding)
    if 2 * padding > kernel_size:
        raise ValueError(
            f"pooling padding must be at most half the kernel size, but padding={padding} "
            f"and kernel_size={kernel_size} (the limit is {kernel_size // 2}): a window "
            "could then lie entirely in the padding."
        )
    span = _span(kernel_size, dilation)
    numerator = size + 2 * padding - span + ((stride - 1) if ceil_mode else 0)
    out = numerator // stride + 1  # Python's // rounds toward -inf, like torch's div_rtn
    # With ceil_mode, torch drops a last window that would start in the right padding.
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    if out < 1:
        raise ValueError(
            f"the pooling window is larger than the padded input: the window spans {span} "
            f"pixels but the padded input is only {size + 2 * padding} "
            f"(size {size} + 2*{padding}), so the output would have size {out}. "
            "PyTorch refuses this: \"Output size is too small\"."
        )
    return out


def avgpool_out(
    size: int,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
) -> int:
    """Output size of ``nn.AvgPool2d`` along one dimension (no dilation)."""
    return pool_out(size, kernel_size, stride, padding, 1, ceil_mode)


def conv_transpose_out(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output size of ``nn.ConvTranspose2d`` along one dimension."""
    for name, value in (("size", size), ("kernel_size", kernel_size), ("stride", stride),
                        ("dilation", dilation)):
        _positive(name, value)
    if isinstance(padding, str):
        raise ValueError(
            f"ConvTranspose2d takes an integer padding, not {padding!r}: "
            "'same' and 'valid' exist only for Conv2d."
        )
    _non_negative("padding", padding)
    _non_negative("output_padding", output_padding)
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError(
            f"output_padding must be smaller than either the stride or the dilation, but "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}: it only "
            "chooses among the output sizes that the same convolution would map back."
        )
    out = (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < 1:
        raise ValueError(
            f"the transposed convolution's output would have size {out}: padding={padding} "
            f"removes more than the (size-1)*stride + dilation*(kernel_size-1) + "
            f"output_padding + 1 = {out + 2 * padding} pixels it produces."
        )
    return out


def conv_formula(
    size: int, kernel_size: int, stride: int = 1, padding: Padding = 0, dilation: int = 1
) -> str:
    """PyTorch's Conv2d formula with these numbers filled in."""
    before, after = resolve_padding(padding, kernel_size, stride, dilation)
    pad = f"2*{before}" if before == after else f"({before}+{after})"
    text = f"floor(({size} + {pad} - {dilation}*({kernel_size}-1) - 1) / {stride}) + 1"
    try:
        return f"{text} = {conv_out(size, kernel_size, stride, padding, dilation)}"
    except ValueError:
        return f"{text} < 1 (refused)"


def pool_formula(
    size: int,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int | None = 1,
    ceil_mode: bool = False,
    *,
    avg: bool = False,
) -> str:
    """PyTorch's pooling formula with these numbers filled in.

    ``avg`` (or ``dilation=None``) is average pooling's formula, which has no dilation term.
    """
    avg = avg or dilation is None
    dilation = 1 if dilation is None else dilation
    s = kernel_size if stride is None else stride
    rnd = "ceil" if ceil_mode else "floor"
    window = f"{kernel_size}" if avg else f"{dilation}*({kernel_size}-1) - 1"
    text = f"{rnd}(({size} + 2*{padding} - {window}) / {s}) + 1"
    try:
        out = pool_out(size, kernel_size, stride, padding, dilation, ceil_mode)
    except ValueError:
        return f"{text} (refused)"
    if ceil_mode and out != -(-(size + 2 * padding - _span(kernel_size, dilation)) // s) + 1:
        return f"{text} - 1 = {out} (the last window would start in the padding)"
    return f"{text} = {out}"


def avgpool_formula(
    size: int,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
) -> str:
    """PyTorch's AvgPool formula with these numbers filled in: it has no dilation term."""
    return pool_formula(size, kernel_size, stride, padding, 1, ceil_mode, avg=True)


def conv_transpose_formula(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> str:
    """PyTorch's ConvTranspose2d formula with these numbers filled in."""
    text = (f"({size}-1)*{stride} - 2*{padding} + {dilation}*({kernel_size}-1) "
            f"+ {output_padding} + 1")
    try:
        out = conv_transpose_out(size, kernel_size, stride, padding, output_padding, dilation)
    except ValueError:
        return f"{text} (refused)"
    return f"{text} = {out}"


def ntuple(value: int | Sequence[int], n: int, name: str = "value") -> tuple[int, ...]:
    """One int per spatial dimension, like torch's ``_ntuple``, but checked: an int is
    repeated ``n`` times, a sequence must hold exactly ``n`` ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == n \
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(int(v) for v in value)
    raise ValueError(f"{name} must be an int or {n} ints (one per spatial dimension), "
                     f"got {value!r}")


def pair(value: int | Sequence[int]) -> tuple[int, int]:
    a, b = ntuple(value, 2)
    return a, b


def conv_params(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    bias: bool = True,
    groups: int = 1,
    dims: int = 2,
) -> int:
    """Learnable parameters of ``nn.Conv{dims}d``: weight (out, in/groups, *kernel) + bias."""
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("groups", groups)):
        _positive(name, value)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
            f"divisible by groups ({groups})"
        )
    window = 1
    for k in ntuple(kernel_size, dims, "kernel_size"):
        _positive("kernel_size", k)
        window *= k
    return out_channels * (in_channels // groups) * window + (out_channels if bias else 0)


def conv_transpose_params(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    bias: bool = True,
    groups: int = 1,
    dims: int = 2,
) -> int:
    """Learnable parameters of ``nn.ConvTranspose{dims}d``: weight (in, out/groups, *kernel)."""
    return conv_params(in_channels, out_channels, kernel_size, bias, groups, dims)


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Learnable parameters of ``nn.Linear``."""
    return out_features * in_features + (out_features if bias else 0)


def receptive_field(layers: Iterable[Sequence[int]]) -> int:
    """Receptive field of a stack of (kernel_size, stride[, dilation]) layers, input first."""
    field, jump = 1, 1
    for layer in layers:
        kernel_size, stride, *rest = layer
        dilation = rest[0] if rest else 1
        for name, value in (("kernel_size", kernel_size), ("stride", stride),
                            ("dilation", dilation)):
            _positive(name, value)
        field += dilation * (kernel_size - 1) * jump
        jump *= stride
    return field
