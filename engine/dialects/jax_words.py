"""JAX's words in the narration of a JAX program's reverse passes (issue 15).

JAX differentiates functions, not tapes: `jax.grad(f)(x)` calls f, then pulls a cotangent of 1
back from f's output (which must be one number); `jax.vjp`'s pull-back takes the cotangent you
give it. The timeline's seed sentence speaks PyTorch's backward(); here it says what JAX does.
"""

from __future__ import annotations

from typing import Any


def reword(steps: list[dict], graph: Any, tape: Any) -> None:
    """Rewrite the seeds of a JAX program's reverse passes (in place)."""
    if tape.dialect != "jax":
        return
    for s in steps:
        if s["kind"] != "seed":
            continue
        root = graph.labels.get(s["root"], "f's output")
        if s.get("gradient_given"):
            s["narration"] = (f"The pull-back starts at {root} with the cotangent you passed "
                              "(jax.vjp): it says how much each element of the output "
                              "matters. Each edge below multiplies it by a local derivative.")
        else:
            s["narration"] = (f"jax.grad(f) called f, and now pulls a cotangent back from its "
                              f"output {root}: one number, so the cotangent is 1 (grad needs a "
                              "scalar output — JAX refuses any other). Each edge below "
                              "multiplies it by a local derivative.")
            s["rows"] = ["seed", ["why1", f"{root} is one number: its cotangent is 1"]]
