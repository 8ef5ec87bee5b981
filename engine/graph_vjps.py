"""Differentiable vector-Jacobian products, for `create_graph=True`.

With `y.backward(create_graph=True)` or `torch.autograd.grad(..., create_graph=True)` the
backward pass is itself recorded: each gradient is a Tensor computed with `engine.functional`
ops, so it has a graph that can be differentiated again (second and third derivatives,
`hessian`). `VJPS[op name](g, rec, i)` is the gradient flowing to input `i` of record `rec`
given the output's gradient `g` (a Tensor), before broadcasting is undone (`sum_to` does that,
with ops too). An op without a row here stops a create_graph pass with a clear message.

`run_graph` is the pass: the same walk, counts, events and hooks as `engine.backward._run`,
on Tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine.errors import RuntimeProblem
from chainrule.engine.ops import OPS, Ctx, _count, _max_mask, _picked
from chainrule.engine.tensor import Record, Tensor, apply, current_tape

Vjp = Callable[[Tensor, Record, int], Tensor]


def _const(values: Any) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), origin="constant")


def _in(rec: Record, i: int) -> Tensor:
    return rec.inputs[i]


def sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Undo broadcasting with sum ops: `g` summed down to `shape`."""
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    dims = tuple(range(lead)) + tuple(lead + d for d, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + d] != 1)
    return fn.reshape(fn.sum(g, dim=dims, keepdim=True), *shape) if shape else \
        fn.reshape(fn.sum(g), *shape)


def _expand_reduced(g: Tensor, rec: Record) -> Tensor:
    """The gradient of a reduction spread back over the input's shape."""
    shape = _in(rec, 0).shape
    dim, keepdim = rec.attrs.get("dim"), rec.attrs.get("keepdim", False)
    if dim is None or dim == () or not shape:
        kept = tuple(1 for _ in shape)
    else:
        dims = {d % len(shape) for d in (dim if isinstance(dim, tuple | list) else (dim,))}
        kept = tuple(1 if d in dims else n for d, n in enumerate(shape))
    if not keepdim or dim is None:
        g = fn.reshape(g, *kept)
    return fn.add(g, _const(np.zeros(shape)))


def _matmul(g: Tensor, rec: Record, i: int) -> Tensor:
    a, b = rec.inputs
    na, nb = len(a.shape), len(b.shape)
    if na == 1 and nb == 1:
        return fn.mul(g, b if i == 0 else a)
    if na == 2 and nb == 1:   # out[n] = a[n, k] b[k]
        return fn.matmul(fn.unsqueeze(g, 1), fn.unsqueeze(b, 0)) if i == 0 else \
            fn.matmul(fn.transpose(a, 0, 1), g)
    if na == 1 and nb == 2:   # out[n] = a[k] b[k, n]
        return fn.matmul(b, g) if i == 0 else fn.matmul(fn.unsqueeze(a, 1), fn.unsqueeze(g, 0))
    if na >= 2 and nb >= 2:
        return fn.matmul(g, fn.transpose(b, -1, -2)) if i == 0 else \
            fn.matmul(fn.transpose(a, -1, -2), g)
    raise RuntimeProblem("higher-order gradients through matmul of a batch with a vector are "
                         "not supported yet")


def _index_scatter(g: Tensor, rec: Record, i: int) -> Tensor:
    from chainrule.engine.inplace_ops import ROWS
    return apply(ROWS["setitem"], (_const(np.zeros(_in(rec, 0).shape)), g),
                 key=rec.attrs["key"])


def _setitem(g: Tensor, rec: Record, i: int) -> Tensor:
    from chainrule.engine.inplace_ops import ROWS
    key = rec.attrs["key"]
    if i == 0:
        return apply(ROWS["setitem"], (g, _const(0.0)), key=key)
    return apply(OPS["index"], (g,), key=key)


def _mask(rec: Record, local: Callable[[Ctx], Any]) -> Tensor:
    """A 0/1 (or tie-share) mask from the op table's numeric local derivative: piecewise
    constant, so its own derivative is zero and it enters the graph as a constant."""
    return _const(local(rec.ctx()))


def _nll(g: Tensor, rec: Record, i: int) -> Tensor:
    logp, target = rec.inputs
    reduction = rec.attrs.get("reduction", "mean")
    idx, n = _picked(logp.data, target.data)
    picks = np.zeros(logp.shape)
    picks[idx] = -(1.0 / max(n, 1) if reduction == "mean" else 1.0)
    if reduction == "none" and len(logp.shape) == 2:
        g = fn.unsqueeze(g, 1)
    return fn.mul(g, _const(picks))


def _mse(g: Tensor, rec: Record, i: int) -> Tensor:
    a, b = rec.inputs
    n = 1 if rec.attrs.get("reduction", "mean") != "mean" else \
        int(np.prod(np.broadcast_shapes(a.shape, b.shape), dtype=np.int64))
    d = fn.mul(g, fn.div(fn.mul(fn.sub(a, b), 2.0), float(n)))
    return d if i == 0 else fn.neg(d)


def _pow(g: Tensor, rec: Record, i: int) -> Tensor:
    p = rec.attrs["exponent"]
    if p == 0:
        return fn.mul(g, 0.0)
    return fn.mul(g, fn.mul(p, fn.pow(_in(rec, 0), p - 1)))


def _pow_tensor(g: Tensor, rec: Record, i: int) -> Tensor:
    a, b = rec.inputs
    if i == 0:
        return fn.mul(g, fn.mul(b, fn.pow(a, fn.sub(b, 1.0))))
    return fn.mul(g, fn.mul(rec.output, fn.log(a)))


def _softmax(g: Tensor, rec: Record, i: int) -> Tensor:
    s, dim = rec.output, rec.attrs["dim"]
    return fn.mul(s, fn.sub(g, fn.sum(fn.mul(g, s), dim=dim, keepdim=True)))


def _log_softmax(g: Tensor, rec: Record, i: int) -> Tensor:
    dim = rec.attrs["dim"]
    return fn.sub(g, fn.mul(fn.exp(rec.output), fn.sum(g, dim=dim, keepdim=True)))


def _transpose(g: Tensor, rec: Record, i: int) -> Tensor:
    if len(g.shape) < 2:
        return g
    return fn.transpose(g, rec.attrs.get("dim0", 0), rec.attrs.get("dim1", 1))


def _zero(g: Tensor, rec: Record, i: int) -> Tensor:
    return fn.mul(g, 0.0)


def _relu_mask(c: Ctx) -> np.ndarray:
    return (np.asarray(c.a) > 0).astype(np.float64)


def _clamp_mask(c: Ctx) -> np.ndarray:
    from chainrule.engine.inplace_ops import _clamp_mask as mask
    return mask(c)


def _where(g: Tensor, rec: Record, i: int) -> Tensor:
    chosen = np.asarray(rec.inputs[0].data).astype(bool)
    return fn.mul(g, _const(chosen if i == 1 else ~chosen))


def _cumsum(g: Tensor, rec: Record, i: int) -> Tensor:
    """The reverse cumulative sum along dim: the total minus what came before."""
    dim = rec.attrs["dim"]
    if len(g.shape) == 0:
        return g
    return fn.add(fn.sub(fn.sum(g, dim=dim, keepdim=True), fn.cumsum(g, dim)), g)


def _piece(g: Tensor, rec: Record, i: int) -> Tensor:
    """cat: input i's slice of the gradient along dim; stack: its index along dim."""
    ndim = len(g.shape)
    dim = rec.attrs.get("dim", 0) % ndim
    if rec.op.name == "stack":
        key: Any = (*[slice(None)] * dim, i)
    else:
        start = sum(inp.shape[dim] for inp in rec.inputs[:i])
        key = (*[slice(None)] * dim, slice(start, start + rec.inputs[i].shape[dim]))
    return apply(OPS["index"], (g,), key=key)


VJPS: dict[str, Vjp] = {
    "clone": lambda g, rec, i: g,
    "to": lambda g, rec, i: g,
    "where": _where,
    "cumsum": _cumsum,
    "cat": _piece,
    "stack": _piece,
    "add": lambda g, rec, i: g,
    "sub": lambda g, rec, i: g if i == 0 else fn.neg(g),
    "mul": lambda g, rec, i: fn.mul(g, _in(rec, 1 - i)),
    "div": lambda g, rec, i: fn.div(g, _in(rec, 1)) if i == 0 else
    fn.neg(fn.div(fn.mul(g, _in(rec, 0)), fn.mul(_in(rec, 1), _in(rec, 1)))),
    "neg": lambda g, rec, i: fn.neg(g),
    "pow": _pow,
    "pow_tensor": _pow_tensor,
    "exp": lambda g, rec, i: fn.mul(g, rec.output),
    "log": lambda g, rec, i: fn.div(g, _in(rec, 0)),
    "reciprocal": lambda g, rec, i: fn.neg(fn.mul(g, fn.mul(rec.output, rec.output))),
    "sin": lambda g, rec, i: fn.mul(g, fn.cos(_in(rec, 0))),
    "cos": lambda g, rec, i: fn.neg(fn.mul(g, fn.sin(_in(rec, 0)))),
    "tanh": lambda g, rec, i: fn.mul(g, fn.sub(1.0, fn.mul(rec.output, rec.output))),
    "sigmoid": lambda g, rec, i: fn.mul(g, fn.mul(rec.output, fn.sub(1.0, rec.output))),
    "relu": lambda g, rec, i: fn.mul(g, _mask(rec, _relu_mask)),
    "sqrt": lambda g, rec, i: fn.div(g, fn.mul(rec.output, 2.0)),
    "abs": lambda g, rec, i: fn.mul(g, _const(np.sign(np.asarray(_in(rec, 0).data)))),
    "sum": lambda g, rec, i: _expand_reduced(g, rec),
    "mean": lambda g, rec, i: fn.div(_expand_reduced(g, rec),
                                     float(_count(_in(rec, 0).shape, rec.attrs.get("dim")))),
    "max": lambda g, rec, i: fn.mul(g, _mask(rec, _max_mask)),
    "matmul": _matmul,
    "reshape": lambda g, rec, i: fn.reshape(g, *_in(rec, 0).shape),
    "unsqueeze": lambda g, rec, i: fn.reshape(g, *_in(rec, 0).shape),
    "squeeze": lambda g, rec, i: fn.reshape(g, *_in(rec, 0).shape),
    "transpose": _transpose,
    "index": _index_scatter,
    "setitem": _setitem,
    "copy": lambda g, rec, i: fn.mul(g, 0.0) if i == 0 else g,
    "zero": _zero,
    "fill": _zero,
    "clamp": lambda g, rec, i: fn.mul(g, _mask(rec, _clamp_mask)),
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "nll_loss": _nll,
    "mse_loss": _mse,
}


def vjp(g: Tensor, rec: Record, i: int) -> Tensor:
    rule = VJPS.get(rec.op.name)
    if rule is None:
        raise RuntimeProblem(f"higher-order gradients through {rec.op.name} are not supported "
                             "yet (create_graph=True, hessian)")
    return rule(g, rec, i)


def run_graph(records: list[Record], pending: dict[int, Tensor], expected: dict[int, int],
              captured: dict[int, Any] | None, target_ids: set[int] | None,
              complete_leaf: Callable[[Tensor, Any], tuple[Any, Any]]) -> None:
    """`engine.backward._run` on Tensors: every gradient is computed with recorded ops."""
    from chainrule.engine.backward import _capture, run_hooks
    from chainrule.engine.broadcast import reduced_axes

    tape = current_tape()
    received: dict[int, int] = {}
    for rec in records:
        tape.check_time()
        output = rec.output
        upstream = pending.pop(output.id)
        if output.meta is not None:
            upstream = run_hooks(output, upstream, retain=captured is None)
        ctx = rec.ctx()
        for i, (inp, rule) in enumerate(zip(rec.inputs, rec.op.rules, strict=True)):
            if rule is None or not inp.requires_grad:
                continue
            product = vjp(upstream, rec, i)
            contribution = sum_to(product, inp.shape)
            key = inp.id
            previous = pending.get(key)
            total = contribution if previous is None else fn.add(previous, contribution)
            pending[key] = total
            count = received[key] = received.get(key, 0) + 1
            want = expected[key]
            local = None if rule.local is None else np.asarray(rule.local(ctx))
            event = {"type": "edge", "record": rec, "input_index": i,
                     "upstream": np.asarray(upstream.data), "local": local,
                     "product": np.asarray(product.data),
                     "contribution": np.asarray(contribution.data),
                     "total": np.asarray(total.data), "count": count, "expected": want,
                     "complete": count == want,
                     "reduced_axes": reduced_axes(product.shape, inp.shape),
                     "create_graph": True}
            if count == want:
                if captured is None:
                    if inp.record is None:
                        event["leaf_before"], event["leaf_grad"] = complete_leaf(inp, total)
                else:
                    _capture(inp, total, captured, target_ids)
            tape.emit(event)
