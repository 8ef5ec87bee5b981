// Forward versus reverse mode on one graph (issue 15). The trace carries `forward_mode`
// (engine/forward_mode.py): steps in the trace's own step shapes where tangents flow from the
// inputs forward. Picking "Forward" shows the same trace with those steps in place of the
// backward ones; the graph, narration and player paint them as they paint any step. Beside it,
// a link to the Compare view (/compare) of the same program.
import { encodeState } from "./permalink.js";

const made = new WeakSet();   // the forward-mode views this module built (never from the server)

function el(doc, tag, attrs = {}, text = "") {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

/** The trace as forward mode shows it: same graph, the tangent steps, their row labels. */
export function forwardView(trace) {
  const fm = trace.forward_mode;
  const view = {
    ...trace,
    steps: fm.steps,
    backward_start: null,
    error: null,            // forward mode does not need a scalar output: nothing refuses
    offer_backward: null,
    display: { ...trace.display, rows: { ...trace.display.rows, ...fm.rows },
      marks: { ...trace.display.marks, ...fm.marks } },
    reverse: trace,
    mode: "forward",
  };
  made.add(view);
  return view;
}

/** Mount the toggle in the player; returns {set(mode)} for tests and keys. */
export function createModeToggle(doc, viewer) {
  const { store } = viewer;
  const player = doc.querySelector("[data-role=player]");
  if (!player) return null;
  if (!doc.querySelector("link[data-compare-css]")) {
    doc.head.append(el(doc, "link", { rel: "stylesheet", href: "/static/css/compare.css",
      "data-compare-css": "" }));
  }
  const box = el(doc, "fieldset", { class: "mode-toggle", "data-testid": "mode-toggle",
    "aria-describedby": "mode-summary" });
  box.append(el(doc, "legend", {}, "Mode"));
  const radios = {};
  for (const [mode, label, hint] of [
    ["reverse", "Reverse", "Reverse mode (backward): one pass per output"],
    ["forward", "Forward", "Forward mode (tangents): one pass per input"]]) {
    const id = `mode-${mode}`;
    const input = el(doc, "input", { type: "radio", name: "ad-mode", id, value: mode,
      "data-testid": id });
    const lab = el(doc, "label", { for: id, title: hint }, label);
    input.addEventListener("change", () => { if (input.checked) set(mode); });
    radios[mode] = input;
    box.append(input, lab);
  }
  const summary = el(doc, "p", { class: "mode-summary", id: "mode-summary",
    "data-testid": "mode-summary", "aria-live": "polite" });
  const compare = el(doc, "a", { class: "compare-link", "data-testid": "compare-link",
    href: "/compare" }, "Compare");
  // the frameworks' names: hidden on a phone, where the toggle is one row (compare.css)
  compare.append(el(doc, "span", { class: "compare-more" }, " in PyTorch, TensorFlow, JAX, micrograd"));
  box.append(summary, compare);
  box.hidden = true;
  player.append(box);
  let wanted = "reverse";   // kept across re-traces (a slider moved): the learner's choice

  store.subscribe((s, p) => {
    if (s.trace === p.trace) return;
    const t = s.trace;
    if (!t || made.has(t) || t === (p.trace && p.trace.reverse)) { show(t); return; }
    const fm = t.forward_mode;
    if (fm && fm.available && fm.start_forward && !(p.trace && p.trace.source === t.source)) {
      wanted = "forward";   // a jax.jvp program opens where its tangents flow
    }
    if (fm && fm.available && wanted === "forward") {
      store.set({ trace: forwardView(t), step: -1, status: "ready" });
      return;
    }
    show(t);
  });

  function reverseOf(t) { return made.has(t) ? t.reverse : t; }

  function show(t) {
    markLegend(t);
    const base = t ? reverseOf(t) : null;
    const fm = base && base.forward_mode;
    box.hidden = !fm;
    if (!fm) return;
    const mode = made.has(t) ? "forward" : "reverse";
    radios[mode].checked = true;
    radios.forward.disabled = !fm.available;
    box.dataset.mode = mode;
    encodeState({ source: base.source }).then((code) => { compare.href = `/compare#p=${code}`; });
    summary.textContent = fm.available ? fm.summary : `${fm.summary} ${fm.reason}`;
  }

  /** The graph's legend names what the second row holds: a gradient, or a tangent. */
  function markLegend(t) {
    const marks = t && t.display && t.display.marks;
    const item = doc.querySelector("[data-testid=legend-grad]");
    if (!marks || !item) return;
    item.querySelector(".lg-nabla").textContent = marks.grad;
    item.lastChild.textContent = marks.grad_word;
  }

  function set(mode) {
    const t = store.get().trace;
    if (!t) return;
    const base = reverseOf(t);
    if (!base.forward_mode || (mode === "forward" && !base.forward_mode.available)) return;
    wanted = mode;
    viewer.pause();
    const trace = mode === "forward" ? (made.has(t) ? t : forwardView(base)) : base;
    store.set({ trace, step: -1, status: trace.error ? "error" : "ready" });
  }

  return { set };
}
