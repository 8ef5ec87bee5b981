// The exported player (templates/standalone.html): everything it needs is in the file. The
// trace is a JSON script element, the start step a data attribute; nothing is ever fetched, so
// it plays from file://, inside a notebook's iframe, or in an LMS that blocks iframes.
import { createEditor } from "./editor.js";
import { clampStep } from "./player.js";
import { createViewer } from "./viewer.js";

function readTrace() {
  const holder = document.getElementById("chainrule-trace");
  return { trace: JSON.parse(holder.textContent), start: Number(holder.dataset.step) };
}

/** The free variables as text: sliders would need a server to re-run the program. */
function renderInputs(panel, values) {
  const names = Object.keys(values || {});
  panel.hidden = names.length === 0;
  const list = panel.querySelector("[data-role=list]");
  list.replaceChildren(...names.map((name) => {
    const row = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = `${name} = ${values[name]}`;
    row.appendChild(code);
    return row;
  }));
}

function boot() {
  const { trace, start } = readTrace();
  const editorRoot = document.querySelector("[data-role=editor]");
  const editor = editorRoot ? createEditor(editorRoot, { readOnly: true }) : null;
  if (editor) editor.value = trace.source || "";
  const inputsPanel = document.querySelector("[data-testid=inputs]");
  if (inputsPanel) renderInputs(inputsPanel, trace.inputs);
  const viewer = createViewer(document, { editor });
  viewer.bind(document);
  viewer.store.set({ trace, step: clampStep(trace, Number.isFinite(start) ? start : -1),
    status: trace.error ? "error" : "ready" });
}

/** In a notebook cell (chainrule/notebook.py, compact layout): the graph's height follows the
 *  drawing's shape (not the iframe's, which would feed back), and the cell is told the player's
 *  height so it sizes the iframe to the content: no inner scroll. It only grows for a given
 *  width, so stepping through long and short sentences does not make the cell jump. */
function sizeForCell(trace) {
  if (document.body.dataset.layout !== "compact") return;
  const graph = document.querySelector("[data-testid=graph]");
  const lay = trace.layout || {};
  const shape = () => {
    const natural = lay.width ? (graph.clientWidth * lay.height) / lay.width + 80 : 360;
    const h = Math.round(Math.max(320, Math.min(520, natural)));
    document.body.style.setProperty("--graph-h", `${h}px`);
  };
  shape();
  if (window.parent === window || typeof ResizeObserver === "undefined") return;
  let width = 0;
  let sent = 0;
  new ResizeObserver(() => {
    if (window.innerWidth !== width) { width = window.innerWidth; sent = 0; shape(); }
    const h = Math.ceil(document.body.getBoundingClientRect().height);
    if (h > sent) {
      sent = h;
      window.parent.postMessage({ type: "chainrule", event: "resize", height: h }, "*");
    }
  }).observe(document.body);
}

boot();
sizeForCell(readTrace().trace);
