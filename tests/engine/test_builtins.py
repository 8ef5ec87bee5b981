"""Python's builtins, methods and `math` as the language gives them, against Python itself
(same results, same exception types and messages) and, where a tensor is involved, PyTorch."""

from __future__ import annotations

import builtins
import contextlib
import math
import time

import numpy as np
import pytest
import torch
from chainrule.engine import functional
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError, ChainruleError, LimitError
from chainrule.engine.lang.builtins import (
    MATH,
    PYTHON_BUILTINS,
    compare,
    del_item,
    get_attribute,
    get_item,
    is_exception_class,
    iterate,
    length_hint,
    set_item,
    truth,
    unpack,
)
from chainrule.engine.limits import Limits
from chainrule.engine.printing import value_repr
from chainrule.engine.tensor import Tape, Tensor, recording
from hypothesis import given, settings
from hypothesis import strategies as st

SYMBOLS = ["==", "!=", "<", "<=", ">", ">=", "is", "is not", "in", "not in"]
PY_OPS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
          "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
          "is": lambda a, b: a is b, "is not": lambda a, b: a is not b,
          "in": lambda a, b: a in b, "not in": lambda a, b: a not in b}


def outcome(f, *args, **kwargs):
    """("ok", result) or (exception type name, message) — for Python and for ours alike."""
    try:
        return "ok", f(*args, **kwargs)
    except ChainruleError as e:
        return e.python_type, e.message
    except Exception as e:  # noqa: BLE001 - the oracle's exception is the expected value
        return type(e).__name__, str(e)


def call(name: str, *args, **kwargs):
    return ns.call(PYTHON_BUILTINS[name], args, kwargs)


def method(obj, name: str, *args, **kwargs):
    return ns.call(get_attribute(obj, name), args, kwargs)


def same(name: str, *args, **kwargs) -> None:
    """Our builtin `name` gives what Python's gives (lazy results compared as lists)."""
    def lazy_as_list(f):
        def run():
            result = f(*args, **kwargs)
            if type(result).__name__ in LAZY or getattr(result, "python_type_name", "") in LAZY:
                return list(result)
            return result
        return run
    mine = outcome(lazy_as_list(lambda *a, **k: call(name, *a, **k)))
    real = outcome(lazy_as_list(getattr(builtins, name)))
    assert repr(mine) == repr(real), (name, args, kwargs)   # repr: nan equals nan


LAZY = ("zip", "enumerate", "map", "filter", "list_reverseiterator", "reversed",
        "range_iterator", "dict_reversekeyiterator", "list_iterator", "dict_keyiterator")


BUILTIN_CASES = [
    ("len", [1, 2]), ("len", "abc"), ("len", {}), ("len", range(10 ** 12)), ("len", 5),
    ("len", None), ("range", 5), ("range", 1, 10, 3), ("range", 10, 1, -2), ("range",),
    ("range", 1.0), ("range", 1, 2, 0), ("range", 1, 2, 3, 4), ("range", True),
    ("zip", [1, 2, 3], "ab"), ("zip",), ("zip", 1), ("enumerate", "ab"), ("enumerate", "ab", 5),
    ("enumerate", [], 1.0), ("min", 3, 1, 2), ("min", [4, 2, 8]), ("min", []), ("min",),
    ("min", 1), ("max", "hello"), ("max", [1, 3, 3.0]), ("max", 2, 2.0), ("min", [(1, 2), (1, 1)]),
    ("min", [1, "a"]), ("sum", [1, 2, 3.5]), ("sum", [[1], [2]], []), ("sum", ["a"]),
    ("sum", [1], "a"), ("sum", range(100)), ("sum", [True, True]), ("abs", -3), ("abs", -2.5),
    ("abs", True), ("abs", "a"), ("round", 2.675, 2), ("round", 2.5), ("round", 3.5),
    ("round", -0.5), ("round", 1234, -2), ("round", math.inf), ("round", math.nan),
    ("round", "a"), ("round", 1.5, 1.0), ("round", 7), ("sorted", [3, 1, 2]),
    ("sorted", ["b", "a", "C"]), ("sorted", [1, "a"]), ("sorted", [(2, "a"), (1, "b"), (1, "a")]),
    ("sorted", [[2], [1, 5], [1]]), ("sorted", {3: 1, 1: 2}), ("sorted", [3, 1], 1),
    ("reversed", [1, 2, 3]), ("reversed", (1, 2)), ("reversed", "ab"), ("reversed", range(4)),
    ("reversed", 1), ("list", "abc"), ("list", range(3)), ("list", {1: 2}), ("list", 5),
    ("list",), ("tuple", [1, 2]), ("tuple",), ("dict", [(1, 2), ("a", "b")]), ("dict",),
    ("dict", [(1, 2, 3)]), ("dict", [1]), ("dict", 1, 2), ("dict", ["ab"]), ("set", [1, 1, 2]),
    ("set", [[1]]), ("int", 3.9), ("int", -3.9), ("int", "42"), ("int", " 7 "), ("int", "1e5"),
    ("int", [1]), ("int", True), ("int",), ("int", math.inf), ("int", math.nan),
    ("int", "ff", 16), ("int", 5, 10), ("float", "1.5"), ("float", "nan"), ("float", " -inf "),
    ("float", "abc"), ("float", [1]), ("float", 3), ("float",), ("bool", []), ("bool", [0]),
    ("bool", 0.0), ("bool", "x"), ("bool",), ("str", 1.5), ("str", None), ("str", [1, "a"]),
    ("str",), ("repr", "a'b"), ("repr", [1.0, None]), ("any", [0, 0, 1]), ("any", []),
    ("all", [1, 0]), ("all", []), ("any", 3), ("isinstance", 1, 1), ("map", None),
    ("filter", None, [0, 1, "", "a"]), ("filter", None, 3), ("iter", [1, 2]), ("iter", 5),
    ("iter", {"a": 1}), ("next", [1]), ("format", 3.14159, ".2f"), ("format", [1], "x"),
    ("format", 1.5, 2), ("format", "a"), ("ascii", "é"), ("ascii", ["ü"]), ("callable", 1),
    ("callable", "f"), ("divmod", 7, 2), ("divmod", -7.5, 2), ("divmod", 1, 0), ("divmod", 1.0, 0),
    ("divmod", "a", 1), ("chr", 65), ("chr", -1), ("chr", 1.5), ("ord", "a"), ("ord", "ab"),
    ("ord", 1), ("hex", 255), ("hex", -3), ("bin", 5), ("oct", 8), ("hex", 1.5),
]


@pytest.mark.parametrize("case", BUILTIN_CASES, ids=[str(c) for c in BUILTIN_CASES])
def test_builtins_match_python(case) -> None:
    same(*case)


def test_keyword_arguments_match_python() -> None:
    same("sorted", [3, 1, 2], reverse=True)
    same("min", [], default=7)
    same("min", 1, 2, default=7)
    assert call("max", ["aa", "b", "ccc"], key=PYTHON_BUILTINS["len"]) == "ccc"
    same("zip", [1, 2], [3], strict=True)
    same("zip", [1], [3, 4], strict=True)
    same("zip", [1], [2], [3, 4, 5], strict=True)
    same("dict", [(1, 2)], a=3)


def test_key_functions_are_called_through_the_calling_convention() -> None:
    key = PYTHON_BUILTINS["abs"]
    assert call("sorted", [3, -5, 1, -2], key=key) == sorted([3, -5, 1, -2], key=abs)
    assert call("max", [3, -5, 1], key=key) == -5
    assert list(iterate(call("map", key, [-1, 2]))) == [1, 2]
    assert list(iterate(call("filter", None, [0, 1, "", "a"]))) == [1, "a"]
    assert list(iterate(call("map", PYTHON_BUILTINS["round"], [1.26, 2.5], [1, 0]))) == [1.3, 2]

    class UserFunction:   # what the interpreter passes for `lambda v: -v`
        user_function = True

        def __call__(self, v):
            return -v
    assert call("sorted", [1, 3, 2], key=UserFunction()) == [3, 2, 1]


def test_types_print_and_compare_as_python() -> None:
    for value, expected in [(1.5, "<class 'float'>"), (1, "<class 'int'>"), (True,
                            "<class 'bool'>"), ("s", "<class 'str'>"), ([], "<class 'list'>"),
                            (None, "<class 'NoneType'>"), (range(2), "<class 'range'>")]:
        assert value_repr(call("type", value)) == expected == repr(type(value))
    t = Tensor(np.ones(2))
    assert value_repr(call("type", t)) == repr(type(torch.ones(2))) == "<class 'torch.Tensor'>"
    assert compare("is", call("type", 1.5), PYTHON_BUILTINS["float"])
    assert compare("==", call("type", 1), PYTHON_BUILTINS["int"])
    b = PYTHON_BUILTINS
    assert call("isinstance", True, b["int"]) and not call("isinstance", 1, b["bool"])
    assert call("isinstance", 1.0, (b["int"], b["float"]))
    assert call("isinstance", t, call("type", t))
    torch_tensor = ns.TORCH.members.get("Tensor")
    if torch_tensor is not None:
        assert call("isinstance", t, torch_tensor) and not call("isinstance", 1.0, torch_tensor)
        assert compare("==", call("type", t), torch_tensor)
        assert compare("is", call("type", t), torch_tensor)
    tensor_marker = ns.Function("Tensor", lambda: None, "class")   # however torch.Tensor is named
    assert call("isinstance", t, tensor_marker) and not call("isinstance", 1.0, tensor_marker)


# ---------------------------------------------------------------- tensors


def test_tensors_in_builtins_as_pytorch() -> None:
    t0, t1 = Tensor(np.array(2.0)), Tensor(np.array([3.0, -1.0]))
    assert outcome(call, "len", t0) == ("TypeError", "len() of a 0-d tensor")
    assert call("len", Tensor(np.ones((4, 2)))) == len(torch.ones(4, 2))
    assert outcome(call, "float", t1) == outcome(float, torch.tensor([3.0, -1.0]))
    assert outcome(call, "int", t1) == outcome(int, torch.tensor([3.0, -1.0]))
    assert call("float", Tensor(np.array([0.1]))) == float(torch.tensor([0.1]))
    assert call("int", Tensor(np.array(-2.7))) == int(torch.tensor(-2.7))
    assert outcome(call, "round", t0) == outcome(round, torch.tensor(2.0))
    assert outcome(call, "range", t0) == outcome(range, torch.tensor(2.0))
    assert call("range", Tensor(np.array(3))) == range(3)
    assert value_repr(call("abs", t1)) == str(abs(torch.tensor([3.0, -1.0])))
    assert outcome(lambda: iterate(t0)) == outcome(iter, torch.tensor(2.0))


def test_sum_and_min_of_tensors_are_recorded_ops() -> None:
    tape = Tape()
    with recording(tape):
        xs = [Tensor(np.array(v), requires_grad=True) for v in (1.0, 2.0, 3.0)]
        total = call("sum", xs)
        assert value_repr(total) == str(sum(torch.tensor(v, requires_grad=True)
                                            for v in (1.0, 2.0, 3.0)))
        assert [r.op.name for r in tape.records][:3] == ["add", "add", "add"]
        if hasattr(functional, "lt"):
            assert call("min", xs) is xs[0] and call("max", xs) is xs[2]
            assert outcome(call, "min", [Tensor(np.ones(2)), Tensor(np.ones(2))]) == outcome(
                min, [torch.ones(2), torch.ones(2)])


def test_tensors_iterate_by_rows() -> None:
    rows = list(iterate(Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)))
    expected = list(torch.arange(6.0).reshape(3, 2).requires_grad_())
    assert len(rows) == 3
    for row, theirs in zip(rows, expected, strict=True):
        np.testing.assert_array_equal(row.data, theirs.detach().numpy())
        assert row.requires_grad


def test_truth_as_python_and_pytorch() -> None:
    for value in (0, 1, 0.0, -0.5, "", "a", [], [0], (), {}, {1: 2}, None, range(0), range(2)):
        assert truth(value) == bool(value)
    for values in ([1.0], [0.0], [[2]], [], [1.0, 2.0]):
        assert outcome(truth, Tensor(np.array(values))) == outcome(bool, torch.tensor(values))


# ---------------------------------------------------------------- comparisons


comparable = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-3, 3) | st.sampled_from(
        [math.nan, math.inf]) | st.text("ab", max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
    | st.dictionaries(st.integers(0, 2), inner, max_size=2),
    max_leaves=6)


@given(st.sampled_from(SYMBOLS), comparable, comparable)
@settings(max_examples=400, deadline=None)
def test_comparisons_match_python(sym: str, a, b) -> None:
    if sym in ("is", "is not"):
        return   # identity of equal literals is an implementation detail of CPython
    assert outcome(compare, sym, a, b) == outcome(PY_OPS[sym], a, b)


def test_identity_and_membership() -> None:
    a = [1]
    assert compare("is", a, a) and compare("is not", a, [1])
    assert compare("is", None, None) and compare("IsNot", 1, None)
    import ast
    assert compare(ast.Lt(), 1, 2) and not compare(ast.NotIn(), 1, [1])
    for sym, x, container in [("in", 2, [1, 2]), ("in", "b", "abc"), ("in", 1, "abc"),
                              ("in", 1, 5), ("not in", 3, range(5)), ("in", 2.0, range(3)),
                              ("in", [1], [[1], 2]), ("in", "a", {"a": 1}), ("in", [1], {}),
                              ("in", 1, {1: 2}.values()), ("==", {1: 2}.keys(), {1}),
                              ("==", {1: 2}.items(), {(1, 2)}), ("==", {1: 2}.keys(), [1])]:
        assert outcome(compare, sym, x, container) == outcome(PY_OPS[sym], x, container)


def test_tensor_comparisons_as_pytorch() -> None:
    t = Tensor(np.array([1.0, 2.0]))
    tt = torch.tensor([1.0, 2.0])
    assert compare("==", t, None) == (tt == None)  # noqa: E711 - the comparison under test
    assert compare("!=", t, "a") == (tt != "a")
    assert compare("==", t, [1.0, 2.0]) == (tt == [1.0, 2.0])
    assert outcome(compare, "<", t, "a") == outcome(lambda: tt < "a")
    assert outcome(compare, "in", "a", t) == outcome(lambda: "a" in tt)
    if hasattr(functional, "eq"):
        assert compare("in", 2.0, t) == (2.0 in tt)
        assert compare("in", 5, t) == (5 in tt)
        assert value_repr(compare(">", t, 1.5)) == str(tt > 1.5)


# ---------------------------------------------------------------- methods


METHOD_CASES = [
    ([3, 1, 2], "append", 4), ([3, 1, 2], "extend", (5, 6)), ([3, 1, 2], "pop"),
    ([3, 1, 2], "pop", 0), ([3, 1, 2], "pop", 5), ([], "pop"), ([3, 1, 2], "insert", 1, 9),
    ([3, 1, 2], "insert", -10, 9), ([3, 1, 2], "index", 2), ([3, 1, 2], "index", 7),
    ([3, 1, 3], "index", 3, 1), ([3, 1, 3], "count", 3), ([3, 1, 2], "copy"),
    ([3, 1, 2], "reverse"), ([3, 1, 2], "sort"), ([3, 1, 2], "clear"),
    ([3, 1, 2], "remove", 1), ([3, 1, 2], "remove", 7), ([1, "a"], "sort"),
    ((1, 2, 1), "count", 1), ((1, 2), "index", 2), ((1, 2), "index", 5),
    ({"a": 1}, "get", "a"), ({"a": 1}, "get", "b"), ({"a": 1}, "get", "b", 0),
    ({"a": 1}, "pop", "a"), ({"a": 1}, "pop", "b"), ({"a": 1}, "pop", "b", None),
    ({}, "popitem"), ({"a": 1}, "setdefault", "b", 2), ({"a": 1}, "update", {"b": 2}),
    ({"a": 1}, "update", [("c", 3)]), ({"a": 1}, "copy"), ({"a": 1}, "get", [1]),
    ("a,b,,c", "split", ","), (" a b ", "split"), ("a b c", "split", None, 1),
    ("a", "split", 1), ("  x  ", "strip"), ("xxhixx", "strip", "x"), ("Hi", "upper"),
    ("Hi", "lower"), ("aXa", "replace", "a", "bb"), ("aaa", "replace", "a", "b", 2),
    ("ab", "startswith", "a"), ("ab", "startswith", ("x", "a")), ("ab", "startswith", 1),
    ("ab", "endswith", "b"), ("ab", "center", 7, "*"), ("ab", "ljust", 5),
    ("ab", "rjust", 5, "ab"), ("-", "join", ["a", "b"]), ("-", "join", ["a", 1]),
    ("-", "join", "xyz"), ("ab", "find", "b"), ("ab", "index", "z"), ("42", "zfill", 5),
    ("a b", "title"), ("ab", "count", "a"), ("1", "isdigit"), ("ab", "partition", "a"),
    ("{} and {:.2f}", "format", "x", 3.14159), ("{0}{0}{name!r}", "format", 1),
    (range(10 ** 15), "index", 10 ** 14), (range(0, 10, 2), "index", 3), (range(5), "count", 2),
    (range(5), "count", 2.0), (range(5), "index", 2.0), (range(5), "index", "a"),
    (range(5), "index", 7),
    (1.5, "is_integer"), (2.0, "is_integer"), (5, "bit_length"), (True, "bit_length"),
]


@pytest.mark.parametrize("case", METHOD_CASES, ids=[str(c) for c in METHOD_CASES])
def test_methods_match_python(case) -> None:
    obj, name, *args = case
    mine_obj, real_obj = _copy(obj), _copy(obj)
    mine = outcome(method, mine_obj, name, *args)
    real = outcome(lambda: getattr(real_obj, name)(*args))
    if mine[0] == real[0] == "ok" and type(real[1]).__name__.startswith("dict_"):
        mine, real = ("ok", list(mine[1])), ("ok", list(real[1]))
    assert mine == real
    assert mine_obj == real_obj   # the same change in place


def _copy(obj):
    return obj.copy() if isinstance(obj, list | dict) else obj


def test_keyword_methods() -> None:
    items = [3, -5, 1]
    method(items, "sort", key=PYTHON_BUILTINS["abs"], reverse=True)
    assert items == sorted([3, -5, 1], key=abs, reverse=True)
    assert method("{a}-{b}", "format", a=1, b=[2]) == "1-[2]"
    assert method("a b", "split", maxsplit=0) == ["a b"]


def test_attributes_missing_are_attribute_errors_in_pythons_words() -> None:
    for obj, name in [(1.5, "backward"), (None, "grad"), ([1], "shape"), ("s", "item"),
                      (3, "is_integer"), ({}, "append"), ((1,), "append")]:
        assert outcome(get_attribute, obj, name) == outcome(getattr, obj, name)
    assert get_attribute(2.5, "real") == 2.5 and get_attribute(3, "imag") == 0
    assert get_attribute(3, "denominator") == 1
    assert [get_attribute(range(1, 9, 2), n) for n in ("start", "stop", "step")] == [1, 9, 2]


def test_tensor_and_module_attributes_go_to_the_namespace() -> None:
    t = Tensor(np.ones((2, 3)))
    assert get_attribute(t, "shape") == (2, 3)
    assert get_attribute(MATH, "pi") == math.pi
    size = get_attribute(t, "shape")
    assert method(size, "count", 2) == 1 and method(size, "index", 3) == 1


# ---------------------------------------------------------------- math


MATH_CASES = [
    ("sqrt", 2), ("sqrt", -1), ("sqrt", "a"), ("exp", 1000), ("exp", 1.5), ("log", 8, 2),
    ("log", 0), ("log", 10), ("log", 8, 1), ("log2", 8), ("log10", 1e-3), ("log1p", 1e-10),
    ("expm1", 1e-10), ("sin", 1), ("cos", math.pi), ("tan", 0.5), ("asin", 2), ("acos", 0.5),
    ("atan", 1), ("atan2", 1, -1), ("tanh", 3), ("sinh", 1), ("cosh", 1), ("floor", 2.5),
    ("floor", -2.5), ("floor", math.inf), ("ceil", 2.1), ("fabs", -3), ("pow", 2, 10),
    ("pow", 0, -1), ("hypot", 3, 4), ("erf", 0.5), ("isnan", math.nan), ("isinf", 1),
    ("isfinite", math.inf), ("factorial", 5), ("factorial", -1), ("factorial", 2.0),
    ("trunc", -2.7), ("copysign", 1, -0.0), ("exp2", 3), ("cbrt", -8), ("degrees", math.pi),
    ("gcd", 12, 18),
    ("fsum", [0.1] * 10), ("prod", [1, 2, 3]), ("isclose", 1.0, 1.0 + 1e-10),
]


@pytest.mark.parametrize("case", MATH_CASES, ids=[str(c) for c in MATH_CASES])
def test_math_matches_python(case) -> None:
    name, *args = case
    mine = outcome(ns.call, MATH.members[name], tuple(args), {})
    assert mine == outcome(getattr(math, name), *args)


def test_math_constants_and_tensor_arguments() -> None:
    for name in ("pi", "e", "tau", "inf"):
        assert MATH.members[name] == getattr(math, name)
    assert math.isnan(MATH.members["nan"])
    one = Tensor(np.array([0.5]), requires_grad=True)
    assert ns.call(MATH.members["exp"], (one,), {}) == math.exp(torch.tensor([0.5]))
    assert ns.call(MATH.members["log"], (Tensor(np.array(8.0)), 2), {}) == math.log(
        torch.tensor(8.0), 2)
    many = Tensor(np.array([1.0, 2.0]))
    assert outcome(ns.call, MATH.members["exp"], (many,), {}) == outcome(
        math.exp, torch.tensor([1.0, 2.0]))
    with pytest.raises(LimitError):
        ns.call(MATH.members["factorial"], (25,), {})


# ---------------------------------------------------------------- bounded


def test_containers_and_strings_are_capped() -> None:
    for f in (lambda: call("list", range(10 ** 7)), lambda: call("sorted", range(10 ** 9)),
              lambda: method("ab", "center", 10 ** 8),
              lambda: method("-", "join", ["ab"] * 10 ** 6),
              lambda: method("a" * 1000, "replace", "a", "b" * 2000),
              lambda: call("list", iterate(call("zip", range(10 ** 9))))):
        start = time.perf_counter()
        with pytest.raises(LimitError):
            f()
        # A lazy source is refused after its millionth item (~0.5 s alone, more under load);
        # the others before building anything.
        assert time.perf_counter() - start < 10.0


def test_str_of_a_huge_value_is_refused_without_building_it() -> None:
    start = time.perf_counter()
    with pytest.raises(LimitError, match="str\\(\\) of this value would be longer than the limit"):
        call("str", list(range(10 ** 6)))
    assert time.perf_counter() - start < 2.0
    numbers = [float(v % 7) for v in range(10 ** 6)]
    start = time.perf_counter()
    assert call("sorted", numbers, reverse=True) == sorted(numbers, reverse=True)
    assert time.perf_counter() - start < 2.0   # plain numbers sort at C speed (0.1 s alone)


def test_long_loops_in_builtins_stop_at_the_time_limit() -> None:
    with recording(Tape(limits=Limits(max_seconds=0.2))):
        start = time.perf_counter()
        with pytest.raises(LimitError, match="time limit"):
            call("sum", range(10 ** 15))
        with pytest.raises(LimitError, match="time limit"):
            call("any", iterate(call("map", PYTHON_BUILTINS["bool"], range(10 ** 15))))
        assert time.perf_counter() - start < 3.0


def test_every_builtin_and_method_has_a_case() -> None:
    """A new builtin must come with its oracle comparison above."""
    covered = {c[0] for c in BUILTIN_CASES} | {"type", "isinstance"}
    assert set(PYTHON_BUILTINS) <= covered, set(PYTHON_BUILTINS) - covered


def test_caught_exceptions_are_instances_of_their_python_classes() -> None:
    def marker(name: str) -> ns.Function:   # how the language names an exception class
        return ns.Function(name, lambda: None, "class")
    error = ArgumentError("division by zero", python_type="ZeroDivisionError")
    for name in ("ZeroDivisionError", "ArithmeticError", "Exception", "BaseException",
                 "ValueError", "LookupError"):
        assert call("isinstance", error, marker(name)) == isinstance(
            ZeroDivisionError("division by zero"), getattr(builtins, name))
    names = ("Exception", "BaseException", "RuntimeError", "ValueError", "TypeError",
             "IndexError", "KeyError", "ZeroDivisionError", "AssertionError", "NameError",
             "AttributeError", "ArithmeticError", "LookupError", "NotImplementedError",
             "StopIteration", "RecursionError", "OverflowError", "UnboundLocalError")
    for raised in names:
        for handler in names:
            assert is_exception_class(raised, handler) == issubclass(
                getattr(builtins, raised), getattr(builtins, handler)), (raised, handler)
    assert value_repr(call("type", error)) == "<class 'ZeroDivisionError'>"
    assert get_attribute(error, "args") == ZeroDivisionError("division by zero").args
    assert outcome(get_attribute, error, "grad") == outcome(
        getattr, ZeroDivisionError("division by zero"), "grad")


# ---------------------------------------------------------------- robustness


def _method_names(table: str) -> list[str]:
    from chainrule.engine.lang.builtins import methods
    return sorted(getattr(methods, f"_{table}_METHODS"))


POOL = [0, 1, -1, 2 ** 62, 1.5, -0.0, math.nan, math.inf, True, None, "", "ab", "1", [], [1, 2],
        (), (1, "a"), {}, {"a": 1}, range(3), range(10 ** 15), [[1], [2]], [("a", 1)],
        ns.TORCH, PYTHON_BUILTINS["len"], ns.TORCH.members["float64"]]


def _tensors() -> list:
    return [Tensor(np.array(2.0)), Tensor(np.array([1.0, -2.0]), requires_grad=True),
            Tensor(np.zeros((2, 0))), Tensor(np.array([3, 1]))]


@given(st.sampled_from(sorted(PYTHON_BUILTINS) + ["math." + n for n in MATH.members
                                                    if isinstance(MATH.members[n], ns.Function)]),
       st.lists(st.integers(0, len(POOL) + 3), max_size=3))
@settings(max_examples=500, deadline=None)
def test_no_argument_makes_a_builtin_fail_outside_the_language(name: str, picks: list) -> None:
    """Any arguments: a result or a ChainruleError (a Python TypeError here would be an
    engine bug, an 'internal error' for the learner)."""
    pool = POOL + _tensors()
    args = tuple(pool[i] for i in picks)
    target = MATH.members[name[5:]] if name.startswith("math.") else PYTHON_BUILTINS[name]
    with recording(Tape(limits=Limits(max_seconds=0.5))):
        try:
            result = ns.call(target, args, {})
            if getattr(result, "python_type_name", None):
                for _ in zip(range(100), iterate(result), strict=False):
                    pass
        except ChainruleError:
            pass


@given(st.sampled_from([(kind, name) for kind, table in ((list, "LIST"), (dict, "DICT"),
                                                         (str, "STR"), (tuple, "TUPLE"))
                        for name in _method_names(table)]),
       st.lists(st.integers(0, len(POOL) + 3), max_size=3))
@settings(max_examples=500, deadline=None)
def test_no_argument_makes_a_method_fail_outside_the_language(case, picks: list) -> None:
    kind, name = case
    pool = POOL + _tensors()
    obj = {list: [3, "a", None], dict: {"k": 1}, str: "a-b", tuple: (1, 2)}[kind]
    with contextlib.suppress(ChainruleError):
        ns.call(get_attribute(obj, name), tuple(pool[i] for i in picks), {})


def test_iter_and_next_as_python() -> None:
    it = call("iter", [1, 2])
    assert value_repr(it).startswith("<list_iterator object at 0x")
    assert call("next", it) == 1 and call("next", it) == 2
    assert call("next", it, "done") == "done"
    assert outcome(call, "next", it) == ("StopIteration", "")
    assert call("callable", PYTHON_BUILTINS["len"]) and call("callable", PYTHON_BUILTINS["int"])
    rows = call("iter", Tensor(np.ones((2, 3))))
    assert call("next", rows).shape == (3,)


UNPACK_CASES = [  # (targets as Python writes them, value)
    ("a, b", 1), ("a, b", [1]), ("a, b", [1, 2, 3]), ("a, b", (1, 2)), ("a, b", "xy"),
    ("a, *b, c", [1]), ("a, *b, c", [1, 2]), ("a, *b, c", range(6)), ("*a, b", [1, 2, 3]),
    ("a, *b", []), ("a, b", None), ("a, b", {"k": 1, "j": 2}), ("a,", [5]), ("*a,", "abc"),
]


@pytest.mark.parametrize("case", UNPACK_CASES, ids=[repr(c) for c in UNPACK_CASES])
def test_unpacking_as_python(case) -> None:
    targets, value = case
    names = [n.strip() for n in targets.split(",") if n.strip()]
    starred = next((i for i, n in enumerate(names) if n.startswith("*")), None)

    def python():
        env = {"value": value}
        exec(f"{targets} = value", env)  # noqa: S102 - Python itself is the oracle
        return [env[n.lstrip("*")] for n in names]
    assert outcome(unpack, value, len(names), starred) == outcome(python)


def test_unpacking_tensors_and_length_hints() -> None:
    a, b = unpack(Tensor(np.ones((2, 3))), 2)
    assert a.shape == b.shape == (3,)
    assert outcome(unpack, Tensor(np.array(1.0)), 2) == ("TypeError", "iteration over a 0-d tensor")
    for value, n in [([1, 2], 2), ("abc", 3), (range(10 ** 15), 10 ** 15), ({1: 2}, 1),
                     (Tensor(np.ones((4, 2))), 4), (Tensor(np.array(1.0)), None),
                     (call("zip", [1]), None), (5, None)]:
        assert length_hint(value) == n


INDEX_CASES = [
    ([1, 2], 1), ([1, 2], -1), ([1], 5), ((1,), 5), ("ab", 1), ("a", 5), (range(3), 5),
    (range(10), slice(2, 8, 2)), ([1, 2, 3], slice(None, None, -1)), ([1], slice(1.5, None)),
    ([1], slice(None, None, 0)), ([1], "a"), ((1,), "a"), ("a", "a"), (range(3), "a"),
    ([1], 1.0), ([1], None), ([1, 2], True), ({"a": 1}, "a"), ({}, "a"), ({}, [1]),
    (5, 0), (None, 0), ({1: 2}.keys(), 0), ("abc", slice(-2, None)),
]


@pytest.mark.parametrize("case", INDEX_CASES, ids=[repr(c) for c in INDEX_CASES])
def test_indexing_as_python(case) -> None:
    obj, key = case
    assert repr(outcome(get_item, obj, key)) == repr(outcome(lambda: obj[key]))


ASSIGN_CASES = [
    ([1, 2], 0, 9), ([1], 5, 9), ([1, 2, 3], slice(0, 2), [7]), ([1, 2, 3], slice(None, None, 2),
    [1]), ([1, 2, 3], slice(0, 2), 5), ([1], "a", 1), ({}, "k", 1), ({}, [1], 1), ((1,), 0, 1),
    ("a", 0, "b"), ([1, 2, 3], slice(1, None), "xy"),
]


@pytest.mark.parametrize("case", ASSIGN_CASES, ids=[repr(c) for c in ASSIGN_CASES])
def test_item_assignment_and_deletion_as_python(case) -> None:
    obj, key, value = case
    mine, real = _copy(obj), _copy(obj)

    def python_set():
        real[key] = value
    assert repr(outcome(set_item, mine, key, value)) == repr(outcome(python_set))
    assert mine == real
    mine, real = _copy(obj), _copy(obj)

    def python_del():
        del real[key]
    assert repr(outcome(del_item, mine, key)) == repr(outcome(python_del))
    assert mine == real


def test_indexing_with_tensors_and_sizes() -> None:
    assert get_item([10, 20], Tensor(np.array(1))) == [10, 20][torch.tensor(1)]
    assert outcome(get_item, [10, 20], Tensor(np.array(1.0))) == outcome(
        lambda: [10, 20][torch.tensor(1.0)])
    size = get_attribute(Tensor(np.ones((2, 3, 4))), "shape")
    assert get_item(size, -1) == 4
    assert value_repr(get_item(size, slice(1, None))) == repr(torch.ones(2, 3, 4).shape[1:])
    row = get_item(Tensor(np.arange(6.0).reshape(2, 3)), 1)
    np.testing.assert_array_equal(row.data, [3.0, 4.0, 5.0])
