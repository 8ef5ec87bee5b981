"""`@tf.custom_gradient` and `tf.clip_by_norm` for the TensorFlow dialect.

A function decorated with `tf.custom_gradient` returns `(y, grad_fn)`; under a recording tape
it becomes one op on the graph (engine/nn/function.apply_function, as PyTorch's custom
autograd.Function): when the backward pass reaches it, the learner's `grad_fn(upstream)` runs —
its code recorded in its call scope, so the page shows it — and what it returns flows on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainrule.engine import functional as fn
from chainrule.engine import grad_mode
from chainrule.engine.errors import ArgumentError
from chainrule.engine.nn.function import apply_function
from chainrule.engine.tensor import Tensor


def _call(f: Any, args: tuple) -> Any:
    from chainrule.engine.lang.builtins.core import call_value  # lang imports the dialects
    return call_value(f, *args)


def _pair(found: Any, name: str) -> tuple[Any, Any]:
    if not isinstance(found, tuple | list) or len(found) != 2:
        raise ArgumentError(f"a @tf.custom_gradient function returns (y, grad_fn): {name} "
                            f"returned {fn.describe(found)}", python_type="TypeError")
    return found[0], found[1]


@dataclass(eq=False)
class CustomGradient:
    """What `@tf.custom_gradient` makes of a function."""

    fun: Any
    user_function = True

    @property
    def name(self) -> str:
        return getattr(self.fun, "name", None) or "f"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise ArgumentError("custom_gradient functions take positional arguments here",
                                python_type="TypeError")
        recording = grad_mode.is_grad_enabled() and any(
            isinstance(a, Tensor) and a.requires_grad for a in args)
        if not recording:
            return _pair(_call(self.fun, args), self.name)[0]

        def forward(ctx: Any, *xs: Any) -> Any:
            y, grad_fn = _pair(_call(self.fun, xs), self.name)
            ctx.attrs["grad_fn"] = grad_fn
            return y if isinstance(y, Tensor) else fn.tensor(y)

        def backward(ctx: Any, upstream: Any) -> tuple:
            found = _call(ctx.attrs["grad_fn"], (upstream,))
            grads = list(found) if isinstance(found, tuple | list) else [found]
            return tuple(g if g is None or isinstance(g, Tensor) else fn.tensor(g)
                         for g in grads)

        return apply_function(self.name, forward, backward, args, {})


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: Any = None) -> Tensor:
    """TensorFlow's formula: t · clip_norm / max(‖t‖₂, clip_norm), the norm over `axes`
    (all by default), 0 where t is all zeros."""
    x = t if isinstance(t, Tensor) else fn.tensor(t)
    dims = None if axes is None else (tuple(axes) if isinstance(axes, list | tuple) else axes)
    squares = fn.sum(fn.mul(x, x), dims, keepdim=True)
    norm = fn.sqrt(squares)
    return fn.div(fn.mul(x, clip_norm), fn.maximum(norm, fn.tensor(float(clip_norm))))
