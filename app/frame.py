"""What the graph shows at one step: static/js/player.js `frame`, for the painters outside a
browser (app/svg_export.py). Pure data, no drawing; step -1 is the start (no op has run; leaves,
inputs and constants already hold their values).

tests/browser/test_renderers_agree.py holds the two to the same answer on every gallery example
and step (shown, lit, focus, gradients with their pass, the error step and node).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Grad:
    """The latest gradient backward brought to a node (a running sum while paths arrive)."""
    value: dict
    count: int
    expected: int
    complete: bool
    pass_: int                 # which backward pass brought it (1, 2, …)
    step: int                  # the step that brought it: its `shown` holds the texts


@dataclass
class Frame:
    index: int
    count: int
    step: dict | None
    phase: str                                   # "start" | "forward" | "backward"
    kind: str                   # "start" | "op" | "seed" | "edge" | "hook" | "error"
    shown: set[str] = field(default_factory=set)
    shown_edges: set[str] = field(default_factory=set)
    lit: set[str] = field(default_factory=set)
    lit_edges: set[str] = field(default_factory=set)
    focus: str | None = None
    grads: dict[str, Grad] = field(default_factory=dict)
    locals: dict[str, dict] = field(default_factory=dict)   # edge id → the step that crossed it
    error: dict | None = None                    # the step, when it is an error step
    error_node: str | None = None
    at_start: bool = True
    at_end: bool = False


def clamp_step(trace: dict, index: object) -> int:
    """A step index clamped into [-1, steps - 1], as player.js `clampStep` (non-numbers: -1)."""
    last = len(trace.get("steps") or []) - 1
    if isinstance(index, bool) or not isinstance(index, int | float):
        return -1
    if isinstance(index, float) and not (index == index and abs(index) != float("inf")):
        return -1
    return max(-1, min(last, int(index)))      # int() truncates toward zero, as Math.trunc


def born(trace: dict) -> dict[str, int]:
    """Node id → index of the forward step that creates it (op and output)."""
    out: dict[str, int] = {}
    for s in trace.get("steps") or []:
        if s.get("phase") == "forward" and s.get("kind") == "op":
            out.setdefault(s.get("op"), s["index"])
            out.setdefault(s.get("output"), s["index"])
    return out


def contribution_steps(trace: dict, index: int) -> list[dict]:
    """The edge steps whose contributions have reached edge step `index`'s target so far in its
    backward pass, oldest first: its `count` latest edge steps into the same node, back to the
    pass's seed (player.js `contributionsAt`; a step carries only its own `contribution`)."""
    steps = trace.get("steps") or []
    if not 0 <= index < len(steps) or steps[index].get("kind") != "edge":
        return []
    step = steps[index]
    want = step.get("count") or 1
    out: list[dict] = []
    for s in reversed(steps[:index + 1]):
        if len(out) >= want or s.get("kind") == "seed":
            break
        if s.get("kind") == "edge" and s.get("to") == step.get("to"):
            out.append(s)
    return out[::-1]


def contributions_at(trace: dict, index: int) -> list[dict]:
    """The contributions themselves (Values) of `contribution_steps`."""
    return [s["contribution"] for s in contribution_steps(trace, index)]


def frame(trace: dict, index: object) -> Frame:
    """What is visible, lit and known at step `index` (clamped)."""
    steps = trace.get("steps") or []
    i = clamp_step(trace, index)
    step = steps[i] if i >= 0 else None
    births = born(trace)
    shown = {n["id"] for n in trace.get("nodes") or [] if births.get(n["id"], -1) <= i}
    shown_edges = {e["id"] for e in trace.get("edges") or []
                   if e["source"] in shown and e["target"] in shown}
    grads: dict[str, Grad] = {}
    locals_: dict[str, dict] = {}
    passes = 0
    for k, s in enumerate(steps[:i + 1]):
        kind = s.get("kind")
        if kind == "seed":
            passes += 1
            grads[s["root"]] = Grad(s["grad"], 1, 1, True, passes, k)
        elif kind == "edge":
            grads[s["to"]] = Grad(s["grad"], s.get("count") or 1, s.get("expected") or 1,
                                  bool(s.get("complete")), passes, k)
            locals_[s["edge"]] = s
        elif kind == "product":     # a broadcast input's product: the label, no gradient yet
            locals_[s["edge"]] = s
        elif kind == "hook" and s.get("result"):
            # a hook that returns a tensor replaces the gradient that flows on from its node
            grads[s["node"]] = Grad(s["result"], 1, 1, True, passes, k)
    error = trace.get("error") or {}
    return Frame(
        index=i, count=len(steps), step=step,
        phase=step["phase"] if step else "start",
        kind=step["kind"] if step else "start",
        shown=shown, shown_edges=shown_edges,
        lit=set(step.get("lit_nodes") or []) if step else set(),
        lit_edges=set(step.get("lit_edges") or []) if step else set(),
        focus=step.get("focus") if step else None,
        grads=grads, locals=locals_,
        error=step if step and step.get("kind") == "error" else None,
        error_node=error.get("node"), at_start=i == -1, at_end=i == len(steps) - 1)
