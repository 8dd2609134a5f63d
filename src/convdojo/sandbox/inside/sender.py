"""The sandbox's trusted half: reads answers into plain data and signs each frame.

Loaded with ``private.load`` (own globals, own builtins) and run in a thread the
child starts before any student code.  Every operation on a student object is
done through references taken at load time and through base-type slots
(``dict.items``, ``tuple.__getitem__``, ``type.__name__``'s descriptor...), so
neither monkeypatched modules nor overridden dunder methods run here.  The
frame key arrives on a pipe that is drained and closed before the first cell.
"""

from __future__ import annotations

import marshal
import posix

import numpy
import torch
from _blake2 import blake2b

MAGIC = b"CDJFRAME"
MAX_NODES = 20_000
MAX_DEPTH = 40
MAX_STR = 20_000
MAX_BYTES = 16 * 2**20  # an answer's tensors and bytes; a whole LeNet is ~0.3 MiB
MAX_NOTES = 40
MAX_ERROR = 300

_type, _id, _len, _issubclass, _callable, _hasattr, _str = (
    type, id, len, issubclass, callable, hasattr, str)
_tuple, _list, _dict, _int, _float, _bool, _bytes, _complex, _set = (
    tuple, list, dict, int, float, bool, bytes, complex, set)
_OverflowError, _BaseException = OverflowError, BaseException
_dict_items, _dict_len = dict.items, dict.__len__
_list_getitem, _list_append = list.__getitem__, list.append
_int_add, _float_mul, _str_str, _bit_length = int.__add__, float.__mul__, str.__str__, int.bit_length
_tuple_iter, _list_iter = tuple.__iter__, list.__iter__
_to_bytes = int.to_bytes
_obj_getattr = object.__getattribute__
_type_name = type.__dict__["__name__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_fn_name = type(lambda: 0).__dict__["__name__"].__get__
_FunctionType, _BuiltinType, _MethodType = type(lambda: 0), type(len), type(MAGIC.hex)
_read, _write, _close = posix.read, posix.write, posix.close
_dumps = marshal.dumps
_Module, _Parameter, _Tensor, _Size, _TB = (
    torch.nn.Module, torch.nn.Parameter, torch.Tensor, torch.Size, torch._C.TensorBase)
_NoTorchFunction = torch._C.DisableTorchFunction
_detach, _contiguous, _reshape, _view, _numpy = (
    _TB.detach, _TB.contiguous, _TB.reshape, _TB.view, _TB.numpy)
_numel, _element_size = _TB.numel, _TB.element_size
# The descriptors themselves, read off the C base: a subclass's properties cannot lie to them.
_get_dtype, _get_shape, _get_rg, _get_device, _get_layout, _get_quant = (
    _TB.__dict__["dtype"].__get__, _TB.__dict__["shape"].__get__,
    _TB.__dict__["requires_grad"].__get__, _TB.__dict__["device"].__get__,
    _TB.__dict__["layout"].__get__, _TB.__dict__["is_quantized"].__get__)
_device_type = type(torch.device("cpu")).__dict__["type"].__get__
_strided, _uint8 = torch.strided, torch.uint8
_ndarray, _np_generic, _nd_tobytes = numpy.ndarray, numpy.generic, numpy.ndarray.tobytes
_nd_dtype, _nd_shape = numpy.ndarray.dtype.__get__, numpy.ndarray.shape.__get__
_gen_tobytes, _gen_dtype = numpy.generic.tobytes, numpy.generic.dtype.__get__
# Every torch.nn layer class and the kit's templates, by identity: the only classes whose
# state is read.  Templates (convdojo.templates, torch only) are mounted beside the stand-in.
_NN = {id(c): (c, n, "nn") for n, c in vars(torch.nn).items()
       if isinstance(c, type) and issubclass(c, torch.nn.Module)}
try:
    import convdojo_templates
    _NN.update({id(c): (c, c.__name__, "templates") for c in convdojo_templates.TEMPLATES})
except ImportError:  # an older kit without templates
    pass
_NP_SCALARS = frozenset(c.__name__ for c in set(numpy.sctypeDict.values())
                        if isinstance(c, type) and issubclass(c, numpy.generic))
_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
_SLOTS = {"_parameters": "params", "_buffers": "buffers", "_modules": "children"}
_INTERNAL = frozenset({
    "_parameters", "_buffers", "_modules", "_non_persistent_buffers_set", "training",
    "_is_full_backward_hook", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
    "_forward_pre_hooks_with_kwargs", "_state_dict_hooks", "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"} | set(_HOOKS))


def _too_big() -> BaseException:
    return _OverflowError("the answer is too large or too deeply nested to grade")


def plain(obj, st, depth):
    """Plain data (marshal-able, str keys) describing ``obj``; st = [nodes, bytes, memo]."""
    st[0] += 1
    if st[0] > MAX_NODES or depth > MAX_DEPTH:
        raise _too_big()
    t = _type(obj)
    if obj is None or t is _bool or t is _float:
        return obj
    if t is _int:
        return obj if _bit_length(obj) <= 4096 else {"t": "opaque", "type": "int (huge)"}
    if t is _str:
        return obj if _len(obj) <= MAX_STR else {"t": "str", "v": obj[:MAX_STR], "cut": True}
    if t is _tuple or t is _list:
        return {"t": "tuple" if t is _tuple else "list",
                "v": [plain(x, st, depth + 1) for x in (_tuple_iter if t is _tuple else
                                                        _list_iter)(obj)]}
    if t is _dict:
        return {"t": "dict", "v": [[plain(k, st, depth + 1), plain(v, st, depth + 1)]
                                   for k, v in _dict_items(obj)]}
    if t is _Size:
        return {"t": "size", "v": [_int_add(x, 0) for x in _tuple_iter(obj)]}
    if t is _Tensor or t is _Parameter:
        return tensor(obj, st)
    if t is _bytes:
        st[1] += _len(obj)
        return {"t": "bytes", "v": obj} if st[1] <= MAX_BYTES else {"t": "opaque", "type": "bytes"}
    if t is _complex:
        return {"t": "complex", "v": [obj.real, obj.imag]}
    if t is _FunctionType:
        return {"t": "function", "name": _fn_name(obj)}
    if t is _BuiltinType or t is _MethodType:
        return {"t": "function", "name": "built-in"}
    entry = _NN.get(_id(t))
    if entry is not None and entry[0] is t:
        return module(obj, t, entry, st, depth)
    if t is _ndarray or _issubclass(t, _np_generic):
        return array(obj, t, st)
    if _issubclass(t, _type):
        return {"t": "class", "name": _type_name(obj), "base": nn_base(obj)}
    return subclassed(obj, t, st, depth)


def subclassed(obj, t, st, depth):
    """Subclasses of plain types read through the base type, modules named, rest opaque."""
    name = _type_name(t)
    if _issubclass(t, _bool) or _issubclass(t, _int):
        return _int_add(obj, 0)
    if _issubclass(t, _float):
        return _float_mul(obj, 1.0)
    if _issubclass(t, _str):
        return plain(_str_str(obj), st, depth)
    if _issubclass(t, _tuple) or _issubclass(t, _list):
        items = _tuple_iter(obj) if _issubclass(t, _tuple) else _list_iter(obj)
        return {"t": "tuple" if _issubclass(t, _tuple) else "list",
                "v": [plain(x, st, depth + 1) for x in items]}
    if _issubclass(t, _Module):
        return {"t": "module", "cls": name, "exact": False, "base": nn_base(t)}
    if _issubclass(t, _TB):
        return {"t": "opaque", "type": name, "tensor": True}
    if _callable(obj):
        return {"t": "callable", "type": name}
    return {"t": "opaque", "type": name}


def nn_base(cls):
    """The most derived torch.nn class ``cls`` inherits from, or None."""
    if not _issubclass(_type(cls), _type):
        return None
    for base in _type_mro(cls):
        entry = _NN.get(_id(base))
        if entry is not None and entry[0] is base:
            return entry[1] if entry[2] == "nn" else "templates." + entry[1]
    return None


def module(obj, t, entry, st, depth):
    """An exact torch.nn layer: hyperparameters, tensors, children and tampering marks."""
    memo = st[2]
    key = _id(obj)
    if key in memo:
        return {"t": "ref", "i": memo[key]}
    memo[key] = _len(memo)
    d = _obj_getattr(obj, "__dict__")
    out = {"t": "module", "cls": entry[1], "ns": entry[2], "exact": True, "attrs": {},
           "params": {}, "buffers": {}, "children": {}, "hooks": [], "shadowed": [], "nonpersistent": []}
    if not _issubclass(_type(d), _dict):
        out["broken"] = True
        return out
    for k, v in _dict_items(d):
        if _type(k) is not _str:
            continue
        if k in _HOOKS:
            if _issubclass(_type(v), _dict) and _dict_len(v):
                out["hooks"].append(k)
        elif k in ("_parameters", "_buffers", "_modules"):
            if _issubclass(_type(v), _dict):
                out[_SLOTS[k]] = {
                    n: plain(x, st, depth + 1) for n, x in _dict_items(v) if _type(n) is _str}
        elif k == "_non_persistent_buffers_set":
            if _type(v) is _set:
                out["nonpersistent"] = [n for n in v if _type(n) is _str]
        elif k == "training":
            out["training"] = v is True
        elif k in _INTERNAL:
            continue
        elif _callable(v) and _hasattr(t, k) and not _issubclass(_type(v), _Module):
            out["shadowed"].append(k)  # an instance override of a method: tampering
        else:
            out["attrs"][k] = plain(v, st, depth + 1)
    return out


def tensor(obj, st):
    with _NoTorchFunction():
        if _get_layout(obj) is not _strided or _get_quant(obj):
            return {"t": "opaque", "type": "sparse or quantized tensor", "tensor": True}
        nbytes = _numel(obj) * _element_size(obj)
        st[1] += nbytes
        if st[1] > MAX_BYTES:
            raise _too_big()
        meta = _device_type(_get_device(obj)) == "meta"
        data = None
        if not meta:
            flat = _reshape(_contiguous(_detach(obj)), (-1,))
            data = _nd_tobytes(_numpy(_view(flat, _uint8), force=True))
        return {"t": "tensor", "dtype": _str(_get_dtype(obj)),
                "shape": [_int_add(x, 0) for x in _tuple_iter(_get_shape(obj))],
                "data": data, "rg": _get_rg(obj) is True, "param": _type(obj) is _Parameter,
                "meta": meta}


def array(obj, t, st):
    """A numpy array or scalar (numpy's own types only: their dtype, shape and bytes)."""
    scalar = t is not _ndarray
    dtype = _gen_dtype(obj) if scalar else _nd_dtype(obj)
    if dtype.hasobject or (scalar and _type_name(t) not in _NP_SCALARS):
        return {"t": "opaque", "type": _type_name(t)}
    if not scalar and obj.nbytes + st[1] > MAX_BYTES:
        raise _too_big()
    data = _gen_tobytes(obj) if scalar else _nd_tobytes(obj)
    st[1] += _len(data)
    shape = [] if scalar else [_int_add(x, 0) for x in _tuple_iter(_nd_shape(obj))]
    return {"t": "npscalar" if scalar else "ndarray", "dtype": dtype.str, "shape": shape,
            "data": data}


def encode(obj):
    """``plain`` with its own budget; failures become an error node, never an exception."""
    try:
        return plain(obj, [0, 0, {}], 0)
    except _OverflowError as exc:
        return {"t": "error", "message": _str_str(exc.args[0])}
    except _BaseException as exc:  # a bug here must not lose the other answers
        return {"t": "error", "message": "could not read the answer: " + _type_name(_type(exc))}


def main(key_fd, res_fd, box):
    """Serve the runner until it says "done"; see runner.post for the message shapes."""
    req, done, ready, slot = box[0], box[1], box[2], box[3]
    key = b""
    while _len(key) < 32:
        chunk = _read(key_fd, 32 - _len(key))
        if not chunk:
            break
        key += chunk
    _close(key_fd)
    seq = [0]

    def send(kind, payload):
        body = _dumps((seq[0], kind, payload))
        seq[0] += 1
        data = (MAGIC + _to_bytes(_len(body), 8, "big")
                + blake2b(body, key=key, digest_size=32).digest() + body)
        view = memoryview(data)
        while view:
            view = view[_write(res_fd, view):]

    send("ready", None)
    ready.release()
    state = {"phase": 0, "answered": {}, "notes": 0}
    keep = []  # student objects stay alive here: no finalizer ever runs on this thread
    while True:
        req.acquire()
        item = _list_getitem(slot, 0)
        _list_append(keep, item)
        try:
            finished = handle(item, state, send)
        except _BaseException:
            finished = False
        done.release()
        if finished:
            return


def handle(item, state, send):
    if _type(item) is not _tuple or not _len(item) or _type(item[0]) is not _str:
        return False
    kind, n = item[0], _len(item)
    if kind in ("note", "fatal") and n == 2 and _type(item[1]) is _str:
        state["notes"] += 1
        if state["notes"] <= MAX_NOTES:
            send(kind, item[1][:600])
    elif kind == "answer" and n in (4, 5) and state["phase"] == 0 and _type(item[1]) is _str \
            and item[1] not in state["answered"]:
        state["answered"][item[1]] = True  # the first snapshot of an exercise wins
        tree = encode(item[3]) if item[2] is True else {"t": "missing"}
        facts = cell_facts(item[4]) if n == 5 else None
        send("answer", [item[1], tree if facts is None else {**facts, "v": tree}])
    elif kind == "cells-done" and state["phase"] == 0:
        state["phase"] = 1
        send("cells-done", None)
    elif kind == "results" and n == 3 and _type(item[1]) is _str \
            and item[1] in ("public", "hidden") \
            and state["phase"] == (1 if item[1] == "public" else 2) and _type(item[2]) is _list:
        state["phase"] += 1
        send("results", [item[1], [outcome(r) for r in _list_iter(item[2])]])
    elif kind == "done":
        send("done", None)
        return True
    return False


def cell_facts(facts):
    """(answer cell, its error, rebound, same-object exercises) as a "cell" node, or None."""
    if _type(facts) is not _tuple or _len(facts) != 4:
        return None
    cell, raised, rebound, same = facts
    if _type(cell) is not _int or (raised is not None and _type(raised) is not _str) \
            or _type(rebound) is not _bool or _type(same) is not _list:
        return None
    return {"t": "cell", "cell": cell, "raised": None if raised is None else raised[:MAX_ERROR],
            "rebound": rebound,
            "same_as": [x[:200] for x in _list_iter(same) if _type(x) is _str][:MAX_NOTES]}


def outcome(r):
    """(exercise, case index, True, value) or (exercise, case index, False, (name, message))."""
    if _type(r) is not _tuple or _len(r) != 4 or _type(r[0]) is not _str or _type(r[1]) is not _int:
        return None
    if r[2] is True:
        return [r[0], r[1], True, encode(r[3])]
    err = r[3]
    if _type(err) is _tuple and _len(err) == 2 and _type(err[0]) is _str \
            and _type(err[1]) is _str:
        return [r[0], r[1], False, [err[0][:80], err[1][:300]]]
    return [r[0], r[1], False, ["Exception", ""]]

