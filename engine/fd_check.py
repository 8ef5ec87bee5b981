"""The gradient checked by nudging: a central finite difference for every leaf, by our engine.

The backward pass gives each leaf (a tensor made by the program with requires_grad, or a free
variable of a typed expression) a gradient by the chain rule. Here the program is run again
with one element of that leaf moved by +h and by -h, and

    estimate = (f(x + h) - f(x - h)) / 2h

is set beside the chain-rule value, so a learner sees that the two agree.

What f is: the leaf's `.grad` is the sum, over the backward calls that accumulated into it, of
the vector-Jacobian product of each call's root with its seed (1 for a scalar, or the
`gradient=` the program passed). So f = Σ_k <seed_k, root_k>, with the seeds of the first run
held fixed (backward treats a seed as a constant), over the calls that reached the leaf since
its `.grad` last started afresh. A gradient call that returns gradients instead of
accumulating them (`torch.autograd.grad`, and so the dialects: `tf.GradientTape.gradient`,
`jax.grad`, micrograd's `Value.backward`, engine/dialects/) gives each leaf it reached that
call's own gradient: f = <seed, root> of that call alone, checked as a leaf of its own.

How a leaf is moved: a run numbers its tensors in the order it makes them, and the same program
with the same seed makes the same tensors in the same order; the re-run's tape replaces the data
of the tensor with the leaf's number as it is registered (`_NudgedTape`), before anything reads
it. A leaf changed in place (an update step in a training loop) is one tensor per state, each
with its own number (engine/inplace.py), so each state is checked against the calls that
reached it.

Bounded: a leaf of up to ELEMENTWISE_MAX elements is checked element by element (two runs per
element); a bigger one along one fixed ±1 direction v (two runs: the estimate of <grad, v>).
All runs together get one time limit (`limits.max_seconds`) and at most MAX_RUNS runs; what
was left out is reported, never silently dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from chainrule.engine import own_value_fd
from chainrule.engine.errors import ChainruleError
from chainrule.engine.graph import build_graph
from chainrule.engine.lang import run_program
from chainrule.engine.limits import Limits
from chainrule.engine.tensor import Tape, Tensor

STEP = 1e-6               # h, relative to max(1, |x|): float64 keeps ~10 digits of the quotient
ELEMENTWISE_MAX = 64      # elements checked one by one; a bigger leaf is checked along v
MAX_RUNS = 400            # re-runs of the program per check (two per element)
TOLERANCE = 1e-5          # |estimate - gradient| <= TOLERANCE * max(1, |gradient|): agrees
MAX_LEAVES = 32           # leaves reported (a model has many; the rest are counted)


@dataclass
class LeafCheck:
    """One leaf: its chain-rule gradient beside the estimate, element by element (`mode`
    "elements", arrays shaped like the leaf) or along a direction (`mode` "direction", one
    number each: <gradient, v> and the estimate of it)."""

    node: str
    label: str
    shape: list[int]
    mode: str = "elements"
    h: float = STEP
    gradient: Any = None
    estimate: Any = None
    difference: Any = None
    max_difference: float | None = None
    agrees: bool | None = None
    checked: int = 0
    elements: int = 0
    note: str | None = None

    def to_dict(self) -> dict:
        return {"node": self.node, "label": self.label, "shape": self.shape,
                "mode": self.mode, "h": self.h, "gradient": _plain(self.gradient),
                "estimate": _plain(self.estimate), "difference": _plain(self.difference),
                "max_difference": self.max_difference, "agrees": self.agrees,
                "checked": self.checked, "elements": self.elements, "note": self.note}


@dataclass
class FdCheck:
    leaves: list[LeafCheck] = field(default_factory=list)
    runs: int = 0
    seconds: float = 0.0
    tolerance: float = TOLERANCE
    note: str | None = None          # why nothing (or not everything) could be checked
    error: ChainruleError | None = None   # the program's own error, from the first run

    def to_dict(self) -> dict:
        return {"leaves": [leaf.to_dict() for leaf in self.leaves], "runs": self.runs,
                "seconds": round(self.seconds, 4), "tolerance": self.tolerance,
                "step": STEP, "note": self.note,
                "error": None if self.error is None else self.error.to_dict()}


class _NudgedTape(Tape):
    """A tape that moves one tensor's data as the tensor is registered (see the module text).
    `nudge` is (tensor number, function from the old data to the new)."""

    nudge: tuple[int, Any] | None = None

    def register(self, t: Tensor) -> int:
        number = super().register(t)
        if self.nudge is not None and number == self.nudge[0]:
            t.data = self.nudge[1](t.data)
        return number

    def register_one(self, t: Tensor) -> int:   # the one-element shortcut, nudged as well
        return self.register(t)


TRAINING_EVENTS = ("optimizer_step", "manual_update")
FORWARD_MODE_EVENTS = ("jacfwd", "jvp")   # engine/dialects/jax.py: tangents, no backward


@dataclass
class _Leaf:
    tensor: Tensor
    grad: np.ndarray
    calls: set[int]       # the backward calls (numbered from 0) its gradient came from


def check_gradients(source: str, inputs: dict[str, float] | None = None, seed: int = 0,
                    limits: Limits | None = None) -> FdCheck:
    """The finite-difference check of every leaf of `source`. Raises RefusedError for a
    refused program (as run_program does); everything else is in the answer."""
    limits = limits if limits is not None else Limits()
    started = time.monotonic()
    out = FdCheck()
    first = run_program(source, inputs=inputs, seed=seed, limits=limits)
    try:
        out.error = first.error
        terms = _backward_terms(first.tape.events)
        leaves = _leaves(first.tape)
        if not leaves and own_value_fd.check(source, first, inputs, seed, limits, started, out):
            return out   # the learner's own class Value (engine/own_value_fd.py)
        if first.tape.forgot and \
                any(e["type"] in TRAINING_EVENTS for e in first.tape.events):
            out.note = ("not checked: the program trains in a long loop (its parameters change "
                        "every step, and chainrule keeps one iteration's graph), so moving a "
                        "starting value moves every later step: a re-run's change is not one "
                        "gradient's")
            return out
        if not leaves and any(e["type"] in FORWARD_MODE_EVENTS for e in first.tape.events):
            out.note = ("not checked: this program's derivatives come from forward mode "
                        "(jax.jacfwd or jax.jvp: tangents pushed forward), not from a backward "
                        "pass; the check compares each leaf's gradient from a backward pass "
                        "with a numerical estimate")
            return out
        if not leaves:
            out.note = ("no leaf received a gradient: the program made no backward call "
                        "that reached one" if first.error is None else
                        "no leaf received a gradient before the program stopped")
            return out
        graph = build_graph(first.tape, source)
        deadline = started + limits.max_seconds
        for leaf in leaves[:MAX_LEAVES]:
            node = graph.tensor_ids.get(leaf.tensor.id)
            check = LeafCheck(node=node or "", label=graph.labels.get(node or "", "tensor"),
                              shape=list(leaf.tensor.shape), elements=int(leaf.grad.size))
            out.leaves.append(check)
            _check_leaf(check, leaf, terms, source, inputs, seed, limits, deadline, out)
        if len(leaves) > MAX_LEAVES:
            out.note = f"{len(leaves) - MAX_LEAVES} more leaves not checked (at most " \
                       f"{MAX_LEAVES} per check)"
    finally:
        first.tape.release()
        out.seconds = time.monotonic() - started
    return out


def _backward_terms(events: list[dict]) -> list[tuple[int, int, np.ndarray]]:
    """(backward call number, root tensor number, seed) of each root of each completed
    `backward()` call, in order."""
    terms, call = [], 0
    for ev in events:
        kind = ev["type"]
        if kind == "backward" and ev.get("call") in ("backward", "grad") \
                and ev.get("error") is None:
            terms.append((call, ev["root"].id, np.asarray(ev["seed"], dtype=np.float64)))
        elif kind == "backward_end":
            call += 1
    return terms


def _leaves(tape: Tape) -> list[_Leaf]:
    """Leaves that received a gradient from a backward() call, in the order they were made.
    A leaf's gradient is what the calls gave this tensor since its `.grad` last started afresh
    (None or zeros before the call): its `.grad` in the plain case. A leaf changed in place
    between calls (a training loop) is one tensor per state (engine/inplace.py snapshots),
    each with the calls that reached that state. A gradient call (see the module text) gives
    each leaf it reached one gradient of its own: the running total of its last edge there."""
    found: dict[int, _Leaf] = {}
    returned: dict[tuple[int, int], _Leaf] = {}
    call, returning = 0, False
    for ev in tape.events:
        kind = ev["type"]
        if kind == "backward":
            returning = ev.get("call") == "grad" and ev.get("error") is None
            continue
        if kind == "backward_end":
            call += 1
            returning = False
            continue
        if returning:
            if kind == "edge":
                t = ev["record"].inputs[ev["input_index"]]
                if t.is_leaf and t.requires_grad:
                    returned[(t.id, call)] = _Leaf(t, np.array(ev["total"], dtype=np.float64),
                                                   {call})
            continue
        if kind == "edge" and "leaf_grad" in ev:
            t, total, before = ev["record"].inputs[ev["input_index"]], ev["total"], \
                ev.get("leaf_before")
        elif kind == "leaf_seed":
            t, before = ev["tensor"], ev.get("before")
            total = np.asarray(ev["grad"]) - (0.0 if before is None else np.asarray(before))
        else:
            continue
        total = np.array(total, dtype=np.float64)
        old = found.get(t.id)
        if old is None or before is None or not np.any(np.asarray(before)):
            found[t.id] = _Leaf(t, total, {call})
        else:
            old.grad = old.grad + total
            old.calls.add(call)
    leaves = [(k, 0, leaf) for k, leaf in found.items()]
    leaves += [(k, c + 1, leaf) for (k, c), leaf in returned.items()]
    return [leaf for _, _, leaf in sorted(leaves, key=lambda e: e[:2])]


def _check_leaf(check: LeafCheck, leaf: _Leaf, terms: list, source: str,
                inputs: dict[str, float] | None, seed: int, limits: Limits, deadline: float,
                out: FdCheck) -> None:
    x = np.asarray(leaf.tensor.data, dtype=np.float64)
    mine = [(root, s) for call, root, s in terms if call in leaf.calls]

    def f(nudge: Any) -> float:
        left = deadline - time.monotonic()
        if left <= 0 or out.runs >= MAX_RUNS:
            raise _OutOfBudget
        out.runs += 1
        tape = _NudgedTape(limits=replace(limits, max_seconds=left))
        tape.nudge = (leaf.tensor.id, nudge)
        try:
            result = run_program(source, inputs=inputs, seed=seed, limits=tape.limits,
                                 tape=tape)
            roots = {t.id: t for t in result.tape.tensors}
            if result.error is not None and result.error.kind == "limit":
                raise _OutOfBudget
            total = 0.0
            for root, s in mine:
                if root not in roots:
                    raise _Diverged
                total += float(np.sum(s * np.asarray(roots[root].data, dtype=np.float64)))
            return total
        finally:
            tape.release()

    if x.size <= ELEMENTWISE_MAX:
        check.mode = "elements"
        steps = STEP * np.maximum(1.0, np.abs(x))
        estimate = np.full(x.shape, np.nan)
        try:
            for i in range(x.size):
                h = float(steps.flat[i])
                up = f(_moved(i, h))
                down = f(_moved(i, -h))
                estimate.flat[i] = (up - down) / (2 * h)
                check.checked = i + 1
        except _OutOfBudget:
            check.note = f"checked {check.checked} of {x.size} elements before the time limit"
        except _Diverged:
            check.note = "moving this leaf changed which operations the program ran"
        check.h = float(steps.max()) if x.size else STEP
        check.gradient = leaf.grad
        check.estimate = estimate
        check.difference = estimate - leaf.grad
        done = check.difference.flat[:check.checked]
        scale = np.maximum(1.0, np.abs(leaf.grad.flat[:check.checked]))
    else:
        check.mode = "direction"
        v = np.random.default_rng(x.size).choice([-1.0, 1.0], size=x.shape)
        h = STEP * max(1.0, float(np.max(np.abs(x))))
        check.h = h
        check.gradient = float(np.sum(leaf.grad * v))
        try:
            up = f(lambda d: d + h * v)
            down = f(lambda d: d - h * v)
            check.estimate = (up - down) / (2 * h)
            check.difference = check.estimate - check.gradient
            check.checked = int(x.size)
            check.note = ("checked along one direction v of ±1s: the estimate is of "
                          "Σ gradient·v")
        except _OutOfBudget:
            check.note = "not checked: the time limit was reached"
        except _Diverged:
            check.note = "moving this leaf changed which operations the program ran"
        done = np.asarray([] if check.difference is None else [check.difference])
        scale = np.asarray([max(1.0, abs(check.gradient))])[:done.size]
    if done.size:
        check.max_difference = float(np.max(np.abs(done)))
        check.agrees = bool(np.all(np.abs(done) <= TOLERANCE * scale))


def _moved(i: int, h: float) -> Any:
    """Data -> the same data with element i moved by h (a 0-d tensor stays a float64 scalar,
    as engine/tensor.py keeps it)."""
    def move(data: Any) -> Any:
        if np.ndim(data) == 0:
            return np.float64(float(data) + h)
        arr = np.array(data, dtype=np.float64)
        arr.flat[i] += h
        return arr
    return move


def _plain(value: Any) -> Any:
    """JSON-ready: NaN (an element not checked) as None."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _plain(float(value))
        return [_plain(v) for v in value.tolist()] if value.ndim == 1 else \
            [_plain(np.asarray(row)) for row in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    v = float(value)
    return None if not np.isfinite(v) else v


class _OutOfBudget(Exception):
    pass


class _Diverged(Exception):
    pass
