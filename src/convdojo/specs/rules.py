"""Rules: how an exercise's target shape follows from any input shape.

Hidden variants take their expected shapes from the rule, never from the
student's layer (a layer with kernel 33 is consistent with itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Shape = tuple[int, ...]

__all__ = [
    "Shape", "SizeRule", "Rule", "KEEP", "HALVE", "CEIL_HALF", "shrink", "grow", "times",
    "ceil_div", "floor_div", "const", "spatial", "spatial_nd", "fixed", "RAISES",
]


class _Raises:
    """Marks an input that torch must refuse."""

    def __repr__(self) -> str:
        return "RAISES"


RAISES = _Raises()


@dataclass(frozen=True)
class SizeRule:
    """What happens to one spatial size, e.g. 'kept' or 'exactly halved'."""

    text: str
    fn: Callable[[int], int]
    defined_for: Callable[[int], bool] = lambda n: n >= 1
    domain: str = "any size"

    def __call__(self, n: int) -> int:
        return self.fn(n)


KEEP = SizeRule("kept", lambda n: n)
HALVE = SizeRule("exactly halved", lambda n: n // 2, lambda n: n >= 2 and n % 2 == 0,
                 "even sizes")
CEIL_HALF = SizeRule("halved, rounding up (ceil(H/2))", lambda n: -(-n // 2))


def shrink(k: int) -> SizeRule:
    return SizeRule(f"shrinks by {k}", lambda n: n - k, lambda n: n - k >= 1,
                    f"sizes above {k}")


def grow(k: int) -> SizeRule:
    return SizeRule(f"grows by {k}", lambda n: n + k)


def times(s: int) -> SizeRule:
    return SizeRule(f"multiplied by {s}", lambda n: n * s)


def ceil_div(s: int) -> SizeRule:
    return SizeRule(f"divided by {s}, rounding up", lambda n: -(-n // s))


def floor_div(s: int) -> SizeRule:
    return SizeRule(f"divided by {s}, rounding down", lambda n: n // s,
                    lambda n: n >= s, f"sizes of at least {s}")


def const(c: int) -> SizeRule:
    return SizeRule(f"always {c}", lambda n: c)


@dataclass(frozen=True)
class Rule:
    """Maps an input shape (N, C, H, W) to the target shape, or to RAISES."""

    text: str
    out_shape: Callable[[Shape], Shape | _Raises]
    defined_for: Callable[[Shape], bool] = lambda shape: True
    domain: str = "any input"

    def __call__(self, shape: Shape) -> Shape | _Raises:
        return self.out_shape(tuple(shape))


def spatial(channels: int | None, h: SizeRule, w: SizeRule | None = None) -> Rule:
    """(N, C, H, W) -> (N, channels or C, h(H), w(W))."""
    w = h if w is None else w
    chan = "channels kept" if channels is None else f"out_channels {channels}"
    size = (f"spatial size {h.text}" if w is h
            else f"height {h.text}, width {w.text}")

    def out(shape: Shape) -> Shape:
        n, c, height, width = shape
        return (n, c if channels is None else channels, h(height), w(width))

    def ok(shape: Shape) -> bool:
        return len(shape) == 4 and h.defined_for(shape[2]) and w.defined_for(shape[3])

    domain = h.domain if w is h else f"height: {h.domain}, width: {w.domain}"
    return Rule(f"{chan}, {size}", out, ok, domain)


def fixed(text: str, out: Callable[[Shape], Shape | _Raises],
          defined_for: Callable[[Shape], bool] = lambda s: True) -> Rule:
    """A rule written as a plain function, for shapes like (N, 10)."""
    return Rule(text, out, defined_for)


def spatial_nd(channels: int | None, *sizes: SizeRule) -> Rule:
    """(N, C, *S) -> (N, channels or C, one size rule per axis): (N, C, L) with one rule,
    (N, C, T, H, W) with three."""
    names = {1: ("L",), 2: ("H", "W"), 3: ("T", "H", "W")}[len(sizes)]
    chan = "channels kept" if channels is None else f"out_channels {channels}"
    text = ", ".join(f"{n} {r.text}" for n, r in zip(names, sizes))

    def out(shape: Shape) -> Shape:
        n, c, *rest = shape
        return (n, c if channels is None else channels, *(r(x) for r, x in zip(sizes, rest)))

    def ok(shape: Shape) -> bool:
        return len(shape) == len(sizes) + 2 and all(
            r.defined_for(x) for r, x in zip(sizes, shape[2:]))

    domain = "; ".join(f"{n}: {r.domain}" for n, r in zip(names, sizes))
    return Rule(f"{chan}, {text}", out, ok, domain)
