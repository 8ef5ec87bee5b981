"""The tensor methods that are not torch functions: `item`, `size`, `dim`, `tolist`, `numpy`,
the dtype conversions (`float`, `double`, `long`, `bool`, `to`, `type`) and `requires_grad_`.
Their signatures are rows of engine/torch_api.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine.autograd_api import set_requires_grad
from chainrule.engine.creation import kind_of
from chainrule.engine.errors import ArgumentError, RuntimeProblem
from chainrule.engine.objects import DTYPES, DType, Size
from chainrule.engine.printing import dtype_of, python_list, python_number
from chainrule.engine.signature import convert
from chainrule.engine.tensor import Tensor


def item(self: Tensor) -> float | int:
    if self.numel() != 1:
        raise RuntimeProblem(f"a Tensor with {self.numel()} elements cannot be converted to a "
                             "Python number")
    return python_number(self)


def size(self: Tensor, dim: int | None = None) -> Size | int:
    if dim is None:
        return Size(self.shape)
    return self.shape[dim_index(self, dim)]


def dim_index(t: Tensor, dim: int) -> int:
    nd = t.data.ndim
    if nd == 0:
        raise ArgumentError(f"Dimension specified as {dim} but tensor has no dimensions")
    if not -nd <= dim <= nd - 1:
        raise ArgumentError(f"Dimension out of range (expected to be in range of [{-nd}, "
                            f"{nd - 1}], but got {dim})")
    return dim % nd


def dim(self: Tensor) -> int:
    return int(self.data.ndim)


def tolist(self: Tensor) -> Any:
    return python_list(self)


def numpy(self: Tensor) -> np.ndarray:
    """`t.numpy()`: a NumPy array of the tensor's dtype (a copy here; PyTorch shares memory)."""
    if self.requires_grad:
        raise RuntimeProblem("Can't call numpy() on Tensor that requires grad. Use "
                             "tensor.detach().numpy() instead.")
    dtype = {"float32": np.float32, "float64": np.float64, "int64": np.int64,
             "bool": np.bool_}[dtype_of(self)]
    return np.array(self.data, dtype=dtype)


_KIND_DTYPE = {"float": "float32", "double": "float64", "long": "int64", "bool": "bool"}


def as_kind(self: Tensor, kind: str) -> Tensor:
    """`.float()`, `.double()`, `.long()`, `.bool()`, `.to(dtype)`: the same tensor when the
    dtype does not change (as PyTorch), else a copy recorded as ToCopyBackward0."""
    if kind_of(self) == kind:
        return self
    return fn.to_dtype(self, _KIND_DTYPE[kind])


def converter(kind: str):
    def method(self: Tensor) -> Tensor:
        return as_kind(self, kind)
    method.__name__ = {"float": "float", "double": "double", "long": "long", "bool": "bool"}[kind]
    return method


def to(self: Tensor, *args: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
    """`.to(torch.float64)` / `.to(dtype=...)`; devices ("cpu") are accepted and change nothing."""
    for key in kwargs:
        if key not in ("device", "non_blocking", "copy"):
            shown = ", ".join(f"{k}={type(v).__name__}" for k, v in kwargs.items())
            raise ArgumentError(f"to() received an invalid combination of arguments - got "
                                f"({shown}, ), but expected one of:\n (torch.dtype dtype, "
                                "bool non_blocking = False, bool copy = False)")
    for a in args:
        if isinstance(a, DType):
            dtype = a
        elif not (isinstance(a, str) and a.startswith("cpu")):
            raise ArgumentError(f"to() expects a dtype or 'cpu', got {fn.describe(a)}")
    return self if dtype is None else as_kind(self, convert("ScalarType", dtype, "dtype", "to"))


_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "int64": "torch.LongTensor", "bool": "torch.BoolTensor"}


def type_(self: Tensor, dtype: Any = None, non_blocking: Any = False) -> Any:
    """`x.type()`: PyTorch's legacy type name ('torch.FloatTensor'); `x.type(torch.float64)`
    or `x.type('torch.DoubleTensor')` converts like `.to()`."""
    if dtype is None:
        return _TYPE_NAMES[dtype_of(self)]
    if isinstance(dtype, str):
        named = {v: k for k, v in _TYPE_NAMES.items()}.get(dtype)
        if named is None:
            raise ArgumentError(f"invalid type: '{dtype}'", python_type="ValueError")
        dtype = DTYPES[named]
    return as_kind(self, convert("ScalarType", dtype, "dtype", "type"))


def requires_grad_(self: Tensor, requires_grad: bool = True) -> Tensor:
    set_requires_grad(self, requires_grad)
    return self
