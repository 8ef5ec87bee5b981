"""Text for `print(...)`: tensors, sizes and plain values the way PyTorch and Python show them.

`tensor_repr` is a port of PyTorch's `torch/_tensor_str.py` for dense CPU tensors with the
default print options (precision 4, line width 80, summarise above 1,000 elements, 3 edge items),
so `print(x)` reads `tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]], requires_grad=True)`
exactly as a learner would see it in PyTorch. Our floats are float64 but shown as PyTorch shows
its default dtype: no `dtype=` suffix. Integer tensors are int64, PyTorch's default for integers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

PRECISION = 4
LINEWIDTH = 80
THRESHOLD = 1000
EDGEITEMS = 3
# Above this many elements even after summarising (many small dimensions), show only the size.
MAX_FORMATTED = 20_000


class _Formatter:
    """Chooses one width and one style (integer-valued, fixed or scientific) for all elements."""

    def __init__(self, arr: np.ndarray) -> None:
        self.floating = arr.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = arr.reshape(-1)
        if not self.floating:
            if flat.size:
                self.max_width = max(len(str(int(v))) for v in (flat.min(), flat.max()))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals)
        lo, hi = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{PRECISION}e}") for v in vals.tolist())
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in vals.tolist())
        else:
            self.max_width = max(len(f"{v:.{PRECISION}f}") for v in vals.tolist())

    def format(self, value: Any) -> str:
        if self.floating:
            v = float(value)
            if self.sci_mode:
                text = f"{v:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                text = f"{v:.{PRECISION}f}"
        else:
            text = str(int(value))
        return " " * (self.max_width - len(text)) + text


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The edge items PyTorch formats when a tensor is summarised (first and last 3 per axis)."""
    for axis, n in enumerate(arr.shape):
        if n > 2 * EDGEITEMS:
            idx = list(range(EDGEITEMS)) + list(range(n - EDGEITEMS, n))
            arr = np.take(arr, idx, axis=axis)
    return arr


def _vector(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, math.floor((LINEWIDTH - indent) / (fmt.max_width + 2)))
    vals = arr.tolist()
    if summarize and len(vals) > 2 * EDGEITEMS:
        data = ([fmt.format(v) for v in vals[:EDGEITEMS]] + [" ..."]
                + [fmt.format(v) for v in vals[-EDGEITEMS:]])
    else:
        data = [fmt.format(v) for v in vals]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        slices = ([_nested(arr[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)]
                  + ["..."]
                  + [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)])
    else:
        slices = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def array_str(arr: np.ndarray, indent: int = 7) -> str:
    """The bracketed contents PyTorch prints for a non-empty array, indented after `tensor(`."""
    summarize = arr.size > THRESHOLD
    shown = _summarized(arr) if summarize else arr
    fmt = _Formatter(shown)
    return _nested(arr, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def dtype_name(arr: np.ndarray) -> str:
    return "torch.float32" if arr.dtype.kind == "f" else "torch.int64"


def tensor_repr(t: Any) -> str:
    """`str(t)` for a chainrule Tensor, as PyTorch prints it."""
    arr: np.ndarray = t.data
    prefix = "tensor("
    indent = len(prefix)
    suffixes: list[str] = []
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if arr.dtype.kind != "f":
            suffixes.append(f"dtype={dtype_name(arr)}")
        body = "[]"
    elif _summarized(arr).size > MAX_FORMATTED:
        body = "[...]"
        suffixes.append(f"size={tuple(arr.shape)}")
    else:
        body = array_str(arr, indent)
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def size_repr(shape: tuple[int, ...]) -> str:
    return "torch.Size([" + ", ".join(str(int(n)) for n in shape) + "])"


def value_text(value: Any, top: bool = True) -> str:
    """What `print(value)` writes for one argument (`str`), or inside a list (`repr`)."""
    from engine.tensor import Tensor

    if isinstance(value, Tensor):
        return tensor_repr(value)
    if isinstance(value, str):
        return value if top else repr(value)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v, top=False) for v in value) + "]"
    if isinstance(value, tuple) and type(value) is tuple:
        inner = ", ".join(value_text(v, top=False) for v in value)
        return "(" + inner + ("," if len(value) == 1 else "") + ")"
    return repr(value)
