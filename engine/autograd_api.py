"""The autograd surface a snippet reaches beyond plain ops: grad modes, in-place methods,
`torch.autograd.grad`, hooks, `retain_grad`, `Variable`, `torch.autograd.functional`.

Plain tables of callables with PyTorch's parameter names; `engine/namespace.py` merges them into
its own tables (wrapping each callable as a `Function`), so this module never imports it.
    TORCH                 extra members of `torch` (no_grad, enable_grad, set_grad_enabled...)
    AUTOGRAD              members of `torch.autograd` (grad, Variable, ...)
    AUTOGRAD_FUNCTIONAL   members of `torch.autograd.functional` (jacobian, hessian)
    TENSOR_METHODS        extra tensor methods; the first parameter is the tensor (zero_, add_...)
    TENSOR_ATTRIBUTES     extra readable tensor attributes: name -> getter(tensor)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.grad_mode import GradMode, is_grad_enabled


def _no_grad() -> GradMode:
    return GradMode("no_grad", False)


def _enable_grad() -> GradMode:
    return GradMode("enable_grad", True)


def _inference_mode(mode: Any = True) -> GradMode:
    return GradMode("inference_mode", not mode)


TORCH: dict[str, Callable[..., Any]] = {
    "no_grad": _no_grad, "enable_grad": _enable_grad, "inference_mode": _inference_mode,
    "is_grad_enabled": is_grad_enabled,
}
AUTOGRAD: dict[str, Callable[..., Any]] = {}
AUTOGRAD_FUNCTIONAL: dict[str, Callable[..., Any]] = {}
TENSOR_METHODS: dict[str, Callable[..., Any]] = {}
TENSOR_ATTRIBUTES: dict[str, Callable[[Any], Any]] = {}
