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

from engine import backward as bw
from engine import functional as fn
from engine.errors import ArgumentError, RuntimeProblem
from engine.inplace import alias
from engine.tensor import Tensor

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
    from engine import namespace as ns
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
