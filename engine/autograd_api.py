"""The autograd surface a snippet reaches beyond plain ops: grad modes, in-place methods,
`torch.autograd.grad`, hooks, `retain_grad`, `Variable`, `torch.autograd.functional`.

Plain tables of callables with PyTorch's parameter names; `engine/namespace.py` merges them into
its own tables (wrapping each callable as a `Function`), so this module never imports it.
    TORCH                 extra members of `torch` (no_grad, enable_grad, set_grad_enabled...)
    AUTOGRAD              members of `torch.autograd` (grad, Variable, ...)
    AUTOGRAD_FUNCTIONAL   members of `torch.autograd.functional` (jacobian, hessian)
    TENSOR_METHODS        extra tensor methods; the first parameter is the tensor (zero_, add_...)
    TENSOR_ATTRIBUTES     extra readable tensor attributes: name -> getter(tensor)

For the interpreter:
    augmented(tensor, sym, other) -> Tensor     `x += y` on a tensor (in place, same object)
    setitem(tensor, key, value)                 `x[i] = v`
    set_attribute(tensor, name, value)          `x.grad = ...`, `x.data = ...`,
                                                `x.requires_grad = ...`
    GradMode.enter()/exit(); for `@torch.no_grad()` on a def, enter/exit `mode.decorator()`
    around each call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule.engine import backward as bw
from chainrule.engine import grad_mode, hooks
from chainrule.engine.autograd_functional import hessian, hvp, jacobian, jvp, vhp, vjp
from chainrule.engine.errors import ArgumentError, RuntimeProblem
from chainrule.engine.grad_fn import node_of
from chainrule.engine.inplace import alias, set_data
from chainrule.engine.inplace_ops import METHODS as IN_PLACE_METHODS
from chainrule.engine.inplace_ops import UNARY_IN_PLACE, augmented, setitem
from chainrule.engine.tensor import Tensor

__all__ = ["AUTOGRAD", "AUTOGRAD_FUNCTIONAL", "TENSOR_ATTRIBUTES", "TENSOR_METHODS", "TORCH",
           "augmented", "set_attribute", "setitem"]


# ---------------------------------------------------------------- .data, .detach(), .grad


def detach(input: Any) -> Tensor:  # noqa: A002
    """`x.detach()`: shares x's data and version counter, requires_grad False."""
    if not isinstance(input, Tensor):
        raise ArgumentError(f"detach(): argument 'input' must be Tensor, not {_kind(input)}")
    return alias(input, share_version=True)


def data_of(t: Tensor) -> Tensor:
    """`x.data`: shares x's data, with its own version counter (autograd does not see it)."""
    return alias(t, share_version=False)


def _kind(value: Any) -> str:
    return "NoneType" if value is None else type(value).__name__


_GRAD_DTYPE_WORDS = {"float32": ("float", "Float"), "float64": ("double", "Double"),
                     "int64": ("long int", "Long"), "bool": ("bool", "Bool")}


def _dtype_name(t: Tensor) -> str:
    return getattr(t, "dtype_name", None) or ("float32" if t.is_float else "int64")


def set_grad(t: Tensor, value: Any) -> None:
    """`x.grad = None` or a tensor of x's size and dtype (PyTorch's checks and words)."""
    if value is not None:
        if not isinstance(value, Tensor):
            raise ArgumentError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {_kind(value)}")
        if value.shape != t.shape:
            sizes = ["[" + ", ".join(str(n) for n in s) + "]" for s in (value.shape, t.shape)]
            raise RuntimeProblem(f"attempting to assign a gradient of size '{sizes[0]}' to a "
                                 f"tensor of size '{sizes[1]}'. Please ensure that the gradient "
                                 "and the tensor are the same size")
        if _dtype_name(value) != _dtype_name(t):
            raise RuntimeProblem(
                f"attempting to assign a gradient with dtype "
                f"'{_GRAD_DTYPE_WORDS[_dtype_name(value)][0]}' to a tensor with grad_dtype "
                f"'{_GRAD_DTYPE_WORDS[_dtype_name(t)][1]}'. The gradient must match the "
                "tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's "
                "grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
                "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may "
                "break downstream systems that assume they match.")
    t.grad = value


def set_requires_grad(t: Tensor, value: Any) -> None:
    """`x.requires_grad = b` / `x.requires_grad_(b)`: leaves only, floats only (PyTorch)."""
    if not isinstance(value, bool):
        raise ArgumentError(f"requires_grad must be a bool, not {_kind(value)}")
    if t.record is not None and t.requires_grad:
        raise RuntimeProblem("you can only change requires_grad flags of leaf variables. If you "
                             "want to use a computed variable in a subgraph that doesn't require "
                             "differentiation use var_no_grad = var.detach().")
    if value and not t.is_float:
        raise RuntimeProblem("only Tensors of floating point and complex dtype can require "
                             "gradients")
    if value and t.record is not None:
        t.record = None   # made from tensors that need no grad: a leaf in PyTorch
    t.requires_grad = value


def set_attribute(t: Tensor, name: str, value: Any) -> None:
    """Assignment to a tensor attribute: `grad`, `data` or `requires_grad`."""
    if name == "grad":
        set_grad(t, value)
    elif name == "data":
        if not isinstance(value, Tensor):
            raise ArgumentError(f"data must be a Tensor, not {_kind(value)}")
        set_data(t, value)
    elif name == "requires_grad":
        set_requires_grad(t, value)
    else:
        raise ArgumentError(f"attribute '{name}' of 'torch._C.TensorBase' objects is not "
                            "writable", python_type="AttributeError")


# ---------------------------------------------------------------- backward and autograd.grad


def _tensors(value: Any, what: str) -> list[Tensor]:
    """A tensor or a sequence of tensors, as torch.autograd accepts them."""
    items = [value] if isinstance(value, Tensor) else value
    if not isinstance(items, list | tuple) or not all(isinstance(t, Tensor) for t in items):
        raise ArgumentError(f"{what} must be a Tensor or a sequence of Tensors, not "
                            f"{_kind(value)}")
    return list(items)


def _flag(value: Any, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ArgumentError(f"{what} must be a bool, not {_kind(value)}")


def _gradients(value: Any, n: int, what: str) -> list[Any]:
    if value is None:
        return [None] * n
    items = [value] if isinstance(value, Tensor) else value
    if not isinstance(items, list | tuple) or \
            not all(g is None or isinstance(g, Tensor) for g in items):
        raise ArgumentError(f"{what} must be a Tensor or a sequence of Tensors, not "
                            f"{_kind(value)}")
    if len(items) != n:
        raise RuntimeProblem(f"{what} has {len(items)} tensors but {n} outputs were given")
    return list(items)


def tensor_backward(self: Tensor, gradient: Any = None, retain_graph: Any = None,
                    create_graph: Any = False, inputs: Any = None) -> None:
    """`y.backward(gradient=None, retain_graph=None, create_graph=False, inputs=None)`."""
    if gradient is not None and not isinstance(gradient, Tensor):
        raise ArgumentError(f"backward(): argument 'gradient' must be Tensor, not "
                            f"{_kind(gradient)}")
    targets = None if inputs is None else _tensors(inputs, "inputs")
    bw.backward(self, gradient, _flag(retain_graph, "retain_graph"),
                create_graph=bool(_flag(create_graph, "create_graph")), inputs=targets)


def autograd_backward(tensors: Any, grad_tensors: Any = None, retain_graph: Any = None,
                      create_graph: Any = False, inputs: Any = None) -> None:
    """`torch.autograd.backward(tensors, grad_tensors=...)`: one pass from every tensor."""
    roots = _tensors(tensors, "tensors")
    seeds = _gradients(grad_tensors, len(roots), "grad_tensors")
    if len(roots) == 1:
        tensor_backward(roots[0], seeds[0], retain_graph, create_graph, inputs)
        return
    for root, seed in zip(roots, seeds, strict=True):
        if seed is None and root.numel() != 1:
            raise RuntimeProblem(bw.NOT_SCALAR)
    retain = _flag(retain_graph, "retain_graph")
    bw.backward_many(roots, seeds, retain, create_graph=bool(_flag(create_graph,
                                                                   "create_graph")),
                     inputs=None if inputs is None else _tensors(inputs, "inputs"))


def autograd_grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: Any = None,
                  create_graph: Any = False, only_inputs: Any = True, allow_unused: Any = None,
                  is_grads_batched: Any = False, materialize_grads: Any = False
                  ) -> tuple[Tensor | None, ...]:
    """`torch.autograd.grad(outputs, inputs, grad_outputs=None, retain_graph=None,
    create_graph=False, allow_unused=None, materialize_grads=False)`: a tuple."""
    outs = _tensors(outputs, "outputs")
    ins = _tensors(inputs, "inputs")
    if is_grads_batched:
        raise RuntimeProblem("is_grads_batched=True is not supported by chainrule")
    return bw.grad(outs, ins, _gradients(grad_outputs, len(outs), "grad_outputs"),
                   retain_graph=_flag(retain_graph, "retain_graph"),
                   create_graph=bool(_flag(create_graph, "create_graph")),
                   allow_unused=bool(_flag(allow_unused, "allow_unused")),
                   materialize_grads=bool(_flag(materialize_grads, "materialize_grads")))


def variable(data: Any, requires_grad: Any = False, volatile: Any = False) -> Tensor:
    """`torch.autograd.Variable(t, requires_grad=False)`: legacy; a tensor sharing t's data
    (not t itself, as in PyTorch), a leaf with the requires_grad asked for."""
    if not isinstance(data, Tensor):
        raise ArgumentError(f"Variable data has to be a tensor, but got {_kind(data)}")
    t = alias(data, share_version=True)
    set_requires_grad(t, bool(_flag(requires_grad, "requires_grad")))
    return t


def version(t: Tensor) -> int:
    """`x._version`; inference tensors have none (PyTorch's error)."""
    if grad_mode.is_inference(t):
        raise RuntimeProblem(grad_mode.INFERENCE_VERSION)
    return t.version


# ---------------------------------------------------------------- the tables


def _on_a_tensor(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """A tensor method called as torch.<name>(x, ...): x must be a tensor, as PyTorch says
    (`torch.neg_(0)`: "neg_(): argument 'input' (position 1) must be Tensor, not int")."""
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        if not isinstance(input, Tensor):
            raise ArgumentError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                                f"{_kind(input)}", python_type="TypeError")
        return method(input, *args, **kwargs)
    function.__name__ = name
    return function


TORCH: dict[str, Callable[..., Any]] = {
    "no_grad": grad_mode.no_grad, "enable_grad": grad_mode.enable_grad,
    "set_grad_enabled": grad_mode.set_grad_enabled,
    "inference_mode": grad_mode.inference_mode,
    "is_grad_enabled": grad_mode.is_grad_enabled,
    "detach": detach,
    # torch.sin_(x) & co.: the in-place methods, called as functions
    **{name: _on_a_tensor(name, IN_PLACE_METHODS[name])
       for name in (*UNARY_IN_PLACE, "zero_", "fill_")},
}
AUTOGRAD: dict[str, Callable[..., Any]] = {
    "grad": autograd_grad, "backward": autograd_backward, "Variable": variable,
}
AUTOGRAD_FUNCTIONAL: dict[str, Callable[..., Any]] = {
    "jacobian": jacobian, "hessian": hessian, "vjp": vjp, "jvp": jvp, "vhp": vhp, "hvp": hvp,
}
TENSOR_METHODS: dict[str, Callable[..., Any]] = {
    **IN_PLACE_METHODS,
    "detach": detach,
    "backward": tensor_backward,
    "register_hook": hooks.register_hook,
    "register_post_accumulate_grad_hook": hooks.register_post_accumulate_grad_hook,
    "retain_grad": hooks.retain_grad,
}
TENSOR_ATTRIBUTES: dict[str, Callable[[Any], Any]] = {
    "data": data_of,
    "_version": version,
    "grad_fn": node_of,
    "retains_grad": hooks.retains_grad,
}
