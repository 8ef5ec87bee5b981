"""The update step of one training iteration, with its numbers (issue #13): for each parameter
`w ← w − lr·∇w` written out on a few of its entries, so the learner sees the gradient become a
change — with the optimizer's state when it has one (the momentum buffer b; Adam's m, v and
the bias-corrected m̂, v̂).

Two sources, one shape of answer:
- an `optimizer_step` event (engine/nn/optim.py): per parameter its value before, gradient,
  value after, the state before and after, and the parameter group's settings;
- `manual_update` events (engine/inplace.py): a parameter changed in place under no_grad, as
  the polynomial tutorials do (`a -= learning_rate * a.grad`).

Each parameter's `worked` rows hold the formula of each line with numbers in it: a line is a
list of tokens, a string printed as it is or a number the page formats (static/js/training.js);
`values` names the same numbers, for tests and for anything else that reads the trace. The
numbers are the engine's own (before, gradient, state, after); only m̂ and v̂ are derived here,
as PyTorch derives them inside its step.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
from chainrule.engine.training_names import parameter_label
from chainrule.engine.values import number, value

WORKED = 3   # entries of each parameter written out with their numbers
_STATE_NAMES = {"momentum_buffer": "b", "exp_avg": "m", "exp_avg_sq": "v",
                "max_exp_avg_sq": "v_max", "square_avg": "s", "sum": "G", "grad_avg": "g_avg"}
RULES = {
    "SGD": "w ← w − lr·∇w",
    "SGD+momentum": "b ← μ·b + (1−τ)·∇w;  w ← w − lr·b",
    "Adam": "m ← β₁·m + (1−β₁)·∇w;  v ← β₂·v + (1−β₂)·∇w²;  "
            "w ← w − lr·m̂ / (√v̂ + ε),  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)",
    "RMSprop": "s ← α·s + (1−α)·∇w²;  w ← w − lr·∇w / (√s + ε)",
    "Adagrad": "G ← G + ∇w²;  w ← w − lr·∇w / (√G + ε)",
}


def optimizer_update(event: dict, tensor_ids: dict[int, str], labels: dict[str, str],
                     limit: int, names: dict[int, str]) -> dict:
    kind = event["optimizer"]
    params = []
    for change in event["params"]:
        p = change["param"]
        node = tensor_ids.get(p.id)
        state = change["state"]
        entry = _entry(node, parameter_label(p, names) or labels.get(node) or "w",
                       float(change["lr"]), change["before"], change["grad"], change["after"],
                       limit)
        entry["state"] = {_STATE_NAMES.get(k, k): value(np.asarray(v, dtype=np.float64), limit)
                          for k, v in state.items() if isinstance(v, np.ndarray)}
        if "step" in state:
            entry["t"] = int(state["step"])
        entry["worked"] = [_worked(kind, change, i) for i in _shown(change["before"])]
        params.append(entry)
    rule = kind if kind in RULES else "SGD"
    if kind == "AdamW":
        rule = "Adam"
    if kind == "SGD" and any("b" in e["state"] for e in params):
        rule = "SGD+momentum"
    return {"optimizer": kind, "rule": RULES[rule], "params": params,
            "settings": _settings(event)}


def manual_update(events: list[dict], tensor_ids: dict[int, str], labels: dict[str, str],
                  limit: int, names: dict[int, str], source: str) -> dict | None:
    """The picked iteration's hand-written updates, one per parameter (its first)."""
    seen: set[int] = set()
    params = []
    lines = source.splitlines()
    for ev in events:
        p = ev["param"]
        if id(p) in seen or ev["grad"] is None:
            continue
        seen.add(id(p))
        before, after, grad = ev["before"], ev["after"], ev["grad"]
        if np.shape(grad) != np.shape(before):
            continue
        code = _statement(lines, ev["span"])
        lr_text = _lr_text(code)
        # one entry is always "proportional": then the statement must read `p -= lr * p.grad`
        lr = _proportional(before, after, grad) \
            if lr_text is not None or np.count_nonzero(grad) > 1 else None
        node = tensor_ids.get(p.id)
        entry = _entry(node, parameter_label(p, names) or labels.get(node) or "w",
                       lr, before, grad, after, limit)
        entry["state"] = {}
        entry["code"] = code
        entry["lr_text"] = lr_text
        entry["worked"] = [_worked_manual(before, grad, after, lr, i) for i in _shown(before)]
        params.append(entry)
    if not params:
        return None
    rule = RULES["SGD"] if all(e["lr"] is not None for e in params) else "w ← w + Δw"
    return {"optimizer": "by hand", "rule": rule, "params": params, "settings": {}}


def _entry(node: str | None, label: str, lr: float | None, before: Any, grad: Any,
           after: Any, limit: int) -> dict:
    return {"node": node, "label": label, "lr": lr, "before": value(before, limit),
            "grad": value(grad, limit), "after": value(after, limit),
            "change": value(np.asarray(after) - np.asarray(before), limit)}


def _shown(before: Any) -> list[tuple[int, ...]]:
    """The first few entries' indices, in the parameter's own shape."""
    shape = np.shape(before)
    size = int(np.prod(shape)) if shape else 1
    return [tuple(int(k) for k in np.unravel_index(i, shape)) if shape else ()
            for i in range(min(WORKED, size))]


def _at(arr: Any, index: tuple[int, ...]) -> float:
    a = np.asarray(arr, dtype=np.float64)
    return float(a[index]) if a.ndim else float(a)


def _index_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, index)) + "]" if index else ""


def _settings(event: dict) -> dict:
    """The hyper-parameters the page names beside lr (the first parameter group's)."""
    if not event["params"]:
        return {}
    group = event["params"][0].get("group") or {}
    out = {}
    for key in ("momentum", "dampening", "weight_decay", "eps", "alpha", "lr_decay"):
        if isinstance(group.get(key), int | float) and not isinstance(group.get(key), bool):
            out[key] = float(group[key])
    betas = group.get("betas")
    if isinstance(betas, tuple | list) and len(betas) == 2:
        out["beta1"], out["beta2"] = float(betas[0]), float(betas[1])
    for key in ("nesterov", "amsgrad", "centered"):
        if group.get(key):
            out[key] = True
    return out


def _worked(kind: str, change: dict, index: tuple[int, ...]) -> dict:
    """One entry's update written out with its numbers."""
    group = change.get("group") or {}
    prior = change.get("prior") or {}
    state = change["state"]
    w, g, after = (_at(change[k], index) for k in ("before", "grad", "after"))
    lr = float(change["lr"])
    lines: list[list] = []
    vals: dict[str, float] = {"w": w, "grad": g, "lr": lr, "after": after}

    def state_at(d: dict, key: str) -> float | None:
        v = d.get(key)
        return None if not isinstance(v, np.ndarray) else _at(v, index)

    wd = float(group.get("weight_decay") or 0.0)
    if kind in ("Adam", "AdamW"):
        b1, b2 = (float(x) for x in group["betas"])
        eps, t = float(group["eps"]), int(state.get("step", 1))
        w_used, g_used = w, g
        if wd and kind == "AdamW":
            w_used = w * (1 - lr * wd)
            lines.append(["w ← w·(1 − lr·λ) = ", w, " × (1 − ", lr, " × ", wd, ") = ", w_used])
        elif wd:
            g_used = g + wd * w
            lines.append(["∇w + λ·w = ", g, " + ", wd, " × ", w, " = ", g_used])
        m_prev = state_at(prior, "exp_avg") or 0.0
        v_prev = state_at(prior, "exp_avg_sq") or 0.0
        m, v = state_at(state, "exp_avg"), state_at(state, "exp_avg_sq")
        lines.append(["m ← β₁·m + (1−β₁)·∇w = ", b1, " × ", m_prev, " + ", _one_minus(b1),
                      " × ", g_used, " = ", m])
        lines.append(["v ← β₂·v + (1−β₂)·∇w² = ", b2, " × ", v_prev, " + ", _one_minus(b2),
                      " × ", g_used, "² = ", v])
        if group.get("amsgrad"):
            v = state_at(state, "max_exp_avg_sq")
            lines.append(["v_max ← max(v_max, v) = ", v])
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        lines.append(["m̂ = m / (1 − β₁ᵗ) = ", m, f" / (1 − {_plain(b1)}^{t}) = ", m_hat])
        lines.append(["v̂ = v / (1 − β₂ᵗ) = ", v, f" / (1 − {_plain(b2)}^{t}) = ", v_hat])
        lines.append(["w ← w − lr·m̂ / (√v̂ + ε) = ", w_used, " − ", lr, " × ", m_hat, " / (√",
                      v_hat, " + ", eps, ") = ", after])
        vals.update(m_prev=m_prev, v_prev=v_prev, m=m, v=v, m_hat=m_hat, v_hat=v_hat, t=t)
    elif kind == "SGD":
        if wd:
            g_used = g + wd * w
            lines.append(["∇w + λ·w = ", g, " + ", wd, " × ", w, " = ", g_used])
        else:
            g_used = g
        mu = float(group.get("momentum") or 0.0)
        if mu:
            b = state_at(state, "momentum_buffer")
            b_prev = state_at(prior, "momentum_buffer")
            if b_prev is None:   # PyTorch's first step: the buffer starts as the gradient
                lines.append(["b ← ∇w (the first step) = ", b])
            else:
                tau = float(group.get("dampening") or 0.0)
                lines.append(["b ← μ·b + (1−τ)·∇w = ", mu, " × ", b_prev, " + ",
                              _one_minus(tau), " × ", g_used, " = ", b])
            vals.update(b_prev=b_prev, b=b)
            if group.get("nesterov"):
                step = g_used + mu * b
                lines.append(["∇w + μ·b = ", g_used, " + ", mu, " × ", b, " = ", step])
                lines.append(["w ← w − lr·(∇w + μ·b) = ", w, " − ", lr, " × ", step, " = ",
                              after])
            else:
                lines.append(["w ← w − lr·b = ", w, " − ", lr, " × ", b, " = ", after])
        else:
            lines.append(["w ← w − lr·∇w = ", w, " − ", lr, " × ", g_used, " = ", after])
    elif kind == "RMSprop" and not group.get("centered") and not group.get("momentum"):
        alpha, eps = float(group["alpha"]), float(group["eps"])
        g_used = g + wd * w if wd else g
        s_prev, s = state_at(prior, "square_avg") or 0.0, state_at(state, "square_avg")
        lines.append(["s ← α·s + (1−α)·∇w² = ", alpha, " × ", s_prev, " + ",
                      _one_minus(alpha), " × ", g_used, "² = ", s])
        lines.append(["w ← w − lr·∇w / (√s + ε) = ", w, " − ", lr, " × ", g_used, " / (√", s,
                      " + ", eps, ") = ", after])
        vals.update(s_prev=s_prev, s=s)
    elif kind == "Adagrad" and not wd and not group.get("lr_decay"):
        eps = float(group["eps"])
        s_prev, s = state_at(prior, "sum"), state_at(state, "sum")
        lines.append(["G ← G + ∇w² = ", s_prev, " + ", g, "² = ", s])
        lines.append(["w ← w − lr·∇w / (√G + ε) = ", w, " − ", lr, " × ", g, " / (√", s, " + ",
                      eps, ") = ", after])
        vals.update(G_prev=s_prev, G=s)
    else:   # settings this view does not spell out: the change itself
        lines.append(["w ← w + Δw = ", w, " + ", after - w, " = ", after])
    return {"at": _index_text(index), "lines": [_tokens(line) for line in lines],
            "values": {k: _num(v) for k, v in vals.items()}}


def _worked_manual(before: Any, grad: Any, after: Any, lr: float | None,
                   index: tuple[int, ...]) -> dict:
    w, g, a = _at(before, index), _at(grad, index), _at(after, index)
    if lr is not None:
        line = ["w ← w − lr·∇w = ", w, " − ", lr, " × ", g, " = ", a]
    else:
        line = ["w ← w + Δw = ", w, " + ", a - w, " = ", a]
    vals = {"w": w, "grad": g, "after": a, **({"lr": lr} if lr is not None else {})}
    return {"at": _index_text(index), "lines": [_tokens(line)],
            "values": {k: _num(v) for k, v in vals.items()}}


def _proportional(before: Any, after: Any, grad: Any) -> float | None:
    """lr when the change is −lr·∇w for one lr over every entry (float32 rounding allowed),
    else None."""
    d = np.asarray(before, dtype=np.float64) - np.asarray(after, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64)
    mask = np.abs(g) > 0
    if not mask.any() or not np.isfinite(d).all() or not np.isfinite(g).all():
        return None
    ratios = d[mask] / g[mask]
    lr = float(np.median(ratios))
    scale = np.abs(np.asarray(before, dtype=np.float64)[mask]) + np.abs(d[mask])
    # each entry is rounded to float32: allow its rounding error over the size of the change
    slack = 2.0 ** -22 * scale / np.abs(g[mask]) + 1e-6 * abs(lr)
    if lr <= 0 or not (np.abs(ratios - lr) <= slack).all() or np.any(d[~mask] != 0):
        return None
    return lr


def _statement(lines: list[str], span: Any) -> str | None:
    if not span:
        return None
    line, col, end_line, end_col = span
    if line != end_line or not 1 <= line <= len(lines):
        return None
    return lines[line - 1][col - 1:end_col - 1].strip() or None


def _lr_text(code: str | None) -> str | None:
    """`learning_rate` in `a -= learning_rate * a.grad`: the program's name for lr."""
    if not code:
        return None
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    stmt = tree.body[0] if tree.body else None
    if not isinstance(stmt, ast.AugAssign) or not isinstance(stmt.op, ast.Sub):
        return None
    v = stmt.value
    if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Mult):
        for lr, g in ((v.left, v.right), (v.right, v.left)):
            if isinstance(g, ast.Attribute) and g.attr == "grad":
                return ast.get_source_segment(code, lr)
    return None


def _one_minus(x: float) -> float:
    """1 − β as the learner writes it (0.1, not 0.09999999999999998)."""
    return float(f"{1 - x:.12g}")


def _plain(x: float) -> str:
    return repr(x) if x != int(x) else str(int(x))


def _num(x: Any) -> Any:
    if x is None:
        return None
    return int(x) if isinstance(x, int) else number(float(x))


def _tokens(line: list) -> list:
    """Strings as they are, numbers JSON-safe; a negative number after an operator or under
    a square in parentheses (`0.05 × (−0.0013)`, `(−0.0003)²`)."""
    out: list = []
    for i, t in enumerate(line):
        if isinstance(t, str):
            out.append(t)
            continue
        after_op = i > 0 and isinstance(line[i - 1], str) and \
            line[i - 1].rstrip().endswith(("×", "−", "+", "√", "/"))
        squared = i + 1 < len(line) and isinstance(line[i + 1], str) and \
            line[i + 1].startswith("²")
        if t is not None and t < 0 and (after_op or squared):
            out.extend(["(", _num(t), ")"])
        else:
            out.append(_num(t))
    return out
