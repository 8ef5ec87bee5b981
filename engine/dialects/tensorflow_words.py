"""TensorFlow's words in the narration of a TensorFlow program's backward pass (issue 15).

The timeline narrates every framework alike; a seed there says "the gradient you passed in
(gradient=…)" whenever the seed is not an implicit 1. In a TensorFlow program the seed comes
from `tape.gradient(target, sources)`: with no `output_gradients`, TensorFlow seeds every
element of the target with 1, which is the gradient of the target's sum. A non-scalar target
is summed without a word, where PyTorch's backward() refuses; the narration says so.
"""

from __future__ import annotations

from typing import Any

from chainrule.engine.broadcast import fmt_shape

SUMMED = ("tape.gradient seeds every element of {root} with 1: it differentiates the sum of "
          "{root}")


def reword(steps: list[dict], graph: Any, tape: Any) -> None:
    """Rewrite the seeds of a TensorFlow program's backward passes (in place)."""
    if tape.dialect != "tensorflow":
        return
    given: dict[str, bool] = {}
    shapes: dict[str, tuple] = {}
    for ev in tape.events:
        if ev["type"] == "tf_gradient":
            for t in ev["targets"]:
                nid = graph.tensor_ids.get(t.id)
                if nid is not None:
                    given[nid], shapes[nid] = ev["given"], tuple(t.data.shape)
    for s in steps:
        if s["kind"] != "seed" or s["root"] not in given:
            continue
        root = graph.labels.get(s["root"], "the target")
        if given[s["root"]]:
            s["narration"] = (f"tape.gradient starts at {root} with the output_gradients you "
                              "passed: they say how much each element of the target matters.")
            continue
        if s["numel"] == 1:
            s["narration"] = (f"tape.gradient starts at {root}, one number: TensorFlow seeds "
                              "it with 1, the derivative of a number with respect to itself.")
            continue
        s["narration"] = (f"tape.gradient starts at {root} (shape {fmt_shape(shapes[s['root']])}"
                          f"): the target is not a scalar, so TensorFlow sums it without a "
                          f"word — every element is seeded with 1, the gradient of "
                          f"sum({root}). PyTorch's {root}.backward() would refuse here: \"grad "
                          "can be implicitly created only for scalar outputs\".")
        s["rows"] = ["seed", ["why1", SUMMED.format(root=root)]]
