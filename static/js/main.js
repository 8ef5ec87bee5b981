// The page and the embed: the viewer (viewer.js) plus tracing through the API, the permalink in
// the URL, the share dialogs (page) and the postMessage API (embed).
import { fetchExamples, traceClient } from "./api.js";
import { createEditor } from "./editor.js";
import { connectParent } from "./embed-api.js";
import { createInputs } from "./inputs.js";
import { clampStep } from "./player.js";
import { codeFromHash, decodeState, encodeState } from "./permalink.js";
import { createPredict } from "./predict.js";
import { createFdCheck } from "./fdcheck.js";
import { createModeToggle } from "./forward_mode.js";
import { createSharing } from "./share.js";
import { createTraining } from "./training.js";
import { createViewer } from "./viewer.js";

const $ = (sel) => document.querySelector(sel);
const body = document.body;
const embedded = body.dataset.mode === "embed";
const options = {
  controls: body.dataset.controls || "all",
  autoplay: body.dataset.autoplay === "1",
  startStep: body.dataset.startStep === undefined ? null : Number(body.dataset.startStep),
};
// Actions a locked embed still allows from its own buttons and keys ("step only", "none").
const LOCKED = {
  all: null,
  step: new Set(["step-forward", "step-back", "zoom-in", "zoom-out", "fit", "pan", "present"]),
  none: new Set(["zoom-in", "zoom-out", "fit", "pan", "present"]),
};

const trace = traceClient();
const editorRoot = $("[data-role=editor]");
const editor = editorRoot ? createEditor(editorRoot, {
  // Ctrl+Enter runs and hands the keyboard to the graph, so → and Space step and play at once
  onRun: () => { runProgram(); document.getElementById("graph")?.focus({ preventScroll: true }); },
  onInput: (text) => viewer.store.set({ source: text }),
  readOnly: editorRoot.dataset.readonly === "true",
}) : null;
const inputsPanel = $("[data-testid=inputs]");
const inputs = inputsPanel ? createInputs(inputsPanel, { onChange: setInput }) : null;
let parent = null;
let predict = null;   // predict.js, made once the viewer exists
const viewer = createViewer(document, {
  editor, inputs,
  initial: { examples: [], exampleId: null, inputs: {}, seed: 0, runId: 0, source: "" },
  onFrame: (s, f) => { if (parent) parent.announce(s, f); },
  onOfferBackward: acceptBackward,
  gate: (from, to) => (predict ? predict.gate(from, to) : to),
});
const { store } = viewer;
// Teaching tools (predict.js, fdcheck.js): ?predict=1 (page, embed) starts in predict mode.
predict = createPredict(document, viewer, {
  on: new URLSearchParams(location.search).get("predict") === "1" || body.dataset.predict === "1",
});
createFdCheck(document, viewer, { hidden: () => predict.isOn() });
if (!embedded) createTraining(document, viewer);   // a training loop's chart (issue #13)
if (!embedded) createModeToggle(document, viewer);   // forward versus reverse mode (issue #15)

store.subscribe((s, p) => {
  if (s.source !== p.source || s.trace !== p.trace) {
    const run = $("[data-testid=run]");
    if (run) run.dataset.dirty = s.trace && s.source !== s.trace.source ? "true" : "false";
  }
  if (s.trace && (s.trace !== p.trace || s.step !== p.step)) rememberInUrl();
});

// ---------------------------------------------------------------- permalink in the address bar

let urlTimer = 0;
/** Keep `#p=…` in the address bar in step with the view (replaceState: no history spam);
 *  in the embed, keep the "Open in chainrule" link on the same view instead. */
function rememberInUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(async () => {
    const code = await encodeState(currentState());
    const full = $("[data-testid=open-full]");
    if (full) full.href = new URL(`/#p=${code}`, location.href).href;
    if (embedded) return;
    const url = new URL(location.href);
    url.hash = `p=${code}`;
    if (url.href !== location.href) history.replaceState(null, "", url);
  }, 250);
}

function currentState() {
  const s = store.get();
  const t = s.trace;
  return {
    source: t ? t.source : s.source,
    inputs: t ? pickInputs(t.inputs, s.inputs) : s.inputs,
    seed: s.seed,
    step: s.step,
    inputCount: t && t.inputs ? Object.keys(t.inputs).length : 0,
  };
}

/** The inputs a user set that the program still has (defaults are not worth a link's bytes). */
function pickInputs(traceInputs, set) {
  const out = {};
  for (const [k, v] of Object.entries(set || {})) if (traceInputs && k in traceInputs) out[k] = v;
  return out;
}

// ---------------------------------------------------------------- tracing

/** Run a program from the start. `startStep` opens at that step once the trace arrives. */
async function runProgram(source = editor ? editor.value : store.get().source,
  { inputs: given = null, seed = null, startStep = -1, named = null } = {}) {
  viewer.pause();
  const s = store.get();
  showExample(s.examples.find((e) => e.source === source) || null);
  const sameProgram = s.trace && s.trace.source === source;
  store.set({ status: "loading", runId: s.runId + 1, source,
    inputs: given || (sameProgram ? s.inputs : {}), seed: seed === null ? s.seed : seed });
  await request(source, store.get().inputs, startStep, named);
}

/** The offered backward pass: the line `y.backward()` is added to the program (the learner
 *  sees it in the editor) and the program runs again, from the start of that backward. */
function acceptBackward(offer) {
  const s = store.get();
  const base = s.trace ? s.trace.source : (editor ? editor.value : s.source);
  const source = `${base.replace(/\s*$/, "")}\n${offer.code}\n`;
  if (editor) editor.value = source;
  store.set({ source });
  return runProgram(source, { startStep: -1 }).then(() => {
    const t = store.get().trace;
    if (t && t.backward_start !== null && t.backward_start !== undefined) {
      store.set({ step: t.backward_start });
    }
  });
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
      await request(source, { ...(s.trace ? s.trace.inputs : {}), ...s.inputs }, null);
    } while (queued);
  } finally {
    inFlight = false;
  }
}

/** `startStep` null keeps the current step (a slider moved); a number opens there. `named`
 *  ({code} or {example}, api.js) fetches a program a URL names through its cacheable GET. */
async function request(source, inputValues, startStep, named = null) {
  const runId = store.get().runId;
  store.set({ status: "loading" });
  const r = await trace(source, inputValues, store.get().seed, named);
  if (r.stale || store.get().runId !== runId) return;
  if (r.status === 200 && r.body && Array.isArray(r.body.nodes)) {
    const t = r.body;
    const step = clampStep(t, startStep === null ? store.get().step : startStep);
    store.set({ trace: t, refused: null, step, status: t.error ? "error" : "ready" });
    return;
  }
  const err = (r.body && r.body.error) || { message: httpMessage(r.status) };
  viewer.pause();
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

/** A locked embed ignores its own controls beyond what the lesson allows. */
function guardedAct(action, arg) {
  const allowed = LOCKED[options.controls] || null;
  if (allowed && !allowed.has(action)) return undefined;
  return viewer.act(action, arg);
}

async function boot() {
  viewer.bind(document, embedded ? guardedAct : viewer.act);
  const run = $("[data-testid=run]");
  if (run) run.addEventListener("click", () => runProgram());
  if (embedded) {
    parent = connectParent(viewer, { load: loadState, preferredHeight });
  } else {
    createSharing(document, { getState: currentState });
  }
  const examples = await loadExamples();
  store.set({ examples });
  window.addEventListener("hashchange", () => { if (codeFromHash(location.hash)) openLink(); });
  const params = new URLSearchParams(location.search);
  if (params.get("present") === "1" || body.dataset.present === "1") viewer.act("present", true);
  if (codeFromHash(location.hash)) return openLink();
  const src = params.get("src");
  const step = params.get("step") !== null ? Number(params.get("step")) : options.startStep;
  if (src !== null) return loadState({ source: src, inputs: {}, seed: 0, step: step ?? -1 });
  const ex = examples.find((e) => e.id === params.get("example")) || examples[0];
  if (ex) return chooseExample(ex.id, false, step ?? -1);
  store.set({ status: "ready" });
  return undefined;
}

async function loadExamples() {
  let examples = [];
  try {
    examples = await fetchExamples();
  } catch {
    examples = [];
  }
  const select = $("[data-testid=examples]");
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
  return examples;
}

/** Open the program the URL's `#p=` code carries (a damaged link says so, in the error box). */
async function openLink() {
  const code = codeFromHash(location.hash);
  let state;
  try {
    state = await decodeState(code);
  } catch (err) {
    store.set({ trace: null, status: "error",
      refused: { kind: "link", message: err.message, line: null, col: null } });
    return;
  }
  if (options.startStep !== null) state.step = options.startStep;
  await loadState(state, { code });
}

async function loadState({ source, inputs: given, seed, step }, named = null) {
  if (editor) editor.value = source;
  await runProgram(source, { inputs: given, seed, startStep: step, named });
  if (embedded && options.autoplay && store.get().trace) viewer.act("play");
}

function showExample(ex) {
  const select = $("[data-testid=examples]");
  if (select) {
    // a program that is not in the gallery shows as "Your program", not as the first example
    let own = select.querySelector("option[value='']");
    if (!ex && !own) {
      own = document.createElement("option");
      own.value = "";
      own.textContent = "Your program";
      select.prepend(own);
    }
    if (own) own.hidden = !!ex;
    select.value = ex ? ex.id : "";
  }
  const about = $("[data-role=example-summary]");
  if (about) about.textContent = ex ? ex.summary : "";
  store.set({ exampleId: ex ? ex.id : null });
}

async function chooseExample(id, remember = true, startStep = -1) {
  const ex = store.get().examples.find((e) => e.id === id);
  if (!ex) return;
  showExample(ex);
  if (remember) {
    const url = new URL(location.href);
    url.searchParams.set("example", id);
    url.searchParams.delete("src");
    url.searchParams.delete("step");
    url.hash = "";
    history.replaceState(null, "", url);
  }
  await loadState({ source: ex.source, inputs: {}, seed: 0, step: startStep }, { example: id });
}

/** The embed's preferred height: its content, with the graph at a height that suits it. */
function preferredHeight() {
  const graph = $("[data-testid=graph]");
  const doc = document.documentElement;
  const t = store.get().trace;
  const width = graph ? graph.clientWidth : 600;
  const natural = t && t.layout && t.layout.width ? (width * t.layout.height) / t.layout.width : 0;
  const want = Math.max(300, Math.min(560, natural + 80));
  return doc.scrollHeight - (graph ? graph.clientHeight : 0) + want;
}

boot();
