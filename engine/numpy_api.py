"""The `numpy` module a snippet can import: arrays from numbers and lists, a few elementwise
functions and reductions, matmul. Arrays are plain NumPy arrays (never recorded), bounded by the
per-tensor element limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine.creation import check_arange
from chainrule.engine.errors import ArgumentError, LimitError
from chainrule.engine.objects import Function
from chainrule.engine.tensor import Tensor, current_tape

DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool_": np.bool_}


def array(object: Any, dtype: Any = None) -> np.ndarray:  # noqa: A002
    data = object.data if isinstance(object, Tensor) else object
    if not (fn.is_number(data) or isinstance(data, list | tuple | np.ndarray)):
        raise ArgumentError(f"np.array() takes numbers or nested lists of numbers, got "
                            f"{fn.describe(object)}")
    arr = np.array(fn.numbers_of(data) if not isinstance(data, np.ndarray) else data,
                   dtype=_dtype(dtype))
    if arr.dtype.kind not in "biuf":
        raise ArgumentError("np.array() takes numbers or nested lists of numbers")
    _check_array(arr)
    return arr


def _dtype(dtype: Any) -> Any:
    if dtype is None:
        return None
    if dtype in DTYPES.values():
        return dtype
    raise ArgumentError(f"dtype must be np.float32, np.float64, np.int64 or bool, got "
                        f"{fn.describe(dtype)}")


def _check_array(arr: np.ndarray) -> np.ndarray:
    limit = current_tape().limits.max_tensor_elements
    if arr.size > limit:
        raise LimitError(f"an array of {arr.size:,} elements is over the limit of {limit:,}")
    return arr


def _sized(make: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def impl(shape: Any, dtype: Any = None) -> np.ndarray:
        sizes = tuple(shape) if isinstance(shape, list | tuple) else (shape,)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes):
            raise ArgumentError("array sizes must be non-negative whole numbers")
        fn.sized(sizes, make.__name__)
        return make(sizes, dtype=_dtype(dtype))
    return impl


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> np.ndarray:
    check_arange(start, stop, step)
    if step == 0:
        raise ArgumentError("Maximum allowed size exceeded", python_type="ValueError")
    args = (start,) if stop is None else (start, stop, step)
    return _check_array(np.arange(*args, dtype=_dtype(dtype)))


def _value(x: Any, what: str) -> Any:
    if isinstance(x, np.ndarray) or fn.is_number(x):
        return x
    if isinstance(x, list | tuple):
        return array(x)
    if isinstance(x, Tensor):
        # TensorFlow hands NumPy its array; PyTorch's tensors take NumPy's reductions as their
        # own methods (np.mean(t) is a TypeError there, np.exp(t) a tensor): refused below
        from chainrule.engine import dialects
        found = dialects.hooks()
        if found is not None and found.as_numpy is not None:
            return found.as_numpy(x)
    raise ArgumentError(f"np.{what}() takes NumPy arrays, numbers or lists of numbers, got "
                        f"{fn.describe(x)}")


def _elementwise(ufunc: Any) -> Callable[..., Any]:
    def impl(x: Any) -> Any:
        with np.errstate(all="ignore"):
            return ufunc(_value(x, ufunc.__name__))
    impl.__name__ = ufunc.__name__
    return impl


def _reduce(reduce: Any) -> Callable[..., Any]:
    def impl(a: Any, axis: Any = None) -> Any:
        if axis is not None and not isinstance(axis, int):
            raise ArgumentError("axis must be a whole number")
        try:
            return reduce(_value(a, reduce.__name__), axis=axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ArgumentError(str(e), python_type="ValueError") from None
    impl.__name__ = reduce.__name__
    return impl


def matmul(a: Any, b: Any) -> Any:
    x, y = _value(a, "matmul"), _value(b, "matmul")
    try:
        return _check_array(np.matmul(x, y))
    except ValueError as e:
        raise ArgumentError(str(e).split("\n")[0], python_type="ValueError") from None


MEMBERS: dict[str, Any] = {
    "pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
    **{name: Function(name, impl) for name, impl in {
        "array": array, "asarray": array, "arange": arange,
        "ones": _sized(np.ones), "zeros": _sized(np.zeros),
        **{name: _elementwise(getattr(np, name)) for name in (
            "abs", "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "square")},
        "mean": _reduce(np.mean), "sum": _reduce(np.sum), "max": _reduce(np.max),
        "min": _reduce(np.min), "matmul": matmul, "dot": matmul}.items()},
    **DTYPES,
}
