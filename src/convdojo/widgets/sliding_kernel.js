// SlidingKernel view. Python sends the geometry (`frame`) when parameters change;
// per frame only `step` changes, and everything below is drawn from it here.
// The helpers mirror convdojo/widgets/geometry.py; the browser test checks they agree.
const SVG = "http://www.w3.org/2000/svg";
const INPUT = 0, ZERO = 1, PAD = 2, OUTSIDE = 3;
const KIND_CLASS = ["sk-input", "sk-zero", "sk-pad", "sk-outside"];
let instances = 0; // keeps <pattern> ids unique when a page shows several widgets

export function fmt(v) {
  if (v === null || v === undefined) return "·";
  if (v === -Infinity) return "−∞";
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-9 ? String(r) : v.toFixed(2);
}

export function taps(ax, o) {
  return Array.from({ length: ax.kernel }, (_, j) => ax.starts[o] + ax.dilation * j);
}

function kind(f, y, x) {
  return Math.max(f.rows.kinds[y - f.rows.lo], f.cols.kinds[x - f.cols.lo]);
}

function valueAt(f, i, y, x) {
  const k = kind(f, y, x);
  if (k === OUTSIDE) return null;
  const sy = f.rows.sources[y - f.rows.lo], sx = f.cols.sources[x - f.cols.lo];
  if (sy < 0 || sx < 0) return k === ZERO ? 0 : f.spec.mode === "maxpool" ? -Infinity : 0;
  return f.values[i][sy][sx];
}

function span(t) {
  if (t.length === 1) return `${t[0]}`;
  const every = t[1] - t[0];
  return `${t[0]}–${t[t.length - 1]}` + (every > 1 ? ` every ${every}` : "");
}

export function describe(f, step) {
  const [oy, ox] = [Math.floor(step / f.out[1]), step % f.out[1]];
  let where = `rows ${span(taps(f.rows, oy))}, cols ${span(taps(f.cols, ox))}`;
  let at = `(${oy}, ${ox})`;
  if (f.dims === 1) [where, at] = [`samples ${span(taps(f.cols, ox))}`, `${ox}`];
  else if (f.depth) {
    where = `frames ${span(taps(f.depth, f.depth_step))}, ${where}`;
    at = `(${f.depth_step}, ${oy}, ${ox})`;
  }
  const mode = f.spec.mode;
  const head = `output ${at}` + (f.spec.out_channels > 1 ? ` of channel ${f.out_channel}` : "");
  if (mode === "maxpool") return `${head} = max of input ${where}`;
  if (mode === "avgpool") return `${head} = mean of input ${where}`;
  const source = mode === "transposed" ? "zero-inserted input" : "input";
  const kern = mode === "transposed" ? "flipped kernel" : "kernel";
  const n = f.in_channels_read ? f.in_channels_read.length : f.channels.length;
  const over = n > 1 ? ` over ${n} channels` : "";
  return `${head} = sum${over} of ${source} ${where} × ${kern}`;
}

export function arithmetic(f, step) {
  const [oy, ox] = [Math.floor(step / f.out[1]), step % f.out[1]];
  const ty = taps(f.rows, oy), tx = taps(f.cols, ox);
  const inputs = f.channels.map((_, i) => ty.map((y) => tx.map((x) => valueAt(f, i, y, x))));
  const mode = f.spec.mode;
  if (mode === "maxpool") {
    const total = Math.max(...inputs.flat(2).filter((v) => v !== null));
    return { op: "max", inputs, total };
  }
  if (mode === "avgpool") {
    // 3-D: one plane per frame read, each with its frame's kind (a padding frame counts
    // only with count_include_pad); 1-D and 2-D: the one plane of this channel.
    const keep = f.spec.count_include_pad ? [INPUT, PAD] : [INPUT];
    let sum = 0, count = 0;
    inputs.forEach((plane, i) => {
      const frameKind = f.plane_kinds ? f.plane_kinds[i] : INPUT;
      ty.forEach((y, a) => tx.forEach((x, b) => {
        if (plane[a][b] !== null) sum += plane[a][b];
        if (keep.includes(Math.max(frameKind, kind(f, y, x)))) count += 1;
      }));
    });
    const divisor = f.spec.divisor_override || count;
    return { op: "mean", inputs, sum, divisor, total: sum / divisor };
  }
  const products = inputs.map((p, i) => p.map((row, a) => row.map((v, b) => (v || 0) * f.kernels[i][a][b])));
  const sums = products.map((p) => p.flat().reduce((s, v) => s + v, 0));
  return { op: "sum", inputs, products, sums, total: sums.reduce((s, v) => s + v, 0) + f.bias };
}

// Python sends inf/nan as "Infinity"/"-Infinity"/"NaN" (JSON has no such numbers).
const num = (x) => (Array.isArray(x) ? x.map(num) : typeof x === "string" ? Number(x) : x);
const decode = (f) => (f.rows ? { ...f, values: num(f.values), kernels: num(f.kernels), outputs: num(f.outputs), bias: num(f.bias) } : f);

function el(tag, attrs = {}, text = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}
const svg = (tag, attrs, text = null) => el(tag, attrs, text, SVG);

// The arithmetic panel has the same shape at every step of a frame: build it once, then
// each step only rewrites text (no new nodes to style and lay out while playing).
function table(kh, kw) {
  const t = el("table", { class: "sk-k" });
  const cells = Array.from({ length: kh }, () => {
    const tr = el("tr");
    t.append(tr);
    return Array.from({ length: kw }, () => tr.appendChild(el("td")));
  });
  return { t, set: (vals) => vals.forEach((row, a) => row.forEach((v, b) => { cells[a][b].textContent = fmt(v); })) };
}

function arithmeticView(f, box) {
  const kh = f.rows.kernel, kw = f.cols.kernel, big = kh * kw > 49, listed = 8; // 256 channels: summarise
  const line = (cls, ...kids) => { const d = el("div", { class: cls }); d.append(...kids); box.append(d); return d; };
  const text = () => el("span");
  const rows = f.channels.slice(0, listed).map((c, i) => {
    const label = f.channels.length > 1 ? `channel ${c}: ` : "";
    const r = { sum: text() };
    if (big || f.spec.mode.endsWith("pool")) {
      r.inputs = big ? null : table(kh, kw);
      if (f.spec.mode.endsWith("pool")) line("sk-row", ...(r.inputs ? [r.inputs.t] : []));
      else line("sk-row", label, "sum = ", r.sum);
      return r;
    }
    r.inputs = table(kh, kw);
    r.products = table(kh, kw);
    const kern = table(kh, kw);
    kern.set(f.kernels[i]);
    line("sk-row", label, r.inputs.t, el("span", {}, "×"), kern.t, el("span", {}, "="), r.products.t, "→ sum ", r.sum);
    return r;
  });
  const rest = text(), total = text();
  if (f.channels.length > listed) line("", `channels ${f.channels[listed]}–${f.channels[f.channels.length - 1]}: sum `, rest);
  line("sk-total", total);
  return (a) => {
    rows.forEach((r, i) => {
      if (r.inputs) r.inputs.set(a.inputs[i]);
      if (r.products) r.products.set(a.products[i]);
      if (a.sums) r.sum.textContent = fmt(a.sums[i]);
    });
    if (a.op === "sum") {
      if (a.sums.length > listed) rest.textContent = fmt(a.sums.slice(listed).reduce((s, v) => s + v, 0));
      const terms = (a.sums.length > listed ? [fmt(a.total - f.bias)] : a.sums.map(fmt)).concat(f.bias ? [`bias ${fmt(f.bias)}`] : []);
      total.textContent = `${terms.length > 1 ? terms.join(" + ") + " = " : "total = "}${fmt(a.total)}`;
    } else {
      total.textContent = a.op === "max" ? `max = ${fmt(a.total)}` : `${fmt(a.sum)} / ${a.divisor} = ${fmt(a.total)}`;
    }
  };
}

function legend(f) {
  const items = [["sk-input", "input"], ["sk-tap", "kernel window"], ["sk-done", "output so far"],
    ["sk-current", "current output"]];
  const kinds = new Set([...f.rows.kinds, ...f.cols.kinds]);
  if (kinds.has(PAD)) items.splice(1, 0, ["sk-pad", "padding"]);
  if (kinds.has(ZERO)) items.splice(1, 0, ["sk-zero", "inserted zero"]);
  if (kinds.has(OUTSIDE)) items.splice(1, 0, ["sk-outside", f.spec.mode === "transposed" ? "cropped by padding" : "past the padding (ceil_mode)"]);
  if (f.rows.uncovered.length || f.cols.uncovered.length) items.push(["sk-uncovered", "never covered by a window"]);
  const box = el("div", { class: "sk-legend" });
  for (const [cls, label] of items) {
    const s = el("span", { class: "sk-swatch " + cls, "aria-hidden": "true" });
    const item = el("span", { class: "sk-item" });
    item.append(s, document.createTextNode(label));
    box.append(item);
  }
  return box;
}

function defs(id) {
  const d = svg("defs", {});
  const hatch = svg("pattern", { id: `${id}-hatch`, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  hatch.append(svg("rect", { width: 6, height: 6, class: "sk-hatch-bg" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "sk-hatch" }));
  const dots = svg("pattern", { id: `${id}-dots`, width: 5, height: 5, patternUnits: "userSpaceOnUse" });
  dots.append(svg("rect", { width: 5, height: 5, class: "sk-dots-bg" }), svg("circle", { cx: 2.5, cy: 2.5, r: 1, class: "sk-dots" }));
  d.append(hatch, dots);
  return d;
}

// Two stacked SVGs: a static one (grids, numbers, marks) drawn once per frame, and a small
// overlay that is all a step touches. Changing only the overlay keeps each relayout cheap.
function build(f, root, id) {
  const nr = f.rows.hi - f.rows.lo, nc = f.cols.hi - f.cols.lo;
  const shown = f.channels.slice(0, 4);
  const cs = Math.max(8, Math.min(30, Math.floor(640 / (shown.length * nc + f.out[1]))));
  const m = cs >= 12 ? 16 : 4, gap = 36, top = 18 + m, text = cs >= 18;
  const panelW = nc * cs + m, outX = shown.length * (panelW + gap) + m;
  const W = outX + f.out[1] * cs + 2, H = top + Math.max(nr, f.out[0]) * cs + 2;
  const box = { width: W, height: H, viewBox: `0 0 ${W} ${H}` };
  const stat = svg("svg", { ...box, class: "sk-svg sk-static", role: "img",
    "aria-label": `${f.spec.mode} on a ${f.spec.input_size.join("×")} input, output ${f.out.join("×")}` });
  const over = svg("svg", { ...box, class: "sk-svg sk-overlay", "aria-hidden": "true" });
  stat.append(defs(id));
  const name = f.spec.mode === "transposed" ? "zero-inserted input" : "input";
  const panels = shown.map((c, i) => {
    const ox = i * (panelW + gap) + m;
    const g = svg("g", { class: "sk-panel", "data-channel": c });
    const [cells, nums, marks] = [0, 1, 2].map(() => svg("g", {}));
    const more = i === shown.length - 1 && f.channels.length > shown.length ? ` (+${f.channels.length - shown.length} more)` : "";
    g.append(cells, nums, marks, svg("text", { x: ox, y: 12, class: "sk-title" }, f.channels.length > 1 ? `${name}, channel ${c}${more}` : name));
    for (let y = f.rows.lo; y < f.rows.hi; y++) {
      for (let x = f.cols.lo; x < f.cols.hi; x++) {
        const k = kind(f, y, x), px = ox + (x - f.cols.lo) * cs, py = top + (y - f.rows.lo) * cs;
        const fill = k === PAD ? `url(#${id}-dots)` : k === OUTSIDE ? `url(#${id}-hatch)` : null;
        cells.append(svg("rect", { x: px, y: py, width: cs, height: cs, class: `sk-cell ${KIND_CLASS[k]}`, ...(fill ? { fill } : {}) }));
        if (text && k !== OUTSIDE) nums.append(svg("text", { x: px + cs / 2, y: py + cs / 2, class: `sk-val${k === INPUT ? "" : " sk-faint"}` }, fmt(valueAt(f, i, y, x))));
      }
    }
    if (m > 4) {
      for (let y = f.rows.lo; y < f.rows.hi; y++) marks.append(svg("text", { x: ox - 3, y: top + (y - f.rows.lo + 0.5) * cs, class: "sk-idx sk-idx-row" }, y));
      for (let x = f.cols.lo; x < f.cols.hi; x++) marks.append(svg("text", { x: ox + (x - f.cols.lo + 0.5) * cs, y: top - 4, class: "sk-idx" }, x));
    }
    for (const y of f.rows.uncovered) marks.append(svg("rect", { x: ox, y: top + (y - f.rows.lo) * cs, width: nc * cs, height: cs, class: "sk-uncovered", "data-axis": "row", "data-index": y }));
    for (const x of f.cols.uncovered) marks.append(svg("rect", { x: ox + (x - f.cols.lo) * cs, y: top, width: cs, height: nr * cs, class: "sk-uncovered", "data-axis": "col", "data-index": x }));
    stat.append(g);
    // The window: a dashed box over its span (dilation gaps show inside it) and one rect per tap.
    const win = svg("g", { class: "sk-win", "data-channel": c });
    const span = svg("rect", { class: "sk-span" });
    const rects = Array.from({ length: f.rows.kernel * f.cols.kernel }, () => svg("rect", { width: cs, height: cs, class: "sk-tap" }));
    win.append(span, ...rects);
    over.append(win);
    return { ox, span, rects };
  });
  const go = svg("g", { class: "sk-panel sk-output" });
  go.append(svg("text", { x: outX, y: 12, class: "sk-title" }, `output ${f.out.join("×")}`));
  for (let oy = 0; oy < f.out[0]; oy++) {
    for (let ox = 0; ox < f.out[1]; ox++) go.append(svg("rect", { x: outX + ox * cs, y: top + oy * cs, width: cs, height: cs, class: "sk-cell sk-out" }));
  }
  stat.append(go);
  // Outputs so far: full rows, then the current row up to the current cell (two rects).
  const done = [svg("rect", { x: outX, y: top, class: "sk-done" }), svg("rect", { class: "sk-done" })];
  const texts = text ? f.outputs.map((_, i) => svg("text", { x: outX + ((i % f.out[1]) + 0.5) * cs, y: top + (Math.floor(i / f.out[1]) + 0.5) * cs, class: "sk-val" }, "")) : [];
  const current = svg("rect", { width: cs, height: cs, class: "sk-current" });
  over.append(...done, ...texts, current);
  const stack = el("div", { class: "sk-stack" });
  stack.append(stat, over);
  root.append(stack);
  return { f, cs, top, outX, panels, done, texts, current, shown: -1 };
}

function update(v, step, parts) {
  const f = v.f, cs = v.cs, cols = f.out[1], top = v.top;
  const oy = Math.floor(step / cols), ox = step % cols;
  const ty = taps(f.rows, oy), tx = taps(f.cols, ox);
  for (const p of v.panels) {
    let t = 0;
    for (const y of ty) for (const x of tx) {
      const r = p.rects[t++];
      r.setAttribute("x", p.ox + (x - f.cols.lo) * cs);
      r.setAttribute("y", top + (y - f.rows.lo) * cs);
      r.dataset.y = y;
      r.dataset.x = x;
    }
    p.span.setAttribute("x", p.ox + (tx[0] - f.cols.lo) * cs);
    p.span.setAttribute("y", top + (ty[0] - f.rows.lo) * cs);
    p.span.setAttribute("width", (tx[tx.length - 1] - tx[0] + 1) * cs);
    p.span.setAttribute("height", (ty[ty.length - 1] - ty[0] + 1) * cs);
  }
  const [rows, row] = v.done;
  rows.setAttribute("width", cols * cs);
  rows.setAttribute("height", oy * cs);
  row.setAttribute("x", v.outX);
  row.setAttribute("y", top + oy * cs);
  row.setAttribute("width", (ox + 1) * cs);
  row.setAttribute("height", cs);
  // Only touch output numbers whose shown state changes.
  const lo = Math.min(v.shown, step), hi = Math.max(v.shown, step);
  for (let i = Math.max(lo + 1, 0); i <= hi && v.texts.length; i++) v.texts[i].textContent = i <= step ? fmt(f.outputs[i]) : "";
  v.shown = step;
  v.current.setAttribute("x", v.outX + ox * cs);
  v.current.setAttribute("y", top + oy * cs);
  const a = arithmetic(f, step);
  v.arith(a);
  parts.arith.dataset.total = a.total;
  parts.arith.dataset.expected = f.outputs[step]; // Python's value, so tests can compare
  parts.caption.textContent = describe(f, step);
  parts.counter.textContent = `step ${step} of ${f.n_steps - 1}`;
}

function render({ model, el: host }) {
  const id = `sk${++instances}`;
  const root = el("div", { class: "sk-root", tabindex: 0, role: "group", "data-lm-suppress-shortcuts": "true",
    "aria-roledescription": "sliding kernel", "aria-label": "sliding kernel drawing: arrow keys move the window, Space plays",
    "aria-keyshortcuts": "ArrowLeft ArrowRight ArrowUp ArrowDown Home End Space" });
  // Play, stop, repeat and the step slider live here, not in separate ipywidgets models: each
  // linked model costs kernel messages per frame. Playing runs its own requestAnimationFrame
  // loop in the browser and touches no model until it stops; then the kernel hears the step.
  const button = (cls, label, text, title) => el("button", { type: "button", class: `sk-btn ${cls}`, "aria-label": label, title }, text);
  const playBtn = button("sk-play", "play", "▶", "play / pause (Space)");
  const stopBtn = button("sk-stop", "stop and go back to the first step", "■", "stop");
  const repeatBtn = button("sk-repeat", "repeat", "↻", "repeat");
  const slider = el("input", { type: "range", class: "sk-slider", min: 0, max: 0, value: 0, "aria-label": "step" });
  const bar = el("div", { class: "sk-slider-row", role: "toolbar", "aria-label": "playback" });
  bar.append(playBtn, stopBtn, repeatBtn, el("span", { "aria-hidden": "true" }, "step"), slider);
  // 3-D: which output frame (T) is drawn; changing it asks Python for that frame's planes.
  const depthSlider = el("input", { type: "range", class: "sk-depth", min: 0, max: 0, value: 0, "aria-label": "output frame" });
  const depthLabel = el("span", { class: "sk-depth-label" }, "");
  const depthRow = el("div", { class: "sk-slider-row sk-depth-row", hidden: "" });
  depthRow.append(el("span", { "aria-hidden": "true" }, "frame"), depthSlider, depthLabel);
  depthSlider.addEventListener("input", () => { model.set("depth_step", Number(depthSlider.value)); model.save_changes(); });
  host.append(bar, depthRow, root);
  const reduce = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
  let view = null, parts = null, pending = false, current = 0, raf = 0, last = 0;

  const nSteps = () => (model.get("error") || !model.get("frame").rows ? 0 : model.get("frame").n_steps);
  const clamp = (s) => Math.max(0, Math.min(s, nSteps() - 1));
  function draw() {
    root.replaceChildren();
    view = null;
    const f = decode(model.get("frame")), err = model.get("error");
    depthRow.hidden = !f.depth;
    if (f.depth) {
      depthSlider.max = f.depth.out - 1;
      depthSlider.value = f.depth_step;
      depthLabel.textContent = `output frame ${f.depth_step} of ${f.depth.out} (reads input frames ${span(taps(f.depth, f.depth_step))})`;
    }
    if (err || !f.rows) {
      root.dataset.step = 0;
      root.dataset.nSteps = 0;
      slider.max = 0;
      slider.disabled = true;
      root.append(err ? el("div", { class: "sk-error", role: "alert" }, err)
        : el("div", { class: "sk-note", role: "status" }, f.too_large || "nothing to draw"));
      if (f.formulas) root.append(el("pre", { class: "sk-formula" }, f.formulas.join("\n")));
      return;
    }
    root.dataset.spec = JSON.stringify(f.spec);
    root.dataset.outChannel = f.out_channel;
    const head = legend(f);
    root.append(head);
    const body = el("div", { class: "sk-body" });
    root.append(body);
    view = build(f, body, id);
    root.dataset.cell = view.cs;
    parts = { caption: el("div", { class: "sk-caption", "aria-live": model.get("playing") ? "off" : "polite" }),
      arith: el("div", { class: "sk-arith" }), counter: el("span", { class: "sk-counter" }),
      note: el("div", { class: "sk-note sk-motion", hidden: "" }, "Autoplay is off because your system asks for reduced motion: use the arrow keys or the slider.") };
    head.prepend(parts.counter);
    view.arith = arithmeticView(f, parts.arith);
    root.append(parts.caption, parts.arith, el("pre", { class: "sk-formula" }, f.formulas.join("\n")), parts.note);
    show(model.get("step"));
  }
  // error and frame usually change together: draw once, after both have arrived.
  function schedule() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => { pending = false; draw(); });
  }
  function show(step) {
    const n = nSteps();
    const s = clamp(step);
    current = s;
    root.dataset.step = s;
    root.dataset.nSteps = n;
    slider.max = Math.max(n - 1, 0);
    slider.value = s;
    slider.disabled = n === 0;
    if (view && n > 0) update(view, s, parts);
  }
  function stepChanged() {
    if (!pending) show(model.get("step")); // draw() shows it with the new frame otherwise
  }
  // The kernel hears about playing once when it starts and once, with the step, when it stops.
  function send(state) {
    model.set(state);
    model.save_changes();
  }
  function tick(now) {
    raf = 0;
    if (!model.get("playing")) return;
    // 2 ms of slack: a 16 ms interval steps on every frame of a 60 Hz display.
    if (now - last >= model.get("interval") - 2) {
      last = now;
      const n = nSteps();
      if (current + 1 < n) show(current + 1);
      else if (model.get("repeat") && n > 0) show(0);
      else { send({ playing: false, step: current }); return; }
    }
    raf = requestAnimationFrame(tick);
  }
  function togglePlay() {
    if (model.get("playing")) send({ playing: false, step: current });
    else send({ playing: true, step: current >= nSteps() - 1 && !model.get("repeat") ? 0 : current });
  }
  function playing() {
    const on = model.get("playing");
    playBtn.textContent = on ? "❚❚" : "▶";
    playBtn.setAttribute("aria-label", on ? "pause" : "play");
    if (on && reduce && reduce.matches) {
      // Deferred: a change made while the model is still delivering `playing` would be lost.
      const before = current;
      queueMicrotask(() => send({ playing: false, step: before }));
      if (parts) parts.note.hidden = false;
      return;
    }
    // A live region that speaks 60 times a second helps nobody: mute it while playing.
    if (parts) parts.caption.setAttribute("aria-live", on ? "off" : "polite");
    if (on && !raf) {
      last = performance.now();
      raf = requestAnimationFrame(tick);
    } else if (!on && raf) {
      cancelAnimationFrame(raf);
      raf = 0;
      if (current !== model.get("step")) send({ step: current }); // stopped from Python
    }
  }
  function repeatChanged() {
    repeatBtn.setAttribute("aria-pressed", String(!!model.get("repeat")));
  }
  function key(e) {
    const n = nSteps(), s = current, cols = view ? view.f.out[1] : 1;
    const moves = { ArrowRight: s + 1, ArrowDown: s + cols, ArrowLeft: s - 1, ArrowUp: s - cols, Home: 0, End: n - 1 };
    if (e.key === " ") togglePlay();
    else if (e.key in moves && n > 0) send({ playing: false, step: Math.max(0, Math.min(moves[e.key], n - 1)) });
    else return;
    e.preventDefault();
    e.stopPropagation();
  }
  playBtn.addEventListener("click", togglePlay);
  stopBtn.addEventListener("click", () => send({ playing: false, step: 0 }));
  repeatBtn.addEventListener("click", () => send({ repeat: !model.get("repeat") }));
  slider.addEventListener("input", () => send({ playing: false, step: Number(slider.value) }));
  model.on("change:frame", schedule);
  model.on("change:error", schedule);
  model.on("change:step", stepChanged);
  model.on("change:playing", playing);
  model.on("change:repeat", repeatChanged);
  root.addEventListener("keydown", key);
  if (reduce) reduce.addEventListener("change", playing);
  draw();
  playing();
  repeatChanged();
  return () => {
    if (raf) cancelAnimationFrame(raf);
    model.off("change:frame", schedule);
    model.off("change:error", schedule);
    model.off("change:step", stepChanged);
    model.off("change:playing", playing);
    model.off("change:repeat", repeatChanged);
    if (reduce) reduce.removeEventListener("change", playing);
  };
}

export default { render };
