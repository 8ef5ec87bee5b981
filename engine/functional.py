"""The PyTorch-flavoured functions the snippet language reaches: creation, math, shapes, losses.

Each function validates its arguments in words a learner understands, lifts Python numbers to
constant tensors, and applies rows of the op table. Derived operations are compositions:
`cross_entropy` is `log_softmax` then `nll_loss`, as in PyTorch's own graph.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from chainrule.engine.broadcast import broadcast_shape, fmt_shape
from chainrule.engine.errors import ArgumentError, LimitError, ShapeError
from chainrule.engine.ops import OPS, variadic
from chainrule.engine.printing import dtype_of, value_repr
from chainrule.engine.random import state as rstate
from chainrule.engine.random import torch_sampling as sampling
from chainrule.engine.tensor import Tensor, apply, current_tape

Number = int | float | bool


# ---------------------------------------------------------------- lifting and checks


_NUMBER_TYPES = (int, float, bool, np.integer, np.floating)


def is_number(x: Any) -> bool:
    # A tuple made once: `int | float | ...` built a union object on every call (~1 µs).
    return isinstance(x, _NUMBER_TYPES)


def lift(x: Any) -> Tensor:
    """A Python number becomes a constant tensor node; tensors pass through."""
    if isinstance(x, Tensor):
        return x
    if type(x) is float:   # as np.asarray(x) would make it: a float64 scalar (engine/tensor.py)
        return Tensor(x, origin="constant")
    if is_number(x):
        return Tensor(np.asarray(x), origin="constant")
    raise ArgumentError(f"expected a tensor or a number, got {describe(x)}")


def describe(x: Any) -> str:
    if isinstance(x, Tensor):
        return f"a tensor of shape {fmt_shape(x.shape)}"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, int | float):
        return f"the number {x!r}"
    if isinstance(x, str):
        return f"the string {x!r}"
    if isinstance(x, list | tuple):
        return "a list" if isinstance(x, list) else "a tuple"
    if x is None:
        return "None"
    return "a value of another kind"


def _tensor_arg(x: Any, fn: str) -> Tensor:
    if not isinstance(x, Tensor):
        if is_number(x):
            return lift(x)
        raise ArgumentError(f"{fn}() expects a tensor, got {describe(x)}")
    return x


def _float_only(x: Tensor, fn: str) -> None:
    if not x.is_float:
        raise ArgumentError(f"{fn}() needs a floating-point tensor; this one holds integers "
                            "(write the numbers with a decimal point, e.g. 2.0)")


# ---------------------------------------------------------------- arithmetic


def add(a: Any, b: Any) -> Tensor:
    return apply(OPS["add"], (lift(a), lift(b)))


def sub(a: Any, b: Any) -> Tensor:
    if is_number(a) and isinstance(b, Tensor):   # `1 - x`: PyTorch's rsub node
        return apply(OPS["sub"], (lift(a), b), grad_fn="RsubBackward1")
    return apply(OPS["sub"], (lift(a), lift(b)))


def mul(a: Any, b: Any) -> Tensor:
    return apply(OPS["mul"], (lift(a), lift(b)))


def div(a: Any, b: Any) -> Tensor:
    return apply(OPS["div"], (lift(a), lift(b)))


def div_operator(a: Any, b: Any) -> Tensor:
    """Python's `a / b`. A number over a tensor is what PyTorch's Tensor.__rtruediv__ records,
    `b.reciprocal() * a`: two nodes, ReciprocalBackward0 then MulBackward0 (`3 / x`). Everything
    else, and torch.div(3, x), is one DivBackward0."""
    if is_number(a) and isinstance(b, Tensor):
        return mul(apply(OPS["reciprocal"], (b,)), a)
    return div(a, b)


def neg(a: Any) -> Tensor:
    return apply(OPS["neg"], (lift(a),))


def pow(a: Any, p: Any) -> Tensor:  # noqa: A001 - the name learners type
    if is_number(p):
        limit = current_tape().limits.max_abs_exponent
        if not math.isfinite(float(p)) or builtins.abs(float(p)) > limit:
            raise LimitError(f"the exponent {p!r} is over the limit of ±{limit:g}")
        base = lift(a)
        if not base.is_float and (float(p) < 0 or not float(p).is_integer()):
            base = Tensor(base.data.astype(np.float64), origin=base.origin)
        return apply(OPS["pow"], (base,), exponent=p if isinstance(p, int) else float(p))
    if is_number(a) and isinstance(p, Tensor):   # `2 ** x`: PyTorch's pow(Scalar, Tensor)
        return apply(OPS["pow_tensor"], (lift(a), p), grad_fn="PowBackward2")
    return apply(OPS["pow_tensor"], (lift(a), lift(p)))


def matmul(a: Any, b: Any) -> Tensor:
    return _matmul(_tensor_arg(a, "matmul"), _tensor_arg(b, "matmul"))


def _matmul(ta: Tensor, tb: Tensor, **attrs: Any) -> Tensor:
    OPS["matmul"].check(ta.data, tb.data)
    batch = np.broadcast_shapes(ta.shape[:-2], tb.shape[:-2])
    rows = ta.shape[-2] if ta.data.ndim > 1 else 1
    cols = tb.shape[-1] if tb.data.ndim > 1 else 1
    flops = int(np.prod(batch, dtype=np.int64)) * rows * cols * ta.shape[-1]
    limit = current_tape().limits.max_matmul_flops
    if flops > limit:
        raise LimitError(f"this matmul needs {flops:,} multiply-adds, over the limit of {limit:,}")
    return apply(OPS["matmul"], (ta, tb), **attrs)


def _unary(name: str):
    def fn(x: Any) -> Tensor:
        t = _tensor_arg(x, name)
        if not t.is_float and name not in ("abs", "relu"):
            t = Tensor(t.data.astype(np.float64), origin=t.origin)
        return apply(OPS[name], (t,))
    fn.__name__ = name
    return fn


exp = _unary("exp")
log = _unary("log")
sin = _unary("sin")
cos = _unary("cos")
tanh = _unary("tanh")
sigmoid = _unary("sigmoid")
relu = _unary("relu")
sqrt = _unary("sqrt")
abs = _unary("abs")  # noqa: A001


# ---------------------------------------------------------------- reductions


def _dim_arg(dim: Any) -> Any:
    def whole(d: Any) -> bool:
        return isinstance(d, int) and not isinstance(d, bool)
    if dim is None or whole(dim):
        return dim
    if isinstance(dim, tuple | list) and all(whole(d) for d in dim):
        return tuple(dim)
    raise ArgumentError(f"dim must be an integer or a tuple of integers, got {describe(dim)}")


def sum(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    t = _tensor_arg(x, "sum")
    return apply(OPS["sum"], (t,), dim=_dim_arg(dim), keepdim=bool(keepdim))


def mean(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    t = _tensor_arg(x, "mean")
    if not t.is_float:
        raise ArgumentError("mean() needs a floating-point tensor; this one holds integers "
                            "(PyTorch: could not infer output dtype, got Long)")
    return apply(OPS["mean"], (t,), dim=_dim_arg(dim), keepdim=bool(keepdim))


class ReturnTypes(tuple):
    """`x.max(dim)`: PyTorch's `torch.return_types.max(values=..., indices=...)`, a named
    tuple: it unpacks (`v, i = x.max(1)`), indexes, and has `.values` and `.indices`."""

    def __new__(cls, kind: str, values: Tensor, indices: Tensor) -> ReturnTypes:
        self = super().__new__(cls, (values, indices))
        self.kind = kind   # "max" or "min": PyTorch's type name
        return self

    @property
    def python_type_name(self) -> str:
        return self.kind

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]

    # read by the language's attribute lookup (engine/lang/builtins/methods.py)
    language_attributes: ClassVar[dict] = {"values": lambda r: r[0], "indices": lambda r: r[1]}

    def __repr__(self) -> str:
        return (f"torch.return_types.{self.kind}(\nvalues={value_repr(self[0])},\n"
                f"indices={value_repr(self[1])})")

    __str__ = __repr__


def _extreme(x: Any, dim: Any, keepdim: Any, name: str) -> Tensor | ReturnTypes:
    t = _tensor_arg(x, name)
    if dim is None:
        return apply(OPS[name], (t,))
    d = _int(dim, "dim")
    values = apply(OPS[name], (t,), dim=d, keepdim=bool(keepdim))
    pick = np.argmin if name == "min" else np.argmax
    idx = pick(t.data) if t.data.ndim == 0 else pick(t.data, axis=d % t.data.ndim,
                                                      keepdims=bool(keepdim))
    return ReturnTypes(name, values, Tensor(np.asarray(idx, dtype=np.int64), origin="constant"))


def max(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor | ReturnTypes:  # noqa: A001
    """max() over everything (MaxBackward1), or over `dim`: values and indices (MaxBackward0)."""
    return _extreme(x, dim, keepdim, "max")


def min(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor | ReturnTypes:  # noqa: A001
    return _extreme(x, dim, keepdim, "min")


def maximum(a: Any, b: Any) -> Tensor:
    return apply(OPS["maximum"], (_tensor_arg(a, "maximum"), _tensor_arg(b, "maximum")))


def minimum(a: Any, b: Any) -> Tensor:
    return apply(OPS["minimum"], (_tensor_arg(a, "minimum"), _tensor_arg(b, "minimum")))


def prod(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    t = _tensor_arg(x, "prod")
    d = None if dim is None else _int(dim, "dim")
    return apply(OPS["prod"], (t,), dim=d, keepdim=bool(keepdim))


def unbind(x: Any, dim: Any = 0) -> tuple[Tensor, ...]:
    """PyTorch's unbind: one UnbindBackward0 output per slice (here one record each); Python
    iterates a tensor this way."""
    t = _tensor_arg(x, "unbind")
    d = _int(dim, "dim")
    OPS["unbind"].check(t.data, dim=d, index=0)
    return tuple(apply(OPS["unbind"], (t,), dim=d, index=i)
                 for i in range(t.shape[d % t.data.ndim]))


def rows(x: Tensor) -> Iterator[Tensor]:
    """`for row in x`: unbind(0)'s slices one at a time, as the loop asks for them (each
    recorded inside its own iteration; a loop that breaks early records no more)."""
    OPS["unbind"].check(x.data, dim=0, index=0)
    for i in range(x.shape[0]):
        yield apply(OPS["unbind"], (x,), dim=0, index=i)


def floor_divide(a: Any, b: Any) -> Tensor:
    """`a // b` on tensors. No gradient (PyTorch's floor_divide has no derivative)."""
    return apply(OPS["floor_divide"], (lift(a), lift(b)))


def fmod(a: Any, b: Any) -> Tensor:
    """torch.fmod: C's remainder (the result has the dividend's sign)."""
    if is_number(b):   # fmod(Tensor, Scalar): FmodBackward0
        return apply(OPS["fmod"], (lift(a), lift(b)), grad_fn="FmodBackward0")
    return apply(OPS["fmod"], (lift(a), lift(b)))


def div_rounding(a: Any, b: Any, mode: str) -> Tensor:
    """div(rounding_mode='trunc' or 'floor'): the quotient rounded toward zero or down
    (DivBackward2, gradient 0)."""
    return apply(OPS["div_rounding"], (lift(a), lift(b)), mode=mode)


def bitwise_xor(a: Any, b: Any) -> Tensor:
    """`a ^ b` on bool or integer tensors (PyTorch refuses floats)."""
    return apply(OPS["bitwise_xor"], (lift(a), lift(b)))


def remainder(a: Any, b: Any) -> Tensor:
    """`a % b` on tensors: Python's sign rule (the result has the divisor's sign)."""
    if is_number(b):   # remainder(Tensor, Scalar): PyTorch's RemainderBackward0
        return apply(OPS["remainder"], (lift(a), lift(b)), grad_fn="RemainderBackward0")
    return apply(OPS["remainder"], (lift(a), lift(b)))


# ---------------------------------------------------------------- shapes


def _shape_args(args: Sequence[Any], fn: str) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], tuple | list):
        args = tuple(args[0])
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in args):
        raise ArgumentError(f"{fn}() takes sizes as whole numbers, e.g. {fn}(2, 3)")
    return tuple(args)


def reshape(x: Any, *shape: Any) -> Tensor:
    t = _tensor_arg(x, "reshape")
    return apply(OPS["reshape"], (t,), shape=_shape_args(shape, "reshape"))


view = reshape


def unsqueeze(x: Any, dim: int) -> Tensor:
    return apply(OPS["unsqueeze"], (_tensor_arg(x, "unsqueeze"),), dim=_int(dim, "dim"))


def squeeze(x: Any, dim: int | None = None) -> Tensor:
    d = None if dim is None else _int(dim, "dim")
    return apply(OPS["squeeze"], (_tensor_arg(x, "squeeze"),), dim=d)


def transpose(x: Any, dim0: int, dim1: int) -> Tensor:
    t = _tensor_arg(x, "transpose")
    return apply(OPS["transpose"], (t,), dim0=_int(dim0, "dim0"), dim1=_int(dim1, "dim1"))


def t(x: Any) -> Tensor:
    tx = _tensor_arg(x, "t")
    if tx.data.ndim > 2:
        raise ShapeError(f"t() expects a tensor with at most 2 dimensions, got shape "
                         f"{fmt_shape(tx.shape)}; use transpose(dim0, dim1)")
    # On 0-d and 1-D tensors t() is the identity (transpose(0, 0)), as in PyTorch.
    dim1 = 1 if tx.data.ndim == 2 else 0
    return apply(OPS["transpose"], (tx,), dim0=0, dim1=dim1, grad_fn="TBackward0")


def T(x: Any) -> Tensor:  # noqa: N802 - PyTorch's property name
    tx = _tensor_arg(x, "T")
    if tx.data.ndim > 2:
        raise ShapeError("x.T is only defined here for tensors with at most 2 dimensions")
    dim1 = 1 if tx.data.ndim == 2 else 0
    return apply(OPS["transpose"], (tx,), dim0=0, dim1=dim1, grad_fn="PermuteBackward0")


def _int(x: Any, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int | np.integer):
        raise ArgumentError(f"{what} must be a whole number, got {describe(x)}")
    return int(x)


def _without_ellipsis(key: Any, ndim: int) -> Any:
    """`x[..., -1]`: the `...` stands for as many full slices as the other parts leave."""
    parts = key if isinstance(key, tuple) else (key,)
    if not builtins.any(p is Ellipsis for p in parts):
        return key
    if builtins.sum(p is Ellipsis for p in parts) > 1:
        raise ArgumentError("an index can only have a single ellipsis ('...')")
    i = next(k for k, p in enumerate(parts) if p is Ellipsis)
    fill = (slice(None),) * builtins.max(ndim - (len(parts) - 1), 0)
    out = parts[:i] + fill + parts[i + 1:]
    return out if len(out) != 1 else out[0]


def index(x: Any, key: Any) -> Tensor:
    """Basic indexing: integers (negative too), slices, and tuples of them; and a boolean
    mask of the tensor's shape (`x[x > 0]`), as PyTorch's IndexBackward0."""
    t = _tensor_arg(x, "index")
    key = _without_ellipsis(key, t.data.ndim)
    if isinstance(key, Tensor) and key.data.dtype.kind == "b":
        if key.shape != t.shape:
            raise ShapeError(f"The shape of the mask {fmt_shape(key.shape)} does not match the "
                             f"shape of the indexed tensor {fmt_shape(t.shape)}")
        return apply(OPS["index"], (t,), key=np.asarray(key.data), grad_fn="IndexBackward0")
    parts = key if isinstance(key, tuple) else (key,)
    if len(parts) > t.data.ndim:
        raise ShapeError(f"too many indices for a tensor of shape {fmt_shape(t.shape)}: "
                         f"{len(parts)} given")
    for dim, p in enumerate(parts):
        if isinstance(p, bool) or not isinstance(p, int | slice):
            raise ArgumentError("indices must be whole numbers or slices like 1:3 "
                                f"(got {describe(p)})")
        if isinstance(p, int) and not -t.shape[dim] <= p < t.shape[dim]:
            raise ShapeError(f"index {p} is out of bounds for dimension {dim} with size "
                             f"{t.shape[dim]}")
        if isinstance(p, slice) and p.step is not None and p.step <= 0:
            raise ArgumentError("slice steps must be positive")
    return apply(OPS["index"], (t,), key=key)


# ---------------------------------------------------------------- comparisons and masks


def _compare(name: str):
    def compare(a: Any, b: Any) -> Tensor:
        return apply(OPS[name], (lift(a), lift(b)))
    compare.__name__ = name
    return compare


eq, ne, lt, le, gt, ge = (_compare(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))
logical_and, logical_or = _compare("logical_and"), _compare("logical_or")
logical_xor = _compare("logical_xor")


def logical_not(a: Any) -> Tensor:
    return apply(OPS["logical_not"], (lift(a),))


def all_of(x: Any) -> Tensor:
    """`x.all()` (not named `all`: this module uses Python's all())."""
    return apply(OPS["all"], (_tensor_arg(x, "all"),))


def any_of(x: Any) -> Tensor:
    return apply(OPS["any"], (_tensor_arg(x, "any"),))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    cond = _tensor_arg(condition, "where")
    return apply(OPS["where"], (cond, lift(a), lift(b)))


def to_dtype(x: Tensor, dtype_name: str) -> Tensor:
    if dtype_of(x) == "float32" and dtype_name == "float64":
        return apply(OPS["to"], (x,), dtype_name=dtype_name, from_float32=True)
    return apply(OPS["to"], (x,), dtype_name=dtype_name)


# ---------------------------------------------------------------- norms, joins, copies


def norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    t = _tensor_arg(x, "norm")
    _float_only(t, "norm")
    return apply(OPS["norm"], (t,), p=2 if p in ("fro", None, 2.0) else p,
                 dim=_dim_arg(dim), keepdim=bool(keepdim))


def _tensors(seq: Any, fn: str) -> tuple[Tensor, ...]:
    if isinstance(seq, Tensor) or not isinstance(seq, list | tuple):
        raise ArgumentError(f"{fn}() expects a list or tuple of tensors, got {describe(seq)}")
    if not seq:
        raise ArgumentError(f"{fn}() expects a non-empty list of tensors")
    return tuple(_tensor_arg(t, fn) for t in seq)


def cat(tensors: Any, dim: Any = 0) -> Tensor:
    ts = _tensors(tensors, "cat")
    return apply(variadic("cat", len(ts)), ts, dim=_int(dim, "dim"))


def stack(tensors: Any, dim: Any = 0) -> Tensor:
    ts = _tensors(tensors, "stack")
    return apply(variadic("stack", len(ts)), ts, dim=_int(dim, "dim"))


def clamp(x: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """clamp/clip with number bounds (ClampBackward1) or tensor bounds (ClampBackward0, whose
    bounds get gradients too)."""
    t = _tensor_arg(x, "clamp")
    for bound in (min, max):
        if bound is not None and not is_number(bound) and not isinstance(bound, Tensor):
            raise ArgumentError(f"clamp() takes numbers or tensors as min and max, got "
                                f"{describe(bound)}")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        from chainrule.engine.ops import clamp_tensor
        if min is not None and max is not None:
            return apply(clamp_tensor("both"), (t, lift(min), lift(max)), which="both")
        which = "min" if min is not None else "max"
        return apply(clamp_tensor(which), (t, lift(min if min is not None else max)),
                     which=which)
    return apply(OPS["clamp"], (t,), min=min, max=max)


def full(shape: tuple[int, ...], fill_value: Any) -> Tensor:
    if not is_number(fill_value):
        raise ArgumentError(f"full() needs a number to fill with, got {describe(fill_value)}")
    shape = sized(_shape_args((shape,), "full"), "full")
    return Tensor(np.full(shape, fill_value))


def _activation(name: str):
    def activation(x: Any, **attrs: Any) -> Tensor:
        t = _tensor_arg(x, name)
        _float_only(t, name)
        return apply(OPS[name], (t,), **attrs)
    activation.__name__ = name
    return activation


log1p, expm1, silu, gelu, softplus, leaky_relu = (
    _activation(n) for n in ("log1p", "expm1", "silu", "gelu", "softplus", "leaky_relu"))
hardtanh = _activation("hardtanh")


def relu6(x: Any) -> Tensor:
    """F.relu6 is PyTorch's hardtanh(x, 0, 6): its node is HardtanhBackward0."""
    return hardtanh(x, min_val=0.0, max_val=6.0)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """F.l1_loss, as PyTorch records it: abs(input - target), then mean or sum."""
    a, b = _tensor_arg(input, "l1_loss"), _tensor_arg(target, "l1_loss")
    losses = abs(sub(a, b))
    if reduction == "none":
        return losses
    return mean(losses) if reduction == "mean" else sum(losses)


def bmm(a: Any, b: Any) -> Tensor:
    ta, tb = _tensor_arg(a, "bmm"), _tensor_arg(b, "bmm")
    if ta.data.ndim != 3 or tb.data.ndim != 3:
        raise ShapeError("batch1 must be a 3D tensor" if ta.data.ndim != 3
                         else "batch2 must be a 3D tensor")
    if ta.shape[0] != tb.shape[0]:
        raise ShapeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                         f"[{ta.shape[0]}, {ta.shape[2]}] but got: [{tb.shape[0]}, "
                         f"{tb.shape[1]}].")
    return _matmul(ta, tb, grad_fn="BmmBackward0")


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:  # noqa: A002
    """F.linear: input @ weight.T (+ bias), as the composition learners write by hand."""
    x, w = _tensor_arg(input, "linear"), _tensor_arg(weight, "linear")
    out = matmul(x, t(w) if w.data.ndim == 2 else w)
    return out if bias is None else add(out, _tensor_arg(bias, "linear"))


def var(x: Any, dim: Any = None, correction: int = 1, keepdim: bool = False,
        root: bool = False) -> Tensor:
    """var() and, with root, std(): PyTorch's Bessel correction by default (N - 1)."""
    t = _tensor_arg(x, "std" if root else "var")
    _float_only(t, "std" if root else "var")
    return apply(OPS["var"], (t,), dim=_dim_arg(dim), correction=int(correction),
                 keepdim=bool(keepdim), root=root)


def argmax(x: Any, dim: Any = None, keepdim: bool = False, least: bool = False) -> Tensor:
    """argmax() and, with least, argmin(): int64 indices, no gradient."""
    t = _tensor_arg(x, "argmin" if least else "argmax")
    if dim is not None:
        dim = _int(dim, "dim")
    if t.numel() == 0:
        raise ArgumentError(f"{'argmin' if least else 'argmax'}(): Expected reduction dim to be "
                            "specified for input.numel() == 0.")
    return apply(OPS["argmax"], (t,), dim=dim, keepdim=bool(keepdim), least=least)


def cumsum(x: Any, dim: Any) -> Tensor:
    return apply(OPS["cumsum"], (_tensor_arg(x, "cumsum"),), dim=_int(dim, "dim"))


def clone(x: Any) -> Tensor:
    return apply(OPS["clone"], (_tensor_arg(x, "clone"),))


def outer(a: Any, b: Any) -> Tensor:
    """PyTorch's outer: a as a column times b (its graph: a view, then MulBackward0)."""
    ta, tb = _tensor_arg(a, "outer"), _tensor_arg(b, "outer")
    if ta.data.ndim != 1 or tb.data.ndim != 1:
        raise ShapeError(f"outer: expected 1-D tensors, got shapes {fmt_shape(ta.shape)} and "
                         f"{fmt_shape(tb.shape)}")
    return mul(reshape(ta, ta.shape[0], 1), tb)


def _weight_attrs(x: Tensor, **weights: Any) -> dict:
    """Loss weights as attrs (constants: no gradient reaches them), broadcast-checked."""
    out = {}
    for name, w in weights.items():
        if w is None:
            continue
        wt = _tensor_arg(w, name)
        if broadcast_shape(wt.shape, x.shape) != tuple(x.shape):
            raise ShapeError(f"{name} of shape {fmt_shape(wt.shape)} does not broadcast to the "
                             f"input's shape {fmt_shape(x.shape)}")
        out[name] = np.asarray(wt.data, dtype=np.float64)
    return out


def binary_cross_entropy_with_logits(input: Any, target: Any,  # noqa: A002
                                     reduction: str = "mean", weight: Any = None,
                                     pos_weight: Any = None) -> Tensor:
    x, y = _tensor_arg(input, "binary_cross_entropy_with_logits"), lift(target)
    return apply(OPS["bce_with_logits"], (x, y), reduction=reduction,
                 **_weight_attrs(x, weight=weight, pos_weight=pos_weight))


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean",  # noqa: A002
                         weight: Any = None) -> Tensor:
    p, y = _tensor_arg(input, "binary_cross_entropy"), lift(target)
    return apply(OPS["binary_cross_entropy"], (p, y), reduction=reduction,
                 **_weight_attrs(p, weight=weight))


def linspace(start: Any, end: Any, steps: Any) -> Tensor:
    n = _int(steps, "steps")
    if n < 0:
        raise ArgumentError("linspace(): number of steps must be non-negative")
    sized((n,), "linspace")
    return Tensor(np.linspace(float(start), float(end), n))


def eye(n: Any, m: Any = None) -> Tensor:
    rows = _int(n, "n")
    cols = rows if m is None else _int(m, "m")
    sized((rows, cols), "eye")
    return Tensor(np.eye(rows, cols))


# ---------------------------------------------------------------- softmax and losses


def _softmax_dim(x: Tensor, dim: Any) -> int:
    if dim is None:  # PyTorch's legacy implicit choice
        return 0 if x.data.ndim in (0, 1, 3) else 1
    d = _int(dim, "dim")
    nd = builtins.max(x.data.ndim, 1)
    if not -nd <= d < nd:
        raise ArgumentError(f"dim {d} is out of range for a tensor with {x.data.ndim} "
                            f"dimension(s) (expected a value in [{-nd}, {nd - 1}])")
    return d % nd if x.data.ndim else 0


def softmax(x: Any, dim: Any = None) -> Tensor:
    t = _tensor_arg(x, "softmax")
    _float_only(t, "softmax")
    return apply(OPS["softmax"], (t,), dim=_softmax_dim(t, dim))


def log_softmax(x: Any, dim: Any = None) -> Tensor:
    t = _tensor_arg(x, "log_softmax")
    _float_only(t, "log_softmax")
    return apply(OPS["log_softmax"], (t,), dim=_softmax_dim(t, dim))


def nll_loss(logp: Any, target: Any, reduction: str = "mean") -> Tensor:
    lp, tg = _tensor_arg(logp, "nll_loss"), _tensor_arg(target, "nll_loss")
    return apply(OPS["nll_loss"], (lp, tg), reduction=reduction)


def cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    x, tg = _tensor_arg(input, "cross_entropy"), _tensor_arg(target, "cross_entropy")
    _float_only(x, "cross_entropy")
    OPS["nll_loss"].check(x.data, tg.data, reduction=reduction)
    return nll_loss(log_softmax(x, 1 if x.data.ndim >= 2 else 0), tg, reduction)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    a, b = _tensor_arg(input, "mse_loss"), _tensor_arg(target, "mse_loss")
    return apply(OPS["mse_loss"], (a, b), reduction=reduction)


# ---------------------------------------------------------------- creation


def _nested_numbers(data: Any) -> bool:
    if is_number(data) or isinstance(data, Tensor) and data.numel() == 1:
        return True
    if isinstance(data, list | tuple):
        return all(_nested_numbers(d) for d in data)
    return False


def numbers_of(data: Any) -> Any:
    """Nested lists of numbers, one-element tensors taken by value (PyTorch's torch.tensor of
    0-d tensors: a new leaf, no gradient through it)."""
    if isinstance(data, Tensor):
        return data.data.reshape(()).item()
    if isinstance(data, list | tuple):
        return [numbers_of(d) for d in data]
    return data


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    if isinstance(data, Tensor):
        arr = np.array(data.data, copy=True)
    elif isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        arr = np.array(data, dtype=np.float64 if data.dtype.kind == "f" else None)
    elif _nested_numbers(data):
        try:
            arr = np.array(numbers_of(data))
        except ValueError:
            raise ArgumentError("torch.tensor() needs a rectangular list: every row the same "
                                "length") from None
        if arr.dtype == object:
            raise ArgumentError("torch.tensor() needs a rectangular list: every row the same "
                                "length")
    else:
        raise ArgumentError(f"torch.tensor() takes a number or a nested list of numbers, "
                            f"got {describe(data)}")
    if dtype == "float" or (requires_grad and arr.dtype.kind in "iub"):
        if requires_grad and arr.dtype.kind in "iub" and dtype != "float":
            raise ArgumentError("only floating-point tensors can require gradients: write "
                                "the numbers with a decimal point, e.g. torch.tensor(2.0)")
        arr = arr.astype(np.float64)
    if dtype == "long":
        arr = arr.astype(np.int64)
    if dtype == "bool":
        arr = arr.astype(bool)
    return Tensor(arr, requires_grad=bool(requires_grad), origin="leaf")


def sized(shape: tuple[int, ...], fn: str) -> tuple[int, ...]:
    """The one check of a new tensor's sizes, before anything is allocated: at most
    `max_tensor_dims` dimensions, none negative, and no more elements than the per-tensor
    limit, counted in every dimension alone too (zeros(0, 10**18, 10**18) holds no element,
    but NumPy cannot even describe it)."""
    limits = current_tape().limits
    if len(shape) > limits.max_tensor_dims:
        raise LimitError(f"{fn}() was given {len(shape)} dimensions; a tensor can have at "
                         f"most {limits.max_tensor_dims}")
    if any(n < 0 for n in shape):
        raise ArgumentError(f"{fn}() sizes must be non-negative, got {list(shape)}")
    limit = limits.max_tensor_elements
    total = 1
    for n in shape:
        total *= n
        if total > limit or n > limit:
            raise LimitError(f"{fn}{shape} would hold more than {limit:,} elements, "
                             "over the limit per tensor")
    return shape


def randn(*size: Any, requires_grad: bool = False) -> Tensor:
    shape = sized(_shape_args(size, "randn"), "randn")
    data = sampling.normal(rstate.default_generator(), math.prod(shape)).reshape(shape)
    return Tensor(data, requires_grad=bool(requires_grad))


def rand(*size: Any, requires_grad: bool = False) -> Tensor:
    shape = sized(_shape_args(size, "rand"), "rand")
    data = sampling.uniform(rstate.default_generator(), math.prod(shape)).reshape(shape)
    return Tensor(data, requires_grad=bool(requires_grad))


def zeros(*size: Any, requires_grad: bool = False) -> Tensor:
    shape = sized(_shape_args(size, "zeros"), "zeros")
    return Tensor(np.zeros(shape), requires_grad=bool(requires_grad))


def ones(*size: Any, requires_grad: bool = False) -> Tensor:
    shape = sized(_shape_args(size, "ones"), "ones")
    return Tensor(np.ones(shape), requires_grad=bool(requires_grad))


def randint(low: Any, high: Any = None, size: Any = None) -> Tensor:
    if size is None:
        raise ArgumentError("randint() needs a size, e.g. torch.randint(0, 5, (10,))")
    if high is None:
        low, high = 0, low
    lo, hi = _int(low, "low"), _int(high, "high")
    if hi <= lo:
        raise ArgumentError(f"randint() needs low < high, got low={lo}, high={hi}")
    shape = sized(_shape_args((size,), "randint"), "randint")
    data = sampling.randint(rstate.default_generator(), math.prod(shape), lo, hi)
    return Tensor(data.reshape(shape))


def arange(start: Any, end: Any = None, step: Any = 1) -> Tensor:
    if end is None:
        start, end = 0, start
    for v in (start, end, step):
        if not is_number(v):
            raise ArgumentError(f"arange() takes numbers, got {describe(v)}")
    if step == 0:
        raise ArgumentError("arange() step must not be zero")
    count = math.ceil((end - start) / step)
    sized((builtins.max(count, 0),), "arange")
    return Tensor(np.arange(start, end, step))


def manual_seed(seed: Any) -> None:
    rstate.default_generator().manual_seed(_int(seed, "seed"))


def detach(x: Tensor) -> Tensor:
    return Tensor(x.data, origin="detached")
