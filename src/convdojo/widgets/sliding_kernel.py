"""``SlidingKernel``: controls wired to :mod:`.geometry`, drawn in the browser by ``sliding_kernel.js``."""

from __future__ import annotations

import pathlib
import random
from collections.abc import Sequence
from typing import Any, Union, cast

import anywidget
import ipywidgets
import traitlets

from . import geometry as geo
from . import volume
from .convert import json_numbers, layer_kwargs, norm, parse_control, shape_of, show

_HERE = pathlib.Path(__file__).parent
MAX_DRAWN = 96  # cells per axis; more would make an unreadable, slow SVG
PARAMS = ("input_size", "kernel_size", "stride", "padding", "dilation", "in_channels",
          "out_channels", "mode", "ceil_mode", "output_padding", "groups", "padding_mode",
          "count_include_pad", "divisor_override", "out_channel", "depth_step")
_TEXT_CONTROLS = (("input_size", "size"), ("kernel_size", "kernel"), ("stride", "stride"),
                  ("padding", "padding"), ("dilation", "dilation"))


class SlidingKernel(anywidget.AnyWidget):
    """Animate a Conv / MaxPool / AvgPool / ConvTranspose window over an input: 1-D for
    ``input_size=(L,)`` (one row), 2-D for ``(H, W)``, 3-D for ``(T, H, W)`` (one output
    frame at a time, chosen with ``depth_step`` or the frame slider)."""

    _esm = _HERE / "sliding_kernel.js"
    _css = _HERE / "sliding_kernel.css"

    step = traitlets.Int(0).tag(sync=True)
    # Playing runs in the browser (a requestAnimationFrame loop in sliding_kernel.js): no
    # message per frame; `step` arrives here when playing stops.
    playing = traitlets.Bool(False).tag(sync=True)
    interval = traitlets.Int(500).tag(sync=True)  # ms per step while playing (16: every frame)
    repeat = traitlets.Bool(False).tag(sync=True)  # start again after the last step
    error = traitlets.Unicode("").tag(sync=True)
    frame = traitlets.Dict().tag(sync=True)  # geometry and numbers; resent only on parameter changes

    # Parameters are plain Python traits (not synced): any value is accepted here and checked by
    # geometry.make_spec, so a bad one shows a readable reason instead of a TraitError.
    input_size = traitlets.Any((5, 5))
    kernel_size = traitlets.Any(3)
    stride = traitlets.Any(None)  # None: 1 for convolutions, the kernel size for pooling
    padding = traitlets.Any(0)
    dilation = traitlets.Any(1)
    in_channels = traitlets.Any(1)
    out_channels = traitlets.Any(1)
    mode = traitlets.Any("conv")
    ceil_mode = traitlets.Any(False)
    output_padding = traitlets.Any(0)
    groups = traitlets.Any(1)
    padding_mode = traitlets.Any("zeros")
    count_include_pad = traitlets.Any(True)
    divisor_override = traitlets.Any(None)
    out_channel = traitlets.Any(0)  # which output channel the arithmetic panel explains
    depth_step = traitlets.Any(0).tag(sync=True)  # 3-D: which output frame (T_out) is drawn

    def __init__(self, input_size: Any = (5, 5), kernel_size: Any = 3, stride: Any = None,
                 padding: Any = 0, dilation: Any = 1, in_channels: int = 1, out_channels: int = 1,
                 mode: str = "conv", *, ceil_mode: bool = False, output_padding: Any = 0,
                 groups: int = 1, padding_mode: str = "zeros", count_include_pad: bool = True,
                 divisor_override: Union[int, None] = None, input: Any = None, weight: Any = None,
                 bias: Any = None, out_channel: int = 0, depth_step: int = 0, interval: int = 500,
                 seed: int = 0) -> None:
        self._ready = False
        self._syncing = False
        self._geom: Union[geo.Geometry, None] = None
        # Tensors and arrays become nested lists: the frame is JSON and the maths is pure Python.
        self._given = {k: v.tolist() if hasattr(v, "tolist") else v
                       for k, v in (("input", input), ("weight", weight), ("bias", bias))}
        self._seed = seed
        self.input_values: list = []
        self.weight: Union[list, None] = None
        self.bias: Union[list, None] = None
        self.outputs: list[float] = []
        super().__init__(input_size=input_size, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation, in_channels=in_channels,
                         out_channels=out_channels, mode=mode, ceil_mode=ceil_mode,
                         output_padding=output_padding, groups=groups, padding_mode=padding_mode,
                         count_include_pad=count_include_pad, divisor_override=divisor_override,
                         out_channel=out_channel, depth_step=depth_step)
        self.interval = int(interval)
        self._build_controls()
        self._ready = True
        self._rebuild()

    # ----- public state -------------------------------------------------------------
    @property
    def geometry(self) -> Union[geo.Geometry, None]:
        """The current :class:`~.geometry.Geometry`, or None when torch would refuse the layer."""
        return self._geom

    @property
    def output_size(self) -> Union[tuple[int, ...], None]:
        """(L_out,), (H_out, W_out) or (T_out, H_out, W_out), as torch computes it; None for
        a refused configuration."""
        return self._geom.output_size if self._geom else None

    @property
    def n_steps(self) -> int:
        """Number of window positions (one per output cell; of one output frame in 3-D)."""
        return self._geom.n_steps if self._geom else 0

    @property
    def window(self) -> list[tuple[int, int]]:
        """Kernel taps at the current step, in drawn coordinates (padding is negative / past the end)."""
        # n_steps is 0 without a geometry
        return cast(geo.Geometry, self._geom).window(self.step) if self.n_steps else []

    @property
    def caption(self) -> str:
        """The text description of the current frame (also shown under the drawing)."""
        if not self.n_steps:
            return self.error
        geom = cast(geo.Geometry, self._geom)  # n_steps is 0 without a geometry
        return geo.describe(geom, self.step, self.out_channel, self.depth_step)

    @property
    def arithmetic(self) -> Union[geo.CellArithmetic, None]:
        """Inputs, weights, products and total of the current output cell (1-D and 2-D;
        a 3-D cell's value is ``outputs[step]``, its frames are summed)."""
        if not self.outputs or self._geom is None or self._geom.depth is not None:
            return None
        spec = self._geom.spec
        return geo.cell_arithmetic(self._geom, volume.as_plane_values(spec, self.input_values),
                                   volume.as_plane_weight(spec, self.weight), self.bias,
                                   self.step, self.out_channel)

    @property
    def plane_values(self) -> list:
        """Per input channel, the plane the drawing shows: (1, L) in 1-D, (H, W) in 2-D, and
        in 3-D the first input frame the current output frame reads."""
        if self._geom is None or not self.input_values:
            return []
        spec = self._geom.spec
        if self._geom.depth is None:
            return volume.as_plane_values(spec, self.input_values)
        planes = volume.frame_planes(self._geom, self.input_values, self.depth_step).values
        return planes[0] if planes else []

    @property
    def ui(self) -> ipywidgets.VBox:
        """Controls plus drawing; this is what displaying the widget shows."""
        return self._ui

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self._ui._repr_mimebundle_(**kwargs)

    @classmethod
    def from_layer(cls, layer: Any, input_shape: Sequence[int], *, input: Any = None,
                   **kwargs: Any) -> "SlidingKernel":
        """Show a student's ``nn.Conv1d/2d/3d``, ``MaxPool``, ``AvgPool`` or ``ConvTranspose``
        layer; ``input_shape`` is (N, C, *sizes), (C, *sizes) or the sizes alone."""
        args, problem = layer_kwargs(layer, tuple(input_shape), input)
        widget = cls(**{**args, **kwargs})
        if problem:
            widget._fail(problem)
        return widget

    def to_gif(self, path: Union[str, pathlib.Path], **kwargs: Any) -> pathlib.Path:
        """Write every step (or ``steps=range(...)``) as an animated GIF."""
        from .export import write_gif
        return write_gif(self, path, **kwargs)

    def to_html(self, path: Union[str, pathlib.Path, None] = None, **kwargs: Any) -> str:
        """A self-contained HTML page (no network needed); written to ``path`` if given."""
        from .export import standalone_html
        html = standalone_html(self, **kwargs)
        if path is not None:
            pathlib.Path(path).write_text(html, encoding="utf-8")
        return html

    # ----- state changes -------------------------------------------------------------
    @traitlets.validate("step")
    def _clamp_step(self, proposal: Any) -> int:
        return max(0, min(int(proposal["value"]), max(self.n_steps - 1, 0)))

    @traitlets.observe(*PARAMS)
    def _on_param(self, change: Any) -> None:
        if self._ready:
            self._rebuild()

    def _spec(self) -> geo.Spec:
        return geo.make_spec(self.input_size, self.kernel_size, self.stride, self.padding,
                             self.dilation, self.in_channels, self.out_channels, self.mode,
                             ceil_mode=self.ceil_mode, output_padding=self.output_padding,
                             groups=self.groups, padding_mode=self.padding_mode,
                             count_include_pad=self.count_include_pad,
                             divisor_override=self.divisor_override)

    def _numbers(self, spec: geo.Spec) -> None:
        """Keep given input/weights/bias when they fit ``spec``; otherwise small integers."""
        rng = random.Random(self._seed)
        c = spec.in_channels
        sizes = {1: spec.input_size[1:], 2: spec.input_size,
                 3: (spec.time[0],) + spec.input_size if spec.time else ()}[spec.dims]
        kernel = {1: spec.kernel_size[1:], 2: spec.kernel_size,
                  3: (spec.time[1],) + spec.kernel_size if spec.time else ()}[spec.dims]
        given = self._given
        self.input_values = given["input"] if shape_of(given["input"]) == (c, *sizes) else \
            _random(rng, (c, *sizes), 0, 9)
        if spec.mode.endswith("pool"):
            self.weight, self.bias = None, None
            return
        wshape = ((spec.out_channels, c // spec.groups) if spec.mode == "conv"
                  else (c, spec.out_channels // spec.groups)) + tuple(kernel)
        fits = shape_of(given["weight"]) == wshape
        self.weight = given["weight"] if fits else _random(rng, wshape, -1, 2)
        self.bias = given["bias"] if fits and shape_of(given["bias"]) == (spec.out_channels,) else None

    def _fail(self, message: str) -> None:
        self._geom = None
        with self.hold_sync():
            self.frame = {"formulas": []}
            self.error = message
            self.step = 0
        self._sync_controls()

    def _rebuild(self) -> None:
        """Recompute geometry and numbers after a parameter change and send them once."""
        try:
            spec = self._spec()
            geom = geo.build(spec)
            oc = self.out_channel
            if not isinstance(oc, int) or isinstance(oc, bool) or not 0 <= oc < spec.out_channels:
                raise ValueError(f"out_channel must be an int in 0..{spec.out_channels - 1}, got {oc!r}")
            t, frames = self.depth_step, geom.depth.out if geom.depth else 1
            if not isinstance(t, int) or isinstance(t, bool) or not 0 <= t < frames:
                raise ValueError(f"depth_step must be an int in 0..{frames - 1} (the output "
                                 f"frames), got {t!r}")
        except ValueError as exc:  # torch would refuse this layer: show why, no traceback
            self._fail(str(exc))
            return
        self._geom = geom
        frame = self._frame(geom)
        with self.hold_sync():
            self.error = ""
            self.frame = frame
            self.step = self.step  # re-clamp to the new n_steps
        self._sync_controls()

    def _frame(self, geom: geo.Geometry) -> dict:
        spec, oc = geom.spec, self.out_channel  # "out" below: the drawn plane's (rows, cols)
        chans = geo.channels_for(spec, oc)
        frame: dict[str, Any] = {
            "spec": spec.to_json(), "out": [geom.rows.out, geom.cols.out], "n_steps": geom.n_steps,
            "formulas": geom.formulas(), "out_channel": oc, "channels": chans,
            "dims": spec.dims,
        }
        cells = (geom.rows.hi - geom.rows.lo, geom.cols.hi - geom.cols.lo)
        if max(cells) > MAX_DRAWN:  # output_size and n_steps still hold; the numbers are skipped
            self.input_values, self.weight, self.bias, self.outputs = [], None, None, []
            frame["too_large"] = (f"output_size {geom.output_size}. The drawing would need "
                                  f"{cells[0]}×{cells[1]} cells (at most {MAX_DRAWN} per side are drawn): "
                                  "try a smaller input_size.")
            return frame
        self._numbers(spec)
        pm = spec.padding_mode
        values = volume.as_plane_values(spec, self.input_values)
        weight = volume.as_plane_weight(spec, self.weight)
        if geom.depth is not None:  # 3-D: the frames this output frame reads, as planes
            t = self.depth_step
            planes = volume.frame_planes(geom, self.input_values, t)
            self.outputs = [volume.output_at(geom, self.input_values, self.weight, self.bias, s,
                                             oc, t) for s in range(geom.n_steps)]
            drawn = [p[c] for p in planes.values for c in chans]
            # _frame_weight is None only for no weight, which `if self.weight` rules out.
            kernels = [k for tap in planes.taps for k in geo.kernels_for(
                spec, cast(list, volume._frame_weight(spec, self.weight, tap)), oc)
            ] if self.weight else []
            # The drawing's "channels" are its planes: one per (frame read, channel).
            frame.update(depth=geom.depth.to_json(pm), depth_step=t, frames=planes.frames,
                         plane_kinds=[k for k in planes.kinds for _ in chans],
                         in_channels_read=chans,
                         channels=[f"{c}, frame {x}" for x in planes.frames for c in chans])
        else:
            self.outputs = [geo.cell_arithmetic(geom, values, weight, self.bias, s, oc).total
                            for s in range(geom.n_steps)]
            drawn = [values[c] for c in chans]
            kernels = geo.kernels_for(spec, weight, oc) if weight else []
        frame.update(rows=geom.rows.to_json(pm), cols=geom.cols.to_json(pm), **json_numbers({
            "values": drawn, "kernels": kernels,
            "bias": float(self.bias[oc]) if self.bias else 0.0, "outputs": self.outputs}))
        return frame

    # ----- controls --------------------------------------------------------------------
    def _build_controls(self) -> None:
        style = {"description_width": "initial"}
        # Play, stop, repeat and the step slider are drawn by the widget itself (sliding_kernel.js).
        self.controls: dict[str, ipywidgets.ValueWidget] = {
            name: ipywidgets.Text(description=label, continuous_update=False, style=style,
                                  layout=ipywidgets.Layout(width="130px"))
            for name, label in _TEXT_CONTROLS}
        self.controls["in_channels"] = ipywidgets.BoundedIntText(
            min=1, max=1024, description="in_channels", style=style, layout=ipywidgets.Layout(width="140px"))
        self.controls["mode"] = ipywidgets.Dropdown(options=list(geo.MODES), description="mode",
                                                    style=style, layout=ipywidgets.Layout(width="170px"))
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_control(name, change["new"]), "value")
        row = ipywidgets.HBox(list(self.controls.values()), layout=ipywidgets.Layout(flex_flow="row wrap"))
        self._ui = ipywidgets.VBox([row, self])

    def _effective_stride(self) -> Any:
        """stride=None means 1 for a convolution and the kernel size for a pooling layer."""
        return self.kernel_size if str(self.mode).endswith("pool") else 1

    def _on_control(self, name: str, value: Any) -> None:
        if self._syncing:
            return
        try:
            parsed = parse_control(name, value) if name in dict(_TEXT_CONTROLS) else value
        except ValueError as exc:
            self._fail(str(exc))
            return
        setattr(self, name, parsed)
        if getattr(self, name) == parsed and self.error.startswith("could not read"):
            self._rebuild()  # the value is unchanged but an earlier typo is now fixed

    def _sync_controls(self) -> None:
        """Show the current parameters in the controls (without feeding back)."""
        if not hasattr(self, "controls"):
            return
        self._syncing = True
        try:
            n = geo.dims_of(self.input_size)
            for name, control in self.controls.items():
                value = getattr(self, name)
                if value is None and name == "stride":  # the default: what the layer uses
                    value = self._effective_stride()
                if name in dict(_TEXT_CONTROLS):
                    try:
                        same = norm(parse_control(name, control.value), n) == norm(value, n)
                    except ValueError:
                        same = False
                    if not same and not self.error.startswith("could not read"):
                        control.value = show(value)
                elif control.value != value:
                    control.value = value
        finally:
            self._syncing = False


def _random(rng: random.Random, shape: Sequence[int], low: int, high: int) -> Any:
    """Nested lists of small random integers of ``shape``."""
    if not shape:
        return rng.randint(low, high)
    return [_random(rng, shape[1:], low, high) for _ in range(shape[0])]
