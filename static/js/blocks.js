// Value blocks drawn inside tensor nodes: one line for a scalar, a small table for a small tensor,
// a heat-map thumbnail above that. The trace decides which (node.block, engine/display.py) and
// carries every cell's text; this module only paints. Metrics match engine/node_size.py.
import { valueNumbers } from "./format.js";

export const NS = "http://www.w3.org/2000/svg";
export const M = {
  FONT: 12, LINE: 16, PAD_X: 10, PAD_Y: 6, CHAR: 7.2, CELL_CHARS: 8, TABLE_ROWS: 6,
  TABLE_COLS: 6, THUMB_W: 96, THUMB_H: 40, GUTTER_CHARS: 2, GRAD_GAP: 4,
};

/** Width and height of a node's block (node.block) from the trace's block geometry
 *  (trace.display.blocks; engine/display.py `block_size`). */
export function blockSize(block, geo) {
  if (block.kind === "scalar") return [geo.scalar_w, geo.line];
  if (block.kind === "table") return [block.cols * geo.cell_w, block.rows * geo.line];
  return [geo.thumb_w, geo.thumb_h];
}

/** The one line of text of a tensor node's value or of a step's `shown` gradient: `text`, which
 *  the trace leaves out when it is the block's one cell (docs/trace-format.md). */
export function lineOf(x) {
  if (!x) return "";
  return x.text !== undefined ? x.text : (x.cells && x.cells.length ? x.cells[0] : "");
}

export function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

/**
 * One block at (x, y) inside a node group, drawn as `layout` (a node's `block`). `set(cells,
 * value)` fills it: the cell texts of a scalar or table, the Value's numbers as a heat map's
 * colours; `set(null)` empties it. Returns {g, layout, set, cellAt(px, py) → flat index | null}.
 */
export function makeBlock(parent, layout, x, y, cls) {
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

  function set(cells, value) {
    if (layout.kind !== "thumb") {
      texts.forEach((t, k) => {
        const txt = cells && k < cells.length ? cells[k] : "";
        if (t.textContent !== txt) t.textContent = txt;
      });
      return;
    }
    const nums = value ? valueNumbers(value) : [];
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
