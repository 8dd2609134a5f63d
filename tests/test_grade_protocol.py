"""The sandbox's code spells the protocol itself (it runs without the package): its words
must be the ones sandbox/protocol.py declares, on both sides of every pipe."""

from __future__ import annotations

import ast
from pathlib import Path

from convdojo.sandbox import protocol
from convdojo.sandbox.inside import wire

SANDBOX = Path(protocol.__file__).parent
INSIDE = SANDBOX / "inside"
GRADE = SANDBOX.parent / "grade"  # the clean side: it opens envelopes and rebuilds trees


def _tree(name: str) -> ast.Module:
    return ast.parse(((SANDBOX if name.startswith("inside/") else GRADE) / name).read_text())


def _strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return set()


def compared(module: ast.Module, name: str) -> set[str]:
    """Every word ``name`` is compared with (``name == "x"``, ``name in ("x", "y")``)."""
    out: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) \
                and node.left.id == name and isinstance(node.ops[0], (ast.Eq, ast.In)):
            out |= _strings(node.comparators[0])
    return out


def first_args(module: ast.Module, func: str) -> set[str]:
    """The string each ``func("x", ...)`` or ``func(("x", ...))`` call starts with."""
    out: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == func and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Tuple) and arg.elts:
                arg = arg.elts[0]
            out |= _strings(arg) if isinstance(arg, ast.Constant) else set()
    return out


def dict_values(module: ast.Module, key: str) -> set[str]:
    """The literal values of ``key`` in dict displays (``{"t": "tensor", ...}``)."""
    out: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and k.value == key:
                    out |= _strings(v)
                    if isinstance(v, ast.IfExp):
                        out |= _strings(v.body) | _strings(v.orelse)
    return out


def test_child_posts_what_the_sender_reads() -> None:
    posted = first_args(_tree("inside/child.py"), "post") | first_args(
        _tree("inside/runner.py"), "post")
    assert posted == protocol.CHILD_KINDS
    assert compared(_tree("inside/sender.py"), "kind") == protocol.CHILD_KINDS


def test_sender_signs_what_the_worker_reads() -> None:
    relayed = {"note", "fatal"}  # send(kind, ...): the child's own word, checked above
    assert first_args(_tree("inside/sender.py"), "send") | relayed == protocol.FRAME_KINDS
    assert compared(_tree("inside/worker.py"), "kind") == protocol.FRAME_KINDS - {"ready"}


def test_worker_sends_the_declared_messages() -> None:
    assert dict_values(_tree("inside/worker.py"), "type") == protocol.MESSAGES


def test_every_tree_tag_is_declared_and_read_back() -> None:
    sent = dict_values(_tree("inside/sender.py"), "t") | dict_values(
        _tree("inside/codec.py"), "t") | {"tuple", "list"}  # t: type(value).__name__
    assert sent == protocol.TREE_TAGS | protocol.ENVELOPE_TAGS
    opened = {n.value for n in ast.walk(_tree("attribution.py"))
              if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert protocol.ENVELOPE_TAGS <= opened
    assert compared(_tree("inside/codec.py"), "tag") == protocol.PLAIN_TAGS
    rebuilt = compared(_tree("plain.py"), "tag")
    assert protocol.TREE_TAGS - protocol.PLAIN_TAGS <= rebuilt


def test_one_frame_magic_and_one_reader() -> None:
    magic = {ast.literal_eval(n.value) for n in ast.walk(_tree("inside/sender.py"))
             if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "MAGIC"
                                                   for t in n.targets)}
    assert magic == {protocol.MAGIC} and protocol.MAGIC is wire.MAGIC
    assert protocol.read_exact is wire.read_exact


def test_child_hides_every_module_of_the_sandbox() -> None:
    """The child drops the sandbox's own modules from sys.modules before student code runs:
    every one of them, so none is left for a notebook to import and tamper with."""
    from convdojo.sandbox.inside import child

    mine = {f"cdj_inside.{p.stem}" for p in INSIDE.glob("*.py") if p.stem != "__init__"}
    assert mine <= set(child.OWN_MODULES)
