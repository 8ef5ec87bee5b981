// The embed's side of the postMessage API (docs/embedding.md). Only the page that frames the
// embed (window.parent) is listened to; every message is an object with type "chainrule".
//   parent → embed: {type, command: "play" | "pause" | "step" | "goto" | "load", …}
//       step: {by?: 1 | -1 …}   goto: {step: n}   load: {source, inputs?, seed?, step?}
//   embed → parent: {type, event: "ready" | "step" | "error" | "resize", …}
//       ready/step: {step, phase, total}   error: {kind, message, line, col}   resize: {height}
// Step numbers in messages (goto, load, and the events) count as the page shows them:
// `{step: 6}` is "Step 6 of n", 0 the start, before the first step. (The URL's ?step= is the
// trace's 0-based index, -1 the start, as the permalink stores it.)

const TYPE = "chainrule";
const MAX_SOURCE = 200_000;

/**
 * Connect the viewer to the parent page. `load({source, inputs, seed, step})` runs a program.
 * Returns {announce(state, frame)} for the viewer's onFrame hook, or null when not framed.
 */
export function connectParent(viewer, { load, preferredHeight }) {
  if (window.parent === window) return null;
  const post = (event, data) => window.parent.postMessage({ type: TYPE, event, ...data }, "*");

  window.addEventListener("message", (ev) => {
    if (ev.source !== window.parent) return;
    const m = ev.data;
    if (!m || typeof m !== "object" || m.type !== TYPE || typeof m.command !== "string") return;
    handle(m);
  });

  function handle(m) {
    switch (m.command) {
      case "play": return viewer.act("play");
      case "pause": return viewer.act("pause");
      case "step": {
        const by = Number.isInteger(m.by) ? m.by : 1;
        return viewer.act("seek", viewer.store.get().step + by);
      }
      case "goto":   // counted as the page shows it: 1 is "Step 1 of n", 0 the start
        if (Number.isInteger(m.step)) viewer.act("seek", m.step - 1);
        return undefined;
      case "load": {
        if (typeof m.source !== "string" || m.source.length > MAX_SOURCE) {
          return post("error", { kind: "request", message: "load needs a source string",
            line: null, col: null });
        }
        const inputs = m.inputs && typeof m.inputs === "object" ? cleanInputs(m.inputs) : {};
        const seed = Number.isSafeInteger(m.seed) && m.seed >= 0 ? m.seed : 0;
        const step = Number.isInteger(m.step) ? m.step - 1 : -1;   // page counting
        return load({ source: m.source, inputs, seed, step });
      }
      default: return undefined;
    }
  }

  let ready = false;
  let sent = 0;
  let lastStep = null;
  let lastError = null;

  /** Called after every frame: announce ready, step changes and errors. */
  function announce(state, f) {
    if (state.status === "loading") return;
    const where = { step: f.index + 1, phase: f.phase, total: f.count };
    const err = state.refused || (state.trace && state.trace.error) || null;
    if (!ready) {
      ready = true;
      post("ready", where);
      sent = 0;
      report();     // again, for a parent whose listener arrived after the first report
    } else if (state.trace !== lastStep?.trace || f.index !== lastStep.index) {
      post("step", where);
    }
    lastStep = { trace: state.trace, index: f.index };
    if (err && err !== lastError) {
      post("error", { kind: err.kind || "error", message: String(err.message || ""),
        line: err.line ?? null, col: err.col ?? null });
    }
    lastError = err;
  }

  // The height the embed would like: everything but the graph at its natural size, plus the
  // graph's preferred height (not its current one, so growing the iframe never feeds back).
  function report() {
    const h = Math.ceil(preferredHeight());
    if (Math.abs(h - sent) > 2) { sent = h; post("resize", { height: h }); }
  }
  if (typeof ResizeObserver !== "undefined") {
    new ResizeObserver(report).observe(document.body);
  }
  window.addEventListener("load", report);
  return { announce, report };
}

function cleanInputs(raw) {
  const out = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  }
  return out;
}
