"""Variant lists: shown inputs fixed in the spec, hidden ones drawn from a declared range.

The package holds only the range (``Draw``); the hidden inputs themselves are drawn
at grade time from a seed the course secret decides (``convdojo.course``), so
reading site-packages does not reveal them.
"""

from __future__ import annotations

import random
from typing import Any

from .model import Domain, Draw, Variant
from .rules import Rule, Shape

__all__ = ["public", "Draw", "draw_hidden", "draw_numbers", "varying"]

_TRIES = 2000


def public(*items: tuple[Shape, str]) -> tuple[Variant, ...]:
    """Variants the self-check shows with their numbers."""
    return tuple(Variant(tuple(shape), label) for shape, label in items)


def _fits(draw: Draw, sizes: list[int]) -> bool:
    if draw.square is not None and len(sizes) > 1 and (len(set(sizes)) == 1) != draw.square:
        return False
    odd = sum(n % 2 for n in sizes)
    if draw.parity == "odd":
        return odd == len(sizes)
    if draw.parity == "even":
        return odd == 0
    if draw.parity == "mixed":
        return 0 < odd < len(sizes)
    return True


def draw_hidden(rule: Rule, channels: int, draws: tuple[Draw, ...],
                rng: random.Random) -> tuple[Variant, ...]:
    """One hidden input per ``Draw`` (``count`` of them), inside the rule's domain."""
    found: list[Variant] = []
    for draw in draws:
        for _ in range(draw.count):
            for _ in range(_TRIES):
                c = channels if draw.channels is None else rng.randint(*draw.channels)
                sizes = [rng.randint(draw.low, draw.high) for _ in range(draw.dims)]
                if draw.square:
                    sizes = [sizes[0]] * draw.dims
                shape = (rng.randint(1, draw.max_batch), c, *sizes)
                if _fits(draw, sizes) and rule.defined_for(shape):
                    found.append(Variant(shape, draw.label, hidden=True))
                    break
            else:
                raise ValueError(f"no input for {draw.label!r} fits the rule {rule.text!r}: "
                                 "widen the Draw's range")
    return tuple(found)


def draw_numbers(domain: Domain, rng: random.Random) -> dict[str, Any]:
    """One valid combination of the domain's numbers."""
    for _ in range(_TRIES):
        numbers = {name: rng.choice(choices) for name, choices in domain.ranges}
        if domain.valid(**numbers):
            return numbers
    raise ValueError(f"no valid numbers in the domain {domain.names}: check its ranges")


def varying(build: Any, ranges: dict[str, tuple[Any, ...]], defaults: dict[str, Any],
            valid: Any = None, group: str = "") -> Any:
    """The spec ``build(**defaults)`` with a domain: ``build(**numbers)`` for any student.

    Every spec the domain builds carries the domain and its own numbers."""
    from dataclasses import replace

    def make(**numbers: Any) -> Any:
        return replace(build(**numbers), domain=domain, numbers=tuple(numbers.items()))

    domain = Domain(tuple(ranges.items()), make, tuple(defaults.items()),
                    valid or (lambda **numbers: True), group)
    return make(**defaults)
