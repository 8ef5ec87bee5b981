"""`torch.autograd.functional.jacobian` and `hessian`, reverse mode, for small inputs.

As PyTorch does it: the inputs are detached copies that require grad (kept as they are when
building a graph), the user's function runs on them, and each element of each output is one
`autograd.grad` pass seeded with a one-hot gradient. `hessian` is the jacobian of the
function's gradient, computed with `create_graph=True` (engine/graph_vjps.py). Results and
their tuple nesting follow PyTorch: a Tensor for one input and one output, a tuple per input
and/or per output otherwise, shape `output.shape + input.shape`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chainrule.engine import backward as bw
from chainrule.engine import functional as fn
from chainrule.engine.errors import ArgumentError, RuntimeProblem
from chainrule.engine.inplace import alias
from chainrule.engine.tensor import Tensor

MAX_JACOBIAN_ELEMENTS = 10_000   # output elements x input elements: one backward pass per row


def _as_tuple(value: Any, what: str, where: str) -> tuple[bool, tuple[Tensor, ...]]:
    if isinstance(value, Tensor):
        return False, (value,)
    if isinstance(value, tuple) and all(isinstance(v, Tensor) for v in value):
        return True, value
    raise ArgumentError(f"The {what} given to {where} must be either a Tensor or a tuple of "
                        f"Tensors but the given {what} has type {_type(value)}.")


def _type(value: Any) -> str:
    name = "NoneType" if value is None else type(value).__name__
    return f"<class '{name}'>"


def call_user(func: Any, args: tuple) -> Any:
    """Call a user function (lang's objects are plain callables) or a table function."""
    if getattr(func, "user_function", False):
        return func(*args)
    from chainrule.engine import namespace as ns
    if isinstance(func, ns.CALLABLE):
        return ns.call(func, args, {})
    if callable(func) and getattr(func, "__module__", None) == __name__:
        return func(*args)   # hessian's own inner functions
    raise ArgumentError(f"{_type(func)} object is not callable")


def _prepare(t: Tensor, create_graph: bool) -> Tensor:
    if create_graph and t.requires_grad:
        return t
    if not t.is_float:
        raise RuntimeProblem("only Tensors of floating point and complex dtype can require "
                             "gradients")
    a = alias(t, share_version=True)
    a.requires_grad = True
    return a


def jacobian(func: Any, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    inputs_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    ins = tuple(_prepare(t, create_graph) for t in ins)
    outputs_tuple, outs = _as_tuple(call_user(func, ins),
                                    "outputs of the user-provided function", "jacobian")
    total = sum(o.numel() for o in outs) * sum(t.numel() for t in ins)
    if total > MAX_JACOBIAN_ELEMENTS:
        raise RuntimeProblem(f"this jacobian has {total:,} entries, over chainrule's limit of "
                             f"{MAX_JACOBIAN_ELEMENTS:,} (it takes one backward pass per output "
                             "element)")
    table = [[_block(out, inp, rows, k, create_graph) for k, inp in enumerate(ins)]
             for out, rows in ((o, _rows(o, ins, create_graph, strict)) for o in outs)]
    if outputs_tuple and inputs_tuple:
        return tuple(tuple(row) for row in table)
    if outputs_tuple:
        return tuple(row[0] for row in table)
    if inputs_tuple:
        return tuple(table[0])
    return table[0][0]


def _rows(out: Tensor, ins: tuple[Tensor, ...], create_graph: bool, strict: bool
          ) -> list[tuple[Any, ...]]:
    """For each element of `out`, the gradients of that element with respect to `ins`."""
    if not out.requires_grad:
        if strict:
            raise RuntimeProblem("Output 0 of the user-provided function does not require "
                                 "gradients. The outputs must be computed in a differentiable "
                                 "manner from the input when running in strict mode.")
        return [(None,) * len(ins) for _ in range(out.numel())]
    rows = []
    for j in range(out.numel()):
        seed = np.zeros(out.numel())
        seed[j] = 1.0
        rows.append(bw.grad([out], list(ins), [Tensor(seed.reshape(out.shape))],
                            retain_graph=True, create_graph=create_graph, allow_unused=True))
    return rows


def _block(out: Tensor, inp: Tensor, rows: list[tuple[Any, ...]], k: int,
           create_graph: bool) -> Tensor:
    shape = (*out.shape, *inp.shape)
    if create_graph:
        parts = [r[k] if r[k] is not None else Tensor(np.zeros(inp.shape), origin="constant")
                 for r in rows]
        if len(parts) == 1:
            return fn.reshape(parts[0], *shape)
        stack = getattr(fn, "stack", None)
        if stack is None:
            raise RuntimeProblem("jacobian(create_graph=True) of an output with more than one "
                                 "element is not supported yet")
        return fn.reshape(stack(parts), *shape)
    data = np.zeros((len(rows), *inp.shape))
    for j, r in enumerate(rows):
        if r[k] is not None:
            data[j] = np.asarray(r[k].data)
    return Tensor(data.reshape(shape), origin="result")


def hessian(func: Any, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    _as_tuple(inputs, "inputs", "hessian")

    def single_output(*args: Tensor) -> Tensor:
        out = call_user(func, args)
        if not isinstance(out, Tensor):
            raise RuntimeProblem("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeProblem("The Tensor returned by the function given to hessian should "
                                 "contain a single element")
        return fn.squeeze(out)

    def gradient(*args: Tensor) -> Any:
        return jacobian(single_output, args if isinstance(inputs, tuple) else args[0],
                        create_graph=True, strict=strict)

    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict)


# ---------------------------------------------------------------- products


def _vector(v: Any, outs: tuple[Tensor, ...], is_tuple: bool, what: str) -> list[Tensor]:
    if v is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeProblem("The vector v can only be None if the user-provided function "
                                 "returns a single Tensor with a single element.")
        return [Tensor(np.ones(outs[0].shape), origin="constant")]
    _, vs = _as_tuple(v, "v", what)
    if len(vs) != len(outs) or any(a.shape != b.shape for a, b in zip(vs, outs, strict=False)):
        raise RuntimeProblem(f"v has invalid size: should be "
                             f"{[list(o.shape) for o in outs]} but got "
                             f"{[list(x.shape) for x in vs]}.")
    return list(vs)


def _pack(values: list[Tensor], is_tuple: bool) -> Any:
    return tuple(values) if is_tuple else values[0]


def _result(t: Tensor | None, like: Tensor) -> Tensor:
    if t is None:
        return Tensor(np.zeros(like.shape), origin="result")
    return Tensor(np.array(t.data, dtype=np.float64), origin="result")


def vjp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`torch.autograd.functional.vjp`: (func(inputs), vᵀ·J), both detached."""
    inputs_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
    ins = tuple(_prepare(t, create_graph) for t in ins)
    outputs_tuple, outs = _as_tuple(call_user(func, ins),
                                    "outputs of the user-provided function", "vjp")
    vs = _vector(v, outs, outputs_tuple, "vjp")
    used = [(o, s) for o, s in zip(outs, vs, strict=True) if o.requires_grad]
    grads = bw.grad([o for o, _ in used], list(ins), [s for _, s in used],
                    create_graph=create_graph, allow_unused=True) if used else (None,) * len(ins)
    values = [_result(o, o) for o in outs]
    return _pack(values, outputs_tuple), _pack([_result(g, t) for g, t in zip(grads, ins,
                                                                          strict=True)],
                                               inputs_tuple)


def jvp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`torch.autograd.functional.jvp`: (func(inputs), J·v), by PyTorch's double-backward
    trick: the vjp is linear in its seed u, so J·v is the gradient of <vjp(u), v> in u."""
    inputs_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
    ins = tuple(_prepare(t, True) for t in ins)
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeProblem("The vector v can only be None if the input to the "
                                 "user-provided function is a single Tensor with a single "
                                 "element.")
        vs = [Tensor(np.ones(ins[0].shape), origin="constant")]
    else:
        _, vs = _as_tuple(v, "v", "jvp")
    outputs_tuple, outs = _as_tuple(call_user(func, ins),
                                    "outputs of the user-provided function", "jvp")
    seeds = [Tensor(np.zeros(o.shape), requires_grad=True) for o in outs]
    used = [(o, u) for o, u in zip(outs, seeds, strict=True) if o.requires_grad]
    if not used:
        return _pack([_result(o, o) for o in outs], outputs_tuple), \
            _pack([_result(None, o) for o in outs], outputs_tuple)
    grads = bw.grad([o for o, _ in used], list(ins), [u for _, u in used], create_graph=True,
                    allow_unused=True)
    pairs = [(g, s) for g, s in zip(grads, vs, strict=True) if g is not None and g.requires_grad]
    back = bw.grad([g for g, _ in pairs], [u for _, u in used], [s for _, s in pairs],
                   allow_unused=True) if pairs else (None,) * len(used)
    found = {id(u): g for (_, u), g in zip(used, back, strict=True)}
    return _pack([_result(o, o) for o in outs], outputs_tuple), \
        _pack([_result(found.get(id(u)), o) for o, u in zip(outs, seeds, strict=True)],
              outputs_tuple)


def _gradient_function(func: Any, is_tuple: bool) -> Any:
    def gradient(*args: Tensor) -> Any:
        out = call_user(func, args)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeProblem("The Tensor returned by the function given to hvp should "
                                 "contain a single element")
        grads = bw.grad([out], list(args), create_graph=True, allow_unused=True)
        full = [g if g is not None else Tensor(np.zeros(a.shape), origin="constant")
                for g, a in zip(grads, args, strict=True)]
        return tuple(full) if is_tuple else full[0]
    return gradient


def vhp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`torch.autograd.functional.vhp`: (func(inputs), vᵀ·H)."""
    value = call_user(func, tuple(_as_tuple(inputs, "inputs", "vhp")[1]))
    _, products = vjp(_gradient_function(func, isinstance(inputs, tuple)), inputs, v)
    return _result(value, value), products


def hvp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """`torch.autograd.functional.hvp`: (func(inputs), H·v) — H is symmetric, so vᵀ·H."""
    return vhp(func, inputs, v, create_graph, strict)
