"""Tests generated from every row of the PyTorch-facing table (engine/torch_api.py).

For each row and each namespace it is in (torch, F, Tensor method, nn):
- its parameter names are PyTorch's: every name we accept is one of the names of PyTorch's
  own schema for that function (`torch._C._jit_get_schemas_for_operator`, `self` read as
  `input`) or of its Python signature;
- a keyword PyTorch does not have is refused with Python's words, before anything runs;
- called with arguments made from its signature (a tensor for `Tensor`, 1 for `int`, ...), it
  gives what PyTorch gives: the same value, dtype kind, requires_grad and grad_fn name, and
  after backward the same gradients (or both refuse the call).
A new row is covered by all three without writing a test; a row whose call cannot be made
from its types alone gets its arguments in ARGUMENTS (set equality keeps that table honest).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ChainruleError
from chainrule.engine.tensor import Tape, Tensor, recording
from chainrule.engine.torch_api import ROWS

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

CASES = [pytest.param(r, w, id=f"{w}.{r.name}") for r in ROWS for w in r.where]

# Names PyTorch's Python binding accepts beyond the aten schema (checked by a real call in
# test_python_binding_extras): `requires_grad=` on factories, NumPy's `axis=`/`keepdims=`.
BINDING_EXTRAS = {"requires_grad", "axis", "keepdims"}


def torch_names(where: str, name: str) -> set[str]:
    if where == "nn":
        return set(inspect.signature(getattr(torch.nn, name).__init__).parameters) - {"self"}
    names: set[str] = set()
    if where == "F":
        return python_names(getattr(TF, name)) | torch_names("torch", name)
    for schema in torch._C._jit_get_schemas_for_operator(f"aten::{name}"):
        names |= {"input" if a.name == "self" else a.name for a in schema.arguments}
    return names | python_names(getattr(torch, name, None) if where == "torch"
                                else getattr(torch.Tensor, name))


def python_names(f: Any) -> set[str]:
    """The parameters of a Python function, or of a C one as its docstring's first line
    writes them (`from_numpy(ndarray) -> Tensor`)."""
    try:
        return set(inspect.signature(f).parameters) - {"self"}
    except (TypeError, ValueError):
        head = (f.__doc__ or "").strip().split("\n")[0]
        inside = head[head.find("(") + 1:head.find(")")]
        return {p.split("=")[0].strip(" *") for p in inside.split(",") if p.strip()}


@pytest.mark.parametrize(("row", "where"), CASES)
def test_parameter_names_are_pytorchs(row, where):
    ours = [p.name for p in row.signature.params if not p.variadic]
    if where == "Tensor":
        ours = ours[1:]   # the tensor itself
    theirs = torch_names(where, row.name) | BINDING_EXTRAS
    assert [n for n in ours if n not in theirs] == [], sorted(theirs)


def test_python_binding_extras():
    """The names BINDING_EXTRAS lets through are accepted by PyTorch itself."""
    x = torch.ones(2, 3)
    assert torch.sum(x, axis=0, keepdims=True).shape == (1, 3)
    assert torch.zeros(2, requires_grad=True).requires_grad
    assert torch.cumsum(x, axis=1).shape == (2, 3)


def _function(row, where):
    table = {"torch": ns.TORCH.members, "F": ns.FUNCTIONAL.members, "nn": ns.NN.members,
             "Tensor": ns.TENSOR_METHODS}[where]
    return table[row.name]


@pytest.mark.parametrize(("row", "where"), CASES)
def test_an_unknown_keyword_is_refused(row, where):
    with recording(Tape()):
        x = Tensor(np.ones((2, 2)))
        target = ns.BoundMethod(_function(row, where), x) if where == "Tensor" \
            else _function(row, where)
        with pytest.raises(ChainruleError, match="bogus"):   # Python's words, or PyTorch's
            ns.call(target, (), {"bogus": 1})
    with pytest.raises(TypeError):   # PyTorch too
        if where == "Tensor":
            getattr(torch.ones(2, 2), row.name)(bogus=1)
        elif where == "nn":
            getattr(torch.nn, row.name)(bogus=1)
        else:
            getattr(TF if where == "F" else torch, row.name)(bogus=1)


# ---------------------------------------------------------------- running each row

M = np.array([[0.9, -1.3, 0.4], [1.7, 0.6, -0.8], [-0.5, 1.1, 1.4]])

# Arguments a row's types cannot supply; `X` stands for the float tensor (3, 3). For a row
# whose first parameter is the tensor `input`, the arguments after it (torch.f(X, ...),
# X.f(...)).
X = object()
ARGUMENTS: dict[str, tuple] = {
    "cat": ([X, X],), "concat": ([X, X],), "stack": ([X, X],), "reshape": ((9,),),
    "view": (9,), "full": ((2, 3), 1.5), "full_like": (2.5,), "tensor": ([1.0, 2.0],),
    "zeros": (2, 3), "ones": (2, 3), "eye": (3,), "linspace": (0.0, 1.0, 5),
    "arange": (0, 5), "Tensor": ([1.0, 2.0],), "FloatTensor": ([1.0, 2.0],),
    "pow": (2,), "manual_seed": (0,), "maximum": (X,), "minimum": (X,),
    "randint": (0, 5, (3,)), "randn": (2,), "rand": (2,), "to": (torch.float64,),
}
# Rows whose random values or NumPy input make a value comparison meaningless: compared on
# shape only.
SHAPE_ONLY = {"randn", "rand", "randn_like", "rand_like", "randint", "manual_seed"}
# Rows checked elsewhere because their arguments are not plain values (targets of class
# indices, 3-D batches, NumPy arrays): named with where.
ELSEWHERE = {
    "bmm": "3-D batches: tests/parity/test_ops_torch.py bmm cases",
    "from_numpy": "a NumPy argument: tests/engine/test_lang_v2.py",
    "nll_loss": "class-index targets: tests/parity/test_ops_torch.py",
    "cross_entropy": "class-index targets: tests/parity/test_ops_torch.py",
    "binary_cross_entropy": "targets in [0, 1]: tests/parity/test_ops_torch.py",
    "mv": "a matrix and a vector: tests/parity/test_ops_torch.py",
    "dot": "two vectors: tests/parity/test_ops_torch.py",
    "outer": "two vectors: tests/parity/test_ops_torch.py",
    "where": "a bool condition: tests/parity/test_ops_torch.py",
    # Our targets are data (no gradient reaches them); PyTorch differentiates a target that
    # requires grad. Compared with constant targets in tests/parity/test_ops_torch.py.
    "binary_cross_entropy_with_logits": "constant targets: tests/parity/test_ops_torch.py",
}


def _value_for(p, ours: bool) -> Any:
    kind = p.type.rstrip("?")
    if kind in ("Tensor", "Number"):
        return X
    if kind in ("int", "int[]"):
        return 1
    if kind == "bool":
        return False
    if kind in ("float", "Scalar"):
        return 0.5
    raise LookupError(p.name)


def _arguments(row, where) -> list[Any] | None:
    params = [p for p in row.signature.params if p.required]
    first = row.signature.params[0] if row.signature.params else None
    takes_input = first is not None and first.type == "Tensor"
    if takes_input:
        params = params[1:]
    if row.name in ARGUMENTS:
        rest = list(ARGUMENTS[row.name])
        return rest if where == "Tensor" or not takes_input else [X, *rest]
    try:
        rest = [_value_for(p, True) for p in params]
    except LookupError:
        return None
    return rest if where == "Tensor" or not takes_input else [X, *rest]


def _ours(row, where, args):
    with recording(Tape()):
        x = Tensor(M.copy(), requires_grad=True)
        real = [x if a is X else [x if b is X else b for b in a] if isinstance(a, list)
                else ns.DTYPES["float64"] if a is torch.float64 else a for a in args]
        fn = _function(row, where)
        if where == "Tensor":
            out = ns.call(ns.BoundMethod(fn, x), tuple(real), {})
        elif where == "nn":
            out = ns.call(ns.call(fn, (), {}), (x,), {})
        else:
            out = ns.call(fn, tuple(real), {})
        if isinstance(out, tuple):
            out = out[0]
        grad = None
        if isinstance(out, Tensor) and out.requires_grad:
            from chainrule.engine.backward import backward
            backward(ns.call(ns.TENSOR_METHODS["sum"], (out,), {}))
            grad = None if x.grad is None else np.asarray(x.grad.data)
        return out, grad


def _theirs(row, where, args):
    x = torch.tensor(M, dtype=torch.float32, requires_grad=True)
    real = [x if a is X else [x if b is X else b for b in a] if isinstance(a, list) else a
            for a in args]
    if where == "Tensor":
        out = getattr(x, row.name)(*real)
    elif where == "nn":
        out = getattr(torch.nn, row.name)()(x)
    else:
        out = getattr(TF if where == "F" else torch, row.name)(*real)
    if isinstance(out, tuple):
        out = out[0]
    grad = None
    if isinstance(out, torch.Tensor) and out.requires_grad:
        out.sum().backward()
        grad = None if x.grad is None else x.grad.numpy()
    return out, grad


RUN_CASES = [c for c in CASES if c.values[0].name not in ELSEWHERE]


@pytest.mark.parametrize(("row", "where"), RUN_CASES)
def test_row_runs_as_in_pytorch(row, where):
    args = _arguments(row, where)
    assert args is not None, f"give {row.name} its arguments in ARGUMENTS"
    try:
        theirs, their_grad = _theirs(row, where, args)
    except (RuntimeError, TypeError, ValueError, IndexError):
        with pytest.raises(ChainruleError):   # PyTorch refuses the call: so must we
            _ours(row, where, args)
        return
    ours, our_grad = _ours(row, where, args)
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, Tensor)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
        if row.name not in SHAPE_ONLY:
            np.testing.assert_allclose(np.asarray(ours.data, dtype=np.float64),
                                       theirs.detach().double().numpy(), rtol=1e-5, atol=1e-6)
            assert (ours.grad_fn is None) == (theirs.grad_fn is None)
            if theirs.grad_fn is not None:
                assert ours.grad_fn == type(theirs.grad_fn).__name__
        if their_grad is not None:
            np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-6)
    elif row.name not in SHAPE_ONLY:
        assert repr(ours) == repr(theirs) or np.allclose(ours, theirs, rtol=1e-6)


def test_every_argument_override_names_a_row():
    names = {r.name for r in ROWS}
    assert set(ARGUMENTS) <= names
    assert set(ELSEWHERE) <= names
