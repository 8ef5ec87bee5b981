// Player controls: buttons, speed, and the scrubber (a native range input over a drawing of the
// timeline: forward steps as circles on a plain band, backward steps as diamonds on a hatched band).
import { el } from "./blocks.js";

const THUMB = 20;   // px, the range thumb's width in app.css (ticks line up with it)

export function createControls(root, { onAction }) {
  const q = (id) => root.querySelector(`[data-testid="${id}"]`);
  const play = q("play");
  const range = q("scrubber");
  const speed = q("speed");
  const ticks = root.querySelector(".scrub-ticks");
  const buttons = ["to-start", "step-back", "step-forward", "to-end", "to-backward"];
  let drawn = { key: null };

  // Buttons are aria-disabled, never disabled: a focused button that stops applying (step
  // forward at the end) keeps the keyboard focus instead of dropping it to the page.
  const off = (b) => b.getAttribute("aria-disabled") === "true";
  const disable = (b, yes) => b.setAttribute("aria-disabled", yes ? "true" : "false");
  play.addEventListener("click", () => { if (!off(play)) onAction("toggle"); });
  for (const id of buttons) {
    q(id).addEventListener("click", () => { if (!off(q(id))) onAction(id); });
  }
  range.addEventListener("input", () => onAction("seek", Number(range.value)));
  speed.addEventListener("change", () => onAction("speed", Number(speed.value)));
  if (typeof ResizeObserver !== "undefined") {
    new ResizeObserver(() => { drawn.key = null; if (drawn.trace) draw(drawn.trace, drawn.index); })
      .observe(range);
  }

  function render({ trace, frame, playing, speed: sp }) {
    const n = trace ? trace.steps.length : 0;
    const i = frame ? frame.index : -1;
    range.min = "-1";
    range.max = String(Math.max(n - 1, -1));
    if (Number(range.value) !== i) range.value = String(i);
    range.disabled = n === 0;
    const phase = frame && frame.step ? frame.step.phase : "start";
    range.setAttribute("aria-valuetext", n ? (i < 0 ? `Start, before step 1 of ${n}`
      : `Step ${i + 1} of ${n}, ${phase}`) : "No steps");
    play.dataset.playing = playing ? "true" : "false";
    play.setAttribute("aria-label", playing ? "Pause (Space)" : "Play (Space)");
    play.setAttribute("aria-pressed", playing ? "true" : "false");
    const atStart = i <= -1;
    const atEnd = i >= n - 1;
    disable(q("to-start"), atStart || !n);
    disable(q("step-back"), atStart || !n);
    disable(q("step-forward"), atEnd || !n);
    disable(q("to-end"), atEnd || !n);
    const bs = trace && trace.backward_start !== null && trace.backward_start !== undefined
      ? trace.backward_start : null;
    disable(q("to-backward"), bs === null || i === bs);
    disable(play, !n);
    if (String(sp) !== speed.value) speed.value = String(sp);
    draw(trace, i);
  }

  function draw(trace, index) {
    drawn.trace = trace;
    drawn.index = index;
    const w = range.clientWidth;
    const n = trace ? trace.steps.length : 0;
    const key = `${w}|${n}|${trace ? trace.source : ""}|${trace ? trace.backward_start : ""}|${trace && trace.steps.map((s) => s.phase[0] + s.kind[0]).join("")}`;
    if (key !== drawn.key) {
      drawn.key = key;
      build(trace, w);
    }
    for (const t of ticks.querySelectorAll("[data-i]")) {
      t.setAttribute("data-done", Number(t.dataset.i) <= index ? "true" : "false");
      if (Number(t.dataset.i) === index) t.setAttribute("data-current", "true");
      else t.removeAttribute("data-current");
    }
    const prog = ticks.querySelector(".progress");
    if (prog && n) prog.setAttribute("width", String(Math.max(0, xAt(index, n, w) - THUMB / 2)));
  }

  function build(trace, w) {
    ticks.replaceChildren();
    const h = 40;
    ticks.setAttribute("viewBox", `0 0 ${w} ${h}`);
    ticks.setAttribute("width", String(w));
    ticks.setAttribute("height", String(h));
    const n = trace ? trace.steps.length : 0;
    if (!n || !w) return;
    const defs = el("defs", {}, ticks);
    const pat = el("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" }, defs);
    el("rect", { width: 6, height: 6, class: "hatch-bg" }, pat);
    el("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch-line" }, pat);
    const y = h / 2;
    // one band per run of same-phase steps: plain for forward, hatched (and taller) for backward
    const edge = (i) => (i <= -1 ? xAt(-1, n, w) : i >= n - 1 ? xAt(n - 1, n, w)
      : (xAt(i, n, w) + xAt(i + 1, n, w)) / 2);
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && trace.steps[i].phase === trace.steps[start].phase) continue;
      const bwd = trace.steps[start].phase === "backward";
      const x0 = start === 0 ? xAt(-1, n, w) : edge(start - 1);
      const x1 = edge(i - 1);
      el("rect", bwd
        ? { class: "band band-bwd", x: x0, y: y - 5, width: Math.max(0, x1 - x0), height: 10,
          rx: 2, fill: "url(#hatch)" }
        : { class: "band band-fwd", x: x0, y: y - 3, width: Math.max(0, x1 - x0), height: 6,
          rx: 3 }, ticks);
      start = i;
    }
    el("rect", { class: "progress", x: THUMB / 2, y: y - 1, width: 0, height: 2 }, ticks);
    const spacing = (w - THUMB) / Math.max(1, n);
    const showTicks = spacing >= 5;
    for (let i = -1; i < n && showTicks; i++) {
      const x = xAt(i, n, w);
      const s = i >= 0 ? trace.steps[i] : null;
      const r = Math.min(5, Math.max(2.5, spacing / 3));
      let shape;
      if (!s) shape = el("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, rx: 1 }, ticks);
      else if (s.kind === "error") {
        shape = el("path", { d: `M${x - r},${y - r} L${x + r},${y + r} M${x + r},${y - r} L${x - r},${y + r}` }, ticks);
      } else if (s.phase === "backward") {
        shape = el("path", { d: `M${x},${y - r - 1.5} L${x + r + 1.5},${y} L${x},${y + r + 1.5} L${x - r - 1.5},${y} z` }, ticks);
      } else shape = el("circle", { cx: x, cy: y, r }, ticks);
      shape.setAttribute("class", `tick ${s ? (s.kind === "error" ? "t-err" : s.phase === "backward" ? "t-bwd" : "t-fwd") : "t-start"}`);
      shape.setAttribute("data-i", String(i));
    }
  }

  return { render };
}

/** Centre of the range thumb for step `i` (of `n` steps, from -1), in px. */
function xAt(i, n, w) {
  const span = Math.max(1, n);           // positions -1 … n-1
  return THUMB / 2 + ((i + 1) / span) * (w - THUMB);
}

/** Global keys: ←/→ step, space play/pause, Home/End, +/-/0 zoom, Shift+arrows pan,
 *  P presenter mode (Esc leaves it). */
export function bindKeys(target, act) {
  target.addEventListener("keydown", (ev) => {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const t = ev.target;
    const tag = t && t.tagName ? t.tagName.toLowerCase() : "";
    const typing = tag === "textarea" || tag === "select" ||
      (tag === "input" && t.type !== "range" && t.type !== "button");
    if (typing) return;
    const onRange = tag === "input" && t.type === "range";
    const onButton = tag === "button" || (t.getAttribute && t.getAttribute("role") === "button");
    if (ev.shiftKey && ev.key.startsWith("Arrow")) {
      const d = 60;
      const [dx, dy] = { ArrowLeft: [d, 0], ArrowRight: [-d, 0], ArrowUp: [0, d],
        ArrowDown: [0, -d] }[ev.key];
      act("pan", [dx, dy]);
      ev.preventDefault();
      return;
    }
    if (onRange && t.dataset.testid !== "scrubber") return;   // input sliders keep their keys
    const keys = {
      ArrowRight: "step-forward", ArrowLeft: "step-back", Home: "to-start", End: "to-end",
      "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", _: "zoom-out", "0": "fit",
    };
    if (ev.key === " " || ev.key === "Spacebar") {
      if (onButton) return;               // the focused button handles its own space
      ev.preventDefault();
      act("toggle");
      return;
    }
    if (ev.key === "b" || ev.key === "B") { act("to-backward"); ev.preventDefault(); return; }
    if (ev.key === "p" || ev.key === "P") { act("present"); ev.preventDefault(); return; }
    if (ev.key === "Escape" && document.body.hasAttribute("data-presenter") &&
        !(t.closest && t.closest("dialog"))) {
      act("present", false);
      return;
    }
    const a = keys[ev.key];
    if (!a) return;
    ev.preventDefault();
    act(a);
  });
}
