"""Making tensors the way `torch.*` makes them: `torch.tensor`, `zeros`/`ones`/`randn`/`rand`
and their `*_like`, `randint`, `arange`, `full`, `eye`, `linspace`, `from_numpy`, the legacy
`torch.Tensor(...)`. Arguments arrive checked by their signatures (engine/torch_api.py); the
sizes are checked by `functional.sized`, dtype and requires_grad given here by `finish`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine.errors import ArgumentError, LimitError
from chainrule.engine.printing import dtype_of
from chainrule.engine.random.state import in_double
from chainrule.engine.tensor import Tensor, current_tape


def finish(t: Tensor, dtype: str | None, requires_grad: bool, what: str) -> Tensor:
    """Give a freshly created leaf its dtype kind ("float", "double", "long", "bool") and
    requires_grad (nothing else has seen it yet)."""
    if dtype == "long" and t.data.dtype.kind != "i":   # np.asarray: 0-d floats are scalars
        t.data = np.asarray(t.data).astype(np.int64)
    elif dtype == "bool" and t.data.dtype.kind != "b":
        t.data = np.asarray(t.data).astype(bool)
    elif dtype in ("float", "double") and not t.is_float:
        data = t.data.astype(np.float64)
        t.data = data[()] if data.ndim == 0 else data   # 0-d float: a float64 scalar
    if dtype == "double":
        t.dtype_name = "float64"
    if requires_grad and not t.is_float:
        raise ArgumentError(f"{what}(): only floating-point tensors can require gradients")
    t.requires_grad = requires_grad
    return t


def kind_of(t: Tensor) -> str:
    """A tensor's dtype as a kind: "float" (float32), "double", "long", "bool"."""
    return {"float32": "float", "float64": "double", "int64": "long", "bool": "bool"}[dtype_of(t)]


def tensor(data: Any, *, dtype: str | None = None, requires_grad: bool = False) -> Tensor:
    kind = dtype
    if kind is None and isinstance(data, np.ndarray) and data.dtype == np.float64:
        kind = "double"   # PyTorch keeps NumPy's float64
    t = fn.tensor(data, requires_grad=False, dtype="float" if kind == "double" else kind)
    return finish(t, kind, requires_grad, "tensor")


def legacy_tensor(*data: Any) -> Tensor:
    """`torch.Tensor([1, 2])` / `torch.Tensor(2, 3)`: the legacy constructor, always float32
    (sizes give uninitialised memory in PyTorch; here zeros)."""
    if len(data) == 1 and not fn.is_number(data[0]):
        return finish(fn.tensor(data[0], dtype="float"), "float", False, "Tensor")
    return finish(fn.zeros(*data), "float", False, "Tensor")


def sized_maker(name: str, make: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """zeros/ones/randn/rand(*size, out=None, dtype=None, requires_grad=False)."""
    def impl(*size: Any, out: Any = None, dtype: str | None = None,
             requires_grad: bool = False) -> Tensor:
        if out is not None:
            raise ArgumentError(f"{name}(out=...) is not supported in chainrule")
        if dtype == "long" and name in ("randn", "rand"):
            raise ArgumentError(f"{name}() makes floating-point numbers; it cannot make a "
                                "torch.long tensor")
        with in_double(dtype == "double"):   # PyTorch's double sampling path
            return finish(make(*size), dtype, requires_grad, name)
    impl.__name__ = name
    return impl


def like_maker(name: str, make: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """zeros_like/ones_like/randn_like/rand_like(input, dtype=None, requires_grad=False)."""
    def impl(input: Tensor, *, dtype: str | None = None,  # noqa: A002
             requires_grad: bool = False) -> Tensor:
        kind = dtype or kind_of(input)
        if kind == "long" and name in ("randn_like", "rand_like"):
            raise ArgumentError(f"{name}() makes floating-point numbers; give it a float tensor")
        with in_double(kind == "double"):
            return finish(make(*input.shape), kind, requires_grad, name)
    impl.__name__ = name
    return impl


def randint(low: Any, high: Any = None, size: Any = None, *, dtype: str | None = None,
            requires_grad: bool = False) -> Tensor:
    if size is None and isinstance(high, tuple | list):   # torch.randint(high, size)
        low, high, size = 0, low, high
    return finish(fn.randint(low, high, size), dtype, requires_grad, "randint")


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: str | None = None,
           requires_grad: bool = False) -> Tensor:
    for v in (start, end, step):
        if v is not None and fn.is_number(v) and not math.isfinite(float(v)):
            raise ArgumentError(f"arange() needs finite numbers, got {v!r}")
    check_arange(start, end, step)
    if dtype in ("float", "double") and isinstance(start, int) and not isinstance(start, bool):
        start = float(start)
    return finish(fn.arange(start, end, step), dtype, requires_grad, "arange")


def check_arange(start: Any, end: Any, step: Any) -> None:
    """PyTorch's sign check, and the element count in floats: `(end - start) / step` can be
    inf (arange(1e308, -1e308, -1e300)) or negative, which NumPy turns into errors."""
    lo, hi = (0, start) if end is None else (start, end)
    if not all(fn.is_number(v) and not isinstance(v, bool) for v in (lo, hi, step)) \
            or step == 0:
        return
    span = float(hi) - float(lo)
    if span != 0 and (span > 0) != (step > 0):
        raise ArgumentError("arange(): upper bound and larger bound inconsistent with step sign")
    count = span / float(step)
    limit = current_tape().limits.max_tensor_elements
    if not math.isfinite(count) or count > limit:
        raise LimitError(f"arange() would hold more than {limit:,} elements, over the limit "
                         "per tensor")


def manual_seed(seed: Any) -> None:
    fn.manual_seed(seed)


def full(size: Any, fill_value: Any, *, dtype: str | None = None,
         requires_grad: bool = False) -> Tensor:
    sizes = tuple(size) if isinstance(size, list | tuple) else (size,)
    t = fn.full(sizes, fill_value)
    kind = dtype or ("bool" if isinstance(fill_value, bool) else
                     "long" if isinstance(fill_value, int) else "float")
    return finish(t, kind, requires_grad, "full")


def full_like(input: Tensor, fill_value: Any, *, dtype: str | None = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    return finish(fn.full(input.shape, fill_value), dtype or kind_of(input), requires_grad,
                  "full_like")


def eye(n: Any, m: Any = None, *, dtype: str | None = None,
        requires_grad: bool = False) -> Tensor:
    return finish(fn.eye(n, m), dtype or "float", requires_grad, "eye")


def linspace(start: Any, end: Any, steps: Any, *, dtype: str | None = None,
             requires_grad: bool = False) -> Tensor:
    for v in (start, end):
        if isinstance(v, Tensor):
            v = v.item()
        if not fn.is_number(v) or not math.isfinite(float(v)):
            raise ArgumentError(f"linspace() needs finite numbers, got {fn.describe(v)}")
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    return finish(fn.linspace(start, end, steps), dtype or "float", requires_grad, "linspace")


def from_numpy(ndarray: Any) -> Tensor:
    if not isinstance(ndarray, np.ndarray):
        raise ArgumentError(f"expected np.ndarray (got {fn.describe(ndarray)})")
    return numpy_tensor(ndarray)


def numpy_tensor(arr: np.ndarray) -> Tensor:
    t = Tensor(np.array(arr), origin="leaf")
    if arr.dtype == np.float64:   # PyTorch keeps NumPy's dtype
        t.dtype_name = "float64"
    return t

