"""Rebuilding answers from plain data, in a clean process that never ran student code.

Layers are rebuilt from their class (looked up in ``torch.nn`` by name, never
imported from the data), hyperparameters, weights and children.  What the
self-check would call tampering is rebuilt as tampering the checks recognise:
a no-op hook for a registered hook, a stand-in callable for an instance
override, an empty subclass with the student's class name for a subclass.
Values become the plain values they were; functions become ``Replay``, which
answers the check's calls with the results recorded inside the sandbox.

Nothing here trusts the data: a layer node whose parts are not what a layer is made of
(a parameter that is not a tensor, a child that is not a layer) is refused with a
``PlainError`` naming the part. Whether a well-formed layer's labels agree with its
weights (a forged kernel_size, a swapped weight) is judged by ``convdojo.checks``
(``checks.integrity``) on the rebuilt layer, exactly as the self-check judges the original.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import torch
from torch import nn

from convdojo.checks import MISSING

from convdojo.sandbox.inside.codec import PlainError, decode, from_json

__all__ = ["rebuild", "Replay", "Opaque", "MISSING_VALUE"]

_NAME = re.compile(r"[^A-Za-z0-9_]")
_NN = {n: c for n, c in vars(nn).items() if isinstance(c, type) and issubclass(c, nn.Module)}
try:
    from convdojo.templates import TEMPLATES
except ImportError:  # a kit without templates
    TEMPLATES = ()
_NN.update({f"templates.{c.__name__}": c for c in TEMPLATES})


MISSING_VALUE: Any = MISSING  # the answer variable did not exist: what check() reads so


def _ident(text: Any, default: str = "Answer") -> str:
    name = _NAME.sub("_", str(text))[:60] or default
    return name if not name[0].isdigit() else f"_{name}"


@functools.lru_cache(maxsize=256)
def _standin_class(name: str, base: type) -> type:
    """An empty class named like the student's, so messages name it as the check would."""
    return type(name, (base,), {"__module__": "__main__",
                                "__repr__": lambda self: f"<{name} object>"})


class Opaque:
    """Stands for an object the sandbox could only name (its type)."""


def _noop_hook(*args: Any) -> None:
    return None


def rebuild(tree: Any) -> Any:
    """JSON plain data from the worker -> the answer object for ``convdojo.check``."""
    return _build(from_json(tree), [])


def _build(node: Any, memo: list[nn.Module]) -> Any:
    if not isinstance(node, dict):
        return decode(node)
    tag = node.get("t")
    if tag == "missing":
        return MISSING_VALUE
    if tag == "module":
        return _module(node, memo)
    if tag == "ref":
        index = node.get("i")
        if not isinstance(index, int) or not 0 <= index < len(memo):
            raise PlainError("dangling module reference")
        return memo[index]
    if tag == "tuple":
        return tuple(_build(v, memo) for v in node.get("v", []))
    if tag == "list":
        return [_build(v, memo) for v in node.get("v", [])]
    if tag == "dict":
        return {_build(k, memo): _build(v, memo) for k, v in node.get("v", [])}
    if tag in ("function", "callable"):
        return Replay(str(node.get("name") or node.get("type") or "function"))
    if tag == "class":
        base = _NN.get(str(node.get("base")), object)
        return _standin_class(_ident(node.get("name")), base)
    if tag == "opaque":
        return _standin_class(_ident(node.get("type"), "Object"), Opaque)()
    if tag == "error":
        raise PlainError(str(node.get("message", "the answer could not be read")))
    return decode(node)


def _module(node: dict[str, Any], memo: list[nn.Module]) -> nn.Module:
    name = str(node.get("cls", ""))
    if not node.get("exact"):
        base = _NN.get(str(node.get("base")), nn.Module)
        obj: nn.Module = base.__new__(_standin_class(_ident(name), base))  # type: ignore[arg-type]
        nn.Module.__init__(obj)
        memo.append(obj)
        return obj
    cls = _NN.get(name if node.get("ns", "nn") == "nn" else f"templates.{name}")
    if cls is None:
        raise PlainError(f"unknown layer type {name!r}")
    obj = cls.__new__(cls)
    nn.Module.__init__(obj)
    memo.append(obj)  # before the children: the sandbox numbered modules in this order
    where = f"nn.{name}" if node.get("ns", "nn") == "nn" else name
    for key, value in _part(node, "attrs", where).items():
        if key.startswith("__"):
            continue
        obj.__dict__[key] = _build(value, memo)
    obj.training = bool(node.get("training", True))
    for key, value in _part(node, "params", where).items():
        obj._parameters[key] = _parameter(_build(value, memo) if value is not None else None,
                                          f"{where}.{key}")
    for key, value in _part(node, "buffers", where).items():
        b = _build(value, memo) if value is not None else None
        if b is not None and not isinstance(b, torch.Tensor):
            raise PlainError(f"{where}.{key} is registered as a buffer but is not a tensor")
        obj._buffers[key] = b
    nonpersistent = node.get("nonpersistent", [])
    obj._non_persistent_buffers_set = {str(n) for n in nonpersistent} if isinstance(
        nonpersistent, list) else set()
    for key, value in _part(node, "children", where).items():
        child = _build(value, memo) if value is not None else None
        if child is not None and not isinstance(child, nn.Module):
            raise PlainError(f"{where}.{key} is a child layer that is not a layer")
        obj._modules[key] = child
    for hook_dict in node.get("hooks", []):
        if hook_dict in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                         "_backward_pre_hooks"):
            getattr(obj, hook_dict)[0] = _noop_hook  # "has hooks registered"
    for method in node.get("shadowed", []):
        if isinstance(method, str) and hasattr(cls, method):
            obj.__dict__[method] = functools.partial(getattr(cls, method), obj)
    if node.get("broken"):
        obj.__dict__["forward"] = functools.partial(cls.forward, obj)
    return obj


def _part(node: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    part = node.get(key, {})
    if not isinstance(part, dict) or not all(isinstance(k, str) for k in part):
        raise PlainError(f"the {key} of {where} are not named entries")
    return part


def _parameter(value: Any, where: str) -> nn.Parameter | None:
    """A parameter as the sandbox saw it: its values, dtype and requires_grad, or refused."""
    if value is None or isinstance(value, nn.Parameter):
        return value
    if not isinstance(value, torch.Tensor):
        raise PlainError(f"{where} is registered as a parameter but is not a tensor")
    grad = value.requires_grad and (value.is_floating_point() or value.is_complex())
    return nn.Parameter(value.detach(), requires_grad=grad)


class Replay:
    """A stand-in for a student's function: replays the results recorded in the sandbox.

    ``results`` maps a spec case's index to ``(True, value)`` or ``(False, (name, text))``.
    The n-th call answers the n-th case the check asks about (``order``).
    """

    def __init__(self, name: str) -> None:
        self.__name__ = _ident(name, "function")
        self.results: dict[int, tuple[bool, Any]] = {}
        self.order: list[int] = []
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        index = self.order[self.calls] if self.calls < len(self.order) else -1
        self.calls += 1
        if index not in self.results:
            raise RuntimeError("this case did not run in the sandbox (the notebook stopped "
                               "before it)")
        ok, value = self.results[index]
        if ok:
            return value
        name, text = value
        exc_type = _standin_class(_ident(name, "Exception"), Exception)
        raise exc_type(text)

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"
