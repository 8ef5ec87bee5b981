"""The finite-difference check of the learner's own engine (issue 15): each leaf Value of the
drawn graph moved by ±h in a re-run of the program (engine/own_value.py's `nudge`, by the
Value's birth number, the same in every run), the root's data read at the end, and

    estimate = (root(x + h) - root(x - h)) / 2h

set beside the `.grad` their backward left on the leaf. Their engine's bug shows here too: for
the lecture's `a + a` with `=`, the estimate is 2 where their a.grad is 1. Checked only when
their program seeded the drawn root once (one backward pass), so `.grad` is ∂root/∂leaf.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
from chainrule.engine import own_value as ov
from chainrule.engine import own_value_trace as ovt
from chainrule.engine.lang import run_program
from chainrule.engine.limits import Limits


def check(source: str, first: Any, inputs: dict[str, float] | None, seed: int, limits: Limits,
          started: float, out: Any) -> bool:
    """Fill `out` (fd_check.FdCheck) for a run whose graph is their own Values; False when the
    run made none."""
    from chainrule.engine import fd_check as fd

    if not ovt.present(first):
        return False
    root = ovt.pick_root(first)
    if root is None or not ov.is_value_node(root):
        return False
    names = {id(v): k for k, v in first.variables.items() if ov.is_value_node(v)}
    g = ovt.build_graph(root, names)
    seeds = sum(1 for ev in first.tape.events if ev["type"] == "own_grad"
                and ev["node"] is root and ev.get("after"))
    if seeds != 1:
        out.note = ("not checked: the program never seeds backward at the drawn Value"
                    if seeds == 0 else "not checked: several backward passes reached the "
                    "drawn Value (its .grad values add up over them)")
        return True
    leaves = [v for v in g.values if id(v) not in g.op_ids]
    deadline = started + limits.max_seconds

    def f(leaf: Any, h: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0 or out.runs >= fd.MAX_RUNS:
            raise fd._OutOfBudget
        out.runs += 1
        token = ov.nudge.set((ov.birth(leaf), lambda d: d + h, ov.birth(root)))
        try:
            result = run_program(source, inputs=inputs, seed=seed,
                                 limits=replace(limits, max_seconds=left))
        finally:
            ov.nudge.reset(token)
        try:
            if result.error is not None and result.error.kind == "limit":
                raise fd._OutOfBudget
            watched = result.tape.own_watched
            if watched is None or not ov.is_value_node(watched):
                raise fd._Diverged
            return float(watched.attrs["data"])
        finally:
            result.tape.release()

    for leaf in leaves[:fd.MAX_LEAVES]:
        x, grad = float(leaf.attrs["data"]), float(leaf.attrs["grad"])
        h = fd.STEP * max(1.0, abs(x))
        c = fd.LeafCheck(node=g.ids[id(leaf)], label=g.labels[id(leaf)], shape=[], h=h,
                         elements=1, gradient=np.float64(grad))
        out.leaves.append(c)
        try:
            c.estimate = np.float64((f(leaf, h) - f(leaf, -h)) / (2 * h))
        except fd._OutOfBudget:
            c.note = "not checked: the time limit was reached"
            continue
        except fd._Diverged:
            c.note = "moving this Value changed which Values the program made"
            continue
        c.checked = 1
        c.difference = c.estimate - c.gradient
        c.max_difference = float(abs(c.difference))
        c.agrees = c.max_difference <= fd.TOLERANCE * max(1.0, abs(grad))
    if len(leaves) > fd.MAX_LEAVES:
        out.note = f"{len(leaves) - fd.MAX_LEAVES} more leaves not checked (at most " \
                   f"{fd.MAX_LEAVES} per check)"
    return True
