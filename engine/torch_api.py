"""The PyTorch-facing table: every torch function, `torch.nn.functional` function, tensor method
and nn class a snippet can call, each one row — where PyTorch has it, its signature in
PyTorch's own schema words (engine/signature.py: argument names, defaults, keyword-only
arguments, and the type that validates each argument once), and the function that runs it.

    row("torch Tensor", "clamp(Tensor input, Number? min=None, Number? max=None)", fn.clamp)

`where` names the namespaces: `torch` (torch.clamp), `F` (torch.nn.functional), `Tensor` (a
method: the first parameter is the tensor), `nn` (a class of torch.nn). The function is called
with the checked arguments: the ones before `*` positionally, the keyword-only ones by name.
Functions that only adapt PyTorch's calling conventions to engine/functional.py (overloads,
NumPy-style aliases) sit just above their rows. Tests are generated from these rows
(tests/parity/test_api_torch.py): each signature against PyTorch's, each row run against
PyTorch.

The math itself lives in the op table (engine/ops.py) and its compositions
(engine/functional.py); tensor creation in engine/creation.py, tensor-only methods in
engine/tensor_methods.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainrule.engine import autograd_api
from chainrule.engine import creation as make
from chainrule.engine import functional as fn
from chainrule.engine import tensor_methods as tm
from chainrule.engine.errors import ArgumentError, LimitError, RuntimeProblem, ShapeError
from chainrule.engine.objects import NNModule
from chainrule.engine.printing import type_name
from chainrule.engine.signature import Signature, parse
from chainrule.engine.tensor import Tensor, current_tape

NAMESPACES = ("torch", "F", "Tensor", "nn")


@dataclass(frozen=True)
class Row:
    where: tuple[str, ...]
    signature: Signature
    impl: Callable[..., Any]

    @property
    def name(self) -> str:
        return self.signature.name


def row(where: str, schema: str, impl: Callable[..., Any]) -> Row:
    places = tuple(where.split())
    assert set(places) <= set(NAMESPACES), where
    return Row(places, parse(schema), impl)


# ---------------------------------------------------------------- adapters beside their rows


def _either_tensor(name: str, op: Callable[[Any, Any], Tensor]) -> Callable[..., Tensor]:
    """torch.add/sub/mul(input, other): a tensor on either side (torch.div(3, x) is one
    DivBackward0 node), `out=` written in place."""
    def impl(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
        if fn.is_number(input) and isinstance(other, Tensor):
            input = fn.lift(input)  # noqa: A001
        if not isinstance(input, Tensor):
            raise ArgumentError(f"{name}() expects a tensor, got {fn.describe(input)}")
        result = op(input, other)
        return result if out is None else _into(out, result, name)
    impl.__name__ = name
    return impl


def _into(out: Tensor, result: Tensor, name: str) -> Tensor:
    """`out=`: the result written into `out` (PyTorch's in-place copy; no autograd through it,
    as PyTorch refuses out= where gradients are needed)."""
    if result.requires_grad or out.requires_grad:
        raise RuntimeProblem(f"{name}(): functions with out=... arguments don't support "
                             "automatic differentiation, but one of the arguments requires grad.")
    copy = autograd_api.TENSOR_METHODS.get("copy_")
    if copy is None or out.shape != result.shape:
        raise ArgumentError(f"{name}(out=...) needs a tensor of the result's shape "
                            f"{result.shape}")
    return copy(out, result)


def _div(input: Any, other: Any, *, rounding_mode: Any = None,  # noqa: A002
         out: Tensor | None = None) -> Tensor:
    """div(rounding_mode=None | 'trunc' | 'floor')."""
    if rounding_mode not in (None, "trunc", "floor"):
        raise ArgumentError(f"div expected rounding_mode to be one of None, 'trunc', or "
                            f"'floor' but found '{rounding_mode}'", python_type="RuntimeError")
    op = fn.div if rounding_mode is None else (
        lambda a, b: fn.div_rounding(a, b, rounding_mode))
    return _either_tensor("div", op)(input, other, out=out)


def _pow(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise ArgumentError("pow() expects a tensor base or exponent")
    return fn.pow(input, exponent)


def _tensor_first(name: str, op: Callable[[Any, Any], Tensor]) -> Callable[..., Tensor]:
    """A comparison, logical or rounding op: PyTorch's (Tensor input, Tensor or Scalar other)."""
    def impl(input: Tensor, other: Any) -> Tensor:  # noqa: A002
        return op(input, other)
    impl.__name__ = name
    return impl


def _reduce(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """sum/mean(input, dim, keepdim): PyTorch takes NumPy's `axis=` and `keepdims=` too."""
    def impl(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
             dtype: Any = None, axis: Any = None, keepdims: Any = None) -> Tensor:
        if axis is not None:
            if dim is not None:
                raise ArgumentError("got both dim and axis: pass one of them")
            dim = axis
        return op(input, dim, keepdim if keepdims is None else keepdims)
    return impl


_EXTREME_FORMS = ("but expected one of:\n * ()\n * (Tensor other)\n * (int dim, bool keepdim "
                  "= False)")


def _extreme(name: str) -> Callable[..., Any]:
    """max/min(input), max/min(input, dim, keepdim) -> (values, indices), and
    max/min(input, other) -> maximum/minimum: PyTorch's three overloads."""
    def impl(input: Tensor, dim: Any = None, keepdim: Any = False) -> Any:  # noqa: A002
        if isinstance(dim, Tensor):
            return (fn.minimum if name == "min" else fn.maximum)(input, dim)
        if dim is None and keepdim is not False:
            raise ArgumentError(f"{name}() received an invalid combination of arguments - got "
                                f"(keepdim=bool, ), {_EXTREME_FORMS}")
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
            raise ArgumentError(f"{name}() received an invalid combination of arguments - got "
                                f"(dim={type(dim).__name__}, ), {_EXTREME_FORMS}")
        if not isinstance(keepdim, bool):
            raise ArgumentError(f"keepdim must be True or False, got {fn.describe(keepdim)}")
        return (fn.min if name == "min" else fn.max)(input, dim, keepdim)
    impl.__name__ = name
    return impl


def _pairwise(name: str) -> Callable[..., Tensor]:
    """torch.maximum/minimum: two tensors (PyTorch takes no number here)."""
    def impl(input: Tensor, other: Any) -> Tensor:  # noqa: A002
        if not isinstance(other, Tensor):
            raise ArgumentError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                                f"{type_name(other)}")
        return getattr(fn, name)(input, other)
    impl.__name__ = name
    return impl


def _prod(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
          dtype: Any = None) -> Tensor:
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise ArgumentError(f"prod() received an invalid combination of arguments - got "
                            f"(Tensor, {type(dim).__name__}), but expected one of:\n * (Tensor "
                            "input, *, torch.dtype dtype = None)\n * (Tensor input, int dim, "
                            "bool keepdim = False, *, torch.dtype dtype = None, Tensor out = "
                            "None)")
    return fn.prod(input, dim, keepdim)


def _variance(root: bool) -> Callable[..., Tensor]:
    """var/std(input, dim, unbiased, keepdim, *, correction): `unbiased=False` is correction
    0; PyTorch's default is 1 (N - 1)."""
    def impl(input: Tensor, dim: Any = None, unbiased: bool = True,  # noqa: A002
             keepdim: bool = False, *, correction: Any = None) -> Tensor:
        c = (1 if unbiased else 0) if correction is None else correction
        return fn.var(input, dim, c, keepdim, root)
    return impl


def _matrices(name: str, ndims: tuple[int, int], message: str) -> Callable[..., Tensor]:
    """mm (2-D @ 2-D), mv (2-D @ 1-D), dot (1-D @ 1-D): matmul with PyTorch's shape rules."""
    def impl(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
        if (input.data.ndim, other.data.ndim) != ndims:
            raise ShapeError(message.format(a=input.data.ndim, b=other.data.ndim,
                                            sa=input.shape, sb=other.shape))
        return fn.matmul(input, other)
    impl.__name__ = name
    return impl


def _unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    dims = current_tape().limits.max_tensor_dims
    if input.data.ndim >= dims:
        raise LimitError(f"unsqueeze() would give a tensor of {input.data.ndim + 1} dimensions; "
                         f"a tensor can have at most {dims}")
    return fn.unsqueeze(input, dim)


def _cumsum(input: Tensor, dim: Any = None, *, dtype: Any = None,  # noqa: A002
            axis: Any = None) -> Tensor:
    if axis is not None:
        if dim is not None:
            raise ArgumentError("got both dim and axis: pass one of them")
        dim = axis
    return fn.cumsum(input, dim)


def _where(condition: Tensor, input: Any, other: Any) -> Tensor:  # noqa: A002
    return fn.where(condition, input, other)


def _equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    import numpy as np
    return input.shape == other.shape and bool(
        np.array_equal(np.asarray(input.data), np.asarray(other.data)))


def _close_arrays(a: Tensor, b: Any, rtol: float, atol: float, equal_nan: bool) -> Any:
    import numpy as np
    bd = b.data if isinstance(b, Tensor) else b
    return np.isclose(np.asarray(a.data, dtype=np.float64), np.asarray(bd, dtype=np.float64),
                      rtol=rtol, atol=atol, equal_nan=equal_nan)


def _allclose(input: Tensor, other: Tensor, rtol: float = 1e-05,  # noqa: A002
              atol: float = 1e-08, equal_nan: bool = False) -> bool:
    import numpy as np
    try:
        return bool(np.all(_close_arrays(input, other, rtol, atol, equal_nan)))
    except ValueError:
        raise ShapeError(f"The size of tensor a {input.shape} must match the size of tensor b "
                         f"{other.shape}") from None


def _isclose(input: Tensor, other: Any, rtol: float = 1e-05,  # noqa: A002
             atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    return Tensor(_close_arrays(input, other, rtol, atol, equal_nan), origin="constant")


def _no_legacy(name: str, size_average: Any, reduce: Any) -> None:
    if size_average is not None or reduce is not None:
        raise ArgumentError(f"{name}(): size_average and reduce are deprecated and not "
                            "supported in chainrule; use reduction=")


def _bce_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                     pos_weight: Tensor | None = None) -> Tensor:
    _no_legacy("binary_cross_entropy_with_logits", size_average, reduce)
    return fn.binary_cross_entropy_with_logits(input, target, reduction, weight=weight,
                                               pos_weight=pos_weight)


def _bce(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
         size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    _no_legacy("binary_cross_entropy", size_average, reduce)
    return fn.binary_cross_entropy(input, target, reduction, weight=weight)


def _l1_loss(input: Tensor, target: Tensor, size_average: Any = None,  # noqa: A002
             reduce: Any = None, reduction: str = "mean") -> Tensor:
    _no_legacy("l1_loss", size_average, reduce)
    return fn.l1_loss(input, target, reduction)


def _approximate(value: Any) -> str:
    if value not in ("none", "tanh"):
        raise ArgumentError(f"approximate argument must be either none or tanh., got "
                            f"{fn.describe(value)}")
    return value


def _gelu(input: Tensor, approximate: Any = "none") -> Tensor:  # noqa: A002
    return fn.gelu(input, approximate=_approximate(approximate))


# nn classes: the constructor's arguments, and PyTorch's repr of them


def _loss_class(cls: str, loss: Callable[..., Tensor]) -> Callable[..., NNModule]:
    def construct(*, reduction: str = "mean") -> NNModule:
        def forward(input: Any, target: Any) -> Tensor:  # noqa: A002
            return _call_row(loss, (input, target), {"reduction": reduction})
        return NNModule(cls, forward)
    return construct


def _module(cls: str, shown: str, forward_row: str, **fixed: Any) -> NNModule:
    """An nn module whose forward is a row of this table with some arguments fixed."""
    target = FUNCTIONS_BY_NAME[forward_row]

    def forward(input: Any) -> Tensor:  # noqa: A002
        return target.signature.call(target.impl, (input,), fixed)
    return NNModule(cls, forward, shown)


def _call_row(name_or_impl: Any, args: tuple, kwargs: dict) -> Any:
    target = FUNCTIONS_BY_NAME[name_or_impl] if isinstance(name_or_impl, str) else None
    if target is None:
        return name_or_impl(*args, **kwargs)
    return target.signature.call(target.impl, args, kwargs)


def _inplace_shown(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


def _bce_class(weight: Tensor | None = None, size_average: Any = None, reduce: Any = None,
               reduction: str = "mean") -> NNModule:
    return NNModule("BCELoss", lambda input, target: _call_row(  # noqa: A002
        "binary_cross_entropy", (input, target),
        {"weight": weight, "size_average": size_average, "reduce": reduce,
         "reduction": reduction}))


def _bce_logits_class(weight: Tensor | None = None, size_average: Any = None,
                      reduce: Any = None, reduction: str = "mean",
                      pos_weight: Tensor | None = None) -> NNModule:
    return NNModule("BCEWithLogitsLoss", lambda input, target: _call_row(  # noqa: A002
        "binary_cross_entropy_with_logits", (input, target),
        {"weight": weight, "size_average": size_average, "reduce": reduce,
         "reduction": reduction, "pos_weight": pos_weight}))


def _softmax_class(cls: str, forward_row: str) -> Callable[..., NNModule]:
    def construct(dim: int | None = None) -> NNModule:
        return _module(cls, f"dim={dim}", forward_row, dim=dim)
    return construct


# ---------------------------------------------------------------- the rows

_UNARY = ("exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "abs", "neg",
          "log1p", "expm1")
_COMPARE = ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
            "floor_divide", "remainder", "fmod", "bitwise_xor")

ROWS: list[Row] = [
    # elementwise math (torch.sin(x), x.sin())
    *[row("torch Tensor", f"{name}(Tensor input)", getattr(fn, name)) for name in _UNARY],
    *[row("F", f"{name}(Tensor input)", getattr(fn, name))
      for name in ("relu", "sigmoid", "tanh", "silu")],
    row("torch Tensor", "pow(Number input, Number exponent)", _pow),
    *[row("torch Tensor", f"{name}(Number input, Number other, *, Tensor? out=None)",
          _either_tensor(name, getattr(fn, name))) for name in ("add", "sub", "mul")],
    row("torch Tensor", "div(Number input, Number other, *, str? rounding_mode=None, "
        "Tensor? out=None)", _div),
    *[row("torch Tensor", f"{name}(Tensor input, Number other)",
          _tensor_first(name, getattr(fn, name))) for name in _COMPARE],
    row("torch Tensor", "logical_not(Tensor input)", fn.logical_not),
    row("torch Tensor", "clamp(Tensor input, Number? min=None, Number? max=None)", fn.clamp),
    row("torch Tensor", "clip(Tensor input, Number? min=None, Number? max=None)", fn.clamp),
    row("torch", "where(Tensor condition, Number input, Number other)", _where),
    # reductions
    *[row("torch Tensor", f"{name}(Tensor input, int[]? dim=None, bool keepdim=False, *, "
          "ScalarType? dtype=None, int[]? axis=None, bool? keepdims=None)",
          _reduce(getattr(fn, name))) for name in ("sum", "mean")],
    row("torch Tensor", "max(Tensor input, Any dim=None, Any keepdim=False)", _extreme("max")),
    row("torch Tensor", "min(Tensor input, Any dim=None, Any keepdim=False)", _extreme("min")),
    row("torch Tensor", "maximum(Tensor input, Any other)", _pairwise("maximum")),
    row("torch Tensor", "minimum(Tensor input, Any other)", _pairwise("minimum")),
    row("torch Tensor", "prod(Tensor input, Any dim=None, bool keepdim=False, *, "
        "ScalarType? dtype=None)", _prod),
    row("torch Tensor", "var(Tensor input, int[]? dim=None, bool unbiased=True, "
        "bool keepdim=False, *, int? correction=None)", _variance(False)),
    row("torch Tensor", "std(Tensor input, int[]? dim=None, bool unbiased=True, "
        "bool keepdim=False, *, int? correction=None)", _variance(True)),
    row("torch Tensor", "argmax(Tensor input, int? dim=None, bool keepdim=False)", fn.argmax),
    row("torch Tensor", "argmin(Tensor input, int? dim=None, bool keepdim=False)",
        lambda input, dim, keepdim: fn.argmax(input, dim, keepdim, least=True)),
    row("torch Tensor", "cumsum(Tensor input, int? dim=None, *, ScalarType? dtype=None, "
        "int? axis=None)", _cumsum),
    row("torch Tensor", "norm(Tensor input, Any p='fro', int[]? dim=None, bool keepdim=False, "
        "ScalarType? dtype=None)", lambda input, p, dim, keepdim, dtype:
        fn.norm(input, p, dim, keepdim)),
    row("torch Tensor", "all(Tensor input)", fn.all_of),
    row("torch Tensor", "any(Tensor input)", fn.any_of),
    row("torch Tensor", "unbind(Tensor input, int dim=0)", fn.unbind),
    # products
    row("torch Tensor", "matmul(Tensor input, Tensor other, *, Tensor? out=None)",
        _either_tensor("matmul", fn.matmul)),
    row("torch Tensor", "mm(Tensor input, Tensor mat2)", _matrices(
        "mm", (2, 2), "mm() multiplies two matrices, got shapes {sa} and {sb}")),
    row("torch Tensor", "mv(Tensor input, Tensor vec)", _matrices(
        "mv", (2, 1), "vector + matrix @ vector expected, got {a}, {a}, {b}")),
    row("torch Tensor", "dot(Tensor input, Tensor tensor)", _matrices(
        "dot", (1, 1), "1D tensors expected, but got {a}D and {b}D tensors")),
    row("torch Tensor", "bmm(Tensor input, Tensor mat2)", fn.bmm),
    row("torch Tensor", "outer(Tensor input, Tensor vec2)", fn.outer),
    row("F", "linear(Tensor input, Tensor weight, Tensor? bias=None)", fn.linear),
    # shapes
    row("torch Tensor", "unsqueeze(Tensor input, int dim)", _unsqueeze),
    row("torch Tensor", "squeeze(Tensor input, int? dim=None)", fn.squeeze),
    row("torch Tensor", "transpose(Tensor input, int dim0, int dim1)", fn.transpose),
    row("torch Tensor", "t(Tensor input)", fn.t),
    row("torch", "reshape(Tensor input, SymInt[] shape)", fn.reshape),
    row("Tensor", "reshape(Tensor input, Any... shape)", fn.reshape),
    row("Tensor", "view(Tensor input, Any... shape)", fn.view),
    row("torch Tensor", "clone(Tensor input)", fn.clone),
    row("torch Tensor", "numel(Tensor input)", lambda input: input.numel()),
    row("torch", "cat(Any tensors, int dim=0)", fn.cat),
    row("torch", "concat(Any tensors, int dim=0)", fn.cat),
    row("torch", "stack(Any tensors, int dim=0)", fn.stack),
    # softmax and activations
    row("torch Tensor", "softmax(Tensor input, int dim)", fn.softmax),
    row("torch Tensor", "log_softmax(Tensor input, int dim)", fn.log_softmax),
    row("F", "softmax(Tensor input, int? dim=None)", fn.softmax),
    row("F", "log_softmax(Tensor input, int? dim=None)", fn.log_softmax),
    row("F", "gelu(Tensor input, Any approximate='none')", _gelu),
    row("F", "softplus(Tensor input, float beta=1.0, float threshold=20.0)",
        lambda input, beta, threshold: fn.softplus(input, beta=beta, threshold=threshold)),
    row("F", "leaky_relu(Tensor input, float negative_slope=0.01, bool inplace=False)",
        lambda input, negative_slope, inplace: fn.leaky_relu(input,
                                                             negative_slope=negative_slope)),
    row("F", "hardtanh(Tensor input, float min_val=-1.0, float max_val=1.0, "
        "bool inplace=False)", lambda input, min_val, max_val, inplace:
        fn.hardtanh(input, min_val=min_val, max_val=max_val)),
    row("F", "relu6(Tensor input, bool inplace=False)", lambda input, inplace: fn.relu6(input)),
    # losses
    row("F", "cross_entropy(Tensor input, Tensor target, *, Reduction reduction='mean')",
        lambda input, target, *, reduction: fn.cross_entropy(input, target, reduction)),
    row("F", "nll_loss(Tensor input, Tensor target, *, Reduction reduction='mean')",
        lambda input, target, *, reduction: fn.nll_loss(input, target, reduction)),
    row("F", "mse_loss(Tensor input, Tensor target, *, Reduction reduction='mean')",
        lambda input, target, *, reduction: fn.mse_loss(input, target, reduction)),
    row("F", "l1_loss(Tensor input, Tensor target, Any size_average=None, Any reduce=None, "
        "Reduction reduction='mean')", _l1_loss),
    row("F", "binary_cross_entropy(Tensor input, Tensor target, Tensor? weight=None, "
        "Any size_average=None, Any reduce=None, Reduction reduction='mean')", _bce),
    row("F", "binary_cross_entropy_with_logits(Tensor input, Tensor target, "
        "Tensor? weight=None, Any size_average=None, Any reduce=None, "
        "Reduction reduction='mean', Tensor? pos_weight=None)", _bce_with_logits),
    # comparisons that answer a Python bool
    row("torch Tensor", "equal(Tensor input, Tensor other)", _equal),
    row("torch Tensor", "allclose(Tensor input, Tensor other, float rtol=1e-05, "
        "float atol=1e-08, bool equal_nan=False)", _allclose),
    row("torch Tensor", "isclose(Tensor input, Number other, float rtol=1e-05, "
        "float atol=1e-08, bool equal_nan=False)", _isclose),
    # creation
    row("torch", "tensor(Any data, *, ScalarType? dtype=None, bool requires_grad=False)",
        make.tensor),
    *[row("torch", f"{name}(Any... size, *, Any out=None, ScalarType? dtype=None, "
          "bool requires_grad=False)", make.sized_maker(name, getattr(fn, name)))
      for name in ("zeros", "ones", "randn", "rand")],
    *[row("torch", f"{name}_like(Tensor input, *, ScalarType? dtype=None, "
          "bool requires_grad=False)", make.like_maker(f"{name}_like", getattr(fn, name)))
      for name in ("zeros", "ones", "randn", "rand")],
    row("torch", "randint(Any low, Any high=None, Any size=None, *, ScalarType? dtype=None, "
        "bool requires_grad=False)", make.randint),
    row("torch", "arange(Any start, Any end=None, Any step=1, *, ScalarType? dtype=None, "
        "bool requires_grad=False)", make.arange),
    row("torch", "full(Any size, Any fill_value, *, ScalarType? dtype=None, "
        "bool requires_grad=False)", make.full),
    row("torch", "full_like(Tensor input, Any fill_value, *, ScalarType? dtype=None, "
        "bool requires_grad=False)", make.full_like),
    row("torch", "eye(Any n, Any m=None, *, ScalarType? dtype=None, bool requires_grad=False)",
        make.eye),
    row("torch", "linspace(Any start, Any end, Any steps, *, ScalarType? dtype=None, "
        "bool requires_grad=False)", make.linspace),
    row("torch", "from_numpy(Any ndarray)", make.from_numpy),
    row("torch", "Tensor(Any... data)", make.legacy_tensor),
    row("torch", "FloatTensor(Any... data)", make.legacy_tensor),
    row("torch", "manual_seed(Any seed)", make.manual_seed),
    # tensor-only methods
    row("Tensor", "item(Tensor self)", tm.item),
    row("Tensor", "size(Tensor self, int? dim=None)", tm.size),
    row("Tensor", "dim(Tensor self)", tm.dim),
    row("Tensor", "tolist(Tensor self)", tm.tolist),
    row("Tensor", "numpy(Tensor self)", tm.numpy),
    *[row("Tensor", f"{kind}(Tensor self)", tm.converter(kind))
      for kind in ("float", "double", "long", "bool")],
    row("Tensor", "to(Tensor self, Any... args, *, Any dtype=None, Any** kwargs)", tm.to),
    row("Tensor", "type(Tensor self, Any dtype=None, Any non_blocking=False)", tm.type_),
    row("Tensor", "requires_grad_(Tensor self, bool requires_grad=True)", tm.requires_grad_),
    # torch.nn classes
    *[row("nn", f"{cls}(*, Reduction reduction='mean')", _loss_class(cls, loss))
      for cls, loss in (("CrossEntropyLoss", "cross_entropy"), ("MSELoss", "mse_loss"),
                        ("NLLLoss", "nll_loss"), ("L1Loss", "l1_loss"))],
    row("nn", "BCELoss(Tensor? weight=None, Any size_average=None, Any reduce=None, "
        "Reduction reduction='mean')", _bce_class),
    row("nn", "BCEWithLogitsLoss(Tensor? weight=None, Any size_average=None, Any reduce=None, "
        "Reduction reduction='mean', Tensor? pos_weight=None)", _bce_logits_class),
    *[row("nn", f"{cls}(bool inplace=False)",
          lambda inplace, cls=cls, f=f: _module(cls, _inplace_shown(inplace), f))
      for cls, f in (("ReLU", "relu"), ("ReLU6", "relu6"), ("SiLU", "silu"))],
    *[row("nn", f"{cls}()", lambda cls=cls, f=f: _module(cls, "", f))
      for cls, f in (("Sigmoid", "sigmoid"), ("Tanh", "tanh"))],
    row("nn", "Hardtanh(float min_val=-1.0, float max_val=1.0, bool inplace=False)",
        lambda min_val, max_val, inplace: _module(
            "Hardtanh", f"min_val={min_val!r}, max_val={max_val!r}", "hardtanh",
            min_val=min_val, max_val=max_val)),
    row("nn", "GELU(Any approximate='none')", lambda approximate: _module(
        "GELU", f"approximate={_approximate(approximate)!r}", "gelu", approximate=approximate)),
    row("nn", "Softplus(Any beta=1.0, Any threshold=20.0)", lambda beta, threshold: _module(
        "Softplus", f"beta={beta!r}, threshold={threshold!r}", "softplus", beta=beta,
        threshold=threshold)),
    row("nn", "LeakyReLU(Any negative_slope=0.01, bool inplace=False)",
        lambda negative_slope, inplace: _module(
            "LeakyReLU", f"negative_slope={negative_slope!r}"
            + (", inplace=True" if inplace else ""), "leaky_relu",
            negative_slope=negative_slope)),
    row("nn", "Softmax(int? dim=None)", _softmax_class("Softmax", "softmax")),
    row("nn", "LogSoftmax(int? dim=None)", _softmax_class("LogSoftmax", "log_softmax")),
]

# The F rows by name: what nn modules' forward calls (F.relu's row for nn.ReLU...).
FUNCTIONS_BY_NAME: dict[str, Row] = {}
for _r in ROWS:
    if "F" in _r.where or ("torch" in _r.where and _r.name not in FUNCTIONS_BY_NAME):
        FUNCTIONS_BY_NAME[_r.name] = _r
