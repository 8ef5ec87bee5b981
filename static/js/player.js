// The player as a pure state machine over trace.steps: (trace, step index) → what the graph shows.
// No DOM, no timers: graph.js, narration.js and controls.js render the frame this returns, and the
// browser tests import this module on its own.
//
// Step index -1 is the start: no op has run; leaves, inputs and constants show their values.

/** Facts about a trace that every frame needs; compute once per trace. */
export function prepare(trace) {
  const born = new Map();       // node id → index of the forward step that creates it
  for (const s of trace.steps) {
    if (s.phase === "forward" && s.kind === "op") {
      if (!born.has(s.op)) born.set(s.op, s.index);
      if (!born.has(s.output)) born.set(s.output, s.index);
    }
  }
  const edges = new Map(trace.edges.map((e) => [e.id, e]));
  return { born, edges, count: trace.steps.length };
}

/** Clamp a step index into [-1, steps - 1]. */
export function clampStep(trace, index) {
  const last = trace.steps.length - 1;
  if (!Number.isFinite(index)) return -1;
  return Math.max(-1, Math.min(last, Math.trunc(index)));
}

/**
 * What is visible, lit and known at step `index`.
 * - shown: node ids computed by then (the rest are drawn as pending ghosts)
 * - lit / litEdges / focus: the current step's highlights
 * - grads: node id → {value, count, expected, complete, pass} — the latest gradient backward has
 *   brought to the node (a running sum while paths are still arriving)
 * - locals: edge id → the backward edge (or product) step that last crossed it (its label)
 */
export function frame(trace, index, prep = prepare(trace)) {
  const i = clampStep(trace, index);
  const step = i >= 0 ? trace.steps[i] : null;
  const shown = new Set();
  for (const n of trace.nodes) {
    const b = prep.born.get(n.id);
    if (b === undefined || b <= i) shown.add(n.id);
  }
  const shownEdges = new Set();
  for (const e of trace.edges) {
    if (shown.has(e.source) && shown.has(e.target)) shownEdges.add(e.id);
  }
  const grads = new Map();
  const locals = new Map();
  let pass = 0;
  for (let k = 0; k <= i; k++) {
    const s = trace.steps[k];
    if (s.kind === "seed") {
      pass += 1;
      grads.set(s.root, { value: s.grad, count: 1, expected: 1, complete: true, pass, step: k });
    } else if (s.kind === "edge") {
      grads.set(s.to, { value: s.grad, count: s.count, expected: s.expected,
        complete: s.complete, pass, step: k });
      locals.set(s.edge, s);
    } else if (s.kind === "product") {
      locals.set(s.edge, s);    // a broadcast input's product: the edge's label, no gradient yet
    } else if (s.kind === "hook" && s.result) {
      // a hook that returns a tensor replaces the gradient that flows on from its node
      grads.set(s.node, { value: s.result, count: 1, expected: 1, complete: true, pass, step: k });
    }
  }
  const phase = step ? step.phase : "start";
  const error = step && step.kind === "error" ? step : null;
  return {
    index: i,
    count: trace.steps.length,
    step,
    phase,
    kind: step ? step.kind : "start",
    shown,
    shownEdges,
    lit: new Set(step ? step.lit_nodes : []),
    litEdges: new Set(step ? step.lit_edges : []),
    focus: step ? step.focus : null,
    grads,
    locals,
    error,
    errorNode: trace.error ? trace.error.node : null,
    atStart: i === -1,
    atEnd: i === trace.steps.length - 1,
  };
}

/**
 * The contributions that have reached edge step `index`'s target so far in its backward pass,
 * oldest first: its `count` latest edge steps into the same node. A step carries only its own
 * `contribution` (repeating the earlier ones made traces quadratic in fan-in); a seed starts a
 * new pass, so the walk stops there. Mirrored by app/frame.py `contributions_at`.
 */
export function contributionsAt(trace, index) {
  const step = trace.steps[index];
  if (!step || step.kind !== "edge") return [];
  const out = [];
  for (let k = index; k >= 0 && out.length < step.count; k--) {
    const s = trace.steps[k];
    if (s.kind === "seed") break;
    if (s.kind === "edge" && s.to === step.to) out.push(s.contribution);
  }
  return out.reverse();
}

/** The step a "jump to backward" lands on: trace.backward_start, else the first backward step. */
export function backwardStart(trace) {
  if (Number.isInteger(trace.backward_start)) return trace.backward_start;
  const s = trace.steps.find((st) => st.phase === "backward");
  return s ? s.index : null;
}

/** Same graph structure (node and edge ids): the drawn SVG can be kept and only its text updated. */
export function sameStructure(a, b) {
  if (!a || !b || a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) {
    return false;
  }
  for (let k = 0; k < a.nodes.length; k++) {
    const na = a.nodes[k];
    const nb = b.nodes[k];
    if (na.id !== nb.id || na.kind !== nb.kind || na.label !== nb.label) return false;
    const sa = na.shape;
    const sb = nb.shape;
    if (sa && sb && sa.join(",") !== sb.join(",")) return false;
  }
  for (let k = 0; k < a.edges.length; k++) {
    const ea = a.edges[k];
    const eb = b.edges[k];
    if (ea.id !== eb.id || ea.source !== eb.source || ea.target !== eb.target) return false;
  }
  return true;
}
