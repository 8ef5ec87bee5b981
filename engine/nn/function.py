"""Custom autograd functions: `class MyReLU(torch.autograd.Function)` with static
`forward(ctx, ...)` and `backward(ctx, grad_output)`, used as `MyReLU.apply(x)`.

`apply` runs the program's forward with gradients off (as PyTorch does), then records ONE op
whose backward rule calls the program's own `backward`: when the backward pass reaches that
node, the learner's backward code runs (its ops recorded inside a `call` scope, so the display
shows them) and the gradients it returns flow on. The op is made per call (`MyReLU`, grad_fn
`MyReLUBackward`), so the op table stays the table of built-in ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from chainrule.engine import grad_mode
from chainrule.engine.errors import ArgumentError, NameProblem, RuntimeProblem
from chainrule.engine.ops import Op, Rule
from chainrule.engine.tensor import Tensor, apply


class FunctionBase:
    """What instances of a `torch.autograd.Function` subclass are (PyTorch deprecates making
    them; `apply` is the way)."""

    python_type_name = "Function"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


class FunctionCtx:
    """The `ctx` forward and backward share: `save_for_backward`, `saved_tensors`,
    `needs_input_grad`, and any attribute the program sets (`ctx.scale = 2`)."""

    python_type_name = "FunctionCtx"

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.attrs: dict[str, Any] = {}
        self.saved: tuple[Tensor, ...] | None = None
        self.needs_input_grad = needs_input_grad
        self.record: Any = None   # the op's record, once made (freed after backward)

    def language_getattr(self, name: str) -> Any:
        if name in self.attrs:
            return self.attrs[name]
        if name == "saved_tensors":
            if self.record is not None and self.record.freed:
                from chainrule.engine.backward import SECOND_TIME
                raise RuntimeProblem(SECOND_TIME)
            return tuple(self.saved or ())
        if name == "needs_input_grad":
            return self.needs_input_grad
        method = _CTX_METHODS.get(name)
        if method is not None:
            from chainrule.engine.nn.module import BoundModuleMethod
            return BoundModuleMethod(self, name, method)
        raise NameProblem(f"'FunctionCtx' object has no attribute '{name}'",
                          python_type="AttributeError")

    def language_setattr(self, name: str, value: Any) -> None:
        if name in ("saved_tensors", "needs_input_grad"):
            raise NameProblem(f"attribute '{name}' of 'torch._C._FunctionBase' objects is not "
                              "writable", python_type="AttributeError")
        self.attrs[name] = value

    def __repr__(self) -> str:
        return "<torch.autograd.function.BackwardCFunction object>"


def _save_for_backward(self: FunctionCtx, *tensors: Any) -> None:
    for t in tensors:
        if t is not None and not isinstance(t, Tensor):
            raise ArgumentError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}",
                                python_type="TypeError")
    self.saved = tuple(tensors)


def _nothing(self: FunctionCtx, *args: Any, **kwargs: Any) -> None:
    return None


_CTX_METHODS: dict[str, Callable[..., Any]] = {
    "save_for_backward": _save_for_backward, "mark_non_differentiable": _nothing,
    "mark_dirty": _nothing, "set_materialize_grads": _nothing}


def apply_function(name: str, forward: Callable[..., Any], backward: Callable[..., Any],
                   args: tuple, kwargs: dict) -> Any:
    """`Name.apply(*args)`: `forward(ctx, *args)` and `backward(ctx, *grads)` call the
    program's static methods (each inside its call scope)."""
    if kwargs:
        raise ArgumentError(f"{name}.apply() takes no keyword arguments",
                            python_type="TypeError")
    tensors = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor)]
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = FunctionCtx(needs)
    saved = grad_mode.is_grad_enabled()
    grad_mode.set_grad_enabled_now(False)
    try:
        out = forward(ctx, *args)
    finally:
        grad_mode.set_grad_enabled_now(saved)
    if not isinstance(out, Tensor):
        if isinstance(out, tuple):
            raise ArgumentError(f"{name}.forward returned {len(out)} values: chainrule's custom "
                                "Functions return one tensor")
        return out
    if not tensors:
        return out
    result_data = out.data
    cache: dict[str, Any] = {}

    def run_backward(g: Any) -> list[Any]:
        if cache.get("for") is g:
            return cache["grads"]
        grad = Tensor(np.array(g, dtype=np.float64) if np.ndim(g) else np.float64(g),
                      origin="grad")
        grad.dtype_name = out.dtype_name
        returned = backward(ctx, grad)
        grads = list(returned) if isinstance(returned, tuple) else [returned]
        if len(grads) != len(args):
            raise RuntimeProblem(f"function {name}Backward returned an incorrect number of "
                                 f"gradients (expected {len(args)}, got {len(grads)})")
        arrays: list[Any] = []
        for i, gi in enumerate(grads):
            if gi is None or not isinstance(args[i], Tensor):
                arrays.append(None)
                continue
            if not isinstance(gi, Tensor):
                raise ArgumentError(f"{name}.backward must return tensors or None, got "
                                    f"{type(gi).__name__}", python_type="TypeError")
            if gi.shape != args[i].shape:
                raise RuntimeProblem(f"Function {name}Backward returned an invalid gradient at "
                                     f"index {i} - got {list(gi.shape)} but expected shape "
                                     f"compatible with {list(args[i].shape)}")
            arrays.append(np.asarray(gi.data, dtype=np.float64))
        cache["for"], cache["grads"] = g, arrays
        return arrays

    def rule(position: int) -> Rule:
        def vjp(g: Any, c: Any) -> Any:
            found = run_backward(g)[position]
            shape = np.shape(c.inputs[tensor_positions.index(position)])
            return np.zeros(shape) if found is None else found
        return Rule(vjp, latex=rf"\text{{{name}.backward}}(\text{{ctx}}, g)",
                    text=f"{name}.backward(ctx, grad)")

    tensor_positions = [i for i, _ in tensors]
    op = Op(name=name, grad_fn=f"{name}Backward",
            forward=lambda *arrays, **attrs: result_data,
            rules=tuple(rule(i) if a.is_float else None for i, a in tensors), saves=True)
    result = apply(op, tuple(a for _, a in tensors), function=name)
    result.dtype_name = out.dtype_name
    ctx.record = result.record
    return result
