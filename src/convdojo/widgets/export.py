"""Export a ``SlidingKernel`` without a kernel: an animated GIF (Pillow) or one HTML file."""

from __future__ import annotations

import html
import json
import pathlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Union, cast

from PIL import Image, ImageDraw, ImageFont

from . import geometry as geo

if TYPE_CHECKING:
    from .sliding_kernel import SlidingKernel

# Okabe–Ito, as in sliding_kernel.css.
ORANGE, SKY, GREEN, BLUE, VERMILLION, PURPLE = \
    "#e69f00", "#56b4e9", "#009e73", "#0072b2", "#d55e00", "#cc79a7"
KIND_FILL = {geo.INPUT: "#ffffff", geo.ZERO: "#ffffff", geo.PAD: "#faf5b8", geo.OUTSIDE: "#e4e4e4"}


def fmt(v: Union[float, None]) -> str:
    """Number formatting shared with the JS ``fmt``."""
    if v is None:
        return "·"
    if v == float("-inf"):
        return "−∞"
    return str(round(v)) if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


_ASCII = str.maketrans({"×": "x", "–": "-", "−": "-", "∞": "inf"})


def _font(size: int) -> tuple[Union[ImageFont.FreeTypeFont, ImageFont.ImageFont], bool]:
    """A font and whether it has ×, – and ∞ (Pillow's bundled font does not)."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size), True  # Pillow searches the system font dirs
    except OSError:
        pass
    try:
        return ImageFont.load_default(size=size), False
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default(), False


def _blend(colour: str, alpha: float) -> tuple[int, ...]:
    """``colour`` at ``alpha`` over white (GIFs have no partial transparency)."""
    # Pillow types getpixel for every mode; an RGB image's pixel is a tuple of 3 ints.
    rgb = cast("tuple[int, ...]", Image.new("RGB", (1, 1), colour).getpixel((0, 0)))
    return tuple(round(255 + (c - 255) * alpha) for c in rgb)


class _Frames:
    """Draws frames of one geometry: a static background, then per-step overlays."""

    def __init__(self, widget: "SlidingKernel", cell: int) -> None:
        g = widget.geometry
        assert g is not None
        self.w, self.g, self.cs = widget, g, cell
        self.chans = geo.channels_for(self.g.spec, widget.out_channel)[:3]
        self.nr = self.g.rows.hi - self.g.rows.lo
        self.nc = self.g.cols.hi - self.g.cols.lo
        self.m, self.gap, self.top = 18, 30, 22
        self.panel = self.nc * cell + self.m
        self.out_x = len(self.chans) * (self.panel + self.gap) + self.m
        (self.font, self.unicode), (self.small, _) = _font(max(9, cell // 2)), _font(12)
        self.formulas = self.g.formulas()
        grid_h = self.top + self.m + max(self.nr, self.g.rows.out) * cell
        self.size = (max(self.out_x + self.g.cols.out * cell + 10, 560),
                     grid_h + 26 + 16 * len(self.formulas) + 8)
        self.background = self._background()

    def _text(self, d: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, **kw: Any) -> None:
        d.text(xy, text if self.unicode else text.translate(_ASCII), **kw)

    def _value(self, d: ImageDraw.ImageDraw, c: int, y: int, x: int, px: int, py: int) -> None:
        if self.cs >= 18 and self.g.kind(y, x) != geo.OUTSIDE:
            v = geo.value_at(self.g, self.w.plane_values, c, y, x)
            self._text(d, (px + self.cs / 2, py + self.cs / 2), fmt(v), fill="black", font=self.font, anchor="mm")

    def _origin(self, i: int) -> tuple[int, int]:
        return i * (self.panel + self.gap) + self.m, self.top + self.m

    def _xy(self, i: int, y: int, x: int) -> tuple[int, int]:
        ox, oy = self._origin(i)
        return ox + (x - self.g.cols.lo) * self.cs, oy + (y - self.g.rows.lo) * self.cs

    def _background(self) -> Image.Image:
        img = Image.new("RGB", self.size, "white")
        d, g, cs = ImageDraw.Draw(img), self.g, self.cs
        title = "zero-inserted input" if g.spec.mode == "transposed" else "input"
        for i, c in enumerate(self.chans):
            ox, _ = self._origin(i)
            self._text(d, (ox, 4), f"{title} ch {c}" if len(self.chans) > 1 else title, fill="black", font=self.small)
            for y in range(g.rows.lo, g.rows.hi):
                for x in range(g.cols.lo, g.cols.hi):
                    px, py = self._xy(i, y, x)
                    kind = g.kind(y, x)
                    outline = PURPLE if kind == geo.ZERO else "#999999"
                    d.rectangle((px, py, px + cs, py + cs), fill=KIND_FILL[kind], outline=outline)
                    if kind == geo.PAD:  # dots mark padding, as in the notebook
                        d.ellipse((px + 2, py + 2, px + 5, py + 5), fill=ORANGE)
                    self._value(d, c, y, x, px, py)
            for y in g.rows.uncovered():
                px, py = self._xy(i, y, g.cols.lo)
                d.rectangle((px, py, px + self.nc * cs, py + cs), outline=VERMILLION, width=2)
            for x in g.cols.uncovered():
                px, py = self._xy(i, g.rows.lo, x)
                d.rectangle((px, py, px + cs, py + self.nr * cs), outline=VERMILLION, width=2)
        self._text(d, (self.out_x, 4), f"output {g.rows.out}×{g.cols.out}", fill="black", font=self.small)
        return img

    def render(self, step: int) -> Image.Image:
        img = self.background.copy()
        d, g, cs = ImageDraw.Draw(img), self.g, self.cs
        for i, c in enumerate(self.chans):
            for y, x in g.window(step):
                px, py = self._xy(i, y, x)
                d.rectangle((px, py, px + cs, py + cs), fill=_blend(SKY, 0.45), outline=BLUE, width=2)
                self._value(d, c, y, x, px, py)
        oy0 = self.top + self.m
        for s in range(step + 1):
            r, c = g.cell(s)
            px, py = self.out_x + c * cs, oy0 + r * cs
            d.rectangle((px, py, px + cs, py + cs), fill=_blend(GREEN, 0.35), outline="#999999")
            if cs >= 18:
                self._text(d, (px + cs / 2, py + cs / 2), fmt(self.w.outputs[s]), fill="black", font=self.font, anchor="mm")
        for s in range(step + 1, g.n_steps):
            r, c = g.cell(s)
            d.rectangle((self.out_x + c * cs, oy0 + r * cs, self.out_x + (c + 1) * cs, oy0 + (r + 1) * cs),
                        fill="white", outline="#999999")
        r, c = g.cell(step)
        d.rectangle((self.out_x + c * cs, oy0 + r * cs, self.out_x + (c + 1) * cs, oy0 + (r + 1) * cs),
                    outline=ORANGE, width=3)
        y = self.size[1] - 16 * len(self.formulas) - 30
        self._text(d, (self.m, y), geo.describe(g, step, self.w.out_channel), fill="black", font=self.small)
        for line in self.formulas:
            y += 16
            self._text(d, (self.m, y + 6), line, fill="#333333", font=self.small)
        return img


def write_gif(widget: "SlidingKernel", path: Union[str, pathlib.Path],
              steps: Union[Iterable[int], None] = None, duration_ms: int = 600,
              cell: int = 28) -> pathlib.Path:
    """Render ``steps`` (default: all) into an animated GIF at ``path``."""
    if widget.geometry is None or not widget.outputs:
        raise ValueError(f"nothing to export: {widget.error or widget.frame.get('too_large')}")
    frames = _Frames(widget, cell)
    images = [frames.render(s) for s in (range(widget.n_steps) if steps is None else steps)]
    path = pathlib.Path(path)
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration_ms,
                   loop=0, optimize=False)
    return path


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{css}
body {{ font-family: sans-serif; margin: 16px; }}
</style></head>
<body>
<h1 style="font-size:18px">{title}</h1>
<div id="widget"></div>
<script type="application/json" id="state">{state}</script>
<script type="application/json" id="esm">{esm}</script>
<script type="module">
// A tiny stand-in for the Jupyter widget model, so the notebook's drawing code runs as is,
// with its own controls and its own requestAnimationFrame loop, as in JupyterLab.
const state = JSON.parse(document.getElementById("state").textContent);
const handlers = {{}};
const model = {{
  get: (k) => state[k],
  set(k, v) {{
    const changed = Object.entries(typeof k === "object" ? k : {{ [k]: v }}).filter(([a, b]) => state[a] !== b);
    changed.forEach(([a, b]) => {{ state[a] = b; }});
    changed.forEach(([a]) => (handlers["change:" + a] || []).slice().forEach((f) => f()));
  }},
  save_changes() {{}}, send() {{}},
  on(e, f) {{ (handlers[e] = handlers[e] || []).push(f); }},
  off(e, f) {{ handlers[e] = (handlers[e] || []).filter((g) => g !== f); }},
}};
const src = JSON.parse(document.getElementById("esm").textContent);
const url = URL.createObjectURL(new Blob([src], {{ type: "text/javascript" }}));
const mod = await import(url);
mod.default.render({{ model, el: document.getElementById("widget") }});
</script></body></html>
"""


def _script_json(value: Any) -> str:
    # '</' would end the <script> element early.
    return json.dumps(value).replace("</", "<\\/")


def standalone_html(widget: "SlidingKernel", title: str = "Sliding kernel", interval: int = 500) -> str:
    """One HTML file with the drawing code, styles and state inlined (works offline)."""
    here = pathlib.Path(__file__).parent
    state = {"frame": widget.frame, "error": widget.error, "step": 0, "playing": False,
             "interval": int(interval), "repeat": bool(widget.repeat),
             "depth_step": getattr(widget, "depth_step", 0)}
    return _PAGE.format(title=html.escape(title), css=(here / "sliding_kernel.css").read_text(encoding="utf-8"),
                        esm=_script_json((here / "sliding_kernel.js").read_text(encoding="utf-8")),
                        state=_script_json(state))
