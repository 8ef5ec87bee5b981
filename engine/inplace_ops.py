"""The in-place tensor methods (`zero_`, `add_`, `mul_`, `copy_`, `clamp_`...), `x += y` and
`x[i] = v`, each an out-of-place op run on the old state through `engine.inplace.in_place`.

Most reuse the op table's rows (`y.mul_(2)` records MulBackward0, as PyTorch). The four with no
out-of-place twin in a snippet's vocabulary are rows here: `zero_` (ZeroBackward0), `fill_`
(FillBackward2), `copy_` (CopyBackwards) and item assignment (CopySlices for integers and slices,
IndexPutBackward0 for tensor indices), plus `clamp_` with number bounds (ClampBackward1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine.broadcast import fmt_shape
from chainrule.engine.errors import ArgumentError, RuntimeProblem
from chainrule.engine.inplace import in_place
from chainrule.engine.ops import Ctx, Op, Rule
from chainrule.engine.tensor import Tensor, apply


def _zeros(c: Ctx) -> np.ndarray:
    return np.zeros(np.shape(c.a), dtype=np.float64)[()] if np.ndim(c.a) == 0 else \
        np.zeros(np.shape(c.a), dtype=np.float64)


def _same_kind(a: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(np.asarray(a).dtype)


def _setitem_fwd(a: np.ndarray, v: np.ndarray, key: Any) -> np.ndarray:
    out = np.array(a, copy=True)
    out[key] = _same_kind(a, v)
    return out


def _setitem_grad_a(g: np.ndarray, c: Ctx) -> np.ndarray:
    grad = np.array(g, dtype=np.float64, copy=True)
    grad[c.attrs["key"]] = 0.0
    return grad


def _setitem_grad_fn(shapes: tuple, attrs: dict) -> str:
    parts = attrs["key"] if isinstance(attrs["key"], tuple) else (attrs["key"],)
    basic = all(p is None or p is Ellipsis or isinstance(p, int | slice) for p in parts)
    return "CopySlices" if basic else "IndexPutBackward0"


def _clamp_mask(c: Ctx) -> np.ndarray:
    lo, hi = c.attrs.get("min"), c.attrs.get("max")
    a = np.asarray(c.a)
    keep = np.ones(a.shape, dtype=bool)
    if lo is not None:
        keep &= a >= lo
    if hi is not None:
        keep &= a <= hi
    return keep.astype(np.float64)


def _clamp_fwd(a: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
    out = np.asarray(a)
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    return out


_ZERO_RULE = Rule(vjp=lambda g, c: _zeros(c), local=_zeros, times_local=True, latex="0",
                  text="0")
_G = "\\bar{$out}"

ROWS: dict[str, Op] = {op.name: op for op in [
    Op("zero", "ZeroBackward0", lambda a: np.zeros_like(a), (_ZERO_RULE,), saves=False,
       symbol="zero_"),
    Op("fill", "FillBackward2", lambda a, value: np.full(np.shape(a), value, dtype=np.asarray(
        a).dtype), (_ZERO_RULE,), saves=False, symbol="fill_"),
    Op("copy", "CopyBackwards",
       lambda a, src: np.broadcast_to(_same_kind(a, src), np.shape(a)).copy(),
       (_ZERO_RULE, Rule(vjp=lambda g, c: g, latex=_G, text="grad($out)")),
       saves=False, symbol="copy_"),
    Op("setitem", _setitem_grad_fn, _setitem_fwd, (
        Rule(vjp=_setitem_grad_a, latex=_G + r"\text{, 0 at }[$where]",
             text="grad($out) with 0 at [$where]"),
        Rule(vjp=lambda g, c: np.asarray(g)[c.attrs["key"]], latex=_G + "[$where]",
             text="grad($out)[$where]"),
    ), saves=False, symbol="[ ]=", extras=lambda c: {"where": _key_text(c.attrs["key"])}),
    Op("clamp", "ClampBackward1", _clamp_fwd, (
        Rule(vjp=lambda g, c: g * _clamp_mask(c), local=_clamp_mask, times_local=True,
             latex=r"[\,$min \le $a \le $max\,]", text="1 if $min <= $a <= $max else 0"),
    ), saves=True, symbol="clamp"),
]}


def _key_text(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(_part_text(p) for p in parts)


def _part_text(p: Any) -> str:
    if isinstance(p, slice):
        text = ("" if p.start is None else str(p.start)) + ":" + \
            ("" if p.stop is None else str(p.stop))
        return text + ("" if p.step in (None, 1) else f":{p.step}")
    if isinstance(p, np.ndarray):
        return "mask" if p.dtype == bool else "indices"
    return "..." if p is Ellipsis else str(p)


# ---------------------------------------------------------------- arguments


def _operand(other: Any, what: str) -> Any:
    if isinstance(other, Tensor) or fn.is_number(other):
        return other
    raise ArgumentError(f"{what}(): argument 'other' must be Tensor or a number, not "
                        f"{fn.describe(other)}")


def _number(x: Any, what: str) -> Any:
    if isinstance(x, Tensor) and x.numel() == 1:
        return x.item()
    if not fn.is_number(x):
        raise ArgumentError(f"{what} must be a number, got {fn.describe(x)}")
    return x


def _own(other: Any, t: Tensor, old: Tensor) -> Any:
    """`x.add_(x)`: the other operand is the old state too."""
    return old if other is t else other


# ---------------------------------------------------------------- the methods


def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    other = _operand(other, "add_")

    def run(old: Tensor) -> Tensor:
        o = _own(other, self, old)
        return fn.add(old, o if alpha == 1 else fn.mul(o, alpha) if isinstance(o, Tensor)
                      else o * alpha)
    return in_place(self, run)


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    other = _operand(other, "sub_")

    def run(old: Tensor) -> Tensor:
        o = _own(other, self, old)
        return fn.sub(old, o if alpha == 1 else fn.mul(o, alpha) if isinstance(o, Tensor)
                      else o * alpha)
    return in_place(self, run)


def mul_(self: Tensor, other: Any) -> Tensor:
    other = _operand(other, "mul_")
    return in_place(self, lambda old: fn.mul(old, _own(other, self, old)))


def bitwise_xor_(self: Tensor, other: Any) -> Tensor:
    other = _operand(other, "bitwise_xor_")
    return in_place(self, lambda old: fn.bitwise_xor(old, _own(other, self, old)))


def div_(self: Tensor, other: Any) -> Tensor:
    other = _operand(other, "div_")
    return in_place(self, lambda old: fn.div(old, _own(other, self, old)))


def pow_(self: Tensor, exponent: Any) -> Tensor:
    exponent = _operand(exponent, "pow_")
    return in_place(self, lambda old: fn.pow(old, _own(exponent, self, old)))


def zero_(self: Tensor) -> Tensor:
    return in_place(self, lambda old: apply(ROWS["zero"], (old,)))


def fill_(self: Tensor, value: Any) -> Tensor:
    v = _number(value, "fill_() value")
    return in_place(self, lambda old: apply(ROWS["fill"], (old,), value=v))


def copy_(self: Tensor, src: Any) -> Tensor:
    if not isinstance(src, Tensor):
        raise ArgumentError(f"copy_(): argument 'src' must be Tensor, not {fn.describe(src)}")
    try:
        np.broadcast_shapes(np.shape(src.data), self.shape)
        if np.broadcast_shapes(np.shape(src.data), self.shape) != self.shape:
            raise ValueError
    except ValueError:
        raise RuntimeProblem(_expand_message(src.shape, self.shape)) from None
    return in_place(self, lambda old: apply(ROWS["copy"], (old, _own(src, self, old))))


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise RuntimeProblem("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo = None if min is None else _number(min, "clamp_() min")
    hi = None if max is None else _number(max, "clamp_() max")
    return in_place(self, lambda old: apply(ROWS["clamp"], (old,), min=lo, max=hi))


def _unary_(name: str) -> Any:
    def method(self: Tensor) -> Tensor:
        return in_place(self, lambda old: getattr(fn, name)(old))
    method.__name__ = name + "_"
    return method


UNARY_IN_PLACE = {name + "_": _unary_(name) for name in
                  ("neg", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "abs")}

METHODS = {"add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "pow_": pow_,
           "bitwise_xor_": bitwise_xor_,
           "zero_": zero_, "fill_": fill_, "copy_": copy_, "clamp_": clamp_,
           **UNARY_IN_PLACE}


# ---------------------------------------------------------------- for the interpreter

_AUGMENTED = {"+": add_, "-": sub_, "*": mul_, "/": div_, "**": pow_, "^": bitwise_xor_}


def augmented(tensor: Tensor, sym: str, other: Any) -> Tensor:
    """`tensor <sym>= other`: in place, as PyTorch's `__iadd__` & co. (the same object comes
    back). `@=` has no in-place form on tensors: Python then computes `tensor @ other`."""
    if sym == "@":
        return fn.matmul(tensor, other)
    method = _AUGMENTED.get(sym)
    if method is None:
        raise ArgumentError(f"the operator {sym}= is not supported on tensors")
    if not isinstance(other, Tensor) and not fn.is_number(other):
        raise ArgumentError(f"unsupported operand type(s) for {sym}=: 'Tensor' and "
                            f"{fn.describe(other)}")
    return method(tensor, other)


def _index_key(key: Any, shape: tuple[int, ...]) -> Any:
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for p in parts:
        if isinstance(p, Tensor):
            arr = np.asarray(p.data)
            if arr.dtype.kind not in "biu":
                raise ArgumentError("tensors used as indices must be long, int, byte or bool "
                                    "tensors", python_type="IndexError")
            out.append(arr)
        elif isinstance(p, list):
            out.append(np.asarray(p))
        elif isinstance(p, bool) or not (p is None or p is Ellipsis or
                                         isinstance(p, int | slice | np.integer)):
            raise ArgumentError("only integers, slices (`:`), ellipsis (`...`), None and long "
                                "or byte Variables are valid indices (got "
                                f"{fn.describe(p)})", python_type="IndexError")
        else:
            out.append(int(p) if isinstance(p, np.integer) else p)
    key = tuple(out) if isinstance(key, tuple) else out[0]
    try:
        np.empty(shape, dtype=np.bool_)[key]
    except IndexError as e:
        raise RuntimeProblem(_index_message(key, shape, str(e)),
                             python_type="IndexError") from None
    return key


def _index_message(key: Any, shape: tuple[int, ...], numpy_text: str) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    for dim, p in enumerate(parts):
        if isinstance(p, int) and dim < len(shape) and not -shape[dim] <= p < shape[dim]:
            return f"index {p} is out of bounds for dimension {dim} with size {shape[dim]}"
    if "too many indices" in numpy_text:
        return f"too many indices for tensor of dimension {len(shape)}"
    return f"invalid index for a tensor of shape {fmt_shape(shape)}"


def _expand_message(src: tuple[int, ...], target: tuple[int, ...]) -> str:
    s = "[" + ", ".join(str(n) for n in target) + "]"
    t = "[" + ", ".join(str(n) for n in src) + "]"
    return (f"The expanded size of the tensor ({target[-1] if target else 1}) must match the "
            f"existing size ({src[-1] if src else 1}) at non-singleton dimension "
            f"{max(len(target) - 1, 0)}.  Target sizes: {s}.  Tensor sizes: {t}")


def setitem(tensor: Tensor, key: Any, value: Any) -> None:
    """`tensor[key] = value` (PyTorch's copy into a view, or index_put_ for tensor indices)."""
    if not isinstance(value, Tensor) and not fn.is_number(value):
        raise ArgumentError(f"can't assign {fn.describe(value)} to a tensor element")
    k = _index_key(key, tensor.shape)
    target = np.empty(tensor.shape, dtype=np.bool_)[k].shape
    v = value if isinstance(value, Tensor) else fn.lift(value)
    if v.data.shape != target:
        try:
            if np.broadcast_shapes(v.data.shape, target) != target:
                raise ValueError
        except ValueError:
            raise RuntimeProblem(_expand_message(v.shape, target)) from None
    basic = _setitem_grad_fn((), {"key": k}) == "CopySlices"
    in_place(tensor, lambda old: apply(ROWS["setitem"], (old, _own(v, tensor, old)), key=k),
             view=basic)
