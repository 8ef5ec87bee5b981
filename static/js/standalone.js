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

boot();
