"""PyTorch's output-size arithmetic for 1, 2 or 3 spatial dimensions at once.

``sizes`` is the spatial part of the input shape: ``(L,)`` for Conv1d, ``(H, W)`` for
Conv2d, ``(T, H, W)`` for Conv3d. Every hyperparameter is an int (the same on every
axis) or one int per axis, as the ``nn`` constructors take them; each axis then follows
the one-dimension rules of :mod:`convdojo.shapes`, so the arithmetic lives once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import shapes
from .shapes import Padding, ntuple

__all__ = ["conv_out_nd", "pool_out_nd", "avgpool_out_nd", "conv_transpose_out_nd",
           "spatial_dims"]


def spatial_dims(sizes: Sequence[int]) -> int:
    """How many spatial axes ``sizes`` has; refuses an empty or non-int one."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
        raise ValueError(f"sizes must be the spatial sizes, e.g. (L,), (H, W) or (T, H, W); "
                         f"got {sizes!r}")
    return len(sizes)


def _axes(fn: Callable[..., int], sizes: Sequence[int], **params: object) -> tuple[int, ...]:
    """Apply a one-axis function along every axis; a tuple parameter gives one value each."""
    n = spatial_dims(sizes)
    per_axis: dict[str, tuple[object, ...]] = {}
    for name, value in params.items():
        if value is None or isinstance(value, (str, bool)):
            per_axis[name] = (value,) * n
        else:
            per_axis[name] = ntuple(value, n, name)  # type: ignore[arg-type]
    return tuple(fn(size, **{k: v[i] for k, v in per_axis.items()})
                 for i, size in enumerate(sizes))


def conv_out_nd(
    sizes: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: Padding | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
) -> tuple[int, ...]:
    """Spatial output shape of ``nn.Conv1d``/``Conv2d``/``Conv3d`` (padding may be a string)."""
    return _axes(shapes.conv_out, sizes, kernel_size=kernel_size, stride=stride,
                 padding=padding, dilation=dilation)


def pool_out_nd(
    sizes: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
) -> tuple[int, ...]:
    """Spatial output shape of ``nn.MaxPool1d``/``2d``/``3d`` (stride defaults to kernel)."""
    if isinstance(padding, str):
        raise ValueError(f"pooling takes an integer padding, not {padding!r}: 'same' and "
                         "'valid' exist only for convolutions.")
    return _axes(shapes.pool_out, sizes, kernel_size=kernel_size,
                 stride=kernel_size if stride is None else stride, padding=padding,
                 dilation=dilation, ceil_mode=bool(ceil_mode))


def avgpool_out_nd(
    sizes: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
) -> tuple[int, ...]:
    """Spatial output shape of ``nn.AvgPool1d``/``2d``/``3d`` (no dilation)."""
    out = pool_out_nd(sizes, kernel_size, stride, padding, 1, ceil_mode)
    kernel = ntuple(kernel_size, len(sizes), "kernel_size")
    if len(sizes) == 3 and any(n < k for n, k in zip(sizes, kernel)):
        # avg_pool3d alone checks the unpadded input against the kernel (Pool.h).
        raise ValueError(
            f"AvgPool3d refuses an input smaller than its kernel before padding: the input "
            f"is {tuple(sizes)} (T, H, W) and the kernel {kernel}, so the window is larger "
            "than the input on some axis, whatever the padding.")
    return out


def conv_transpose_out_nd(
    sizes: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
) -> tuple[int, ...]:
    """Spatial output shape of ``nn.ConvTranspose1d``/``2d``/``3d``."""
    if isinstance(padding, str):
        raise ValueError(f"a transposed convolution takes an integer padding, not {padding!r}: "
                         "'same' and 'valid' exist only for Conv1d/2d/3d.")
    return _axes(shapes.conv_transpose_out, sizes, kernel_size=kernel_size, stride=stride,
                 padding=padding, output_padding=output_padding, dilation=dilation)
