// The narration panel (one plain sentence per step, mirrored into an aria-live region), the
// formula panel beside it (local derivative, chain-rule product, sum of paths), and the error box.
import { shapeText, shortText, valueText } from "./format.js";
import { mathFromString } from "./mathml.js";
import { contributionsAt } from "./player.js";

// the exception PyTorch / Python would raise for each error kind
const PY_ERRORS = { backward: "RuntimeError", shape: "RuntimeError", runtime: "RuntimeError",
  name: "NameError", argument: "TypeError", syntax: "SyntaxError" };

const START = "Start: nothing has run yet. Leaves, inputs and constants already hold their values. "
  + "Press play or → to run the forward pass.";

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
    const sentence = step ? step.narration : f.count ? START
      : "Nothing to play: the program recorded no steps.";
    const extra = step ? leafNote(trace, step) : "";
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

  function renderFormulas(trace, step) {
    const rows = [];
    if (!step) {
      formulas.hidden = true;
      formulas.replaceChildren();
      return;
    }
    if (step.kind === "op") {
      const op = trace.nodes.find((n) => n.id === step.op);
      if (op) {
        rows.push(row("Operation", textBlock(op.grad_fn
          ? `${op.op}, recorded for backward as ${op.grad_fn}` : op.op)));
      }
      rows.push(row("Result", textBlock(valueText(step.value))));
    } else if (step.kind === "seed") {
      rows.push(row("Seed", math(step.formula)));
      rows.push(row(step.gradient_given ? "Given gradient" : "Why 1",
        textBlock(step.gradient_given ? valueText(step.grad)
          : `${rootName(trace, step)} has numel = ${step.numel}: one number, and a number's `
            + "derivative with respect to itself is 1")));
    } else if (step.kind === "edge") {
      if (step.chain && step.formula && step.chain.latex === step.formula.latex) {
        // no elementwise local derivative: the rule maps the upstream gradient directly
        rows.push(row("Backward rule (vector–Jacobian product)", math(step.formula)));
      } else {
        rows.push(row("Local derivative", math(step.formula)));
        rows.push(row("Chain rule: upstream × local", math(step.chain)));
      }
      if (step.reduced_axes && step.reduced_axes.length) {
        rows.push(row("Broadcasting", textBlock(
          `summed over dim ${step.reduced_axes.join(", ")} to match the input's shape`)));
      }
      const contributions = contributionsAt(trace, step.index);
      if (step.expected > 1) {
        rows.push(row("Paths meet: the gradient sums", sumBlock(step, contributions)));
      }
      const scalars = contributions.every((c) => c.shape.every((d) => d === 1));
      if (step.accumulate && !scalars) rows.push(row("Running sum", math(step.accumulate)));
      if (step.leaf_grad_before) {
        rows.push(row(".grad accumulates", textBlock(
          `was ${shortText(step.leaf_grad_before)}, now ${shortText(step.leaf_grad)}`)));
      }
    }
    if (step.kind === "hook") {
      rows.push(row("The hook received", textBlock(valueText(step.grad))));
      rows.push(row("It returned", textBlock(step.result ? valueText(step.result)
        : "None: the gradient flows on unchanged")));
    }
    const usesBar = [step.formula, step.chain].some((f) => f && /\\bar\b/.test(f.latex || ""));
    if (usesBar) {
      const note = document.createElement("p");
      note.className = "f-note";
      note.textContent = "A bar over a name (x̄) is the gradient arriving at it from the output: "
        + "the upstream gradient.";
      rows.push(note);
    }
    formulas.hidden = rows.length === 0;
    formulas.replaceChildren(...rows);
  }

  return { show };
}

function rootName(trace, step) {
  const node = trace.nodes.find((n) => n.id === step.root);
  return node ? node.label : "the output";
}

/** "x.grad = 4" once a named leaf's gradient is complete (what print(x.grad) would show). */
function leafNote(trace, step) {
  if (step.kind !== "edge" || !step.complete || !step.leaf_grad) return "";
  const node = trace.nodes.find((n) => n.id === step.to);
  if (!node || !node.name) return "";
  const n = step.leaf_grad.shape.reduce((a, b) => a * b, 1);
  return n <= 4 ? `${node.name}.grad = ${shortText(step.leaf_grad)}.`
    : `${node.name}.grad now holds this ${shapeText(step.leaf_grad.shape)} tensor.`;
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

function math(formula) {
  const d = document.createElement("div");
  d.className = "f-math";
  if (!formula) return d;
  const m = mathFromString(formula.mathml);
  if (m) {
    d.appendChild(m);
    if (formula.text) d.title = formula.text;
  } else {
    d.textContent = formula.text || formula.latex || "";
  }
  return d;
}

function textBlock(text) {
  const d = document.createElement("div");
  d.className = "f-text";
  d.textContent = text;
  return d;
}

/** Each contribution as a chip: 3 + 3 + 1 = 7 (or + … while paths are still to come). */
function sumBlock(step, contributions) {
  const d = document.createElement("div");
  d.className = "f-sum";
  d.dataset.testid = "contributions";
  d.setAttribute("data-testid", "contributions");
  contributions.forEach((c, k) => {
    if (k) d.appendChild(op("+"));
    const chip = document.createElement("span");
    chip.className = "chip" + (k === contributions.length - 1 ? " new" : "");
    chip.textContent = shortText(c);
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
  const total = document.createElement("span");
  total.className = "chip total" + (step.complete ? " complete" : "");
  total.textContent = shortText(step.grad) + (step.complete ? "" : " so far");
  d.appendChild(total);
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
