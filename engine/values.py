"""Tensor numbers as JSON-ready `Value` dicts: full data up to a limit, a summary always.

JSON has no NaN or infinity, so non-finite numbers travel as the strings "nan", "inf", "-inf".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

PREVIEW_ELEMENTS = 1024


def number(x: float | int) -> float | int | str:
    """One JSON-safe number."""
    if isinstance(x, int | np.integer):
        return int(x)
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _listed(arr: np.ndarray) -> Any:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        return np.vectorize(number, otypes=[object])(arr).tolist() if arr.ndim else number(arr)
    return arr.tolist()


def summary(arr: np.ndarray) -> dict:
    if arr.size == 0:
        return {"numel": 0, "min": None, "max": None, "mean": None}
    with np.errstate(all="ignore"):
        return {"numel": int(arr.size), "min": number(np.min(arr)), "max": number(np.max(arr)),
                "mean": number(np.mean(arr))}


def value(arr: Any, limit: int = 64) -> dict:
    """A tensor's numbers ready for the page: `data` full when small, `summary` always."""
    arr = np.asarray(arr)
    out: dict[str, Any] = {"shape": list(arr.shape), "summary": summary(arr),
                           "nonfinite": bool(arr.dtype.kind == "f" and not np.isfinite(arr).all())}
    if arr.size <= limit:
        out["data"] = _listed(arr)
    else:
        out["data"] = None
        out["preview"] = _listed(arr.reshape(-1)[:PREVIEW_ELEMENTS])
    return out


def flags(*arrays: Any) -> list[str]:
    """'nan' / 'inf' when any of the arrays holds them."""
    found: list[str] = []
    for arr in arrays:
        if arr is None:
            continue
        a = np.asarray(arr)
        if a.dtype.kind != "f":
            continue
        if "nan" not in found and np.isnan(a).any():
            found.append("nan")
        if "inf" not in found and np.isinf(a).any():
            found.append("inf")
    return found


def short(arr: Any) -> str:
    """A tensor in a few characters for narration: `4`, `-0.3133`, `[1, 2, 3]`, `(10, 5) tensor`."""
    a = np.asarray(arr)
    if a.size == 1:
        return fmt(a.reshape(()).item())
    if a.size <= 4 and a.ndim == 1:
        return "[" + ", ".join(fmt(v) for v in a.tolist()) + "]"
    return "a " + "×".join(str(n) for n in a.shape) + " tensor"


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
