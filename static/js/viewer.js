// The player without a server: one store, the graph, zoom, narration, controls and the play loop.
// main.js (page and embed) adds tracing through the API; standalone.js (exported HTML) feeds it
// the trace baked into the file. Whoever owns the viewer sets `trace` and `step` on its store.
import { bindKeys, createControls } from "./controls.js";
import { createGraph } from "./graph.js";
import { createInspector } from "./inspect.js";
import { createNarration, renderError } from "./narration.js";
import { createOutputMarker } from "./output_marker.js";
import { backwardStart, clampStep, frame, prepare } from "./player.js";
import { keepPrintSize } from "./print.js";
import { createStore } from "./state.js";
import { createZoom } from "./zoom.js";

const BASE_MS = 1100;     // one step at 1× speed
const PRESENTER_K = 1.5;
const MARKER_AVOID_MAX = 300;   // the output marker keeps off every node of a graph this small  // presenter mode reads the graph at this scale (a projector's far row)

/**
 * Build the player inside `root` (the document, or any element holding _player.html's parts).
 * Options: `editor` (from createEditor, or null), `inputs` (from createInputs, or null),
 * `initial` (extra store fields), `onFrame(state, frame)` (called after each frame renders),
 * `gate(from, to)` (where a move from step `from` to `to` may go: predict.js holds a step back
 * until its question is answered).
 */
export function createViewer(root, { editor = null, inputs = null, initial = {},
  onFrame = null, onOfferBackward = null, gate = null } = {}) {
  const $ = (sel) => root.querySelector(sel);
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const store = createStore({
    status: "loading", trace: null, refused: null, step: -1, playing: false, speed: 1,
    ...initial,
  });
  const inspector = createInspector($("[data-role=inspector]"), $("[data-role=tooltip]"));
  const svg = $("[data-testid=graph] svg");
  const graph = createGraph(svg, { onInspect: inspector.open, onHover: inspector.hover });
  const zoomButtons = $(".zoom-buttons");
  const zoom = createZoom(svg, graph.viewport, { reducedMotion: () => reduceMotion.matches,
    reservedTop: () => {     // the buttons' band over the graph, px from the svg's top
      if (!zoomButtons) return 0;
      const b = zoomButtons.getBoundingClientRect();
      return b.height ? b.bottom - svg.getBoundingClientRect().top + 4 : 0;
    } });
  graph.attachZoom(zoom);
  keepPrintSize($("[data-testid=graph]"));
  const marker = createOutputMarker($("[data-testid=graph]"), { onGo: () => {
    const box = output ? graph.nodeBox(output) : null;
    if (box) zoom.ensureVisible(box);
  } });
  let lastFrame = null;
  zoom.onChange(() => syncMarker());
  const narration = createNarration($("[data-role=narration-panel]"));
  const controls = createControls($("[data-role=player]"), { onAction: act });
  const errorBox = $("[data-testid=error]");
  const stdoutBox = $("[data-role=stdout]");
  const emptyBox = $("[data-role=empty]");
  const notesBox = $("[data-role=notes]");
  const offerBox = $("[data-testid=offer-backward]");
  if (offerBox) {
    offerBox.querySelector("button").addEventListener("click", () => offerBackward());
  }
  let prep = null;
  let output = null;      // the node the camera keeps in view: the backward's root, else the last
  let playTimer = 0;
  let playToken = 0;

  store.subscribe((s, p) => {
    document.body.dataset.state = s.status;
    if (s.trace !== p.trace) loadTrace(s.trace);
    if (s.refused !== p.refused || s.trace !== p.trace) {
      if (editor) editor.setError(s.refused || (s.trace && s.trace.error) || null, !!s.refused);
    }
    if (s.trace !== p.trace || s.step !== p.step || s.playing !== p.playing || s.speed !== p.speed) {
      renderFrame(s, s.step !== p.step || s.trace !== p.trace);
    }
  });

  function loadTrace(t) {
    if (!t) {
      graph.load({ nodes: [], edges: [], steps: [], layout: { width: 0, height: 0 } });
      prep = null;
      if (emptyBox) emptyBox.hidden = false;
      if (inputs) inputs.render({});
      renderError(errorBox, null);
      if (stdoutBox) { stdoutBox.hidden = true; stdoutBox.querySelector("pre").textContent = ""; }
      showNotes(null);
      return;
    }
    if (emptyBox) emptyBox.hidden = t.nodes.length > 0;
    const rebuilt = graph.load(t);
    prep = prepare(t);
    output = outputOf(t);
    if (rebuilt) zoom.fit(graph.size, { readable: true });   // big graphs: the collapsed view
    if (inputs) inputs.render(t.inputs);
    renderError(errorBox, t.error);
    if (stdoutBox) stdoutBox.hidden = !t.stdout;   // filled step by step (renderFrame)
    document.body.dataset.nodes = String(t.nodes.length);
    showNotes(t);
  }

  /** The trace's notes (imports assumed…) and, for a program that never called backward,
   *  the offer to run it (only where a server can re-run the program). */
  function showNotes(t) {
    if (notesBox) {
      const notes = (t && t.notes) || [];
      notesBox.hidden = !notes.length;
      notesBox.replaceChildren(...notes.map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }));
    }
    if (offerBox) {
      const offer = offered(t);
      offerBox.hidden = !offer;
      if (offer) offerBox.querySelector("code").textContent = offer.code;
    }
  }

  function offered(t) {
    if (!t || !onOfferBackward || !t.offer_backward || backwardStart(t) !== null) return null;
    return t.offer_backward;
  }

  function offerBackward() {
    const offer = offered(store.get().trace);
    if (!offer) return false;
    pause();
    onOfferBackward(offer);
    return true;
  }

  function renderFrame(s, stepChanged) {
    const t = s.trace;
    const f = t && prep ? frame(t, s.step, prep)
      : frame({ nodes: [], edges: [], steps: [], error: null }, -1);
    graph.update(f);
    narration.show(t, f);
    if (errorBox && t && t.error) errorBox.hidden = !errorReached(t, f.index);
    if (stdoutBox && t) {
      const pre = stdoutBox.querySelector("pre");
      const text = printedAt(t, f.index);
      if (pre.textContent !== text) pre.textContent = text;
    }
    controls.render({ trace: t, frame: f, playing: s.playing, speed: s.speed });
    if (editor) editor.highlight(f.step ? f.step.span : null);
    document.body.dataset.step = String(f.index);
    document.body.dataset.phase = f.phase;
    if (stepChanged && f.focus) {
      zoom.ensureVisible(graph.nodeBox(f.focus), union([...f.lit, f.focus]),
        { keep: output ? graph.nodeBox(output) : null });
    }
    lastFrame = f;
    syncMarker();
    if (onFrame) onFrame(s, f);
  }

  /** The output marker: shown while the camera leaves the output out of view. */
  function syncMarker() {
    const t = store.get().trace;
    const node = t && output ? t.nodes.find((n) => n.id === output) : null;
    const gr = node && lastFrame ? lastFrame.grads.get(output) : null;
    const grad = gr ? t.steps[gr.step].shown : null;
    const computed = !!lastFrame && lastFrame.shown.has(output);   // no spoiler at the start
    const boxes = (ids) => ids.map((id) => graph.nodeBox(id)).filter(Boolean);
    const lit = lastFrame ? lastFrame.lit : new Set();
    const others = t && t.nodes.length <= MARKER_AVOID_MAX
      ? t.nodes.filter((n) => !lit.has(n.id) && n.id !== output).map((n) => n.id) : [];
    const avoid = { strict: boxes([...lit]), soft: boxes(others) };
    marker.update(node ? graph.nodeBox(output) : null, zoom.transform, zoom.size, node, grad,
      avoid, computed, t ? t.display.marks.grad : undefined);
  }

  /** What the program had printed when step `index` ran (-1: before any step), so the Printed
   *  panel spoils nothing: trace.printed pairs [steps before the print, characters printed by
   *  then]; the last step shows it all (a trace without the pairs, too). */
  function printedAt(t, index) {
    const all = t.stdout || "";
    if (!Array.isArray(t.printed) || index >= t.steps.length - 1) return all;
    let chars = 0;
    for (const [before, upto] of t.printed) {
      if (before > index + 1) break;
      chars = upto;
    }
    return all.slice(0, chars);
  }

  /** A runtime error shows from the step that fails (the timeline's error step), not before;
   *  a trace without an error step (it failed before any op ran) shows it at once. */
  function errorReached(t, index) {
    const at = t.steps.findIndex((st) => st.kind === "error");
    return at < 0 || index >= at;
  }

  /** The program's output: the root of its (first) backward pass, else the last op's result
   *  (forward mode's seeds are inputs: the output is still where the tangents end up). */
  function outputOf(t) {
    const seed = t.steps.find((st) => st.kind === "seed" && st.mode !== "forward");
    if (seed) return seed.root;
    for (let k = t.steps.length - 1; k >= 0; k--) {
      if (t.steps[k].kind === "op" && t.steps[k].output) return t.steps[k].output;
    }
    return null;
  }

  /** Presenter mode: large type, the graph and the narration only, driven from the keyboard. */
  function setPresenter(on) {
    const body = document.body;
    if (on === body.hasAttribute("data-presenter")) return;
    body.toggleAttribute("data-presenter", on);
    const b = $("[data-testid=present]");
    if (b) b.setAttribute("aria-pressed", on ? "true" : "false");
    zoom.setReadingScale(on ? PRESENTER_K : 1);
  }

  function union(ids) {
    const boxes = ids.map((id) => graph.nodeBox(id)).filter(Boolean);
    if (!boxes.length) return null;
    const x0 = Math.min(...boxes.map((b) => b.x));
    const y0 = Math.min(...boxes.map((b) => b.y));
    const x1 = Math.max(...boxes.map((b) => b.x + b.w));
    const y1 = Math.max(...boxes.map((b) => b.y + b.h));
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }

  /** One named action (buttons, keys, the embed's postMessage API). */
  function act(action, arg) {
    const s = store.get();
    const t = s.trace;
    const n = t ? t.steps.length : 0;
    const go = (i) => store.set({ step: t ? held(s.step, clampStep(t, i)) : -1 });
    switch (action) {
      case "toggle": return s.playing ? pause() : play();
      case "play": return s.playing ? undefined : play();
      case "pause": return pause();
      case "step-forward": pause(); return go(s.step + 1);
      case "step-back": pause(); return go(s.step - 1);
      case "to-start": pause(); return go(-1);
      case "to-end": pause(); return go(n - 1);
      case "to-backward": {
        pause();
        const b = t ? backwardStart(t) : null;
        if (b === null) { offerBackward(); return undefined; }
        return go(b);
      }
      case "seek": pause(); return go(arg);
      case "speed": store.set({ speed: arg }); if (s.playing) schedule(playToken); return undefined;
      case "zoom-in": return zoom.zoomBy(1.25);
      case "zoom-out": return zoom.zoomBy(0.8);
      case "fit": return zoom.fit(graph.size);
      case "pan": return zoom.panBy(arg[0], arg[1]);
      case "present": return setPresenter(arg === undefined
        ? !document.body.hasAttribute("data-presenter") : !!arg);
      default: return undefined;
    }
  }

  function held(from, to) {
    return gate ? gate(from, to) : to;
  }

  function play() {
    const s = store.get();
    if (!s.trace || !s.trace.steps.length) return;
    const token = ++playToken;
    const restart = s.step >= s.trace.steps.length - 1;
    store.set({ playing: true, step: restart ? -1 : s.step });
    schedule(token);
  }

  function pause() {
    playToken++;
    clearTimeout(playTimer);
    if (store.get().playing) store.set({ playing: false });
  }

  function schedule(token) {
    clearTimeout(playTimer);
    playTimer = setTimeout(() => {
      const s = store.get();
      if (token !== playToken || !s.playing || !s.trace) return;   // a stale loop stops here
      const last = s.trace.steps.length - 1;
      const next = held(s.step, Math.min(last, s.step + 1));
      if (next === s.step) { store.set({ playing: false }); return; }
      store.set({ step: next, playing: next < last });
      if (next < last) schedule(token);
    }, BASE_MS / store.get().speed);
  }

  /** Wire the keyboard (through `keyAct`, which may refuse some actions) and the zoom buttons. */
  function bind(keyTarget = document, keyAct = act) {
    bindKeys(keyTarget, keyAct);
    for (const [id, a] of [["fit", "fit"], ["zoom-in", "zoom-in"], ["zoom-out", "zoom-out"],
      ["present", "present"]]) {
      const b = $(`[data-testid=${id}]`);
      if (b) b.addEventListener("click", () => act(a));
    }
  }

  return { store, act, pause, bind, graph, zoom };
}
