"""f-string fields, `str.format` and `%`-formatting against Python's own (results, exception
types and messages), tensors against PyTorch's `Tensor.__format__`."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ChainruleError, LimitError
from chainrule.engine.lang.formatting import format_value, percent_format, str_format
from chainrule.engine.tensor import Tensor
from hypothesis import given, settings
from hypothesis import strategies as st


def outcome(f, *args):
    try:
        return "ok", f(*args)
    except ChainruleError as e:
        return e.python_type, e.message
    except Exception as e:  # noqa: BLE001 - the oracle's exception is the expected value
        return type(e).__name__, str(e)


def python_field(value, spec: str, conversion: str | None) -> str:
    """What Python's f-string `{value!conversion:spec}` gives."""
    if conversion:
        value = {"r": repr, "s": str, "a": ascii}[conversion](value)
    return format(value, spec)


# Format specs by the mini-language's grammar, small widths and precisions.
specs = st.builds(
    lambda fill_align, sign, alt, zero, width, grouping, precision, kind: (
        fill_align + sign + alt + zero + width + grouping + precision + kind),
    st.sampled_from(["", "<", ">", "^", "=", "*<", "0>", "x^"]),
    st.sampled_from(["", "+", "-", " ", "z", "-z"]), st.sampled_from(["", "#"]),
    st.sampled_from(["", "0"]),
    st.sampled_from(["", "1", "8", "12"]), st.sampled_from(["", ",", "_"]),
    st.sampled_from(["", ".0", ".3", ".10"]),
    st.sampled_from(["", "f", "F", "e", "E", "g", "G", "%", "d", "x", "X", "o", "b", "s", "n",
                     "c"]))
values = (st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10 ** 12, 10 ** 12)
          | st.booleans() | st.text(max_size=5) | st.none()
          | st.lists(st.integers(0, 9), max_size=3))


@given(values, specs, st.sampled_from([None, "r", "s", "a"]))
@settings(max_examples=600, deadline=None)
def test_fields_match_python(value, spec: str, conversion) -> None:
    assert repr(outcome(format_value, value, spec, conversion)) == repr(
        outcome(python_field, value, spec, conversion))


@pytest.mark.parametrize("value, spec", [
    (0.1, ".10f"), (2.5, ""), (2.5, ">8.2f"), (3, "05d"), (True, ">6"), (-1.5, "e"),
    ([0.5, 1.5], ""), ([0.5, 1.5], ".2f"), ([[1.0]], ">3"), (7, "x"), (1.0, "d"),
])
def test_tensors_format_as_pytorch(value, spec: str) -> None:
    ours = Tensor(np.asarray(value))
    theirs = torch.tensor(value)
    assert outcome(format_value, ours, spec, None) == outcome(format, theirs, spec)


def test_other_values_refuse_a_spec_as_python() -> None:
    shape = ns.TENSOR_ATTRIBUTES["shape"](Tensor(np.ones(2)))
    assert outcome(format_value, shape, ">4", None) == outcome(format, torch.ones(2).shape, ">4")
    assert outcome(format_value, shape, "", None) == outcome(format, torch.ones(2).shape, "")
    assert outcome(format_value, ns.TORCH.members["float64"], ">4", None) == outcome(
        format, torch.float64, ">4")


def test_widths_and_precisions_are_capped() -> None:
    for spec in ("999999999", ".999999999f", "1001", "x>50000", ",.2000f"):
        start = time.perf_counter()
        with pytest.raises(LimitError):
            format_value(1.5, spec, None)
        assert time.perf_counter() - start < 0.1
    assert format_value(1.5, "1000", None) == format(1.5, "1000")
    with pytest.raises(LimitError):
        percent_format("%*d", (10 ** 9, 1))
    with pytest.raises(LimitError):
        percent_format("%.99999f", 1.0)
    with pytest.raises(LimitError):
        str_format("{:{}}", (1, 10 ** 8), {})


# ---------------------------------------------------------------- %-formatting


PERCENT_CASES = [
    ("%d", 3), ("%i", -3.7), ("%u", 5), ("%5d|%-5d|%05d|%+d", (1, 2, 3, 4)), ("%x %X %o", (255,
     255, 8)), ("%#x %#o", (255, 8)), ("%f", 1 / 3), ("%.3f", 2.0), ("%10.2e", 12345.678),
    ("%g %G", (1e-7, 1e20)), ("%s and %r", ("a", "a")), ("%a", "é"), ("%%", ()),
    ("%c%c", (65, "b")), ("%5s|%-5s|%.2s", ("ab", "cd", "xyz")), ("%s", (1, 2)),
    ("%s", [1, 2]), ("%s %s", (1,)), ("%s", (1, 2, 3)), ("%d", "a"), ("%f", "a"),
    ("%x", 3.0), ("%c", 3.0), ("%y", 1), ("abc %", 1), ("%(a)s-%(b)d", {"a": "x", "b": 2}),
    ("%(a)s", (1,)), ("%(c)s", {"a": 1}), ("%s", {"a": 1}), ("%*d|%-*.*f", (5, 1, 8, 2, 3.14159)),
    ("%.*s", (2, "abcd")), ("%*d", ("a", 1)), ("no fields", ()), ("no fields", 5),
    ("%d%%", 50), ("%s", None), ("%5.1f%%", 99.5), ("%ld", 3), ("%-+8.3f|", -2.5),
    ("% d", 5), ("%e", math.inf), ("%d", math.nan), ("%d", True), ("%s", True), ("%r", 1.0),
]


@pytest.mark.parametrize("case", PERCENT_CASES, ids=[repr(c) for c in PERCENT_CASES])
def test_percent_format_matches_python(case) -> None:
    fmt, args = case
    assert repr(outcome(percent_format, fmt, args)) == repr(outcome(lambda: fmt % args))


@given(st.lists(st.sampled_from(["%d", "%5.2f", "%s", "%r", "%x", "%-4s", "%e", "%%", " ", "a",
                                 "%+g", "%03i", "%c"]), max_size=5),
       st.lists(st.integers(-300, 300) | st.floats(allow_nan=False) | st.text(max_size=2),
                max_size=5))
@settings(max_examples=400, deadline=None)
def test_any_percent_format_matches_python(parts: list[str], args: list) -> None:
    fmt, arg = "".join(parts), tuple(args)
    assert repr(outcome(percent_format, fmt, arg)) == repr(outcome(lambda: fmt % arg))


def test_percent_format_of_tensors_as_pytorch() -> None:
    for fmt, value in [("%.3f", [3.7]), ("%d", 3.7), ("%s", [3.7]), ("%x", 3), ("%.2f", [1.0, 2.0]),
                       ("%x", 3.0), ("%r", [1.0, 2.0])]:
        ours, theirs = Tensor(np.asarray(value)), torch.tensor(value)
        assert outcome(percent_format, fmt, ours) == outcome(fmt.__mod__, theirs), fmt


# ---------------------------------------------------------------- str.format


FORMAT_CASES = [
    ("{} {}", (1, 2), {}), ("{0} {1} {0}", ("a", "b"), {}), ("{x:.2f}", (), {"x": 3.14159}),
    ("{:>{}}", ("ab", 6), {}), ("{0[1]}", ([5, 6],), {}), ("{0[k]}", ({"k": 9},), {}),
    ("{!r:>8}", ("s",), {}), ("{} {1}", (1, 2), {}), ("{1} {}", (1, 2), {}), ("{5}", (1,), {}),
    ("{x}", (), {}), ("{", (), {}), ("}", (), {}), ("{{}} {}", (1,), {}), ("{0[5]}", ([1],), {}),
    ("{0[a]}", ([1],), {}), ("{:d}", (1.5,), {}), ("{0!x}", (1,), {}), ("{0.real}", (2.5,), {}),
    ("{:{}{}}", (3.14159, ">", 9), {}), ("{:.{}f}", (3.14159, 2), {}),
]


@pytest.mark.parametrize("case", FORMAT_CASES, ids=[repr(c) for c in FORMAT_CASES])
def test_str_format_matches_python(case) -> None:
    fmt, args, kwargs = case
    assert repr(outcome(str_format, fmt, args, kwargs)) == repr(
        outcome(lambda: fmt.format(*args, **kwargs)))


def test_str_format_reaches_attributes_through_the_tables_only() -> None:
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    real = torch.tensor([1.0, 2.0], requires_grad=True)
    expected = f"{real.shape} {real.requires_grad}"
    assert str_format("{0.shape} {0.requires_grad}", (t,), {}) == expected
    mine = outcome(str_format, "{0.__class__}", (1.5,), {})
    assert mine == ("AttributeError", "'float' object has no attribute '__class__'")
    assert outcome(str_format, "{0.__dict__}", (ns.TORCH,), {})[0] != "ok"


def test_conversions_as_the_ast_gives_them() -> None:
    import ast
    field = ast.parse('f"{x!r:>6}"').body[0].value.values[0]
    assert format_value("a", ">6", field.conversion) == f"{'a'!r:>6}"
    plain = ast.parse('f"{x}"').body[0].value.values[0]
    assert format_value(1.5, "", plain.conversion) == "1.5"
