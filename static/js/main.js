// Boot and wiring: one store, one render function, modules that each draw one part of the page.
import { fetchExamples, traceClient } from "./api.js";
import { bindKeys, createControls } from "./controls.js";
import { createEditor } from "./editor.js";
import { createGraph } from "./graph.js";
import { createInputs } from "./inputs.js";
import { createInspector } from "./inspect.js";
import { createNarration, renderError } from "./narration.js";
import { backwardStart, clampStep, frame, prepare } from "./player.js";
import { createStore } from "./state.js";
import { createZoom } from "./zoom.js";

const $ = (sel) => document.querySelector(sel);
const BASE_MS = 1100;     // one step at 1× speed
const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

const store = createStore({
  status: "loading", examples: [], exampleId: null, trace: null, refused: null, step: -1,
  playing: false, speed: 1, inputs: {}, runId: 0, source: "",
});

const trace = traceClient();
const inspector = createInspector($("[data-role=inspector]"), $("[data-role=tooltip]"));
const svg = $("[data-testid=graph] svg");
const graph = createGraph(svg, { onInspect: inspector.open, onHover: inspector.hover });
const zoom = createZoom(svg, graph.viewport, { reducedMotion: () => reduceMotion.matches });
const narration = createNarration($("[data-role=narration-panel]"));
const controls = createControls($("[data-role=player]"), { onAction: act });
const inputsPanel = $("[data-testid=inputs]");
const inputs = inputsPanel ? createInputs(inputsPanel, { onChange: setInput }) : null;
const editorRoot = $("[data-role=editor]");
const editor = editorRoot ? createEditor(editorRoot, {
  onRun: () => runProgram(),
  onInput: (text) => store.set({ source: text }),
  readOnly: document.body.dataset.mode === "embed",
}) : null;
const errorBox = $("[data-testid=error]");
const stdoutBox = $("[data-role=stdout]");
const emptyBox = $("[data-role=empty]");
let prep = null;
let playTimer = 0;
let playToken = 0;

// ---------------------------------------------------------------- rendering

store.subscribe((s, p) => {
  document.body.dataset.state = s.status;
  if (s.trace !== p.trace) loadTrace(s.trace, p.trace);
  if (s.refused !== p.refused || s.trace !== p.trace) {
    if (editor) editor.setError(s.refused || (s.trace && s.trace.error) || null, !!s.refused);
  }
  if (s.trace !== p.trace || s.step !== p.step || s.playing !== p.playing || s.speed !== p.speed) {
    renderFrame(s, s.step !== p.step);
  }
  if (s.source !== p.source || s.trace !== p.trace) {
    const run = $("[data-testid=run]");
    if (run) run.dataset.dirty = s.trace && s.source !== s.trace.source ? "true" : "false";
  }
});

function loadTrace(t) {
  if (!t) {
    graph.load({ nodes: [], edges: [], steps: [], layout: { width: 0, height: 0 } });
    prep = null;
    if (emptyBox) emptyBox.hidden = false;
    if (inputs) inputs.render({});
    renderError(errorBox, null);
    if (stdoutBox) { stdoutBox.hidden = true; stdoutBox.textContent = ""; }
    return;
  }
  if (emptyBox) emptyBox.hidden = t.nodes.length > 0;
  const rebuilt = graph.load(t);
  prep = prepare(t);
  if (rebuilt) zoom.fit(t.layout, { readable: true });
  if (inputs) inputs.render(t.inputs);
  renderError(errorBox, t.error);
  if (stdoutBox) {
    stdoutBox.hidden = !t.stdout;
    stdoutBox.querySelector("pre").textContent = t.stdout || "";
  }
  document.body.dataset.nodes = String(t.nodes.length);
}

function renderFrame(s, stepChanged) {
  const t = s.trace;
  const f = t && prep ? frame(t, s.step, prep)
    : frame({ nodes: [], edges: [], steps: [], error: null }, -1);
  graph.update(f);
  narration.show(t, f);
  controls.render({ trace: t, frame: f, playing: s.playing, speed: s.speed });
  if (editor) editor.highlight(f.step ? f.step.span : null);
  document.body.dataset.step = String(f.index);
  document.body.dataset.phase = f.phase;
  if (stepChanged && f.focus) zoom.ensureVisible(graph.nodeBox(f.focus), union([...f.lit]));
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

// ---------------------------------------------------------------- actions

function act(action, arg) {
  const s = store.get();
  const t = s.trace;
  const n = t ? t.steps.length : 0;
  const go = (i) => store.set({ step: t ? clampStep(t, i) : -1 });
  switch (action) {
    case "toggle": return s.playing ? pause() : play();
    case "step-forward": pause(); return go(s.step + 1);
    case "step-back": pause(); return go(s.step - 1);
    case "to-start": pause(); return go(-1);
    case "to-end": pause(); return go(n - 1);
    case "to-backward": {
      pause();
      const b = t ? backwardStart(t) : null;
      return b === null ? undefined : go(b);
    }
    case "seek": pause(); return go(arg);
    case "speed": store.set({ speed: arg }); if (s.playing) schedule(playToken); return undefined;
    case "zoom-in": return zoom.zoomBy(1.25);
    case "zoom-out": return zoom.zoomBy(0.8);
    case "fit": return zoom.fit(graph.size);
    case "pan": return zoom.panBy(arg[0], arg[1]);
    default: return undefined;
  }
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
    const next = Math.min(last, s.step + 1);
    store.set({ step: next, playing: next < last });
    if (next < last) schedule(token);
  }, BASE_MS / store.get().speed);
}

// ---------------------------------------------------------------- tracing

/** Run the editor's program from the start (a new program: playback stops, step -1). */
async function runProgram(source = editor ? editor.value : store.get().source) {
  pause();
  const s = store.get();
  const sameProgram = s.trace && s.trace.source === source;
  store.set({ status: "loading", runId: s.runId + 1, source,
    inputs: sameProgram ? s.inputs : {} });
  await request(source, store.get().inputs, false);
}

let inFlight = false;
let queued = false;

/** Moving a slider: re-trace with the new inputs, keep the step, throttle to one request. */
function setInput(name, value) {
  store.set({ inputs: { ...store.get().inputs, [name]: value } });
  if (inFlight) { queued = true; return; }
  retrace();
}

async function retrace() {
  inFlight = true;
  try {
    do {
      queued = false;
      const s = store.get();
      const source = s.trace ? s.trace.source : s.source;
      await request(source, { ...(s.trace ? s.trace.inputs : {}), ...s.inputs }, true);
    } while (queued);
  } finally {
    inFlight = false;
  }
}

async function request(source, inputValues, keepStep) {
  const runId = store.get().runId;
  store.set({ status: "loading" });
  const r = await trace(source, inputValues);
  if (r.stale || store.get().runId !== runId) return;
  if (r.status === 200 && r.body && Array.isArray(r.body.nodes)) {
    const t = r.body;
    const s = store.get();
    const step = keepStep ? clampStep(t, s.step) : -1;
    store.set({ trace: t, refused: null, step, status: t.error ? "error" : "ready" });
    return;
  }
  const err = (r.body && r.body.error) || { message: httpMessage(r.status) };
  pause();
  store.set({ trace: null, refused: { ...err, message: errText(err) }, step: -1,
    status: "error" });
}

function errText(err) {
  if (typeof err.message === "string") return err.message;
  return "the request was not accepted";
}

function httpMessage(status) {
  if (status === 413) return "the program is too large to send";
  if (status === 422) return "the request was malformed";
  return `the server answered HTTP ${status}`;
}

// ---------------------------------------------------------------- boot

async function boot() {
  bindKeys(document, act);
  const fit = $("[data-testid=fit]");
  if (fit) fit.addEventListener("click", () => act("fit"));
  for (const [id, a] of [["zoom-in", "zoom-in"], ["zoom-out", "zoom-out"]]) {
    const b = $(`[data-testid=${id}]`);
    if (b) b.addEventListener("click", () => act(a));
  }
  const run = $("[data-testid=run]");
  if (run) run.addEventListener("click", () => runProgram());
  const select = $("[data-testid=examples]");
  const params = new URLSearchParams(location.search);
  let examples = [];
  try {
    examples = await fetchExamples();
  } catch {
    examples = [];
  }
  if (select) {
    for (const ex of examples) {
      const o = document.createElement("option");
      o.value = ex.id;
      o.textContent = ex.title;
      o.title = ex.summary;
      select.appendChild(o);
    }
    select.addEventListener("change", () => chooseExample(select.value));
  }
  store.set({ examples });
  const wanted = params.get("example");
  const src = params.get("src");
  if (src !== null) {
    if (editor) editor.value = src;
    await runProgram(src);
  } else {
    const ex = examples.find((e) => e.id === wanted) || examples[0];
    if (ex) await chooseExample(ex.id, false);
    else store.set({ status: "ready" });
  }
}

async function chooseExample(id, remember = true) {
  const ex = store.get().examples.find((e) => e.id === id);
  if (!ex) return;
  const select = $("[data-testid=examples]");
  if (select && select.value !== id) select.value = id;
  const about = $("[data-role=example-summary]");
  if (about) about.textContent = ex.summary;
  store.set({ exampleId: id });
  if (editor) editor.value = ex.source;
  if (remember) {
    const url = new URL(location.href);
    url.searchParams.set("example", id);
    url.searchParams.delete("src");
    history.replaceState(null, "", url);
  }
  await runProgram(ex.source);
}

boot();
