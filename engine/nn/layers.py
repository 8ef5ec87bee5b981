"""The modules with state or structure: nn.Linear, nn.Sequential, nn.ModuleList, nn.Flatten,
nn.Identity (the stateless activations and losses are the namespace's NNModule objects, which
reuse the functional ops' rows)."""

from __future__ import annotations

from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine.errors import ArgumentError, RuntimeProblem
from chainrule.engine.nn.module import Module, Parameter, call_module, is_module
from chainrule.engine.random.nn_init import linear_init
from chainrule.engine.tensor import Tensor


def _size(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ArgumentError(f"{what} must be an int, got {type(value).__name__}",
                            python_type="TypeError")
    if value < 0:
        raise ArgumentError(f"Trying to create tensor with negative dimension {value}: "
                            f"[{value}]", python_type="RuntimeError")
    return int(value)


def _tensor(value: Any, who: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise ArgumentError(f"{who}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(value).__name__}", python_type="TypeError")
    return value


class Linear(Module):
    type_name = "Linear"

    def __init__(self, in_features: Any, out_features: Any, bias: Any = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        n_in, n_out = _size(in_features, "in_features"), _size(out_features, "out_features")
        self._attrs["in_features"], self._attrs["out_features"] = n_in, n_out
        # PyTorch's reset_parameters, number for number: kaiming_uniform_(a=sqrt(5)) for the
        # weight, then U(±1/sqrt(fan_in)) for the bias, from the run's default generator.
        weight, bias_values = linear_init(n_in, n_out, bool(bias))
        self._parameters["weight"] = Parameter(weight, requires_grad=True)
        self._parameters["bias"] = (None if bias_values is None
                                    else Parameter(bias_values, requires_grad=True))

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        x = _tensor(input, "linear")
        w, b = self._parameters["weight"], self._parameters["bias"]
        n_in = self._attrs["in_features"]
        if x.data.ndim == 0 or x.shape[-1] != w.shape[1]:
            rows = x.shape[0] if x.data.ndim > 1 else 1
            shown = (f"{rows}x{x.shape[-1] if x.data.ndim else 1}")
            raise RuntimeProblem(f"mat1 and mat2 shapes cannot be multiplied ({shown} and "
                                 f"{n_in}x{self._attrs['out_features']})")
        return fn.linear(x, w, b)

    def extra_repr(self) -> str:
        return (f"in_features={self._attrs['in_features']}, "
                f"out_features={self._attrs['out_features']}, "
                f"bias={self._parameters['bias'] is not None}")


def _check_module(value: Any, who: str, index: Any) -> Any:
    if not is_module(value):
        from chainrule.engine.printing import type_name
        raise ArgumentError(f"{type_name(value)} is not a Module subclass",
                            python_type="TypeError")
    return value


class Sequential(Module):
    type_name = "Sequential"

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            items = list(args[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(args)]
        for name, module in items:
            self._modules[str(name)] = _check_module(module, "Sequential", name)

    def forward(self, input: Any) -> Any:  # noqa: A002
        for module in self._modules.values():
            input = call_module(module, input)  # noqa: A001
        return input

    def language_getitem(self, key: Any) -> Any:
        children = list(self._modules.values())
        if isinstance(key, slice):
            return Sequential(*children[key])
        index = _index(key, len(children), "Sequential")
        return children[index]

    def language_len(self) -> int:
        return len(self._modules)


class ModuleList(Module):
    type_name = "ModuleList"

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        for i, module in enumerate(list(modules or [])):
            self._modules[str(i)] = _check_module(module, "ModuleList", i)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return super().forward(*args, **kwargs)

    def language_getitem(self, key: Any) -> Any:
        children = list(self._modules.values())
        if isinstance(key, slice):
            return ModuleList(children[key])
        return children[_index(key, len(children), "ModuleList")]

    def language_len(self) -> int:
        return len(self._modules)

    def language_iter(self) -> list[Any]:
        return list(self._modules.values())


def _index(key: Any, n: int, who: str) -> int:
    if isinstance(key, bool) or not isinstance(key, int | np.integer):
        raise ArgumentError(f"{who} indices must be integers or slices, not "
                            f"{type(key).__name__}", python_type="TypeError")
    if not -n <= key < n:
        raise RuntimeProblem(f"index {key} is out of range", python_type="IndexError")
    return int(key) % n


class Flatten(Module):
    type_name = "Flatten"

    def __init__(self, start_dim: Any = 1, end_dim: Any = -1) -> None:
        super().__init__()
        self._attrs["start_dim"], self._attrs["end_dim"] = start_dim, end_dim

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        x = _tensor(input, "flatten")
        start, end = self._attrs["start_dim"], self._attrs["end_dim"]
        nd = max(x.data.ndim, 1)
        s, e = start % nd if -nd <= start < nd else None, end % nd if -nd <= end < nd else None
        if s is None or e is None:
            bad = start if s is None else end
            raise ArgumentError(f"Dimension out of range (expected to be in range of "
                                f"[{-nd}, {nd - 1}], but got {bad})", python_type="IndexError")
        if s > e:
            raise RuntimeProblem("flatten() has invalid args: start_dim cannot come after "
                                 "end_dim")
        shape = tuple(x.shape)
        if not shape or s == e:
            return x if shape else fn.reshape(x, (1,))
        merged = int(np.prod(shape[s:e + 1], dtype=np.int64))
        return fn.reshape(x, (*shape[:s], merged, *shape[e + 1:]))

    def extra_repr(self) -> str:
        return f"start_dim={self._attrs['start_dim']}, end_dim={self._attrs['end_dim']}"


class Identity(Module):
    type_name = "Identity"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:  # noqa: A002
        return input
