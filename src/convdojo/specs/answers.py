"""Reading value answers: counts and shapes in whatever integral form a student writes them.

A count is any integral number: ``380``, ``380.0``, ``np.int64(380)``, ``torch.tensor(380)``;
never a bool. A shape is a tuple, a list or a ``torch.Size`` of such numbers. What cannot
be read as asked comes back as ``Rejected`` with a message saying why.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

__all__ = ["Rejected", "integral", "as_count", "as_shape", "exception_name", "plain",
           "same_count", "kind_of", "a_type", "with_article"]


@dataclass(frozen=True)
class Rejected:
    """An answer that cannot be the kind of value asked for, and why."""

    message: str


def _tensor_item(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        if value.dim() != 0 or value.dtype == torch.bool or value.is_complex():
            return None
        return value.item()
    return value


def integral(value: Any) -> int | None:
    """``value`` as an int if it is an integral number (not a bool), else None."""
    value = _tensor_item(value)
    if value is None or isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return int(f) if math.isfinite(f) and f.is_integer() else None
    return None


def with_article(name: str) -> str:
    """'an int', 'a str', 'an nn.MaxPool2d' (read "en-en"): a name with its article."""
    vowel = name[:1].lower() in "aeiou" or name.startswith("nn.")
    return f"{'an' if vowel else 'a'} {name}"


def a_type(value: Any) -> str:
    """'an int', 'a str', 'an ndarray': the value's type with its article."""
    return with_article(type(value).__name__)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_count(value: Any) -> int | Rejected:
    """A count (a whole number of things), or why ``value`` is not one."""
    n = integral(value)
    if n is not None:
        return n
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return Rejected(f"{value!r} is a bool (True/False), not a count: write the number.")
    item = _tensor_item(value)
    if isinstance(item, numbers.Real) and not isinstance(item, bool):
        return Rejected(f"{_describe(value)} is not a whole number, and a count always is: "
                        "count again, or round only once you know why it is not whole.")
    if isinstance(value, str):
        return Rejected(f"{_describe(value)} is a string; write the number itself, without "
                        "quotes.")
    return Rejected(f"{_describe(value)} is {a_type(value)}; the answer is a whole number.")


def as_shape(value: Any) -> tuple[int, ...] | Rejected:
    """A shape (a tuple of whole numbers) from a tuple, list or torch.Size, or why not."""
    import torch

    if isinstance(value, str):
        return Rejected(f"{_describe(value)} is a string; write the tuple itself, without "
                        "quotes.")
    if not isinstance(value, (tuple, list, torch.Size)):
        return Rejected(f"{_describe(value)} is {a_type(value)}; the answer is a shape, a "
                        "tuple such as (2, 3).")
    out = []
    for item in value:
        n = integral(item)
        if n is None:
            return Rejected(f"{_describe(value)} contains {_describe(item)}, which is not a "
                            "whole number; every size in a shape is.")
        out.append(n)
    return tuple(out)


def same_count(got: Any, want: int) -> bool:
    """A function's result compared as a count: 448.0 or np.int64(448) equal 448."""
    return as_count(got) == want


def exception_name(value: Any) -> Any:
    """'RuntimeError' from the class RuntimeError, an instance of it, or the string."""
    if isinstance(value, type) and issubclass(value, BaseException):
        return value.__name__
    if isinstance(value, BaseException):
        return type(value).__name__
    return value


def plain(value: Any) -> Any:
    """Normalise a quiz answer: counts to ints, shapes to int tuples, exceptions to names.

    What cannot be normalised stays as it is, so it compares unequal and gets a lesson.
    """
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, str):
        return value.strip().removeprefix("torch.").removesuffix("()")
    value = exception_name(value)
    if isinstance(value, str):
        return value
    n = integral(value)
    if n is not None:
        return n
    shape = as_shape(value)
    return value if isinstance(shape, Rejected) else shape


def kind_of(expected: Any) -> str:
    """How a message names the kind of answer expected: 'a whole number', 'a shape'..."""
    if isinstance(expected, int) and not isinstance(expected, bool):
        return "a whole number"
    if isinstance(expected, tuple):
        return "a shape, a tuple such as (2, 3)"
    if isinstance(expected, dict):
        return "a dictionary"
    if isinstance(expected, str):
        return "a string"
    return a_type(expected)
