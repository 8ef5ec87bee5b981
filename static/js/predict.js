// Predict, then reveal: each backward step first asks for the gradient it will give (a number
// for one-element tensors, a choice among candidates for bigger ones), then shows the step and
// says whether the guess was right; a score at the end. The viewer asks `gate(from, to)` before
// moving forward (viewer.js), so no step's answer is on screen before the question.
import { fmt, numel, shapeText, summaryOf, valueNumbers } from "./format.js";

// The candidates are made here (not in the trace), so they are written here: nested lists of
// numbers with format.js's fmt, or a too-big value by its shape and summary.
function valueText(value, isInt = false) {
  if (!value) return "";
  const data = value.data;
  if (data === null || data === undefined) {
    const s = summaryOf(value);
    return `${shapeText(value.shape)} mean ${fmt(s.mean)} min ${fmt(s.min)} max ${fmt(s.max)}`;
  }
  const walk = (d) => (Array.isArray(d) ? "[" + d.map(walk).join(", ") + "]" : fmt(d, isInt));
  return walk(data);
}

const REL_TOL = 0.01;    // a guess within 1% (or 0.001) of the gradient is right
const ABS_TOL = 1e-3;

/** The predict panel and toggle, for the viewer `viewer` (its store and act). */
export function createPredict(doc, viewer, { on = false } = {}) {
  const { store } = viewer;
  const panel = doc.createElement("section");
  panel.className = "panel predict-panel";
  panel.dataset.testid = "predict";
  panel.setAttribute("aria-label", "Predict the gradient");
  panel.hidden = true;
  const side = doc.querySelector("[data-role=narration-panel]");
  if (side && side.parentNode) side.parentNode.insertBefore(panel, side);
  const toggle = makeToggle(doc);

  let enabled = false;
  let answered = new Map();    // step index -> {right, guess}
  let asking = null;           // the step index being asked
  let last = null;             // {index, right, said} shown after a reveal
  let forTrace = null;

  store.subscribe((s, p) => {
    if (s.trace !== p.trace) { answered = new Map(); asking = null; last = null; forTrace = s.trace; }
    if (s.step !== p.step && asking !== null && s.step !== asking - 1) asking = null;
    render();
  });

  /** Where a forward move from `from` to `to` may go: it stops before the first backward step
   *  not yet answered, and asks for it. */
  function gate(from, to) {
    const t = store.get().trace;
    if (!enabled || !t || to <= from) return to;
    for (let k = from + 1; k <= to; k++) {
      if (askable(t.steps[k]) && !answered.has(k)) {
        asking = k;
        last = null;
        render();
        focusQuestion();
        return k - 1;
      }
    }
    return to;
  }

  function set(onNow) {
    enabled = !!onNow;
    toggle.setAttribute("aria-pressed", enabled ? "true" : "false");
    doc.body.toggleAttribute("data-predict", enabled);
    if (!enabled) asking = null;
    if (enabled) viewer.pause();
    render();
    store.set({});   // the other panels re-read the mode (fdcheck.js hides its spoilers)
  }

  let drawn = null;
  function render() {
    panel.hidden = !enabled;
    if (!enabled) { drawn = null; return; }
    const t = store.get().trace;
    // redrawn only when what it shows changes: a redraw would drop the focus from the question
    const key = [t, asking, last, answered.size];
    if (drawn && key.every((v, i) => v === drawn[i])) return;
    drawn = key;
    const total = t ? t.steps.filter(askable).length : 0;
    const right = [...answered.values()].filter((a) => a.right).length;
    const parts = [];
    const head = doc.createElement("div");
    head.className = "p-head";
    const title = doc.createElement("strong");
    title.textContent = "Predict, then reveal";
    const score = doc.createElement("span");
    score.dataset.testid = "predict-score";
    score.className = "p-score";
    score.textContent = `${right} of ${answered.size} right` + (total ? ` · ${total} to predict` : "");
    head.append(title, score);
    parts.push(head);
    if (last) parts.push(verdict(last));
    if (asking !== null && t && t.steps[asking]) parts.push(question(t, asking));
    else if (t && total && answered.size === total) {
      const done = doc.createElement("p");
      done.className = "p-done";
      done.dataset.testid = "predict-final";
      done.textContent = `Done: ${right} of ${total} gradients predicted right.`;
      parts.push(done);
    } else if (t && total) {
      const hint = doc.createElement("p");
      hint.className = "p-hint";
      hint.textContent = "Step forward (→): each backward step asks first.";
      parts.push(hint);
    }
    panel.replaceChildren(...parts);
  }

  function verdict(v) {
    const p = doc.createElement("p");
    p.className = `p-verdict ${v.right ? "right" : "wrong"}`;
    p.dataset.testid = "predict-verdict";
    p.setAttribute("role", "status");
    p.textContent = v.right ? `Right: ${v.said}.` : `Not quite: ${v.said}.`;
    return p;
  }

  function question(t, k) {
    const step = t.steps[k];
    const q = questionOf(t, step);
    const form = doc.createElement("form");
    form.className = "p-question";
    form.dataset.testid = "predict-question";
    const ask = doc.createElement("p");
    ask.textContent = q.text;
    form.append(ask);
    if (q.hint) {
      const hint = doc.createElement("p");
      hint.className = "p-hint";
      hint.textContent = q.hint;
      form.append(hint);
    }
    let read;
    if (q.choices) {
      const group = doc.createElement("fieldset");
      const legend = doc.createElement("legend");
      legend.textContent = `Choose (1–${q.choices.length}, then Enter)`;
      group.append(legend);
      q.choices.forEach((c, i) => {
        const label = doc.createElement("label");
        const radio = doc.createElement("input");
        radio.type = "radio";
        radio.name = "predict-choice";
        radio.value = String(i);
        radio.dataset.testid = `predict-choice-${i + 1}`;
        if (i === 0) radio.checked = true;
        const text = doc.createElement("span");
        text.textContent = `${i + 1}. ${c.text}`;
        label.append(radio, text);
        group.append(label);
      });
      group.addEventListener("keydown", (ev) => {
        const n = Number(ev.key);
        if (n >= 1 && n <= q.choices.length) {
          const r = group.querySelectorAll("input")[n - 1];
          r.checked = true;
          r.focus();
          ev.preventDefault();
        } else if (ev.key === "Enter") {
          ev.preventDefault();
          form.requestSubmit();
        }
      });
      form.append(group);
      read = () => {
        const r = group.querySelector("input:checked");
        const c = q.choices[Number(r ? r.value : 0)];
        return { right: c.correct, said: c.correct ? `it is ${q.answerText}`
          : `you chose ${c.text}; the chain rule gives ${q.answerText}` };
      };
    } else {
      const label = doc.createElement("label");
      label.textContent = "Your guess ";
      const input = doc.createElement("input");
      input.type = "text";
      input.inputMode = "decimal";
      input.autocomplete = "off";
      input.dataset.testid = "predict-input";
      input.setAttribute("aria-label", q.text);
      label.append(input);
      form.append(label);
      read = () => {
        const guess = parseGuess(input.value);
        if (guess === null) return null;
        const right = close(guess, q.answer);
        return { right, said: right ? `${fmt(guess)} — the chain rule gives ${q.answerText}`
          : `you said ${fmt(guess)}, the chain rule gives ${q.answerText}` };
      };
    }
    const submit = doc.createElement("button");
    submit.type = "submit";
    submit.textContent = "Reveal";
    submit.dataset.testid = "predict-reveal";
    form.append(submit);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const v = read();
      if (!v) {
        ask.textContent = `${q.text} (type a number, e.g. 0.5, -2 or 1/4)`;
        return;
      }
      reveal(k, v);
    });
    return form;
  }

  function reveal(k, v) {
    answered.set(k, v);
    asking = null;
    last = { index: k, ...v };
    viewer.act("seek", k);
    render();
    const g = doc.getElementById("graph");
    if (g) g.focus({ preventScroll: true });
  }

  function focusQuestion() {
    const target = panel.querySelector("[data-testid=predict-input], input[type=radio]:checked");
    if (target) target.focus({ preventScroll: false });
  }

  toggle.addEventListener("click", () => set(!enabled));
  doc.addEventListener("keydown", (ev) => {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const tag = ev.target && ev.target.tagName ? ev.target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    if (ev.key === "q" || ev.key === "Q") { set(!enabled); ev.preventDefault(); }
  });
  set(on);
  return { gate, set, isOn: () => enabled, get forTrace() { return forTrace; } };
}

function makeToggle(doc) {
  const b = doc.createElement("button");
  b.type = "button";
  b.className = "predict-toggle";
  b.dataset.testid = "predict-toggle";
  b.title = "Predict each gradient before it is shown (Q)";
  b.setAttribute("aria-pressed", "false");
  b.textContent = "Predict";
  const present = doc.querySelector("[data-testid=present]");
  if (present && present.parentNode) present.parentNode.insertBefore(b, present);
  else {
    const player = doc.querySelector("[data-role=player]");
    if (player) player.append(b);
  }
  return b;
}

/** Steps that ask: the seed and every edge of the backward pass whose gradient is known. */
export function askable(step) {
  return !!step && step.phase === "backward" && (step.kind === "seed" || step.kind === "edge")
    && !!step.grad && valueNumbers(step.grad).length === numel(step.grad.shape);
}

function labelOf(t, id) {
  const n = t.nodes.find((x) => x.id === id);
  return n ? n.label : id;
}

/** The question for `step`: its text, the right answer, and for tensors the candidates. */
export function questionOf(t, step) {
  const target = step.kind === "seed" ? step.root : step.to;
  const name = labelOf(t, target);
  const root = step.kind === "seed" ? name : labelOf(t, seedRoot(t, step));
  const answer = step.grad;
  const answerText = valueText(answer);
  let text;
  let hint = null;
  if (step.kind === "seed") {
    text = `Backward starts at ${name}. What is its own gradient ∂${root}/∂${name}?`;
  } else {
    const op = t.nodes.find((x) => x.id === step.op);
    const sofar = step.expected > 1 ? " so far" : "";
    text = `Backward through ${op ? op.label : "the op"} to ${name}: what is ∂${root}/∂${name}${sofar}?`;
    const parts = [`upstream gradient ${valueText(step.upstream)}`];
    if (step.count > 1) {
      const before = previousTotal(step);
      if (before !== null) parts.push(`${name} already holds ${before} from ${step.count - 1} path(s)`);
    }
    if (step.expected > 1) parts.push(`path ${step.count} of ${step.expected} reaching ${name}`);
    hint = parts.join(" · ");
  }
  if (numel(answer.shape) === 1) {
    return { text, hint, answer: valueNumbers(answer)[0], answerText };
  }
  return { text: `${text} (shape ${shapeText(answer.shape)})`, hint, answerText,
    choices: candidates(step) };
}

function seedRoot(t, step) {
  let root = null;
  for (const s of t.steps) {
    if (s.kind === "seed") root = s.root;
    if (s === step) break;
  }
  return root;
}

function previousTotal(step) {
  const g = valueNumbers(step.grad);
  const c = valueNumbers(step.contribution);
  if (g.length !== c.length || !g.length) return null;
  const prev = g.map((v, i) => v - c[i]);
  return prev.length === 1 ? fmt(prev[0]) : "[" + prev.map((v) => fmt(v)).join(", ") + "]";
}

/** Up to four distinct candidates: the gradient and the usual mistakes (the upstream gradient
 *  alone, the sign flipped, this path alone without the earlier ones, not summed over the
 *  broadcast axes, twice the value), in an order fixed by the step's index. */
export function candidates(step) {
  const right = step.grad;
  const seen = new Set();
  const out = [];
  const add = (value, correct) => {
    if (!value || value.data === null || value.data === undefined) return;
    const text = `${valueText(value)}${sameShape(value, right) ? "" : ` shape ${shapeText(value.shape)}`}`;
    if (seen.has(text)) return;
    seen.add(text);
    out.push({ text, correct });
  };
  add(right, true);
  if (step.count > 1) add(step.contribution, false);
  if (step.reduced_axes && step.reduced_axes.length) add(step.product, false);
  if (step.upstream && sameShape(step.upstream, right)) add(step.upstream, false);
  add(scaled(right, -1), false);
  add(scaled(right, 2), false);
  add(scaled(right, 0.5), false);
  const four = out.slice(0, 4);
  const k = (step.index || 0) % four.length;
  return [...four.slice(k), ...four.slice(0, k)];
}

function sameShape(a, b) {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

function scaled(value, f) {
  const walk = (d) => (Array.isArray(d) ? d.map(walk) : typeof d === "number" ? d * f + 0 : d);
  return { ...value, data: walk(value.data) };
}

/** A typed number: 0.5, -2, 1e-3, or a fraction 1/4. Null when it is none of these. */
export function parseGuess(text) {
  const s = String(text).trim().replace("−", "-");
  const frac = /^(-?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(s);
  if (frac) return Number(frac[2]) === 0 ? null : Number(frac[1]) / Number(frac[2]);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return null;
  return Number(s);
}

function close(guess, answer) {
  if (typeof answer !== "number") return false;
  return Math.abs(guess - answer) <= Math.max(ABS_TOL, REL_TOL * Math.abs(answer));
}
