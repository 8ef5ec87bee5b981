// The graph as SVG: built once per graph structure (build), numbers refreshed in place when a
// re-trace keeps the structure (refresh), and restyled per step through attributes (update).
import { M, blockLayout, el, makeBlock } from "./blocks.js";
import { fmt, shapeText, uniform, valueText } from "./format.js";
import { sameStructure } from "./player.js";

const GUTTER = M.GUTTER_CHARS * M.CHAR;

export function createGraph(svg, { onInspect, onHover } = {}) {
  const defs = el("defs", {}, svg);
  for (const [id, cls] of [["arrow", "a-idle"], ["arrow-fwd", "a-fwd"], ["arrow-bwd", "a-bwd"]]) {
    const m = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
      markerHeight: 7, orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" }, defs);
    el("path", { d: "M0,1 L10,5 L0,9 z", class: cls }, m);
    m.setAttribute("markerWidth", "9");
    m.setAttribute("markerHeight", "9");
  }
  const viewport = el("g", { class: "viewport" }, svg);
  let trace = null;
  let nodes = new Map();   // id → view
  let edges = new Map();   // id → view
  let size = { width: 0, height: 0 };

  function build(t) {
    trace = t;
    viewport.replaceChildren();
    nodes = new Map();
    edges = new Map();
    const edgeLayer = el("g", { class: "edges" }, viewport);
    const nodeLayer = el("g", { class: "nodes" }, viewport);
    const labelLayer = el("g", { class: "edge-labels" }, viewport);
    for (const e of t.edges) edges.set(e.id, buildEdge(e, edgeLayer, labelLayer));
    for (const n of t.nodes) {
      nodes.set(n.id, n.kind === "op" ? buildOp(n, nodeLayer) : buildTensor(n, nodeLayer));
    }
    size = { width: t.layout.width || 0, height: t.layout.height || 0 };
    placeEdgeLabels();
    refresh(t);
  }

  /** New numbers for the same structure: texts change, positions stay. */
  function refresh(t) {
    trace = t;
    for (const n of t.nodes) {
      const v = nodes.get(n.id);
      if (!v || n.kind !== "tensor") continue;
      v.node = n;
      v.value.set(n.value, n.dtype === "int");
      v.lastGrad = undefined;
      v.g.setAttribute("aria-label", tensorAria(n));
    }
    for (const e of t.edges) {
      const v = edges.get(e.id);
      if (v) v.edge = e;
    }
  }

  /** Load a trace: keep the drawing when only numbers changed. Returns true if rebuilt. */
  function load(t) {
    if (trace && sameStructure(trace, t) && nodes.size) {
      refresh(t);
      return false;
    }
    build(t);
    return true;
  }

  function buildEdge(e, layer, labels) {
    const g = el("g", { class: "edge", "data-edge-id": e.id, "data-role": e.role }, layer);
    const path = el("path", { class: "edge-line", d: routePath(e.route),
      "marker-end": "url(#arrow)" }, g);
    const flow = el("path", { class: "edge-flow", d: routePath(e.route) }, g);
    const lg = el("g", { class: "edge-label", "data-edge-id": e.id }, labels);
    const shape = el("text", { class: "edge-shape", "text-anchor": "middle" }, lg);
    if (e.shape && e.shape.length) shape.textContent = shapeText(e.shape);
    const local = el("text", { class: "edge-local", "text-anchor": "middle" }, lg);
    return { g, path, flow, lg, shape, local, edge: e, lastLocal: undefined };
  }

  function placeEdgeLabels() {
    // parallel edges (same two ends, e.g. a * a) spread their labels along the path
    const twins = new Map();
    for (const v of edges.values()) {
      const key = `${v.edge.source}>${v.edge.target}`;
      twins.set(key, [...(twins.get(key) || []), v]);
    }
    for (const group of twins.values()) {
      group.forEach((v, k) => {
        const p = pointAlong(v, group.length > 1 ? (k + 1) / (group.length + 1) : 0.5);
        const mid = group.length > 1 ? pointAlong(v, 0.5) : p;
        v.shape.setAttribute("x", mid.x.toFixed(1));
        v.shape.setAttribute("y", (mid.y - 4).toFixed(1));
        if (k) v.shape.textContent = "";
        v.local.setAttribute("x", p.x.toFixed(1));
        v.local.setAttribute("y", (p.y + 13).toFixed(1));
        // an edge shorter than its label: the label shows only while the edge is lit
        const r = v.edge.route;
        const [a, b] = [r[0], r[r.length - 1]];
        const room = a && b ? Math.hypot(b[0] - a[0], b[1] - a[1]) : 0;
        const need = Math.max(v.shape.textContent.length * 6, 22) + 6;
        setAttr(v.lg, "data-cramped", room < need ? "true" : null);
      });
    }
  }

  function pointAlong(v, fraction) {
    try {
      const len = v.path.getTotalLength();
      if (len > 0) return v.path.getPointAtLength(len * fraction);
    } catch { /* not rendered yet */ }
    const r = v.edge.route;
    const q = r[Math.floor((r.length - 1) * fraction)] || [0, 0];
    return { x: q[0], y: q[1] };
  }

  function buildOp(n, layer) {
    const g = el("g", { class: "node op", "data-node-id": n.id, "data-kind": "op",
      transform: `translate(${n.x - n.w / 2},${n.y - n.h / 2})`, role: "img",
      "aria-label": `operation ${n.label}` }, layer);
    el("rect", { class: "box", width: n.w, height: n.h, rx: n.h / 2 }, g);
    const label = el("text", { class: "op-label", x: n.w / 2, y: n.h / 2 + 4,
      "text-anchor": "middle" }, g);
    label.textContent = n.label;
    const title = el("title", {}, g);
    title.textContent = n.grad_fn ? `${n.op} — backward: ${n.grad_fn}` : n.op;
    return { g, node: n, kind: "op" };
  }

  function buildTensor(n, layer) {
    const g = el("g", { class: "node tensor", "data-node-id": n.id, "data-kind": "tensor",
      "data-origin": n.origin, transform: `translate(${n.x - n.w / 2},${n.y - n.h / 2})`,
      role: "img" }, layer);
    el("rect", { class: "halo", x: -4, y: -4, width: n.w + 8, height: n.h + 8, rx: 10 }, g);
    el("rect", { class: "box", width: n.w, height: n.h, rx: 6 }, g);
    const base = M.PAD_Y + M.LINE - 4;
    const label = el("text", { class: "t-label", x: M.PAD_X, y: base }, g);
    label.textContent = n.label;
    const shape = el("text", { class: "t-shape", x: n.w - M.PAD_X, y: base,
      "text-anchor": "end" }, g);
    shape.textContent = shapeText(n.shape);
    const title = el("title", {}, g);
    title.textContent = n.expr && n.name ? `${n.name} = ${n.expr}` : (n.expr || n.label);
    const top = M.PAD_Y + M.LINE;
    el("line", { class: "rule", x1: 1, x2: n.w - 1, y1: top - 0.5, y2: top - 0.5 }, g);
    const probe = blockLayout(n.shape);
    const inner = n.w - 2 * M.PAD_X - GUTTER;
    const bx = M.PAD_X + GUTTER + Math.max(0, (inner - probe.w) / 2);
    const value = makeBlock(g, n.shape, bx, top, "val");
    let grad = null;
    let gradY = 0;
    if (n.requires_grad) {
      gradY = top + value.layout.h + M.GRAD_GAP;
      el("rect", { class: "grad-band", x: 1, y: gradY - M.GRAD_GAP / 2, width: n.w - 2,
        height: value.layout.h + M.GRAD_GAP / 2 + M.PAD_Y - 1, rx: 5 }, g);
      const nabla = el("text", { class: "nabla", x: bx - GUTTER, y: gradY + M.LINE - 4 }, g);
      nabla.textContent = "∇";
      grad = makeBlock(g, n.shape, bx, gradY, "grad");
    }
    const badge = el("text", { class: "paths-badge", x: n.w, y: -5, "text-anchor": "end" }, g);
    const warn = el("text", { class: "error-badge", x: 0, y: -5 }, g);
    warn.textContent = "⚠ fails here";
    const view = { g, node: n, kind: "tensor", value, grad, badge, lastGrad: undefined };
    for (const [block, which] of [[value, "value"], [grad, "grad"]]) {
      if (block && block.layout.kind === "thumb") wireThumb(view, block, which);
    }
    return view;
  }

  function wireThumb(view, block, which) {
    const g = block.g;
    g.classList.add("inspectable");
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", `Inspect every number of ${view.node.label} (${which})`);
    const numbersOf = () => (which === "value" ? view.node.value : view.shownGrad);
    g.addEventListener("pointermove", (ev) => {
      const pt = toLocal(g, ev);
      const k = block.cellAt(pt.x, pt.y);
      const val = numbersOf();
      if (k === null || !val || !onHover) return;
      onHover({ node: view.node, which, index: k, value: val, clientX: ev.clientX,
        clientY: ev.clientY });
    });
    g.addEventListener("pointerleave", () => onHover && onHover(null));
    const open = (ev) => {
      ev.stopPropagation();
      if (onInspect) onInspect({ node: view.node, which, value: numbersOf() });
    };
    g.addEventListener("click", open);
    g.addEventListener("pointerdown", (ev) => ev.stopPropagation());
    g.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(ev); }
    });
  }

  function toLocal(g, ev) {
    const m = g.getScreenCTM();
    if (!m) return { x: -1, y: -1 };
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }

  /** Restyle for one frame (player.frame). Only attributes and texts change. */
  function update(f) {
    svg.setAttribute("data-phase", f.phase);
    for (const [id, v] of nodes) {
      const shown = f.shown.has(id);
      setAttr(v.g, "data-shown", shown ? "true" : "false");
      setAttr(v.g, "data-lit", f.lit.has(id) ? "true" : null);
      setAttr(v.g, "data-focus", f.focus === id ? "true" : null);
      setAttr(v.g, "data-error", f.errorNode === id ? "true" : null);
      if (v.kind !== "tensor") continue;
      const gr = f.grads.get(id);
      const key = gr ? gr.value : null;
      if (v.lastGrad !== key) {
        v.lastGrad = key;
        v.shownGrad = key;
        if (v.grad) v.grad.set(key, false);
        setAttr(v.g, "data-grad", gr ? valueText(gr.value) : null);
        v.g.setAttribute("aria-label", tensorAria(v.node) +
          (gr ? `, gradient ${valueText(gr.value)}` : ""));
      }
      const partial = gr && !gr.complete;
      setAttr(v.g, "data-partial", partial ? "true" : null);
      const badge = partial ? `${gr.count} of ${gr.expected} paths` : "";
      if (v.badge.textContent !== badge) v.badge.textContent = badge;
    }
    for (const [id, v] of edges) {
      setAttr(v.g, "data-shown", f.shownEdges.has(id) ? "true" : "false");
      setAttr(v.lg, "data-shown", f.shownEdges.has(id) ? "true" : "false");
      const lit = f.litEdges.has(id);
      setAttr(v.g, "data-lit", lit ? "true" : null);
      setAttr(v.lg, "data-lit", lit ? "true" : null);
      const marker = !lit ? "url(#arrow)" : f.phase === "backward" ? "url(#arrow-bwd)"
        : "url(#arrow-fwd)";
      setAttr(v.path, "marker-end", marker);
      const s = f.locals.get(id);
      if (v.lastLocal !== s) {
        v.lastLocal = s;
        v.local.textContent = s ? localLabel(s) : "";
      }
    }
  }

  function nodeBox(id) {
    const v = nodes.get(id);
    if (!v) return null;
    const n = v.node;
    return { x: n.x - n.w / 2, y: n.y - n.h / 2, w: n.w, h: n.h };
  }

  return {
    svg, viewport, load, update, nodeBox,
    get size() { return size; },
    get trace() { return trace; },
  };
}

/** Edge label once backward crossed it: the local derivative as a factor, `×4`; `×local` for
 *  an elementwise tensor of them, `VJP` where the Jacobian is not diagonal (see the formula). */
export function localLabel(step) {
  if (!step.local) return "VJP";
  const u = uniform(step.local);
  return u !== null ? `×${fmt(u)}` : "×local";
}

function tensorAria(n) {
  const what = n.name ? n.name : n.expr || n.label;
  return `tensor ${what}, shape ${shapeText(n.shape)}, value ${valueText(n.value, n.dtype === "int")}`;
}

function setAttr(node, name, value) {
  if (value === null) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

/** Cubic Bézier route points p0 c1 c2 p1 … as an SVG path. */
export function routePath(route) {
  if (!route || route.length < 2) return "";
  const p = (q) => `${q[0]},${q[1]}`;
  if ((route.length - 1) % 3 !== 0) return "M" + route.map(p).join(" L");
  let d = `M${p(route[0])}`;
  for (let k = 1; k + 2 < route.length; k += 3) {
    d += ` C${p(route[k])} ${p(route[k + 1])} ${p(route[k + 2])}`;
  }
  return d;
}
