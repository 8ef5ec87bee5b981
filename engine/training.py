"""The trace's training summary: what a page needs to show a training run (issue #13).

A top-level loop leaves one `iteration` event per iteration (engine/nn/loop_memory.py: its
number and the program's scalar float variables) and each `optimizer.step()` one
`optimizer_step` event (engine/nn/optim.py: each parameter before, its gradient, after, the
optimizer's state); a parameter changed by hand under no_grad a `manual_update` event
(engine/inplace.py). From them:

- `losses`: the loss of every iteration, in order (a few bytes each: the trace grows with N
  by this list only); `loss_name` says which variable it is;
- `picked`: the iteration whose graph the trace holds whole (1 unless the page asked for
  another one, engine/training_pick.py);
- `update`: that iteration's optimizer step — or its hand-written `p -= lr * p.grad` under
  no_grad — per parameter `w ← w − lr·∇w` with its numbers and the optimizer's state
  (momentum buffer; Adam's m, v, the bias-corrected step): engine/training_update.py.
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.engine.training_focus import focus, training_loop
from chainrule.engine.training_update import manual_update, optimizer_update

_LOSS_NAMES = ("loss", "l", "cost", "error")
# A training loop's trace previews this many numbers of a big tensor instead of 1,024
# (engine/values.py): the polynomial fits hold two graphs of 2,000-point tensors, each value
# repeated in the nodes and the steps (upstream, product, contribution, grad), and at 1,024
# numbers a preview that was 3.2 MB of a 3.3 MB trace (issue 13: ≤ 1 MB). The inspector says
# "showing the first 128"; every number of a picked iteration is one POST /api/training away.
TRAINING_PREVIEW_ELEMENTS = 128


def is_training_run(events: list[dict]) -> bool:
    """The program ran a top-level loop of several iterations (what `training_summary` needs)."""
    seen = 0
    for e in events:
        if e["type"] == "iteration":
            seen += 1
            if seen >= 2:
                return True
    return False


def focus_training_run(tape: Any, picked: int) -> dict[int, int]:
    """A training run's graph holds the picked iteration only (engine/training_focus.py):
    run before the graph is built. Returns the parameters' stand-ins (`focus`)."""
    events = tape.events
    if not is_training_run(events):
        return {}
    span = training_loop(events)
    loop = [e for e in events if e["type"] == "iteration" and e["span"] == span]
    updated = any(e["type"] == "optimizer_step" or
                  (e["type"] == "manual_update" and _inside(e["span"], span)) for e in events)
    if not updated or _loss_name(loop) is None or picked > len(loop):
        return {}
    return focus(tape, picked, span)


def training_summary(events: list[dict], tensor_ids: dict[int, str], labels: dict[str, str],
                     picked: int, limit: int, names: dict[int, str] | None = None,
                     source: str = "", stand_ins: dict[int, int] | None = None) -> dict | None:
    """The summary, or None when the program ran no loop of several iterations. The update
    step names each parameter's node as the state the picked iteration's forward pass read
    (before its update): `stand_ins` maps the live parameter's id to that state's
    (`focus_training_run`)."""
    if stand_ins:
        tensor_ids = {**tensor_ids, **{p: tensor_ids[s] for p, s in stand_ins.items()
                                       if s in tensor_ids}}
    iterations = [e for e in events if e["type"] == "iteration"]
    if len(iterations) < 2:
        return None
    span = iterations[0]["span"]
    loop = [e for e in iterations if e["span"] == span]   # the first top-level loop
    name = _loss_name(loop)
    losses = [_finite(e["values"].get(name)) for e in loop] if name else []
    steps = [e for e in events if e["type"] == "optimizer_step"]
    if steps:
        update = optimizer_update(steps[0], tensor_ids, labels, limit, names or {})
    else:   # `p -= lr * p.grad` under no_grad, inside the loop (not an nn.init before it)
        by_hand = [e for e in events if e["type"] == "manual_update" and _inside(e["span"], span)]
        update = manual_update(by_hand, tensor_ids, labels, limit, names or {}, source)
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


def _inside(inner: tuple | None, outer: tuple) -> bool:
    return inner is not None and tuple(outer[:2]) <= tuple(inner[:2]) and \
        tuple(inner[2:]) <= tuple(outer[2:])
