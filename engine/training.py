"""The trace's training summary: what a page needs to show a training run (issue #13).

A top-level loop leaves one `iteration` event per iteration (engine/nn/loop_memory.py: its
number and the program's scalar float variables) and each `optimizer.step()` one
`optimizer_step` event (engine/nn/optim.py: each parameter before, its gradient, after, the
optimizer's state). From them:

- `losses`: the loss of every iteration, in order (a few bytes each: the trace grows with N
  by this list only); `loss_name` says which variable it is;
- `picked`: the iteration whose graph the trace holds whole (1 unless the page asked for
  another one, engine/training_pick.py);
- `update`: that iteration's optimizer step, per parameter `w ← w − lr·∇w` with its numbers
  and the optimizer's state (momentum buffer; Adam's m, v, the bias-corrected step).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from chainrule.engine.values import value

_LOSS_NAMES = ("loss", "l", "cost", "error")
# A training loop's trace previews this many numbers of a big tensor instead of 1,024
# (engine/values.py): the polynomial fits hold two graphs of 2,000-point tensors, each value
# repeated in the nodes and the steps (upstream, product, contribution, grad), and at 1,024
# numbers a preview that was 3.2 MB of a 3.3 MB trace (issue 13: ≤ 1 MB). The inspector says
# "showing the first 128"; every number of a picked iteration is one POST /api/training away.
TRAINING_PREVIEW_ELEMENTS = 128
# What each optimizer's state entries are called on the page, and the update it makes.
_STATE_NAMES = {"momentum_buffer": "b", "exp_avg": "m", "exp_avg_sq": "v",
                "max_exp_avg_sq": "v_max", "square_avg": "s", "sum": "G", "grad_avg": "g_avg"}
_RULES = {
    "SGD": "w ← w − lr·∇w",
    "SGD+momentum": "b ← μ·b + (1−τ)·∇w;  w ← w − lr·b",
    "Adam": "m ← β₁·m + (1−β₁)·∇w;  v ← β₂·v + (1−β₂)·∇w²;  "
            "w ← w − lr·m̂ / (√v̂ + ε),  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)",
    "RMSprop": "s ← α·s + (1−α)·∇w²;  w ← w − lr·∇w / (√s + ε)",
    "Adagrad": "G ← G + ∇w²;  w ← w − lr·∇w / (√G + ε)",
}


def is_training_run(events: list[dict]) -> bool:
    """The program ran a top-level loop of several iterations (what `training_summary` needs)."""
    seen = 0
    for e in events:
        if e["type"] == "iteration":
            seen += 1
            if seen >= 2:
                return True
    return False


def parameter_names(variables: dict[str, Any]) -> dict[int, str]:
    """`model.0.weight` for each parameter of a module the program holds (PyTorch's
    named_parameters, prefixed with the variable's name)."""
    from chainrule.engine.nn.module import Module
    names: dict[int, str] = {}
    for var, v in variables.items():
        if isinstance(v, Module):
            for name, p in v.all_named_parameters():
                names.setdefault(id(p), f"{var}.{name}")
    return names


def training_summary(events: list[dict], tensor_ids: dict[int, str], labels: dict[str, str],
                     picked: int, limit: int, names: dict[int, str] | None = None
                     ) -> dict | None:
    """The summary, or None when the program ran no loop of several iterations."""
    iterations = [e for e in events if e["type"] == "iteration"]
    if len(iterations) < 2:
        return None
    span = iterations[0]["span"]
    loop = [e for e in iterations if e["span"] == span]   # the first top-level loop
    name = _loss_name(loop)
    losses = [_finite(e["values"].get(name)) for e in loop] if name else []
    steps = [e for e in events if e["type"] == "optimizer_step"]
    update = _update(steps[0], tensor_ids, labels, limit, names or {}) if steps else None
    return {"span": span, "count": len(loop), "loss_name": name, "losses": losses,
            "picked": picked if picked <= len(loop) else 1, "update": update}


def _loss_name(iterations: list[dict]) -> str | None:
    """The loss: a scalar the program names like one, else the only scalar it has."""
    names = list(iterations[-1]["values"])
    for wanted in _LOSS_NAMES:
        if wanted in names:
            return wanted
    for n in names:
        if "loss" in n.lower():
            return n
    return names[0] if len(names) == 1 else None


def _finite(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def _update(event: dict, tensor_ids: dict[int, str], labels: dict[str, str],
            limit: int, names: dict[int, str]) -> dict:
    kind = event["optimizer"]
    params = []
    for change in event["params"]:
        p = change["param"]
        node = tensor_ids.get(p.id)
        state = change["state"]
        entry = {"node": node, "label": names.get(id(p)) or labels.get(node) or p.name or "w",
                 "lr": float(change["lr"]), "before": value(change["before"], limit),
                 "grad": value(change["grad"], limit), "after": value(change["after"], limit),
                 "change": value(np.asarray(change["after"]) - np.asarray(change["before"]),
                                 limit),
                 "state": {_STATE_NAMES.get(k, k): value(np.asarray(v, dtype=np.float64), limit)
                           for k, v in state.items() if isinstance(v, np.ndarray)}}
        if "step" in state:
            entry["t"] = int(state["step"])
        params.append(entry)
    rule = kind if kind in _RULES else "SGD"
    if kind == "AdamW":
        rule = "Adam"
    if kind == "SGD" and any("b" in e["state"] for e in params):
        rule = "SGD+momentum"
    return {"optimizer": kind, "rule": _RULES[rule], "params": params}
