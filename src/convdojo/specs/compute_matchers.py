"""References, inputs and mistake recognisers of the conv_computes specs.

References are torch's own ``F.conv2d`` and ``F.unfold``; each mistake matcher takes what
``check`` passes it, ``(args, kwargs, result)`` for a function answer and ``(key, value)``
for a quiz item, and recomputes the reference under the error it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from .. import photo
from .answers import Rejected

__all__ = [
    "tensor", "ref_single", "ref_multi", "ref_strided", "ref_im2col", "close", "under",
    "flipped", "first_channel", "channels_kept", "last_window_missing",
    "im2col_steps", "KERNELS", "as_kernels", "ref_edges", "colour_response",
    "photo_crop",
]

_GEN = torch.Generator().manual_seed(1616)


def tensor(*shape: int) -> torch.Tensor:
    """A seeded random float32 tensor: the inputs of the by-hand exercises."""
    return torch.randn(*shape, generator=_GEN)


def drawn(rng: Any, *shape: int) -> torch.Tensor:
    """A float32 tensor for a hidden case, from the grader's own draw (``rng``)."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(rng.getrandbits(63)))


def _sides(rng: Any, low: int, high: int) -> tuple[int, int]:
    """A non-square (H, W) with an odd side: what a loop that mixes up H and W fails."""
    while True:
        h, w = rng.randint(low, high), rng.randint(low, high)
        if h != w and (h % 2 or w % 2):
            return h, w


def single_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    h, w = _sides(rng, 3, 12)
    return (drawn(rng, h, w), drawn(rng, rng.randint(1, min(h, 5)),
                                   rng.randint(1, min(w, 5)))), {}


def multi_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Several input channels, except the last case: one channel and several filters."""
    c, f = (rng.randint(2, 6), rng.randint(1, 4)) if i < 2 else (1, rng.randint(2, 4))
    h, w = _sides(rng, 3, 11)
    return (drawn(rng, c, h, w), drawn(rng, f, c, rng.randint(1, min(h, 4)),
                                       rng.randint(1, min(w, 4)))), {}


_STRIDE_PADDING = ((2, 0), (2, 2), (3, 1))  # each hidden case's kind: no padding, both, a 3


def strided_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    c, f = rng.randint(1, 5), rng.randint(1, 4)
    h, w = _sides(rng, 4, 13)
    kh, kw = rng.randint(1, min(h, 5)), rng.randint(1, min(w, 5))
    stride, padding = _STRIDE_PADDING[i % len(_STRIDE_PADDING)]
    return (drawn(rng, c, h, w), drawn(rng, f, c, kh, kw), stride, padding), {}


def im2col_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A batch with several channels; one image of one channel; a 1×1 kernel on a square."""
    if i % 3 == 2:
        n, c, side = rng.randint(1, 3), rng.randint(2, 6), rng.randint(3, 8)
        return (drawn(rng, n, c, side, side), drawn(rng, rng.randint(1, 3), c, 1, 1)), {}
    n, c = (rng.randint(2, 3), rng.randint(2, 5)) if i % 3 == 0 else (1, 1)
    h, w = _sides(rng, 3, 11)
    return (drawn(rng, n, c, h, w), drawn(rng, rng.randint(1, 5), c, rng.randint(1, min(h, 5)),
                                          rng.randint(1, min(w, 5)))), {}


def crop_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Another window of the photo (150 × 128 at a quarter of its size)."""
    height, width = rng.randint(15, 45), rng.randint(15, 48)
    return (photo_crop(rng.randint(0, 150 - height), rng.randint(0, 128 - width),
                       height, width),), {}


def photo_crop(top: int, left: int, height: int, width: int) -> torch.Tensor:
    """A grey (1, 1, height, width) window of the photo, shrunk 4× (inputs stay small)."""
    return photo.crop(photo.gray(4), top, left, height, width)


# --- convolution by hand -------------------------------------------------------------------


def ref_single(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return F.conv2d(x[None, None], w[None, None])[0, 0]


def ref_multi(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return F.conv2d(x[None], w)[0]


def ref_strided(x: torch.Tensor, w: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    return F.conv2d(x[None], w, stride=stride, padding=padding)[0]


def ref_im2col(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return F.conv2d(x, w)


def close(got: Any, want: torch.Tensor) -> bool:
    """Same shape and the same numbers up to float32 rounding (sums in another order)."""
    if not isinstance(got, torch.Tensor) or not got.is_floating_point():
        return False
    got = got.detach().cpu().to(torch.float32)
    return got.shape == want.shape and bool(torch.allclose(got, want, atol=1e-4, rtol=1e-4))


def under(error: Callable[..., torch.Tensor],
          applies: Callable[..., bool] = lambda *a: True) -> Callable[[tuple], bool]:
    """A matcher: the result is what ``error(*args)`` computes, where the error shows."""
    def matches(case: tuple) -> bool:
        args, kwargs, got = case
        return bool(applies(*args, **kwargs)) and close(got, error(*args, **kwargs))
    return matches


def flipped(reference: Callable[..., torch.Tensor]) -> Callable[[tuple], bool]:
    """True convolution (the kernel turned 180°) where torch computes cross-correlation."""
    return under(lambda x, w, *rest: reference(x, w.flip(-1, -2), *rest))


def first_channel(case: tuple) -> bool:
    """Only input channel 0 is used: the sum across channels is missing."""
    return under(lambda x, w: ref_multi(x[:1], w[:, :1]))(case)


def channels_kept(case: tuple) -> bool:
    """One map per (filter, input channel): the channels were not summed."""
    args, _, got = case
    x, w = args
    return isinstance(got, torch.Tensor) and got.dim() == 4 and tuple(got.shape[:2]) == (
        w.shape[0], x.shape[0])


def last_window_missing(case: tuple) -> bool:
    """The window positions stop one short: range(H + 2p − k) instead of that + 1."""
    args, _, got = case
    want = ref_strided(*args)
    if not isinstance(got, torch.Tensor) or got.dim() != 3 or got.shape == want.shape:
        return False
    h, w = got.shape[1:]
    shorter = (h, w) in ((want.shape[1] - 1, want.shape[2]), (want.shape[1], want.shape[2] - 1),
                         (want.shape[1] - 1, want.shape[2] - 1))
    return shorter and close(got, want[:, :h, :w].contiguous())


# --- im2col --------------------------------------------------------------------------------


def im2col_steps(n: int = 2, c: int = 3, h: int = 9, w_: int = 12, o: int = 8,
                 k: int = 3) -> dict[str, tuple[int, ...]]:
    """The shape of each step of im2col for the quiz's x and w, measured with torch."""
    x, w = torch.zeros(n, c, h, w_), torch.zeros(o, c, k, k)
    patches = F.unfold(x, kernel_size=k)
    rows = w.view(w.shape[0], -1)
    product = rows @ patches
    out = product.view(n, o, h - k + 1, w_ - k + 1)
    assert torch.equal(out, F.conv2d(x, w))
    return {"patches": tuple(patches.shape), "weight": tuple(rows.shape),
            "product": tuple(product.shape), "output": tuple(out.shape)}


# --- classic kernels -----------------------------------------------------------------------

_SOBEL_X = [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]
KERNELS: dict[str, torch.Tensor] = {
    "box_blur": torch.full((3, 3), 1 / 9),
    "sharpen": torch.tensor([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    "sobel_x": torch.tensor(_SOBEL_X),
    "sobel_y": torch.tensor(_SOBEL_X).T.contiguous(),
}


def _kernel(value: Any) -> Any:
    """A 3×3 kernel as rounded numbers, or a description of what it is instead."""
    try:
        t = torch.as_tensor(value, dtype=torch.float64)
    except Exception:
        return f"{type(value).__name__}, not a 3×3 kernel"
    t = t.squeeze() if t.dim() > 2 else t
    if tuple(t.shape) != (3, 3):
        return f"a kernel of shape {tuple(t.shape)}, not 3×3"
    return tuple(tuple(round(float(v), 4) + 0.0 for v in row) for row in t)


def as_kernels(value: Any) -> Any:
    """Normalise the kernels quiz: each named kernel to rounded 3×3 numbers."""
    if isinstance(value, dict):
        return {k: _kernel(v) for k, v in value.items()}
    return Rejected(f"{type(value).__name__} is not a dict; the answer is a dictionary of "
                    f"kernels with the keys {', '.join(KERNELS)}.")


def ref_edges(gray: torch.Tensor) -> torch.Tensor:
    sx = KERNELS["sobel_x"].view(1, 1, 3, 3)
    sy = KERNELS["sobel_y"].view(1, 1, 3, 3)
    return torch.sqrt(F.conv2d(gray, sx, padding=1) ** 2 + F.conv2d(gray, sy, padding=1) ** 2)


def edges_with(combine: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
               padding: int = 1) -> Callable[[torch.Tensor], torch.Tensor]:
    def edges(gray: torch.Tensor) -> torch.Tensor:
        sx = KERNELS["sobel_x"].view(1, 1, 3, 3)
        sy = KERNELS["sobel_y"].view(1, 1, 3, 3)
        return combine(F.conv2d(gray, sx, padding=padding), F.conv2d(gray, sy, padding=padding))
    return edges


# --- one kernel per feature ----------------------------------------------------------------

_COLOURS = {"red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0)}


def _response(kernel: torch.Tensor, rgb: tuple[float, float, float]) -> float:
    patch = torch.tensor(rgb, dtype=torch.float64).view(1, 3, 1, 1).expand(1, 3, 7, 7)
    return float(F.conv2d(patch, kernel).mean())


def colour_response(value: Any) -> Any:
    """What a (1, 3, kh, kw) kernel does to pure colours and to greys, in words."""
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        return Rejected(f"{type(value).__name__} is not a float tensor; the answer is a weight "
                        "tensor of shape (1, 3, kh, kw), as F.conv2d takes it.")
    k = value.detach().cpu().to(torch.float64)
    if k.dim() != 4 or k.shape[0] != 1 or k.shape[1] != 3 or not 1 <= min(k.shape[2:]) \
            or max(k.shape[2:]) > 7:
        return Rejected(f"the weight has shape {tuple(k.shape)}; one kernel over RGB has shape "
                        "(1, 3, kh, kw): one output channel, three input channels, kh and kw "
                        "at most 7.")
    out: dict[str, str] = {}
    red = _response(k, _COLOURS["red"])
    out["red"] = "positive" if red > 1e-3 else "zero" if abs(red) <= 1e-6 else "negative"
    greys = [_response(k, (g, g, g)) for g in (0.2, 0.5, 1.0)]
    out["grey"] = "zero" if all(abs(g) <= 1e-6 for g in greys) else "not zero"
    for name in ("green", "blue"):
        out[name] = "positive" if _response(k, _COLOURS[name]) > 1e-6 else "not positive"
    return out
