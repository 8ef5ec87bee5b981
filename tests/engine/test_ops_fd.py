"""A finite-difference check generated from every row of the op table.

For each sample of each op: build leaves, `apply` the op on a recording tape, form
L = sum(out * R) for a fixed random R, run `engine.backward.backward`, and compare the
gradient of every input that has a rule with central differences of L through the op's own
`forward`. Rules that declare a `local` derivative are also compared with the numeric
derivative d sum(out) / d input, element by element.

A row of `OPS` without samples here fails `test_every_op_has_samples`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from chainrule.engine import functional as F
from chainrule.engine.backward import backward
from chainrule.engine.ops import OPS, Ctx
from chainrule.engine.tensor import Tape, Tensor, apply, recording

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-6

# Input domains: how each input's values are drawn.
ANY = "any"            # standard normal
POS = "positive"       # in [0.5, 2]: log, sqrt, fractional powers
AWAY = "away"          # |x| in [0.5, 2] with random sign: kinks (relu, abs) and divisors
CLASSES = "classes"    # int64 class indices in [0, C) where C is the last dim of input 0
MASK = "mask"          # bool: where's condition, logical ops
UNIT = "unit"          # a target in [0, 1] (binary cross-entropy); never differentiated
UNIT_OPEN = "open"     # a probability in [0.1, 0.9]
ZEROS = "zeros"        # standard normal with about a third of the entries exactly 0 (prod)
# Ops with no gradient at all (bool results): their forward is checked against NumPy's, and
# every rule is None.
NO_GRADIENT = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not",
               "logical_xor", "all", "any", "argmax", "floor_divide", "bitwise_xor"}


@dataclass(frozen=True)
class Sample:
    shapes: tuple[tuple[int, ...], ...]
    attrs: dict = field(default_factory=dict)
    domains: tuple[str, ...] = ()

    def domain(self, i: int) -> str:
        return self.domains[i] if i < len(self.domains) else ANY


SCALAR, VEC, MAT, CUBE = (), (4,), (2, 3), (2, 3, 4)
UNARY_SHAPES = (SCALAR, VEC, MAT)
# Same shapes and broadcasting pairs (bias (3,) + (2, 3), a column times a row, a scalar).
BINARY_SHAPES = (
    (SCALAR, SCALAR), (VEC, VEC), (MAT, MAT),
    ((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ()),
    ((2, 1, 3), (4, 1)),
)


def unary(domain: str = ANY) -> list[Sample]:
    return [Sample((s,), domains=(domain,)) for s in UNARY_SHAPES]


def binary(da: str = ANY, db: str = ANY) -> list[Sample]:
    return [Sample(pair, domains=(da, db)) for pair in BINARY_SHAPES]


def reductions() -> list[Sample]:
    out = [Sample((s,)) for s in (SCALAR, VEC, MAT, CUBE)]
    for dim in (0, -1, 1, (0, 2), (-1, 0)):
        for keepdim in (False, True):
            out.append(Sample((CUBE,), {"dim": dim, "keepdim": keepdim}))
    out += [Sample((MAT,), {"dim": 1}), Sample((VEC,), {"dim": 0, "keepdim": True})]
    # A 0-d tensor reduced over dim 0 or -1 (PyTorch allows both; the result is the value).
    out += [Sample((SCALAR,), {"dim": 0}), Sample((SCALAR,), {"dim": -1, "keepdim": True})]
    # dim=() reduces every dim in PyTorch.
    out += [Sample((MAT,), {"dim": ()}), Sample((MAT,), {"dim": (), "keepdim": True})]
    return out


def softmaxes() -> list[Sample]:
    return [Sample((VEC,), {"dim": 0}), Sample((MAT,), {"dim": 0}), Sample((MAT,), {"dim": 1}),
            Sample((CUBE,), {"dim": 2}), Sample((CUBE,), {"dim": -2})]


# Loss weights (attrs: constants that broadcast over the input, as PyTorch's weight= and
# pos_weight=).
WEIGHTS = [{"weight": np.array([0.5, 2.0, 1.5])},
           {"pos_weight": np.array([3.0, 0.5, 1.0])},
           {"weight": np.array([[2.0], [0.25]]), "pos_weight": np.array([1.5, 2.0, 0.5])}]

SAMPLES: dict[str, list[Sample]] = {
    "add": binary(),
    # grad_fn attrs as functional passes them for `1 - x` and `2 ** x`
    "sub": binary() + [Sample(((), (2, 3)), {"grad_fn": "RsubBackward1"})],
    "mul": binary(),
    "div": binary(ANY, AWAY),
    "pow_tensor": binary(POS, ANY) + [Sample(((), (3,)), {"grad_fn": "PowBackward2"}, (POS,))],
    "pow": [Sample((s,), {"exponent": p}, (POS,))
            for s in UNARY_SHAPES for p in (2, 3, 0.5, -1, 0, 1, -2.5)]
           + [Sample((MAT,), {"exponent": p}) for p in (2, 3, 1, 0)],
    "neg": unary(),
    "exp": unary(),
    "reciprocal": unary(AWAY),
    "log": unary(POS),
    "sin": unary(),
    "cos": unary(),
    "tanh": unary(),
    "sigmoid": unary(),
    "relu": unary(AWAY),
    "sqrt": unary(POS),
    "abs": unary(AWAY),
    "matmul": [Sample(((2, 3, 4), (2, 4, 5)), {"grad_fn": "BmmBackward0"})]
              + [Sample(p) for p in (
        ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
        ((2, 2, 3), (2, 3, 4)), ((2, 2, 3), (3, 4)), ((2, 2, 3), (3,)), ((3,), (2, 3, 4)),
        ((2, 3), (2, 3, 4)), ((1, 2, 3), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 4)))],
    "sum": reductions(),
    "mean": reductions(),
    # Random normals have no ties; ties are covered by the PyTorch parity tests.
    **{name: [Sample((s,)) for s in (SCALAR, VEC, MAT, CUBE)]
       + [Sample((CUBE,), {"dim": d, "keepdim": k}) for d in (0, -1, 1) for k in (False, True)]
       + [Sample((SCALAR,), {"dim": 0}), Sample((VEC,), {"dim": -1, "keepdim": True})]
       for name in ("max", "min")},
    "maximum": binary(), "minimum": binary(),
    "prod": [Sample((s,), domains=(dom,)) for s in (SCALAR, VEC, MAT, CUBE)
             for dom in (ANY, ZEROS)]
            + [Sample((CUBE,), {"dim": d, "keepdim": k}, (dom,)) for d in (0, -1, 1)
               for k in (False, True) for dom in (ANY, ZEROS)]
            + [Sample((SCALAR,), {"dim": 0})],
    "unbind": [Sample((s,), {"dim": d, "index": i})
               for s, d, i in ((VEC, 0, 2), (MAT, 0, 1), (MAT, 1, 2), (MAT, -1, 0),
                               (CUBE, 2, 3))],
    "floor_divide": binary(ANY, AWAY),
    "remainder": binary(ANY, AWAY) + [Sample(((2, 3), ()), {"grad_fn": "RemainderBackward0"},
                                             (ANY, AWAY))],
    "fmod": binary(ANY, AWAY) + [Sample(((2, 3), ()), {"grad_fn": "FmodBackward0"},
                                        (ANY, AWAY))],
    "div_rounding": binary(ANY, AWAY) + [Sample(((2, 3), (3,)), {"mode": "floor"},
                                                (ANY, AWAY))],
    # tensor bounds, broadcast against the input; the bounds themselves get gradients
    "clamp_tensor": [Sample((s, lo, hi), {"which": "both"}) for s, lo, hi in (
        (VEC, VEC, VEC), (MAT, (3,), ()), ((2, 1), (1, 3), (2, 3)))],
    "bitwise_xor": binary(MASK, MASK),
    "hardtanh": unary(AWAY) + [Sample((MAT,), {"min_val": 0.0, "max_val": 6.0}, (AWAY,))],
    "reshape": [Sample((MAT,), {"shape": (3, 2)}), Sample((MAT,), {"shape": (-1,)}),
                Sample((SCALAR,), {"shape": (1, 1)}), Sample((CUBE,), {"shape": (4, -1)}),
                Sample((VEC,), {"shape": (2, 2)})],
    "unsqueeze": [Sample((s,), {"dim": d}) for s, d in
                  ((SCALAR, 0), (SCALAR, -1), (VEC, 0), (VEC, 1), (VEC, -1), (MAT, 1),
                   (MAT, -2))],
    "squeeze": [Sample(((1, 3, 1),), {"dim": d}) for d in (None, 0, -1, 1, 2)]
               + [Sample((SCALAR,), {"dim": None}), Sample((SCALAR,), {"dim": 0})],
    "transpose": [Sample((MAT,), {"dim0": 0, "dim1": 1}), Sample((CUBE,), {"dim0": 0, "dim1": 2}),
                  Sample((CUBE,), {"dim0": -1, "dim1": 0}), Sample((VEC,), {"dim0": 0, "dim1": 0}),
                  # what t() and .T record
                  Sample((MAT,), {"dim0": 0, "dim1": 1, "grad_fn": "TBackward0"}),
                  Sample((VEC,), {"dim0": 0, "dim1": 0, "grad_fn": "TBackward0"}),
                  Sample((MAT,), {"dim0": 0, "dim1": 1, "grad_fn": "PermuteBackward0"})],
    "index": [Sample(((5,),), {"key": k}) for k in (1, -1, slice(1, 3), slice(None, None, 2))]
             + [Sample(((3, 4),), {"key": k}) for k in (
                 (0, slice(None)), (slice(None), 1), (-1, -2), (slice(0, 2), slice(1, 3)),
                 2, (slice(1, None),))],
    "softmax": softmaxes(),
    "log_softmax": softmaxes(),
    "nll_loss": [Sample((inp, tgt), {"reduction": r}, (ANY, CLASSES))
                 for inp, tgt in (((3,), ()), ((4, 3), (4,)), ((1, 5), (1,)))
                 for r in ("mean", "sum", "none")],
    "mse_loss": [Sample(pair, {"reduction": r})
                 for pair in ((SCALAR, SCALAR), (VEC, VEC), (MAT, MAT), ((2, 3), (3,)))
                 for r in ("mean", "sum", "none")],
    **{name: binary() for name in ("eq", "ne", "lt", "le", "gt", "ge")},
    **{name: binary(MASK, MASK) for name in ("logical_and", "logical_or", "logical_xor")},
    **{name: unary(MASK) for name in ("logical_not", "all", "any")},
    "argmax": [Sample((MAT,), {"dim": d, "keepdim": k, "least": m})
               for d in (None, 0, 1) for k in (False, True) for m in (False, True)],
    "where": [Sample((MAT, MAT, MAT), domains=(MASK,)), Sample((MAT, VEC[:0] + (3,), ()),
                                                              domains=(MASK,)),
              Sample(((2, 1), (1, 3), (2, 3)), domains=(MASK,))],
    "to": [Sample((s,), {"dtype_name": "float64"}) for s in UNARY_SHAPES],
    "norm": [Sample((s,), {"p": p}) for s in (VEC, MAT) for p in (2, 1)]
            + [Sample((CUBE,), {"p": 2, "dim": d, "keepdim": k})
               for d in (0, (1, 2), -1) for k in (False, True)]
            + [Sample((MAT,), {"p": 1, "dim": 1})],
    "cat": [Sample(((2, 3), (2, 3)), {"dim": d}) for d in (0, 1, -1)]
           + [Sample(((1, 3), (4, 3)), {"dim": 0})],
    "stack": [Sample((VEC, VEC), {"dim": d}) for d in (0, 1, -1)]
             + [Sample((MAT, MAT), {"dim": 2})],
    "clone": unary(),
    "var": [Sample((s,), {"dim": d, "correction": c, "keepdim": k, "root": r})
            for s, d in ((VEC, None), (MAT, 1), (CUBE, (0, 2))) for c in (1, 0)
            for k in (False, True) for r in (False, True)],
    "log1p": unary(POS), "expm1": unary(), "silu": unary(), "softplus": unary(),
    "gelu": unary() + [Sample((s,), {"approximate": "tanh"}) for s in UNARY_SHAPES],
    "leaky_relu": unary(AWAY) + [Sample((VEC,), {"negative_slope": 0.2}, (AWAY,))],
    "clamp": [Sample((s,), {"min": lo, "max": hi}, (AWAY,))
              for s in (VEC, MAT) for lo, hi in ((-0.9, 0.9), (0.0, None), (None, 0.3))],
    "cumsum": [Sample((s,), {"dim": d}) for s, d in ((VEC, 0), (MAT, 1), (MAT, -2), (CUBE, 2),
                                                     (SCALAR, 0))],
    "bce_with_logits": [Sample((s, s), {"reduction": r}, (ANY, UNIT))
                        for s in (VEC, MAT) for r in ("mean", "sum", "none")]
                       + [Sample((MAT, MAT), {"reduction": r, **w}, (ANY, UNIT))
                          for r in ("mean", "none") for w in WEIGHTS],
    "binary_cross_entropy": [Sample((s, s), {"reduction": r}, (UNIT_OPEN, UNIT))
                             for s in (VEC, MAT) for r in ("mean", "sum", "none")]
                            + [Sample((MAT, MAT), {"reduction": r, "weight": WEIGHTS[0]["weight"]},
                                      (UNIT_OPEN, UNIT)) for r in ("mean", "sum")],
}


# ---------------------------------------------------------------- generating the cases


def draw(rng: np.random.Generator, sample: Sample) -> tuple[np.ndarray, ...]:
    arrays = []
    for i, shape in enumerate(sample.shapes):
        dom = sample.domain(i)
        if dom == ANY:
            arrays.append(rng.standard_normal(shape))
        elif dom == POS:
            arrays.append(rng.uniform(0.5, 2.0, shape))
        elif dom == AWAY:
            arrays.append(rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape))
        elif dom in (UNIT, UNIT_OPEN):
            arrays.append(rng.uniform(0.0, 1.0, shape) if dom == UNIT
                          else rng.uniform(0.1, 0.9, shape))
        elif dom == MASK:
            arrays.append(rng.random(shape) > 0.5)
        elif dom == ZEROS:
            arrays.append(rng.standard_normal(shape) * (rng.random(shape) > 0.35))
        elif dom == CLASSES:
            arrays.append(rng.integers(0, sample.shapes[0][-1], shape, dtype=np.int64))
        else:
            raise AssertionError(f"unknown domain {dom!r}")
    return tuple(np.array(a) for a in arrays)


CASES = [pytest.param(name, k, id=f"{name}-{k}-{s.shapes}-{s.attrs}")
         for name, samples in SAMPLES.items() if name not in NO_GRADIENT
         for k, s in enumerate(samples)]


def numeric_grad(f: Any, arrays: tuple[np.ndarray, ...], i: int) -> np.ndarray:
    """Central differences of the scalar f(*arrays) with respect to arrays[i]."""
    base = arrays[i]
    grad = np.zeros(base.shape, dtype=np.float64)
    for j in np.ndindex(base.shape):
        hi, lo = base.copy(), base.copy()
        hi[j] += EPS
        lo[j] -= EPS
        args_hi = arrays[:i] + (hi,) + arrays[i + 1:]
        args_lo = arrays[:i] + (lo,) + arrays[i + 1:]
        grad[j] = (f(*args_hi) - f(*args_lo)) / (2 * EPS)
    return grad


def run(name: str, k: int, seed: int = 0):
    op, sample = OPS[name], SAMPLES[name][k]
    rng = np.random.default_rng([seed, k, len(name)])
    arrays = draw(rng, sample)
    assert len(arrays) == len(op.rules), f"{name}: sample arity differs from the rules"
    with recording(Tape()):
        leaves = tuple(Tensor(a.copy(), requires_grad=rule is not None)
                       for a, rule in zip(arrays, op.rules, strict=True))
        out = apply(op, leaves, **sample.attrs)
        R = rng.standard_normal(out.shape)
        loss = F.sum(F.mul(out, Tensor(R)))
        backward(loss)
    return op, sample, arrays, leaves, out, R


# ---------------------------------------------------------------- the checks


def test_every_op_has_samples():
    assert set(SAMPLES) == set(OPS)
    assert all(SAMPLES[name] for name in SAMPLES)


@pytest.mark.parametrize("name", sorted(OPS))
def test_none_rules_are_integer_inputs(name):
    """A rule is None exactly where the sampled input holds class indices."""
    for sample in SAMPLES.get(name, []):
        for i, rule in enumerate(OPS[name].rules):
            assert (rule is None) == (sample.domain(i) in (CLASSES, MASK, UNIT)
                                      or name in NO_GRADIENT), (name, i)


@pytest.mark.parametrize("name", sorted(NO_GRADIENT))
def test_ops_without_gradient_compute_numpys_answer(name):
    """Comparisons and logical ops: the NumPy function of the same name is the oracle."""
    oracle = {"all": np.all, "any": np.any, "eq": np.equal, "ne": np.not_equal,
              "argmax": lambda a, dim=None, keepdim=False, least=False:
                  (np.argmin if least else np.argmax)(a, axis=dim,
                                                       keepdims=keepdim and dim is not None),
              "lt": np.less, "le": np.less_equal, "gt": np.greater,
              "ge": np.greater_equal}.get(name) or getattr(np, name)
    rng = np.random.default_rng(3)
    for sample in SAMPLES[name]:
        arrays = draw(rng, sample)
        with recording(Tape()):
            out = apply(OPS[name], tuple(Tensor(a) for a in arrays), **sample.attrs)
        expected = oracle(*arrays, **sample.attrs)
        assert out.data.dtype == np.asarray(expected).dtype
        assert not out.requires_grad
        assert out.grad_fn is None or name == "floor_divide"   # PyTorch: NotImplemented
        np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize(("name", "k"), CASES)
def test_vjp_matches_finite_differences(name, k):
    op, sample, arrays, leaves, out, R = run(name, k)
    np.testing.assert_allclose(out.data, op.forward(*arrays, **sample.attrs), rtol=1e-12)
    for i, (leaf, rule) in enumerate(zip(leaves, op.rules, strict=True)):
        if rule is None:
            assert leaf.grad is None
            continue

        def loss(*xs):
            return float(np.sum(op.forward(*xs, **sample.attrs) * R))

        expected = numeric_grad(loss, arrays, i)
        assert leaf.grad is not None, f"{name}: input {i} got no gradient"
        assert leaf.grad.data.shape == leaf.shape
        np.testing.assert_allclose(leaf.grad.data, expected, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} input {i}")


@pytest.mark.parametrize(("name", "k"), [c for c in CASES
                                         if c.values[0] in OPS
                                         and any(r is not None and r.local is not None
                                                 for r in OPS[c.values[0]].rules)])
def test_local_matches_numeric_derivative(name, k):
    """`local` is d out / d input element by element, broadcastable to the inputs' common
    shape. With every input first expanded to that shape the op is elementwise (or a
    reduction of one input), so d sum(out) / d x_i, measured one element at a time, is the
    local derivative at element i."""
    op, sample = OPS[name], SAMPLES[name][k]
    arrays = draw(np.random.default_rng([1, k, len(name)]), sample)
    with np.errstate(all="ignore"):
        out = np.asarray(op.forward(*arrays, **sample.attrs))
    ctx = Ctx(arrays, out, sample.attrs)
    common = np.broadcast_shapes(*(a.shape for a in arrays))
    expanded = tuple(np.broadcast_to(a, common).copy() for a in arrays)
    for i, rule in enumerate(op.rules):
        if rule is None or rule.local is None:
            continue
        local = np.asarray(rule.local(ctx), dtype=np.float64)
        numeric = numeric_grad(lambda *xs: float(np.sum(op.forward(*xs, **sample.attrs))),
                               expanded, i)
        np.testing.assert_allclose(np.broadcast_to(local, common), numeric,
                                   rtol=RTOL, atol=ATOL, err_msg=f"{name} local of input {i}")


@pytest.mark.parametrize(("name", "k"), CASES)
def test_grad_fn_names_a_backward_node(name, k):
    _, _, _, _, out, _ = run(name, k)
    assert out.requires_grad
    assert out.grad_fn == out.record.grad_fn
    assert out.grad_fn.endswith(("Backward0", "Backward1", "Backward2", "Backward4"))
