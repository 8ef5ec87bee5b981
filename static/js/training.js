// A training run (issue #13): the loss of every iteration as a compact SVG strip above the
// graph, and the picked iteration's update step beside it. The trace carries `training`
// (engine/training.py): every loss, the iteration kept whole (`picked`) and its update — an
// optimizer step or a hand-written `p -= lr * p.grad` — with a few entries of each parameter
// written out (`worked`: lines of text and numbers, engine/training_update.py). Picking another
// iteration (click, ←/→, Home/End on the strip) asks POST /api/training for the same program
// with that iteration kept whole; the answer replaces the trace, and since its graph has the
// first iteration's shape the layout is the same: only the numbers change.
import { clampStep } from "./player.js";

const SVG = "http://www.w3.org/2000/svg";
const STRIP_H = 96;     // the strip's height in CSS pixels: compact above the graph
const PAD = { left: 52, right: 12, top: 8, bottom: 20 };
const SHOWN = 6;        // numbers per row of the full table before "…"
const DEBOUNCE_MS = 250;

/** Numbers as the update step shows them: 6 significant digits, exact enough to compare. */
export function num(x) {
  if (x === null || x === undefined) return "—";
  if (typeof x !== "number") return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-4 && a < 1e6 ? String(Number(x.toPrecision(6))) :
    x.toExponential(4).replace(/\.?0+e/, "e");
}

/** An axis label: 3 significant digits; powers of ten as 1e5 on a log axis. */
function tick(x) {
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(3))) :
    x.toExponential(a >= 1e5 || a < 1e-3 ? 0 : 2).replace("e+", "e");
}

/** A log axis's label: 1e5 … 1000, 100, 10, 1, 0.1, 0.01 … 1e-3 (or 3 digits off a decade). */
function decade(x) {
  const p = Math.log10(x);
  if (Math.abs(p - Math.round(p)) > 1e-9) return tick(x);
  return Math.abs(p) >= 4 || p <= -3 ? `1e${Math.round(p)}` : String(Number(x.toPrecision(1)));
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

/** The strip's scales for a plot `width` px wide: x by iteration, y by loss (log when the
 *  positive losses span 30× or more, as a polynomial fit's 1e5 → 10 does). */
export function scales(losses, width = 420, height = STRIP_H) {
  const finite = losses.filter((x) => x !== null && Number.isFinite(x));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const log = lo > 0 && hi / lo >= 30;   // 1.5 decades: a straight line would hide the tail
  const f = log ? Math.log10 : (x) => x;
  const y0 = f(lo), y1 = f(hi) === y0 ? y0 + 1 : f(hi);
  const n = losses.length;
  const right = width - PAD.right;
  const x = (i) => PAD.left + (n <= 1 ? 0 : ((i - 1) / (n - 1)) * (right - PAD.left));
  const y = (v) => PAD.top + (1 - (f(v) - y0) / (y1 - y0)) * (height - PAD.top - PAD.bottom);
  const at = (px) => Math.max(1, Math.min(n, Math.round(1 + ((px - PAD.left) /
    (right - PAD.left)) * (n - 1))));
  return { x, y, at, lo, hi, log, width, height };
}

/** The y ticks: on a log axis every power of ten inside the range (thinned to fit), else the
 *  lowest and highest loss. */
export function yTicks(sc) {
  if (!sc.log) return sc.hi === sc.lo ? [sc.hi] : [sc.hi, sc.lo];
  const first = Math.ceil(Math.log10(sc.lo)), last = Math.floor(Math.log10(sc.hi));
  const powers = [];
  for (let p = first; p <= last; p += 1) powers.push(10 ** p);
  const room = Math.max(2, Math.floor((sc.height - PAD.top - PAD.bottom) / 16));
  const every = Math.ceil(powers.length / room);
  const shown = powers.filter((_, i) => (powers.length - 1 - i) % every === 0);
  return shown.length ? shown : [sc.hi, sc.lo];
}

export function createTraining(doc, viewer, { host = null, side = null } = {}) {
  const { store } = viewer;
  // the strip above the graph, across the stage; the update step beside it
  const stage = host || doc.querySelector(".col-stage");
  const aside = side || doc.querySelector(".col-side") || stage;
  if (!stage) return null;
  if (!doc.querySelector("link[data-training-css]")) {
    doc.head.append(el(doc, "link", { rel: "stylesheet", href: "/static/css/training.css",
      "data-training-css": "" }));
  }
  const panel = el(doc, "section", { class: "panel training-strip", "data-testid": "training",
    "aria-labelledby": "training-title" });
  const updatePanel = el(doc, "section", { class: "panel training-update",
    "data-testid": "training-update", "aria-label": "Update step" });
  panel.hidden = true;
  updatePanel.hidden = true;
  // after the explanation: stepping through the graph, the learner reads the step first
  const explanation = aside.querySelector(":scope > .narration-panel");
  if (explanation) explanation.after(updatePanel);
  else aside.prepend(updatePanel);
  // a phone's stage, or a short one (a projector at 200%), holds only the graph and the
  // player: the strip leads the column below
  const narrow = doc.defaultView && doc.defaultView.matchMedia && !host ?
    doc.defaultView.matchMedia("(max-width: 600px), (max-height: 520px)") : null;
  const place = () => {
    if (narrow && narrow.matches && aside !== stage) updatePanel.before(panel);
    else stage.prepend(panel);
  };
  place();
  if (narrow) narrow.addEventListener("change", place);
  let shown = null;       // the training summary drawn
  let timer = 0;
  let asked = 0;          // request counter: a newer pick wins
  let wanted = 0;         // the iteration the learner chose last (its answer may be pending)
  let width = 0;          // the strip's drawn width in CSS pixels

  store.subscribe((s, p) => {
    const t = s.trace && s.trace.training;
    if (s.trace === p.trace && shown) return;
    if (!t || !t.losses || t.losses.length < 2) {
      panel.hidden = true; updatePanel.hidden = true; shown = null; return;
    }
    shown = t;
    draw(s.trace);
  });

  if (typeof ResizeObserver !== "undefined") {
    new ResizeObserver(() => {
      if (!shown || panel.hidden) return;
      const w = plotWidth();
      if (Math.abs(w - width) < 2) return;
      const box = panel.querySelector("[data-testid=loss-chart]");
      const focused = doc.activeElement === box;
      box.replaceWith(chart(shown, Number(box.getAttribute("aria-valuenow"))));
      if (focused) panel.querySelector("[data-testid=loss-chart]").focus();
    }).observe(panel);
  }

  function plotWidth() {
    return Math.max(240, Math.round(panel.clientWidth - 2 * 12));
  }

  function draw(trace) {
    const t = trace.training;
    panel.replaceChildren();
    panel.hidden = false;
    const head = el(doc, "div", { class: "strip-head" });
    head.append(el(doc, "h2", { id: "training-title" }, "Training run"),
      readout(t),
      el(doc, "span", { class: "hint" }, `${t.count} iterations · click the chart, or ` +
        "← → (Shift: 10), Home, End"));
    panel.append(head, chart(t, t.picked));
    updatePanel.replaceChildren(update(t));
    updatePanel.hidden = false;
  }

  function chart(t, now) {
    width = plotWidth();
    const sc = scales(t.losses, width, STRIP_H);
    const W = width, H = STRIP_H;
    const box = svg(doc, "svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H,
      class: "loss-chart", "data-testid": "loss-chart", role: "slider", tabindex: 0,
      "data-scale": sc.log ? "log" : "linear",
      "aria-label": `${t.loss_name || "loss"} per iteration${sc.log ? " (log scale)" : ""}; ` +
        "pick an iteration",
      "aria-valuemin": 1, "aria-valuemax": t.losses.length, "aria-valuenow": now,
      "aria-valuetext": valueText(t, now) });
    const plotBottom = H - PAD.bottom;
    box.append(svg(doc, "line", { class: "axis", x1: PAD.left, y1: PAD.top, x2: PAD.left,
      y2: plotBottom }));
    box.append(svg(doc, "line", { class: "axis", x1: PAD.left, y1: plotBottom, x2: W - PAD.right,
      y2: plotBottom }));
    for (const v of yTicks(sc)) {
      const y = sc.y(v);
      box.append(svg(doc, "line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
      box.append(svg(doc, "text", { class: "tick", "data-tick": "y", x: PAD.left - 5, y: y + 4,
        "text-anchor": "end" }, sc.log ? decade(v) : tick(v)));
    }
    box.append(svg(doc, "text", { class: "tick", "data-tick": "x", x: sc.x(1), y: plotBottom + 14,
      "text-anchor": "start" }, "1"));
    box.append(svg(doc, "text", { class: "tick", "data-tick": "x", x: sc.x(t.losses.length),
      y: plotBottom + 14, "text-anchor": "end" }, String(t.losses.length)));
    box.append(svg(doc, "text", { class: "axis-label", x: (PAD.left + W - PAD.right) / 2,
      y: plotBottom + 14, "text-anchor": "middle" }, "iteration"));
    box.append(svg(doc, "text", { class: "axis-label", x: W - PAD.right - 4, y: PAD.top + 11,
      "text-anchor": "end" }, `${t.loss_name || "loss"}${sc.log ? " (log scale)" : ""}`));
    // the line: at most ~2 points per pixel column (a 30,000-iteration run stays light)
    const step = Math.max(1, Math.floor(t.losses.length / ((W - PAD.left - PAD.right) * 2)));
    const pts = [];
    for (let i = 1; i <= t.losses.length; i += step) {
      const v = t.losses[i - 1];
      if (v !== null && Number.isFinite(v) && (!sc.log || v > 0)) {
        pts.push(`${sc.x(i).toFixed(1)},${sc.y(v).toFixed(1)}`);
      }
    }
    box.append(svg(doc, "polyline", { class: "loss-line", points: pts.join(" ") }));
    const hover = svg(doc, "g", { class: "hover-mark", "data-testid": "hover-mark" });
    const picked = svg(doc, "g", { class: "picked-mark", "data-testid": "picked-mark" });
    box.append(hover, picked);
    mark(picked, sc, t, now);
    hover.style.display = "none";

    const fromEvent = (e) => {
      const r = box.getBoundingClientRect();
      return sc.at(((e.clientX - r.left) / r.width) * W);
    };
    box.addEventListener("mousemove", (e) => {
      const k = fromEvent(e);
      hover.style.display = "";
      mark(hover, sc, t, k);
      say(t, k);
    });
    box.addEventListener("mouseleave", () => {
      hover.style.display = "none";
      say(t, Number(box.getAttribute("aria-valuenow")));
    });
    box.addEventListener("click", (e) => choose(box, picked, sc, t, fromEvent(e), 0));
    box.addEventListener("keydown", (e) => {
      const cur = Number(box.getAttribute("aria-valuenow"));
      const by = e.shiftKey ? 10 : 1;
      const next = { ArrowLeft: cur - by, ArrowDown: cur - by, ArrowRight: cur + by,
        ArrowUp: cur + by, Home: 1, End: t.losses.length, PageUp: cur + 100,
        PageDown: cur - 100 }[e.key];
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
    g.replaceChildren(svg(doc, "line", { x1: x, x2: x, y1: PAD.top, y2: sc.height - PAD.bottom }));
    if (v !== null && Number.isFinite(v) && (!sc.log || v > 0)) {
      g.append(svg(doc, "circle", { cx: x, cy: sc.y(v), r: 4 }));
    }
  }

  function valueText(t, k) {
    return `iteration ${k}, ${t.loss_name || "loss"} ${num(t.losses[k - 1])}`;
  }

  function readout(t) {
    return el(doc, "p", { class: "readout", "data-testid": "training-readout",
      "aria-live": "polite" }, valueText(t, t.picked));
  }

  function say(t, k) {
    const p = panel.querySelector("[data-testid=training-readout]");
    if (p) p.textContent = valueText(t, k) + (k === t.picked ? " (shown)" : "");
  }

  function choose(box, picked, sc, t, k, delay) {
    wanted = k;
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
    updatePanel.setAttribute("aria-busy", "true");
    try {
      const r = await fetch("/api/training", { method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(payload) });
      const body = await r.json();
      // the learner has moved on since: another iteration, or another program
      if (mine !== asked || wanted !== k || store.get().trace?.source !== payload.source) return;
      if (r.ok && body && Array.isArray(body.nodes)) {
        const focused = doc.activeElement && doc.activeElement.closest &&
          doc.activeElement.closest("[data-testid=loss-chart]");
        store.set({ trace: body, step: clampStep(body, store.get().step) });
        if (focused) panel.querySelector("[data-testid=loss-chart]")?.focus();
      }
    } catch { /* the chart keeps its choice; picking again retries */ } finally {
      if (mine === asked) {
        panel.removeAttribute("aria-busy");
        updatePanel.removeAttribute("aria-busy");
      }
    }
  }

  /** One written-out line: its strings as text, its numbers formatted and marked. */
  function line(tokens) {
    const code = el(doc, "code", { class: "worked-line" });
    for (const tok of tokens) {
      if (typeof tok === "number") {
        code.append(el(doc, "span", { class: "n", "data-value": String(tok) }, num(tok)));
      } else {
        code.append(doc.createTextNode(tok === null ? "—" : String(tok)));
      }
    }
    return code;
  }

  function caption(p) {
    const bits = [];
    if (p.lr !== null && p.lr !== undefined) {
      bits.push(p.lr_text ? `lr = ${p.lr_text} = ${num(p.lr)}` : `lr = ${num(p.lr)}`);
    }
    if (p.t) bits.push(`t = ${p.t}`);
    const shape = p.before && p.before.shape && p.before.shape.length ?
      ` (${p.before.shape.join("×")})` : "";
    return `${p.label}${shape}` + (bits.length ? ` · ${bits.join(", ")}` : "");
  }

  function update(t) {
    const wrap = el(doc, "div", { class: "update", "data-testid": "update-step" });
    const u = t.update;
    wrap.append(el(doc, "h2", {}, `Update step of iteration ${t.picked}` +
      (u ? ` (${u.optimizer})` : "")));
    if (!u) {
      wrap.append(el(doc, "p", { class: "hint" }, "No parameter changed in this iteration: " +
        "no optimizer.step(), and no `p -= lr * p.grad` under torch.no_grad()."));
      return wrap;
    }
    // one statement per line: Adam's four updates run together read as one long formula
    const rule = el(doc, "p", { class: "rule", "data-testid": "update-rule" });
    for (const part of u.rule.split(/;\s+|,\s{2,}/)) {
      rule.append(el(doc, "span", { class: "rule-line" }, part));
    }
    wrap.append(rule);
    const settings = Object.entries(u.settings || {}).filter(([, v]) => v !== 0 && v !== false);
    if (settings.length) {
      const names = { beta1: "β₁", beta2: "β₂", eps: "ε", momentum: "μ", dampening: "τ",
        weight_decay: "λ", alpha: "α" };
      wrap.append(el(doc, "p", { class: "settings hint" }, settings.map(([k, v]) =>
        `${names[k] || k} = ${v === true ? "on" : num(v)}`).join(", ")));
    }
    for (const p of u.params) {
      const block = el(doc, "section", { class: "param", "data-testid": "update-param",
        "data-node": p.node || "", "data-label": p.label });
      block.append(el(doc, "h3", {}, caption(p)));
      if (p.code) block.append(el(doc, "p", { class: "code hint" }, p.code));
      for (const entry of p.worked || []) {
        const row = el(doc, "div", { class: "worked", "data-testid": "worked",
          "data-at": entry.at });
        row.append(el(doc, "span", { class: "at" }, `${p.label}${entry.at}`));
        for (const tokens of entry.lines) row.append(line(tokens));
        block.append(row);
      }
      block.append(table(p));
      wrap.append(block);
    }
    return wrap;
  }

  /** Every number of the parameter (its first few per row), folded away under the lines. */
  function table(p) {
    const more = el(doc, "details", { class: "all-numbers" });
    more.append(el(doc, "summary", {}, "all its numbers"));
    const tbl = el(doc, "table", { class: "param-table", "data-testid": "update-table" });
    const rows = [["w (before)", p.before, "before"], ["∇w", p.grad, "grad"]];
    for (const [name, v] of Object.entries(p.state || {})) rows.push([name, v, `state-${name}`]);
    rows.push(["change", p.change, "change"], ["w (after)", p.after, "after"]);
    const tbody = el(doc, "tbody");
    for (const [name, v, key] of rows) {
      const tr = el(doc, "tr", { "data-row": key });
      tr.append(el(doc, "th", { scope: "row" }, name), el(doc, "td", {}, numbers(v)));
      tbody.append(tr);
    }
    tbl.append(tbody);
    more.append(tbl);
    return more;
  }

  return { panel, updatePanel };
}
