"""micrograd's words in the narration of a micrograd program's backward pass (issue 15).

The timeline narrates every framework alike ("Backward through mul: … flows to c"). A graph of
micrograd Values (engine/dialects/micrograd.py) is retold the way micrograd's engine.py writes
it: the seed is micrograd's own `self.grad = 1` (it always seeds 1.0: micrograd has no
scalar-output rule), and each edge is a line of the op's `_backward` closure with `self`,
`other` and `out.grad` (`other.grad += self.data * out.grad`). The numbers, paths and formulas
stay the timeline's.
"""

from __future__ import annotations

from typing import Any

from chainrule.engine.formula import tname
from chainrule.engine.values import fmt

SEED_WHY = ("micrograd's backward() sets the output's grad to 1 and walks its topological "
            "order: it always seeds 1.0, whatever the output — micrograd has no scalar-output "
            "rule, since every Value is one number")

# micrograd/engine.py's _backward lines, by the engine op the Value's operator recorded and the
# input's position (self, other)
CLOSURES = {
    ("add", 0): "self.grad += out.grad",
    ("add", 1): "other.grad += out.grad",
    ("mul", 0): "self.grad += other.data * out.grad",
    ("mul", 1): "other.grad += self.data * out.grad",
    ("pow", 0): "self.grad += (other * self.data**(other-1)) * out.grad",
    ("relu", 0): "self.grad += (out.data > 0) * out.grad",
    ("tanh", 0): "self.grad += (1 - t**2) * out.grad",
    ("exp", 0): "self.grad += out.data * out.grad",
}


def speaks_micrograd(graph: Any) -> bool:
    from chainrule.engine.dialects.micrograd import Value

    return any(isinstance(t, Value) for t in graph.tensors)


def reword(steps: list[dict], graph: Any) -> None:
    """Rewrite the backward steps of a micrograd graph in micrograd's words (in place)."""
    if not speaks_micrograd(graph):
        return
    ops = {graph.op_ids[r.index]: r for r in graph.records}
    for s in steps:
        if s["kind"] == "seed":
            root = graph.labels.get(s["root"], "the output")
            s["narration"] = (f"Backward starts at {root}: micrograd's backward() sets "
                              f"{root}.grad = 1. It always seeds 1.0: micrograd has no "
                              "scalar-output rule, every Value is one number.")
            if not s.get("gradient_given"):
                s["rows"] = ["seed", ["why1", SEED_WHY]]
        elif s["kind"] == "edge" and s["op"] in ops:
            rec = ops[s["op"]]
            index = next((i for i, t in enumerate(rec.inputs) if graph.tid(t) == s["to"]), None)
            code = CLOSURES.get((rec.op.name, index))
            if code is None:
                continue
            out, child = tname(graph.labels[s["from"]]), tname(graph.labels[s["to"]])
            up = s["upstream"]["data"]
            head = (f"{out}'s _backward ({rec.op.name}): {code}, with out.grad = "
                    f"{fmt(up) if isinstance(up, int | float) else up}: "
                    f"{child}.grad gets {fmt(s['contribution']['data'])}"
                    if isinstance(s["contribution"]["data"], int | float) else None)
            if head is None:
                continue
            rest = s["narration"].split(". ", 1)
            s["narration"] = head + "." + (" " + rest[1] if len(rest) > 1 else "")
