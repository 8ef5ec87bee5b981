"""Printing every value a program holds, against the real thing: tensors against PyTorch's own
`str(tensor)`, Python values against Python's `repr`/`str`."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
import torch
from chainrule.engine import functional
from chainrule.engine import namespace as ns
from chainrule.engine.errors import RuntimeProblem
from chainrule.engine.printing import (
    python_list,
    python_number,
    short_text,
    tensor_repr,
    value_repr,
    value_text,
)
from chainrule.engine.tensor import Tape, Tensor, recording
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
                "bool": torch.bool}
STORED = {"float32": np.float64, "float64": np.float64, "int64": np.int64, "bool": np.bool_}


def ours(values, dtype: str = "float32", requires_grad: bool = False) -> Tensor:
    """Our tensor of `dtype` (float data is stored as float64 whatever its dtype)."""
    t = Tensor(np.asarray(values, dtype=STORED[dtype]), requires_grad=requires_grad)
    t.dtype_name = dtype
    return t


def theirs(values, dtype: str = "float32", requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=STORED[dtype]), dtype=TORCH_DTYPES[dtype],
                        requires_grad=requires_grad)


RNG = np.random.default_rng(0)
FLOATS = [
    4.0, -0.5, [1.0, 2.0], [[1.0, 2.5], [3.0, 4.0]], [0.1, 123456.7], [1e-5, 1.0],
    np.linspace(-3, 3, 50), [[math.nan, 1.0], [math.inf, -2.0]], [[1e9, 2.0]], [0.0, 0.0],
    RNG.standard_normal((40, 30)), RNG.standard_normal((3, 4, 5)), np.arange(2000.0),
    RNG.standard_normal((50, 50)), [-0.0, 1.0], np.zeros((0, 3)), np.zeros(0), [0.1, 0.2],
    16777217.0, [1e-10, 1.0], [math.nan], math.inf, [1e20, -1e-20], RNG.standard_normal(1001),
    RNG.standard_normal((2, 1, 1200)), [[[0.25]]], [123456789.0, 1.0],
]


@pytest.mark.parametrize("i", range(len(FLOATS)))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_tensors_print_as_pytorch(i: int, dtype: str) -> None:
    assert tensor_repr(ours(FLOATS[i], dtype)) == str(theirs(FLOATS[i], dtype))


INTS = [5, [0, 2, 1], np.arange(-50, 3000), [[10, -200], [3, 4]], np.zeros((0,)),
        np.zeros((2, 0)), [2 ** 40, -1], np.arange(24).reshape(2, 3, 4)]


@pytest.mark.parametrize("i", range(len(INTS)))
def test_int_tensors_print_as_pytorch(i: int) -> None:
    assert tensor_repr(ours(INTS[i], "int64")) == str(theirs(INTS[i], "int64"))


BOOLS = [True, [True, False], [True, True], [[False], [False]], [True] * 2000, np.zeros(0)]


@pytest.mark.parametrize("i", range(len(BOOLS)))
def test_bool_tensors_print_as_pytorch(i: int) -> None:
    assert tensor_repr(ours(BOOLS[i], "bool")) == str(theirs(BOOLS[i], "bool"))


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=8),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=32)))
@settings(max_examples=150, deadline=None)
def test_any_float_tensor_prints_as_pytorch(arr: np.ndarray) -> None:
    assert tensor_repr(ours(arr)) == str(theirs(arr))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_requires_grad_and_grad_fn_suffixes(dtype: str) -> None:
    values = RNG.standard_normal((3, 12))
    x, tx = ours(values, dtype, requires_grad=True), theirs(values, dtype, requires_grad=True)
    assert value_text(x) == str(tx)
    e = ours(np.zeros((0, 3)), dtype, requires_grad=True)
    assert value_text(e) == str(theirs(np.zeros((0, 3)), dtype, requires_grad=True))
    y = functional.mul(x, 3)
    assert value_text(y) == str(tx * 3)


def test_python_numbers_of_a_float32_tensor_are_float32_values() -> None:
    for v in (0.1, 1 / 3, 1e-40, 3.4e39, -2.5):
        assert python_number(ours(v)) == theirs(v).item()
    values = [[0.1, 0.2], [1 / 3, 7.0]]
    assert python_list(ours(values)) == theirs(values).tolist()
    assert python_list(ours([3, -1], "int64")) == [3, -1]
    assert type(python_number(ours(3, "int64"))) is int


def test_float64_python_numbers_are_exact() -> None:
    assert python_number(ours(0.1, "float64")) == 0.1
    assert python_list(ours([True, False], "bool")) == [True, False]


# ---------------------------------------------------------------- Python values


plain = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 63, 2 ** 63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner) | st.tuples(inner, inner)
                   | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)),
    max_leaves=12)


@given(plain)
@settings(max_examples=300, deadline=None)
def test_python_values_print_as_python(value) -> None:
    assert value_repr(value) == repr(value)
    assert value_text(value) == str(value)


def test_sets_ranges_views_and_cycles_print_as_python() -> None:
    a: list = [1]
    a.append(a)
    d: dict = {"k": 1}
    d["self"] = d
    cases = [set(), {1, 2, 3}, frozenset({4}), range(5), range(1, 10, 2), a, d,
             {"a": 1}.keys(), {"a": (1,)}.items(), {"a": 2.5}.values(), "it's", 'say "hi"',
             "tab\tnew\nline", "é", [None, True, -0.0, 1e300, 1e-300], np.array([1.0, 2.5]),
             [np.arange(3)], np.arange(2000.0)]
    for value in cases:
        assert value_repr(value) == repr(value)
        assert value_text(value) == str(value)


def test_containers_of_tensors_print_as_pytorch() -> None:
    ours_list = [ours(1.0), ours(2.0, requires_grad=True), ours([1, 2], "int64")]
    theirs_list = [theirs(1.0), theirs(2.0, requires_grad=True), theirs([1, 2], "int64")]
    assert value_text(ours_list) == str(theirs_list)
    assert value_repr({"w": ours_list[1], "n": 3}) == repr({"w": theirs_list[1], "n": 3})
    assert value_text((ours(1.5),)) == str((theirs(1.5),))
    shape = ns.TENSOR_ATTRIBUTES["shape"](ours(np.zeros((2, 3))))
    assert value_text([shape, ns.TORCH.members["float64"]]) == str(
        [torch.Size([2, 3]), torch.float64])


def test_grad_fn_prints_with_a_stable_made_up_address() -> None:
    x = ours([1.0, 2.0], requires_grad=True)
    fn_value = ns.TENSOR_ATTRIBUTES["grad_fn"](functional.mul(x, 2))
    text = value_text(fn_value)
    real = str((theirs([1.0, 2.0], requires_grad=True) * 2).grad_fn)
    pattern = r"<MulBackward0 object at 0x7f[0-9a-f]{10}>"
    assert re.fullmatch(pattern, text) and re.fullmatch(pattern, real)
    assert value_text(fn_value) == text   # the same every time

    def one_run() -> str:   # a program's run: its own tape, tensor ids from 0
        with recording(Tape()):
            a = ours([1.0, 2.0], requires_grad=True)
            b = functional.mul(a, 2)
            c = functional.sum(b)
            nodes = [ns.TENSOR_ATTRIBUTES["grad_fn"](t) for t in (b, c)]
            return value_text([nodes, nodes[1].next_functions, nodes[0].next_functions])
    first = one_run()
    assert one_run() == first   # a second run of the same program prints the same
    addresses = re.findall(r"0x7f[0-9a-f]{10}", first)
    assert len(set(addresses)) == 3   # Mul, Sum and the leaf's AccumulateGrad differ
    method = ns.get_attribute(x, "sum")
    assert re.fullmatch(r"<built-in method sum of Tensor object at 0x7f[0-9a-f]{10}>",
                        value_repr(method))


def test_functions_modules_and_exceptions() -> None:
    class UserFunction:   # the interpreter's user functions look like this (user_function)
        user_function = True
        name = "f"

        def __call__(self, *args):
            return None

    assert re.fullmatch(r"<function f at 0x7f[0-9a-f]{10}>", value_text(UserFunction()))
    error = RuntimeProblem("element 0 of tensors does not require grad")
    assert value_text(error) == str(RuntimeError(error.message))
    assert value_repr(error) == repr(RuntimeError(error.message))
    assert value_text(ns.TORCH) == "<module 'torch'>"


# ---------------------------------------------------------------- bounded


def test_text_stops_at_its_limit_without_building_the_whole() -> None:
    huge = list(range(1_000_000))
    start = time.perf_counter()
    text = value_text(huge, limit=100)
    assert time.perf_counter() - start < 0.05
    assert len(text) == 101 and repr(huge).startswith(text)
    assert value_text([1, 2], limit=100) == "[1, 2]"
    nested = [[ours(1.0)] * 10] * 100_000
    assert len(value_repr(nested, limit=1000)) == 1001


def test_short_text_describes_huge_values() -> None:
    assert short_text(list(range(300_000))) == "a list of 300,000 numbers"
    assert short_text([[1]] * 300) == "a list of 300 items"
    assert short_text([1.5, 2.5]) == "[1.5, 2.5]"
    long = "x" * 10_000
    assert short_text(long, limit=50) == repr(long)[:49] + "…"
    assert short_text({i: i for i in range(1000)}).startswith("a dict of 1,000")
    assert short_text(ours(np.zeros((1000, 3)))) == "a tensor of shape (1000, 3)"
    assert short_text(ours(np.arange(100.0))) == "a tensor of shape (100,)"
    assert short_text(ours([1.0, 2.0])) == "tensor([1., 2.])"
