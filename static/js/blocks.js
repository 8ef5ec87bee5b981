// Value blocks drawn inside tensor nodes: one line for a scalar, a small table for a small tensor,
// a heat-map thumbnail above that. The trace decides which (node.block, engine/display.py) and
// carries every cell's text and, once, the geometry (trace.display.blocks, built by
// engine/node_size.py `geometry`); this module only paints and keeps no metric of its own.
import { valueNumbers } from "./format.js";

export const NS = "http://www.w3.org/2000/svg";

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
 * One block at (x, y) inside a node group, drawn as `layout` (a node's `block`) with the trace's
 * block geometry `geo` (trace.display.blocks). `set(cells,
 * value)` fills it: the cell texts of a scalar or table, the Value's numbers as a heat map's
 * colours; `set(null)` empties it. Returns {g, layout, set, cellAt(px, py) → flat index | null}.
 */
export function makeBlock(parent, layout, x, y, cls, geo) {
  const g = el("g", { class: `block ${cls}`, transform: `translate(${x},${y})` }, parent);
  const texts = [];
  const rects = [];
  if (layout.kind === "scalar") {
    texts.push(el("text", { class: "num", x: 0, y: geo.line - 4 }, g));
  } else if (layout.kind === "table") {
    const cw = geo.cell_w;
    for (let r = 0; r < layout.rows; r++) {
      for (let c = 0; c < layout.cols; c++) {
        texts.push(el("text", { class: "num", x: (c + 1) * cw - geo.char * 0.5,
          y: r * geo.line + geo.line - 4, "text-anchor": "end" }, g));
      }
    }
  } else {
    el("rect", { class: "thumb-bg", width: geo.thumb_w, height: geo.thumb_h, rx: 2 }, g);
    const cw = geo.thumb_w / layout.cols;
    const ch = geo.thumb_h / layout.rows;
    for (let r = 0; r < layout.rows; r++) {
      for (let c = 0; c < layout.cols; c++) {
        rects.push(el("rect", { class: "cell", x: c * cw, y: r * ch, width: cw + 0.05,
          height: ch + 0.05 }, g));
      }
    }
    el("rect", { class: "thumb-frame", width: geo.thumb_w, height: geo.thumb_h, rx: 2 }, g);
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
    const c = Math.floor(px / (geo.thumb_w / layout.cols));
    const r = Math.floor(py / (geo.thumb_h / layout.rows));
    if (c < 0 || r < 0 || c >= layout.cols || r >= layout.rows) return null;
    return r * layout.cols + c;
  }

  return { g, layout, set, cellAt };
}
