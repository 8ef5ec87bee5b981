// "Check numerically": beside each leaf's gradient, the finite-difference estimate
// (f(x+h) − f(x−h)) / 2h that the server computes by re-running the program with the leaf
// nudged (POST /api/fd_check, engine/fd_check.py), and the difference from the chain rule.
import { fmt } from "./format.js";

/** The check panel, under the narration; `hidden()` true hides it (predict mode: spoilers). */
export function createFdCheck(doc, viewer, { hidden = () => false } = {}) {
  const { store } = viewer;
  const panel = doc.createElement("section");
  panel.className = "panel fd-panel";
  panel.dataset.testid = "fd-check";
  panel.setAttribute("aria-label", "Check the gradient numerically");
  const narration = doc.querySelector("[data-role=narration-panel]");
  if (narration && narration.parentNode) narration.after(panel);
  else return null;
  const button = doc.createElement("button");
  button.type = "button";
  button.dataset.testid = "fd-run";
  button.textContent = "Check numerically";
  button.title = "Nudge each input by ±h and compare with the chain rule (N)";
  const about = doc.createElement("p");
  about.className = "fd-about";
  about.textContent = "Nudge each leaf by ±h, re-run, and compare (f(x+h) − f(x−h)) / 2h with the gradient.";
  const out = doc.createElement("div");
  out.dataset.role = "fd-result";
  out.setAttribute("aria-live", "polite");
  panel.append(about, button, out);
  let result = null;       // {trace, body}
  let busy = false;

  store.subscribe((s, p) => {
    if (s.trace !== p.trace) { result = null; out.replaceChildren(); }
    render();
  });

  async function run() {
    const t = store.get().trace;
    if (!t || busy) return;
    busy = true;
    render();
    const payload = { source: t.source };
    if (t.inputs && Object.keys(t.inputs).length) payload.inputs = t.inputs;
    if (store.get().seed) payload.seed = store.get().seed;
    let body = null;
    try {
      const r = await fetch("/api/fd_check", { method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(payload) });
      body = await r.json();
    } catch {
      body = { error: { message: "the server could not be reached" }, leaves: [] };
    }
    busy = false;
    if (store.get().trace !== t) return;
    result = { trace: t, body };
    show(t, body);
    render();
  }

  function render() {
    const t = store.get().trace;
    const backward = t && t.steps.some((st) => st.phase === "backward");
    panel.hidden = hidden() || !backward;
    button.setAttribute("aria-disabled", busy ? "true" : "false");
    button.textContent = busy ? "Checking…" : result ? "Check again" : "Check numerically";
    // the row of the leaf the current step reaches
    const f = t && t.steps[store.get().step];
    const focus = f ? (f.to || f.root) : null;
    for (const row of out.querySelectorAll("tr[data-node]")) {
      if (row.dataset.node === focus) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
  }

  function show(t, body) {
    const parts = [];
    if (body.error && !(body.leaves && body.leaves.length)) {
      const p = doc.createElement("p");
      p.className = "fd-note";
      p.textContent = body.note || body.error.message;
      parts.push(p);
    } else if (body.note) {
      const p = doc.createElement("p");
      p.className = "fd-note";
      p.textContent = body.note;
      parts.push(p);
    }
    if (body.leaves && body.leaves.length) {
      const table = doc.createElement("table");
      table.className = "fd-table";
      const head = table.createTHead().insertRow();
      for (const h of ["leaf", "chain rule", "estimate", "difference", ""]) {
        const th = doc.createElement("th");
        th.textContent = h;
        head.append(th);
      }
      const tb = table.createTBody();
      for (const leaf of body.leaves) {
        const row = tb.insertRow();
        row.dataset.node = leaf.node;
        row.dataset.testid = "fd-row";
        const ok = leaf.agrees === true;
        cell(row, leaf.label, "fd-label");
        cell(row, numbers(leaf.gradient), "fd-grad");
        cell(row, numbers(leaf.estimate), "fd-estimate");
        cell(row, leaf.max_difference === null ? "—" : `${leaf.mode === "direction" ? "" : "max "}${fmtSmall(leaf.max_difference)}`, "fd-diff");
        const v = cell(row, leaf.agrees === null ? (leaf.note || "not checked") : ok ? "✓ agree" : "✗ differ", "fd-verdict");
        v.dataset.agrees = String(ok);
        if (leaf.note && leaf.agrees !== null) row.title = leaf.note;
      }
      parts.push(table);
      const foot = doc.createElement("p");
      foot.className = "fd-about";
      foot.textContent = `h = 1e-6 · max(1, |x|); agree: |difference| ≤ ${body.tolerance} · max(1, |gradient|); ${body.runs} re-runs in ${fmt(body.seconds)} s.`;
      parts.push(foot);
    }
    out.replaceChildren(...parts);
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.className = cls;
    td.textContent = text;
    return td;
  }

  button.addEventListener("click", () => run());
  doc.addEventListener("keydown", (ev) => {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const tag = ev.target && ev.target.tagName ? ev.target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    if ((ev.key === "n" || ev.key === "N") && !panel.hidden) { run(); ev.preventDefault(); }
  });
  render();
  return { run };
}

/** Numbers of a leaf (one number, or a nested list) as short text; at most 12 shown. */
function numbers(v) {
  if (v === null || v === undefined) return "—";
  if (!Array.isArray(v)) return fmt(v);
  const flat = v.flat(Infinity);
  const shown = flat.slice(0, 12).map((x) => (x === null ? "—" : fmt(x)));
  return `[${shown.join(", ")}${flat.length > 12 ? `, … ${flat.length - 12} more` : ""}]`;
}

function fmtSmall(x) {
  return x === 0 ? "0" : Math.abs(x) < 1e-3 ? x.toExponential(1) : fmt(x);
}
