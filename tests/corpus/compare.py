"""Compare what chainrule did with a snippet against what PyTorch did: the differences, in words.

PyTorch computes in float32, chainrule's engine in float64, so numbers match within rtol 1e-4,
atol 1e-6. Printed lines match exactly except that numbers are compared as numbers (1e-4
relative, or one unit in the 4th or later printed decimal: float32 and float64 may round a
printed `0.33335` differently; the same count of decimals where either shows at most 8, so `1.`
never passes for `1.0000`) and object addresses (`0x7f...`) are masked. A snippet marked random
draws numbers PyTorch and chainrule cannot agree on (no shared generator): there only shapes,
requires_grad, whether a grad exists, and the printed text with every number and all spacing
masked (PyTorch pads columns to the widest number) are compared.
"""

from __future__ import annotations

import math
import re

import numpy as np

RTOL, ATOL = 1e-4, 1e-6
PRINT_RTOL = 1e-4
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def differences(torch_run: dict, chainrule_run: dict, random: bool = False) -> list[str]:
    """Every way chainrule's run differs from PyTorch's, most telling first; [] when they match."""
    if "refused" in chainrule_run:
        return [f"refused: {chainrule_run['refused']}"]
    if "crash" in chainrule_run:
        return [f"engine raised {chainrule_run['crash']}"]
    out = _error_difference(torch_run["error"], chainrule_run["error"])
    out += _stdout_differences(torch_run["stdout"], chainrule_run["stdout"], random)
    out += _variable_differences(torch_run["variables"], chainrule_run["variables"], random)
    return out


def _error_difference(t_err: dict | None, c_err: dict | None) -> list[str]:
    if t_err is None and c_err is None:
        return []
    if c_err is None:
        return [f"torch raised {t_err['type']}: {_first_line(t_err['message'])!r}; "
                f"chainrule ran on"]
    if t_err is None:
        return [f"chainrule stopped ({c_err.get('kind')}): {_first_line(c_err['message'])!r}; "
                f"torch ran on"]
    wanted = _first_line(t_err["message"])
    if wanted not in c_err["message"]:
        return [f"error text: torch {t_err['type']} {wanted!r}, chainrule "
                f"{_first_line(c_err['message'])!r}"]
    return []


def _first_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[0] if lines else ""


def _stdout_differences(t_out: str, c_out: str, random: bool) -> list[str]:
    t_lines, c_lines = t_out.splitlines(), c_out.splitlines()
    for i, (t, c) in enumerate(zip(t_lines, c_lines, strict=False)):
        if not same_line(t, c, random):
            return [f"stdout line {i + 1}: torch {t!r}, chainrule {c!r}"]
    if len(t_lines) != len(c_lines):
        i = min(len(t_lines), len(c_lines))
        extra = t_lines[i] if len(t_lines) > i else c_lines[i]
        return [f"stdout: torch printed {len(t_lines)} lines, chainrule {len(c_lines)} "
                f"(first unmatched: {extra!r})"]
    return []


def same_line(t: str, c: str, random: bool = False) -> bool:
    t, c = ADDRESS.sub("0x?", t), ADDRESS.sub("0x?", c)
    if random:
        return _masked(t) == _masked(c)
    t_text, c_text = NUMBER.split(t), NUMBER.split(c)
    if t_text != c_text:
        return False
    return all(_same_number(a, b) for a, b in zip(NUMBER.findall(t), NUMBER.findall(c),
                                                   strict=True))


def _masked(line: str) -> str:
    return "".join(NUMBER.sub("#", line).split())


def _decimals(token: str) -> int:
    mantissa = re.split(r"[eE]", token)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else -1


def _same_number(a: str, b: str) -> bool:
    if a == b:
        return True
    da, db = _decimals(a), _decimals(b)
    if min(da, db) <= 8 and da != db:
        return False
    if ("e" in a.lower()) != ("e" in b.lower()):
        return False
    x, y = float(a), float(b)
    last_place = 10.0 ** -min(da, db) if min(da, db) >= 4 and "e" not in a.lower() else 0.0
    return math.isclose(x, y, rel_tol=PRINT_RTOL, abs_tol=max(1e-12, last_place * 1.0001))


def _variable_differences(t_vars: dict, c_vars: dict, random: bool) -> list[str]:
    out = []
    for name, t in t_vars.items():
        c = c_vars.get(name)
        if c is None:
            out.append(f"variable {name}: chainrule has no tensor of that name "
                       f"(torch: shape {t['shape']})")
            continue
        if list(c["shape"]) != t["shape"]:
            out.append(f"variable {name}: shape {c['shape']}, torch {t['shape']}")
            continue
        if bool(c["requires_grad"]) != t["requires_grad"]:
            out.append(f"variable {name}: requires_grad={c['requires_grad']}, "
                       f"torch {t['requires_grad']}")
        if not random and c["data"] is not None and t["values"] is not None \
                and not _close(c["data"], t["values"]):
            out.append(f"variable {name}: values {_preview(c['data'])}, "
                       f"torch {_preview(t['values'])}")
        c_grad = c.get("grad")
        if t["has_grad"] != (c_grad is not None):
            out.append(f"variable {name}: grad {'present' if c_grad is not None else 'None'}, "
                       f"torch {'present' if t['has_grad'] else 'None'}")
        elif not random and t["grad"] is not None and isinstance(c_grad, list | int | float) \
                and not _close(c_grad, t["grad"]):
            out.append(f"variable {name}: grad {_preview(c_grad)}, torch {_preview(t['grad'])}")
    return out


def _numbers(data) -> np.ndarray:
    """A Value's nested list (non-finite numbers as strings) or a flat list, as float64."""
    def conv(x):
        if isinstance(x, str):
            return float(x)   # "nan", "inf", "-inf"
        return float(x)
    flat = np.asarray(data, dtype=object).reshape(-1)
    return np.array([conv(x) for x in flat], dtype=np.float64)


def _close(c_data, t_values) -> bool:
    c, t = _numbers(c_data), _numbers(t_values)
    return c.shape == t.shape and bool(np.allclose(c, t, rtol=RTOL, atol=ATOL, equal_nan=True))


def _preview(data, limit: int = 6) -> str:
    flat = _numbers(data)
    shown = ", ".join(f"{x:.6g}" for x in flat[:limit])
    return f"[{shown}{', ...' if flat.size > limit else ''}]"
