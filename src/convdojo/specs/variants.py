"""Building variant lists: fixed edge cases plus seeded random sizes, so grades reproduce."""

from __future__ import annotations

import random

from .model import Variant
from .rules import Rule, Shape

__all__ = ["public", "hidden", "random_hidden"]


def public(*items: tuple[Shape, str]) -> tuple[Variant, ...]:
    """Variants the self-check shows with their numbers."""
    return tuple(Variant(tuple(shape), label) for shape, label in items)


def hidden(*items: tuple[Shape, str]) -> tuple[Variant, ...]:
    """Variants only the grader runs; feedback names their label, never their shape."""
    return tuple(Variant(tuple(shape), label, hidden=True) for shape, label in items)


def random_hidden(
    rule: Rule,
    channels: int,
    *,
    seed: int,
    count: int = 3,
    low: int = 2,
    high: int = 48,
    max_batch: int = 5,
) -> tuple[Variant, ...]:
    """``count`` hidden inputs of random size, drawn from ``seed``, within the rule's domain."""
    rng = random.Random(seed)
    found: list[Variant] = []
    while len(found) < count:
        shape = (rng.randint(1, max_batch), channels, rng.randint(low, high),
                 rng.randint(low, high))
        if rule.defined_for(shape):
            found.append(Variant(shape, "another size", hidden=True))
    return tuple(found)
