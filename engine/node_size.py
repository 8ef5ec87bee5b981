"""How big each node's box is, from our own text metrics, so the layout never depends on fonts.

The player (static/js/graph.js) draws inside these boxes with the same rules:
- tensor node: a header line (label, then shape), the value block, then the grad block (its room
  is reserved from the start so nothing moves when backward reaches the node);
- a value block is one line for a scalar, a small table (one row per matrix row, up to
  TABLE_ROWS x TABLE_COLS cells) for a small tensor, and a heat-map thumbnail above that;
- left of each block, a GUTTER_CHARS-wide column holds the "∇" that marks the grad block;
- op node: a pill holding the op's name.
The page keeps no copy of these numbers: `geometry()` is sent once per trace
(trace.display.blocks) and static/js/blocks.js + graph.js paint with it.
"""

from __future__ import annotations

from chainrule.engine.text_metrics import CHAR_WIDTH_EM, text_width

FONT_PX = 12.0
LINE_PX = 16.0
PAD_X = 10.0
PAD_Y = 6.0
CELL_CHARS = 8          # a number in a table cell: -0.01234 (4 significant digits)
TABLE_ROWS = 6
TABLE_COLS = 6
THUMB_W, THUMB_H = 96.0, 40.0
MIN_TENSOR_W = 84.0
GUTTER_CHARS = 2        # "∇ " left of the grad block (blank left of the value block)
GRAD_GAP = 4.0
OP_H = 26.0
MIN_OP_W = 40.0


def table_shape(shape: list[int]) -> tuple[int, int] | None:
    """Rows × cols of the table a small tensor is drawn as; None for scalars and thumbnails."""
    if len(shape) == 0:
        return None
    if len(shape) == 1 and shape[0] <= TABLE_COLS:
        return 1, shape[0]
    if len(shape) == 2 and shape[0] <= TABLE_ROWS and shape[1] <= TABLE_COLS:
        return shape[0], shape[1]
    if len(shape) == 1 and shape[0] <= TABLE_ROWS * TABLE_COLS:
        return -(-shape[0] // TABLE_COLS), TABLE_COLS     # wraps at TABLE_COLS per row
    return None


def value_block(shape: list[int]) -> tuple[float, float]:
    """Width and height of one value (or grad) block."""
    if len(shape) == 0 or (len(shape) == 1 and shape[0] == 1):
        return text_width("-0.0000e+00", FONT_PX), LINE_PX
    table = table_shape(shape)
    if table is not None:
        rows, cols = table
        return cols * text_width("x" * (CELL_CHARS + 1), FONT_PX), rows * LINE_PX
    return THUMB_W, THUMB_H


def tensor_size(label: str, shape: list[int], with_grad: bool) -> tuple[float, float]:
    header = f"{label}  {shape_text(shape)}"
    block_w, block_h = value_block(shape)
    gutter = text_width(" " * GUTTER_CHARS, FONT_PX)
    width = max(MIN_TENSOR_W, text_width(header, FONT_PX), block_w + gutter) + 2 * PAD_X
    height = LINE_PX + block_h + (block_h + GRAD_GAP if with_grad else 0.0) + 2 * PAD_Y
    return round(width, 1), round(height, 1)


def op_size(label: str) -> tuple[float, float]:
    return round(max(MIN_OP_W, text_width(label, FONT_PX) + 2 * PAD_X), 1), OP_H


def shape_text(shape: list[int]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def geometry() -> dict:
    """The box metrics the page paints a tensor node with, px (trace.display.blocks): the
    monospace advance, paddings, line height, the ∇ gutter, the gap above the grad block, and a
    block's sizes: a scalar's line, a table cell, the heat map."""
    char = CHAR_WIDTH_EM * FONT_PX
    return {"char": round(char, 2), "line": LINE_PX, "pad_x": PAD_X, "pad_y": PAD_Y,
            "gutter": round(text_width(" " * GUTTER_CHARS, FONT_PX), 1), "grad_gap": GRAD_GAP,
            "scalar_w": round(text_width("-0.0000e+00", FONT_PX), 1),
            "cell_w": round(text_width("x" * (CELL_CHARS + 1), FONT_PX), 1),
            "thumb_w": THUMB_W, "thumb_h": THUMB_H}
