"""Tensor hooks and `retain_grad()`: what runs when a tensor's gradient is complete.

`x.register_hook(fn)` keeps `fn` (a user function or a builtin) on the tensor; backward calls
it with the gradient as a Tensor, and a returned Tensor replaces the gradient (None keeps it).
Each call is an event on the tape, `{"type": "hook", "tensor": t, "grad": array, "result":
array | None}`, so the player shows where hooks fire. `retain_grad()` fills a non-leaf's `.grad`
after its hooks, as PyTorch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chainrule.engine.errors import ArgumentError, RuntimeProblem
from chainrule.engine.inplace import meta
from chainrule.engine.tensor import Tensor, current_tape


def _handle(t: Tensor, hooks: list, hook: Any) -> Any:
    """What `register_hook` returns: PyTorch's RemovableHandle, whose one use is
    `handle.remove()`. A name table (namespace.Module) so the language reaches `remove` through
    the tables like any other member."""
    from chainrule.engine import namespace as ns

    def remove() -> None:
        for i, h in enumerate(hooks):
            if h is hook:
                del hooks[i]
                break
    return ns.Module("torch.utils.hooks.RemovableHandle",
                     {"remove": ns.Function("remove", remove, "method")})


def _check_callable(hook: Any) -> None:
    from chainrule.engine import namespace as ns
    if not callable(hook) and not isinstance(hook, ns.CALLABLE):
        raise ArgumentError(f"register_hook() expects a function, got {type(hook).__name__}")


def register_hook(t: Tensor, hook: Any) -> Any:
    if not t.requires_grad:
        raise RuntimeProblem("cannot register a hook on a tensor that doesn't require gradient")
    _check_callable(hook)
    m = meta(t)
    if m.hooks is None:
        m.hooks = []
    m.hooks.append(hook)
    return _handle(t, m.hooks, hook)


def register_post_accumulate_grad_hook(t: Tensor, hook: Any) -> Any:
    """A hook called with the leaf itself once its `.grad` has been accumulated (an optimizer
    step inside backward, in PyTorch's docstring)."""
    if not t.requires_grad:
        raise RuntimeProblem("cannot register a hook on a tensor that doesn't require gradient")
    if t.record is not None:
        raise RuntimeProblem("post accumulate grad hooks cannot be registered on non-leaf "
                             "tensors")
    _check_callable(hook)
    m = meta(t)
    if m.post_hooks is None:
        m.post_hooks = []
    m.post_hooks.append(hook)
    return _handle(t, m.post_hooks, hook)


def call_post_hooks(t: Tensor) -> None:
    for hook in list(t.meta.post_hooks or ()):
        _call(hook, t)   # what it returns is ignored (the docstring's returns p.add_(...))


def retain_grad(t: Tensor) -> None:
    if not t.requires_grad:
        raise RuntimeProblem("can't retain_grad on Tensor that has requires_grad=False")
    if t.record is not None:   # a leaf keeps its grad anyway: retains_grad stays False
        meta(t).retains_grad = True


def retains_grad(t: Tensor) -> bool:
    return t.meta is not None and t.meta.retains_grad


def _call(hook: Any, grad: Tensor) -> Any:
    if getattr(hook, "user_function", False):
        return hook(grad)
    from chainrule.engine import namespace as ns  # a builtin given as the hook (print)
    if isinstance(hook, ns.CALLABLE):
        return ns.call(hook, (grad,), {})
    return hook(grad)


def _name(hook: Any) -> str:
    return str(getattr(hook, "name", None) or getattr(hook, "__name__", None) or "hook")


def call_hooks(t: Tensor, grad: Any, retain: bool) -> Any:
    """Run `t`'s hooks on `grad` (an array, or a Tensor when building a graph) in order,
    then retain it if asked. Returns the gradient that flows on."""
    tape = current_tape()
    graph = isinstance(grad, Tensor)
    m = t.meta
    for hook in list(m.hooks or ()):
        given = grad if graph else Tensor(np.array(grad, dtype=np.float64), origin="grad")
        result = _call(hook, given)
        if result is not None:
            if not isinstance(result, Tensor):
                raise ArgumentError(f"expected Variable, but hook returned "
                                    f"'{type(result).__name__}'")
            if result.shape != t.shape:
                raise RuntimeProblem(f"hook '{_name(hook)}' has changed the size of value")
        tape.emit({"type": "hook", "tensor": t, "grad": np.asarray(given.data),
                   "result": None if result is None else np.asarray(result.data)})
        if result is not None:
            grad = result if graph else np.asarray(result.data, dtype=np.float64)
    if retain and m.retains_grad:
        g = grad if graph else Tensor(np.array(grad, dtype=np.float64), origin="grad")
        t.grad = g if t.grad is None else Tensor(t.grad.data + np.asarray(g.data),
                                                 origin="grad")
    return grad
