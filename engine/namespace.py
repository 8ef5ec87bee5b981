"""Everything a snippet can reach by name: the `torch`, `torch.nn`, `torch.nn.functional` and
`numpy` tables, tensor methods and attributes, loss and activation modules, and the bare math
functions of torch-less snippets (`sin(x)`).

The interpreter never calls `getattr` with a user's string: it looks names up in these dicts.
Every callable is a plain Python function whose signature uses PyTorch's parameter names; calls
are bound with `inspect.Signature.bind`, so a wrong keyword or argument count gets Python's and
PyTorch's own kind of message ("randn() got an unexpected keyword argument 'foo'").
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from chainrule.engine import autograd_api
from chainrule.engine import functional as fn
from chainrule.engine.backward import backward as run_backward
from chainrule.engine.errors import (
    ArgumentError,
    LimitError,
    NameProblem,
    RuntimeProblem,
    ShapeError,
)
from chainrule.engine.grad_fn import ATTRIBUTES as GRAD_FN_ATTRIBUTES
from chainrule.engine.grad_fn import GradFn
from chainrule.engine.grad_fn import attribute as grad_fn_attribute
from chainrule.engine.printing import dtype_of as printing_dtype
from chainrule.engine.printing import python_list, python_number, size_repr, type_name
from chainrule.engine.tensor import Tensor, current_tape

# ---------------------------------------------------------------- value kinds


class Size(tuple):
    """`x.shape` / `x.size()`: a tuple that prints as `torch.Size([2, 3])`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return size_repr(self)

    __str__ = __repr__


@dataclass(frozen=True)
class DType:
    """`torch.float32`, `torch.long`…: only what `dtype=` needs. `kind` is "float" or "long"."""

    name: str
    kind: str

    def __repr__(self) -> str:
        return f"torch.{self.name}"


@dataclass(eq=False)
class Module:
    """A Python module the snippet imported: a name table, nothing else."""

    path: str
    members: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<module '{self.path}'>"


@dataclass(frozen=True, eq=False)
class Function:
    """A function from one of the tables; `impl` carries PyTorch's parameter names."""

    name: str
    impl: Callable[..., Any]
    kind: str = "function"   # function | method | class

    def __repr__(self) -> str:
        if self.kind == "class":
            return f"<class '{self.name}'>"
        return f"<built-in function {self.name}>"


@dataclass(frozen=True, eq=False)
class BoundMethod:
    """`x.sum` before it is called."""

    function: Function
    self_value: Any

    @property
    def name(self) -> str:
        return self.function.name

    def __repr__(self) -> str:
        return f"<built-in method {self.function.name} of Tensor object>"


@dataclass(eq=False)
class NNModule:
    """`nn.CrossEntropyLoss(reduction='sum')`, `nn.ReLU()`…: an object called later."""

    cls: str
    forward: Callable[..., Any]
    shown: str = ""   # the arguments PyTorch shows in its repr, e.g. "dim=1"

    def __repr__(self) -> str:
        return f"{self.cls}({self.shown})"


CALLABLE = (Function, BoundMethod, NNModule)


# ---------------------------------------------------------------- calling


_signatures: dict[Callable[..., Any], inspect.Signature] = {}


def _signature(impl: Callable[..., Any]) -> inspect.Signature:
    sig = _signatures.get(impl)
    if sig is None:
        sig = _signatures[impl] = inspect.signature(impl)
    return sig


def bind_call(name: str, impl: Callable[..., Any], args: tuple, kwargs: dict,
              skip_self: bool = False) -> Any:
    """Call `impl` after checking the arguments against its signature, in learner's words."""
    sig = _signature(impl)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise ArgumentError(_bind_message(name, sig, args, kwargs, str(e), skip_self)) from None
    return impl(*bound.args, **bound.kwargs)


def _bind_message(name: str, sig: inspect.Signature, args: tuple, kwargs: dict, why: str,
                  skip_self: bool) -> str:
    params = list(sig.parameters.values())
    if skip_self:
        params = params[1:]
    positional = [p for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    given = len(args) - (1 if skip_self else 0)
    if "unexpected keyword" in why:
        names = {p.name for p in params}
        bad = next((k for k in kwargs if k not in names), "?")
        msg = f"{name}() got an unexpected keyword argument '{bad}'"
        close = difflib.get_close_matches(bad, sorted(names), n=1, cutoff=0.6)
        return msg + (f"; did you mean '{close[0]}'?" if close else "")
    if "too many positional" in why:
        most = len(positional)
        return (f"{name}() takes {'no' if most == 0 else f'at most {most}'} positional "
                f"argument{'' if most == 1 else 's'} but {given} "
                f"{'was' if given == 1 else 'were'} given")
    if "missing a required argument" in why:
        missing = why.rsplit(":", 1)[-1].strip().strip("'")
        return f"{name}() is missing its argument '{missing}'"
    if "multiple values" in why:
        dup = why.rsplit(" ", 1)[-1].strip().strip("'")
        return f"{name}() got multiple values for argument '{dup}'"
    return f"{name}(): {why}"


def call(value: Any, args: tuple, kwargs: dict) -> Any:
    """Call a table function, a bound tensor method or an nn module object."""
    if isinstance(value, Function):
        return bind_call(value.name, value.impl, args, kwargs)
    if isinstance(value, BoundMethod):
        return bind_call(value.name, value.function.impl, (value.self_value, *args), kwargs,
                         skip_self=True)
    if isinstance(value, NNModule):
        return bind_call(value.cls, value.forward, args, kwargs)
    raise ArgumentError(f"{describe(value)} cannot be called like a function")


# ---------------------------------------------------------------- argument checks


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(f"{what} must be True or False, got {describe(value)}")
    return value


def _dtype(value: Any) -> str | None:
    """The kind a `dtype=` asks for: "float" (float32), "double" (float64), "long", "bool"."""
    if value is None:
        return None
    if isinstance(value, DType):
        return "double" if value.name == "float64" else value.kind
    raise ArgumentError(f"dtype must be a torch dtype such as torch.float32 or torch.long, "
                        f"got {describe(value)}")


def _reduction(value: Any) -> str:
    if value not in ("mean", "sum", "none"):
        raise ArgumentError(f"reduction must be 'mean', 'sum' or 'none', got {describe(value)}")
    return value


def _tensor(value: Any, what: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise ArgumentError(f"{what}() expects a tensor, got {describe(value)}")
    return value


def _finish(t: Tensor, dtype: str | None, requires_grad: Any, what: str) -> Tensor:
    """Give a freshly created leaf its dtype and requires_grad (nothing else has seen it yet)."""
    rg = _bool(requires_grad, "requires_grad")
    if dtype == "long" and t.data.dtype.kind != "i":   # np.asarray: 0-d floats are scalars
        t.data = np.asarray(t.data).astype(np.int64)
    elif dtype == "bool" and t.data.dtype.kind != "b":
        t.data = np.asarray(t.data).astype(bool)
    elif dtype in ("float", "double") and not t.is_float:
        data = t.data.astype(np.float64)
        t.data = data[()] if data.ndim == 0 else data   # 0-d float: a float64 scalar
    if dtype == "double":
        t.dtype_name = "float64"
    if rg and not t.is_float:
        raise ArgumentError(f"{what}(): only floating-point tensors can require gradients")
    t.requires_grad = rg
    return t


# ---------------------------------------------------------------- creation


def _tensor_fn(data: Any, *, dtype: Any = None, requires_grad: Any = False) -> Tensor:
    kind = _dtype(dtype)
    if kind is None and isinstance(data, np.ndarray) and data.dtype == np.float64:
        kind = "double"   # PyTorch keeps NumPy's float64
    t = fn.tensor(data, requires_grad=False, dtype="float" if kind == "double" else kind)
    return _finish(t, kind, requires_grad, "tensor")


def _capital_tensor(*data: Any) -> Tensor:
    """`torch.Tensor([1, 2])` / `torch.Tensor(2, 3)`: the legacy constructor, always float32
    (sizes give uninitialised memory in PyTorch; here zeros)."""
    if len(data) == 1 and not fn.is_number(data[0]):
        return _finish(fn.tensor(data[0], dtype="float"), "float", False, "Tensor")
    return _finish(fn.zeros(*data), "float", False, "Tensor")


def _float_maker(name: str, make: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def impl(*size: Any, out: Any = None, dtype: Any = None, requires_grad: Any = False,
             **named: Any) -> Tensor:
        if "size" in named:   # torch.randn(size=(2, 3))
            if size:
                raise ArgumentError(f"{name}() got multiple values for argument 'size'")
            size = (named.pop("size"),)
        for key in named:
            raise ArgumentError(f"{name}() got an unexpected keyword argument '{key}'")
        if out is not None:
            raise ArgumentError(f"{name}(out=...) is not supported in chainrule")
        kind = _dtype(dtype)
        if kind == "long" and name in ("randn", "rand"):
            raise ArgumentError(f"{name}() makes floating-point numbers; it cannot make a "
                                "torch.long tensor")
        return _finish(make(*size), kind, requires_grad, name)
    impl.__name__ = name
    return impl


def _like(name: str, make: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def impl(input: Any, *, dtype: Any = None, requires_grad: Any = False) -> Tensor:  # noqa: A002
        t = _tensor(input, name)
        kind = _dtype(dtype) or _kind_of(t)
        if kind == "long" and name in ("randn_like", "rand_like"):
            raise ArgumentError(f"{name}() makes floating-point numbers; give it a float tensor")
        return _finish(make(*t.shape), kind, requires_grad, name)
    impl.__name__ = name
    return impl


def _randint(low: Any, high: Any = None, size: Any = None, *, dtype: Any = None,
             requires_grad: Any = False) -> Tensor:
    if size is None and isinstance(high, tuple | list):   # torch.randint(high, size)
        low, high, size = 0, low, high
    return _finish(fn.randint(low, high, size), _dtype(dtype), requires_grad, "randint")


def _arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
            requires_grad: Any = False) -> Tensor:
    for v in (start, end, step):
        if v is not None and fn.is_number(v) and not math.isfinite(float(v)):
            raise ArgumentError(f"arange() needs finite numbers, got {v!r}")
    _check_arange(start, end, step)
    kind = _dtype(dtype)
    if kind in ("float", "double") and isinstance(start, int) and not isinstance(start, bool):
        start = float(start)
    return _finish(fn.arange(start, end, step), kind, requires_grad, "arange")


def _check_arange(start: Any, end: Any, step: Any) -> None:
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


def _manual_seed(seed: Any) -> None:
    fn.manual_seed(seed)


# ---------------------------------------------------------------- math, reductions, shapes


def _extreme(name: str) -> Callable[..., Any]:
    """max/min(input), max/min(input, dim, keepdim) -> (values, indices), and
    max/min(input, other) -> maximum/minimum, PyTorch's three overloads."""
    def impl(input: Any, dim: Any = None, keepdim: Any = False) -> Any:  # noqa: A002
        t = _tensor(input, name)
        if isinstance(dim, Tensor):
            return (fn.minimum if name == "min" else fn.maximum)(t, dim)
        if dim is None and keepdim is not False:
            raise ArgumentError(f"{name}() received an invalid combination of arguments - got "
                                "(keepdim=bool, ), but expected one of:\n * ()\n * (Tensor "
                                "other)\n * (int dim, bool keepdim = False)")
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
            raise ArgumentError(f"{name}() received an invalid combination of arguments - got "
                                f"(dim={type(dim).__name__}, ), but expected one of:\n * ()\n"
                                " * (Tensor other)\n * (int dim, bool keepdim = False)")
        return (fn.min if name == "min" else fn.max)(t, dim, _bool(keepdim, "keepdim"))
    impl.__name__ = name
    return impl


def _pairwise(name: str) -> Callable[..., Tensor]:
    """torch.maximum/minimum: two tensors (PyTorch takes no number here)."""
    def impl(input: Any, other: Any) -> Tensor:  # noqa: A002
        a = _tensor(input, name)
        if not isinstance(other, Tensor):
            raise ArgumentError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                                f"{type_name(other)}")
        return getattr(fn, name)(a, other)
    impl.__name__ = name
    return impl


def _prod(input: Any, dim: Any = None, keepdim: Any = False, *,  # noqa: A002
          dtype: Any = None) -> Tensor:
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise ArgumentError(f"prod() received an invalid combination of arguments - got "
                            f"(Tensor, {type(dim).__name__}), but expected one of:\n * (Tensor "
                            "input, *, torch.dtype dtype = None)\n * (Tensor input, int dim, "
                            "bool keepdim = False, *, torch.dtype dtype = None, Tensor out = "
                            "None)")
    return fn.prod(_tensor(input, "prod"), dim, _bool(keepdim, "keepdim"))


def _unbind(input: Any, dim: Any = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return fn.unbind(_tensor(input, "unbind"), dim)


def _reduction_args(dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    """PyTorch takes NumPy's names too: `axis=` for dim, `keepdims=` for keepdim."""
    if axis is not None:
        if dim is not None:
            raise ArgumentError("got both dim and axis: pass one of them")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, _bool(keepdim, "keepdim")


def _sum(input: Any, dim: Any = None, keepdim: Any = False, *, dtype: Any = None,  # noqa: A002
         axis: Any = None, keepdims: Any = None) -> Tensor:
    return fn.sum(input, *_reduction_args(dim, keepdim, axis, keepdims))


def _mean(input: Any, dim: Any = None, keepdim: Any = False, *, dtype: Any = None,  # noqa: A002
          axis: Any = None, keepdims: Any = None) -> Tensor:
    return fn.mean(input, *_reduction_args(dim, keepdim, axis, keepdims))


def _reshape_fn(input: Any, shape: Any) -> Tensor:  # noqa: A002
    return fn.reshape(input, shape)


def _reshape_method(self: Tensor, *shape: Any) -> Tensor:
    return fn.reshape(self, *shape)


def _view_method(self: Tensor, *shape: Any) -> Tensor:
    return fn.view(self, *shape)


def _squeeze(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    return fn.squeeze(input, dim)


def _mm(input: Any, mat2: Any) -> Tensor:  # noqa: A002
    a, b = _tensor(input, "mm"), _tensor(mat2, "mm")
    if a.data.ndim != 2 or b.data.ndim != 2:
        raise ShapeError(f"mm() multiplies two matrices, got shapes {a.shape} and {b.shape}")
    return fn.matmul(a, b)


def _dot(input: Any, other: Any) -> Tensor:  # noqa: A002
    a, b = _tensor(input, "dot"), _tensor(other, "dot")
    if a.data.ndim != 1 or b.data.ndim != 1:
        raise ShapeError(f"1D tensors expected, but got {a.data.ndim}D and {b.data.ndim}D "
                         "tensors")
    return fn.matmul(a, b)


def _softmax_req(input: Any, dim: Any) -> Tensor:  # noqa: A002
    return fn.softmax(_tensor(input, "softmax"), dim)


def _log_softmax_req(input: Any, dim: Any) -> Tensor:  # noqa: A002
    return fn.log_softmax(_tensor(input, "log_softmax"), dim)


def _softmax_opt(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    return fn.softmax(_tensor(input, "softmax"), dim)


def _log_softmax_opt(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    return fn.log_softmax(_tensor(input, "log_softmax"), dim)


def _cross_entropy(input: Any, target: Any, *, reduction: Any = "mean") -> Tensor:  # noqa: A002
    x, t = _tensor(input, "cross_entropy"), _tensor(target, "cross_entropy")
    return fn.cross_entropy(x, t, _reduction(reduction))


def _mse_loss(input: Any, target: Any, *, reduction: Any = "mean") -> Tensor:  # noqa: A002
    a, b = _tensor(input, "mse_loss"), _tensor(target, "mse_loss")
    return fn.mse_loss(a, b, _reduction(reduction))


def _nll_loss(input: Any, target: Any, *, reduction: Any = "mean") -> Tensor:  # noqa: A002
    lp, tg = _tensor(input, "nll_loss"), _tensor(target, "nll_loss")
    return fn.nll_loss(lp, tg, _reduction(reduction))


def _binary(name: str, op: Callable[[Any, Any], Tensor]) -> Callable[..., Tensor]:
    def impl(input: Any, other: Any, *, out: Any = None) -> Tensor:  # noqa: A002
        if fn.is_number(input) and isinstance(other, Tensor) and name != "matmul":
            input = fn.lift(input)   # noqa: A001 - torch.div(3, x): one DivBackward0 node
        _tensor(input, name)
        result = op(input, other)
        return result if out is None else _into(out, result, name)
    impl.__name__ = name
    return impl


def _div(input: Any, other: Any, *, rounding_mode: Any = None,  # noqa: A002
         out: Any = None) -> Tensor:
    if rounding_mode == "floor":
        return _binary("div", fn.floor_divide)(input, other, out=out)
    if rounding_mode is not None:
        if rounding_mode == "trunc":
            raise ArgumentError("div(rounding_mode='trunc') is not supported in chainrule; "
                                "rounding_mode='floor' is")
        raise ArgumentError(f"div expected rounding_mode to be one of None, 'trunc', or "
                            f"'floor' but found '{rounding_mode}'", python_type="RuntimeError")
    return _binary("div", fn.div)(input, other, out=out)


def _into(out: Any, result: Tensor, name: str) -> Tensor:
    """`out=`: the result written into `out` (PyTorch's in-place copy; no autograd through it,
    as PyTorch refuses out= where gradients are needed)."""
    target = _tensor(out, name)
    if result.requires_grad or target.requires_grad:
        raise RuntimeProblem(f"{name}(): functions with out=... arguments don't support "
                             "automatic differentiation, but one of the arguments requires grad.")
    copy = autograd_api.TENSOR_METHODS.get("copy_")
    if copy is None or target.shape != result.shape:
        raise ArgumentError(f"{name}(out=...) needs a tensor of the result's shape "
                            f"{result.shape}")
    return copy(target, result)


def _norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: Any = False,  # noqa: A002
          dtype: Any = None) -> Tensor:
    return fn.norm(_tensor(input, "norm"), p, dim, _bool(keepdim, "keepdim"))


def _cat(tensors: Any, dim: Any = 0) -> Tensor:
    return fn.cat(tensors, dim)


def _stack(tensors: Any, dim: Any = 0) -> Tensor:
    return fn.stack(tensors, dim)


def _mv(input: Any, vec: Any) -> Tensor:  # noqa: A002
    a, b = _tensor(input, "mv"), _tensor(vec, "mv")
    if a.data.ndim != 2 or b.data.ndim != 1:
        raise ShapeError(f"vector + matrix @ vector expected, got {a.data.ndim}, "
                         f"{a.data.ndim}, {b.data.ndim}")
    return fn.matmul(a, b)


def _bce_with_logits(input: Any, target: Any, weight: Any = None,  # noqa: A002
                     size_average: Any = None, reduce: Any = None, reduction: Any = "mean",
                     pos_weight: Any = None) -> Tensor:
    if size_average is not None or reduce is not None:
        raise ArgumentError("binary_cross_entropy_with_logits(): size_average and reduce are "
                            "deprecated and not supported in chainrule; use reduction=")
    return fn.binary_cross_entropy_with_logits(
        _tensor(input, "binary_cross_entropy_with_logits"),
        _tensor(target, "binary_cross_entropy_with_logits"), _reduction(reduction),
        weight=_weight(weight, "weight"), pos_weight=_weight(pos_weight, "pos_weight"))


def _bce(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
         reduce: Any = None, reduction: Any = "mean") -> Tensor:
    if size_average is not None or reduce is not None:
        raise ArgumentError("binary_cross_entropy(): size_average and reduce are deprecated "
                            "and not supported in chainrule; use reduction=")
    return fn.binary_cross_entropy(_tensor(input, "binary_cross_entropy"),
                                   _tensor(target, "binary_cross_entropy"), _reduction(reduction),
                                   weight=_weight(weight, "weight"))


def _weight(value: Any, what: str) -> Tensor | None:
    """A loss's weight tensor (a constant here: no gradient reaches it)."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        raise ArgumentError(f"{what} must be a tensor, got {describe(value)}")
    return value


def _linspace(start: Any, end: Any, steps: Any, *, dtype: Any = None,
              requires_grad: Any = False) -> Tensor:
    for v in (start, end):
        if isinstance(v, Tensor):
            v = v.item()
        if not fn.is_number(v) or not math.isfinite(float(v)):
            raise ArgumentError(f"linspace() needs finite numbers, got {describe(v)}")
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    return _finish(fn.linspace(start, end, steps), _dtype(dtype) or "float", requires_grad,
                   "linspace")


def _var(input: Any, dim: Any, unbiased: Any, keepdim: Any, correction: Any,  # noqa: A002
         root: bool) -> Tensor:
    """var/std(input, dim, unbiased, keepdim, *, correction): `unbiased=False` is correction
    0; PyTorch's default is 1 (N - 1)."""
    if correction is None:
        correction = 1 if _bool(unbiased, "unbiased") else 0
    return fn.var(_tensor(input, "std" if root else "var"), dim, correction,
                  _bool(keepdim, "keepdim"), root)


def _gelu(input: Any, approximate: Any = "none") -> Tensor:  # noqa: A002
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"approximate argument must be either none or tanh., got "
                            f"{describe(approximate)}")
    return fn.gelu(_tensor(input, "gelu"), approximate=approximate)


def _softplus(input: Any, beta: Any = 1.0, threshold: Any = 20.0) -> Tensor:  # noqa: A002
    return fn.softplus(_tensor(input, "softplus"), beta=float(beta), threshold=float(threshold))


def _leaky_relu(input: Any, negative_slope: Any = 0.01, inplace: Any = False) -> Tensor:  # noqa: A002
    return fn.leaky_relu(_tensor(input, "leaky_relu"), negative_slope=float(negative_slope))


def _hardtanh(input: Any, min_val: Any = -1.0, max_val: Any = 1.0,  # noqa: A002
              inplace: Any = False) -> Tensor:
    return fn.hardtanh(_tensor(input, "hardtanh"), min_val=_number(min_val, "min_val"),
                       max_val=_number(max_val, "max_val"))


def _relu6(input: Any, inplace: Any = False) -> Tensor:  # noqa: A002
    return fn.relu6(_tensor(input, "relu6"))


def _l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
             reduction: Any = "mean") -> Tensor:
    if size_average is not None or reduce is not None:
        raise ArgumentError("l1_loss(): size_average and reduce are deprecated and not "
                            "supported in chainrule; use reduction=")
    return fn.l1_loss(_tensor(input, "l1_loss"), _tensor(target, "l1_loss"),
                      _reduction(reduction))


def _number(value: Any, what: str) -> float:
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not fn.is_number(value) or isinstance(value, bool):
        raise ArgumentError(f"{what} must be a number, got {describe(value)}")
    return float(value)


# nn activation modules: their constructor arguments and PyTorch's repr of them


def _relu_class(inplace: Any = False) -> NNModule:
    return NNModule("ReLU", _unary("ReLU", fn.relu), "inplace=True" if inplace else "")


def _relu6_class(inplace: Any = False) -> NNModule:
    return NNModule("ReLU6", _unary("ReLU6", fn.relu6), "inplace=True" if inplace else "")


def _silu_class(inplace: Any = False) -> NNModule:
    return NNModule("SiLU", _unary("SiLU", fn.silu), "inplace=True" if inplace else "")


def _hardtanh_class(min_val: Any = -1.0, max_val: Any = 1.0, inplace: Any = False) -> NNModule:
    lo, hi = _number(min_val, "min_val"), _number(max_val, "max_val")
    return NNModule("Hardtanh", lambda input: _hardtanh(input, lo, hi),  # noqa: A002
                    f"min_val={lo!r}, max_val={hi!r}")


def _gelu_class(approximate: Any = "none") -> NNModule:
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"approximate argument must be either none or tanh., got "
                            f"{describe(approximate)}")
    return NNModule("GELU", lambda input: _gelu(input, approximate),  # noqa: A002
                    f"approximate={approximate!r}")


def _softplus_class(beta: Any = 1.0, threshold: Any = 20.0) -> NNModule:
    b, t = _number(beta, "beta"), _number(threshold, "threshold")
    return NNModule("Softplus", lambda input: _softplus(input, b, t),  # noqa: A002
                    f"beta={beta!r}, threshold={threshold!r}")


def _leaky_relu_class(negative_slope: Any = 0.01, inplace: Any = False) -> NNModule:
    slope = _number(negative_slope, "negative_slope")
    shown = f"negative_slope={negative_slope!r}" + (", inplace=True" if inplace else "")
    return NNModule("LeakyReLU", lambda input: _leaky_relu(input, slope), shown)  # noqa: A002


def _full(size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: Any = False
          ) -> Tensor:
    sizes = tuple(size) if isinstance(size, list | tuple) else (size,)
    t = fn.full(sizes, fill_value)
    kind = _dtype(dtype) or ("bool" if isinstance(fill_value, bool) else
                             "long" if isinstance(fill_value, int) else "float")
    return _finish(t, kind, requires_grad, "full")


def _full_like(input: Any, fill_value: Any, *, dtype: Any = None,  # noqa: A002
               requires_grad: Any = False) -> Tensor:
    t = _tensor(input, "full_like")
    return _finish(fn.full(t.shape, fill_value), _dtype(dtype) or _kind_of(t), requires_grad,
                   "full_like")


def _eye(n: Any, m: Any = None, *, dtype: Any = None, requires_grad: Any = False) -> Tensor:
    return _finish(fn.eye(n, m), _dtype(dtype) or "float", requires_grad, "eye")


def _numpy(self: Tensor) -> np.ndarray:
    """`t.numpy()`: a NumPy array of the tensor's dtype (a copy here; PyTorch shares memory)."""
    if self.requires_grad:
        raise RuntimeProblem("Can't call numpy() on Tensor that requires grad. Use "
                             "tensor.detach().numpy() instead.")
    dtype = {"float32": np.float32, "float64": np.float64, "int64": np.int64,
             "bool": np.bool_}[printing_dtype(self)]
    return np.array(self.data, dtype=dtype)


def _from_numpy(ndarray: Any) -> Tensor:
    if not isinstance(ndarray, np.ndarray):
        raise ArgumentError(f"expected np.ndarray (got {describe(ndarray)})")
    return _numpy_tensor(ndarray)


def _numpy_tensor(arr: np.ndarray) -> Tensor:
    t = Tensor(np.array(arr), origin="leaf")
    if arr.dtype == np.float64:   # PyTorch keeps NumPy's dtype
        t.dtype_name = "float64"
    return t


def _np_array(object: Any, dtype: Any = None) -> np.ndarray:  # noqa: A002
    data = object.data if isinstance(object, Tensor) else object
    if not (fn.is_number(data) or isinstance(data, list | tuple | np.ndarray)):
        raise ArgumentError(f"np.array() takes numbers or nested lists of numbers, got "
                            f"{describe(object)}")
    arr = np.array(fn.numbers_of(data) if not isinstance(data, np.ndarray) else data,
                   dtype=_np_dtype(dtype))
    if arr.dtype.kind not in "biuf":
        raise ArgumentError("np.array() takes numbers or nested lists of numbers")
    _check_array(arr)
    return arr


def _np_dtype(dtype: Any) -> Any:
    if dtype is None:
        return None
    if dtype in _NP_DTYPES.values():
        return dtype
    raise ArgumentError(f"dtype must be np.float32, np.float64, np.int64 or bool, got "
                        f"{describe(dtype)}")


def _check_array(arr: np.ndarray) -> np.ndarray:
    limit = current_tape().limits.max_tensor_elements
    if arr.size > limit:
        raise LimitError(f"an array of {arr.size:,} elements is over the limit of {limit:,}")
    return arr


def _np_sized(make: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def impl(shape: Any, dtype: Any = None) -> np.ndarray:
        sizes = tuple(shape) if isinstance(shape, list | tuple) else (shape,)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes):
            raise ArgumentError("array sizes must be non-negative whole numbers")
        fn.sized(sizes, make.__name__)
        return make(sizes, dtype=_np_dtype(dtype))
    return impl


def _np_arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> np.ndarray:
    _check_arange(start, stop, step)
    if step == 0:
        raise ArgumentError("Maximum allowed size exceeded", python_type="ValueError")
    args = (start,) if stop is None else (start, stop, step)
    return _check_array(np.arange(*args, dtype=_np_dtype(dtype)))


def _np_value(x: Any, what: str) -> Any:
    if isinstance(x, np.ndarray) or fn.is_number(x):
        return x
    if isinstance(x, list | tuple):
        return _np_array(x)
    raise ArgumentError(f"np.{what}() takes NumPy arrays, numbers or lists of numbers, got "
                        f"{describe(x)}")


def _np_elementwise(ufunc: Any) -> Callable[..., Any]:
    def impl(x: Any) -> Any:
        with np.errstate(all="ignore"):
            return ufunc(_np_value(x, ufunc.__name__))
    impl.__name__ = ufunc.__name__
    return impl


def _np_reduce(reduce: Any) -> Callable[..., Any]:
    def impl(a: Any, axis: Any = None) -> Any:
        if axis is not None and not isinstance(axis, int):
            raise ArgumentError("axis must be a whole number")
        try:
            return reduce(_np_value(a, reduce.__name__), axis=axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ArgumentError(str(e), python_type="ValueError") from None
    impl.__name__ = reduce.__name__
    return impl


def _np_matmul(a: Any, b: Any) -> Any:
    x, y = _np_value(a, "matmul"), _np_value(b, "matmul")
    try:
        return _check_array(np.matmul(x, y))
    except ValueError as e:
        raise ArgumentError(str(e).split("\n")[0], python_type="ValueError") from None


_NP_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64,
              "bool_": np.bool_}


def _binary_any(name: str, op: Callable[[Any, Any], Tensor]) -> Callable[..., Tensor]:
    """A comparison or logical op: a tensor first, the other a tensor or a number."""
    def impl(input: Any, other: Any) -> Tensor:  # noqa: A002
        _tensor(input, name)
        return op(input, other)
    impl.__name__ = name
    return impl


def _where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    cond = _tensor(condition, "where")
    for v in (input, other):
        if not isinstance(v, Tensor) and not fn.is_number(v):
            raise ArgumentError(f"where() expects tensors or numbers, got {describe(v)}")
    return fn.where(cond, input, other)


def _equal(input: Any, other: Any) -> bool:  # noqa: A002
    a, b = _tensor(input, "equal"), _tensor(other, "equal")
    return a.shape == b.shape and bool(np.array_equal(np.asarray(a.data), np.asarray(b.data)))


def _close_arrays(a: Tensor, b: Any, rtol: Any, atol: Any, equal_nan: Any) -> np.ndarray:
    bd = b.data if isinstance(b, Tensor) else b
    return np.isclose(np.asarray(a.data, dtype=np.float64), np.asarray(bd, dtype=np.float64),
                      rtol=float(rtol), atol=float(atol), equal_nan=_bool(equal_nan,
                                                                          "equal_nan"))


def _allclose(input: Any, other: Any, rtol: Any = 1e-05, atol: Any = 1e-08,  # noqa: A002
              equal_nan: Any = False) -> bool:
    a, b = _tensor(input, "allclose"), _tensor(other, "allclose")
    try:
        return bool(np.all(_close_arrays(a, b, rtol, atol, equal_nan)))
    except ValueError:
        raise ShapeError(f"The size of tensor a {a.shape} must match the size of tensor b "
                         f"{b.shape}") from None


def _isclose(input: Any, other: Any, rtol: Any = 1e-05, atol: Any = 1e-08,  # noqa: A002
             equal_nan: Any = False) -> Tensor:
    a = _tensor(input, "isclose")
    return Tensor(_close_arrays(a, other, rtol, atol, equal_nan), origin="constant")


def _unary(name: str, op: Callable[[Any], Tensor]) -> Callable[..., Tensor]:
    def impl(input: Any) -> Tensor:  # noqa: A002
        return op(_tensor(input, name))
    impl.__name__ = name
    return impl


def _pow(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise ArgumentError("pow() expects a tensor base or exponent")
    return fn.pow(input, exponent)


def _detach(input: Any) -> Tensor:  # noqa: A002
    return fn.detach(_tensor(input, "detach"))


def _numel(input: Any) -> int:  # noqa: A002
    return _tensor(input, "numel").numel()


# ---------------------------------------------------------------- tensor-only methods


def _item(self: Tensor) -> float | int:
    if self.numel() != 1:
        raise RuntimeProblem(f"a Tensor with {self.numel()} elements cannot be converted to a "
                             "Python number")
    return python_number(self)


def _size(self: Tensor, dim: Any = None) -> Size | int:
    if dim is None:
        return Size(self.shape)
    return self.shape[_dim_index(self, dim)]


def _unsqueeze(t: Tensor, dim: Any) -> Tensor:
    dims = current_tape().limits.max_tensor_dims
    if t.data.ndim >= dims:
        raise LimitError(f"unsqueeze() would give a tensor of {t.data.ndim + 1} dimensions; a "
                         f"tensor can have at most {dims}")
    return fn.unsqueeze(t, dim)


def _dim_index(t: Tensor, dim: Any) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise ArgumentError(f"dim must be a whole number, got {describe(dim)}")
    nd = t.data.ndim
    if nd == 0:
        raise ArgumentError(f"Dimension specified as {dim} but tensor has no dimensions")
    if not -nd <= dim <= nd - 1:
        raise ArgumentError(f"Dimension out of range (expected to be in range of [{-nd}, "
                            f"{nd - 1}], but got {dim})")
    return dim % nd


def _dim(self: Tensor) -> int:
    return int(self.data.ndim)


def _tolist(self: Tensor) -> Any:
    return python_list(self)


def _backward(self: Tensor, gradient: Any = None, retain_graph: Any = None) -> None:
    if gradient is not None and not isinstance(gradient, Tensor):
        raise ArgumentError(f"backward(gradient=...) expects a tensor, got "
                            f"{describe(gradient)}")
    keep = False if retain_graph is None else _bool(retain_graph, "retain_graph")
    run_backward(self, gradient, keep)


def _kind_of(t: Tensor) -> str:
    name = printing_dtype(t)
    return {"float32": "float", "float64": "double", "int64": "long", "bool": "bool"}[name]


_KIND_DTYPE = {"float": "float32", "double": "float64", "long": "int64", "bool": "bool"}


def _as_kind(self: Tensor, kind: str) -> Tensor:
    """`.float()`, `.double()`, `.long()`, `.bool()`, `.to(dtype)`: the same tensor when the
    dtype does not change (as PyTorch), else a copy recorded as ToCopyBackward0."""
    if _kind_of(self) == kind:
        return self
    return fn.to_dtype(self, _KIND_DTYPE[kind])


def _float(self: Tensor) -> Tensor:
    return _as_kind(self, "float")


def _double(self: Tensor) -> Tensor:
    return _as_kind(self, "double")


def _long(self: Tensor) -> Tensor:
    return _as_kind(self, "long")


def _bool_method(self: Tensor) -> Tensor:
    return _as_kind(self, "bool")


def _to(self: Tensor, *args: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
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
            raise ArgumentError(f"to() expects a dtype or 'cpu', got {describe(a)}")
    return self if dtype is None else _as_kind(self, _dtype(dtype))


_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "int64": "torch.LongTensor", "bool": "torch.BoolTensor"}


def _type(self: Tensor, dtype: Any = None, non_blocking: Any = False) -> Any:
    """`x.type()`: PyTorch's legacy type name ('torch.FloatTensor'); `x.type(torch.float64)`
    or `x.type('torch.DoubleTensor')` converts like `.to()`."""
    if dtype is None:
        return _TYPE_NAMES[printing_dtype(self)]
    if isinstance(dtype, str):
        named = {v: k for k, v in _TYPE_NAMES.items()}.get(dtype)
        if named is None:
            raise ArgumentError(f"invalid type: '{dtype}'", python_type="ValueError")
        dtype = _DTYPES[named]
    return _as_kind(self, _dtype(dtype))


def set_requires_grad(t: Tensor, value: Any) -> None:
    """`x.requires_grad = True` / `x.requires_grad_()`: leaves only, floats only (PyTorch)."""
    value = _bool(value, "requires_grad")
    if t.record is not None and t.requires_grad:
        raise RuntimeProblem("you can only change requires_grad flags of leaf variables.")
    if value and not t.is_float:
        raise RuntimeProblem("only Tensors of floating point dtype can require gradients")
    if value and t.record is not None:
        # Computed from tensors that need no grad, so a leaf in PyTorch: gradients stop here.
        t.record = None
    t.requires_grad = value


def set_grad(t: Tensor, value: Any) -> None:
    """`x.grad = None` (or a tensor of x's shape), as in a manual zero_grad."""
    if value is not None:
        g = _tensor(value, "grad")
        if g.shape != t.shape:
            raise ShapeError(f"assigned grad has shape {g.shape}, but the tensor has shape "
                             f"{t.shape}")
    t.grad = value


def _requires_grad_(self: Tensor, requires_grad: Any = True) -> Tensor:
    set_requires_grad(self, requires_grad)
    return self


# ---------------------------------------------------------------- nn modules


def _loss_class(cls: str, loss: Callable[..., Tensor]) -> Callable[..., NNModule]:
    def make(*, reduction: Any = "mean") -> NNModule:
        r = _reduction(reduction)

        def forward(input: Any, target: Any) -> Tensor:  # noqa: A002
            return loss(input, target, reduction=r)
        return NNModule(cls, forward)
    make.__name__ = cls
    return make


def _bce_class(weight: Any = None, size_average: Any = None, reduce: Any = None,
               reduction: Any = "mean") -> NNModule:
    r, w = _reduction(reduction), _weight(weight, "weight")
    return NNModule("BCELoss", lambda input, target: _bce(  # noqa: A002
        input, target, w, size_average, reduce, r))


def _bce_logits_class(weight: Any = None, size_average: Any = None, reduce: Any = None,
                      reduction: Any = "mean", pos_weight: Any = None) -> NNModule:
    r, w, pw = _reduction(reduction), _weight(weight, "weight"), _weight(pos_weight,
                                                                         "pos_weight")
    return NNModule("BCEWithLogitsLoss", lambda input, target: _bce_with_logits(  # noqa: A002
        input, target, w, size_average, reduce, r, pw))


def _activation_class(cls: str, op: Callable[[Any], Tensor]) -> Callable[..., NNModule]:
    def make() -> NNModule:
        def forward(input: Any) -> Tensor:  # noqa: A002
            return op(_tensor(input, cls))
        return NNModule(cls, forward)
    make.__name__ = cls
    return make


def _softmax_class(cls: str, op: Callable[..., Tensor]) -> Callable[..., NNModule]:
    def make(dim: Any = None) -> NNModule:
        def forward(input: Any) -> Tensor:  # noqa: A002
            return op(_tensor(input, cls), dim)
        return NNModule(cls, forward, f"dim={dim}")
    make.__name__ = cls
    return make


# ---------------------------------------------------------------- the tables


def _functions(kind: str = "function", **impls: Callable[..., Any]) -> dict[str, Function]:
    return {name: Function(name, impl, kind) for name, impl in impls.items()}


_ELEMENTWISE = {name: _unary(name, getattr(fn, name))
                for name in ("exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt",
                             "abs")}
_ARITH = {**{name: _binary(name, getattr(fn, name)) for name in ("add", "sub", "mul")},
          "div": _div}
_SHARED = {
    **_ELEMENTWISE, **_ARITH,
    "neg": _unary("neg", fn.neg), "pow": _pow,
    "sum": _sum, "mean": _mean, "max": _extreme("max"), "min": _extreme("min"),
    "maximum": _pairwise("maximum"), "minimum": _pairwise("minimum"), "prod": _prod,
    "unbind": _unbind,
    "matmul": _binary("matmul", lambda a, b: fn.matmul(a, _tensor(b, "matmul"))),
    "mm": _mm, "dot": _dot,
    "unsqueeze": lambda input, dim: _unsqueeze(_tensor(input, "unsqueeze"), dim),
    "squeeze": _squeeze,
    "transpose": lambda input, dim0, dim1: fn.transpose(_tensor(input, "transpose"), dim0, dim1),
    "t": lambda input: fn.t(_tensor(input, "t")),
    "detach": _detach, "numel": _numel,
    "norm": _norm, "clone": lambda input: fn.clone(_tensor(input, "clone")), "mv": _mv,
    "log1p": _unary("log1p", fn.log1p), "expm1": _unary("expm1", fn.expm1),
    "var": lambda input, dim=None, unbiased=True, keepdim=False, *, correction=None:
        _var(input, dim, unbiased, keepdim, correction, False),
    "std": lambda input, dim=None, unbiased=True, keepdim=False, *, correction=None:
        _var(input, dim, unbiased, keepdim, correction, True),
    "argmax": lambda input, dim=None, keepdim=False: fn.argmax(_tensor(input, "argmax"), dim,
                                                               _bool(keepdim, "keepdim")),
    "argmin": lambda input, dim=None, keepdim=False: fn.argmax(
        _tensor(input, "argmin"), dim, _bool(keepdim, "keepdim"), least=True),
    "bmm": lambda input, mat2: fn.bmm(_tensor(input, "bmm"), _tensor(mat2, "bmm")),
    "clamp": lambda input, min=None, max=None: fn.clamp(_tensor(input, "clamp"), min, max),
    "clip": lambda input, min=None, max=None: fn.clamp(_tensor(input, "clip"), min, max),
    "cumsum": lambda input, dim=None, *, dtype=None, axis=None: fn.cumsum(
        _tensor(input, "cumsum"), _reduction_args(dim, False, axis, None)[0]),
    "outer": lambda input, vec2: fn.outer(_tensor(input, "outer"), _tensor(vec2, "outer")),
    **{name: _binary_any(name, getattr(fn, name))
       for name in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                    "logical_xor", "floor_divide", "remainder")},
    "logical_not": lambda input: fn.logical_not(_tensor(input, "logical_not")),
    "all": lambda input: fn.all_of(_tensor(input, "all")),
    "any": lambda input: fn.any_of(_tensor(input, "any")),
}

FUNCTIONAL = Module("torch.nn.functional", _functions(
    relu=_ELEMENTWISE["relu"], sigmoid=_ELEMENTWISE["sigmoid"], tanh=_ELEMENTWISE["tanh"],
    softmax=_softmax_opt, log_softmax=_log_softmax_opt, cross_entropy=_cross_entropy,
    mse_loss=_mse_loss, nll_loss=_nll_loss,
    binary_cross_entropy_with_logits=_bce_with_logits, binary_cross_entropy=_bce,
    silu=_unary("silu", fn.silu), gelu=_gelu, softplus=_softplus, leaky_relu=_leaky_relu,
    hardtanh=_hardtanh, relu6=_relu6, l1_loss=_l1_loss,
    linear=lambda input, weight, bias=None: fn.linear(_tensor(input, "linear"),
                                                      _tensor(weight, "linear"), bias)))

NN = Module("torch.nn", {
    **_functions("class",
                 CrossEntropyLoss=_loss_class("CrossEntropyLoss", _cross_entropy),
                 MSELoss=_loss_class("MSELoss", _mse_loss),
                 NLLLoss=_loss_class("NLLLoss", _nll_loss),
                 BCELoss=_bce_class, BCEWithLogitsLoss=_bce_logits_class,
                 L1Loss=_loss_class("L1Loss", _l1_loss),
                 ReLU=_relu_class, ReLU6=_relu6_class, Hardtanh=_hardtanh_class,
                 SiLU=_silu_class, GELU=_gelu_class, Softplus=_softplus_class,
                 LeakyReLU=_leaky_relu_class,
                 Sigmoid=_activation_class("Sigmoid", fn.sigmoid),
                 Tanh=_activation_class("Tanh", fn.tanh),
                 Softmax=_softmax_class("Softmax", fn.softmax),
                 LogSoftmax=_softmax_class("LogSoftmax", fn.log_softmax)),
    "functional": FUNCTIONAL,
})

_DTYPES = {
    "float32": DType("float32", "float"), "float": DType("float32", "float"),
    "float64": DType("float64", "float"), "double": DType("float64", "float"),
    "int64": DType("int64", "long"), "long": DType("int64", "long"),
    "int32": DType("int32", "long"), "int": DType("int32", "long"),
    "bool": DType("bool", "bool"),
}

TORCH = Module("torch", {
    **_functions(
        tensor=_tensor_fn,
        randn=_float_maker("randn", fn.randn), rand=_float_maker("rand", fn.rand),
        zeros=_float_maker("zeros", fn.zeros), ones=_float_maker("ones", fn.ones),
        zeros_like=_like("zeros_like", fn.zeros), ones_like=_like("ones_like", fn.ones),
        randn_like=_like("randn_like", fn.randn), rand_like=_like("rand_like", fn.rand),
        randint=_randint, arange=_arange, manual_seed=_manual_seed,
        where=_where, equal=_equal, allclose=_allclose, isclose=_isclose,
        cat=_cat, concat=_cat, stack=_stack, linspace=_linspace, eye=_eye,
        full=_full, full_like=_full_like,
        from_numpy=_from_numpy,
        Tensor=_capital_tensor, FloatTensor=_capital_tensor,
        reshape=_reshape_fn, softmax=_softmax_req, log_softmax=_log_softmax_req,
        **_SHARED),
    **_functions(**autograd_api.TORCH),
    # torch.sin_(x) & co: the in-place methods as torch functions, where PyTorch has them
    **_functions(**{name: autograd_api.TENSOR_METHODS[name] for name in (
        "zero_", "sin_", "cos_", "exp_", "log_", "sqrt_", "abs_", "neg_", "tanh_", "sigmoid_",
        "relu_") if name in autograd_api.TENSOR_METHODS}),
    **_DTYPES,
    "pi": math.pi, "e": math.e,
    "nn": NN,
    "autograd": Module("torch.autograd", {
        **_functions(**autograd_api.AUTOGRAD),
        "functional": Module("torch.autograd.functional",
                             _functions(**autograd_api.AUTOGRAD_FUNCTIONAL)),
    }),
})

NUMPY = Module("numpy", {
    "pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
    **_functions(array=_np_array, asarray=_np_array, arange=_np_arange,
                 ones=_np_sized(np.ones), zeros=_np_sized(np.zeros),
                 **{name: _np_elementwise(getattr(np, name)) for name in (
                     "abs", "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "square")},
                 mean=_np_reduce(np.mean), sum=_np_reduce(np.sum), max=_np_reduce(np.max),
                 min=_np_reduce(np.min), matmul=_np_matmul, dot=_np_matmul),
    **_NP_DTYPES,
})

MODULES: dict[str, Module] = {m.path: m for m in (
    TORCH, NN, FUNCTIONAL, NUMPY, TORCH.members["autograd"],
    TORCH.members["autograd"].members["functional"])}


def _register_nn() -> None:
    """nn.Module, nn.Linear, torch.optim, autograd.Function... (engine/nn/tables.py)."""
    from chainrule.engine.nn.tables import register
    register(Module, TORCH, MODULES)


_register_nn()

TENSOR_METHODS: dict[str, Function] = {**_functions(
    "method",
    **{name: impl for name, impl in _SHARED.items() if name not in ("numel",)},
    numel=lambda self: self.numel(),
    reshape=_reshape_method, view=_view_method,
    softmax=_softmax_req, log_softmax=_log_softmax_req,
    item=_item, size=_size, dim=_dim, tolist=_tolist, backward=_backward, numpy=_numpy,
    equal=_equal, allclose=_allclose, isclose=_isclose,
    float=_float, double=_double, long=_long, bool=_bool_method, to=_to, type=_type,
    requires_grad_=_requires_grad_,
), **_functions("method", **autograd_api.TENSOR_METHODS)}   # autograd's win (detach, backward)

TENSOR_ATTRIBUTES: dict[str, Callable[[Tensor], Any]] = {
    "grad": lambda t: t.grad,
    "shape": lambda t: Size(t.shape),
    "T": fn.T,
    "requires_grad": lambda t: t.requires_grad,
    "is_leaf": lambda t: t.is_leaf,
    "grad_fn": lambda t: None if t.grad_fn is None else GradFn(t.grad_fn),
    "data": fn.detach,
    "dtype": lambda t: _DTYPES[printing_dtype(t)],
    "ndim": lambda t: int(t.data.ndim),
    **autograd_api.TENSOR_ATTRIBUTES,
}

# Bare functions of torch-less snippets, e.g. `f = (x * y + sin(x)) ** 2` (when called).
BUILTINS: dict[str, Function] = {
    name: Function(name, impl) for name, impl in {**_ELEMENTWISE, "pow": _pow}.items()}

_GRADFN_METHODS = _functions("method", name=lambda self: self.qualified_name())
_SIZE_METHODS = _functions("method", numel=lambda self: int(np.prod(self, dtype=np.int64)))


# ---------------------------------------------------------------- attribute lookup


def suggest(name: str, options: Any) -> str:
    close = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def member_names(obj: Any) -> list[str]:
    if isinstance(obj, Module):
        return list(obj.members)
    if isinstance(obj, Tensor):
        return [*TENSOR_ATTRIBUTES, *TENSOR_METHODS]
    if isinstance(obj, GradFn):
        return [*_GRADFN_METHODS, *GRAD_FN_ATTRIBUTES]
    if isinstance(obj, Size):
        return list(_SIZE_METHODS)
    return []


def get_attribute(obj: Any, name: str) -> Any:
    """`obj.name` through the tables only; unknown names raise NameProblem with a suggestion."""
    if isinstance(obj, Module):
        if name in obj.members:
            return obj.members[name]
        raise NameProblem(f"{obj.path}.{name} is not part of chainrule's language"
                          + suggest(name, obj.members))
    if isinstance(obj, Tensor):
        if name in TENSOR_ATTRIBUTES:
            return TENSOR_ATTRIBUTES[name](obj)
        if name in TENSOR_METHODS:
            return BoundMethod(TENSOR_METHODS[name], obj)
        raise NameProblem(f"tensors have no attribute or method '{name}' in chainrule"
                          + suggest(name, member_names(obj)))
    if isinstance(obj, GradFn):
        found = grad_fn_attribute(obj, name)
        if found is not None:
            return found
    table = _GRADFN_METHODS if isinstance(obj, GradFn) else (
        _SIZE_METHODS if isinstance(obj, Size) else {})
    if name in table:
        return BoundMethod(table[name], obj)
    raise NameProblem(f"{_kind_name(obj)} has no attribute '{name}' in chainrule"
                      + suggest(name, table))


def _kind_name(obj: Any) -> str:
    if isinstance(obj, GradFn):
        return "grad_fn"
    if isinstance(obj, Size):
        return "torch.Size"
    return describe(obj)


def describe(obj: Any) -> str:
    """A value in a learner's words, for messages ("a tensor of shape (2,)", "torch.float32")."""
    if isinstance(obj, NNModule):
        return f"the module {obj!r}"
    if isinstance(obj, GradFn | Size | DType | Module):
        return repr(obj)
    if isinstance(obj, Function | BoundMethod):
        return f"the function {obj.name}()"
    return fn.describe(obj)
