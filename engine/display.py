"""The display list: every text a renderer shows, decided once, here (docs/trace-format.md).

The page (static/js), the SVG export, the CLI and the notebook only paint what this module
writes into the Trace: each number as the text to show, how a tensor's block is drawn, the label
on an edge once backward crossed it, the caption rows beside each step. No renderer formats a
number or chooses a row itself, so no two renderers can drift.

To keep the trace small, display strings live once per node (its value) and once per step that
changes what is drawn (the gradient a backward step brings, the edge's label); caption rows
name the step's own formulas and the nodes whose text they show instead of copying them.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from chainrule.engine import node_size as ns
from chainrule.engine import values

Number = float | int | str

START = ("Start: nothing has run yet. Leaves, inputs and constants already hold their values. "
         "Press play or → to run the forward pass.")

# caption row kinds → the label shown above the row; steps name rows by kind
ROW_LABELS = {
    "op": "Operation",
    "result": "Result",
    "seed": "Seed",
    "given": "Given gradient",
    "why1": "Why 1",
    "rule": "Backward rule (vector–Jacobian product)",
    "local": "Local derivative",
    "chain": "Chain rule: upstream × local",
    "numbers": "The rule with numbers",
    "sumaxes": "Summed over the broadcast dims",
    "broadcast": "Broadcasting",
    "unbroadcast": "Summed to the input's shape",
    "paths": "Paths meet: the gradient sums",
    "running": "Running sum",
    "leafgrad": ".grad accumulates",
    "received": "The hook received",
    "returned": "It returned",
    "key": "Colour key",
    # a row without a body is a note under the others: its label is the whole text
    "bar": "A bar over a name (x̄) is the gradient arriving at it from the output: the upstream "
           "gradient.",
}


# a row written as its kind alone has this body: the step's formula field `math`, or the text of
# the node whose id is in the step's field `node`
ROW_BODIES = {
    "op": {"op": "op"},           # the op node named by the step's field: `operation` filled in
    "result": {"node": "output"},
    "seed": {"math": "formula"},
    "rule": {"math": "formula"},
    "local": {"math": "formula"},
    "chain": {"math": "chain"},
    "running": {"math": "accumulate"},
    "sumaxes": {"math": "formula"},
}


# an op node's Operation row: its fields filled in, "recorded" when it has a grad_fn
OPERATION = {"plain": "{op}", "recorded": "{op}, recorded for backward as {grad_fn}"}
# a step whose rows are these (most of them) leaves `rows` out
DEFAULT_ROWS = {"op": ["op", "result"], "edge": ["local", "chain"]}
# what a tensor's second row holds, its mark and its word (forward mode: engine/forward_mode.py)
MARKS = {"grad": "∇", "grad_word": "gradient"}


def legend() -> dict:
    """What a trace carries once for every step: the start's sentence, the rows' labels, the
    bodies of rows written as their kind alone, the rows of a step without `rows`, the
    Operation row's text, the mark of a tensor's gradient row, and the blocks' geometry."""
    return {"start": START, "rows": ROW_LABELS, "bodies": ROW_BODIES,
            "default_rows": DEFAULT_ROWS, "operation": OPERATION, "marks": MARKS,
            "blocks": BLOCKS}


def operation_text(node: dict) -> str:
    """An op node's Operation row."""
    return OPERATION["recorded" if node.get("grad_fn") else "plain"].format(
        op=node.get("op"), grad_fn=node.get("grad_fn"))


def line_of(x: dict | None) -> str:
    """The one-line text of a tensor node's value or of a step's `shown` gradient (`with_text`
    leaves it out when it is the one cell)."""
    if not x:
        return ""
    if "text" in x:
        return x["text"]
    return x["cells"][0] if x.get("cells") else ""


def with_text(out: dict, cells: list[str], text: str) -> dict:
    """`out` with its cells and, unless it is the one cell, its one-line text (a scalar's text
    is its cell: most nodes and steps of a scalar graph would write the number twice)."""
    out["cells"] = cells
    if len(cells) != 1 or cells[0] != text:
        out["text"] = text
    return out


# ------------------------------------------------------------------------------ numbers as text

def fmt(x: Number | bool | None, is_int: bool = False) -> str:
    """One number as every renderer shows it: Python's f"{x:.4g}" (values.fmt), "—" for a
    missing one, the strings "nan"/"inf"/"-inf" as they travel, an int tensor's number whole."""
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "1" if x else "0"
    x = float(x)                       # 12345 prints as 1.234e+04, as a float tensor's would
    if is_int and math.isfinite(x):
        return str(math.floor(x + 0.5))
    return values.fmt(x)


def cell_text(x: Number, is_int: bool = False) -> str:
    """A number squeezed into a table cell of CELL_CHARS characters: fewer significant digits
    (Python's `g` format), the exponent without '+' and leading zeros (-1.234e-05 → -1.23e-5)."""
    full = fmt(x, is_int)
    if len(full) <= ns.CELL_CHARS or isinstance(x, str) or x is None:
        return full
    for p in (3, 2, 1):
        t = _EXPONENT.sub(r"e\1\2", f"{float(x):.{p}g}")
        if len(t) <= ns.CELL_CHARS:
            return t
    return full


_BAR = re.compile(r"\\bar\b")       # \bar{x}: the upstream gradient's notation
_EXPONENT = re.compile(r"e\+?(-?)0*(\d)")


def value_numbers(value: dict | None) -> list[Number]:
    """The numbers a Value can show: all of them when small, else the preview."""
    if not value:
        return []
    if value.get("data") is not None:
        return _flatten(value["data"])
    return list(value.get("preview") or [])


def _flatten(data: Any) -> list[Number]:
    if not isinstance(data, list):
        return [data]
    out: list[Number] = []
    stack = [iter(data)]
    while stack:                     # iterative: a deep nesting cannot overflow the stack
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def _summary(value: dict) -> dict:
    if value.get("summary"):
        return value["summary"]
    nums = value_numbers(value)
    return {"min": nums[0], "max": nums[0], "mean": nums[0]} if len(nums) == 1 else {}


def value_text(value: dict | None, is_int: bool = False) -> str:
    """A whole Value as one line: `4`, `[1, -2, 3]`, or `(10, 50) mean 0.1 min -2 max 3`."""
    if not value:
        return ""
    data = value.get("data")
    if data is None:
        s = _summary(value)
        return (f"{ns.shape_text(value['shape'])} mean {fmt(s.get('mean'))} "
                f"min {fmt(s.get('min'))} max {fmt(s.get('max'))}")

    def walk(d: Any) -> str:
        if isinstance(d, list):
            return "[" + ", ".join(walk(v) for v in d) + "]"
        return fmt(d, is_int)
    return walk(data)


def short_text(value: dict | None) -> str:
    """A Value in a few characters: `4`, `[1, 2, 3]`, or its shape in words: `5-element
    vector`, `2×3 matrix`, `2×3×4 tensor`."""
    if not value:
        return ""
    shape = value["shape"]
    n = math.prod(shape)
    nums = value_numbers(value)
    if n == 1 and nums:
        return fmt(nums[0])
    if n <= 4 and len(shape) == 1 and len(nums) == n:
        return "[" + ", ".join(fmt(v) for v in nums) + "]"
    if len(shape) == 1:
        return f"{shape[0]}-element vector"
    return "×".join(str(d) for d in shape) + (" matrix" if len(shape) == 2 else " tensor")


def uniform(value: dict | None) -> Number | None:
    """When every element of a Value is the same number, that number; else None."""
    if not value:
        return None
    nums = value_numbers(value)
    if not nums or len(nums) != math.prod(value["shape"]):
        s = value.get("summary")
        if s and s.get("min") == s.get("max") and s.get("min") is not None:
            return s["min"]
        return None
    return nums[0] if all(v == nums[0] for v in nums) else None


def local_label(local: dict | None, rule: str | None = None, factor: str | None = None) -> str:
    """An edge's label once backward crossed it: `×4`; for an elementwise tensor of local
    derivatives that differ, their formula when short (`factor_label`: `×2·(pred - y)`), else
    `×local`; where the Jacobian is not diagonal, the rule in a few symbols (`rule_label`:
    `Xᵀ·ḡ`), never the jargon "VJP" alone."""
    if not local:
        return rule or "ḡ → input"
    if type(local["data"]) is float:
        return "×" + values.fmt(local["data"])
    u = uniform(local)
    return f"×{fmt(u)}" if u is not None else factor or "×local"


FACTOR_CHARS = 20   # an elementwise local derivative's formula longer than this: `×local`


def factor_label(formula: str) -> str | None:
    """An elementwise local derivative's plain-text formula as an edge's factor: `×2·(w * 2)`,
    `×(1 - tanh²(n))` (bracketed where a sign or space outside brackets would make `×` bind
    to its first term only); None when too long for an edge."""
    if len(formula) > FACTOR_CHARS:
        return None
    depth, loose = 0, False
    for ch in formula:
        depth += (ch in "([") - (ch in ")]")
        loose = loose or (depth == 0 and ch in " +-")
    return f"×({formula})" if loose else f"×{formula}"


# the rule of an edge whose Jacobian is not diagonal, short enough for the edge: ḡ is the upstream
# gradient (the bar row explains the notation), {a}/{b} the operands' names when short
RULE_LABELS: dict[str, tuple[str, ...]] = {
    "matmul": ("ḡ·{b}ᵀ", "{a}ᵀ·ḡ"),
    "log_softmax": ("ḡ − softmax·Σḡ",),
    "softmax": ("s⊙(ḡ − Σḡ⊙s)",),
    "nll_loss": ("−ḡ/n at targets",),
    "unsqueeze": ("ḡ, dim dropped",),
    "squeeze": ("ḡ reshaped",),
    "reshape": ("ḡ reshaped",),
    "transpose": ("ḡᵀ",),
    "cat": ("ḡ's part", "ḡ's part"),
    "stack": ("ḡ's slice", "ḡ's slice"),
    "index": ("ḡ placed, 0 elsewhere",),
    "unbind": ("ḡ placed, 0 elsewhere",),
    "cumsum": ("Σ of ḡ to the end",),
    "norm": ("ḡ·{a}/‖{a}‖",),
    "var": ("ḡ·2({a}−mean)/(N−c)",),
}
OPERAND_CHARS = 4      # an operand's name longer than this is written A or B in an edge label


# Forward mode's twin (engine/forward_mode.py): the tangent ṫ an input carries, through the rule
# that makes the output's tangent from it (d(A·B) = Ȧ·B + A·Ḃ, d(xᵀ) = ẋᵀ, ...).
TANGENT_LABELS: dict[str, tuple[str, ...]] = {
    "matmul": ("ṫ·{b}", "{a}·ṫ"),
    "log_softmax": ("ṫ − Σ softmax⊙ṫ",),
    "softmax": ("s⊙(ṫ − Σ s⊙ṫ)",),
    "nll_loss": ("−ṫ at targets / n",),
    "unsqueeze": ("ṫ, dim added",),
    "squeeze": ("ṫ reshaped",),
    "reshape": ("ṫ reshaped",),
    "transpose": ("ṫᵀ",),
    "cat": ("ṫ as its part", "ṫ as its part"),
    "stack": ("ṫ as its slice", "ṫ as its slice"),
    "index": ("ṫ's selected part",),
    "unbind": ("ṫ's slice",),
    "cumsum": ("running Σ of ṫ",),
    "norm": ("{a}·ṫ/‖{a}‖",),
    "var": ("Σ 2({a}−mean)·ṫ/(N−c)",),
}


def rule_label(op: str, index: int, a: str | None, b: str | None) -> str:
    """An edge's label where backward applies a rule rather than a local factor: `ḡ·W2ᵀ`,
    `Xᵀ·ḡ`, `ḡ reshaped`; for an op without a short form, "ḡ → <op>'s rule"."""
    return _rule_text(RULE_LABELS, "ḡ", op, index, a, b)


def tangent_rule_label(op: str, index: int, a: str | None, b: str | None) -> str:
    """Forward mode's edge label where the tangent goes through a rule: `ṫ·W2`, `ṫᵀ`."""
    return _rule_text(TANGENT_LABELS, "ṫ", op, index, a, b)


def _rule_text(table: dict[str, tuple[str, ...]], flowing: str, op: str, index: int,
               a: str | None, b: str | None) -> str:
    forms = table.get(op)
    if not forms:
        return f"{flowing} through {op}'s rule"
    form = forms[min(index, len(forms) - 1)]

    def short(name: str | None, fallback: str) -> str:
        ok = name and len(name) <= OPERAND_CHARS and name.replace("_", "").isalnum()
        return name if ok else fallback
    return form.format(a=short(a, "A"), b=short(b, "B"))


# ------------------------------------------------------------------------------------- blocks

def block(shape: list[int]) -> dict:
    """How a tensor's value (and gradient) block is drawn: `scalar` (one line), `table` (rows ×
    cols cells) or `thumb` (a heat map of rows × cols cells); its size is `block_size`."""
    if len(shape) == 0 or (len(shape) == 1 and shape[0] == 1):
        return {"kind": "scalar"}
    table = ns.table_shape(shape)
    if table is not None:
        rows, cols = table
        return {"kind": "table", "rows": rows, "cols": cols}
    n = math.prod(shape)
    if len(shape) >= 2:
        cols = shape[-1]
    else:
        cols = max(1, min(n, math.ceil(math.sqrt(n * ns.THUMB_W / ns.THUMB_H))))
    cols = max(1, min(cols, MAX_CELLS))
    rows = max(1, min(math.ceil(n / cols), MAX_CELLS // cols))
    return {"kind": "thumb", "rows": rows, "cols": cols}


# blocks' geometry, px (sent once per trace; engine/node_size.py is its one source)
BLOCKS = ns.geometry()


def block_size(blk: dict) -> tuple[float, float]:
    """Width and height of a block, px (static/js/blocks.js `blockSize`)."""
    if blk["kind"] == "scalar":
        return BLOCKS["scalar_w"], BLOCKS["line"]
    if blk["kind"] == "table":
        return blk["cols"] * BLOCKS["cell_w"], blk["rows"] * BLOCKS["line"]
    return BLOCKS["thumb_w"], BLOCKS["thumb_h"]
MAX_CELLS = 1024               # heat-map cells per block


def cells(value: dict | None, blk: dict, is_int: bool = False) -> list[str]:
    """The texts of a block's cells (none for a heat map: it paints the numbers as colours)."""
    if not value or blk["kind"] == "thumb":
        return []
    room = 1 if blk["kind"] == "scalar" else blk["rows"] * blk["cols"]
    return [cell_text(x, is_int) for x in value_numbers(value)[:room]]


# ---------------------------------------------------------------------------- the trace's list

def decorate_nodes(nodes: list[dict]) -> None:
    """Write each tensor node's display list: its block, cells and text."""
    for n in nodes:
        if n["kind"] == "tensor":
            blk = block(n["shape"])
            is_int = n["dtype"] == "int"
            n["block"] = blk
            with_text(n, cells(n["value"], blk, is_int), value_text(n["value"], is_int))


class StepTexts:
    """Writes each step's display list as the timeline makes it, so the answer budget charges
    the step with its texts. `graph` names the nodes (labels, names, shapes); `value_of` is the
    timeline's Value maker (one Value per array: a forward step's value is its output node's
    value when the two are the same array, and the Result row then names the node)."""

    def __init__(self, graph: Any, value_of: Any) -> None:
        self.g = graph
        self.value_of = value_of
        self._tensors: dict[str, Any] | None = None
        self._blocks: dict[str, dict] = {}

    def tensor(self, nid: str) -> Any:
        if self._tensors is None:
            self._tensors = {self.g.tid(t): t for t in self.g.tensors}
        return self._tensors.get(nid)

    def block(self, nid: str) -> dict | None:
        blk = self._blocks.get(nid)
        if blk is None:
            t = self.tensor(nid)
            if t is None:
                return None
            blk = self._blocks[nid] = block(list(t.shape))
        return blk

    def write(self, s: dict) -> None:
        kind = s["kind"]
        rows: list = []
        if kind == "op":
            t = self.tensor(s["output"])
            same = t is not None and self.value_of(t.data) is s["value"]
            rows.append("op")
            rows.append("result" if same else ["result", value_text(s["value"])])
        elif kind == "seed":
            s["shown"] = self._shown(s["grad"], s["root"])
            rows.append("seed")
            if s["gradient_given"]:
                rows.append(["given", value_text(s["grad"])])
            else:
                name = self.g.labels.get(s["root"], "the output")
                rows.append(["why1", f"{name} has numel = {s['numel']}: one number, and a "
                                     "number's derivative with respect to itself is 1"])
        elif kind == "edge":
            self._edge(s, rows)
        elif kind == "product":
            self._product(s, rows)
        elif kind == "hook":
            if s.get("result") is not None:
                s["shown"] = self._shown(s["result"], s["node"])
            rows.append(["received", value_text(s["grad"])])
            rows.append(["returned", value_text(s["result"]) if s.get("result") is not None
                         else "None: the gradient flows on unchanged"])
        key = self._key(s)
        if key:
            rows.append(["key", key])
        if self._uses_bar(s.get("formula")) or self._uses_bar(s.get("chain")):
            rows.append(["bar", None])
        if rows != DEFAULT_ROWS.get(kind, []):
            s["rows"] = rows

    def _key(self, s: dict) -> str | None:
        """The colour key of the heat map this step paints (an op's result, or the gradient
        an edge brings to its input), when that node's block is a heat map."""
        nid, value = ((s["output"], s.get("value")) if s["kind"] == "op" else
                      (s["to"], s.get("grad")) if s["kind"] == "edge" else (None, None))
        blk = self.block(nid) if nid is not None else None
        if blk is None or blk["kind"] != "thumb":
            return None
        name = self.g.labels.get(nid, "this tensor")
        return heat_key(value, name if s["kind"] == "op" else f"the gradient at {name}")

    @staticmethod
    def _uses_bar(f: dict | None) -> bool:
        return f is not None and "\\bar" in f["latex"] and _BAR.search(f["latex"]) is not None

    def _shown(self, value: dict, nid: str) -> dict:
        """A gradient as a backward step shows it at its node: block cells and one line."""
        x = value["data"]
        if type(x) is float:           # one number (most steps of a scalar graph): fast path
            text = values.fmt(x)
            cell = text if len(text) <= ns.CELL_CHARS else cell_text(x)
            return {"cells": [cell]} if cell == text else {"cells": [cell], "text": text}
        blk = self.block(nid)
        return with_text({}, cells(value, blk) if blk else [], value_text(value))

    def _product(self, s: dict, rows: list) -> None:
        """The product step before a broadcast input's sum: the edge's rule and numbers."""
        s["label"] = local_label(s.get("local"), s.pop("_rule_label", None),
                                 s.pop("_factor_label", None))
        self._rule_rows(s, rows)

    def _rule_rows(self, s: dict, rows: list) -> None:
        formula, chain = s.get("formula"), s.get("chain")
        if chain and formula and chain.get("latex") == formula.get("latex"):
            rows.append("rule")
        else:
            rows.append("local")
            rows.append("chain")
        numbers = s.pop("_numbers", None)
        if numbers:
            rows.append(["numbers", {"mats": numbers}])

    def _edge(self, s: dict, rows: list) -> None:
        s["shown"] = self._shown(s["grad"], s["to"])
        s["label"] = local_label(s.get("local"), s.pop("_rule_label", None),
                                 s.pop("_factor_label", None))
        unbroadcast = s.pop("_unbroadcast", None)
        if s.get("reduced_axes"):
            # the sum step (its product step came just before): the sum, then its numbers
            axes = ", ".join(str(a) for a in s["reduced_axes"])
            shapes = (f"{ns.shape_text(s['product']['shape'])} → "
                      f"{ns.shape_text(s['contribution']['shape'])}")
            rows.append("sumaxes")
            rows.append(["broadcast", f"sum over dim {axes} (broadcast in the forward pass): "
                                      f"{shapes}"])
            if unbroadcast:
                rows.append(["unbroadcast", {"mats": unbroadcast}])
        else:
            self._rule_rows(s, rows)
        if s["expected"] > 1:
            s["chip"] = short_text(s["contribution"])
            rows.append(["paths", {"sum": short_text(s["grad"]) +
                                   ("" if s["complete"] else " so far")}])
        # the chips already show a sum of single numbers: its formula only for tensors
        if s.get("accumulate") and math.prod(s["contribution"]["shape"]) > 1:
            rows.append("running")
        if s.get("leaf_grad_before"):
            rows.append(["leafgrad", f"was {short_text(s['leaf_grad_before'])}, "
                                     f"now {short_text(s.get('leaf_grad'))}"])
        to = self.tensor(s["to"])
        if s["complete"] and s.get("leaf_grad") and to is not None and to.name:
            lg = s["leaf_grad"]
            s["note"] = (f"{to.name}.grad = {short_text(lg)}." if math.prod(lg["shape"]) <= 4
                         else f"{to.name}.grad now holds this {ns.shape_text(lg['shape'])} "
                              "tensor.")


def heat_key(value: dict | None, what: str) -> str | None:
    """A heat map's colour key in words, with its scale: the renderers colour a cell teal
    (positive) or magenta (negative), stronger as |value| nears the largest |value| painted.
    Min and max are the whole tensor's (its summary) when the Value has one."""
    nums = [x for x in value_numbers(value) if isinstance(x, int | float)]
    if not value or not nums:
        return None
    summary = value.get("summary") or {}
    lo = summary.get("min") if isinstance(summary.get("min"), int | float) else min(nums)
    hi = summary.get("max") if isinstance(summary.get("max"), int | float) else max(nums)
    top = max(abs(min(nums)), abs(max(nums)))
    partial = summary.get("numel", len(nums)) > len(nums)
    scale = "the largest |value| painted" if partial else "|value|"
    return (f"{what}: teal is positive, magenta negative; the colour is full at {scale} = "
            f"{values.fmt(top)} and fades toward 0. Min {values.fmt(lo)}, max {values.fmt(hi)}.")


# ------------------------------------------------------------------- a tensor edge, with numbers

MAT_ROWS, MAT_COLS = 4, 5      # a matrix in a caption row: its top-left corner, then ⋯ and ⋮
MORE_COLS, MORE_ROWS = "⋯", "⋮"


def matrix(arr: Any, label: str) -> dict:
    """A small matrix as a caption row paints it: its label, its shape, and the cells of its
    top-left MAT_ROWS × MAT_COLS corner (a 1-D tensor is one row; more dimensions are flattened
    into rows, the last one kept), with "⋯" / "⋮" cells where rows or columns are left out."""
    a = np.asarray(arr, dtype=float)
    shape = list(a.shape)
    grid = a.reshape(1, -1) if a.ndim <= 1 else a.reshape(-1, a.shape[-1])
    n_rows, n_cols = grid.shape
    rows = [[cell_text(_plain(x)) for x in grid[r, :MAT_COLS]] +
            ([MORE_COLS] if n_cols > MAT_COLS else []) for r in range(min(n_rows, MAT_ROWS))]
    if n_rows > MAT_ROWS:
        rows.append([MORE_ROWS] * len(rows[0]))
    return {"label": label, "shape": ns.shape_text(shape), "rows": rows}


def _plain(x: float) -> Number:
    """A float as a Value carries it (non-finite numbers travel as strings)."""
    if math.isfinite(x):
        return float(x)
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def mats_text(items: list) -> str:
    """A `mats` row body as one line of plain text (the SVG caption, the renderers' test):
    operators as they are, each matrix as `label (shape) [a b; c d]`."""
    out = []
    for it in items:
        if isinstance(it, str):
            out.append(it)
        else:
            body = "; ".join(" ".join(r) for r in it["rows"])
            out.append(f"{it['label']} {it['shape']} [{body}]")
    return " ".join(out)
