"""Numbers as the page prints them: a Python twin of static/js/format.js and blocks.js `cellText`.

Exports (the SVG export, the CLI) must print exactly the strings the page shows, so the
acceptance test can compare them as text. tests/browser/test_svg_export_page.py runs both sides
on the same numbers. Values are trace Values (docs/trace-format.md): non-finite numbers are strings.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from chainrule.engine import values
from chainrule.engine.node_size import (  # blocks.js M.CELL_CHARS; format.js shapeText
    CELL_CHARS,
    shape_text,
)

Number = float | int | str


def fmt(x: Number | bool | None, is_int: bool = False) -> str:
    """One number as format.js `fmt` writes it (Python's f"{x:.4g}"; "—" for a missing one)."""
    if x is None:
        return "—"
    if isinstance(x, str):              # "nan", "inf", "-inf" travel as strings
        return x
    if isinstance(x, bool):
        return "1" if x else "0"
    x = float(x)          # the page prints 12345 as 1.234e+04: never engine's whole-int form
    if is_int and math.isfinite(x):
        return str(math.floor(x + 0.5))     # JS Math.round: halves go up
    return values.fmt(x)


def _to_precision(x: float, p: int) -> str:
    """JS Number.prototype.toPrecision(p) for a finite x: exact ties round away from zero, and
    exponential form when the exponent is below -6 or at least p."""
    if x == 0:
        return "0" if p == 1 else "0." + "0" * (p - 1)
    with localcontext() as ctx:
        ctx.prec = 1100                          # a double has at most ~770 digits: all exact
        d = Decimal(x)
        sign = "-" if d < 0 else ""
        d = abs(d)
        e = d.adjusted()
        step = Decimal(1).scaleb(1 - p)
        q = d.scaleb(-e).quantize(step, rounding=ROUND_HALF_UP)
        if q >= 10:                              # 9.99 → 10.0: one more digit of exponent
            e += 1
            q = (q / 10).quantize(step, rounding=ROUND_HALF_UP)
    digits = str(q).replace(".", "")             # p significant digits
    if e < -6 or e >= p:
        mant = digits[0] + ("." + digits[1:] if p > 1 else "")
        return f"{sign}{mant}e{'+' if e >= 0 else '-'}{abs(e)}"
    if e >= 0:
        whole, frac = digits[:e + 1], digits[e + 1:]
        return sign + whole + ("." + frac if frac else "")
    return sign + "0." + "0" * (-e - 1) + digits


def cell_text(x: Number, is_int: bool = False) -> str:
    """A number squeezed into a table cell of CELL_CHARS characters, as blocks.js `cellText`."""
    full = fmt(x, is_int)
    if len(full) <= CELL_CHARS or isinstance(x, str) or x is None:
        return full
    for p in (3, 2, 1):
        t = _to_precision(float(x), p)
        if "e" in t:
            t = _strip_before_e(t).replace("e+", "e")
        if len(t) <= CELL_CHARS:
            return t
    return full


def _strip_before_e(t: str) -> str:
    """JS `t.replace(/\\.?0+e/, "e")`: the first run of zeros (and a dot) right before the e."""
    k = t.find("e")
    j = k
    while j > 0 and t[j - 1] == "0":
        j -= 1
    if j == k:
        return t
    if j > 0 and t[j - 1] == ".":
        j -= 1
    return t[:j] + t[k:]


def numel(shape: list[int]) -> int:
    return math.prod(shape)


def flatten(data: Any) -> list[Number]:
    """Every number of a nested list, row-major."""
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


def value_numbers(value: dict | None) -> list[Number]:
    """The numbers a Value can show: all of them when small, else the preview."""
    if not value:
        return []
    if value.get("data") is not None:
        return flatten(value["data"])
    return list(value.get("preview") or [])


def value_text(value: dict | None, is_int: bool = False) -> str:
    """A whole Value as one line: `4`, `[1, -2, 3]`, or `(10, 50) mean 0.1 min -2 max 3`."""
    if not value:
        return ""
    data = value.get("data")
    if data is None:
        s = value.get("summary") or {}
        return (f"{shape_text(value['shape'])} mean {fmt(s.get('mean'))} "
                f"min {fmt(s.get('min'))} max {fmt(s.get('max'))}")

    def walk(d: Any) -> str:
        if isinstance(d, list):
            return "[" + ", ".join(walk(v) for v in d) + "]"
        return fmt(d, is_int)
    return walk(data)


def short_text(value: dict | None, is_int: bool = False) -> str:
    """A Value in a few characters: `4`, `[1, 2, 3]`, or its shape in words: `5-element vector`,
    `2×3 matrix`, `2×3×4 tensor`."""
    if not value:
        return ""
    shape = value["shape"]
    n = numel(shape)
    nums = value_numbers(value)
    if n == 1 and nums:
        return fmt(nums[0], is_int)
    if n <= 4 and len(shape) == 1 and len(nums) == n:
        return "[" + ", ".join(fmt(v, is_int) for v in nums) + "]"
    if len(shape) == 1:
        return f"{shape[0]}-element vector"
    return "×".join(str(d) for d in shape) + (" matrix" if len(shape) == 2 else " tensor")


def uniform(value: dict | None) -> Number | None:
    """When every element of a Value is the same number, that number; else None."""
    if not value:
        return None
    nums = value_numbers(value)
    if not nums or len(nums) != numel(value["shape"]):
        s = value.get("summary")
        if s and s.get("min") == s.get("max") and s.get("min") is not None:
            return s["min"]
        return None
    return nums[0] if all(v == nums[0] for v in nums) else None


def local_label(step: dict) -> str:
    """An edge's label once backward crossed it (graph.js `localLabel`): `×4`, `×local` for an
    elementwise tensor of local derivatives, `VJP` where the Jacobian is not diagonal."""
    if not step.get("local"):
        return "VJP"
    u = uniform(step["local"])
    return f"×{fmt(u)}" if u is not None else "×local"
