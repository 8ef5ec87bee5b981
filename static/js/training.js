// A training run (issue #13): the loss of every iteration as a small SVG line chart drawn here,
// and the picked iteration's update step. The trace carries `training` (engine/training.py):
// every loss, the iteration kept whole (`picked`) and its optimizer step. Picking another
// iteration (click, ←/→, Home/End on the chart) asks POST /api/training for the same program
// with that iteration kept whole; the answer replaces the trace, and since its graph has the
// first iteration's shape the layout is the same: only the numbers change.
import { clampStep } from "./player.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 420, H = 170;
const PAD = { left: 64, right: 12, top: 12, bottom: 38 };
const SHOWN = 6;        // numbers per row of the update table before "…"
const DEBOUNCE_MS = 250;

/** Numbers as the update table shows them: 6 significant digits, exact enough to compare. */
export function num(x) {
  if (x === null || x === undefined) return "—";
  if (typeof x !== "number") return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-4 && a < 1e6 ? String(Number(x.toPrecision(6))) : x.toExponential(4);
}

/** An axis label: 3 significant digits fit the chart's margin. */
function tick(x) {
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

/** A Value (engine/values.py) as a short list of numbers: the data flattened, else a summary. */
function numbers(v) {
  if (!v) return "—";
  if (v.data === undefined || (v.data === null && !v.summary)) return "—";
  if (v.data === null) {
    const s = v.summary;
    return `${v.shape.join("×")} numbers: min ${num(s.min)}, mean ${num(s.mean)}, max ${num(s.max)}`;
  }
  if (typeof v.data === "number") return num(v.data);
  const flat = [v.data].flat(Infinity);
  const head = flat.slice(0, SHOWN).map(num).join(", ");
  return flat.length > SHOWN ? `[${head}, … ${flat.length} in all]` : `[${head}]`;
}

function el(doc, tag, attrs = {}, text = null) {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

function svg(doc, tag, attrs = {}, text = null) {
  const e = doc.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== null) e.textContent = text;
  return e;
}

/** The chart's scales: x by iteration, y by loss (log when the losses span 100× or more). */
export function scales(losses) {
  const finite = losses.filter((x) => x !== null && Number.isFinite(x));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const log = lo > 0 && hi / lo >= 100;
  const f = log ? Math.log10 : (x) => x;
  const y0 = f(lo), y1 = f(hi) === y0 ? y0 + 1 : f(hi);
  const n = losses.length;
  const x = (i) => PAD.left + (n <= 1 ? 0 : ((i - 1) / (n - 1)) * (W - PAD.left - PAD.right));
  const y = (v) => PAD.top + (1 - (f(v) - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const at = (px) => Math.max(1, Math.min(n, Math.round(1 + ((px - PAD.left) /
    (W - PAD.left - PAD.right)) * (n - 1))));
  return { x, y, at, lo, hi, log };
}

export function createTraining(doc, viewer, { host = null } = {}) {
  const { store } = viewer;
  // beside the graph, above the explanation: the stage keeps its height
  const parent = host || doc.querySelector(".col-side");
  if (!parent) return null;
  if (!doc.querySelector("link[data-training-css]")) {
    doc.head.append(el(doc, "link", { rel: "stylesheet", href: "/static/css/training.css",
      "data-training-css": "" }));
  }
  const panel = el(doc, "section", { class: "panel training", "data-testid": "training",
    "aria-labelledby": "training-title" });
  panel.hidden = true;
  parent.prepend(panel);
  let shown = null;       // the training summary drawn
  let hovered = null;     // iteration under the pointer or the keyboard's choice
  let timer = 0;
  let asked = 0;          // request counter: a newer pick wins

  store.subscribe((s, p) => {
    const t = s.trace && s.trace.training;
    if (s.trace === p.trace && shown) return;
    if (!t || !t.losses || t.losses.length < 2) { panel.hidden = true; shown = null; return; }
    shown = t;
    hovered = t.picked;
    draw(s.trace);
  });

  function draw(trace) {
    const t = trace.training;
    panel.replaceChildren();
    panel.hidden = false;
    const title = el(doc, "h2", { id: "training-title" }, "Training run");
    const hint = el(doc, "p", { class: "hint" },
      `${t.count} iterations. Pick one to see its graph and update step: click the chart, ` +
      "or focus it and use ← → (Shift: 10 at a time), Home, End.");
    panel.append(title, hint, chart(t), readout(t), update(t));
  }

  function chart(t) {
    const sc = scales(t.losses);
    const box = svg(doc, "svg", { viewBox: `0 0 ${W} ${H}`, class: "loss-chart",
      "data-testid": "loss-chart", role: "slider", tabindex: 0,
      "aria-label": `${t.loss_name || "loss"} per iteration; pick an iteration`,
      "aria-valuemin": 1, "aria-valuemax": t.losses.length, "aria-valuenow": t.picked,
      "aria-valuetext": valueText(t, t.picked) });
    const plotBottom = H - PAD.bottom;
    box.append(svg(doc, "line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left,
      y2: plotBottom }));
    box.append(svg(doc, "line", { class: "axis", x1: PAD.left, y1: plotBottom, x2: W - PAD.right,
      y2: plotBottom }));
    // y labels: the highest and lowest loss; x labels: the first and last iteration
    box.append(svg(doc, "text", { class: "tick", x: PAD.left - 6, y: sc.y(sc.hi) + 4,
      "text-anchor": "end" }, tick(sc.hi)));
    box.append(svg(doc, "text", { class: "tick", x: PAD.left - 6, y: sc.y(sc.lo) + 4,
      "text-anchor": "end" }, tick(sc.lo)));
    box.append(svg(doc, "text", { class: "tick", x: sc.x(1), y: plotBottom + 14,
      "text-anchor": "start" }, "1"));
    box.append(svg(doc, "text", { class: "tick", x: sc.x(t.losses.length), y: plotBottom + 14,
      "text-anchor": "end" }, String(t.losses.length)));
    box.append(svg(doc, "text", { class: "axis-label", x: (PAD.left + W - PAD.right) / 2,
      y: H - 4, "text-anchor": "middle" }, "iteration"));
    box.append(svg(doc, "text", { class: "axis-label", x: 12, y: (PAD.top + plotBottom) / 2,
      "text-anchor": "middle", transform: `rotate(-90 12 ${(PAD.top + plotBottom) / 2})` },
    `${t.loss_name || "loss"}${sc.log ? " (log)" : ""}`));
    // the line: at most ~2 points per pixel column (a 30,000-iteration run stays light)
    const step = Math.max(1, Math.floor(t.losses.length / ((W - PAD.left - PAD.right) * 2)));
    const pts = [];
    for (let i = 1; i <= t.losses.length; i += step) {
      const v = t.losses[i - 1];
      if (v !== null && Number.isFinite(v)) pts.push(`${sc.x(i).toFixed(1)},${sc.y(v).toFixed(1)}`);
    }
    box.append(svg(doc, "polyline", { class: "loss-line", points: pts.join(" ") }));
    const hover = svg(doc, "g", { class: "hover-mark", "data-testid": "hover-mark" });
    const picked = svg(doc, "g", { class: "picked-mark", "data-testid": "picked-mark" });
    box.append(hover, picked);
    mark(picked, sc, t, t.picked);
    hover.style.display = "none";

    const fromEvent = (e) => {
      const r = box.getBoundingClientRect();
      return sc.at(((e.clientX - r.left) / r.width) * W);
    };
    box.addEventListener("mousemove", (e) => {
      hovered = fromEvent(e);
      hover.style.display = "";
      mark(hover, sc, t, hovered);
      say(t, hovered);
    });
    box.addEventListener("mouseleave", () => {
      hover.style.display = "none";
      say(t, Number(box.getAttribute("aria-valuenow")));
    });
    box.addEventListener("click", (e) => choose(box, picked, sc, t, fromEvent(e), 0));
    box.addEventListener("keydown", (e) => {
      const now = Number(box.getAttribute("aria-valuenow"));
      const by = e.shiftKey ? 10 : 1;
      const next = { ArrowLeft: now - by, ArrowDown: now - by, ArrowRight: now + by,
        ArrowUp: now + by, Home: 1, End: t.losses.length, PageUp: now + 100,
        PageDown: now - 100 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      e.stopPropagation();   // the player's own ←/→ step through the graph, not here
      choose(box, picked, sc, t, Math.max(1, Math.min(t.losses.length, next)), DEBOUNCE_MS);
    });
    box.addEventListener("focus", () => say(t, Number(box.getAttribute("aria-valuenow"))));
    return box;
  }

  function mark(g, sc, t, k) {
    const v = t.losses[k - 1];
    const x = sc.x(k);
    g.replaceChildren(svg(doc, "line", { x1: x, x2: x, y1: PAD.top, y2: H - PAD.bottom }));
    if (v !== null && Number.isFinite(v)) g.append(svg(doc, "circle", { cx: x, cy: sc.y(v), r: 4 }));
  }

  function valueText(t, k) {
    return `iteration ${k}, ${t.loss_name || "loss"} ${num(t.losses[k - 1])}`;
  }

  function readout(t) {
    const p = el(doc, "p", { class: "readout", "data-testid": "training-readout",
      "aria-live": "polite" }, valueText(t, t.picked));
    return p;
  }

  function say(t, k) {
    const p = panel.querySelector("[data-testid=training-readout]");
    if (p) p.textContent = valueText(t, k) + (k === t.picked ? " (shown)" : "");
  }

  function choose(box, picked, sc, t, k, delay) {
    box.setAttribute("aria-valuenow", k);
    box.setAttribute("aria-valuetext", valueText(t, k));
    mark(picked, sc, t, k);
    say(t, k);
    clearTimeout(timer);
    timer = setTimeout(() => fetchIteration(k), delay);
  }

  async function fetchIteration(k) {
    const s = store.get();
    if (!s.trace || (s.trace.training && s.trace.training.picked === k)) return;
    const mine = ++asked;
    const payload = { source: s.trace.source, iteration: k };
    if (s.trace.inputs && Object.keys(s.trace.inputs).length) payload.inputs = s.trace.inputs;
    if (s.seed) payload.seed = s.seed;
    panel.setAttribute("aria-busy", "true");
    try {
      const r = await fetch("/api/training", { method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(payload) });
      const body = await r.json();
      if (mine !== asked) return;
      if (r.ok && body && Array.isArray(body.nodes)) {
        const focused = doc.activeElement && doc.activeElement.closest &&
          doc.activeElement.closest("[data-testid=loss-chart]");
        store.set({ trace: body, step: clampStep(body, store.get().step) });
        if (focused) panel.querySelector("[data-testid=loss-chart]")?.focus();
      }
    } catch { /* the chart keeps its choice; picking again retries */ } finally {
      if (mine === asked) panel.removeAttribute("aria-busy");
    }
  }

  function update(t) {
    const wrap = el(doc, "div", { class: "update", "data-testid": "update-step" });
    const u = t.update;
    if (!u) {
      wrap.append(el(doc, "p", { class: "hint" }, "No optimizer step in this iteration " +
        "(a manual update, `p -= lr * p.grad`, changes the parameters in place)."));
      return wrap;
    }
    wrap.append(el(doc, "h3", {}, `Update step of iteration ${t.picked} (${u.optimizer})`));
    wrap.append(el(doc, "p", { class: "rule", "data-testid": "update-rule" }, u.rule));
    for (const p of u.params) {
      const table = el(doc, "table", { class: "param", "data-testid": "update-param",
        "data-node": p.node || "" });
      table.append(el(doc, "caption", {}, `${p.label}  (lr = ${num(p.lr)}` +
        (p.t ? `, t = ${p.t})` : ")")));
      const rows = [["w (before)", p.before, "before"], ["∇w", p.grad, "grad"]];
      for (const [name, v] of Object.entries(p.state || {})) rows.push([name, v, `state-${name}`]);
      rows.push(["change", p.change, "change"], ["w (after)", p.after, "after"]);
      const tbody = el(doc, "tbody");
      for (const [name, v, key] of rows) {
        const tr = el(doc, "tr", { "data-row": key });
        tr.append(el(doc, "th", { scope: "row" }, name), el(doc, "td", {}, numbers(v)));
        tbody.append(tr);
      }
      table.append(tbody);
      wrap.append(table);
    }
    return wrap;
  }

  return { panel };
}
