"""The op table: every differentiable operation, declared once.

Each `Op` entry holds
- `name`      what learners see on the op node (`mul`, `tanh`, `cross_entropy`…);
- `grad_fn`   PyTorch's name for the backward node (`MulBackward0`), or a function of the
              input shapes and attrs where PyTorch's name depends on them (matmul, sum);
- `forward`   `(*arrays, **attrs) -> array`;
- `rules`     one `Rule` per input, `None` where that input never gets a gradient (class
              indices). A rule has
    `vjp(g, c)`   the vector-Jacobian product: upstream gradient `g` (shape of the output) to
                  this input's gradient, BEFORE undoing broadcasting (`unbroadcast` does that);
    `local(c)`    the elementwise local derivative d out / d input, where one exists
                  (elementwise ops, sum, mean, max); `None` for ops whose Jacobian is not
                  diagonal (matmul, softmax…), where the formula shows the VJP instead;
    `latex`/`text` the formula learners read, as LaTeX and a plain-text twin. Placeholders:
                  `$out`, `$a`, `$b` name the output and inputs; other `$words` are attrs.
                  A formula may also be a function of attrs returning the string.
    `times_local` True when `vjp(g, c)` is exactly `g * local(c)`: backward then calls
                  `local` once and multiplies (it shows `local` anyway).
- `saves`     whether PyTorch saves tensors for backward: only then does a second backward
              without `retain_graph=True` fail ("Trying to backward through the graph a second
              time");
- `no_derivative` PyTorch's error when backward reaches the node of an op it cannot
              differentiate (floor_divide records a node, NotImplemented, that raises);
- `commutative` whether swapping the inputs changes nothing (add, mul): the layout may then
              draw them in either order, elsewhere it keeps the first input on top.

`c` is a `Ctx`: `c.a`, `c.b` the input arrays, `c.out` the output, `c.attrs` the keyword attrs.
Derived operations (`cross_entropy`, `x - y` with a number) are compositions in
`engine/functional.py`, not rows here.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from chainrule.engine.broadcast import broadcast_shape, fmt_shape
from chainrule.engine.errors import ArgumentError, ShapeError

Formula = str | Callable[[dict], str]
# Forward of the four arithmetic ops is Python's operator: on arrays it is the same ufunc as
# np.add & co.; on float64 scalars (0-d float tensors, see engine/tensor.py) it takes NumPy's
# scalar path, ~15x cheaper than a ufunc call and IEEE-identical for + - * /.
_F64S = np.float64
_ONE, _ZERO = np.float64(1.0), np.float64(0.0)
ONE = _ONE   # the one scalar_locals give for a derivative of 1 (engine/backward.py)


class Ctx(NamedTuple):
    """What a rule reads. A named tuple, not a frozen dataclass: backward builds one per
    record, and a frozen dataclass's __init__ costs ~1 µs, a scalar op's whole budget."""

    inputs: tuple[np.ndarray, ...]
    out: np.ndarray
    attrs: dict

    @property
    def a(self) -> np.ndarray:
        return self.inputs[0]

    @property
    def b(self) -> np.ndarray:
        return self.inputs[1]


@dataclass(frozen=True)
class Rule:
    vjp: Callable[[np.ndarray, Ctx], np.ndarray]
    latex: Formula
    text: Formula
    local: Callable[[Ctx], np.ndarray] | None = None
    # True when `vjp(g, c)` is exactly `g * local(c)`: the backward pass, which shows `local`
    # anyway, then computes it once and multiplies instead of calling `vjp`.
    times_local: bool = False


@dataclass(frozen=True)
class Op:
    name: str
    grad_fn: str | Callable[[tuple[tuple[int, ...], ...], dict], str]
    forward: Callable[..., np.ndarray]
    rules: tuple[Rule | None, ...]
    saves: bool
    symbol: str = ""
    check: Callable[..., None] | None = field(default=None)
    # Extra formula placeholders computed from the context ($n: how many elements are averaged).
    extras: Callable[[Ctx], dict] | None = field(default=None)
    # f(a, b) == f(b, a): the drawing may put either input on top (fewer edge crossings);
    # for the others (a - b, a / b, a @ b...) the layout keeps a above b.
    commutative: bool = False
    # PyTorch's error when backward reaches this op's node (its derivative is not
    # implemented: floor_divide); "" for every op that has one.
    no_derivative: str = ""
    # Its float32 result leaves float32's range from ordinary inputs (exp(100) is inf and
    # exp(-200) is 0 in PyTorch, finite in the float64 the engine computes in): apply()
    # then puts the result back in float32's range (engine/float32_range.py).
    leaves_float32_range: bool = False
    # For float64 scalar inputs (0-d float tensors, engine/tensor.py): `(*inputs, out)` to each
    # input's local derivative, the numbers its rule's `local` gives there, bit for bit. The
    # backward pass then skips the Ctx and the rule calls (a scalar graph's every edge).
    scalar_locals: Callable[..., tuple] | None = None

    def grad_fn_name(self, shapes: tuple[tuple[int, ...], ...], attrs: dict) -> str:
        return self.grad_fn if isinstance(self.grad_fn, str) else self.grad_fn(shapes, attrs)


# ---------------------------------------------------------------- helpers


def _check_result_size(shape: tuple[int, ...], what: str) -> None:
    """Every op whose result can be larger than its inputs (broadcasting, matmul) refuses an
    oversized result here, in its row's check, before NumPy allocates it: no function that
    reaches the op can skip it (`torch.ones(20000, 0).mm(torch.ones(0, 20000))` is 400
    million zeros from two empty inputs)."""
    from chainrule.engine.tensor import current_tape  # engine.tensor imports this module
    n = math.prod(int(d) for d in shape)   # exact, and without np.prod's ~5 µs
    limit = current_tape().limits.max_tensor_elements
    if n > limit:
        from chainrule.engine.errors import LimitError
        raise LimitError(f"{what} would make a tensor of shape {tuple(shape)} with {n:,} "
                         f"elements, over the limit of {limit:,} elements per tensor")


def _check_broadcast(a: np.ndarray, b: np.ndarray, **_: Any) -> None:
    # Equal shapes always broadcast (the common case), and a 0-d side (a scalar weight times
    # 2,000 points) gives the other's shape, whose size is already within the limit.
    if a.shape != b.shape and a.ndim and b.ndim:
        _check_result_size(broadcast_shape(a.shape, b.shape), "this operation")


def _expand_reduced(g: np.ndarray, shape: tuple[int, ...], dim: Any, keepdim: bool) -> np.ndarray:
    """Broadcast the gradient of a reduction back to the input's shape."""
    if _axis(dim, len(shape)) is not None and not keepdim:
        g = np.expand_dims(g, tuple(d % len(shape) for d in _dims(dim)))
    elif type(g) is _F64S and shape:   # a whole sum's one number, every element's gradient:
        # filled, without np.broadcast_to's Python layers; a loss's seed 1 as the shared ones
        # (the next edge's product is then its local itself: engine/backward.py)
        return _filled(shape, 1.0) if g == 1.0 else _filled_with(shape, g)
    return np.broadcast_to(g, shape)


def _filled_with(shape: tuple[int, ...], value: np.float64) -> np.ndarray:
    out = np.empty(shape, dtype=np.float64)
    out.fill(value)
    return out


def _dims(dim: Any) -> tuple[int, ...]:
    return tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)


def _count(shape: tuple[int, ...], dim: Any) -> int:
    if _axis(dim, len(shape)) is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[d] for d in _dims(dim)], dtype=np.int64))


def _inverse(n: int) -> float:
    # An empty reduction (n = 0) has no element to hold 1/n: any value fills the empty array.
    return 1.0 / n if n else float("nan")


def _axis(dim: Any, ndim: int) -> Any:
    """NumPy's axis for PyTorch's dim; None (all) also for dim=() and for a 0-d tensor, where
    PyTorch accepts dim 0 or -1 but NumPy has no axis to name."""
    return None if dim is None or ndim == 0 or _dims(dim) == () else _dims(dim)


def _check_dims(a: np.ndarray, dim: Any = None, **_: Any) -> None:
    if dim is None:
        return
    nd = max(a.ndim, 1)
    for d in _dims(dim):
        if not -nd <= d < nd:
            raise ArgumentError(
                f"dim {d} is out of range for a tensor with {a.ndim} dimension(s) "
                f"(expected a value in [{-nd}, {nd - 1}])")
    seen = [d % nd for d in _dims(dim)]
    for d in seen:
        if seen.count(d) > 1:
            raise ArgumentError(f"dim {d} appears multiple times in the list of dims")


_FILLED: dict[tuple, np.ndarray] = {}   # (shape, value) → its read-only array, a few hundred


def _filled(shape: tuple[int, ...], value: float) -> np.ndarray:
    """np.full(shape, value) in float64, as a read-only view of one number (no memory, no
    fill: add's local derivative is this, once per backward edge of every add), kept per
    shape and value; a float64 scalar for shape (). Locals are never written to."""
    if shape == ():
        return _F64S(value)
    key = (shape, value)
    out = _FILLED.get(key)
    if out is None:
        out = np.broadcast_to(_F64S(value), shape)
        if len(_FILLED) < 512:
            _FILLED[key] = out
    return out


def is_ones(local: np.ndarray) -> bool:
    """Whether `local` is a local derivative of ones from `_filled`: upstream × it is
    upstream itself (x · 1 = x in IEEE arithmetic, nan, ±inf and -0 included)."""
    return _FILLED.get((local.shape, 1.0)) is local


def _ones_like_out(c: Ctx) -> np.ndarray:
    return _filled(c.a.shape, 1.0)


def _const(value: float) -> Callable[[Ctx], np.ndarray]:
    return lambda c: _filled(c.a.shape, value)


# ---------------------------------------------------------------- elementwise


def _pow_local(c: Ctx) -> np.ndarray:
    p = c.attrs["exponent"]
    if p == 0:
        return np.zeros_like(c.a, dtype=np.float64)
    a = c.a.astype(np.float64, copy=False)
    if p == 2:   # 2·a¹ is 2·a exactly (a ** 1 is a): one pass (a squared loss, every step)
        return 2 * a
    return p * _float_power(a, p - 1)


def _pow_fwd(a: np.ndarray, exponent: float) -> np.ndarray:
    # An integer tensor to a whole, non-negative Python int stays integer, as in PyTorch.
    if a.dtype.kind in "iu" and isinstance(exponent, int) and exponent >= 0:
        return np.power(a, exponent)
    return _float_power(a.astype(np.float64, copy=False), exponent)


_WHOLE_CANDIDATES = (int, float, np.float64)


def _float_power(a: np.ndarray, p: float) -> np.ndarray:
    """a ** p for float64 `a` and a number `p`. NumPy's power takes a scalar libm path for
    negative bases, ~250 ns an element (a polynomial fit's `x ** 3` over 2,000 points was
    ~0.5 ms, more than the rest of its iteration), against ~10 ns on its vector path. So:
    p = 3 is a·a·a, PyTorch's own kernel for it (the same float64 numbers as torch, bit for
    bit; 2, -1 and 0.5 are already exact special cases in NumPy); any other whole p is
    |a| ** p on the vector path with the sign put back for odd p ((-a)^p = (-1)^p·a^p holds
    exactly for a correctly rounded power, so only last-bit noise changes: ≤ 1 ulp)."""
    if p == 3:
        return a * a * a
    if type(p) in _WHOLE_CANDIDATES and abs(p) < 2**53 and float(p).is_integer() and \
            p not in (0, 1, 2, -1):
        if type(a) is _F64S:
            if a >= 0.0 or a != a:
                return np.power(a, p)
        elif (a >= 0.0).all():
            return np.power(a, p)
        magnitude = np.power(np.abs(a), p)
        return np.copysign(magnitude, a) if int(p) % 2 else magnitude
    return np.power(a, p)


def _pow_formula(attrs: dict, latex: bool) -> str:
    p = attrs["exponent"]
    ps = _num(p)
    if p == 0:
        return "0"
    if p == 1:
        return "1"
    if p == 2:
        return r"2\,$a" if latex else "2·$a"
    pm1 = _num(p - 1)
    return rf"{ps}\,$a^{{{pm1}}}" if latex else f"{ps}·$a^{pm1}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _pow_tensor_grad_a(c: Ctx) -> np.ndarray:
    # b·a^(b-1) is 0·0^-1 = nan at a == 0, b == 0; PyTorch masks exponent 0 to gradient 0.
    with np.errstate(all="ignore"):
        local = c.b * np.power(c.a, c.b - 1.0)
    return np.where(c.b == 0, 0.0, local)


def _pow_tensor_grad_b(c: Ctx) -> np.ndarray:
    # PyTorch masks the log where base == 0 and exponent >= 0 so that 0**b has gradient 0.
    with np.errstate(all="ignore"):
        local = c.out * np.log(c.a)
    return np.where((c.a == 0) & (c.b >= 0), 0.0, local)


def _relu_fwd(a: np.ndarray) -> np.ndarray:
    if type(a) is _F64S:   # np.maximum(a, 0) for one float64, without the ufunc call
        return a if a > 0.0 or a != a else _ZERO
    return np.maximum(a, 0)


def _relu_local(c: Ctx) -> np.ndarray:
    if type(c.a) is _F64S:
        return _ONE if c.a > 0.0 else _ZERO
    return (c.a > 0).astype(np.float64)


def _as_f64(x: np.ndarray) -> np.ndarray:
    """An input as float64 for mul's local derivative: no copy of float64 data (the engine
    never writes into an array it has handed out: a change in place makes a new one,
    engine/inplace.py), as for mul's other input."""
    return x if type(x) is _F64S else np.asarray(x, dtype=np.float64)


def _times(local: Callable[[Ctx], np.ndarray]) -> Callable[[np.ndarray, Ctx], np.ndarray]:
    """The VJP of an elementwise op: upstream times the local derivative."""
    return lambda g, c: g * local(c)


def _unary(name: str, grad_fn: str, fwd: Callable, local: Callable[[Ctx], np.ndarray],
           latex: str, text: str, saves: bool = True) -> Op:
    rule = Rule(vjp=_times(local), latex=latex, text=text, local=local, times_local=True)
    return Op(name, grad_fn, fwd, (rule,), saves=saves, symbol=name)


def _named(default: str) -> Callable[[tuple, dict], str]:
    """A grad_fn the caller may override with a `grad_fn` attr (PyTorch's reversed-operand
    nodes: `1 - x` is RsubBackward1, `2 ** x` PowBackward2)."""
    return lambda shapes, attrs: attrs.get("grad_fn", default)


def _elementwise_binary(name: str, grad_fn: Any, fwd: Callable, symbol: str,
                        rule_a: tuple, rule_b: tuple, saves: bool,
                        commutative: bool = False) -> Op:
    rules = tuple(Rule(vjp=_times(loc), latex=lx, text=tx, local=loc, times_local=True)
                  for loc, lx, tx in (rule_a, rule_b))
    return Op(name, grad_fn, fwd, rules, saves=saves, symbol=symbol, check=_check_broadcast,
              commutative=commutative)


# ---------------------------------------------------------------- matmul


def _check_matmul(a: np.ndarray, b: np.ndarray, **_: Any) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul needs tensors with at least one dimension, got shapes "
                         f"{fmt_shape(a.shape)} and {fmt_shape(b.shape)}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ShapeError(f"cannot multiply shapes {fmt_shape(a.shape)} and {fmt_shape(b.shape)}: "
                         f"inner sizes {inner_a} and {inner_b} differ")
    batch: tuple[int, ...] = ()
    if a.ndim > 2 or b.ndim > 2:
        batch_a, batch_b = a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ()
        try:
            batch = tuple(broadcast_shape(batch_a, batch_b))
        except ShapeError:
            raise ShapeError(f"cannot multiply shapes {fmt_shape(a.shape)} and "
                             f"{fmt_shape(b.shape)}: batch dimensions {fmt_shape(batch_a)} and "
                             f"{fmt_shape(batch_b)} do not broadcast") from None
    rows = (a.shape[-2],) if a.ndim >= 2 else ()
    cols = (b.shape[-1],) if b.ndim >= 2 else ()
    _check_result_size(batch + rows + cols, "this matrix product")


def _matmul_grad(g: np.ndarray, a: np.ndarray, b: np.ndarray, which: int) -> np.ndarray:
    """The gradient of a @ b for input `which` (0: a, 1: b), NumPy's 1-D promotion rules
    undone. One input at a time: each rule pays for its own matmul only."""
    from chainrule.engine.broadcast import unbroadcast

    if a.ndim == 1 and b.ndim == 1:
        return g * b if which == 0 else g * a
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = np.expand_dims(g, -2) if a.ndim == 1 else g
    g2 = np.expand_dims(g2, -1) if b.ndim == 1 else g2
    if which == 0:
        return unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
    return unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)


def _matmul_grad_fn(shapes: tuple[tuple[int, ...], ...], attrs: dict) -> str:
    if "grad_fn" in attrs:   # torch.bmm
        return attrs["grad_fn"]
    na, nb = len(shapes[0]), len(shapes[1])
    if na == 1 and nb == 1:
        return "DotBackward0"
    if na == 2 and nb == 1:
        return "MvBackward0"
    if na == 2 and nb == 2:
        return "MmBackward0"
    if na == 1 and nb == 2:
        return "SqueezeBackward4"
    return "UnsafeViewBackward0"


# ---------------------------------------------------------------- reductions


def _reduction_grad_fn(stem: str) -> Callable[[tuple, dict], str]:
    return lambda shapes, attrs: f"{stem}Backward{0 if attrs.get('dim') is None else 1}"


def _sum_fwd(a: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.sum(a, axis=_axis(dim, a.ndim), keepdims=keepdim)


def _mean_fwd(a: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.mean(a, axis=_axis(dim, a.ndim), keepdims=keepdim)


def _max_mask(c: Ctx) -> np.ndarray:
    # Ties split the gradient evenly, as PyTorch's max() does.
    # A nan maximum equals nothing (nan != nan): then PyTorch splits it among the nans.
    hit = np.isnan(c.a) if np.isnan(c.out) else c.a == c.out
    mask = hit.astype(np.float64)
    return mask / mask.sum()


# ---------------------------------------------------------------- shape ops


def _reshape_back(g: np.ndarray, c: Ctx) -> np.ndarray:
    return np.reshape(g, c.a.shape)


def _transpose_fwd(a: np.ndarray, dim0: int = 0, dim1: int = 1, **_: Any) -> np.ndarray:
    # `grad_fn` rides along in the attrs for t() and .T; it names the node, not the math.
    return np.swapaxes(a, dim0, dim1) if a.ndim >= 2 else a


def _check_transpose(a: np.ndarray, dim0: int = 0, dim1: int = 1, **_: Any) -> None:
    _check_dims(a, dim0)
    _check_dims(a, dim1)


def _index_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    grad = np.zeros(c.a.shape, dtype=np.float64)
    np.add.at(grad, c.attrs["key"], g)
    return grad


def _key_text(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(_part_text(p) for p in parts)


def _part_text(p: Any) -> str:
    if isinstance(p, np.ndarray):
        return "mask"
    if isinstance(p, slice):
        start = "" if p.start is None else str(p.start)
        text = start + ":" + ("" if p.stop is None else str(p.stop))
        return text + ("" if p.step in (None, 1) else f":{p.step}")
    return "None" if p is None else str(p)


def _full_slice(p: Any, size: int) -> bool:
    return (isinstance(p, slice) and p.start in (None, 0) and p.step in (None, 1)
            and (p.stop is None or p.stop >= size))


def _index_grad_fn(shapes: tuple, attrs: dict) -> str:
    if "grad_fn" in attrs:   # a boolean mask: IndexBackward0
        return attrs["grad_fn"]
    key = attrs["key"]
    if not isinstance(key, tuple):
        return "SelectBackward0" if isinstance(key, int | np.integer) else "SliceBackward0"
    # Inside a tuple PyTorch skips full slices (`x[0, :]` is one select); the last part it
    # applies names the node, and with none applied the result is an alias.
    applied = [p for p, n in zip(key, shapes[0], strict=False) if not _full_slice(p, n)]
    if not applied:
        return "AliasBackward0"
    return "SelectBackward0" if isinstance(applied[-1], int | np.integer) else "SliceBackward0"


def _reshape_fwd(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.reshape(a, shape)


def _check_reshape(a: np.ndarray, shape: tuple[int, ...]) -> None:
    try:
        np.empty(a.shape, dtype=np.bool_).reshape(shape)
    except ValueError:
        raise ShapeError(f"shape {list(shape)} is invalid for input of size {a.size}") from None


def _squeeze_fwd(a: np.ndarray, dim: int | None = None) -> np.ndarray:
    if dim is None:
        return np.squeeze(a)
    d = dim % max(a.ndim, 1)
    return np.squeeze(a, axis=d) if a.ndim and a.shape[d] == 1 else a


def _unsqueeze_fwd(a: np.ndarray, dim: int) -> np.ndarray:
    return np.expand_dims(a, dim % (a.ndim + 1))


def _check_unsqueeze(a: np.ndarray, dim: int) -> None:
    if not -(a.ndim + 1) <= dim <= a.ndim:
        raise ArgumentError(f"dim {dim} is out of range for unsqueeze on a tensor with {a.ndim} "
                            f"dimension(s) (expected a value in [{-(a.ndim + 1)}, {a.ndim}])")


# ---------------------------------------------------------------- softmax family and losses


def _softmax(a: np.ndarray, dim: int) -> np.ndarray:
    shifted = a - np.max(a, axis=dim, keepdims=True, initial=-np.inf)
    e = np.exp(shifted)
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax(a: np.ndarray, dim: int) -> np.ndarray:
    shifted = a - np.max(a, axis=dim, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def _softmax_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    s, dim = c.out, c.attrs["dim"]
    return s * (g - np.sum(g * s, axis=dim, keepdims=True))


def _log_softmax_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    dim = c.attrs["dim"]
    return g - np.exp(c.out) * np.sum(g, axis=dim, keepdims=True)


def _picked(logp: np.ndarray, target: np.ndarray) -> tuple[tuple, int]:
    """Index of the target entries in logp, and the count of rows."""
    if logp.ndim == 1:
        return (int(target),), 1
    return (np.arange(logp.shape[0]), target.astype(np.int64)), logp.shape[0]


def _check_nll(logp: np.ndarray, target: np.ndarray, reduction: str = "mean") -> None:
    if target.dtype.kind not in "iu":
        raise ArgumentError("cross_entropy expects class indices as an integer tensor "
                            "(e.g. torch.tensor([0, 2, 1])), got a float tensor")
    if logp.ndim not in (1, 2):
        raise ShapeError(f"cross_entropy expects input of shape (C,) or (N, C), "
                         f"got {fmt_shape(logp.shape)}")
    want = () if logp.ndim == 1 else (logp.shape[0],)
    if target.shape != want:
        raise ShapeError(f"cross_entropy: input {fmt_shape(logp.shape)} needs a target of shape "
                         f"{fmt_shape(want)}, got {fmt_shape(target.shape)}")
    classes = logp.shape[-1]
    bad = target[(target < 0) | (target >= classes)]
    if bad.size:
        raise ArgumentError(f"Target {int(bad.flat[0])} is out of bounds: "
                            f"class indices must be in [0, {classes - 1}]")
    if reduction not in ("mean", "sum", "none"):
        raise ArgumentError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _nll_fwd(logp: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
    idx, n = _picked(logp, target)
    losses = -logp[idx]
    if reduction == "none":
        return np.asarray(losses, dtype=np.float64)
    total = np.sum(losses)
    return np.asarray(total / n if reduction == "mean" else total, dtype=np.float64)


def _nll_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    logp, target, reduction = c.a, c.b, c.attrs.get("reduction", "mean")
    idx, n = _picked(logp, target)
    grad = np.zeros(logp.shape, dtype=np.float64)
    scale = 1.0 / max(n, 1) if reduction == "mean" else 1.0   # an empty batch has no rows
    grad[idx] = -np.asarray(g) * scale
    return grad


def _mse_fwd(a: np.ndarray, b: np.ndarray, reduction: str = "mean") -> np.ndarray:
    sq = (a - b) ** 2
    if reduction == "none":
        return sq
    return np.asarray(np.mean(sq) if reduction == "mean" else np.sum(sq))


def _mse_count(c: Ctx) -> int:
    if c.attrs.get("reduction", "mean") != "mean":
        return 1
    return int(np.prod(np.broadcast_shapes(c.a.shape, c.b.shape), dtype=np.int64))


def _mse_local(sign: float) -> Callable[[Ctx], np.ndarray]:
    return lambda c: sign * 2.0 * (c.a - c.b) / _mse_count(c)


def _check_mse(a: np.ndarray, b: np.ndarray, reduction: str = "mean") -> None:
    _check_broadcast(a, b)
    if reduction not in ("mean", "sum", "none"):
        raise ArgumentError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# ---------------------------------------------------------------- comparisons, masks, dtypes


def _compare(name: str, grad_fn: str, fwd: Callable, symbol: str) -> Op:
    """`a < b` & co: a bool tensor, no gradient to either side (PyTorch records no grad_fn)."""
    return Op(name, grad_fn, fwd, (None, None), saves=False, symbol=symbol,
              check=_check_broadcast, commutative=symbol in ("==", "≠"))


def _where_grad(which: int) -> Callable[[np.ndarray, Ctx], np.ndarray]:
    def vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
        cond = c.inputs[0].astype(bool)
        return np.where(cond if which == 1 else ~cond, g, 0.0)
    return vjp


def _check_where(cond: np.ndarray, a: np.ndarray, b: np.ndarray, **_: Any) -> None:
    if cond.dtype.kind != "b":
        raise ArgumentError("where expected condition to be a boolean tensor, but got a tensor "
                            "with dtype " + ("Float" if cond.dtype.kind == "f" else "Long"))
    _check_result_size(broadcast_shape(broadcast_shape(cond.shape, a.shape), b.shape),
                       "torch.where")


def _to_fwd(a: np.ndarray, **attrs: Any) -> np.ndarray:
    kind = attrs["dtype_name"]
    if attrs.get("from_float32") and a.dtype.kind == "f":   # the float32 numbers it holds
        a = a.astype(np.float32).astype(np.float64)
    if kind == "bool":
        return a.astype(bool)
    if kind == "int64":
        return np.trunc(a).astype(np.int64) if a.dtype.kind == "f" else a.astype(np.int64)
    if kind == "float32":   # stored as float64, holding float32's values
        return a.astype(np.float32).astype(np.float64)
    return a.astype(np.float64)


# ---------------------------------------------------------------- norms, joins, copies


def _norm_fwd(a: np.ndarray, p: Any = 2, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    axis = _axis(dim, a.ndim)
    if p == 1:
        return np.sum(np.abs(a), axis=axis, keepdims=keepdim)
    if p in (float("inf"), "inf"):
        return np.max(np.abs(a), axis=axis, keepdims=keepdim, initial=0.0)
    return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdim))


def _norm_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    p, dim, keepdim = c.attrs.get("p", 2), c.attrs.get("dim"), c.attrs.get("keepdim", False)
    g = _expand_reduced(np.asarray(g), c.a.shape, dim, keepdim)
    if p == 1:
        return g * np.sign(c.a)
    norm = _expand_reduced(np.asarray(c.out), c.a.shape, dim, keepdim)
    if p in (float("inf"), "inf"):   # ties share the gradient, as PyTorch's max does
        hit = (np.abs(c.a) == norm).astype(np.float64)
        count = _expand_reduced(np.sum(hit, axis=_axis(dim, c.a.ndim), keepdims=keepdim),
                                c.a.shape, dim, keepdim)
        return g * np.sign(c.a) * hit / count
    with np.errstate(all="ignore"):   # a zero vector: PyTorch's subgradient 0
        return np.where(norm == 0, 0.0, g * c.a / norm)


def _check_norm(a: np.ndarray, p: Any = 2, dim: Any = None, **_: Any) -> None:
    if p not in (1, 2, "fro", float("inf"), "inf"):
        raise ArgumentError(f"norm(p={p!r}) is not supported in chainrule: p is 1, 2, 'fro' or "
                            "inf")
    _check_dims(a, dim)


def _clamp_fwd(a: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
    out = a
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    return np.array(out, dtype=a.dtype) if out is a else out


def _clamp_local(c: Ctx) -> np.ndarray:
    # PyTorch passes the gradient where min <= a <= max (bounds included)
    lo, hi = c.attrs.get("min"), c.attrs.get("max")
    keep = np.ones(np.shape(c.a), dtype=bool)
    if lo is not None:
        keep &= c.a >= lo
    if hi is not None:
        keep &= c.a <= hi
    return keep.astype(np.float64)


def _check_clamp(a: np.ndarray, min: Any = None, max: Any = None) -> None:  # noqa: A002
    if min is None and max is None:
        raise ArgumentError("torch.clamp: At least one of 'min' or 'max' must not be None")


_erf = np.frompyfunc(math.erf, 1, 1)   # NumPy has no erf; tensors here are small


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _gelu_fwd(a: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * a * (1.0 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))
    return 0.5 * a * (1.0 + np.asarray(_erf(np.asarray(a) / math.sqrt(2)), dtype=np.float64))


def _gelu_local(c: Ctx) -> np.ndarray:
    a = np.asarray(c.a)
    if c.attrs.get("approximate", "none") == "tanh":
        k = math.sqrt(2 / math.pi)
        inner = k * (a + 0.044715 * a ** 3)
        t = np.tanh(inner)
        return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a)
    cdf = 0.5 * (1.0 + np.asarray(_erf(a / math.sqrt(2)), dtype=np.float64))
    return cdf + a * np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)


def _softplus_fwd(a: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    ba = beta * a
    with np.errstate(over="ignore"):
        return np.where(ba > threshold, a, np.log1p(np.exp(np.minimum(ba, threshold))) / beta)


def _softplus_local(c: Ctx) -> np.ndarray:
    beta, threshold = c.attrs.get("beta", 1.0), c.attrs.get("threshold", 20.0)
    ba = beta * np.asarray(c.a)
    return np.where(ba > threshold, 1.0, _sigmoid(ba))


def _silu_local(c: Ctx) -> np.ndarray:
    s = _sigmoid(np.asarray(c.a))
    return s * (1.0 + c.a * (1.0 - s))


def _var_fwd(a: np.ndarray, dim: Any = None, correction: int = 1, keepdim: bool = False,
             root: bool = False) -> np.ndarray:
    axis = _axis(dim, a.ndim)
    out = np.var(a, axis=axis, ddof=correction, keepdims=keepdim)
    return np.sqrt(out) if root else out


def _var_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    dim, keepdim = c.attrs.get("dim"), c.attrs.get("keepdim", False)
    n = _count(c.a.shape, dim) - c.attrs.get("correction", 1)
    mean = np.mean(c.a, axis=_axis(dim, c.a.ndim), keepdims=True)
    g = _expand_reduced(np.asarray(g), c.a.shape, dim, keepdim)
    with np.errstate(all="ignore"):
        if c.attrs.get("root"):
            std = _expand_reduced(np.asarray(c.out), c.a.shape, dim, keepdim)
            return g * (c.a - mean) / (n * std)
        return g * 2.0 * (c.a - mean) / n


def _cumsum_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    if c.a.ndim == 0:
        return g
    d = c.attrs["dim"] % c.a.ndim
    return np.flip(np.cumsum(np.flip(g, d), axis=d), d)


def _cat_fwd(*arrays: np.ndarray, dim: int = 0) -> np.ndarray:
    return np.concatenate(arrays, axis=dim)


def _cat_rule(i: int) -> Rule:
    def vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
        dim = c.attrs.get("dim", 0) % c.inputs[0].ndim
        start = sum(x.shape[dim] for x in c.inputs[:i])
        index = [slice(None)] * g.ndim
        index[dim] = slice(start, start + c.inputs[i].shape[dim])
        return g[tuple(index)]
    return Rule(vjp=vjp, latex=_G + r"\text{, the rows of }$a", text="grad($out), the part of $a")


def _check_cat(*arrays: np.ndarray, dim: int = 0) -> None:
    first = arrays[0]
    if first.ndim == 0:
        raise ShapeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    if not -first.ndim <= dim < first.ndim:
        raise ArgumentError(f"Dimension out of range (expected to be in range of "
                            f"[{-first.ndim}, {first.ndim - 1}], but got {dim})")
    d = dim % first.ndim
    for k, x in enumerate(arrays[1:], start=1):
        if x.ndim != first.ndim or any(x.shape[j] != first.shape[j]
                                       for j in range(first.ndim) if j != d):
            raise ShapeError(f"Sizes of tensors must match except in dimension {d}. Expected "
                             f"size {first.shape} but got size {x.shape} for tensor number {k} "
                             "in the list.")
    joined = list(first.shape)
    joined[d] = sum(x.shape[d] for x in arrays)
    _check_result_size(tuple(joined), "cat()")


def _stack_fwd(*arrays: np.ndarray, dim: int = 0) -> np.ndarray:
    return np.stack(arrays, axis=dim)


def _stack_rule(i: int) -> Rule:
    def vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
        return np.take(g, i, axis=c.attrs.get("dim", 0) % g.ndim)
    return Rule(vjp=vjp, latex=_G + r"\text{, slice of }$a", text="grad($out), the slice of $a")


def _check_stack(*arrays: np.ndarray, dim: int = 0) -> None:
    first = arrays[0]
    for k, x in enumerate(arrays[1:], start=1):
        if x.shape != first.shape:
            raise ShapeError(f"stack expects each tensor to be equal size, but got "
                             f"{list(first.shape)} at entry 0 and {list(x.shape)} at entry {k}")
    if not -(first.ndim + 1) <= dim <= first.ndim:
        raise ArgumentError(f"Dimension out of range (expected to be in range of "
                            f"[{-(first.ndim + 1)}, {first.ndim}], but got {dim})")
    _check_result_size((len(arrays), *first.shape), "stack()")


_VARIADIC: dict[tuple[str, int], Op] = {}


def variadic(name: str, n: int) -> Op:
    """The row of `cat` or `stack` for n inputs (one rule per input, the op table's contract)."""
    op = _VARIADIC.get((name, n))
    if op is None:
        base = OPS[name]
        make = _cat_rule if name == "cat" else _stack_rule
        op = _VARIADIC[(name, n)] = Op(base.name, base.grad_fn, base.forward,
                                       tuple(make(i) for i in range(n)), saves=False,
                                       symbol=base.symbol, check=base.check)
    return op


def _bce_logits_terms(x: np.ndarray, y: np.ndarray, pos_weight: Any = None) -> np.ndarray:
    # log(1 + e^-|x|) + max(-x, 0) is softplus(-x) without overflow; pos_weight scales the
    # positive term (PyTorch's formula): (1 - y)·x + (1 + (pw - 1)·y)·softplus(-x)
    softplus_neg = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)
    if pos_weight is None:
        return (1 - y) * x + softplus_neg
    return (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus_neg


def _weighted(losses: np.ndarray, weight: Any) -> np.ndarray:
    return losses if weight is None else losses * weight


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    return np.asarray(np.mean(losses) if reduction == "mean" else np.sum(losses))


def _loss_count(c: Ctx) -> int:
    if c.attrs.get("reduction", "mean") != "mean":
        return 1
    return int(np.prod(np.broadcast_shapes(c.a.shape, c.b.shape), dtype=np.int64))


def _bce_logits_local(c: Ctx) -> np.ndarray:
    pw = c.attrs.get("pos_weight")
    s = 1.0 / (1.0 + np.exp(-c.a))
    local = s - c.b if pw is None else (1 + (pw - 1) * c.b) * s - pw * c.b
    return _weighted(local, c.attrs.get("weight")) / _loss_count(c)


def _bce_logits_formula(latex: bool) -> Callable[[dict], str]:
    def formula(at: dict) -> str:
        w = at.get("weight") is not None
        if at.get("pos_weight") is not None:
            core = (r"(1 + (p - 1)$b)\,\sigma($a) - p\,$b" if latex
                    else "(1 + (p - 1)·$b)·σ($a) - p·$b")
        else:
            core = r"\sigma($a) - $b" if latex else "σ($a) - $b"
        if latex:
            return rf"\frac{{{'w(' if w else ''}{core}{')' if w else ''}}}{{$n}}"
        return f"{'w·(' if w else '('}{core})/$n"
    return formula


def _bce_fwd(p: np.ndarray, y: np.ndarray, reduction: str = "mean",
             weight: Any = None) -> np.ndarray:
    # PyTorch clamps each log at -100, so p = 0 or 1 gives a finite loss
    losses = -(y * np.maximum(np.log(p), -100.0) + (1 - y) * np.maximum(np.log1p(-p), -100.0))
    return _reduce(_weighted(losses, weight), reduction)


def _bce_local(c: Ctx) -> np.ndarray:
    p, y = c.a, c.b
    local = (p - y) / np.maximum(p * (1 - p), 1e-12)
    return _weighted(local, c.attrs.get("weight")) / _loss_count(c)


def _check_bce(p: np.ndarray, y: np.ndarray, reduction: str = "mean", **_: Any) -> None:
    if p.shape != y.shape:
        raise ShapeError(f"Using a target size ({fmt_shape(y.shape)}) that is different to the "
                         f"input size ({fmt_shape(p.shape)}) is deprecated. Please ensure they "
                         "have the same size.")
    if np.any((p < 0) | (p > 1)):
        raise ArgumentError("all elements of input should be between 0 and 1")


def _check_same_shape(x: np.ndarray, y: np.ndarray, **_: Any) -> None:
    if x.shape != y.shape:
        raise ShapeError(f"Target size ({fmt_shape(y.shape)}) must be the same as input size "
                         f"({fmt_shape(x.shape)})")



# ---------------------------------------------------------------- extremes, products, rows


def _extreme_fwd(least: bool) -> Callable[..., np.ndarray]:
    """max()/min() over everything, or over one dim (the values; the indices are argmax's)."""
    pick = np.min if least else np.max

    def fwd(a: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        if dim is None or a.ndim == 0:
            return pick(a)
        return pick(a, axis=dim % a.ndim, keepdims=keepdim)
    return fwd


def _extreme_mask(least: bool) -> Callable[[Ctx], np.ndarray]:
    def mask(c: Ctx) -> np.ndarray:
        if c.attrs.get("dim") is None or c.a.ndim == 0:
            return _max_mask(c)   # over everything: ties share the gradient
        # over a dim: the gradient goes to the index max(dim) returned (the first extreme)
        axis = c.attrs["dim"] % c.a.ndim
        where = (np.argmin if least else np.argmax)(c.a, axis=axis, keepdims=True)
        out = np.zeros(c.a.shape, dtype=np.float64)
        np.put_along_axis(out, where, 1.0, axis=axis)
        return out
    return mask


def _extreme(name: str, least: bool) -> Op:
    mask = _extreme_mask(least)
    stem = "Min" if least else "Max"

    def vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
        dim = c.attrs.get("dim")
        if dim is not None and c.a.ndim:
            g = _expand_reduced(np.asarray(g), c.a.shape, dim % c.a.ndim,
                                c.attrs.get("keepdim", False))
        return g * mask(c)
    word = "min" if least else "max"
    return Op(name, lambda shapes, at: f"{stem}Backward{1 if at.get('dim') is None else 0}",
              _extreme_fwd(least), (
                  Rule(vjp=vjp, local=mask,
                       latex=rf"[\,$a_i = \{word} $a\,]",
                       text=f"1 where $a_i is the {word}, else 0 (ties share it)"),
              ), saves=True, symbol=word, check=_check_extreme(word))


def _check_one_dim(a: np.ndarray, dim: Any) -> None:
    """One dim, in PyTorch's words (a 0-d tensor takes 0 and -1)."""
    if dim is None:
        return
    nd = max(a.ndim, 1)
    if not -nd <= dim < nd:
        raise ArgumentError(f"Dimension out of range (expected to be in range of [{-nd}, "
                            f"{nd - 1}], but got {dim})", python_type="IndexError")


def _check_extreme(word: str) -> Callable[..., None]:
    def check(a: np.ndarray, dim: Any = None, keepdim: bool = False) -> None:
        if dim is None:
            if a.size == 0:
                raise ArgumentError(f"{word}(): Expected reduction dim to be specified for "
                                    "input.numel() == 0. Specify the reduction dim with the "
                                    "'dim' argument.", python_type="RuntimeError")
            return
        _check_one_dim(a, dim)
        if a.ndim and a.shape[dim % a.ndim] == 0:
            raise ArgumentError(f"{word}(): Expected reduction dim {dim % a.ndim} to have "
                                "non-zero size.", python_type="IndexError")
    return check


def _pairwise(least: bool) -> tuple[Callable[[Ctx], np.ndarray], Callable[[Ctx], np.ndarray]]:
    """maximum/minimum: the gradient goes to the larger (smaller) side, halved at ties, as
    PyTorch's derivatives.yaml writes it."""
    def side(which: int) -> Callable[[Ctx], np.ndarray]:
        def local(c: Ctx) -> np.ndarray:
            mine, other = (c.a, c.b) if which == 0 else (c.b, c.a)
            loses = mine > other if least else mine < other
            out = np.where(mine == other, 0.5, np.where(loses, 0.0, 1.0))
            return np.broadcast_to(out, np.broadcast_shapes(np.shape(c.a), np.shape(c.b)))
        return local
    return side(0), side(1)


def _others_product(a: np.ndarray, axis: int) -> np.ndarray:
    """For each element, the product of the others along `axis` (exclusive prefix times
    exclusive suffix products): exact with zeros, where out / a is not."""
    x = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    ones = np.ones(x.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(x, -1)[..., :-1]], axis=-1),
                               axis=-1), -1)
    return np.moveaxis(left * right, -1, axis)


def _prod_fwd(a: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    if dim is None or a.ndim == 0:
        return np.prod(a)
    return np.prod(a, axis=dim % a.ndim, keepdims=keepdim)


def _prod_local(c: Ctx) -> np.ndarray:
    if c.a.ndim == 0:
        return _filled((), 1.0)
    dim = c.attrs.get("dim")
    if dim is None:
        return _others_product(c.a.reshape(-1), 0).reshape(c.a.shape)
    return _others_product(c.a, dim % c.a.ndim)


def _prod_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    dim = c.attrs.get("dim")
    if dim is not None and c.a.ndim:
        g = _expand_reduced(np.asarray(g), c.a.shape, dim % c.a.ndim,
                            c.attrs.get("keepdim", False))
    return g * _prod_local(c)


def _check_prod(a: np.ndarray, dim: Any = None, keepdim: bool = False) -> None:
    _check_one_dim(a, dim)


def _check_unbind(a: np.ndarray, dim: int, index: int) -> None:
    if a.ndim == 0:
        raise ArgumentError(f"Dimension specified as {dim} but tensor has no dimensions",
                            python_type="IndexError")
    _check_one_dim(a, dim)


def _unbind_fwd(a: np.ndarray, dim: int, index: int) -> np.ndarray:
    return np.take(a, index, axis=dim % a.ndim)


def _unbind_vjp(g: np.ndarray, c: Ctx) -> np.ndarray:
    grad = np.zeros(c.a.shape, dtype=np.float64)
    index = [slice(None)] * c.a.ndim
    index[c.attrs["dim"] % c.a.ndim] = c.attrs["index"]
    grad[tuple(index)] = g
    return grad


def _check_divisor(a: np.ndarray, b: np.ndarray, **_: Any) -> None:
    """Integer `//` and `%` by zero: PyTorch raises (NumPy would give 0 and a warning)."""
    _check_broadcast(a, b)
    if a.dtype.kind in "iub" and b.dtype.kind in "iub" and np.any(b == 0):
        from chainrule.engine.errors import RuntimeProblem
        raise RuntimeProblem("ZeroDivisionError")


def _remainder_b(c: Ctx) -> np.ndarray:
    # d(a - b·floor(a/b))/db = -floor(a/b) (PyTorch's remainder.Tensor formula)
    with np.errstate(all="ignore"):
        return -np.floor_divide(np.asarray(c.a, dtype=np.float64), c.b)


def _fmod_b(c: Ctx) -> np.ndarray:
    # d(a - b·trunc(a/b))/db = -trunc(a/b) (PyTorch's fmod.Tensor formula)
    with np.errstate(all="ignore"):
        return -np.trunc(np.asarray(c.a, dtype=np.float64) / c.b)


def _rounded_div(a: np.ndarray, b: np.ndarray, mode: str = "trunc", **_: Any) -> np.ndarray:
    """div(rounding_mode='trunc' or 'floor'): the quotient rounded toward zero or down;
    integers stay integers."""
    if mode == "floor":
        return np.floor_divide(a, b)
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        q = np.abs(a) // np.abs(b)
        return np.where((a < 0) != (b < 0), -q, q).astype(np.int64)
    with np.errstate(all="ignore"):
        return np.trunc(np.true_divide(a, b))


def _zeros_b(c: Ctx) -> np.ndarray:
    return np.zeros(np.shape(c.b), dtype=np.float64)


def _clamp_tensor_fwd(a: np.ndarray, *bounds: np.ndarray, which: str = "both") -> np.ndarray:
    lo, hi = _bounds(bounds, which)
    out = a
    if lo is not None:
        out = np.maximum(out, lo)
    if hi is not None:
        out = np.minimum(out, hi)
    return out


def _bounds(bounds: tuple, which: str) -> tuple[Any, Any]:
    if which == "both":
        return bounds[0], bounds[1]
    return (bounds[0], None) if which == "min" else (None, bounds[0])


def _clamp_tensor_rule(i: int) -> Rule:
    """ClampBackward0 (tensor bounds): the input passes where min <= a <= max, the lower
    bound where a < min, the upper where a > max (PyTorch's clamp.Tensor formulas)."""
    def local(c: Ctx) -> np.ndarray:
        which = c.attrs.get("which", "both")
        lo, hi = _bounds(c.inputs[1:], which)
        a = c.a
        shape = np.broadcast_shapes(*(np.shape(x) for x in c.inputs))
        if i == 0:
            keep = np.ones(shape, dtype=bool)
            if lo is not None:
                keep = keep & (a >= lo)
            if hi is not None:
                keep = keep & (a <= hi)
        elif i == 1 and which != "max":
            keep = np.broadcast_to(a < lo, shape)
            if hi is not None:
                keep = keep & (lo <= hi)   # min above max: the result is max
        else:
            keep = np.broadcast_to(a > hi, shape)
            if lo is not None:
                keep = keep | (lo > hi)
        return keep.astype(np.float64)
    texts = ((r"[\,\min \le $a \le \max\,]", "1 where min ≤ $a ≤ max, else 0"),
             (r"[\,$a < \min\,]", "1 where $a < min, else 0"),
             (r"[\,\max($a, \min) > \max\,]", "1 where max($a, min) > max, else 0"))
    return Rule(vjp=_times(local), latex=texts[i][0], text=texts[i][1], local=local,
                times_local=True)


def _check_clamp_tensor(a: np.ndarray, *bounds: np.ndarray, which: str = "both") -> None:
    shape = a.shape
    for b in bounds:
        shape = broadcast_shape(shape, b.shape)
    _check_result_size(shape, "this clamp")


_CLAMP_TENSOR: dict[str, Op] = {}


def clamp_tensor(which: str) -> Op:
    """The clamp row for tensor bounds: `which` is "both", "min" or "max" (its inputs: the
    tensor, then the bounds given)."""
    op = _CLAMP_TENSOR.get(which)
    if op is None:
        base = OPS["clamp_tensor"]
        rules = base.rules if which == "both" else (base.rules[0],
                                                    base.rules[1 if which == "min" else 2])
        op = _CLAMP_TENSOR[which] = replace(base, rules=rules)
    return op


def _check_bitwise(a: np.ndarray, b: np.ndarray, **_: Any) -> None:
    for x in (a, b):
        if x.dtype.kind == "f":
            from chainrule.engine.errors import RuntimeProblem
            raise RuntimeProblem('"bitwise_xor_cpu" not implemented for \'Float\'',
                                 python_type="NotImplementedError")
    _check_broadcast(a, b)


def _hardtanh_local(c: Ctx) -> np.ndarray:
    # PyTorch passes the gradient strictly inside (min_val, max_val)
    lo, hi = c.attrs.get("min_val", -1.0), c.attrs.get("max_val", 1.0)
    return ((c.a > lo) & (c.a < hi)).astype(np.float64)


def _check_hardtanh(a: np.ndarray, min_val: float = -1.0, max_val: float = 1.0) -> None:
    if min_val > max_val:
        raise ArgumentError("min_val cannot be greater than max_val", python_type="ValueError")


# ---------------------------------------------------------------- the table

_G = "\\bar{$out}"   # LaTeX for the upstream gradient of the output

OPS: dict[str, Op] = {op.name: op for op in [
    _elementwise_binary(
        "add", "AddBackward0", operator.add, "+",
        (_ones_like_out, "1", "1"),
        (lambda c: _filled(c.b.shape, 1.0), "1", "1"), saves=False, commutative=True),
    _elementwise_binary(
        "sub", _named("SubBackward0"), lambda a, b, **_: a - b, "−",
        (_ones_like_out, "1", "1"),
        (lambda c: _filled(c.b.shape, -1.0), "-1", "-1"), saves=False),
    _elementwise_binary(
        "mul", "MulBackward0", operator.mul, "×",
        (lambda c: _as_f64(c.b), "$b", "$b"),
        (lambda c: c.a if type(c.a) is _F64S else np.asarray(c.a, dtype=np.float64), "$a",
         "$a"), saves=True, commutative=True),
    _elementwise_binary(
        "div", "DivBackward0", operator.truediv, "÷",
        (lambda c: 1.0 / c.b, r"\frac{1}{$b}", "1/$b"),
        (lambda c: -c.a / (c.b * c.b), r"-\frac{$a}{$b^{2}}", "-$a/$b²"), saves=True),
    _elementwise_binary(
        "pow_tensor", _named("PowBackward1"),
        lambda a, b, **_: np.power(a.astype(np.float64), b), "^",
        (_pow_tensor_grad_a, r"$b\,$a^{$b-1}", "$b·$a^($b-1)"),
        (_pow_tensor_grad_b, r"$a^{$b}\ln $a", "$a^$b·ln($a)"), saves=True),
    Op("pow", "PowBackward0", _pow_fwd,
       (Rule(vjp=lambda g, c: g * _pow_local(c), local=_pow_local, times_local=True,
             latex=lambda at: _pow_formula(at, True), text=lambda at: _pow_formula(at, False)),),
       saves=True, symbol="^"),
    _unary("neg", "NegBackward0", np.negative, _const(-1.0), "-1", "-1", saves=False),
    _unary("exp", "ExpBackward0", np.exp, lambda c: c.out, r"e^{$a}", "exp($a)"),
    # `3 / x` is PyTorch's x.reciprocal() * 3 (engine/functional.py, div_operator).
    _unary("reciprocal", "ReciprocalBackward0", lambda a: np.divide(1.0, a),
           lambda c: -c.out * c.out, r"-\frac{1}{$a^{2}}", "-1/$a²"),
    _unary("log", "LogBackward0", np.log, lambda c: 1.0 / c.a, r"\frac{1}{$a}", "1/$a"),
    _unary("sin", "SinBackward0", np.sin, lambda c: np.cos(c.a), r"\cos $a", "cos($a)"),
    _unary("cos", "CosBackward0", np.cos, lambda c: -np.sin(c.a), r"-\sin $a", "-sin($a)"),
    _unary("tanh", "TanhBackward0", np.tanh, lambda c: 1.0 - c.out * c.out,
           r"1-\tanh^{2} $a", "1 - tanh²($a)"),
    _unary("sigmoid", "SigmoidBackward0", lambda a: 1.0 / (1.0 + np.exp(-a)),
           lambda c: c.out * (1.0 - c.out), r"\sigma($a)\,(1-\sigma($a))", "σ($a)·(1 - σ($a))"),
    _unary("relu", "ReluBackward0", _relu_fwd, _relu_local,
           r"[\,$a > 0\,]", "1 if $a > 0 else 0"),
    _unary("sqrt", "SqrtBackward0", np.sqrt, lambda c: 0.5 / c.out,
           r"\frac{1}{2\sqrt{$a}}", "1/(2·sqrt($a))"),
    _unary("abs", "AbsBackward0", np.abs, lambda c: np.sign(c.a).astype(np.float64),
           r"\operatorname{sign}($a)", "sign($a)"),
    Op("matmul", _matmul_grad_fn, lambda a, b, **_: np.matmul(a, b), (
        Rule(vjp=lambda g, c: _matmul_grad(g, c.a, c.b, 0),
             latex=_G + r"\,$b^{\top}", text="grad($out) @ $b.T"),
        Rule(vjp=lambda g, c: _matmul_grad(g, c.a, c.b, 1),
             latex=r"$a^{\top}\," + _G, text="$a.T @ grad($out)"),
    ), saves=True, symbol="@", check=_check_matmul),
    Op("sum", _reduction_grad_fn("Sum"), _sum_fwd, (
        Rule(vjp=lambda g, c: _expand_reduced(g, c.a.shape, c.attrs.get("dim"),
                                              c.attrs.get("keepdim", False)),
             local=_ones_like_out, latex="1", text="1"),
    ), saves=False, symbol="sum", check=_check_dims),
    Op("mean", _reduction_grad_fn("Mean"), _mean_fwd, (
        Rule(vjp=lambda g, c: _expand_reduced(g, c.a.shape, c.attrs.get("dim"),
                                              c.attrs.get("keepdim", False))
             / _count(c.a.shape, c.attrs.get("dim")),
             local=lambda c: np.full(c.a.shape, _inverse(_count(c.a.shape, c.attrs.get("dim")))),
             latex=r"\frac{1}{$n}", text="1/$n"),
    ), saves=False, symbol="mean", check=_check_dims,
       extras=lambda c: {"n": _count(c.a.shape, c.attrs.get("dim"))}),
    _extreme("max", least=False),
    _extreme("min", least=True),
    _elementwise_binary("maximum", "MaximumBackward0", np.maximum, "max",
                        (_pairwise(False)[0], r"[\,$a > $b\,]", "1 where $a > $b (½ at ties)"),
                        (_pairwise(False)[1], r"[\,$b > $a\,]", "1 where $b > $a (½ at ties)"),
                        saves=True, commutative=True),
    _elementwise_binary("minimum", "MinimumBackward0", np.minimum, "min",
                        (_pairwise(True)[0], r"[\,$a < $b\,]", "1 where $a < $b (½ at ties)"),
                        (_pairwise(True)[1], r"[\,$b < $a\,]", "1 where $b < $a (½ at ties)"),
                        saves=True, commutative=True),
    Op("prod", _reduction_grad_fn("Prod"), _prod_fwd, (
        Rule(vjp=_prod_vjp, local=_prod_local, latex=r"\textstyle\prod_{j \ne i} $a_j",
             text="the product of the other elements"),
    ), saves=True, symbol="prod", check=_check_prod),
    Op("unbind", "UnbindBackward0", _unbind_fwd, (
        Rule(vjp=_unbind_vjp, latex=_G + r"\text{ placed at }[$index]\text{, 0 elsewhere}",
             text="grad($out) placed at row $index (along dim $dim), 0 elsewhere"),
    ), saves=False, symbol="unbind", check=_check_unbind),
    # PyTorch records floor_divide with a node it names NotImplemented: no derivative
    Op("floor_divide", "NotImplemented", np.floor_divide, (None, None), saves=False,
       symbol="//", check=_check_divisor,
       no_derivative="derivative for aten::floor_divide is not implemented"),
    replace(_elementwise_binary(
        "remainder", _named("RemainderBackward1"), lambda a, b, **_: np.remainder(a, b), "%",
        (_ones_like_out, "1", "1"),
        (_remainder_b, r"-\lfloor $a / $b \rfloor", "-floor($a / $b)"), saves=True),
        check=_check_divisor),
    replace(_elementwise_binary(
        "fmod", _named("FmodBackward1"), lambda a, b, **_: np.fmod(a, b), "fmod",
        (_ones_like_out, "1", "1"),
        (_fmod_b, r"-\operatorname{trunc}($a / $b)", "-trunc($a / $b)"), saves=True),
        check=_check_divisor),
    # div(rounding_mode='trunc' | 'floor'): PyTorch's DivBackward2, whose gradient is 0 almost
    # everywhere (unlike `//`, floor_divide, which has no derivative at all)
    replace(_elementwise_binary(
        "div_rounding", "DivBackward2", _rounded_div, "÷",
        (lambda c: np.zeros(np.shape(c.a), dtype=np.float64), "0", "0"),
        (_zeros_b, "0", "0"), saves=True), check=_check_divisor),
    Op("clamp_tensor", "ClampBackward0", _clamp_tensor_fwd,
       tuple(_clamp_tensor_rule(i) for i in range(3)), saves=True, symbol="clamp",
       check=_check_clamp_tensor),
    replace(_compare("bitwise_xor", "BitwiseXorBackward0", np.bitwise_xor, "^"),
            check=_check_bitwise, commutative=True),
    replace(_unary("hardtanh", "HardtanhBackward0",
                   lambda a, min_val=-1.0, max_val=1.0: np.clip(a, min_val, max_val),
                   _hardtanh_local, r"[\,\text{min} < $a < \text{max}\,]",
                   "1 where min < $a < max, else 0"), check=_check_hardtanh),
    Op("reshape", "ViewBackward0", _reshape_fwd, (
        Rule(vjp=_reshape_back, latex=_G + r"\text{ reshaped to }$a\text{'s shape}",
             text="grad($out) reshaped to the shape of $a"),
    ), saves=False, symbol="reshape", check=_check_reshape),
    Op("unsqueeze", "UnsqueezeBackward0", _unsqueeze_fwd, (
        Rule(vjp=_reshape_back, latex=_G + r"\text{ with dim }$dim\text{ removed}",
             text="grad($out) with dim $dim removed"),
    ), saves=False, symbol="unsqueeze", check=_check_unsqueeze),
    Op("squeeze", lambda s, at: "SqueezeBackward0" if at.get("dim") is None else "SqueezeBackward1",
       _squeeze_fwd, (
        Rule(vjp=_reshape_back, latex=_G + r"\text{ reshaped to }$a\text{'s shape}",
             text="grad($out) reshaped to the shape of $a"),
    ), saves=False, symbol="squeeze", check=_check_dims),
    Op("transpose", lambda s, at: at.get("grad_fn", "TransposeBackward0"), _transpose_fwd, (
        Rule(vjp=lambda g, c: _transpose_fwd(g, c.attrs.get("dim0", 0), c.attrs.get("dim1", 1)),
             latex=_G + r"^{\top}", text="grad($out) transposed back"),
    ), saves=False, symbol="transpose", check=_check_transpose),
    Op("index", _index_grad_fn, lambda a, key, **_: a[key], (
        Rule(vjp=_index_vjp, latex=r"\bar{$out}\text{ placed at }[$where]\text{, 0 elsewhere}",
             text="grad($out) placed at [$where], 0 elsewhere"),
    ), saves=False, symbol="[ ]", extras=lambda c: {"where": _key_text(c.attrs["key"])}),
    Op("softmax", "SoftmaxBackward0", lambda a, dim: _softmax(a, dim), (
        Rule(vjp=_softmax_vjp, latex=r"$out \odot (" + _G + r" - \textstyle\sum_j " + _G
             + r"_j\,$out_j)", text="$out * (grad($out) - sum(grad($out) * $out, dim=$dim))"),
    ), saves=True, symbol="softmax", check=_check_dims),
    Op("log_softmax", "LogSoftmaxBackward0", lambda a, dim: _log_softmax(a, dim), (
        Rule(vjp=_log_softmax_vjp,
             latex=_G + r" - e^{$out} \textstyle\sum_j " + _G + "_j",
             text="grad($out) - exp($out) * sum(grad($out), dim=$dim)"),
    ), saves=True, symbol="log_softmax", check=_check_dims),
    Op("nll_loss", "NllLossBackward0", _nll_fwd, (
        Rule(vjp=_nll_vjp,
             latex=r"-\frac{[\,j = t_i\,]}{$n}\," + _G,
             text="-grad($out)/$n at each row's target class, 0 elsewhere"),
        None,
    ), saves=True, symbol="nll_loss", check=_check_nll,
       extras=lambda c: {"n": _picked(c.a, c.b)[1] if c.attrs.get("reduction", "mean") == "mean"
                         else 1}),
    _compare("eq", "EqBackward0", np.equal, "=="),
    _compare("ne", "NeBackward0", np.not_equal, "≠"),
    _compare("lt", "LtBackward0", np.less, "<"),
    _compare("le", "LeBackward0", np.less_equal, "≤"),
    _compare("gt", "GtBackward0", np.greater, ">"),
    _compare("ge", "GeBackward0", np.greater_equal, "≥"),
    _compare("logical_and", "LogicalAndBackward0",
             lambda a, b: np.logical_and(a, b), "and"),
    _compare("logical_or", "LogicalOrBackward0", lambda a, b: np.logical_or(a, b), "or"),
    _compare("logical_xor", "LogicalXorBackward0", lambda a, b: np.logical_xor(a, b), "xor"),
    Op("logical_not", "LogicalNotBackward0", lambda a: np.logical_not(a), (None,),
       saves=False, symbol="not"),
    Op("all", "AllBackward0", lambda a: np.asarray(np.all(a)), (None,), saves=False,
       symbol="all"),
    Op("any", "AnyBackward0", lambda a: np.asarray(np.any(a)), (None,), saves=False,
       symbol="any"),
    Op("where", "WhereBackward0", lambda cond, a, b: np.where(cond.astype(bool), a, b), (
        None,
        Rule(vjp=_where_grad(1), latex=r"[\,\text{cond}\,]", text="1 where cond, else 0"),
        Rule(vjp=_where_grad(2), latex=r"[\,\lnot\text{cond}\,]",
             text="1 where not cond, else 0"),
    ), saves=True, symbol="where", check=_check_where),
    Op("to", "ToCopyBackward0", _to_fwd, (
        Rule(vjp=lambda g, c: g, local=_ones_like_out, times_local=True, latex="1", text="1"),
    ), saves=False, symbol="to"),
    replace(_unary("clamp", "ClampBackward1", _clamp_fwd, _clamp_local,
                   r"[\,\min \le $a \le \max\,]", "1 where min ≤ $a ≤ max, else 0"),
            check=_check_clamp),
    _unary("log1p", "Log1PBackward0", np.log1p, lambda c: 1.0 / (1.0 + c.a),
           r"\frac{1}{1 + $a}", "1/(1 + $a)"),
    _unary("expm1", "Expm1Backward0", np.expm1, lambda c: c.out + 1.0, r"e^{$a}", "exp($a)"),
    _unary("silu", "SiluBackward0", lambda a: a * _sigmoid(a), _silu_local,
           r"\sigma($a)\,(1 + $a(1-\sigma($a)))", "σ($a)·(1 + $a·(1 - σ($a)))"),
    _unary("gelu", "GeluBackward0", _gelu_fwd, _gelu_local,
           r"\Phi($a) + $a\,\varphi($a)", "Φ($a) + $a·φ($a)"),
    _unary("softplus", "SoftplusBackward0", _softplus_fwd, _softplus_local,
           r"\sigma(\beta $a)", "σ(β·$a)"),
    _unary("leaky_relu", "LeakyReluBackward0",
           lambda a, negative_slope=0.01: np.where(a > 0, a, a * negative_slope),
           lambda c: np.where(np.asarray(c.a) > 0, 1.0, c.attrs.get("negative_slope", 0.01)),
           r"[\,$a > 0\,] + \alpha\,[\,$a \le 0\,]", "1 if $a > 0 else slope"),
    Op("var", lambda shapes, at: "StdBackward0" if at.get("root") else "VarBackward0",
       _var_fwd, (
           Rule(vjp=_var_vjp, latex=r"\frac{2($a - \bar{$a})}{N - c}",
                text="2·($a - mean($a))/(N - correction), over std for std()"),
       ), saves=True, symbol="var", check=_check_dims),
    Op("argmax", "ArgmaxBackward0", lambda a, dim=None, keepdim=False, least=False:
       (np.argmin if least else np.argmax)(a, axis=dim, keepdims=keepdim if dim is not None
                                           else False), (None,), saves=False,
       symbol="argmax", check=_check_dims),
    Op("cumsum", "CumsumBackward0", lambda a, dim: np.cumsum(a, axis=dim % max(a.ndim, 1))
       if a.ndim else np.asarray(a), (
           Rule(vjp=_cumsum_vjp, latex=r"\textstyle\sum_{j \ge i} " + _G + "_j",
                text="sum of grad($out) from each position to the end (along dim $dim)"),
       ), saves=False, symbol="cumsum", check=_check_dims),
    Op("norm", "LinalgVectorNormBackward0", _norm_fwd, (
        Rule(vjp=_norm_vjp, latex=r"\frac{$a}{\lVert $a \rVert}", text="$a / norm($a)"),
    ), saves=True, symbol="norm", check=_check_norm),
    Op("cat", "CatBackward0", _cat_fwd, (_cat_rule(0), _cat_rule(1)), saves=False,
       symbol="cat", check=_check_cat),
    Op("stack", "StackBackward0", _stack_fwd, (_stack_rule(0), _stack_rule(1)), saves=False,
       symbol="stack", check=_check_stack),
    _unary("clone", "CloneBackward0", np.copy, _ones_like_out, "1", "1", saves=False),
    Op("bce_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
       lambda x, y, reduction="mean", weight=None, pos_weight=None: _reduce(
           _weighted(_bce_logits_terms(x, y, pos_weight), weight), reduction), (
           Rule(vjp=lambda g, c: g * _bce_logits_local(c), local=_bce_logits_local,
                times_local=True, latex=_bce_logits_formula(True),
                text=_bce_logits_formula(False)),
           None,
       ), saves=True, symbol="bce", check=_check_same_shape,
       extras=lambda c: {"n": _loss_count(c)}),
    Op("binary_cross_entropy", "BinaryCrossEntropyBackward0", _bce_fwd, (
        Rule(vjp=lambda g, c: g * _bce_local(c), local=_bce_local, times_local=True,
             latex=lambda at: (r"\frac{w($a - $b)}{$a(1-$a)\,$n}" if at.get("weight")
                               is not None else r"\frac{$a - $b}{$a(1-$a)\,$n}"),
             text=lambda at: ("w·" if at.get("weight") is not None else "")
             + "($a - $b)/($a·(1 - $a)·$n)"),
        None,
    ), saves=True, symbol="bce", check=_check_bce, extras=lambda c: {"n": _loss_count(c)}),
    Op("mse_loss", "MseLossBackward0", _mse_fwd, (
        Rule(vjp=lambda g, c: g * _mse_local(1.0)(c), local=_mse_local(1.0), times_local=True,
             latex=r"\frac{2($a - $b)}{$n}", text="2·($a - $b)/$n"),
        Rule(vjp=lambda g, c: g * _mse_local(-1.0)(c), local=_mse_local(-1.0),
             times_local=True,
             latex=r"-\frac{2($a - $b)}{$n}", text="-2·($a - $b)/$n"),
    ), saves=True, symbol="mse_loss", check=_check_mse, extras=lambda c: {"n": _mse_count(c)}),
]}
# exp and powers reach float32's limits from inputs a learner types (the log-sum-exp lesson:
# log(1 + exp(100)) is inf and its gradient nan); products of ordinary numbers do not, so
# mul, div and matmul skip the check (a few µs per large tensor).
for _name in ("exp", "expm1", "pow", "pow_tensor", "reciprocal", "prod"):
    OPS[_name] = replace(OPS[_name], leaves_float32_range=True)
_MINUS_ONE = np.float64(-1.0)
# micrograd's ops, on float64 scalars (tests/engine/test_perf_paths.py holds them to the rules)
for _name, _locals in (
        ("add", lambda a, b, out: (_ONE, _ONE)),
        ("sub", lambda a, b, out: (_ONE, _MINUS_ONE)),
        ("mul", lambda a, b, out: (b, a)),
        ("neg", lambda a, out: (_MINUS_ONE,)),
        ("relu", lambda a, out: (_ONE if a > 0.0 else _ZERO,)),
        ("tanh", lambda a, out: (1.0 - out * out,))):
    OPS[_name] = replace(OPS[_name], scalar_locals=_locals)
