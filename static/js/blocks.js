// Value blocks drawn inside tensor nodes: one line for a scalar, a small table for a small tensor,
// a heat-map thumbnail above that. Geometry mirrors engine/node_size.py (keep them in step).
import { fmt, numel, valueNumbers } from "./format.js";

export const NS = "http://www.w3.org/2000/svg";
export const M = {
  FONT: 12, LINE: 16, PAD_X: 10, PAD_Y: 6, CHAR: 7.2, CELL_CHARS: 8, TABLE_ROWS: 6,
  TABLE_COLS: 6, THUMB_W: 96, THUMB_H: 40, GUTTER_CHARS: 2, GRAD_GAP: 4, MAX_CELLS: 1024,
};

export function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

/** How a shape is drawn: the same decision as node_size.table_shape / value_block. */
export function blockLayout(shape) {
  if (shape.length === 0 || (shape.length === 1 && shape[0] === 1)) {
    return { kind: "scalar", w: 11 * M.CHAR, h: M.LINE };
  }
  const table = tableShape(shape);
  if (table) {
    const [rows, cols] = table;
    return { kind: "table", rows, cols, w: cols * (M.CELL_CHARS + 1) * M.CHAR, h: rows * M.LINE };
  }
  return { kind: "thumb", w: M.THUMB_W, h: M.THUMB_H, ...thumbGrid(shape) };
}

function tableShape(shape) {
  const { TABLE_ROWS: R, TABLE_COLS: C } = M;
  if (shape.length === 1 && shape[0] <= C) return [1, shape[0]];
  if (shape.length === 2 && shape[0] <= R && shape[1] <= C) return [shape[0], shape[1]];
  if (shape.length === 1 && shape[0] <= R * C) return [Math.ceil(shape[0] / C), C];
  return null;
}

/** Rows × cols of the heat map: matrices keep their columns, vectors wrap to the box's aspect. */
export function thumbGrid(shape) {
  const n = numel(shape);
  let cols;
  if (shape.length >= 2) cols = shape[shape.length - 1];
  else cols = Math.max(1, Math.min(n, Math.ceil(Math.sqrt((n * M.THUMB_W) / M.THUMB_H))));
  cols = Math.max(1, Math.min(cols, M.MAX_CELLS));
  const rows = Math.max(1, Math.min(Math.ceil(n / cols), Math.floor(M.MAX_CELLS / cols)));
  return { rows, cols };
}

/** A number squeezed into a table cell of CELL_CHARS characters (hover/inspect shows it all). */
export function cellText(x, isInt) {
  const full = fmt(x, isInt);
  if (full.length <= M.CELL_CHARS || typeof x !== "number") return full;
  for (let p = 3; p >= 1; p--) {
    let t = x.toPrecision(p);
    if (t.includes("e")) t = t.replace(/\.?0+e/, "e").replace("e+", "e");
    if (t.length <= M.CELL_CHARS) return t;
  }
  return full;
}

/**
 * One block at (x, y) inside a node group. `set(value, isInt)` fills it; `set(null)` empties it.
 * Returns {g, layout, set, cellAt(px, py) → flat index | null}.
 */
export function makeBlock(parent, shape, x, y, cls) {
  const layout = blockLayout(shape);
  const g = el("g", { class: `block ${cls}`, transform: `translate(${x},${y})` }, parent);
  const texts = [];
  const rects = [];
  if (layout.kind === "scalar") {
    texts.push(el("text", { class: "num", x: 0, y: M.LINE - 4 }, g));
  } else if (layout.kind === "table") {
    const cw = (M.CELL_CHARS + 1) * M.CHAR;
    for (let r = 0; r < layout.rows; r++) {
      for (let c = 0; c < layout.cols; c++) {
        texts.push(el("text", { class: "num", x: (c + 1) * cw - M.CHAR * 0.5,
          y: r * M.LINE + M.LINE - 4, "text-anchor": "end" }, g));
      }
    }
  } else {
    el("rect", { class: "thumb-bg", width: M.THUMB_W, height: M.THUMB_H, rx: 2 }, g);
    const cw = M.THUMB_W / layout.cols;
    const ch = M.THUMB_H / layout.rows;
    for (let r = 0; r < layout.rows; r++) {
      for (let c = 0; c < layout.cols; c++) {
        rects.push(el("rect", { class: "cell", x: c * cw, y: r * ch, width: cw + 0.05,
          height: ch + 0.05 }, g));
      }
    }
    el("rect", { class: "thumb-frame", width: M.THUMB_W, height: M.THUMB_H, rx: 2 }, g);
  }

  function set(value, isInt = false) {
    const nums = value ? valueNumbers(value) : [];
    if (layout.kind !== "thumb") {
      texts.forEach((t, k) => {
        const txt = k < nums.length ? cellText(nums[k], isInt) : "";
        if (t.textContent !== txt) t.textContent = txt;
      });
      return;
    }
    let max = 0;
    for (const v of nums) if (typeof v === "number" && Math.abs(v) > max) max = Math.abs(v);
    rects.forEach((r, k) => {
      const v = nums[k];
      let cls = "cell";
      let op = 0;
      if (v === undefined) cls = "cell none";
      else if (typeof v === "string") cls = "cell nonfinite";
      else {
        cls = v < 0 ? "cell neg" : "cell pos";
        op = max > 0 ? 0.12 + 0.88 * (Math.abs(v) / max) : 0.12;
      }
      r.setAttribute("class", cls);
      r.setAttribute("fill-opacity", op ? op.toFixed(3) : "1");
    });
  }

  function cellAt(px, py) {
    if (layout.kind !== "thumb") return null;
    const c = Math.floor(px / (M.THUMB_W / layout.cols));
    const r = Math.floor(py / (M.THUMB_H / layout.rows));
    if (c < 0 || r < 0 || c >= layout.cols || r >= layout.rows) return null;
    return r * layout.cols + c;
  }

  return { g, layout, set, cellAt };
}
