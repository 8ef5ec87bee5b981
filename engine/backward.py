"""The backward pass: walk the recorded graph in reverse, iteratively, emitting one event per edge.

Records are numbered in execution order, so sorting the records reachable from the roots by
that number, highest first, visits every op after all the ops that consume its output: each
tensor's gradient is complete before it flows further back.

Three callers share one pass (`_pass`): `y.backward()` accumulates into the leaves' `.grad`
(or, with `inputs=`, into those tensors only); `torch.autograd.grad` returns the gradients of
its inputs and touches no `.grad`. With `create_graph=True` the pass computes with Tensors
through `engine.graph_vjps`, recording the backward pass as a graph that can be differentiated
again; otherwise with NumPy arrays through the op table's rules (the fast path).

Tensor hooks (`register_hook`) run when a tensor's gradient is complete, before it flows on
(a leaf: before it is accumulated); `retain_grad()` keeps a non-leaf's gradient after them.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import monotonic
from typing import Any

import numpy as np
from chainrule.engine import grad_mode
from chainrule.engine.broadcast import fmt_shape, unbroadcast
from chainrule.engine.edge_event import ABSENT
from chainrule.engine.errors import BackwardError
from chainrule.engine.float32_range import in_float32_range
from chainrule.engine.inplace import check_saved, live, store
from chainrule.engine.ops import ONE, Ctx, is_ones
from chainrule.engine.tensor import Record, Tensor, apply, built_tensor, current_tape

NOT_SCALAR = "grad can be implicitly created only for scalar outputs"
NO_GRAD = "element 0 of tensors does not require grad and does not have a grad_fn"
SECOND_TIME = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")
INPUT_NO_GRAD = "One of the differentiated Tensors does not require grad"


def _unused(index: int) -> str:
    return (f"The differentiated Tensor at index {index} appears to not have been used in the "
            "graph. Set allow_unused=True if this is the desired behavior.")


def reachable_records(root: Tensor) -> list[Record]:
    """Records the gradient of `root` flows through, latest first."""
    return _plan([root], None)[0]


def _plan(roots: Sequence[Tensor], targets: set[int] | None
          ) -> tuple[list[Record], dict[int, int]]:
    """The records the gradient of `roots` flows through, latest first, and how many gradient
    contributions each tensor id will receive in this pass (each consuming edge with a rule).
    With `targets` (tensor ids), only the records on a path to one of them."""
    seen: dict[int, Record] = {}
    expected: dict[int, int] = {}   # a plain dict: Counter's __missing__ is a Python call
    get = expected.get
    stack = []
    for root in roots:
        rec = root.record
        if rec is not None and root.requires_grad and rec.index not in seen:
            seen[rec.index] = rec
            stack.append(rec)
    push, pop = stack.append, stack.pop
    while stack:   # each record is pushed once: marked seen when pushed
        rec = pop()
        op = rec.op
        if op.no_derivative:   # PyTorch's NotImplemented node raises when reached
            raise BackwardError(op.no_derivative)
        # One rule per input (the op table's contract), indexed: a zip or enumerate per record
        # was a fifth of this walk
        rules, i = op.rules, 0
        for inp in rec.inputs:
            if rules[i] is not None and inp.requires_grad:
                key = inp.id
                expected[key] = get(key, 0) + 1
                r = inp.record
                if r is not None:
                    index = r.index
                    if index not in seen:
                        seen[index] = r
                        push(r)
            i += 1  # noqa: SIM113 - enumerate, like zip, costs an object per record
    if targets is not None:
        seen, expected = _prune(seen, targets)
    return [seen[k] for k in sorted(seen, reverse=True)], expected


def _prune(seen: dict[int, Record], targets: set[int]
           ) -> tuple[dict[int, Record], dict[int, int]]:
    """Keep the records from which a gradient reaches a target (earliest first: an input's
    record is decided before the records that consume its output)."""
    needed: dict[int, Record] = {}
    for index in sorted(seen):
        rec = seen[index]
        for inp, rule in zip(rec.inputs, rec.op.rules):  # noqa: B905
            if rule is None or not inp.requires_grad:
                continue
            r = inp.record
            if live(inp).id in targets or (r is not None and r.index in needed):
                needed[index] = rec
                break
    expected: dict[int, int] = {}
    for rec in needed.values():
        for inp, rule in zip(rec.inputs, rec.op.rules):  # noqa: B905
            if rule is not None and inp.requires_grad:
                expected[inp.id] = expected.get(inp.id, 0) + 1
    return needed, expected


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


def _check_records(records: list[Record]) -> None:
    flagged = [rec for rec in records if rec.freed or rec.modified is not None]   # few: one walk
    if any(rec.freed and rec.op.saves for rec in flagged):
        raise BackwardError(SECOND_TIME)
    for rec in flagged:
        if rec.modified is not None:
            check_saved(rec)


def _accumulate_leaf(t: Tensor, total: Any) -> np.ndarray | None:
    """Add into a leaf's `.grad` as PyTorch does: the first time a new tensor, after that in
    place (a reference the program kept, `g = w.grad`, sees the sum; the grad's version goes
    up) — or, building a graph (create_graph, `total` a Tensor), out of place, recorded. A
    snapshot of a leaf changed in place passes its gradient to the leaf itself. Returns the
    previous value for narration."""
    t = live(t)
    grad = t.grad
    if isinstance(total, Tensor):
        # Building a graph: PyTorch's .grad is then a copy with grad_fn CopyBackwards.
        from chainrule.engine.inplace_ops import ROWS
        new = total if grad is None else _f().add(grad, total)
        t.grad = apply(ROWS["copy"], (Tensor(np.zeros(t.shape), origin="constant"), new))
        return None if grad is None else grad.data
    if grad is None:
        grad = t.grad = Tensor(total, origin="grad")
        if t.name:
            grad.name = f"{t.name}.grad"
        return None
    before = grad.data
    store(grad, before + total, bump=True)
    return before


def _f() -> Any:
    from chainrule.engine import functional
    return functional


# ---------------------------------------------------------------- the callers


def backward(root: Tensor, gradient: Any = None, retain_graph: bool | None = None,
             *, implicit: bool = False, create_graph: bool = False,
             inputs: Sequence[Tensor] | None = None) -> None:
    """PyTorch's `root.backward(gradient, retain_graph, create_graph, inputs)`, emitting
    timeline events as it goes."""
    backward_many([root], [gradient], retain_graph, implicit=implicit,
                  create_graph=create_graph, inputs=inputs)


def backward_many(roots: list[Tensor], gradients: list[Any], retain_graph: bool | None = None,
                  *, implicit: bool = False, create_graph: bool = False,
                  inputs: Sequence[Tensor] | None = None) -> None:
    """`torch.autograd.backward(roots, gradients)`: one pass from all of them."""
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is not None:
        if len(inputs) == 0:
            raise BackwardError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:
            if not t.requires_grad:
                raise BackwardError(INPUT_NO_GRAD)
        grads = _pass(roots, gradients, inputs, retain, create_graph, implicit, "backward")
        for t, g in zip(inputs, grads, strict=True):
            if g is not None:
                _accumulate_leaf(t, g)
        return
    _pass(roots, gradients, None, retain, create_graph, implicit, "backward")


def grad(outputs: Sequence[Tensor], inputs: Sequence[Tensor],
         grad_outputs: Sequence[Any] | None = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """PyTorch's `torch.autograd.grad`: the gradients of `outputs` with respect to `inputs`,
    as a tuple; no `.grad` is touched."""
    for t in inputs:
        if not t.requires_grad:
            raise BackwardError(INPUT_NO_GRAD)
    retain = create_graph if retain_graph is None else retain_graph
    seeds = list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    if len(seeds) != len(outputs):
        raise BackwardError(f"grad requires one grad_output per output: got "
                            f"{len(seeds)} grad_outputs and {len(outputs)} outputs")
    grads = _pass(list(outputs), seeds, inputs, retain, create_graph, False, "grad")
    out: list[Tensor | None] = []
    for i, (t, g) in enumerate(zip(inputs, grads, strict=True)):
        if g is None:
            if not (allow_unused or materialize_grads):
                raise BackwardError(_unused(i))
            out.append(Tensor(np.zeros(t.shape), origin="grad") if materialize_grads else None)
        elif isinstance(g, Tensor):
            out.append(g)
        else:
            out.append(Tensor(g, origin="grad"))
    return tuple(out)


# ---------------------------------------------------------------- one pass


def _pass(roots: list[Tensor], gradients: list[Any], targets: Sequence[Tensor] | None,
          retain: bool, create_graph: bool, implicit: bool, call: str) -> list[Any]:
    """Run backward from `roots` (seeded by `gradients`). Without targets, leaves accumulate
    their `.grad`; with them, nothing is accumulated and each target's gradient is returned
    (None where no gradient reached it)."""
    tape = current_tape()
    target_ids = None if targets is None else {live(t).id for t in targets}
    records, expected = _plan(roots, target_ids)
    seeds = []
    for i, (root, gradient) in enumerate(zip(roots, gradients, strict=True)):
        start = {"type": "backward", "root": root, "implicit": implicit, "call": call,
                 "gradient_given": gradient is not None, "span": tape.span, "error": None}
        try:
            if not root.requires_grad:
                raise BackwardError(NO_GRAD.replace("element 0", f"element {i}"))
            seeds.append(_seed(root, gradient))
            if i == len(roots) - 1:
                _check_records(records)
        except BackwardError as e:
            tape.emit({**start, "error": e.message})
            raise
        tape.emit({**start, "seed": seeds[-1]})
    captured: dict[int, Any] | None = None if targets is None else {}
    pending: dict[int, Any] = {}
    if create_graph:
        seeds = [g if isinstance(g, Tensor) and g.shape == r.shape else
                 Tensor(s, origin="constant") for r, g, s in zip(roots, gradients, seeds,
                                                                 strict=True)]
    saved_mode = grad_mode.is_grad_enabled()
    grad_mode.set_grad_enabled_now(create_graph)   # hooks compute without a graph unless asked
    try:
        for root, seed in zip(roots, seeds, strict=True):
            key = root.id
            pending[key] = seed if key not in pending else pending[key] + seed
            if root.record is None or not root.requires_grad or \
                    all(rec is not root.record for rec in records):
                _seed_reaches(root, seed, captured, target_ids)
        if create_graph:
            from chainrule.engine.graph_vjps import run_graph
            run_graph(records, pending, expected, captured, target_ids, _complete_leaf)
        else:
            _run(records, pending, expected, captured, target_ids)
    finally:
        grad_mode.set_grad_enabled_now(saved_mode)
    if not retain:
        for rec in records:
            rec.freed = True
    tape.emit({"type": "backward_end", "root": roots[0], "call": call})
    if targets is None:
        return []
    return [captured.get(live(t).id) for t in targets]


def _seed_reaches(root: Tensor, seed: Any, captured: dict[int, Any] | None,
                  target_ids: set[int] | None) -> None:
    """The root itself is a leaf (x.backward()) or a target (grad(y, y)): its seed is its
    gradient."""
    tape = current_tape()
    if captured is not None:
        key = live(root).id
        if key in target_ids:
            captured[key] = seed if key not in captured else captured[key] + seed
        return
    if root.record is None:
        seed = run_hooks(root, seed)
        before = _accumulate_leaf(root, seed)
        # The grad is kept as it is now: the program may reassign `.grad` before the trace
        # is built, and the player shows what backward computed.
        tape.emit({"type": "leaf_seed", "tensor": root, "before": before,
                   "grad": live(root).grad.data})
        if root.meta is not None and root.meta.post_hooks:
            from chainrule.engine.hooks import call_post_hooks
            call_post_hooks(root)


def _complete_leaf(inp: Tensor, total: Any) -> tuple[Any, Any]:
    """A leaf's gradient is complete: its hooks, then `.grad`. Returns (the `.grad` before,
    after) for the edge's event (the NumPy pass makes a fresh leaf's `.grad` itself)."""
    total = run_hooks(inp, total)
    before = _accumulate_leaf(inp, total)
    leaf = live(inp)
    after = leaf.grad.data   # as backward left it, before the post-accumulate hooks run
    if leaf.meta is not None and leaf.meta.post_hooks:
        from chainrule.engine.hooks import call_post_hooks
        call_post_hooks(leaf)
    return before, after


def _grad_tensor(total: Any, tape: Any = None) -> Tensor:
    """Tensor(total, origin="grad") for the float64 total a pass computed, without
    Tensor.__init__'s conversions and tape lookup (one per leaf: a scalar MLP's weights)."""
    f64s = np.float64
    if type(total) is not f64s:
        if type(total) is np.ndarray and total.ndim == 0:
            total = total[()]   # a 0-d float tensor holds a float64 scalar (engine/tensor.py)
        if type(total) is not f64s and not (type(total) is np.ndarray and
                                            total.dtype == f64s):
            return Tensor(total, origin="grad")
    tape = tape or current_tape()
    g = built_tensor(total, False, "grad", tape)
    g.id = tape.register_one(g) if type(total) is f64s else tape.register(g)
    return g


def run_hooks(t: Tensor, grad: Any, retain: bool = True) -> Any:
    """Tensor hooks on `t` (on the live tensor for a leaf's snapshot), each given the gradient
    as a Tensor and maybe returning a replacement; then `retain_grad()` (backward only)."""
    owner = live(t) if t.record is None else t
    m = owner.meta
    if m is None or (not m.hooks and not (retain and m.retains_grad)):
        return grad
    from chainrule.engine.hooks import call_hooks
    return call_hooks(owner, grad, retain)


def _run(records: list[Record], pending: dict[int, np.ndarray], expected: dict[int, int],
         captured: dict[int, Any] | None = None, target_ids: set[int] | None = None) -> None:
    tape = current_tape()
    events = tape.events if tape.keep else None
    received: dict[int, int] = {}
    f64s, new_ctx, one = np.float64, tuple.__new__, ONE
    started, max_seconds = tape.budget.started, tape.limits.max_seconds
    accumulate = captured is None
    pop, get = pending.pop, pending.get
    with np.errstate(all="ignore"):   # once per pass: entering it costs more than a scalar op
        for n, rec in enumerate(records):
            # tape.check_time(), inlined, every 64 records (a scalar graph's take ~50 µs)
            if not n & 63 and monotonic() - started > max_seconds:
                tape.check_time()
            output, inputs = rec.output, rec.inputs
            upstream = pop(output.id)
            if output.meta is not None:
                upstream = run_hooks(output, upstream, retain=accumulate)
            op = rec.op
            x = inputs[0].data
            # a scalar graph's record (micrograd's ops on 0-d tensors): its local derivatives
            # at once, no Ctx, no rule calls; every input of these ops has a rule
            if op.scalar_locals is not None and type(upstream) is f64s and type(x) is f64s:
                if len(inputs) == 2:
                    y = inputs[1].data
                    scalar = type(y) is f64s
                    if scalar:
                        locals_ = op.scalar_locals(x, y, output.data)
                else:
                    scalar = True
                    locals_ = op.scalar_locals(x, output.data)
            else:
                scalar = False
            if not scalar:
                arrays = (x, inputs[1].data) if len(inputs) == 2 else \
                    tuple([t.data for t in inputs])
                # rec.ctx(), built here: one Ctx per record is a fair share of an op's cost
                ctx = new_ctx(Ctx, (arrays, output.data, rec.attrs))
                # float32's range, as the forward (engine/float32_range.py): the local
                # derivative of x ** 40 at 10 is inf in PyTorch
                in_range = op.leaves_float32_range and output.dtype_name is None
            rules, i = op.rules, -1
            for inp in inputs:   # indexed: a zip per record costs more
                i += 1
                rule = rules[i]
                if rule is None or not inp.requires_grad:
                    continue
                if scalar:
                    local = locals_[i]
                    # x · 1 is x in IEEE arithmetic (nan, ±inf and -0 included)
                    product = contribution = upstream if local is one else upstream * local
                else:
                    local, product, contribution = _edge_numbers(rule, ctx, upstream, inp,
                                                                 in_range)
                key = inp.id
                previous = get(key)
                total = contribution if previous is None else previous + contribution
                pending[key] = total
                want = expected[key]
                # most tensors feed one op (a weight): nothing to count
                if want == 1:
                    count = 1
                else:
                    count = received[key] = received.get(key, 0) + 1
                before, leaf_grad = None, ABSENT
                if count == want:
                    if accumulate:
                        if inp.record is None and inp.meta is None and inp.grad is None:
                            # most leaves (a scalar MLP's weights: one per op): no hooks, no
                            # alias, no .grad yet, so `.grad` is a new tensor holding the total:
                            # what _complete_leaf does, without its calls
                            grad = inp.grad = _grad_tensor(total, tape)
                            if inp.name:
                                grad.name = f"{inp.name}.grad"
                            leaf_grad = grad.data
                        elif inp.record is None:
                            before, leaf_grad = _complete_leaf(inp, total)
                    else:
                        _capture(inp, total, captured, target_ids)
                if events is not None:
                    # an EdgeEvent's fields, as a plain tuple: engine/edge_event.Events
                    events.append((rec, i, upstream, local, product, contribution, total,
                                   count, want, before, leaf_grad))


def _edge_numbers(rule: Any, ctx: Ctx, upstream: Any, inp: Tensor, in_range: bool
                  ) -> tuple[Any, Any, Any]:
    """(local, product, contribution) of one edge: the product in the output's shape, the
    contribution in the input's (broadcasting undone). Float64 scalars (0-d tensors,
    engine/tensor.py) stay scalars: no array is made for them."""
    f64s = np.float64
    if rule.times_local:   # vjp is upstream * local: compute local once, multiply
        local = rule.local(ctx)
        if in_range:
            local = in_float32_range(local)
        # add's local is ones: the product is the upstream gradient itself (no multiply); a
        # loss's seed of ones times a local of the same shape is that local
        if type(local) is np.ndarray and is_ones(local) and type(upstream) is np.ndarray and \
                upstream.dtype == f64s:
            product = upstream
        elif type(upstream) is np.ndarray and is_ones(upstream) and type(local) is np.ndarray \
                and local.shape == upstream.shape and local.dtype == f64s:
            product = local
        else:
            product = upstream * local
        if type(product) is not f64s or type(local) is not f64s:
            product, local = np.asarray(product, dtype=f64s), np.asarray(local)
    else:
        product = rule.vjp(upstream, ctx)
        if type(product) is not f64s:
            product = np.asarray(product, dtype=f64s)
        local = None if rule.local is None else np.asarray(rule.local(ctx))
        if in_range and local is not None:
            local = in_float32_range(local)
    if in_range and product is not local:   # the local is already in range
        product = in_float32_range(product)
    if type(product) is f64s:
        return local, product, product
    shape = inp.data.shape
    return local, product, (product if product.shape == shape else unbroadcast(product, shape))


def _capture(inp: Tensor, total: Any, captured: dict[int, Any], target_ids: set[int]) -> None:
    key = live(inp).id
    if key in target_ids:
        captured[key] = total if key not in captured else captured[key] + total
