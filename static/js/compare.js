// The Compare page (/compare, issue 15): one program written in PyTorch, TensorFlow, JAX and
// micrograd by the server (engine/compare.py), each traced; each card draws its trace with the
// player's own graph painter at the trace's last step (gradients, or the error), on the
// positions the server aligned, and says how that framework treats the output.
import { fetchExamples } from "./api.js";
import { createGraph } from "./graph.js";
import { codeFromHash, decodeState, encodeState } from "./permalink.js";
import { frame, prepare } from "./player.js";
import { createZoom } from "./zoom.js";

const $ = (sel) => document.querySelector(sel);
const picker = $("[data-testid=compare-example]");
const grid = $("[data-testid=compare-grid]");
const outputLine = $("[data-testid=compare-output]");
const errorBox = $("[data-testid=compare-error]");
const cardTemplate = $("#compare-card");
let runId = 0;

function shapeText(shape) {
  return `(${shape.join(", ")}${shape.length === 1 ? "," : ""})`;
}

/** The program the URL names: `#p=` (a permalink) first, else `?example=`, else the first. */
async function programFromUrl(examples) {
  const code = codeFromHash(location.hash);
  if (code) {
    try {
      return { source: (await decodeState(code)).source, example: null };
    } catch { /* a broken link: fall back to the example */ }
  }
  const wanted = new URLSearchParams(location.search).get("example");
  const known = [...picker.options].map((o) => o.value);
  const id = known.includes(wanted) ? wanted : known[0];
  const ex = examples.find((e) => e.id === id);
  return { source: ex ? ex.source : "", example: id };
}

async function show(source) {
  const mine = ++runId;
  document.body.dataset.state = "loading";
  const r = await fetch("/api/compare", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ source }),
  });
  const body = await r.json().catch(() => null);
  if (mine !== runId) return;
  if (!r.ok || !body || !Array.isArray(body.dialects)) {
    grid.replaceChildren();
    errorBox.hidden = false;
    errorBox.textContent = (body && body.error && body.error.message) ||
      `the server answered HTTP ${r.status}`;
    document.body.dataset.state = "error";
    return;
  }
  errorBox.hidden = true;
  const out = body.output;
  outputLine.textContent = out.shape === null ? "This program has no output that requires grad."
    : out.scalar ? `The output has shape ${shapeText(out.shape)}: one number. Every framework `
      + "seeds its gradient with 1; they differ only in how you ask."
      : `The output has shape ${shapeText(out.shape)}: not a scalar. This is where the `
      + "frameworks disagree.";
  grid.replaceChildren(...body.dialects.map(card));
  document.body.dataset.state = "ready";
}

function card(d) {
  const node = cardTemplate.content.firstElementChild.cloneNode(true);
  const at = (role) => node.querySelector(`[data-role=${role}]`);
  node.dataset.testid = `compare-${d.dialect}`;
  node.setAttribute("data-testid", `compare-${d.dialect}`);
  node.dataset.aligned = String(d.aligned);
  node.setAttribute("aria-label", d.title);
  at("title").textContent = d.title;
  at("treatment").textContent = d.treatment;
  const svg = node.querySelector("svg");
  if (!d.trace) {
    node.querySelector(".compare-graph").remove();
    at("code-box").remove();
    at("outcome").remove();
    at("reason").hidden = d.reason === d.treatment;   // said once is enough
    at("reason").textContent = d.reason;
    return node;
  }
  at("code").textContent = d.source;
  at("code-box").open = true;
  const t = d.trace;
  at("outcome").textContent = t.error ? `Fails: ${t.error.message}`
    : t.stdout.trim() ? `Prints: ${t.stdout.trim()}` : "Runs without printing.";
  at("outcome").dataset.error = t.error ? "true" : "false";
  svg.setAttribute("aria-label", `The ${d.title} version's graph, after its gradient step`);
  // the painter measures the page: draw once the card is in the document
  requestAnimationFrame(() => draw(svg, t));
  encodeState({ source: d.source }).then((code) => {
    at("open").href = `/#p=${code}`;
    at("open").hidden = false;
  });
  return node;
}

function draw(svg, trace) {
  // as tall as the layout needs at the scale the card's width allows (at most natural size);
  // where that scale would draw text under 11 px (a phone), the graph keeps its reading size
  // and pans sideways (drag, wheel, arrow keys) instead, starting at its right end (below)
  const { width, height } = trace.layout;
  const k = Math.max(1, Math.min(1.1, (svg.clientWidth || width) / Math.max(1, width + 40)));
  svg.parentElement.style.setProperty("--graph-h",
    `${Math.round(Math.min(520, Math.max(120, height * k + 90)))}px`);
  const graph = createGraph(svg, {});
  const zoom = createZoom(svg, graph.viewport, { reducedMotion: () => true });
  graph.attachZoom(zoom);
  graph.load(trace);
  graph.update(frame(trace, trace.steps.length - 1, prepare(trace)));
  zoom.fit(graph.size, { readable: true });
  // A graph wider than the card at reading size starts at its right end, filling the card:
  // the output is there (the last rank), and showing it from the left left half the card
  // empty. Then the output is kept in view, where the frameworks differ.
  const view = zoom.size;
  const at = zoom.transform;
  const right = at.x + graph.size.width * at.k;
  const pad = Math.min(32, view.width * 0.05);
  if (right > view.width - pad) zoom.panBy(view.width - pad - right, 0);
  const seed = trace.steps.find((st) => st.kind === "seed");
  const ops = trace.steps.filter((st) => st.kind === "op" && st.output);
  const out = seed ? seed.root : ops.length ? ops[ops.length - 1].output : null;
  const box = out == null ? null : graph.nodeBox(out);
  if (box) zoom.ensureVisible(box, box, { instant: true });
}

async function boot() {
  let examples = [];
  try {
    examples = await fetchExamples();
  } catch { /* the page still compares a program carried in the link */ }
  const start = await programFromUrl(examples);
  if (start.example) {
    picker.value = start.example;
  } else {   // a program from a link: the picker says so instead of naming the first example
    const own = document.createElement("option");
    own.value = "";
    own.textContent = "Your program";
    picker.prepend(own);
    picker.value = "";
  }
  picker.addEventListener("change", () => {
    const ex = examples.find((e) => e.id === picker.value);
    const url = new URL(location.href);
    url.search = `?example=${encodeURIComponent(picker.value)}`;
    url.hash = "";
    history.replaceState(null, "", url);
    if (ex) show(ex.source);
  });
  await show(start.source);
}

boot();
