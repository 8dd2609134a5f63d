"""beyond_2d, the dilated causal stack: Conv1d layers that keep L, see only the past and
hear a given number of samples, both measured with autograd (``measure_1d``)."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from .extras import ExtraLayerSpec, ModelCheck, convs
from .model import Draw
from .rules import KEEP, spatial_nd
from .variants import public, varying

# --- audio: a dilated causal stack ---------------------------------------------------------


def measure_1d(model: nn.Module, in_channels: int, length: int = 96,
               at: int = 60) -> tuple[int, int] | None:
    """(first, last) input sample that output sample ``at`` depends on, measured with
    autograd (positive weights, zero biases: no ReLU is dead, no paths cancel)."""
    probe = copy.deepcopy(model).to("cpu", torch.float64).eval()
    with torch.no_grad():
        for layer in probe.modules():
            w, b = getattr(layer, "weight", None), getattr(layer, "bias", None)
            if isinstance(w, torch.Tensor):
                w.fill_(1.0 / max(1, w[0].numel()) if w.dim() > 1 else 1.0)
            if isinstance(b, torch.Tensor):
                b.zero_()
    x = torch.ones(1, in_channels, length, dtype=torch.float64, requires_grad=True)
    try:
        out = probe(x)
        out[0, :, min(at, out.shape[-1] - 1)].sum().backward()
    except (RuntimeError, IndexError, ValueError):
        return None
    seen = torch.nonzero(x.grad.abs().sum(dim=(0, 1)) > 0).flatten() if x.grad is not None \
        else torch.zeros(0)
    return (int(seen.min()), int(seen.max())) if len(seen) else None


def _causal(c: int) -> Any:
    def causal(model: nn.Module) -> tuple[bool, str]:
        seen = measure_1d(model, c)
        if seen is None:
            return False, "The output sample could not be traced back to the input."
        if seen[1] > 60:
            return False, (f"The stack is not causal: output sample 60 depends on input "
                           f"samples up to {seen[1]}, that is on the future. Pad only on the "
                           "left (nn.ZeroPad1d((left, 0))); padding=p in Conv1d pads both sides.")
        return True, "The stack is causal: each output sample sees only the past and present."
    return causal


def _field(c: int, field: int) -> Any:
    def check_field(model: nn.Module) -> tuple[bool, str]:
        seen = measure_1d(model, c)
        got = seen[1] - seen[0] + 1 if seen else 0
        if got == field:
            return True, f"The measured receptive field is {field} samples, as asked."
        return False, (f"The measured receptive field is {got} samples, not {field}: a kernel "
                       "of 3 with dilation d adds 2·d samples, so three layers need dilations "
                       f"that add up to {(field - 1) // 2}.")
    return check_field


def _kernel_3(model: nn.Module) -> tuple[bool, str]:
    layers = convs(model)
    bad = [tuple(c.kernel_size) for c in layers if tuple(c.kernel_size) != (3,)]
    if bad or not 1 <= len(layers) <= 3:
        return False, (f"The stack must use one to three Conv1d layers of kernel size 3; it "
                       f"has {len(layers)} with kernels {[tuple(c.kernel_size) for c in layers]}.")
    return True, "One to three Conv1d layers, each with kernel size 3."


# Dilations of three kernel-3 layers that give each receptive field (the solution's).
_DILATIONS = {11: (1, 2, 2), 13: (1, 2, 3), 15: (1, 2, 4), 17: (1, 3, 4)}


def _causal_stack(c: int, field: int) -> ExtraLayerSpec:
    layers = ",\n".join(f"    nn.ZeroPad1d(({2 * d}, 0)), nn.Conv1d({c}, {c}, 3, dilation={d})"
                         + (", nn.ReLU()" if i < 2 else "")
                         for i, d in enumerate(_DILATIONS[field]))
    return ExtraLayerSpec(
        id="causal_stack",
        title=f"A dilated causal stack that hears {field} samples",
        prompt=(
            f"Build an `nn.Sequential` for (N, {c}, L) audio features: at most three "
            f"`nn.Conv1d` layers {c} → {c} with kernel size 3 (ReLUs between them are welcome, "
            "and `nn.ZeroPad1d` or `nn.ConstantPad1d` for padding). It must keep L, be "
            "*causal* (output sample t depends only on input samples up to t, as in WaveNet) "
            f"and have a receptive field of exactly {field} samples. The grader measures both "
            "with autograd."
        ),
        answer_name="causal",
        points=3,
        solution=f"causal = nn.Sequential(\n{layers},\n)",
        hints=(
            "A kernel of 3 with dilation d spans 2·d + 1 samples and adds 2·d to the receptive "
            "field.",
            "To keep L without looking ahead, all the padding a layer needs goes before the "
            "signal: nn.ZeroPad1d((left, 0)).",
        ),
        input_shape=(2, c, 100),
        rule=spatial_nd(c, KEEP),
        layer_types=(nn.Conv1d, nn.ReLU, nn.ZeroPad1d, nn.ConstantPad1d),
        container_types=(nn.Sequential,),
        min_layers=1,
        max_layers=12,
        variants=public(((1, c, field), "exactly the receptive field"),
                        ((3, c, 7), "shorter than it")),
        hidden_draws=(Draw("two samples", 2, 2, max_batch=4, dims=1),
                      Draw("an odd length", 17, 301, parity="odd", dims=1),
                      Draw("another length", 2, 128, dims=1)),
        model_checks=(ModelCheck("kernel size 3, at most three convolutions", _kernel_3),
                      ModelCheck("causal", _causal(c)),
                      ModelCheck(f"a receptive field of {field}", _field(c, field))),
    )


causal_stack = varying(_causal_stack, {"c": (8, 12, 16, 24, 32), "field": tuple(_DILATIONS)},
                       {"c": 16, "field": 15})
