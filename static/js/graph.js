// The graph as SVG: built once per graph structure (build), numbers refreshed in place when a
// re-trace keeps the structure (refresh), and restyled per step through attributes (update).
//
// Big traces (trace.collapsed set, > 500 nodes) are drawn as one box per statement group; a box
// opens into its members on click or Enter (groups.js places it). Per step only attributes that
// changed are written: every view remembers what it last wrote (`st`), so a step on a 3,000-node
// graph touches the handful of nodes it lights, not all of them.
import { blockSize, el, lineOf, makeBlock } from "./blocks.js";
import { shapeText } from "./format.js";
import { arrange, cubic, frameSize } from "./groups.js";
import { createMinimap } from "./minimap.js";
import { sameStructure } from "./player.js";

// a leader stops this far above a moved label's point (clear of the shape written there), or
// this far below it (clear of the local label) when the label sits above its edge
const LEADER_GAP = 16;
const LEADER_UNDER = 19;
const PREVIEW_CHARS = 18; // a zoomed-out node's one-line number (t-preview): clipped with …
const CLICK_SLOP = 5;     // px a pointer may move between down and up and still be a click

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
  let nodes = new Map();   // id → view of a drawn node
  let edges = new Map();   // id → view of a drawn edge (a trace edge, or boxes joined)
  let size = { width: 0, height: 0 };
  let big = null;          // big-graph state: groups, members, which are open, box views
  let lastFrame = null;
  let zoom = null;
  const tools = createTools();
  const minimap = createMinimap(svg.parentElement || svg);

  function build(t) {
    trace = t;
    big = t.collapsed ? bigState(t) : null;
    draw();
    if (zoom) zoom.setAnchor(big && !big.calls ? firstBox() : null);
    refresh(t);
  }

  /** (Re)draw the SVG for the current trace; for a big trace, for the groups now open. */
  function draw() {
    const t = trace;
    viewport.replaceChildren();
    nodes = new Map();
    edges = new Map();
    const frameLayer = el("g", { class: "group-frames" }, viewport);
    const edgeLayer = el("g", { class: "edges" }, viewport);
    const nodeLayer = el("g", { class: "nodes" }, viewport);
    const labelLayer = el("g", { class: "edge-labels" }, viewport);
    if (!big) {
      for (const e of t.edges) edges.set(e.id, buildEdge(e, e.route, edgeLayer, labelLayer));
      for (const n of t.nodes) nodes.set(n.id, buildNode(n, n.x, n.y, nodeLayer));
      size = { width: t.layout.width || 0, height: t.layout.height || 0 };
    } else {
      drawBig(frameLayer, edgeLayer, nodeLayer, labelLayer);
    }
    svg.toggleAttribute("data-big", !!big && !big.calls);
    placeEdgeLabels();
    tools.sync();
    if (big && !big.calls) minimap.draw(drawnBoxes(), size);   // small graphs keep it hidden
  }

  // ------------------------------------------------------------------ big graphs

  function bigState(t) {
    const groups = new Map(t.groups.map((g) => [g.id, g]));
    const members = new Map();
    for (const n of t.nodes) {
      if (!n.group) continue;
      if (!members.has(n.group)) members.set(n.group, []);
      members.get(n.group).push(n);
    }
    const routes = new Map(t.collapsed.edges.map((e) => [`${e.source}>${e.target}`, e.route]));
    // a small graph with user-function calls comes with its call frames open (collapsed.open)
    const first = new Set(t.collapsed.open || []);
    const prev = big && big.trace && big.trace.source === t.source ? big.open : first;
    return { trace: t, groups, members, routes, boxes: t.collapsed.boxes, open: prev,
      views: new Map(), pos: new Map(), calls: !!t.collapsed.open };
  }

  function drawBig(frameLayer, edgeLayer, nodeLayer, labelLayer) {
    const t = trace;
    const grown = new Map();
    for (const gid of big.open) {
      const g = big.groups.get(gid);
      if (g) grown.set(gid, frameSize(g.w, g.h, t.collapsed.frame));
    }
    const { pos, width, height } = arrange(t.collapsed, grown);
    size = { width, height };
    big.pos = pos;
    big.views = new Map();
    const at = new Map();       // drawn item id → [x, y, w, h] (centre and size)
    for (const b of big.boxes) {
      const [x, y] = pos.get(b.id);
      if (b.kind === "node") {
        const n = nodeById(b.id);
        if (n) nodes.set(n.id, buildNode(n, x, y, nodeLayer));
        at.set(b.id, [x, y, b.w, b.h]);
      } else if (big.open.has(b.id)) {
        const g = big.groups.get(b.id);
        const [fw, fh] = grown.get(b.id);
        big.views.set(b.id, buildFrame(g, x, y, fw, fh, frameLayer));
        // members keep their offsets inside the group's box (the trace places them all open)
        const { pad, title } = t.collapsed.frame;
        const dx = x - fw / 2 + pad - (g.x - g.w / 2);
        const dy = y - fh / 2 + pad + title - (g.y - g.h / 2);
        for (const n of big.members.get(b.id) || []) {
          nodes.set(n.id, buildNode(n, n.x + dx, n.y + dy, nodeLayer));
          at.set(n.id, [n.x + dx, n.y + dy, n.w, n.h]);
        }
        big.views.get(b.id).shift = [dx, dy];
      } else {
        const g = big.groups.get(b.id);
        big.views.set(b.id, buildBox(g, x, y, b.w, b.h, nodeLayer));
        at.set(b.id, [x, y, b.w, b.h]);
      }
    }
    big.at = at;
    const joined = new Map();   // "a>b" → trace edge ids, between drawn items
    for (const e of t.edges) {
      const a = itemOf(e.source);
      const b = itemOf(e.target);
      if (a === b && !nodes.has(a)) continue;      // inside a closed group
      if (nodes.has(e.source) && nodes.has(e.target)) {
        const ga = nodeGroup(e.source);
        const route = ga && ga === nodeGroup(e.target) ? shifted(e.route, big.views.get(ga).shift)
          : border(at.get(e.source), at.get(e.target));
        edges.set(e.id, buildEdge(e, route, edgeLayer, labelLayer));
        continue;
      }
      const key = `${a}>${b}`;
      if (!joined.has(key)) joined.set(key, []);
      joined.get(key).push(e.id);
    }
    for (const [key, ids] of joined) {
      const [a, b] = key.split(">");
      const moved = big.open.size > 0;
      const route = !moved && big.routes.has(key) ? big.routes.get(key) : border(at.get(a), at.get(b));
      edges.set(key, buildJoin(key, ids, route, edgeLayer));
    }
  }

  function nodeGroup(id) {
    const n = nodeById(id);
    return n && n.group && big.open.has(n.group) ? n.group : null;
  }

  function textOf(id) {
    const n = nodeById(id);
    return n ? lineOf(n) : "";
  }

  function nodeById(id) {
    if (!big.byId) big.byId = new Map(trace.nodes.map((n) => [n.id, n]));
    return big.byId.get(id);
  }

  /** The drawn item a node is in: itself when drawn, else its closed group's box. */
  function itemOf(id) {
    if (nodes.has(id)) return id;
    const n = nodeById(id);
    return n && n.group ? n.group : id;
  }

  function shifted(route, [dx, dy]) {
    return (route || []).map(([x, y]) => [x + dx, y + dy]);
  }

  function border(a, b) {
    if (!a || !b) return [];
    return cubic([a[0] + a[2] / 2, a[1]], [b[0] - b[2] / 2, b[1]], trace.collapsed.frame);
  }

  function buildBox(g, x, y, w, h, layer) {
    const members = big.members.get(g.id) || [];
    const bad = members.filter((n) => n.flags && n.flags.length).length;
    const view = { kind: "group", id: g.id, g: null, st: {}, members, group: g,
      box: { x: x - w / 2, y: y - h / 2, w, h } };
    const box = el("g", { class: "group-box", "data-group-id": g.id, tabindex: 0, role: "button",
      "aria-expanded": "false", transform: `translate(${x - w / 2},${y - h / 2})` }, layer);
    view.g = box;
    el("rect", { class: "halo", x: -4, y: -4, width: w + 8, height: h + 8, rx: 12 }, box);
    el("rect", { class: "box", width: w, height: h, rx: 8 }, box);
    el("rect", { class: "box-stack", x: 4, y: h, width: w - 8, height: 3, rx: 1.5 }, box);
    const label = el("text", { class: "g-label", x: 14, y: 20 }, box);
    label.textContent = groupTitle(g);
    view.status = el("text", { class: "g-status", x: 14, y: 39 }, box);
    const count = el("text", { class: "g-count", x: w - 10, y: 39, "text-anchor": "end" }, box);
    count.textContent = `${members.length} nodes ▸`;
    if (bad) {
      const flag = el("g", { class: "flag-badge", transform: `translate(${w - 4},-8)` }, box);
      el("rect", { x: -54, y: -8, width: 54, height: 15, rx: 7 }, flag);
      const ft = el("text", { x: -27, y: 3.5, "text-anchor": "middle" }, flag);
      ft.textContent = "⚠ NaN/inf";
      el("title", {}, flag).textContent = `${bad} node${bad > 1 ? "s" : ""} inside hold NaN or inf`;
    }
    view.aria = `${groupKind(g)} ${groupTitle(g)}: ${members.length} nodes, collapsed` +
      (bad ? `, ${bad} holding NaN or inf` : "") + ". Enter expands it.";
    box.setAttribute("aria-label", view.aria);
    wireToggle(box, g.id);
    return view;
  }

  function buildFrame(g, x, y, w, h, layer) {
    const frame = el("g", { class: "group-frame", "data-group-id": g.id,
      "data-group-kind": g.kind || "statement",
      transform: `translate(${x - w / 2},${y - h / 2})` }, layer);
    el("rect", { class: "frame", width: w, height: h, rx: 10 }, frame);
    const head = el("g", { class: "group-toggle", tabindex: 0, role: "button",
      "aria-expanded": "true", "data-group-id": g.id,
      "aria-label": `${groupKind(g)} ${groupTitle(g)}, expanded. Enter collapses it.` }, frame);
    el("rect", { class: "frame-head", width: w, height: trace.collapsed.frame.title, rx: 10 },
      head);
    const title = el("text", { class: "g-label", x: 12, y: 17 }, head);
    title.textContent = `▾ ${groupTitle(g)}`;
    wireToggle(head, g.id);
    return { kind: "frame", id: g.id, g: frame, st: {}, box: { x: x - w / 2, y: y - h / 2, w, h } };
  }

  /** A group's title: a call's source text, with its loop iteration (`f(x) · i = 3`). */
  function groupTitle(g) {
    return g.iteration ? `${g.label} · ${g.iteration.label}` : g.label;
  }

  function groupKind(g) {
    return g.kind === "call" ? "call" : "statement";
  }

  function wireToggle(target, gid) {
    let down = null;
    target.addEventListener("pointerdown", (ev) => { down = [ev.clientX, ev.clientY]; });
    // the svg captures the pointer for panning, so the matching pointerup lands on the svg
    const up = (ev) => {
      if (!down) return;
      const [x, y] = down;
      down = null;
      svg.removeEventListener("pointerup", up);
      if (Math.hypot(ev.clientX - x, ev.clientY - y) <= CLICK_SLOP) toggle(gid);
    };
    target.addEventListener("pointerdown", () => svg.addEventListener("pointerup", up));
    target.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(gid, null, true); }
    });
  }

  /** Open or close one group (or all with gid null and open true/false); from the keyboard,
   *  focus follows the group to its new box or frame header. */
  function toggle(gid, open = null, fromKey = false) {
    if (!big) return;
    if (gid === null) {
      big.open = open ? new Set(big.groups.keys()) : new Set();
    } else if (open ?? !big.open.has(gid)) {
      big.open.add(gid);
    } else {
      big.open.delete(gid);
    }
    const had = fromKey && document.activeElement && svg.contains(document.activeElement);
    draw();
    refresh(trace);
    if (lastFrame) { const f = lastFrame; lastFrame = null; update(f); }
    if (zoom) zoom.setContent(size);
    if (gid !== null) {
      const v = big.views.get(gid);
      if (v && zoom) zoom.ensureVisible(v.box);
      const focusable = v && (v.g.matches("[tabindex]") ? v.g : v.g.querySelector("[tabindex]"));
      if (had && focusable) focusable.focus({ preventScroll: true });
    }
  }

  /** The left column's top box: a readable first view of a big graph starts there. */
  function firstBox() {
    let best = null;
    for (const v of big.views.values()) {
      const b = v.box;
      if (!best || b.x < best.x - 1 || (Math.abs(b.x - best.x) <= 1 && b.y < best.y)) best = b;
    }
    return best;
  }

  function drawnBoxes() {
    const out = [];
    for (const v of big.views.values()) out.push({ ...v.box, kind: v.kind });
    for (const v of nodes.values()) out.push({ ...v.box, kind: "node" });
    return out;
  }

  // ------------------------------------------------------------------ numbers

  /** New numbers for the same structure: texts change, positions stay. */
  function refresh(t) {
    trace = t;
    if (big) { big.trace = t; big.byId = null; big.members = membersOf(t); }
    for (const n of t.nodes) {
      const v = nodes.get(n.id);
      if (!v || n.kind !== "tensor") continue;
      v.node = n;
      v.value.set(n.cells, n.value);
      if (v.grad) v.grad.nabla.textContent = t.display.marks.grad;   // forward mode: a tangent
      v.lastGrad = undefined;
      v.g.setAttribute("aria-label", tensorAria(n));
    }
    for (const e of t.edges) {
      const v = edges.get(e.id);
      if (v) v.edge = e;
    }
    if (big) for (const v of big.views.values()) { v.st = {}; if (v.members) v.members = big.members.get(v.id) || []; }
  }

  function membersOf(t) {
    const members = new Map();
    for (const n of t.nodes) {
      if (!n.group) continue;
      if (!members.has(n.group)) members.set(n.group, []);
      members.get(n.group).push(n);
    }
    return members;
  }

  /** Load a trace: keep the drawing when only numbers changed. Returns true if rebuilt. */
  function load(t) {
    if (trace && sameStructure(trace, t) && (nodes.size || edges.size || (big && big.views.size))) {
      refresh(t);
      return false;
    }
    build(t);
    return true;
  }

  function buildEdge(e, route, layer, labels) {
    const d = routePath(route);
    const g = el("g", { class: "edge", "data-edge-id": e.id, "data-role": e.role }, layer);
    const path = el("path", { class: "edge-line", d, "marker-end": "url(#arrow)" }, g);
    const flow = el("path", { class: "edge-flow", d }, g);
    const lg = el("g", { class: "edge-label", "data-edge-id": e.id }, labels);
    const shape = el("text", { class: "edge-shape", "text-anchor": "middle" }, lg);
    if (e.shape && e.shape.length) shape.textContent = shapeText(e.shape);
    const local = el("text", { class: "edge-local", "text-anchor": "middle" }, lg);
    return { g, path, flow, lg, shape, local, edge: e, route, ids: [e.id], st: {},
      lastLocal: undefined };
  }

  /** Boxes joined by trace edges (at least one end a closed group): one plain line. */
  function buildJoin(key, ids, route, layer) {
    const g = el("g", { class: "edge join", "data-join": key }, layer);
    const d = routePath(route);
    const path = el("path", { class: "edge-line", d, "marker-end": "url(#arrow)" }, g);
    const flow = el("path", { class: "edge-flow", d }, g);
    return { g, path, flow, lg: null, ids, st: {}, join: true };
  }

  function placeEdgeLabels() {
    // parallel edges (same two ends, e.g. a * a) spread their labels along the path
    const twins = new Map();
    for (const v of edges.values()) {
      if (v.join) continue;
      const key = `${v.edge.source}>${v.edge.target}`;
      twins.set(key, [...(twins.get(key) || []), v]);
    }
    const measure = !big;   // getTotalLength forces layout: too slow for thousands of edges
    for (const group of twins.values()) {
      group.forEach((v, k) => {
        // an edge too short for its label: the trace's point below its ends (engine/edge_labels)
        const at = !big && v.edge.label_at ? { x: v.edge.label_at[0], y: v.edge.label_at[1] }
          : null;
        const p = at || pointAlong(v, group.length > 1 ? (k + 1) / (group.length + 1) : 0.5,
          measure);
        if (k) v.shape.textContent = "";
        v.local.setAttribute("x", p.x.toFixed(1));
        v.local.setAttribute("y", (p.y + 13).toFixed(1));
        // an edge shorter than its label: the label shows only while the edge is lit
        const r = v.route;
        const [a, b] = [r[0], r[r.length - 1]];
        const room = a && b ? Math.hypot(b[0] - a[0], b[1] - a[1]) : 0;
        const need = Math.max(v.shape.textContent.length * 6, 22) + 6;
        v.cramped = room < need;
        setAttr(v.lg, "data-cramped", v.cramped ? "true" : null);
        // the shape goes to that point beside the local label, or lit on an edge too short
        // for it (placeShape); alone there, unlit, it would name no edge
        v.shapeAt = { edge: group.length > 1 || at ? pointAlong(v, 0.5, measure) : p, label: at };
        placeShape(v);
      });
    }
  }

  /** Where a leader from the edge's middle stops: above the shape written over a label below
   *  the edge, or under the local label of one above it. */
  function leaderEnd(edge, label) {
    if (label.y - LEADER_GAP - edge.y > 6) return { x: label.x, y: label.y - LEADER_GAP };
    if (edge.y - (label.y + LEADER_UNDER) > 6) return { x: label.x, y: label.y + LEADER_UNDER };
    return null;
  }

  function pointAlong(v, fraction, measure = true) {
    if (measure) {
      try {
        const len = v.path.getTotalLength();
        if (len > 0) return v.path.getPointAtLength(len * fraction);
      } catch { /* not rendered yet */ }
    }
    const r = v.route || [];
    if (r.length === 2) {     // a straight route (engine/layout.py plain_route): the segment
      return { x: r[0][0] + (r[1][0] - r[0][0]) * fraction,
        y: r[0][1] + (r[1][1] - r[0][1]) * fraction };
    }
    if (r.length === 4) {     // one cubic: evaluate it
      const u = fraction;
      const c = [(1 - u) ** 3, 3 * u * (1 - u) ** 2, 3 * u * u * (1 - u), u ** 3];
      return { x: r.reduce((s, q, k) => s + c[k] * q[0], 0),
        y: r.reduce((s, q, k) => s + c[k] * q[1], 0) };
    }
    const q = r[Math.floor((r.length - 1) * fraction)] || [0, 0];
    return { x: q[0], y: q[1] };
  }

  function buildNode(n, x, y, layer) {
    const v = n.kind === "op" ? buildOp(n, x, y, layer) : buildTensor(n, x, y, layer);
    v.box = { x: x - n.w / 2, y: y - n.h / 2, w: n.w, h: n.h };
    v.st = {};
    return v;
  }

  function buildOp(n, x, y, layer) {
    const g = el("g", { class: "node op", "data-node-id": n.id, "data-kind": "op",
      transform: `translate(${x - n.w / 2},${y - n.h / 2})`, role: "img",
      "aria-label": `operation ${n.label}` }, layer);
    el("rect", { class: "box", width: n.w, height: n.h, rx: n.h / 2 }, g);
    const label = el("text", { class: "op-label", x: n.w / 2, y: n.h / 2 + 4,
      "text-anchor": "middle" }, g);
    label.textContent = n.label;
    const title = el("title", {}, g);
    title.textContent = n.grad_fn ? `${n.op} — backward: ${n.grad_fn}` : n.op;
    return { g, node: n, kind: "op" };
  }

  function buildTensor(n, x, y, layer) {
    const geo = trace.display.blocks; // the engine's box metrics (engine/node_size.py)
    const g = el("g", { class: "node tensor", "data-node-id": n.id, "data-kind": "tensor",
      "data-origin": n.origin, transform: `translate(${x - n.w / 2},${y - n.h / 2})`,
      role: "img" }, layer);
    el("rect", { class: "halo", x: -4, y: -4, width: n.w + 8, height: n.h + 8, rx: 10 }, g);
    el("rect", { class: "box", width: n.w, height: n.h, rx: 6 }, g);
    const base = geo.pad_y + geo.line - 4;
    const label = el("text", { class: "t-label", x: geo.pad_x, y: base }, g);
    label.textContent = n.label;
    const shape = el("text", { class: "t-shape", x: n.w - geo.pad_x, y: base,
      "text-anchor": "end" }, g);
    shape.textContent = shapeText(n.shape);
    const title = el("title", {}, g);
    title.textContent = (n.expr && n.name ? `${n.name} = ${n.expr}` : (n.expr || n.label)) +
      (n.iteration ? ` — loop ${iterationText(n.iteration)}` : "") +
      (n.note ? ` — ${n.note}` : "");
    if (n.note) g.setAttribute("data-no-grad", "true");
    const top = geo.pad_y + geo.line;
    el("line", { class: "rule", x1: 1, x2: n.w - 1, y1: top - 0.5, y2: top - 0.5 }, g);
    const inner = n.w - 2 * geo.pad_x - geo.gutter;
    const [blockW, blockH] = blockSize(n.block, geo);
    const bx = geo.pad_x + geo.gutter + Math.max(0, (inner - blockW) / 2);
    const value = makeBlock(g, n.block, bx, top, "val", geo);
    let grad = null;
    let gradY = 0;
    if (n.requires_grad) {
      gradY = top + blockH + geo.grad_gap;
      el("rect", { class: "grad-band", x: 1, y: gradY - geo.grad_gap / 2, width: n.w - 2,
        height: blockH + geo.grad_gap / 2 + geo.pad_y - 1, rx: 5 }, g);
      const nabla = el("text", { class: "nabla", x: bx - geo.gutter, y: gradY + geo.line - 4 }, g);
      nabla.textContent = trace.display.marks.grad;
      grad = makeBlock(g, n.block, bx, gradY, "grad", geo);
      grad.nabla = nabla;
    }
    // zoomed out (names only), the step's nodes still show their number: one line under the
    // name, drawn at the names' on-screen size (app.css, semantic zoom)
    const preview = el("text", { class: "t-preview", x: geo.pad_x, y: top + 2,
      "dominant-baseline": "hanging" }, g);
    const badge = el("text", { class: "paths-badge", x: n.w, y: -5, "text-anchor": "end" }, g);
    const warn = el("text", { class: "error-badge", x: 0, y: -5 }, g);
    warn.textContent = "⚠ fails here";
    // in a loop outside any call frame: the iteration on the node (a call's frame title has it)
    if (n.iteration && !(big && big.calls && n.group && big.open.has(n.group))) {
      const it = el("text", { class: "iter-badge", x: n.w, y: n.h + 13, "text-anchor": "end" }, g);
      it.textContent = n.iteration.label;
    }
    if (n.note) {
      const c = el("text", { class: "const-badge", x: 0, y: n.h + 13 }, g);
      c.textContent = "no_grad: constant";
      el("title", {}, c).textContent = n.note;
    }
    if (n.flags && n.flags.length) flagBadge(n, g);
    const view = { g, node: n, kind: "tensor", value, grad, badge, preview, lastGrad: undefined };
    for (const [block, which] of [[value, "value"], [grad, "grad"]]) {
      if (block && block.layout.kind === "thumb") wireThumb(view, block, which);
    }
    return view;
  }

  /** NaN / inf in a node's value or gradient: a text badge under its box, explained. */
  function flagBadge(n, g) {
    const names = n.flags.map((f) => (f === "nan" ? "NaN" : "inf"));
    const text = `⚠ ${names.join(" · ")}`;
    const where = [n.value && n.value.nonfinite ? "value" : null,
      n.grad && n.grad.nonfinite ? "gradient" : null].filter(Boolean).join(" and ") || "value";
    const w = 14 + text.length * 6.6;
    const badge = el("g", { class: "flag-badge", "data-flags": n.flags.join(" "),
      transform: `translate(0,${n.h + 4})` }, g);
    el("rect", { width: w, height: 16, rx: 8 }, badge);
    const t = el("text", { x: w / 2, y: 12, "text-anchor": "middle" }, badge);
    t.textContent = text;
    el("title", {}, badge).textContent = `The ${where} holds ${names.join(" and ")}: ` +
      "not a finite number (e.g. log(0), 0/0, overflow). Everything computed from it inherits it.";
    return badge;
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
        clientY: ev.clientY, marks: trace.display.marks });
    });
    g.addEventListener("pointerleave", () => onHover && onHover(null));
    const open = (ev) => {
      ev.stopPropagation();
      if (onInspect) onInspect({ node: view.node, which, value: numbersOf(), marks: trace.display.marks });
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

  // ------------------------------------------------------------------ per step

  /** Restyle for one frame (player.frame). Only attributes and texts that changed are written. */
  function update(f) {
    lastFrame = f;
    setAttr(svg, "data-phase", f.phase);
    for (const [id, v] of nodes) updateNode(v, id, f);
    for (const v of edges.values()) updateEdge(v, f);
    if (big) for (const v of big.views.values()) if (v.kind === "group") updateBox(v, f);
  }

  function updateNode(v, id, f) {
    put(v, v.g, "data-shown", f.shown.has(id) ? "true" : "false");
    put(v, v.g, "data-lit", f.lit.has(id) ? "true" : null);
    put(v, v.g, "data-focus", f.focus === id ? "true" : null);
    put(v, v.g, "data-error", f.errorNode === id ? "true" : null);
    if (v.kind !== "tensor") return;
    const gr = f.grads.get(id);
    const key = gr ? gr.value : null;
    if (v.lastGrad !== key) {
      v.lastGrad = key;
      v.shownGrad = key;
      // the step that brought this gradient carries its texts (player.frame: gr.step)
      const shown = gr ? trace.steps[gr.step].shown : null;
      if (v.grad) v.grad.set(shown ? shown.cells : null, key);
      put(v, v.g, "data-grad", shown ? lineOf(shown) : null);
      v.g.setAttribute("aria-label", tensorAria(v.node) +
        (shown ? `, ${trace.display.marks.grad_word} ${lineOf(shown)}` : ""));
    }
    const gradShown = gr ? trace.steps[gr.step].shown : null;
    const preview = gradShown ? `${trace.display.marks.grad} ${lineOf(gradShown)}` : f.shown.has(id) ? `= ${lineOf(v.node)}`
      : "";
    if (v.st.preview !== preview) {
      v.st.preview = preview;
      v.preview.textContent = preview.length > PREVIEW_CHARS
        ? `${preview.slice(0, PREVIEW_CHARS - 1)}…` : preview;
      put(v, v.preview, "data-grad", gradShown ? "true" : null, "preview-grad");
    }
    const partial = gr && !gr.complete;
    put(v, v.g, "data-partial", partial ? "true" : null);
    const badge = partial ? `${gr.count} of ${gr.expected} paths` : "";
    if (v.st.badge !== badge) { v.st.badge = badge; v.badge.textContent = badge; }
  }

  function updateEdge(v, f) {
    let shown = false;
    let lit = false;
    for (const id of v.ids) {
      if (f.shownEdges.has(id)) shown = true;
      if (f.litEdges.has(id)) lit = true;
    }
    put(v, v.g, "data-shown", shown ? "true" : "false");
    put(v, v.g, "data-lit", lit ? "true" : null);
    const marker = !lit ? "url(#arrow)" : f.phase === "backward" ? "url(#arrow-bwd)"
      : "url(#arrow-fwd)";
    put(v, v.path, "marker-end", marker, "marker");
    if (!v.lg) return;
    put(v, v.lg, "data-shown", shown ? "true" : "false", "lg-shown");
    put(v, v.lg, "data-lit", lit ? "true" : null, "lg-lit");
    const s = f.locals.get(v.edge.id);
    if (v.lastLocal !== s || v.lit !== lit) {
      if (v.lastLocal !== s) v.local.textContent = s ? s.label : "";
      v.lastLocal = s;
      v.lit = lit;
      placeShape(v);
    }
  }

  /** An edge's shape label: on the edge, or at the trace's point with its local label (or lit,
   *  when the edge is too short for it), which a dotted leader joins to the edge's middle
   *  (app/svg_export.py draws the same). */
  function placeShape(v) {
    if (!v.shapeAt) return;
    const { edge, label } = v.shapeAt;
    const away = Boolean(label && (v.lastLocal || (v.lit && v.cramped)));
    const at = away ? label : edge;
    v.shape.setAttribute("x", at.x.toFixed(1));
    v.shape.setAttribute("y", (at.y - 4).toFixed(1));
    const end = away ? leaderEnd(edge, label) : null;
    if (end && !v.leader) {   // in the edge's own group: under the boxes, as the edge is
      v.leader = el("line", { class: "edge-leader" }, v.g);
    }
    if (!v.leader) return;
    v.leader.style.display = end ? "" : "none";
    // a lit shape alone at the point: zoomed out, the shape hides, and its leader with it
    v.leader.classList.toggle("shape-only", !v.lastLocal);
    if (end) {
      for (const [k, n] of [["x1", edge.x], ["y1", edge.y], ["x2", end.x], ["y2", end.y]]) {
        v.leader.setAttribute(k, n.toFixed(1));
      }
    }
  }

  /** A closed group: lit while the step's nodes are inside it; "k of n done" or the number. */
  function updateBox(v, f) {
    let shown = 0;
    let ops = 0;
    let done = 0;
    let lit = false;
    let focus = false;
    let grads = 0;
    let tensors = 0;
    for (const n of v.members) {
      const here = f.shown.has(n.id);
      if (here) shown += 1;
      if (f.lit.has(n.id)) lit = true;
      if (f.focus === n.id) focus = true;
      if (n.kind === "tensor") {
        tensors += 1;
        if (f.grads.has(n.id)) grads += 1;
      } else {
        ops += 1;
        if (here) done += 1;
      }
    }
    put(v, v.g, "data-shown", shown > 0 ? "true" : "false");
    put(v, v.g, "data-lit", lit ? "true" : null);
    put(v, v.g, "data-focus", focus ? "true" : null);
    put(v, v.g, "data-done", done === ops ? "true" : null);
    const mark = trace.display.marks.grad;
    let status = f.phase === "backward" ? `${mark} ${grads} of ${tensors} tensors`
      : ops ? `${done} of ${ops} ops done` : "inputs";
    if (focus && f.step) {
      const s = f.step;
      if (s.phase === "forward" && s.value) status = `= ${textOf(s.output)}`;
      else if (s.shown) status = `${mark} ${lineOf(s.shown)}`;
    }
    if (v.st.status !== status) {
      v.st.status = status;
      v.status.textContent = status.length > 40 ? `${status.slice(0, 39)}…` : status;
      v.g.setAttribute("aria-label", `${v.aria} ${status}.`);
    }
  }

  /** setAttr through the view's memory of what it last wrote: no DOM read, no needless write. */
  function put(v, node, name, value, key = name) {
    if (v.st[key] === value) return;
    v.st[key] = value;
    if (value === null) node.removeAttribute(name);
    else node.setAttribute(name, value);
  }

  function nodeBox(id) {
    const v = nodes.get(id);
    if (v) return v.box;
    if (!big) return null;
    const n = nodeById(id);
    const box = n && n.group ? big.views.get(n.group) : null;
    return box ? box.box : null;
  }

  // ------------------------------------------------------------------ tools for big graphs

  function createTools() {
    const host = svg.parentElement;
    if (!host) return { sync() {} };
    const bar = document.createElement("div");
    bar.className = "big-tools";
    bar.dataset.testid = "big-tools";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Statement groups");
    bar.hidden = true;
    const button = (testid, text, onClick) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.testid = testid;
      b.textContent = text;
      b.addEventListener("click", onClick);
      bar.appendChild(b);
      return b;
    };
    button("expand-all", "Expand all", () => toggle(null, true));
    button("collapse-all", "Collapse all", () => toggle(null, false));
    const mapButton = button("toggle-minimap", "Hide overview", () => {
      minimap.setHidden(!minimap.hidden);
      sync();
    });
    host.appendChild(bar);
    function sync() {
      bar.hidden = !big || big.calls;      // call frames: each toggles from its own title
      minimap.setEnabled(!!big && !big.calls);
      mapButton.textContent = minimap.hidden ? "Show overview" : "Hide overview";
      mapButton.setAttribute("aria-pressed", minimap.hidden ? "false" : "true");
    }
    return { sync };
  }

  /** Wire the pan/zoom controller: the overview follows it, opened groups scroll into view. */
  function attachZoom(z) {
    zoom = z;
    minimap.attach(z);
  }

  return {
    svg, viewport, load, update, nodeBox, attachZoom, toggle,
    get size() { return size; },
    get trace() { return trace; },
    get openGroups() { return big ? [...big.open] : []; },
  };
}

function tensorAria(n) {
  const what = n.name ? n.name : n.expr || n.label;
  return `tensor ${what}, shape ${shapeText(n.shape)}, value ${lineOf(n)}` +
    (n.iteration ? `, made in loop ${iterationText(n.iteration)}` : "") +
    (n.note ? `, ${n.note}` : "");
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

/** "iteration 3 of 5 (i = 3)" */
function iterationText(it) {
  const count = it.n ? `iteration ${it.n}${it.of ? ` of ${it.of}` : ""}` : "";
  return [count, it.label ? `(${it.label})` : ""].filter(Boolean).join(" ");
}
