// The narration panel (one plain sentence per step, mirrored into an aria-live region), the
// formula panel beside it (local derivative, chain-rule product, sum of paths), and the error box.
import { lineOf } from "./blocks.js";
import { mathFromString, mathmlOf } from "./mathml.js";

/** The chips of the edge steps that reached edge step `index`'s node so far in its pass, oldest
 *  first: its `count` latest edge steps into the same node, back no further than the seed (a
 *  step carries only its own chip: repeating the earlier ones made traces quadratic). */
function chipsAt(trace, index) {
  const step = trace.steps[index];
  const out = [];
  for (let k = index; k >= 0 && out.length < step.count; k--) {
    const s = trace.steps[k];
    if (s.kind === "seed") break;
    if (s.kind === "edge" && s.to === step.to) out.push(s.chip);
  }
  return out.reverse();
}

// the exception PyTorch / Python would raise for each error kind
const PY_ERRORS = { backward: "RuntimeError", shape: "RuntimeError", runtime: "RuntimeError",
  name: "NameError", argument: "TypeError", syntax: "SyntaxError" };

export function createNarration(root) {
  const counter = root.querySelector("[data-role=counter]");
  const phase = root.querySelector("[data-role=phase]");
  const text = root.querySelector("[data-testid=narration]");
  const live = root.querySelector("[data-role=live]");
  const formulas = root.querySelector("[data-testid=formula]");
  let lastKey = null;

  function show(trace, f) {
    const key = `${f.index}/${f.count}/${trace ? trace.steps.length : 0}`;
    const step = f.step;
    counter.textContent = !f.count ? "No steps" : f.index < 0
      ? `${f.count} ${f.count === 1 ? "step" : "steps"} ahead` : `Step ${f.index + 1} of ${f.count}`;
    phase.textContent = f.phase === "start" ? "Start" : f.phase === "forward" ? "Forward"
      : "Backward";
    phase.dataset.phase = f.phase;
    // nothing to play (a refused program, an empty one): no "Press play" beside "No steps"
    const sentence = step ? step.narration : f.count && trace ? trace.display.start
      : trace ? "The program recorded no operations: there are no steps to show."
        : "Nothing ran: the message under the program says why.";
    const extra = step && step.note ? step.note : "";
    text.replaceChildren(document.createTextNode(sentence));
    if (extra) {
      const s = document.createElement("strong");
      s.className = "leaf-note";
      s.textContent = ` ${extra}`;
      text.appendChild(s);
    }
    if (key !== lastKey) {
      live.textContent = `${counter.textContent}. ${sentence}${extra ? " " + extra : ""}`;
      lastKey = key;
    }
    renderFormulas(trace, step);
  }

  /** The step's caption rows (step.rows, engine/display.py), painted: labels from the trace. */
  function renderFormulas(trace, step) {
    if (!step) {
      formulas.hidden = true;
      formulas.replaceChildren();
      return;
    }
    const labels = trace.display.rows;
    const rows = [];
    const entries = step.rows || trace.display.default_rows[step.kind] || [];
    for (const entry of entries) {
      // a row is its kind alone (its body in display.bodies) or [kind, body]
      const [kind, body] = typeof entry === "string" ? [entry, trace.display.bodies[entry]] : entry;
      if (body === null) {
        const note = document.createElement("p");
        note.className = "f-note";
        note.textContent = labels[kind];
        rows.push(note);
      } else if (typeof body === "string") {
        const block = textBlock(body);
        if (kind === "key") block.prepend(heatBar());
        rows.push(row(labels[kind], block));
      } else if (body.math) {
        rows.push(row(labels[kind], math(step[body.math], trace.math)));
      } else if (body.op) {
        const n = trace.nodes.find((m) => m.id === step[body.op]);
        rows.push(row(labels[kind], textBlock(n ? operationText(n, trace.display.operation)
          : "")));
      } else if (body.node) {
        const n = trace.nodes.find((m) => m.id === step[body.node]);
        rows.push(row(labels[kind], textBlock(lineOf(n))));
      } else if (body.sum !== undefined) {
        rows.push(row(labels[kind], sumBlock(step, trace, body.sum)));
      } else if (body.mats) {
        rows.push(row(labels[kind], matsBlock(body.mats)));
      }
    }
    formulas.hidden = rows.length === 0;
    formulas.replaceChildren(...rows);
    fitAll();
  }

  // the panel's width changes with the window, presenter mode and the layout: fit again
  let fittedWidth = -1;
  function fitAll() {
    fittedWidth = formulas.clientWidth;
    for (const d of formulas.querySelectorAll(".f-math")) fitFormula(d);
    for (const d of formulas.querySelectorAll(".f-mats")) fitMats(d);
  }
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(() => {
      if (formulas.clientWidth !== fittedWidth) fitAll();
    }).observe(formulas);
  }

  return { show };
}

const MIN_MATS_PX = 11;   // the matrices' cells: never smaller than the graph's own text

/** Matrices wider than their row are drawn in smaller type, down to MIN_MATS_PX. */
function fitMats(d) {
  d.style.fontSize = "";
  const room = d.clientWidth;
  if (!room) return;
  const wide = () => Math.max(d.scrollWidth, ...[...d.children].map((c) => c.scrollWidth));
  let size = parseFloat(getComputedStyle(d).fontSize);
  for (let k = 0; k < 4 && wide() > room + 1 && size > MIN_MATS_PX; k++) {
    size = Math.max(MIN_MATS_PX, Math.floor(size * (room / wide()) * 10) / 10);
    d.style.fontSize = `${size}px`;
  }
}

const MIN_MATH_PX = 13;   // below this a formula reads worse than its plain-text twin, wrapped

/** A formula wider than its row (MathML does not break lines) is drawn smaller, down to
 *  MIN_MATH_PX; wider still, its plain-text twin takes its place and wraps (issue 14: no
 *  formula scrolls sideways, at 390 px nor at 1024×768). */
function fitFormula(d) {
  const m = d._math;
  if (!m) return;
  if (d.firstChild !== m) d.replaceChildren(m);
  d.classList.remove("f-wrapped");
  d.style.fontSize = "";
  const room = d.clientWidth;
  if (!room || d.scrollWidth <= room + 1) return;
  let size = parseFloat(getComputedStyle(d).fontSize);
  for (let k = 0; k < 4 && d.scrollWidth > room + 1; k++) {
    size = Math.floor(size * (room / d.scrollWidth) * 10) / 10;
    if (size < MIN_MATH_PX) break;
    d.style.fontSize = `${size}px`;
  }
  if (d.scrollWidth > room + 1) {
    d.style.fontSize = "";
    d.classList.add("f-wrapped");
    d.replaceChildren(document.createTextNode(d._text));
  }
}

/** An op node's Operation row: the trace's template for it, its fields filled in. */
function operationText(n, templates) {
  const t = templates[n.grad_fn ? "recorded" : "plain"];
  return t.replace("{op}", n.op).replace("{grad_fn}", n.grad_fn);
}

function row(label, body) {
  const d = document.createElement("div");
  d.className = "f-row";
  const h = document.createElement("div");
  h.className = "f-label";
  h.textContent = label;
  d.append(h, body);
  return d;
}

function math(formula, pieces) {
  const d = document.createElement("div");
  d.className = "f-math";
  d.tabIndex = 0;   // a wide formula scrolls sideways: the keyboard must reach it too (axe)
  if (!formula) return d;
  const m = mathFromString(mathmlOf(formula, pieces));
  if (m) {
    d.appendChild(m);
    d._math = m;          // fitFormula: scaled, or swapped for the text when too wide
    d._text = formula.text || formula.latex || "";
    if (formula.text) d.title = formula.text;
  } else {
    d.textContent = formula.text || "";
  }
  return d;
}

/** A tensor edge's rule with its numbers: small matrices (label, shape, cells as the trace
 *  wrote them, engine/display.py `matrix`) with the operators between them. */
function matsBlock(items) {
  const d = document.createElement("div");
  d.className = "f-mats";
  for (const it of items) {
    if (typeof it === "string") {
      d.appendChild(op(it));
      continue;
    }
    const fig = document.createElement("figure");
    fig.className = "mat";
    const cap = document.createElement("figcaption");
    const name = document.createElement("span");
    name.className = "mat-label";
    name.textContent = it.label;
    const shape = document.createElement("span");
    shape.className = "mat-shape";
    shape.textContent = it.shape;
    cap.append(name, " ", shape);
    const table = document.createElement("table");
    for (const r of it.rows) {
      const tr = table.insertRow();
      for (const c of r) tr.insertCell().textContent = c;
    }
    fig.append(cap, table);
    d.appendChild(fig);
  }
  return d;
}

/** The heat maps' colours as a bar, −largest … 0 … +largest (the key row's words say the
 *  numbers): magenta to teal, faint near 0 as the cells are. */
function heatBar() {
  const bar = document.createElement("span");
  bar.className = "heat-key";
  bar.setAttribute("aria-hidden", "true");
  return bar;
}

function textBlock(text) {
  const d = document.createElement("div");
  d.className = "f-text";
  d.textContent = text;
  return d;
}

/** Each contribution so far as a chip (the `chip` of the edge steps that reached this node in
 *  this pass), then one "…" per path still to come, then the total: 3 + 3 + … = 6 so far. */
function sumBlock(step, trace, total) {
  const contributions = chipsAt(trace, step.index);
  const d = document.createElement("div");
  d.className = "f-sum";
  d.dataset.testid = "contributions";
  d.setAttribute("data-testid", "contributions");
  contributions.forEach((c, k) => {
    if (k) d.appendChild(op("+"));
    const chip = document.createElement("span");
    chip.className = "chip" + (k === contributions.length - 1 ? " new" : "");
    chip.textContent = c;
    chip.title = `path ${k + 1} of ${step.expected}`;
    d.appendChild(chip);
  });
  for (let k = contributions.length; k < step.expected; k++) {
    d.appendChild(op("+"));
    const chip = document.createElement("span");
    chip.className = "chip pending";
    chip.textContent = "…";
    chip.title = `path ${k + 1} of ${step.expected}: not yet`;
    d.appendChild(chip);
  }
  d.appendChild(op("="));
  const sum = document.createElement("span");
  sum.className = "chip total" + (step.complete ? " complete" : "");
  sum.textContent = total;
  d.appendChild(sum);
  return d;
}

function op(t) {
  const s = document.createElement("span");
  s.className = "f-op";
  s.textContent = t;
  return s;
}

/** The error box: shown from load whenever the trace (or the request) failed. */
export function renderError(box, err, { refused = false } = {}) {
  if (!err) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const title = document.createElement("h2");
  title.textContent = refused ? "The program was not run"
    : err.kind === "backward" ? "PyTorch stops the backward pass here" : "The program stopped";
  const msg = document.createElement("p");
  msg.className = "err-message";
  const where = err.line ? `line ${err.line}: ` : "";
  const code = document.createElement("code");
  code.textContent = (PY_ERRORS[err.kind] ? `${PY_ERRORS[err.kind]}: ` : "") + err.message;
  msg.append(document.createTextNode(where), code);
  box.replaceChildren(title, msg);
  if (err.hints && err.hints.length) {
    const h = document.createElement("h3");
    h.textContent = "How to fix it";
    const ul = document.createElement("ul");
    for (const hint of err.hints) {
      const li = document.createElement("li");
      li.append(...codeified(hint));
      ul.appendChild(li);
    }
    box.append(h, ul);
  }
  box.hidden = false;
}

/** Text with its code fragments (`losses.sum().backward()`, `shape (1,)`) as <code> nodes:
 *  a dotted name followed by balanced parentheses, chained calls included. */
export function codeified(text) {
  const out = [];
  const re = /[A-Za-z_][\w.]*\(/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    let end = m.index + m[0].length;
    for (;;) {
      let depth = 1;
      while (end < text.length && depth) {
        if (text[end] === "(") depth++;
        else if (text[end] === ")") depth--;
        end++;
      }
      if (depth) { end = -1; break; }
      const chain = /^\.[A-Za-z_]\w*\(/.exec(text.slice(end));
      if (!chain) break;
      end += chain[0].length;
    }
    if (end < 0) break;
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    const c = document.createElement("code");
    c.textContent = text.slice(m.index, end);
    out.push(c);
    last = end;
    re.lastIndex = end;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}
