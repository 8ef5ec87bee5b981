// Where the output is when the camera cannot show it (issue 14): a big graph read at a legible
// scale has the step's nodes in view and the output off to one side. A small button pinned to
// that side names the output and its number, pointing at it; pressing it brings it into view.
import { lineOf } from "./blocks.js";

const LABEL_CHARS = 24;      // a longer output label is clipped in the marker (its title is whole)
const AIR = 3;               // px kept between the marker and a node it steps around
const ARROWS = { right: "→", left: "←", top: "↑", bottom: "↓" };

/** A marker inside `host` (the graph's box); `onGo()` brings the output into view. */
export function createOutputMarker(host, { onGo }) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "output-marker";
  b.dataset.testid = "output-marker";
  b.hidden = true;
  b.addEventListener("click", () => onGo());
  host.appendChild(b);
  let last = "";

  /** Show the marker when `box` (layout px) is outside the view `size` under transform `t`;
   *  `node` is the output's trace node, `grad` the gradient shown at it (or null), `avoid`
   *  {strict, soft} boxes (layout px: the step's nodes, the others): the marker covers none
   *  of them when it can, else none of the strict ones;
   *  `computed`: the forward pass has made the output (else no number: no spoiler). */
  function update(box, t, size, node, grad, avoid = [], computed = true, mark = "") {
    if (node) b.dataset.node = node.id; else delete b.dataset.node;   // tests read it
    const side = box && node && size.width ? sideOf(box, t, size) : null;
    if (!side) {
      if (!b.hidden) b.hidden = true;
      last = "";
      return;
    }
    const name = node.label.length > LABEL_CHARS ? `${node.label.slice(0, LABEL_CHARS - 1)}…`
      : node.label;
    const value = grad ? ` ${mark} ${lineOf(grad)}` : computed ? ` = ${lineOf(node)}` : "";
    const words = `output ${name}${value}`;
    const first = side === "left" || side === "top";
    const text = first ? `${ARROWS[side]} ${words}` : `${words} ${ARROWS[side]}`;
    if (b.textContent !== text) {   // its width decides the free row
      // the arrow stays whole when a phone's narrow graph shortens the words (app.css)
      const arrow = span("om-arrow", ARROWS[side]);
      const said = span("om-text", words);
      b.replaceChildren(...(first ? [arrow, " ", said] : [said, " ", arrow]));
    }
    b.hidden = false;
    const lo = 64;                       // under the zoom buttons
    const hi = size.height - 24;
    // centred on the output above or below the view, but whole: its half width (measured, the
    // text is set) keeps it off both edges on a phone
    const half = Math.min((b.offsetWidth || 180) / 2, size.width / 2 - 8) + 8;
    const cx = Math.min(Math.max((box.x + box.w / 2) * t.k + t.x, half), size.width - half);
    let cy = Math.min(Math.max((box.y + box.h / 2) * t.k + t.y, lo), hi);
    if (side === "left" || side === "right") {
      const strict = Array.isArray(avoid) ? avoid : avoid.strict;
      const soft = Array.isArray(avoid) ? [] : avoid.soft;
      const best = soft.length ? freeRow(cy, side, strict.concat(soft), t, size, lo, hi) : null;
      cy = best ?? freeRow(cy, side, strict, t, size, lo, hi) ?? cy;
    }
    const key = `${side}|${text}|${Math.round(cx)}|${Math.round(cy)}`;
    if (key === last) return;
    last = key;
    b.title = `The output, ${node.label}, is off screen: press to bring it into view`;
    b.dataset.side = side;
    b.style.top = side === "left" || side === "right" ? `${cy}px` : "";
    b.style.left = side === "top" || side === "bottom" ? `${cx}px` : "";
  }

  /** The row nearest `cy` (between lo and hi) where the marker, on its side, covers none of
   *  the `avoid` boxes; null when there is none. */
  function freeRow(cy, side, avoid, t, size, lo, hi) {
    const w = b.offsetWidth || 160;
    const x0 = side === "right" ? size.width - 8 - w : 8;
    const x1 = x0 + w;
    const rects = avoid.map((a) => ({ x0: a.x * t.k + t.x, x1: (a.x + a.w) * t.k + t.x,
      y0: a.y * t.k + t.y, y1: (a.y + a.h) * t.k + t.y }))
      .filter((r) => r.x1 > x0 && r.x0 < x1);
    const half = (b.offsetHeight || 24) / 2 + AIR;
    const free = (y) => rects.every((r) => y + half <= r.y0 || y - half >= r.y1);
    if (free(cy)) return cy;
    for (let d = 4; d <= hi - lo; d += 4) {
      if (cy - d >= lo && free(cy - d)) return cy - d;
      if (cy + d <= hi && free(cy + d)) return cy + d;
    }
    return null;
  }

  return { update, get element() { return b; } };
}

function span(cls, text) {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = text;
  return s;
}

/** The side of the view the box lies beyond (more than half of it out of view), else null. */
function sideOf(box, t, size) {
  const x0 = box.x * t.k + t.x;
  const y0 = box.y * t.k + t.y;
  const x1 = x0 + box.w * t.k;
  const y1 = y0 + box.h * t.k;
  const mx = (x0 + x1) / 2;
  const my = (y0 + y1) / 2;
  if (mx > size.width) return "right";
  if (mx < 0) return "left";
  if (my > size.height) return "bottom";
  if (my < 0) return "top";
  return null;
}
