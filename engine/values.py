"""Tensor numbers as JSON-ready `Value` dicts: full data up to a limit, else a summary (and a
preview). A one-element Value has no `summary`: its min, max and mean are its one number.

JSON has no NaN or infinity, so non-finite numbers travel as the strings "nan", "inf", "-inf",
and the Value says `"nonfinite": true`; a finite Value leaves the field out (it was written
`false` ~20,000 times in a 2,400-node chain's trace, 0.25 MB).
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

PREVIEW_ELEMENTS = 1024
# How many numbers a preview carries while a trace is built (engine/trace.py narrows it for a
# training loop's trace: engine/training.py TRAINING_PREVIEW_ELEMENTS).
_preview_elements = contextvars.ContextVar("preview_elements", default=PREVIEW_ELEMENTS)


@contextmanager
def previews_of(n: int) -> Iterator[None]:
    """Values made inside preview at most `n` numbers of a tensor too big to send whole."""
    token = _preview_elements.set(min(n, PREVIEW_ELEMENTS))
    try:
        yield
    finally:
        _preview_elements.reset(token)


def number(x: float | int) -> float | int | str:
    """One JSON-safe number."""
    if isinstance(x, int | np.integer):
        return int(x)
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _listed(arr: np.ndarray, finite: bool = True) -> Any:
    if not finite:
        return np.vectorize(number, otypes=[object])(arr).tolist() if arr.ndim else number(arr)
    return arr.tolist()


def _all_finite(arr: np.ndarray) -> bool:
    return arr.dtype.kind != "f" or bool(np.isfinite(arr).all())


def summary(arr: np.ndarray) -> dict:
    if arr.size == 0:
        return {"numel": 0, "min": None, "max": None, "mean": None}
    # np.min / np.max / np.mean minus their Python-level wrappers: the same reductions, the
    # same summation order, the same division (a trace summarises thousands of values).
    with np.errstate(all="ignore"):
        if arr.dtype not in _PLAIN:   # float16/32 means take NumPy's own detours
            return {"numel": int(arr.size), "min": number(np.min(arr)),
                    "max": number(np.max(arr)), "mean": number(np.mean(arr))}
        total = np.add.reduce(arr, axis=None, dtype=np.float64)
        return {"numel": int(arr.size), "min": number(np.minimum.reduce(arr, axis=None)),
                "max": number(np.maximum.reduce(arr, axis=None)),
                "mean": number(total.dtype.type(total / arr.size))}


_PLAIN = (np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_))


def value(arr: Any, limit: int = 64) -> dict:
    """A tensor's numbers ready for the page: `data` full when small, `summary` unless the
    one number in `data` says it all."""
    arr = np.asarray(arr)
    if arr.size == 1 and limit >= 1 and arr.dtype.kind in "fi":
        return _one(arr)
    finite = _all_finite(arr)
    out: dict[str, Any] = {"shape": list(arr.shape), "summary": summary(arr)}
    if not finite:
        out["nonfinite"] = True
    if arr.size <= limit:
        out["data"] = _listed(arr, finite)
    else:
        out["data"] = None
        head = arr.reshape(-1)[:_preview_elements.get()]
        out["preview"] = _listed(head, finite or _all_finite(head))
    return out


def _one(arr: np.ndarray) -> dict:
    """`value` of a one-element float or int array, without NumPy reductions and without a
    `summary`: min, max and mean of one number are that number (static/js/format.js
    `summaryOf`). Most Values of a scalar graph are one number; the summary wrote it three more
    times (~100 bytes a Value, ~1.4 MB of the 3,000-node trace)."""
    x = arr.reshape(()).item()
    if arr.dtype.kind == "f":
        finite = math.isfinite(x)
        shown = x if finite else number(x)
    else:
        finite, shown = True, x
    data: Any = shown
    for _ in range(arr.ndim):
        data = [data]
    return {"shape": list(arr.shape), "data": data} if finite else \
        {"shape": list(arr.shape), "nonfinite": True, "data": data}


def flags(*arrays: Any) -> list[str]:
    """'nan' / 'inf' when any of the arrays holds them."""
    found: list[str] = []
    for arr in arrays:
        if arr is None:
            continue
        a = np.asarray(arr)
        if a.dtype.kind != "f":
            continue
        if a.size == 1:   # most nodes of a scalar graph: no NumPy reductions
            x = a.reshape(()).item()
            if x != x and "nan" not in found:
                found.append("nan")
            elif x in (math.inf, -math.inf) and "inf" not in found:
                found.append("inf")
            continue
        if "nan" not in found and np.isnan(a).any():
            found.append("nan")
        if "inf" not in found and np.isinf(a).any():
            found.append("inf")
    return found


def short(arr: Any) -> str:
    """A tensor in a few characters for narration: `4`, `-0.3133`, `[1, 2, 3]`, or its shape in
    words (`shape_words`)."""
    a = np.asarray(arr)
    if a.size == 1:
        return fmt(a.reshape(()).item())
    if a.size <= 4 and a.ndim == 1:
        return "[" + ", ".join(fmt(v) for v in a.tolist()) + "]"
    return shape_words(a.shape)


def shape_words(shape: tuple[int, ...]) -> str:
    """A tensor too big to print, named by its shape in words: "a 5-element vector",
    "a 2×3 matrix", "a tensor of shape (2, 3, 4)" (never "a 5 tensor")."""
    if len(shape) == 1:
        return f"a {shape[0]:,}-element vector"
    if len(shape) == 2:
        return f"a {shape[0]:,}×{shape[1]:,} matrix"
    return "a tensor of shape (" + ", ".join(str(n) for n in shape) + ")"


def fmt(x: float | int) -> str:
    """4 significant digits, no trailing noise: 4, 0.25, -1.333, 1.2e+05, nan."""
    if isinstance(x, int | np.integer):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.4g}"
    return "0" if text == "-0" else text
