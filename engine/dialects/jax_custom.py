"""`jax.custom_jvp` and `jax.custom_vjp`: the learner's own derivative rule for a function.

Both become one op on the graph (engine/nn/function.apply_function, as PyTorch's custom
autograd.Function): when a transformation differentiates through the function, its body runs
once without recording the inside, and the backward pass calls the learner's rule — its code
recorded in its call scope, so the page shows it running with its numbers.

- custom_vjp: `f.defvjp(f_fwd, f_bwd)`; `f_fwd(*args)` gives (output, residuals), and the
  backward pass calls `f_bwd(residuals, g)`, which gives one cotangent per argument.
- custom_jvp: `@f.defjvp` rule `f_jvp(primals, tangents) -> (output, tangent_out)`. Reverse
  mode needs the transpose of that linear map; JAX derives it symbolically, here the rule is
  evaluated once per input element with a unit tangent (the Jacobian's columns) and the
  cotangent contracted with each, so the rule runs as the learner wrote it. Bounded by
  MAX_RULE_CALLS.
Called where nothing is differentiated, either is the plain function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine import grad_mode
from chainrule.engine.errors import ArgumentError, LimitError, RuntimeProblem
from chainrule.engine.nn.function import apply_function
from chainrule.engine.tensor import Tensor

MAX_RULE_CALLS = 256   # custom_jvp under reverse mode: one rule call per input element


def _differentiated(args: tuple) -> bool:
    """A transformation is differentiating through this call (its rule's own call of the
    function, `f(x, y)` inside `f_fwd`, runs with recording off: the plain function)."""
    return grad_mode.is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad
                                               for a in args)


def _name(fun: Any) -> str:
    return getattr(fun, "name", None) or "f"


def _invoke(f: Any, args: tuple) -> Any:
    from chainrule.engine.dialects.jax import _invoke as invoke
    return invoke(f, args)


def _lift(x: Any) -> Any:
    from chainrule.engine.dialects.jax import _lift as lift
    return None if x is None else lift(x)


def _constant(t: Any) -> Any:
    """An argument as the rule sees it: its value, not a node the rule's ops hang from."""
    return fn.detach(t) if isinstance(t, Tensor) else t


class _CustomRule:
    """What custom_vjp and custom_jvp share: called with nothing differentiating through it,
    the plain function; differentiated without a rule, JAX's error; else `_differentiate`."""

    fun: Any
    user_function = True
    kind = ""   # "VJP" | "JVP"

    @property
    def name(self) -> str:
        return _name(self.fun)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise ArgumentError(f"custom_{self.kind.lower()} functions take positional "
                                "arguments here", python_type="TypeError")
        if not _differentiated(args):
            return _invoke(self.fun, args)
        if not self._defined():
            raise RuntimeProblem(f"No {self.kind} defined for custom_{self.kind.lower()} "
                                 f"function {self.name} using def{self.kind.lower()}.",
                                 python_type="AttributeError")
        return self._differentiate(args)

    def _defined(self) -> bool:
        raise NotImplementedError

    def _differentiate(self, args: tuple) -> Any:
        raise NotImplementedError


@dataclass(eq=False)
class CustomVJP(_CustomRule):
    """What `@jax.custom_vjp` makes of a function."""

    fun: Any
    fwd: Any = None
    bwd: Any = None
    kind = "VJP"

    def _defined(self) -> bool:
        return self.fwd is not None

    def defvjp(self, fwd: Any, bwd: Any) -> None:
        self.fwd, self.bwd = fwd, bwd

    language_methods = {
        "defvjp": lambda self, fwd, bwd, symbolic_zeros=False: self.defvjp(fwd, bwd),
    }

    def _differentiate(self, args: tuple) -> Any:
        def forward(ctx: Any, *xs: Any) -> Any:
            found = _invoke(self.fwd, xs)
            if not isinstance(found, tuple | list) or len(found) != 2:
                raise ArgumentError(f"Custom VJP fwd rule {_name(self.fwd)} for function "
                                    f"{self.name} must produce a pair (list or tuple of length "
                                    "two) representing primal outputs and residuals.",
                                    python_type="TypeError")
            ctx.attrs["residuals"] = found[1]
            return _lift(found[0])

        def backward(ctx: Any, g: Any) -> tuple:
            found = _invoke(self.bwd, (ctx.attrs["residuals"], g))
            if not isinstance(found, tuple):
                raise ArgumentError(f"Custom VJP bwd rule must produce a tuple of length equal "
                                    f"to the number of primal inputs ({len(args)}), but got "
                                    f"{type(found).__name__}", python_type="TypeError")
            return tuple(_lift(c) if isinstance(a, Tensor) else None
                         for a, c in zip(args, found, strict=False))

        return apply_function(self.name, forward, backward, args, {})


@dataclass(eq=False)
class CustomJVP(_CustomRule):
    """What `@jax.custom_jvp` makes of a function."""

    fun: Any
    rule: Any = None
    kind = "JVP"

    def _defined(self) -> bool:
        return self.rule is not None

    def defjvp(self, rule: Any) -> Any:
        self.rule = rule
        return rule   # as JAX: `@f.defjvp` leaves the rule bound to its own name

    language_methods = {
        "defjvp": lambda self, jvp, symbolic_zeros=False: self.defjvp(jvp),
    }

    def jvp(self, primals: tuple, tangents: tuple) -> tuple:
        """`jax.jvp(f, primals, tangents)`: the rule itself, as JAX calls it."""
        from chainrule.engine.dialects.jax import _typed, _weak
        found = self._rule_pair(tuple(_lift(p) for p in primals),
                                tuple(_lift(t) for t in tangents))
        weak = all(_weak(p) for p in primals)   # JAX types the outputs as the inputs
        return tuple(_typed(fn.detach(_lift(x)), weak) for x in found)

    def _rule_pair(self, primals: tuple, tangents: tuple) -> tuple:
        found = _invoke(self.rule, (primals, tangents))
        if not isinstance(found, tuple | list) or len(found) != 2:
            raise ArgumentError(f"Custom JVP rule {_name(self.rule)} for function {self.name} "
                                "must produce a pair (list or tuple of length two) representing "
                                "primal and tangent outputs.", python_type="TypeError")
        return tuple(found)

    def _differentiate(self, args: tuple) -> Any:
        calls = sum(int(np.size(a.data)) for a in args
                    if isinstance(a, Tensor) and a.requires_grad)
        if calls > MAX_RULE_CALLS:
            raise LimitError(f"differentiating custom_jvp function {self.name} in reverse mode "
                             f"runs its rule once per input number: {calls:,} here, over the "
                             f"limit of {MAX_RULE_CALLS}")

        def forward(ctx: Any, *xs: Any) -> Any:
            return _lift(_invoke(self.fun, xs))

        def backward(ctx: Any, g: Any) -> tuple:
            primals = tuple(_constant(a) for a in args)
            zeros = [Tensor(np.zeros(np.shape(a.data))) if isinstance(a, Tensor) else
                     Tensor(np.zeros(np.shape(a))) for a in args]
            grads: list[Any] = []
            for i, a in enumerate(args):
                if not (isinstance(a, Tensor) and a.requires_grad):
                    grads.append(None)
                    continue
                column = np.zeros(np.shape(a.data))
                for k in range(column.size):
                    unit = np.zeros(column.size)
                    unit[k] = 1.0
                    tangents = list(zeros)
                    tangents[i] = Tensor(unit.reshape(column.shape))
                    found = self._rule_pair(primals, tuple(tangents))
                    tangent_out = np.asarray(_lift(found[1]).data, dtype=np.float64)
                    column.flat[k] = float(np.sum(np.asarray(g.data) * tangent_out))
                grads.append(Tensor(column))
            return tuple(grads)

        return apply_function(self.name, forward, backward, args, {})
