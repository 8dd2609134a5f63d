"""Identical answers are checked once: check results kept by the answer's exact plain data.

A check is a pure function of the exercise, the answer's plain data (classes,
hyperparameters, weights to the last bit, the function cases' recorded results),
the device and whether hidden inputs are used, so an answer identical to one
already checked gets the same result without running torch again.  Identical
answers are common: the same code run in a fresh sandbox makes the same weights.
The memo lives in one checker process and holds the most recent ``SIZE`` results.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections import OrderedDict
from typing import Any

__all__ = ["key", "get", "put", "clear", "SIZE"]

SIZE = 4096
# Kept pickled: a copy for each caller (who may change it) at C speed, not deepcopy's.
_KEPT: OrderedDict[bytes, bytes] = OrderedDict()


def key(*parts: Any) -> bytes | None:
    """The memo key of one check from everything it depends on (plain data), or None
    for data that has no exact JSON text."""
    try:
        text = json.dumps(parts, sort_keys=True, allow_nan=True, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return None
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()


def get(k: bytes | None) -> dict[str, Any] | None:
    if k is None or k not in _KEPT:
        return None
    _KEPT.move_to_end(k)
    found: dict[str, Any] = pickle.loads(_KEPT[k])
    return found


def put(k: bytes | None, result: dict[str, Any]) -> None:
    if k is None:
        return
    _KEPT[k] = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    _KEPT.move_to_end(k)
    while len(_KEPT) > SIZE:
        _KEPT.popitem(last=False)


def clear() -> None:
    _KEPT.clear()
