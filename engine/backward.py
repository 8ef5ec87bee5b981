"""The backward pass: walk the recorded graph in reverse, iteratively, emitting one event per edge.

Records are numbered in execution order, so sorting the records reachable from the root by
that number, highest first, visits every op after all the ops that consume its output: each
tensor's gradient is complete before it flows further back.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

import numpy as np

from engine.broadcast import fmt_shape, reduced_axes, unbroadcast
from engine.errors import BackwardError
from engine.inplace import check_saved, live, store
from engine.ops import Ctx
from engine.tensor import Record, Tensor, current_tape

NOT_SCALAR = "grad can be implicitly created only for scalar outputs"
NO_GRAD = "element 0 of tensors does not require grad and does not have a grad_fn"
SECOND_TIME = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


def reachable_records(root: Tensor) -> list[Record]:
    """Records the gradient of `root` flows through, latest first."""
    return _reachable(root)[0]


def _reachable(root: Tensor) -> tuple[list[Record], dict[int, int]]:
    """`reachable_records(root)`, and how many gradient contributions each tensor id will
    receive in this pass (each consuming edge with a rule), in one walk."""
    seen: dict[int, Record] = {}
    expected: dict[int, int] = {}   # a plain dict: Counter's __missing__ is a Python call
    get = expected.get
    stack = [root.record] if root.record is not None and root.requires_grad else []
    while stack:
        rec = stack.pop()
        index = rec.index
        if index in seen:
            continue
        seen[index] = rec
        # One rule per input (the op table's contract); zip(strict=True) costs ~0.4 µs a call.
        for inp, rule in zip(rec.inputs, rec.op.rules):  # noqa: B905
            if rule is not None and inp.requires_grad:
                key = inp.id
                expected[key] = get(key, 0) + 1
                r = inp.record
                if r is not None and r.index not in seen:
                    stack.append(r)
    return [seen[k] for k in sorted(seen, reverse=True)], expected


def _seed(root: Tensor, gradient: Any) -> np.ndarray:
    if gradient is None:
        if root.numel() != 1:
            raise BackwardError(NOT_SCALAR)
        return np.ones(root.shape, dtype=np.float64) if root.shape else np.float64(1.0)
    g = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=np.float64)
    if g.shape != root.shape:
        raise BackwardError(f"Mismatch in shape: gradient has a shape of {fmt_shape(g.shape)} "
                            f"and the output has a shape of {fmt_shape(root.shape)}")
    return g


def _validate(root: Tensor, gradient: Any, records: list[Record]) -> np.ndarray:
    if not root.requires_grad:
        raise BackwardError(NO_GRAD)
    seed = _seed(root, gradient)
    if any(rec.freed and rec.op.saves for rec in records):
        raise BackwardError(SECOND_TIME)
    for rec in records:
        if rec.modified is not None:
            check_saved(rec)
    return seed


def _accumulate_leaf(t: Tensor, total: np.ndarray) -> np.ndarray | None:
    """Add into a leaf's `.grad` as PyTorch does: the first time a new tensor, after that in
    place (a reference the program kept, `g = w.grad`, sees the sum; the grad's version goes
    up). A snapshot of a leaf changed in place passes its gradient to the leaf itself. Returns
    the previous value for narration."""
    t = live(t)
    grad = t.grad
    if grad is None:
        grad = t.grad = Tensor(total, origin="grad")
        if t.name:
            grad.name = f"{t.name}.grad"
        return None
    before = grad.data
    store(grad, before + total, bump=True)
    return before


def backward(root: Tensor, gradient: Any = None, retain_graph: bool = False,
             *, implicit: bool = False) -> None:
    """PyTorch's `root.backward(gradient, retain_graph)`, emitting timeline events as it goes."""
    tape = current_tape()
    records, expected = _reachable(root)
    start = {"type": "backward", "root": root, "implicit": implicit,
             "gradient_given": gradient is not None, "span": tape.span, "error": None}
    try:
        seed = _validate(root, gradient, records)
    except BackwardError as e:
        tape.emit({**start, "error": e.message})
        raise
    tape.emit({**start, "seed": seed})
    if root.record is None or not records:
        before = _accumulate_leaf(root, seed)
        # The grad is kept as it is now: the program may reassign `.grad` before the trace
        # is built, and the player shows what backward computed.
        tape.emit({"type": "leaf_seed", "tensor": root, "before": before,
                   "grad": live(root).grad.data})
    _run(records, {root.id: seed}, expected)
    if not retain_graph:
        for rec in records:
            rec.freed = True
    tape.emit({"type": "backward_end", "root": root})


def _run(records: list[Record], pending: dict[int, np.ndarray],
         expected: dict[int, int]) -> None:
    tape = current_tape()
    events = tape.events if tape.keep else None
    received: dict[int, int] = {}
    asarray, f64, f64s, new_ctx = np.asarray, np.float64, np.float64, tuple.__new__
    started, max_seconds = tape.budget.started, tape.limits.max_seconds
    with np.errstate(all="ignore"):   # once per pass: entering it costs more than a scalar op
        for rec in records:
            if monotonic() - started > max_seconds:   # tape.check_time(), inlined
                tape.check_time()
            output, inputs = rec.output, rec.inputs
            upstream = pending.pop(output.id)
            # rec.ctx(), built here: one Ctx per record is a fair share of a scalar op's cost
            arrays = (inputs[0].data, inputs[1].data) if len(inputs) == 2 else \
                tuple([t.data for t in inputs])
            ctx = new_ctx(Ctx, (arrays, output.data, rec.attrs))
            for i, (inp, rule) in enumerate(zip(inputs, rec.op.rules)):  # noqa: B905
                if rule is None or not inp.requires_grad:
                    continue
                # Float64 scalars (0-d tensors, engine/tensor.py) stay scalars: no array made.
                if rule.times_local:   # vjp is upstream * local: compute local once, multiply
                    local = rule.local(ctx)
                    product = upstream * local
                    if type(product) is not f64s or type(local) is not f64s:
                        product, local = asarray(product, dtype=f64), asarray(local)
                else:
                    product = rule.vjp(upstream, ctx)
                    if type(product) is not f64s:
                        product = asarray(product, dtype=f64)
                    local = None if rule.local is None else asarray(rule.local(ctx))
                shape = inp.data.shape
                if product.shape == shape:
                    contribution = product if type(product) is f64s else product.reshape(shape)
                    axes = []
                else:
                    contribution = unbroadcast(product, shape)
                    axes = reduced_axes(product.shape, shape)
                key = inp.id
                previous = pending.get(key)
                total = contribution if previous is None else previous + contribution
                pending[key] = total
                count = received[key] = received.get(key, 0) + 1
                want = expected[key]
                event = {"type": "edge", "record": rec, "input_index": i, "upstream": upstream,
                         "local": local, "product": product, "contribution": contribution,
                         "total": total, "count": count, "expected": want,
                         "complete": count == want, "reduced_axes": axes}
                if count == want and inp.record is None:
                    event["leaf_before"] = _accumulate_leaf(inp, total)
                    event["leaf_grad"] = live(inp).grad.data
                if events is not None:
                    events.append(event)
