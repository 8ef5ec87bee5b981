"""Every op and every function of `engine.functional`, end to end against PyTorch (float64).

Each case is one expression written once, `call(m, *inputs)`, and run twice: with `m` our
functional module on our tensors and with `m` a namespace of the same names over torch. The
two runs must agree on output shape, dtype kind, values, `requires_grad`, the `grad_fn` name
(on the tensor and on its record), the names of every backward node in the graph, and, after
backward with the same random `gradient`, the gradient of every input.
Torch is only imported here, never from `engine/` or `app/`.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from chainrule.engine import functional as F
from chainrule.engine.backward import backward, reachable_records
from chainrule.engine.errors import ArgumentError, BackwardError, ChainruleError, ShapeError
from chainrule.engine.ops import OPS
from chainrule.engine.tensor import Tape, Tensor, recording

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

DT = torch.float64

# ---------------------------------------------------------------- the torch side


def _squeeze(x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    return x.squeeze() if dim is None else x.squeeze(dim)


def _tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> torch.Tensor:
    dt = {"float": DT, "long": torch.int64, None: None}[dtype]
    t = torch.tensor(data, dtype=dt)
    if t.is_floating_point():
        t = t.to(DT)
    return t.requires_grad_(requires_grad)


def _sized(fn: Callable) -> Callable:
    return lambda *size, requires_grad=False: fn(*size, dtype=DT, requires_grad=requires_grad)


TORCH = SimpleNamespace(
    add=torch.add, sub=torch.sub, mul=torch.mul, div=torch.div, neg=torch.neg, pow=torch.pow,
    matmul=torch.matmul, exp=torch.exp, log=torch.log, sin=torch.sin, cos=torch.cos,
    tanh=torch.tanh, sigmoid=torch.sigmoid, relu=torch.relu, sqrt=torch.sqrt, abs=torch.abs,
    sum=torch.sum, mean=torch.mean, max=torch.max,
    reshape=lambda x, *s: x.reshape(*s), view=lambda x, *s: x.view(*s),
    unsqueeze=torch.unsqueeze, squeeze=_squeeze, transpose=torch.transpose, t=torch.t,
    T=lambda x: x.T, index=lambda x, key: x[key], detach=torch.detach,
    softmax=TF.softmax, log_softmax=TF.log_softmax, nll_loss=TF.nll_loss,
    cross_entropy=TF.cross_entropy, mse_loss=TF.mse_loss,
    tensor=_tensor, zeros=_sized(torch.zeros), ones=_sized(torch.ones),
    randn=_sized(torch.randn), rand=_sized(torch.rand), randint=torch.randint,
    arange=torch.arange, manual_seed=lambda n: None,
    eq=torch.eq, ne=torch.ne, lt=torch.lt, le=torch.le, gt=torch.gt, ge=torch.ge,
    logical_and=torch.logical_and, logical_or=torch.logical_or,
    logical_not=torch.logical_not, all_of=torch.all, any_of=torch.any, where=torch.where,
    to_dtype=lambda x, name: x.to(getattr(torch, name)),
    norm=lambda x, p="fro", dim=None, keepdim=False: torch.norm(x, p, dim, keepdim),
    cat=torch.cat, stack=torch.stack, clone=torch.clone, outer=torch.outer, cumsum=torch.cumsum,
    var=lambda x, dim=None, correction=1, keepdim=False, root=False:
        (torch.std if root else torch.var)(x, dim, correction=correction, keepdim=keepdim),
    argmax=lambda x, dim=None, keepdim=False, least=False:
        (torch.argmin if least else torch.argmax)(x, dim, keepdim),
    clamp=torch.clamp, log1p=torch.log1p, expm1=torch.expm1, bmm=torch.bmm,
    silu=lambda x: TF.silu(x), softplus=lambda x, **k: TF.softplus(x, **k),
    gelu=lambda x, **k: TF.gelu(x, **k), leaky_relu=lambda x, **k: TF.leaky_relu(x, **k),
    linear=TF.linear, full=lambda shape, v: torch.full(shape, v, dtype=DT),
    binary_cross_entropy_with_logits=TF.binary_cross_entropy_with_logits,
    binary_cross_entropy=TF.binary_cross_entropy,
    linspace=lambda a, b, n: torch.linspace(a, b, n, dtype=DT),
    eye=lambda n, m=None: torch.eye(n, n if m is None else m, dtype=DT),
    min=torch.min, maximum=torch.maximum, minimum=torch.minimum, prod=torch.prod,
    unbind=torch.unbind, floor_divide=torch.floor_divide, remainder=torch.remainder,
    hardtanh=lambda x, **k: TF.hardtanh(x, **k), relu6=TF.relu6, l1_loss=TF.l1_loss,
    logical_xor=torch.logical_xor, rows=iter, fmod=torch.fmod,
    div_rounding=lambda a, b, mode: torch.div(a, b, rounding_mode=mode),
    bitwise_xor=torch.bitwise_xor,
)

# Helpers of engine.functional that are not PyTorch functions.
# div_operator: Python's `/`; numbers_of: torch.tensor's reading of nested lists; sized:
# the size check of every creation function
NOT_TORCH = {"is_number", "lift", "describe", "div_operator", "numbers_of", "sized"}


# ---------------------------------------------------------------- cases


class Const:
    """A float input that does not require grad (a target, a fixed matrix)."""

    def __init__(self, data: Any) -> None:
        self.data = np.asarray(data, dtype=np.float64)


@dataclass
class Case:
    id: str
    call: Callable[..., Any]
    inputs: tuple
    # Where our graph deliberately differs from PyTorch's: our grad_fn name, and why.
    ours_grad_fn: str | None = None
    why: str = ""
    # Why PyTorch's graph has extra nodes where ours has one ("" when the graphs match).
    one_node: str = ""


MATMUL_VIEWS = "torch's matmul wraps mm/bmm in views and expands; we show one matmul node"
PER_DIM = "torch records one select/slice node per indexed dim; we show one index node"


RNG = np.random.default_rng(1234)


def rn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def pos(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, shape)


def away(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, shape) * RNG.choice([-1.0, 1.0], shape)


def ints(*values: Any) -> np.ndarray:
    return np.array(values, dtype=np.int64)


WITH_ZERO = np.array([[-1.5, 0.0, 2.0], [0.0, 0.5, -0.25]])
TIES_1D = np.array([1.0, 3.0, 3.0, 2.0])
MASK_A = np.array([[True, False, True], [False, False, True]])
MASK_B = np.array([[True, True, False], [False, True, True]])
TIES_2D = np.array([[4.0, 1.0, 4.0], [4.0, -2.0, 0.0]])

CASES: list[Case] = [
    # arithmetic, broadcasting, numbers on either side
    Case("add", lambda m, a, b: m.add(a, b), (rn(2, 3), rn(2, 3))),
    Case("add-bias", lambda m, a, b: a + b, (rn(2, 3), rn(3))),
    Case("add-bias-left", lambda m, a, b: b + a, (rn(2, 3), rn(3))),
    Case("add-outer", lambda m, a, b: a + b, (rn(2, 1), rn(1, 3))),
    Case("add-scalar-tensor", lambda m, a, b: a + b, (rn(), rn(2, 3))),
    Case("add-number", lambda m, a: a + 2, (rn(3),)),
    Case("radd-number", lambda m, a: 2.5 + a, (rn(3),)),
    Case("sub", lambda m, a, b: m.sub(a, b), (rn(2, 3), rn(3))),
    Case("sub-number", lambda m, a: a - 2, (rn(3),)),
    Case("rsub-number", lambda m, a: 1 - a, (rn(2, 3),)),
    Case("mul", lambda m, a, b: m.mul(a, b), (rn(2, 3), rn(2, 3))),
    Case("mul-bias", lambda m, a, b: a * b, (rn(4, 3), rn(3))),
    Case("mul-same-leaf", lambda m, a: a * a, (rn(3),)),
    Case("mul-number", lambda m, a: 3 * a, (rn(2, 2),)),
    Case("div", lambda m, a, b: m.div(a, b), (rn(2, 3), away(2, 3))),
    Case("div-bias", lambda m, a, b: a / b, (rn(2, 3), away(3))),
    Case("div-number", lambda m, a: a / 2, (rn(3),)),
    # PyTorch (2.13) records `2 / x` as MulBackward0 over ReciprocalBackward0; so do we.
    Case("rdiv-number", lambda m, a: 2 / a, (away(3),)),
    Case("rdiv-float-0d", lambda m, a: 0.5 / a, (away(),)),
    Case("rdiv-tensor", lambda m, a, b: a / b, (rn(), away(2, 3))),
    Case("div-number-first", lambda m, a: m.div(2, a), (away(3),)),
    Case("neg", lambda m, a: m.neg(a), (rn(2, 3),)),
    Case("neg-op", lambda m, a: -a, (rn(),)),
    Case("sub-neg-chain", lambda m, a, b: -(a - b) * a / (b * b + 1), (rn(3), rn(2, 3))),
    # pow: number exponents (incl. 0, 1, 2, 0.5, -1 at base 0) and tensor exponents
    *[Case(f"pow-{p}", lambda m, a, p=p: a ** p, (np.array([0.0, 0.5, 1.5, 3.0]),))
      for p in (0, 1, 2, 3, 0.5, -1, -2.5)],
    Case("pow-negative-base", lambda m, a: m.pow(a, 3), (np.array([-2.0, -0.5, 0.0, 1.5]),)),
    Case("pow-2-matrix", lambda m, a: m.pow(a, 2), (rn(2, 3),)),
    Case("pow-tensor", lambda m, a, b: m.pow(a, b), (pos(2, 3), rn(2, 3))),
    Case("pow-tensor-broadcast", lambda m, a, b: a ** b, (pos(2, 3), rn(3))),
    Case("pow-tensor-base-0", lambda m, a, b: a ** b,
         (np.array([0.0, 0.0, 0.0, 2.0, 3.0]), np.array([0.0, 2.0, -1.0, 0.5, -1.0]))),
    Case("pow-tensor-const-exponent", lambda m, a, b: a ** b,
         (np.array([0.0, 0.0, 1.5]), Const([0.0, 3.0, 2.0]))),
    Case("rpow-number", lambda m, a: 2 ** a, (rn(3),)),
    Case("pow-0d-base-tensor", lambda m, a, b: a ** b, (pos(), rn(3))),
    # elementwise
    *[Case(f"{fn}-{len(s)}d", lambda m, a, fn=fn: getattr(m, fn)(a), (rn(*s),))
      for fn in ("exp", "sin", "cos", "tanh", "sigmoid") for s in ((), (3,), (2, 3))],
    *[Case(f"{fn}-{len(s)}d", lambda m, a, fn=fn: getattr(m, fn)(a), (pos(*s),))
      for fn in ("log", "sqrt") for s in ((), (3,), (2, 3))],
    Case("relu-at-0", lambda m, a: m.relu(a), (WITH_ZERO,)),
    Case("abs-at-0", lambda m, a: m.abs(a), (WITH_ZERO,)),
    Case("relu-0d-at-0", lambda m, a: m.relu(a), (np.array(0.0),)),
    Case("abs-0d-at-0", lambda m, a: m.abs(a), (np.array(0.0),)),
    Case("relu-int", lambda m, a: m.relu(a), (ints(-1, 0, 2),)),
    Case("abs-int", lambda m, a: m.abs(a), (ints(-1, 0, 2),)),
    # matmul: 1-D/2-D/batched combinations
    Case("matmul-dot", lambda m, a, b: m.matmul(a, b), (rn(3), rn(3))),
    Case("matmul-mv", lambda m, a, b: a @ b, (rn(2, 3), rn(3))),
    Case("matmul-vm", lambda m, a, b: a @ b, (rn(3), rn(3, 4)), one_node=MATMUL_VIEWS),
    Case("matmul-mm", lambda m, a, b: a @ b, (rn(2, 3), rn(3, 4))),
    Case("matmul-mm-const", lambda m, a, b: a @ b, (rn(2, 3), Const(rn(3, 4)))),
    *[Case(f"matmul-{sa}-{sb}", lambda m, a, b: a @ b, (rn(*sa), rn(*sb)), one_node=MATMUL_VIEWS)
      for sa, sb in (((2, 2, 3), (2, 3, 4)), ((2, 2, 3), (1, 3, 4)), ((2, 2, 3), (3, 4)),
                     ((2, 2, 3), (3,)), ((3,), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 4)))],
    Case("matmul-2d-by-batched", lambda m, a, b: a @ b, (rn(2, 3), rn(2, 3, 4)),
         ours_grad_fn="UnsafeViewBackward0",
         why="PyTorch's node here (CloneBackward0 or TransposeBackward0) depends on which "
             "inputs require grad; our name depends on the shapes only"),
    Case("linear-layer", lambda m, x, w, b: m.tanh(x @ m.t(w) + b),
         (rn(4, 3), rn(2, 3), rn(2))),
    # reductions
    Case("sum", lambda m, a: m.sum(a), (rn(2, 3),)),
    Case("sum-0d", lambda m, a: m.sum(a), (rn(),)),
    *[Case(f"{fn}-dim{d}-keep{k}", lambda m, a, fn=fn, d=d, k=k: getattr(m, fn)(a, d, k),
           (rn(2, 3, 4),))
      for fn in ("sum", "mean") for d in (0, 1, -1, (0, 1), (0, -1), (-1, -3), (2, 0))
      for k in (False, True)],
    Case("sum-dim-kw", lambda m, a: m.sum(a, dim=1, keepdim=True), (rn(2, 3),)),
    Case("mean", lambda m, a: m.mean(a), (rn(2, 3),)),
    Case("mean-0d", lambda m, a: m.mean(a), (rn(),)),
    *[Case(f"{fn}-0d-dim{d}", lambda m, a, fn=fn, d=d: getattr(m, fn)(a, d), (rn(),))
      for fn in ("sum", "mean") for d in (0, -1)],
    *[Case(f"{fn}-empty-dims-keep{k}", lambda m, a, fn=fn, k=k: getattr(m, fn)(a, (), k),
           (rn(2, 3),)) for fn in ("sum", "mean") for k in (False, True)],
    Case("sum-int", lambda m, a: m.sum(a), (ints(1, 2, 3),)),
    Case("sum-int-dim", lambda m, a: m.sum(a, 0), (np.arange(6, dtype=np.int64).reshape(2, 3),)),
    Case("max", lambda m, a: m.max(a), (rn(2, 3),)),
    Case("max-0d", lambda m, a: m.max(a), (rn(),)),
    Case("max-ties-1d", lambda m, a: m.max(a), (TIES_1D,)),
    Case("max-ties-2d", lambda m, a: m.max(a), (TIES_2D,)),
    Case("max-all-equal", lambda m, a: m.max(a), (np.full((2, 2), 0.5),)),
    # shapes
    Case("reshape-minus-1", lambda m, a: m.reshape(a, -1), (rn(2, 3),)),
    Case("reshape-tuple", lambda m, a: m.reshape(a, (3, -1)), (rn(2, 3),)),
    Case("reshape-3d", lambda m, a: m.reshape(a, 2, 2, 1), (rn(4),)),
    Case("reshape-0d", lambda m, a: m.reshape(a, 1, 1), (rn(),)),
    Case("view", lambda m, a: m.view(a, 6), (rn(2, 3),)),
    Case("view-minus-1", lambda m, a: m.view(a, -1, 2), (rn(2, 3),)),
    *[Case(f"unsqueeze-{d}", lambda m, a, d=d: m.unsqueeze(a, d), (rn(2, 3),))
      for d in (0, 1, 2, -1, -3)],
    Case("unsqueeze-0d", lambda m, a: m.unsqueeze(a, 0), (rn(),)),
    Case("squeeze", lambda m, a: m.squeeze(a), (rn(1, 3, 1),)),
    *[Case(f"squeeze-{d}", lambda m, a, d=d: m.squeeze(a, d), (rn(1, 3, 1),))
      for d in (0, 2, -1, 1)],
    Case("unsqueeze-squeeze", lambda m, a: m.squeeze(m.unsqueeze(a, 0), 0), (rn(3),)),
    Case("t", lambda m, a: m.t(a), (rn(2, 3),)),
    Case("t-1d", lambda m, a: m.t(a), (rn(3),)),
    Case("t-0d", lambda m, a: m.t(a), (rn(),)),
    Case("T", lambda m, a: m.T(a), (rn(2, 3),)),
    Case("T-1d", lambda m, a: m.T(a), (rn(3),)),
    Case("transpose", lambda m, a: m.transpose(a, 0, 1), (rn(2, 3),)),
    Case("transpose-neg", lambda m, a: m.transpose(a, -1, 0), (rn(2, 3, 4),)),
    Case("transpose-12", lambda m, a: m.transpose(a, 1, 2), (rn(2, 3, 4),)),
    Case("transpose-then-matmul", lambda m, a, b: m.transpose(a, 0, 1) @ b, (rn(3, 2), rn(3, 4))),
    # indexing: ints (negative too), slices, tuples
    *[Case(f"index-1d-{k}", lambda m, a, k=k: m.index(a, k), (rn(5),))
      for k in (1, -1, slice(1, 3), slice(None, None, 2), slice(2, None), slice(None),
                slice(-3, None), slice(0, 10))],
    *[Case(f"index-2d-{k}", lambda m, a, k=k: m.index(a, k), (rn(3, 4),))
      for k in (0, -1, (slice(None), 1), (0, slice(None)), (slice(None), slice(None)),
                (slice(None), -1), (0, slice(0, 4)), (0, slice(0, 10)), (slice(0, 3),),
                slice(0, 3), (slice(None), slice(1, 3)), (slice(1, 3), slice(None)))],
    *[Case(f"index-2d-{k}", lambda m, a, k=k: m.index(a, k), (rn(3, 4),), one_node=PER_DIM)
      for k in ((0, 1), (-1, -2), (slice(1, 3), 0), (0, slice(1, 3)),
                (slice(1, None), slice(None, 2)), (0, slice(-4, None)))],
    Case("index-3d", lambda m, a: m.index(a, (0, slice(None), 1)), (rn(2, 3, 4),),
         one_node=PER_DIM),
    Case("index-twice", lambda m, a: m.index(m.index(a, 1), -1) * m.index(a, (0, 0)),
         (rn(2, 3),), one_node=PER_DIM),
    # detach
    Case("detach", lambda m, a: m.detach(a), (rn(3),)),
    Case("detach-times-self", lambda m, a: m.detach(a) * a, (rn(3),)),
    # softmax family and losses
    *[Case(f"{fn}-{s}-dim{d}", lambda m, a, fn=fn, d=d: getattr(m, fn)(a, dim=d), (rn(*s),))
      for fn in ("softmax", "log_softmax")
      for s, d in (((4,), 0), ((4,), -1), ((2, 3), 0), ((2, 3), 1), ((2, 3), -1),
                   ((2, 3, 4), 1), ((2, 3), None), ((2, 3, 4), None), ((4,), None))],
    *[Case(f"cross_entropy-2d-{r}", lambda m, x, t, r=r: m.cross_entropy(x, t, reduction=r),
           (rn(4, 3), ints(0, 2, 1, 2))) for r in ("mean", "sum", "none")],
    *[Case(f"cross_entropy-1d-{r}", lambda m, x, t, r=r: m.cross_entropy(x, t, reduction=r),
           (rn(3), np.array(2, dtype=np.int64))) for r in ("mean", "sum", "none")],
    Case("cross_entropy-one-row", lambda m, x, t: m.cross_entropy(x, t), (rn(1, 5), ints(3))),
    Case("cross_entropy-unsqueezed", lambda m, x, t: m.cross_entropy(m.unsqueeze(x, 0), t),
         (rn(3), ints(1))),
    *[Case(f"nll_loss-{r}", lambda m, x, t, r=r: m.nll_loss(m.log_softmax(x, 1), t, reduction=r),
           (rn(4, 3), ints(2, 0, 0, 1))) for r in ("mean", "sum", "none")],
    *[Case(f"mse_loss-{r}", lambda m, a, b, r=r: m.mse_loss(a, b, reduction=r),
           (rn(2, 3), rn(2, 3))) for r in ("mean", "sum", "none")],
    Case("mse_loss-const-target", lambda m, a, b: m.mse_loss(a, b), (rn(4), Const(rn(4)))),
    Case("mse_loss-0d", lambda m, a, b: m.mse_loss(a, b), (rn(), rn())),
    Case("mse_loss-broadcast", lambda m, a, b: m.mse_loss(a, b), (rn(2, 3), rn(3)),
         one_node="torch expands the target first (ExpandBackward0)"),
    # integer tensors mixed with float ones: the ints never get a gradient
    Case("float-times-int", lambda m, a, i: a * i, (rn(3), ints(0, 2, 1))),
    Case("int-plus-float", lambda m, i, a: i + a, (ints(1, 2, 3), rn(2, 3))),
    Case("int-pow-2", lambda m, i: i ** 2, (ints(1, -2, 3),)),
    Case("index-by-int-rows", lambda m, a: m.index(a, -1) + m.index(a, 0), (rn(3, 2),)),
    # comparisons and masks: bool tensors, no gradient; where and masks pass gradients
    *[Case(f"{name}-broadcast", lambda m, a, b, name=name: getattr(m, name)(a, b),
           (WITH_ZERO, np.array([0.0, 0.5, 2.0]))) for name in ("eq", "ne", "lt", "le", "gt",
                                                               "ge")],
    Case("gt-number", lambda m, a: m.gt(a, 0), (WITH_ZERO,)),
    *[Case(name, lambda m, a, b, name=name: getattr(m, name)(a, b), (MASK_A, MASK_B))
      for name in ("logical_and", "logical_or")],
    Case("logical_not", lambda m, a: m.logical_not(a), (MASK_A,)),
    Case("all", lambda m, a: m.all_of(a), (MASK_A,)),
    Case("any", lambda m, a: m.any_of(a), (MASK_A,)),
    Case("where", lambda m, c, a, b: m.where(c, a, b), (MASK_A, rn(2, 3), rn(3))),
    Case("where-of-comparison", lambda m, a: m.where(m.gt(a, 0), a, a * 3), (WITH_ZERO,)),
    Case("index-by-mask", lambda m, a: m.index(a, m.gt(a, 0)), (WITH_ZERO,)),
    Case("to-int64", lambda m, a: m.to_dtype(a, "int64"), (np.array([-1.5, 0.25, 2.75]),)),
    # norms, joins, copies, binary cross-entropy
    Case("norm", lambda m, a: m.norm(a), (rn(2, 3),)),
    Case("norm-p1-dim", lambda m, a: m.norm(a, 1, 1), (rn(2, 3),)),
    Case("norm-dim-keepdim", lambda m, a: m.norm(a, 2, (0, 2), True), (rn(2, 3, 4),)),
    Case("norm-of-zero", lambda m, a: m.norm(a * 0), (rn(3),)),
    Case("cat-rows", lambda m, a, b: m.cat([a, b]), (rn(1, 3), rn(2, 3))),
    Case("cat-columns-three", lambda m, a, b: m.cat((a, b, a), dim=1), (rn(2, 1), rn(2, 3))),
    Case("stack", lambda m, a, b: m.stack([a, b], dim=1), (rn(2, 3), rn(2, 3))),
    Case("clone", lambda m, a: m.clone(a) * 2, (rn(3),)),
    Case("cumsum", lambda m, a: m.cumsum(a, 1), (rn(2, 4),)),
    Case("clamp", lambda m, a: m.clamp(a, -0.5, 0.5), (np.array([-1.0, -0.5, 0.2, 0.5, 2.0]),)),
    Case("clamp-min", lambda m, a: m.clamp(a, min=0.0), (rn(2, 3),)),
    # tensor bounds: ClampBackward0, the bounds get gradients (min above max included)
    Case("clamp-tensors", lambda m, a, lo, hi: m.clamp(a, lo, hi),
         (np.array([-3.0, 3.0, 1.5, 0.2]), np.array([0.0, 0.0, 2.0, 1.0]),
          np.array([1.0, 1.0, 3.0, -1.0]))),
    Case("clamp-tensor-min", lambda m, a, lo: m.clamp(a, min=lo), (rn(2, 3), rn(3))),
    Case("clamp-tensor-max", lambda m, a, hi: m.clamp(a, max=hi), (rn(2, 3), rn(2, 1))),
    Case("log1p", lambda m, a: m.log1p(a), (pos(3),)),
    Case("var", lambda m, a: m.var(a), (rn(2, 3),)),
    Case("var-dim-biased", lambda m, a: m.var(a, 1, 0, True), (rn(2, 3),)),
    Case("std", lambda m, a: m.var(a, root=True), (rn(4),)),
    Case("std-dim", lambda m, a: m.var(a, 0, root=True), (rn(3, 2),)),
    Case("argmax", lambda m, a: m.argmax(a), (rn(2, 3),)),
    Case("argmin-dim", lambda m, a: m.argmax(a, 1, True, least=True), (rn(2, 3),)),
    Case("expm1", lambda m, a: m.expm1(a), (rn(3),)),
    Case("silu", lambda m, a: m.silu(a), (rn(2, 3),)),
    Case("gelu", lambda m, a: m.gelu(a), (rn(2, 3),)),
    Case("gelu-tanh", lambda m, a: m.gelu(a, approximate="tanh"), (rn(2, 3),)),
    Case("softplus", lambda m, a: m.softplus(a, beta=2.0, threshold=1.0), (rn(2, 3),)),
    Case("leaky_relu", lambda m, a: m.leaky_relu(a, negative_slope=0.2), (away(2, 3),)),
    Case("bmm", lambda m, a, b: m.bmm(a, b), (rn(2, 3, 4), rn(2, 4, 5))),
    Case("linear", lambda m, x, w, b: m.linear(x, w, b), (rn(4, 3), rn(2, 3), rn(2)),
         ours_grad_fn="AddBackward0",
         why="torch fuses the product and the bias (AddmmBackward0); ours shows t, matmul, add"),
    Case("cumsum-first-dim", lambda m, a: m.cumsum(a, 0), (rn(3, 2),)),
    Case("outer", lambda m, a, b: m.outer(a, b), (rn(3), rn(4)),
         one_node="our outer shows the column view (ViewBackward0) before the product"),
    *[Case(f"bce_with_logits-{r}",
           lambda m, x, y, r=r: m.binary_cross_entropy_with_logits(x, y, reduction=r),
           (rn(2, 3), Const(RNG.uniform(0, 1, (2, 3))))) for r in ("mean", "sum", "none")],
    # max/min over a dim: values (MaxBackward0) and int64 indices; maximum/minimum (ties halve)
    *[Case(f"{fn}-dim{d}-keep{k}", lambda m, a, fn=fn, d=d, k=k: getattr(m, fn)(a, d, k)[0],
           (rn(2, 3, 4),)) for fn in ("max", "min") for d in (0, 1, -1) for k in (False, True)],
    Case("max-dim-values", lambda m, a: m.max(a, dim=1).values * 2, (rn(3, 4),)),
    Case("min-dim-indices", lambda m, a: m.min(a, 0).indices, (rn(3, 4),)),
    Case("max-dim-indices-keep", lambda m, a: m.max(a, 1, True).indices, (rn(3, 4),)),
    Case("max-dim-ties", lambda m, a: m.max(a, 1)[0], (TIES_2D,)),
    Case("max-0d-dim", lambda m, a: m.max(a, 0)[0], (rn(),)),
    Case("min", lambda m, a: m.min(a), (rn(2, 3),)),
    Case("min-ties", lambda m, a: m.min(a), (np.array([2.0, 1.0, 1.0, 3.0]),)),
    *[Case(f"{fn}-ties", lambda m, a, b, fn=fn: getattr(m, fn)(a, b),
           (np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]))) for fn in ("maximum",
                                                                             "minimum")],
    *[Case(f"{fn}-broadcast", lambda m, a, b, fn=fn: getattr(m, fn)(a, b), (rn(2, 3), rn(3)))
      for fn in ("maximum", "minimum")],
    # prod: exact with zeros (one zero, two zeros in a slice)
    Case("prod", lambda m, a: m.prod(a), (rn(2, 3),)),
    Case("prod-one-zero", lambda m, a: m.prod(a), (np.array([2.0, 0.0, -1.5, 3.0]),)),
    Case("prod-two-zeros", lambda m, a: m.prod(a), (np.array([2.0, 0.0, 0.0, 3.0]),)),
    *[Case(f"prod-dim{d}-keep{k}", lambda m, a, d=d, k=k: m.prod(a, d, k),
           (np.array([[1.5, 0.0, 3.0], [2.0, -1.0, 0.5]]),)) for d in (0, 1, -1)
      for k in (False, True)],
    # unbind: one UnbindBackward0 node in torch for all slices; ours records one per slice
    Case("unbind-one", lambda m, a: m.unbind(a, 1)[1] * 2, (rn(2, 3),)),
    Case("rows", lambda m, a: [r * k for k, r in enumerate(m.rows(a))][2], (rn(3, 2),)),
    Case("unbind-all", lambda m, a: m.stack(list(m.unbind(a)), 1), (rn(3, 2),),
         one_node="torch's unbind is one node with three outputs; ours is one node per slice"),
    # // and %: floor_divide has no derivative (torch: a NotImplemented node)
    Case("floor_divide", lambda m, a: m.floor_divide(a, 2), (Const([5.0, -7.0, 3.5]),)),
    Case("floor_divide-int", lambda m, a: m.floor_divide(a, 2), (ints(5, -7, 3),)),
    Case("remainder-number", lambda m, a: m.remainder(a, 2), (rn(2, 3) * 3,)),
    Case("remainder-tensor", lambda m, a, b: m.remainder(a, b), (rn(2, 3) * 3, away(3))),
    Case("remainder-int", lambda m, a: m.remainder(a, -2), (ints(5, -7, 3),)),
    Case("hardtanh", lambda m, a: m.hardtanh(a), (np.array([-2.0, -1.0, -0.5, 0.0, 1.0, 1.5]),)),
    Case("hardtanh-bounds", lambda m, a: m.hardtanh(a, min_val=-0.5, max_val=2.0), (rn(2, 3),)),
    Case("relu6", lambda m, a: m.relu6(a), (np.array([-1.0, 0.0, 3.0, 6.0, 7.0]),)),
    *[Case(f"l1_loss-{r}", lambda m, a, b, r=r: m.l1_loss(a, b, reduction=r),
           (rn(2, 3), rn(2, 3))) for r in ("mean", "sum", "none")],
    Case("logical_xor", lambda m, a, b: m.logical_xor(a, b), (MASK_A, MASK_B)),
    Case("bitwise_xor-bool", lambda m, a, b: m.bitwise_xor(a, b), (MASK_A, MASK_B)),
    Case("bitwise_xor-int", lambda m, a: m.bitwise_xor(a, 3), (ints(5, -7, 3),)),
    # fmod: C's remainder, the dividend's sign (FmodBackward0 with a number, 1 with a tensor)
    Case("fmod-number", lambda m, a: m.fmod(a, 2), (rn(2, 3) * 3,)),
    Case("fmod-tensor", lambda m, a, b: m.fmod(a, b), (rn(2, 3) * 3, away(3))),
    Case("fmod-int", lambda m, a: m.fmod(a, -2), (ints(5, -7, 3),)),
    # div(rounding_mode='trunc' | 'floor'): DivBackward2, gradient 0 to both sides
    Case("div-trunc", lambda m, a, b: m.div_rounding(a, b, "trunc"), (rn(2, 3) * 3, away(3))),
    Case("div-trunc-int", lambda m, a: m.div_rounding(a, 2, "trunc"), (ints(5, -7, 3),)),
    Case("div-floor", lambda m, a, b: m.div_rounding(a, b, "floor"), (rn(2, 3) * 3, away(3))),
    Case("div-floor-int", lambda m, a: m.div_rounding(a, -2, "floor"), (ints(5, -7, 3),)),
    Case("bce_with_logits-weights", lambda m, x, y: m.binary_cross_entropy_with_logits(
        x, y, weight=m.tensor([[2.0], [0.5]]), pos_weight=m.tensor([3.0, 1.0, 0.25])),
         (rn(2, 3), Const(RNG.uniform(0, 1, (2, 3))))),
    Case("bce_with_logits-pos_weight-sum", lambda m, x, y: m.binary_cross_entropy_with_logits(
        x, y, reduction="sum", pos_weight=m.tensor([3.0, 1.0, 0.25])),
         (rn(2, 3), Const(RNG.uniform(0, 1, (2, 3))))),
    Case("binary_cross_entropy-weight", lambda m, x, y: m.binary_cross_entropy(
        x, y, weight=m.tensor([0.5, 2.0, 1.0, 3.0])),
         (RNG.uniform(0.1, 0.9, (4,)), Const(RNG.uniform(0, 1, (4,))))),
    *[Case(f"binary_cross_entropy-{r}",
           lambda m, x, y, r=r: m.binary_cross_entropy(x, y, reduction=r),
           (RNG.uniform(0.1, 0.9, (4,)), Const(RNG.uniform(0, 1, (4,)))))
      for r in ("mean", "sum", "none")],
]

CASE_PARAMS = [pytest.param(c, id=c.id) for c in CASES]


# ---------------------------------------------------------------- running both sides


def _ours_leaf(x: Any) -> Tensor:
    if isinstance(x, Const):
        return Tensor(x.data.copy())
    return Tensor(np.array(x), requires_grad=np.asarray(x).dtype.kind == "f")


def _torch_leaf(x: Any) -> torch.Tensor:
    if isinstance(x, Const):
        return torch.tensor(x.data, dtype=DT)
    arr = np.array(x)
    if arr.dtype.kind == "f":
        return torch.tensor(arr, dtype=DT, requires_grad=True)
    if arr.dtype.kind == "b":
        return torch.tensor(arr)
    return torch.tensor(arr, dtype=torch.int64)


def torch_graph(t: torch.Tensor) -> Counter:
    """The names of every backward node under `t` (leaves' AccumulateGrad left out)."""
    names: Counter = Counter()
    seen: set = set()
    stack = [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        if type(fn).__name__ != "AccumulateGrad":
            names[type(fn).__name__] += 1
        stack.extend(nxt for nxt, _ in fn.next_functions)
    return names


def ours_graph(t: Tensor) -> Counter:
    return Counter(rec.grad_fn for rec in reachable_records(t))


def assert_close(ours: np.ndarray, theirs: torch.Tensor, what: str) -> None:
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape, f"{what}: shape {ours.shape} vs {expected.shape}"
    assert (np.asarray(ours).dtype.kind == "b") == (expected.dtype.kind == "b"), what
    ours, expected = np.asarray(ours, dtype=np.float64), expected.astype(np.float64)
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_matches_torch(case: Case) -> None:
    rng = np.random.default_rng(7)
    with recording(Tape()):
        leaves = [_ours_leaf(x) for x in case.inputs]
        out = case.call(F, *leaves)
        seed = rng.standard_normal(out.shape)
        if out.requires_grad:
            backward(out, gradient=Tensor(seed))
    t_leaves = [_torch_leaf(x) for x in case.inputs]
    t_out = case.call(TORCH, *t_leaves)

    # forward
    assert out.shape == tuple(t_out.shape)
    assert out.is_float == t_out.is_floating_point()
    assert_close(out.data, t_out, "forward value")
    assert out.requires_grad == t_out.requires_grad
    theirs_fn = None if t_out.grad_fn is None else type(t_out.grad_fn).__name__
    assert out.grad_fn == (case.ours_grad_fn or theirs_fn), case.why
    if out.requires_grad:
        assert out.record.grad_fn == out.grad_fn
        if case.ours_grad_fn is None and not case.one_node:
            assert ours_graph(out) == torch_graph(t_out)

    # backward
    if t_out.requires_grad:
        t_out.backward(torch.tensor(seed, dtype=DT))
        assert out.is_leaf == t_out.is_leaf
        if not out.is_leaf:
            assert out.grad is None
    for i, (leaf, t_leaf) in enumerate(zip(leaves, t_leaves, strict=True)):
        assert leaf.requires_grad == t_leaf.requires_grad
        if t_leaf.grad is None:
            assert leaf.grad is None, f"input {i} should get no gradient"
        else:
            assert leaf.grad is not None, f"input {i} got no gradient"
            assert_close(leaf.grad.data, t_leaf.grad, f"gradient of input {i}")


# ---------------------------------------------------------------- coverage


class _Spy:
    """Our functional module, noting which names a case reaches for."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.used.add(name)
        return getattr(F, name)


CREATION = [
    ("tensor-float", lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]])),
    ("tensor-int", lambda m: m.tensor([0, 2, 1])),
    ("tensor-mixed", lambda m: m.tensor([1, 2.5])),
    ("tensor-0d", lambda m: m.tensor(3.0, requires_grad=True)),
    ("tensor-0d-int", lambda m: m.tensor(3)),
    ("tensor-dtype-float", lambda m: m.tensor([1, 2], dtype="float")),
    ("tensor-dtype-long", lambda m: m.tensor([1.0, 2.0], dtype="long")),
    ("zeros", lambda m: m.zeros(2, 3)),
    ("zeros-tuple", lambda m: m.zeros((2, 3))),
    ("ones", lambda m: m.ones(3, requires_grad=True)),
    ("ones-0d", lambda m: m.ones(())),
    ("arange", lambda m: m.arange(5)),
    ("arange-step", lambda m: m.arange(1, 7, 2)),
    ("arange-float", lambda m: m.arange(0.0, 1.0, 0.25)),
    ("linspace", lambda m: m.linspace(-1.0, 2.0, 7)),
    ("eye", lambda m: m.eye(3)),
    ("full", lambda m: m.full((2, 3), 1.5)),
    ("eye-rectangular", lambda m: m.eye(2, 4)),
]
RANDOM = [
    ("randn", lambda m: m.randn(2, 3)),
    ("randn-grad", lambda m: m.randn(4, requires_grad=True)),
    ("rand", lambda m: m.rand(3, 2)),
    ("randint", lambda m: m.randint(0, 5, (10,))),
    ("randint-high-only", lambda m: m.randint(3, size=(2, 2))),
]


def test_every_op_and_function_is_compared() -> None:
    spy, ops_seen = _Spy(), set()
    for case in CASES:
        with recording(Tape()) as tape:
            case.call(spy, *[_ours_leaf(x) for x in case.inputs])
        ops_seen |= {rec.op.name for rec in tape.records}
    for _, make in CREATION + RANDOM:
        make(spy)
    spy.used |= {"manual_seed"}   # test_manual_seed_repeats
    public = {name for name, fn in inspect.getmembers(F, inspect.isfunction)
              if fn.__module__ == F.__name__ and not name.startswith("_")} - NOT_TORCH
    public |= {"view", "T"}
    assert ops_seen == set(OPS)
    assert public - spy.used == set()
    assert all(hasattr(TORCH, name) for name in spy.used)


@pytest.mark.parametrize(("name", "make"), CREATION, ids=[c[0] for c in CREATION])
def test_creation_matches_torch(name: str, make: Callable) -> None:
    ours, theirs = make(F), make(TORCH)
    assert ours.shape == tuple(theirs.shape)
    assert ours.is_float == theirs.is_floating_point()
    assert ours.requires_grad == theirs.requires_grad
    assert ours.is_leaf and theirs.is_leaf
    assert_close(ours.data, theirs, name)


@pytest.mark.parametrize(("name", "make"), RANDOM, ids=[c[0] for c in RANDOM])
def test_random_creation_matches_torch_in_kind(name: str, make: Callable) -> None:
    ours, theirs = make(F), make(TORCH)
    assert ours.shape == tuple(theirs.shape)
    assert ours.is_float == theirs.is_floating_point()
    assert ours.requires_grad == theirs.requires_grad
    if name == "rand":
        assert ((ours.data >= 0) & (ours.data < 1)).all()
    if name.startswith("randint"):
        assert ours.data.dtype == np.int64
        assert ((ours.data >= 0) & (ours.data < (5 if name == "randint" else 3))).all()


def test_manual_seed_repeats() -> None:
    with recording(Tape()):
        F.manual_seed(3)
        first = F.randn(4).data
        F.manual_seed(3)
        again = F.randn(4).data
        other = F.randn(4).data
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


# ---------------------------------------------------------------- integer tensors


@pytest.mark.parametrize("make", [
    lambda m: m.tensor([0, 2, 1]), lambda m: m.randint(0, 3, (4,)), lambda m: m.arange(4),
    lambda m: m.sum(m.tensor([1, 2])), lambda m: m.relu(m.tensor([-1, 2])),
])
def test_integer_tensors_never_require_grad(make: Callable) -> None:
    ours, theirs = make(F), make(TORCH)
    assert ours.data.dtype == np.int64 and theirs.dtype == torch.int64
    assert ours.requires_grad is False and theirs.requires_grad is False
    assert ours.grad_fn is None


def test_integer_tensor_cannot_require_grad() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([0, 1], requires_grad=True)
    with pytest.raises(ArgumentError, match="floating-point"):
        F.tensor([0, 1], requires_grad=True)
    with pytest.raises(ChainruleError, match="floating-point"):
        Tensor(np.array([0, 1]), requires_grad=True)


# ---------------------------------------------------------------- shape errors name both shapes


@pytest.mark.parametrize(("fn", "sa", "sb"), [
    ("add", (2, 3), (2,)), ("sub", (2, 3), (2,)), ("mul", (2,), (2, 3)), ("div", (2, 3), (4,)),
    ("pow", (2, 3), (2,)), ("mse_loss", (2, 3), (2,)), ("add", (2, 3, 4), (3, 3, 4)),
    ("matmul", (2, 3), (2,)), ("matmul", (2, 3), (4, 5)), ("matmul", (3,), (2,)),
    ("matmul", (2, 3, 4), (3, 4, 5)), ("matmul", (), (3,)), ("matmul", (2, 4, 3), (2,)),
])
def test_shape_mismatch_names_both_shapes(fn: str, sa: tuple, sb: tuple) -> None:
    with pytest.raises(RuntimeError):
        getattr(TORCH, fn)(torch.ones(sa, dtype=DT), torch.ones(sb, dtype=DT))
    with pytest.raises(ShapeError) as err, recording(Tape()):
        getattr(F, fn)(Tensor(np.ones(sa)), Tensor(np.ones(sb)))
    message = str(err.value)
    for shape in (sa, sb):
        text = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
        assert text in message, f"{text} missing from {message!r}"


INVALID = {
    "sum-repeated-dim": lambda m, x: m.sum(x, (0, 0)),
    "mean-repeated-dim": lambda m, x: m.mean(x, (1, -1)),
    "sum-dim-2": lambda m, x: m.sum(x, 2),
    "mean-dim-minus-3": lambda m, x: m.mean(x, -3),
    "softmax-dim-2": lambda m, x: m.softmax(x, 2),
    "transpose-dim-2": lambda m, x: m.transpose(x, 0, 2),
    "unsqueeze-3": lambda m, x: m.unsqueeze(x, 3),
    "squeeze-minus-3": lambda m, x: m.squeeze(x, -3),
    "reshape-4": lambda m, x: m.reshape(x, 4),
    "view-minus-1-4": lambda m, x: m.view(x, -1, 4),
    "index-out-of-bounds": lambda m, x: m.index(x, (0, 5)),
    "index-minus-3": lambda m, x: m.index(x, -3),
    "index-too-many": lambda m, x: m.index(x, (0, 1, 2)),
    "t-3d": lambda m, x: m.t(m.unsqueeze(x, 0)),
    "cross_entropy-class-3": lambda m, x: m.cross_entropy(x, m.tensor([0, 3])),
    "cross_entropy-float-target": lambda m, x: m.cross_entropy(x, m.tensor([0.0, 1.0])),
    "cross_entropy-target-length": lambda m, x: m.cross_entropy(x, m.tensor([0, 1, 2])),
    "cross_entropy-3d": lambda m, x: m.cross_entropy(m.unsqueeze(x, 0), m.tensor([0])),
    "max-empty": lambda m, x: m.max(m.index(x, slice(0, 0))),
    "matmul-number": lambda m, x: m.matmul(x, 2.0),
}


@pytest.mark.parametrize("call", INVALID.values(), ids=INVALID.keys())
def test_invalid_calls_fail_in_both(call: Callable) -> None:
    """Where PyTorch raises, we raise one of our own errors (never a bare NumPy one)."""
    with pytest.raises((RuntimeError, IndexError, ValueError, TypeError)):
        call(TORCH, torch.ones(2, 3, dtype=DT, requires_grad=True))
    with pytest.raises(ChainruleError), recording(Tape()):
        call(F, Tensor(np.ones((2, 3)), requires_grad=True))


# ---------------------------------------------------------------- backward semantics


def _pair(value: Any) -> tuple[Tensor, torch.Tensor]:
    return (Tensor(np.array(value, dtype=np.float64), requires_grad=True),
            torch.tensor(value, dtype=DT, requires_grad=True))


def _torch_error(fn: Callable[[], Any]) -> str:
    with pytest.raises(RuntimeError) as err:
        fn()
    return str(err.value)


def test_two_graphs_sharing_a_leaf_accumulate() -> None:
    (x, tx), (w, tw) = _pair([1.0, -2.0, 0.5]), _pair([0.3, 0.7, -1.1])
    with recording(Tape()):
        backward(F.sum(x * w))
        backward(F.sum(F.tanh(x) * x))
    (tx * tw).sum().backward()
    (torch.tanh(tx) * tx).sum().backward()
    assert_close(x.grad.data, tx.grad, "x.grad")
    assert_close(w.grad.data, tw.grad, "w.grad")


def test_second_backward_through_saved_tensors_fails_like_torch() -> None:
    (x, tx), (w, tw) = _pair([1.0, 2.0]), _pair([0.5, -0.5])
    ty = torch.tanh(tx * tw).sum()
    ty.backward()
    expected = _torch_error(ty.backward)
    with recording(Tape()):
        y = F.sum(F.tanh(x * w))
        backward(y)
        first = x.grad.data.copy()
        with pytest.raises(BackwardError) as err:
            backward(y)
    assert str(err.value) == expected
    np.testing.assert_array_equal(x.grad.data, first)   # the failed pass added nothing


# PyTorch saves no tensors for these, so their graphs can be walked again.
NOTHING_SAVED = [
    lambda m, x: m.sum(x), lambda m, x: m.mean(x + 1.0), lambda m, x: m.sum(-x - 2.0),
    lambda m, x: m.sum(m.index(m.reshape(x, -1), slice(0, 2))),
    lambda m, x: m.sum(m.squeeze(m.unsqueeze(x, 0), 0)), lambda m, x: m.mean(m.t(x) + x),
]
# These save inputs or outputs: a second pass fails in both.
SAVES = [
    lambda m, x: m.sum(x * 2.0), lambda m, x: m.sum(m.exp(x)), lambda m, x: m.sum(x ** 2),
    lambda m, x: m.sum(m.relu(x)), lambda m, x: m.max(x), lambda m, x: m.sum(m.softmax(x, 0)),
    lambda m, x: m.sum(m.sum(x) * 1.0), lambda m, x: m.sum(x / 3.0),
    lambda m, x: m.mse_loss(x, x * 0.0), lambda m, x: x @ x,
]


@pytest.mark.parametrize("make", NOTHING_SAVED)
def test_second_backward_without_saved_tensors_accumulates(make: Callable) -> None:
    x, tx = _pair([1.0, 2.0, 3.0])
    ty = make(TORCH, tx)
    ty.backward()
    ty.backward()
    with recording(Tape()):
        y = make(F, x)
        backward(y)
        backward(y)
    assert_close(x.grad.data, tx.grad, "x.grad after two passes")


@pytest.mark.parametrize("make", SAVES)
def test_second_backward_through_saved_tensors_fails(make: Callable) -> None:
    x, tx = _pair([1.0, 2.0, 3.0])
    ty = make(TORCH, tx)
    ty.backward()
    expected = _torch_error(ty.backward)
    with recording(Tape()):
        y = make(F, x)
        backward(y)
        with pytest.raises(BackwardError) as err:
            backward(y)
    assert str(err.value) == expected
    assert_close(x.grad.data, tx.grad, "x.grad after one pass")


def test_retain_graph_allows_a_second_pass() -> None:
    (x, tx), (w, tw) = _pair([1.0, 2.0]), _pair([0.5, -0.5])
    ty = torch.tanh(tx * tw).sum()
    ty.backward(retain_graph=True)
    ty.backward()
    third = _torch_error(ty.backward)
    with recording(Tape()):
        y = F.sum(F.tanh(x * w))
        backward(y, retain_graph=True)
        backward(y)
        with pytest.raises(BackwardError) as err:
            backward(y)
    assert str(err.value) == third
    assert_close(x.grad.data, tx.grad, "x.grad")
    assert_close(w.grad.data, tw.grad, "w.grad")


def test_backward_on_a_leaf_twice() -> None:
    x, tx = _pair(3.0)
    tx.backward()
    tx.backward()
    with recording(Tape()):
        backward(x)
        backward(x)
    assert_close(x.grad.data, tx.grad, "x.grad")


def test_backward_without_grad_message_equals_torch() -> None:
    expected = _torch_error(lambda: torch.ones(2, dtype=DT).sum().backward())
    with recording(Tape()), pytest.raises(BackwardError) as err:
        backward(F.sum(Tensor(np.ones(2))))
    assert str(err.value) == expected
    with recording(Tape()), pytest.raises(BackwardError) as err:
        backward(F.detach(F.sum(Tensor(np.ones(2), requires_grad=True))))
    assert str(err.value) == expected


def test_non_scalar_backward_message_equals_torch() -> None:
    x, tx = _pair([1.0, 2.0])
    expected = _torch_error(lambda: (tx * 2.0).backward())
    with recording(Tape()), pytest.raises(BackwardError) as err:
        backward(x * 2.0)
    assert str(err.value) == expected
    assert x.grad is None


@pytest.mark.parametrize("gradient", [[1.0, -2.0, 0.5], [[0.5, 1.0, 2.0], [-1.0, 0.0, 3.0]]])
def test_gradient_argument_for_non_scalar_backward(gradient: list) -> None:
    g = np.array(gradient)
    x, tx = _pair([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    tb = torch.tensor([0.1, 0.2, 0.3], dtype=DT, requires_grad=True)
    b = Tensor(tb.detach().numpy().copy(), requires_grad=True)
    rows = g.ndim == 1
    t_out = (torch.sin(tx) * tb)[0] if rows else torch.sin(tx) * tb
    t_out.backward(torch.tensor(g, dtype=DT))
    with recording(Tape()):
        out = F.sin(x) * b
        out = F.index(out, 0) if rows else out
        backward(out, gradient=F.tensor(gradient))
    assert_close(x.grad.data, tx.grad, "x.grad")
    assert_close(b.grad.data, tb.grad, "b.grad")


def test_gradient_argument_of_the_wrong_shape_fails() -> None:
    x, tx = _pair([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (tx * 2.0).backward(torch.ones(3, dtype=DT))
    with recording(Tape()), pytest.raises(BackwardError, match="Mismatch in shape"):
        backward(x * 2.0, gradient=np.ones(3))


def test_grad_of_non_leaf_is_none_and_leaf_flags_match() -> None:
    x, tx = _pair([1.0, 2.0])
    ty = tx * 3.0
    tz = ty.sum()
    tz.backward()
    with recording(Tape()):
        y = x * 3.0
        backward(F.sum(y))
    assert (x.is_leaf, y.is_leaf) == (tx.is_leaf, ty.is_leaf) == (True, False)
    assert y.grad is None and ty.grad is None
    assert F.detach(y).is_leaf == ty.detach().is_leaf
