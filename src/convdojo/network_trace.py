"""``convdojo.trace(model, input_shape)``: a whole network, layer by layer, run for real.

Forward hooks record each layer's output shape, its parameters and its MACs (counted by
``torch.utils.flop_counter.FlopCounterMode``, see ``convdojo.counting``). Where a layer
raises, the trace stops there and says which layer, with the per-dimension formula the
self-checks give (``convdojo.checks.trace.explain_layer``). Not to be confused with
``convdojo.checks.trace``, which predicts shapes from the formulas without running anything.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .checks.structure import type_name
from .checks.trace import explain_layer, why_it_fails
from .templates import TEMPLATES

__all__ = ["Row", "Failure", "Trace", "trace"]


_HEAD = ("#", "name", "layer", "output shape", "params", "MACs")
_ALIGN = ("right", "left", "left", "left", "right", "right")


@dataclass(frozen=True)
class Row:
    """One layer that ran: ``params`` and ``macs`` are None for a block (its layers have them)."""

    name: str  # the attribute path, e.g. "features.3"
    layer: str  # e.g. "nn.Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1))"
    output_shape: tuple[int, ...]
    params: int | None
    macs: int | None


@dataclass(frozen=True)
class Failure:
    """The innermost layer that raised, what reached it, and why."""

    index: int  # 1-based position among the layers, as the table counts them
    name: str
    layer: str
    input_shape: tuple[int, ...]
    reason: str

    def text(self) -> str:
        where = f"{self.name}: {self.layer}" if self.name else self.layer
        return (f"Layer {self.index} ({where}) fails on its input {self.input_shape}. "
                f"{self.reason}")


@dataclass
class Trace:
    """What ``trace`` saw; prints as a table (text in a terminal, HTML in JupyterLab)."""

    model: str
    input_shape: tuple[int, ...]
    rows: list[Row] = field(default_factory=list)
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        return self.rows[-1].output_shape if self.rows and self.ok else None

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows if r.params is not None)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.rows if r.macs is not None)

    def _cells(self, width: int = 1000) -> list[tuple[str, ...]]:
        return [(str(i), r.name, r.layer if len(r.layer) <= width else r.layer[:width - 1] + "…",
                 str(r.output_shape), "" if r.params is None else f"{r.params:,}",
                 "" if r.macs is None else f"{r.macs:,}") for i, r in enumerate(self.rows, 1)]

    def _title(self) -> str:
        return f"{self.model} on an input of shape {self.input_shape}"

    def _summary(self) -> str:
        if self.failure is not None:
            return "Stopped: " + self.failure.text()
        return (f"Output {self.output_shape}; {self.total_params:,} parameters; "
                f"{self.total_macs:,} MACs (multiply-accumulates, counted by torch).")

    def __str__(self) -> str:
        rows = [_HEAD] + self._cells(width=56)
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEAD))]
        lines = [self._title()]
        for r in rows:
            lines.append("  ".join(c.rjust(w) if i in (0, 4, 5) else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        lines.append(self._summary())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        lines = [f"**{self._title()}**", "", "| " + " | ".join(_HEAD) + " |",
                 "|---:|---|---|---|---:|---:|"]
        lines += [f"| {a} | {b} | `{c}` | {d} | {e} | {f} |"
                  for a, b, c, d, e, f in self._cells()]
        return "\n".join(lines + ["", self._summary()])

    def _repr_html_(self) -> str:
        esc = html.escape
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:{al}'>{esc(c)}</td>"
                             for c, al in zip(cells, _ALIGN)) + "</tr>" for cells in self._cells())
        colour = "#b00020" if self.failure else "#1b5e20"
        head = "".join(f"<th>{h}</th>" for h in _HEAD)
        return (f"<div><b>{esc(self._title())}</b><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>"
                f"<p style='color:{colour}'>{esc(self._summary())}</p></div>")


def _describe(layer: nn.Module) -> str:
    extra = layer.extra_repr()
    return f"{type_name(layer)}({extra})" if extra and len(extra) <= 90 else type_name(layer)


def _shape(value: object) -> tuple[int, ...]:
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
        return tuple(value[0].shape)
    return ()


def _check_arguments(model: object, input_shape: object) -> tuple[int, ...]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"trace(model, input_shape) needs a model (an nn.Module), got "
                        f"{type(model).__name__}")
    if isinstance(input_shape, torch.Tensor):
        raise TypeError("trace takes the input's shape, e.g. (1, 3, 32, 32), not a tensor: "
                        "pass x.shape")
    if not isinstance(input_shape, (tuple, list, torch.Size)) or not input_shape or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in input_shape):
        raise ValueError(f"input_shape must be a tuple of positive whole numbers such as "
                         f"(1, 3, 32, 32), got {input_shape!r}")
    return tuple(input_shape)


def trace(model: nn.Module, input_shape: Sequence[int]) -> Trace:
    """Run ``model`` on a zero input of ``input_shape`` and record every layer it runs."""
    shape = _check_arguments(model, input_shape)
    result = Trace(type_name(model), shape)
    names = {id(m): n for n, m in model.named_modules()}
    stack: list[tuple[nn.Module, tuple[int, ...], int, int]] = []  # layer, input, flops, row
    counter = FlopCounterMode(display=False)

    def before(module: nn.Module, args: tuple[object, ...]) -> None:
        stack.append((module, _shape(args[0]) if args else (), counter.get_total_flops(),
                      len(result.rows)))

    def after(module: nn.Module, args: tuple[object, ...], output: object) -> None:
        _, _, flops, _ = stack.pop()
        leaf = not any(True for _ in module.children())
        if module is model or type(module) is nn.Sequential and not leaf:
            return
        result.rows.append(Row(
            names.get(id(module), ""), _describe(module), _shape(output),
            sum(p.numel() for p in module.parameters()) if leaf else None,
            (counter.get_total_flops() - flops) // 2 if leaf else None))

    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    training = {m: m.training for m in model.modules()}
    param = next(model.parameters(), None)
    x = torch.zeros(shape, device=param.device if param is not None else "cpu")
    try:
        model.eval()  # BatchNorm on a batch of one, dropout: as at inference
        with counter, torch.no_grad():
            try:
                model(x)
            except Exception as exc:  # the point of a trace: say where and why
                if not stack:
                    raise
                module, in_shape, _, _ = stack[-1]
                result.failure = _failure(module, in_shape, len(result.rows) + 1,
                                          names.get(id(module), ""), exc)
    finally:
        for h in handles:
            h.remove()
        for m, was in training.items():
            m.train(was)
    return result


def _failure(module: nn.Module, in_shape: tuple[int, ...], index: int, name: str,
             exc: Exception) -> Failure:
    said = (str(exc).strip().splitlines() or [""])[0][:300]
    torch_says = f"PyTorch says: {type(exc).__name__}: {said}"
    if not any(True for _ in module.children()):
        why = explain_layer(module, in_shape)
        reason = f"{why} ({torch_says})" if why else torch_says
    else:  # a block failed in its own forward, e.g. adding two branches
        blocks = (type(module), nn.Sequential) if type(module) in TEMPLATES else (nn.Sequential,)
        why = why_it_fails(module, blocks, in_shape, hidden=False)
        reason = (why + " " if why else "The block's own forward fails after its layers "
                  "ran (see their shapes above). ") + torch_says
    return Failure(index, name, _describe(module), in_shape, reason)
