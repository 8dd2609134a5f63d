"""Pure-Python geometry of a sliding window: what the widget draws, step by step.

Coordinates are *drawn* coordinates along each axis: 0 is the first input pixel,
negative numbers and numbers past the input are padding. A transposed
convolution is drawn as the equivalent stride-1 convolution over the input with
``stride - 1`` zeros inserted between pixels (real pixel ``i`` sits at ``i * stride``),
padded by ``dilation * (kernel_size - 1) - padding`` and slid with a flipped kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

from convdojo import shapes

MODES = ("conv", "maxpool", "avgpool", "transposed")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
# Cell kinds, ordered so that a 2-D cell takes the larger kind of its row and column.
INPUT, ZERO, PAD, OUTSIDE = 0, 1, 2, 3

Pair = tuple[int, int]
IntOrPair = Union[int, Sequence[int]]


def pair(name: str, value: IntOrPair) -> Pair:
    """Accept an int or a pair of ints, like PyTorch's ``_pair``."""
    a, b = per_axis(name, value, 2)
    return a, b


def per_axis(name: str, value: IntOrPair, n: int) -> tuple[int, ...]:
    """One int per axis (``shapes.ntuple``), with the widget's wording of the error."""
    try:
        return shapes.ntuple(value, n, name)
    except ValueError:
        what = {1: "an int or a 1-tuple", 2: "an int or a pair of ints",
                3: "an int or a triple of ints"}[n]
        raise ValueError(f"{name} must be {what}, got {value!r}") from None


def dims_of(input_size: IntOrPair) -> int:
    """1, 2 or 3 spatial axes: (L,), (H, W) or (T, H, W); an int is a square (H, W)."""
    if isinstance(input_size, Sequence) and not isinstance(input_size, str) \
            and len(input_size) in (1, 2, 3):
        return len(input_size)
    return 2


@dataclass(frozen=True)
class Spec:
    """A normalised layer configuration (the widget's constructor arguments)."""

    input_size: Pair
    kernel_size: Pair
    stride: Pair
    padding: Union[str, Pair]
    dilation: Pair = (1, 1)
    in_channels: int = 1
    out_channels: int = 1
    mode: str = "conv"
    ceil_mode: bool = False
    output_padding: Pair = (0, 0)
    groups: int = 1
    padding_mode: str = "zeros"
    count_include_pad: bool = True
    divisor_override: Union[int, None] = None
    dims: int = 2  # 1: (L,) drawn as one row; 3: (T, H, W), ``time`` holds the T axis
    time: tuple = ()  # (T, kernel, stride, padding, dilation, output_padding) when dims == 3

    def to_json(self) -> dict:
        """Plain JSON view (tuples become lists)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict) -> "Spec":
        fields: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v)
                                  for k, v in data.items()}
        return cls(**fields)


def make_spec(input_size: IntOrPair, kernel_size: IntOrPair = 3, stride: Union[IntOrPair, None] = 1,
              padding: Union[IntOrPair, str] = 0, dilation: IntOrPair = 1, in_channels: int = 1,
              out_channels: int = 1, mode: str = "conv", *, ceil_mode: bool = False,
              output_padding: IntOrPair = 0, groups: int = 1, padding_mode: str = "zeros",
              count_include_pad: bool = True, divisor_override: Union[int, None] = None) -> Spec:
    """Check argument types and build a :class:`Spec`; raise ``ValueError`` with a reason."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
    n = dims_of(input_size)
    kernel = per_axis("kernel_size", kernel_size, n)
    # PyTorch's pooling layers default the stride to the kernel size.
    if stride is None:
        stride = kernel if mode.endswith("pool") else 1
    strides = per_axis("stride", stride, n)
    if isinstance(padding, str) and mode != "conv":
        raise ValueError(f"padding={padding!r} exists only for Conv{n}d, not for mode "
                         f"{mode!r}; use an integer padding.")
    if padding == "valid":
        padding = 0
    pads: Union[str, tuple[int, ...]] = padding if isinstance(padding, str) else \
        per_axis("padding", padding, n)
    dil = per_axis("dilation", dilation, n)
    if mode == "avgpool" and max(dil) != 1:
        raise ValueError(f"AvgPool{n}d has no dilation, got dilation={dilation!r}")
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override < 1):
        raise ValueError(f"divisor_override must be a positive int or None, got {divisor_override!r}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    ops = per_axis("output_padding", output_padding, n)
    size = per_axis("input_size", input_size, n)
    window = kernel if n == 2 else kernel[-2:] if n == 3 else (1,) + kernel
    if mode in ("conv", "transposed"):
        shapes.conv_params(in_channels, out_channels, window, groups=groups)  # channel checks
    else:
        shapes.conv_params(in_channels, in_channels, window)
        out_channels = in_channels  # pooling keeps every channel
    time: tuple = ()
    if n == 3:  # T is drawn by a slider; the H×W plane as in 2-D
        time = (size[0], kernel[0], strides[0],
                pads if isinstance(pads, str) else pads[0], dil[0], ops[0])
    # 1-D is drawn as a single row: an identity axis (1 pixel, kernel 1) in front of L.
    plane = (lambda t, one: (one, t[0])) if n == 1 else (lambda t, one: (t[-2], t[-1]))
    return Spec(plane(size, 1), plane(kernel, 1), plane(strides, 1),
                pads if isinstance(pads, str) else plane(pads, 0), plane(dil, 1), in_channels,
                out_channels, mode, bool(ceil_mode), plane(ops, 0), groups, padding_mode,
                bool(count_include_pad), divisor_override, n, time)


@dataclass(frozen=True)
class Axis:
    """Where windows sit along one axis."""

    size: int  # real input pixels
    kernel: int
    dilation: int
    stride: int  # window step in drawn coordinates (1 for transposed)
    pad_before: int  # negative for a transposed conv whose padding crops
    pad_after: int
    out: int
    upsample: int  # distance between real pixels (the stride of a transposed conv)
    formula: str

    @property
    def extent(self) -> int:
        """Drawn length of the real (zero-inserted) input."""
        return (self.size - 1) * self.upsample + 1

    @property
    def lo(self) -> int:
        return min(0, -self.pad_before)

    @property
    def hi(self) -> int:
        last = self.start(self.out - 1) + self.dilation * (self.kernel - 1) + 1
        return max(self.extent, self.extent + self.pad_after, last)

    def start(self, o: int) -> int:
        return o * self.stride - self.pad_before

    def taps(self, o: int) -> list[int]:
        return [self.start(o) + self.dilation * j for j in range(self.kernel)]

    def kind(self, x: int) -> int:
        if x < -self.pad_before or x >= self.extent + self.pad_after:
            return OUTSIDE  # ceil_mode overhang, or cropped by a transposed conv's padding
        if x < 0 or x >= self.extent:
            return PAD
        return ZERO if x % self.upsample else INPUT

    def source(self, x: int, padding_mode: str = "zeros") -> int:
        """Input index whose value cell ``x`` shows, or -1 for a constant (0 or -inf)."""
        kind = self.kind(x)
        if kind == INPUT:
            return x // self.upsample
        if kind != PAD or padding_mode == "zeros":
            return -1
        n = self.size
        if padding_mode == "replicate":
            return min(max(x, 0), n - 1)
        if padding_mode == "circular":
            return x % n
        period = 2 * (n - 1) or 1  # reflect without repeating the edge pixel
        x = x % period
        return period - x if x >= n else x

    def covered(self) -> set[int]:
        return {x for o in range(self.out) for x in self.taps(o)}

    def uncovered(self) -> list[int]:
        """Drawn coordinates that no window ever reads."""
        covered = self.covered()
        return [x for x in range(self.lo, self.hi) if x not in covered]

    def to_json(self, padding_mode: str) -> dict:
        xs = range(self.lo, self.hi)
        return {**self.__dict__, "lo": self.lo, "hi": self.hi,
                "starts": [self.start(o) for o in range(self.out)],
                "kinds": [self.kind(x) for x in xs],
                "sources": [self.source(x, padding_mode) for x in xs],
                "uncovered": self.uncovered()}


def _axis(spec: Spec, i: int) -> Axis:
    """The window arithmetic of axis ``i`` of the drawn plane (0 = rows, 1 = columns)."""
    pad = spec.padding if isinstance(spec.padding, str) else spec.padding[i]
    return axis_of(spec, spec.input_size[i], spec.kernel_size[i], spec.stride[i], pad,
                   spec.dilation[i], spec.output_padding[i])


def axis_of(spec: Spec, n: int, k: int, s: int, pad: Union[int, str], d: int, op: int) -> Axis:
    """The window arithmetic of one axis with these numbers (the T axis of 3-D too)."""
    if spec.mode == "transposed":
        p = int(pad)
        out = shapes.conv_transpose_out(n, k, s, p, op, d)
        formula = shapes.conv_transpose_formula(n, k, s, p, op, d)
        edge = d * (k - 1) - p
        return Axis(n, k, d, 1, edge, edge + op, out, s, formula)
    if spec.mode == "conv":
        out = shapes.conv_out(n, k, s, pad, d)
        before, after = shapes.resolve_padding(pad, k, s, d)
        if spec.padding_mode in ("reflect", "circular") \
                and max(before, after) > n - (spec.padding_mode == "reflect"):
            limit = "smaller than" if spec.padding_mode == "reflect" else "at most"
            raise ValueError(f"padding_mode={spec.padding_mode!r} needs the padding ({max(before, after)}) "
                             f"to be {limit} the input size ({n}).")
        return Axis(n, k, d, s, before, after, out, 1, shapes.conv_formula(n, k, s, pad, d))
    p = int(pad)
    out = shapes.pool_out(n, k, s, p, d, spec.ceil_mode)
    formula = (shapes.avgpool_formula(n, k, s, p, spec.ceil_mode) if spec.mode == "avgpool"
               else shapes.pool_formula(n, k, s, p, d, spec.ceil_mode))
    return Axis(n, k, d, s, p, p, out, 1, formula)


@dataclass(frozen=True)
class Geometry:
    """Both axes of one configuration plus step bookkeeping (row-major steps)."""

    spec: Spec
    rows: Axis
    cols: Axis
    depth: Union[Axis, None] = None  # the T axis of a 3-D layer

    @property
    def output_size(self) -> tuple[int, ...]:
        """(L_out,), (H_out, W_out) or (T_out, H_out, W_out), as torch computes it."""
        if self.spec.dims == 1:
            return (self.cols.out,)
        plane = (self.rows.out, self.cols.out)
        return (self.depth.out, *plane) if self.depth else plane

    @property
    def n_steps(self) -> int:
        return self.rows.out * self.cols.out

    def cell(self, step: int) -> Pair:
        """Output (row, col) computed at ``step``."""
        if not 0 <= step < self.n_steps:
            raise IndexError(f"step {step} is outside 0..{self.n_steps - 1}")
        return divmod(step, self.cols.out)

    def kind(self, y: int, x: int) -> int:
        return max(self.rows.kind(y), self.cols.kind(x))

    def window(self, step: int) -> list[Pair]:
        """Every tap of the kernel at ``step``, row-major, in drawn coordinates."""
        oy, ox = self.cell(step)
        return [(y, x) for y in self.rows.taps(oy) for x in self.cols.taps(ox)]

    def covered_inputs(self, step: int) -> set[Pair]:
        """Real input pixels (input indices) that the window reads at ``step``."""
        return {(y // self.rows.upsample, x // self.cols.upsample)
                for y, x in self.window(step) if self.kind(y, x) == INPUT}

    def uncovered(self) -> tuple[list[int], list[int]]:
        """Drawn rows and columns that no window reads."""
        return self.rows.uncovered(), self.cols.uncovered()

    def formulas(self) -> list[str]:
        lines = [f"H_out = {self.rows.formula}", f"W_out = {self.cols.formula}"]
        if self.spec.dims == 1:
            lines = [f"L_out = {self.cols.formula}"]
        elif self.depth:
            lines.insert(0, f"T_out = {self.depth.formula}")
        if self.spec.padding == "same":
            for name, ax in (("rows", self.rows), ("cols", self.cols)):
                if ax.pad_before != ax.pad_after:
                    lines.append(f"padding='same' with kernel {ax.kernel}: {ax.pad_before} "
                                 f"before and {ax.pad_after} after along {name} "
                                 "(PyTorch puts the odd pixel after)")
        return lines


def build(spec: Spec) -> Geometry:
    """Geometry of ``spec``; raises ``ValueError`` (from :mod:`convdojo.shapes`) if torch refuses it."""
    depth = axis_of(spec, *spec.time) if spec.dims == 3 else None
    return Geometry(spec, _axis(spec, 0), _axis(spec, 1), depth)


def _span(taps: list[int]) -> str:
    first, last = taps[0], taps[-1]
    if first == last:
        return f"{first}"
    step = taps[1] - taps[0]
    return f"{first}–{last}" + (f" every {step}" if step > 1 else "")


def describe(geom: Geometry, step: int, out_channel: int = 0, frame: int = 0) -> str:
    """One-line caption of a frame, e.g. 'output (1, 2) = sum of input rows 2–4, cols 4–6 × kernel'."""
    oy, ox = geom.cell(step)
    spec = geom.spec
    where = f"rows {_span(geom.rows.taps(oy))}, cols {_span(geom.cols.taps(ox))}"
    at = f"({oy}, {ox})"
    if spec.dims == 1:
        where, at = f"samples {_span(geom.cols.taps(ox))}", f"{ox}"
    elif geom.depth is not None:
        where = f"frames {_span(geom.depth.taps(frame))}, " + where
        at = f"({frame}, {oy}, {ox})"
    head = f"output {at}" + (f" of channel {out_channel}" if spec.out_channels > 1 else "")
    if spec.mode == "maxpool":
        return f"{head} = max of input {where}"
    if spec.mode == "avgpool":
        return f"{head} = mean of input {where}"
    source = "zero-inserted input" if spec.mode == "transposed" else "input"
    kernel = "flipped kernel" if spec.mode == "transposed" else "kernel"
    chans = channels_for(spec, out_channel)
    over = f" over {len(chans)} channels" if len(chans) > 1 else ""
    return f"{head} = sum{over} of {source} {where} × {kernel}"


def channels_for(spec: Spec, out_channel: int) -> list[int]:
    """Input channels that output channel ``out_channel`` reads."""
    if spec.mode.endswith("pool"):
        return [out_channel]
    per_group = spec.in_channels // spec.groups
    group = out_channel // (spec.out_channels // spec.groups)
    return list(range(group * per_group, (group + 1) * per_group))


def kernels_for(spec: Spec, weight: Sequence, out_channel: int) -> list[list[list[float]]]:
    """The k×k kernel slice applied to each channel in :func:`channels_for`, as drawn."""
    if spec.mode.endswith("pool"):
        return []
    if spec.mode == "conv":
        return [[list(row) for row in w] for w in weight[out_channel]]
    out_per_group = spec.out_channels // spec.groups
    local = out_channel % out_per_group
    # ConvTranspose2d weights are (in, out/groups, kh, kw); the sliding view flips them.
    return [[list(row)[::-1] for row in weight[c][local]][::-1]
            for c in channels_for(spec, out_channel)]


@dataclass(frozen=True)
class CellArithmetic:
    """The numbers behind one output cell."""

    op: str  # "sum", "max" or "mean"
    channels: list[int]
    inputs: list[list[list[Union[float, None]]]]  # per channel, k×k; None = not read at all
    weights: list[list[list[float]]]  # per channel, k×k (empty for pooling)
    products: list[list[list[float]]]
    channel_totals: list[float]
    bias: float
    divisor: int
    total: float


def pad_value(spec: Spec) -> float:
    """What a padding cell holds: max pooling ignores it, i.e. pads with -inf."""
    return float("-inf") if spec.mode == "maxpool" else 0.0


def value_at(geom: Geometry, values: Sequence, c: int, y: int, x: int) -> Union[float, None]:
    """Value of drawn cell (y, x) of channel ``c``; None outside the padded input."""
    if geom.kind(y, x) == OUTSIDE:
        return None
    mode = geom.spec.padding_mode
    sy, sx = geom.rows.source(y, mode), geom.cols.source(x, mode)
    if sy < 0 or sx < 0:
        return 0.0 if geom.kind(y, x) == ZERO else pad_value(geom.spec)
    return float(values[c][sy][sx])


def cell_arithmetic(geom: Geometry, values: Sequence, weight: Union[Sequence, None],
                    bias: Union[Sequence, None], step: int, out_channel: int = 0) -> CellArithmetic:
    """Inputs, weights, products and total of the output cell at ``step``."""
    spec = geom.spec
    oy, ox = geom.cell(step)
    chans = channels_for(spec, out_channel)
    kernels = kernels_for(spec, weight, out_channel) if weight is not None else []
    inputs = [[[value_at(geom, values, c, y, x) for x in geom.cols.taps(ox)]
               for y in geom.rows.taps(oy)] for c in chans]
    if spec.mode == "maxpool":
        seen = [v for plane in inputs for row in plane for v in row if v is not None]
        return CellArithmetic("max", chans, inputs, [], [], [max(seen)], 0.0, 1, max(seen))
    if spec.mode == "avgpool":
        counted = [(v, geom.kind(y, x)) for plane in inputs
                   for y, row in zip(geom.rows.taps(oy), plane)
                   for x, v in zip(geom.cols.taps(ox), row)]
        keep = (INPUT, PAD) if spec.count_include_pad else (INPUT,)
        divisor = spec.divisor_override or sum(kind in keep for _, kind in counted)
        total = sum(v for v, kind in counted if v is not None)
        return CellArithmetic("mean", chans, inputs, [], [], [total], 0.0, divisor, total / divisor)
    products = [[[(v or 0.0) * w for v, w in zip(vrow, wrow)] for vrow, wrow in zip(plane, kern)]
                for plane, kern in zip(inputs, kernels)]
    sums = [sum(sum(row) for row in plane) for plane in products]
    b = float(bias[out_channel]) if bias is not None else 0.0
    return CellArithmetic("sum", chans, inputs, kernels, products, sums, b, 1, sum(sums) + b)
