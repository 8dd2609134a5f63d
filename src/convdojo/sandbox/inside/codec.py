"""Plain data: the tagged trees that carry answers and cases across the sandbox wall.

A tree is JSON: ``None``, booleans, numbers and strings stand for themselves;
anything else is a dict tagged ``"t"`` (tuple, list, dict, size, tensor, ...).
Raw bytes travel as ``{"$b64": ...}``.  ``decode`` rebuilds plain values only;
layers, functions and opaque objects are rebuilt by the grader (``grade.plain``).
"""

from __future__ import annotations

import base64
import math
from typing import Any

__all__ = ["to_json", "from_json", "decode", "encode", "PlainError"]

_SCALARS = (type(None), bool, int, float, str)


class PlainError(ValueError):
    """A tree that is not well-formed plain data."""


def to_json(native: Any) -> Any:
    """Native tree (bytes allowed) -> JSON-able tree."""
    if isinstance(native, bytes):
        return {"$b64": base64.b64encode(native).decode("ascii")}
    if isinstance(native, dict):
        return {str(k): to_json(v) for k, v in native.items()}
    if isinstance(native, (list, tuple)):
        return [to_json(v) for v in native]
    return native


def from_json(tree: Any) -> Any:
    """JSON-able tree -> native tree."""
    if isinstance(tree, dict):
        if set(tree) == {"$b64"} and isinstance(tree["$b64"], str):
            return base64.b64decode(tree["$b64"], validate=True)
        return {k: from_json(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [from_json(v) for v in tree]
    return tree


def _items(tree: dict[str, Any], key: str = "v") -> list[Any]:
    items = tree.get(key)
    if not isinstance(items, list):
        raise PlainError(f"{tree.get('t')!r} node without a list")
    return items


def _tensor(tree: dict[str, Any]) -> Any:
    import torch

    name = str(tree.get("dtype", "")).removeprefix("torch.")
    dtype = getattr(torch, name, None)
    shape = tree.get("shape")
    if not isinstance(dtype, torch.dtype) or not isinstance(shape, list) \
            or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise PlainError("malformed tensor")
    if tree.get("meta"):
        t = torch.empty(shape, dtype=dtype, device="meta")
    else:
        data = tree.get("data")
        if not isinstance(data, (bytes, bytearray)):
            raise PlainError("tensor without data")
        need = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
        if len(data) != need:
            raise PlainError("tensor data of the wrong size")
        if need == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            t = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(dtype).reshape(shape)
    if tree.get("param"):
        return torch.nn.Parameter(t, requires_grad=bool(tree.get("rg")))
    if tree.get("rg") and (t.is_floating_point() or t.is_complex()):
        t.requires_grad_(True)
    return t


def _numpy(tree: dict[str, Any]) -> Any:
    import numpy

    dtype = numpy.dtype(str(tree.get("dtype")))
    data = tree.get("data")
    if dtype.hasobject or not isinstance(data, (bytes, bytearray)):
        raise PlainError("malformed numpy value")
    arr = numpy.frombuffer(bytes(data), dtype=dtype).copy()
    if tree["t"] == "npscalar":
        return arr[0]
    return arr.reshape([int(s) for s in tree.get("shape", [])])


def decode(tree: Any) -> Any:
    """Native tree -> the plain Python value it describes."""
    if isinstance(tree, _SCALARS):
        return tree
    if not isinstance(tree, dict) or not isinstance(tree.get("t"), str):
        raise PlainError(f"not plain data: {type(tree).__name__}")
    tag = tree["t"]
    if tag == "tuple":
        return tuple(decode(v) for v in _items(tree))
    if tag == "list":
        return [decode(v) for v in _items(tree)]
    if tag == "dict":
        return {decode(k): decode(v) for k, v in _items(tree)}
    if tag == "str":
        return str(tree.get("v", ""))
    if tag == "size":
        import torch
        return torch.Size(int(v) for v in _items(tree))
    if tag == "tensor":
        return _tensor(tree)
    if tag in ("ndarray", "npscalar"):
        return _numpy(tree)
    if tag == "bytes":
        return bytes(tree.get("v", b""))
    if tag == "complex":
        re_, im = _items(tree)
        return complex(float(re_), float(im))
    raise PlainError(f"{tag} is not a plain value")


def encode(value: Any) -> Any:
    """A trusted plain value (a spec's case arguments) -> native tree."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) in (tuple, list):
        return {"t": type(value).__name__, "v": [encode(v) for v in value]}
    if type(value) is dict:
        return {"t": "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    if type(value) is bytes:
        return {"t": "bytes", "v": value}
    import numpy
    if type(value) is numpy.ndarray and not value.dtype.hasobject:
        arr = numpy.ascontiguousarray(value)
        return {"t": "ndarray", "dtype": arr.dtype.str, "shape": list(arr.shape),
                "data": arr.tobytes()}
    if isinstance(value, numpy.generic) and not isinstance(value, numpy.object_):
        return {"t": "npscalar", "dtype": value.dtype.str, "shape": [],
                "data": value.tobytes()}
    import torch
    if type(value) is torch.Size:
        return {"t": "size", "v": list(value)}
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        return {"t": "tensor", "dtype": str(t.dtype), "shape": list(t.shape),
                "data": t.reshape(-1).view(torch.uint8).numpy().tobytes(),
                "rg": value.requires_grad, "param": isinstance(value, torch.nn.Parameter),
                "meta": False}
    raise PlainError(f"cannot send a {type(value).__name__} into the sandbox")
