"""Binary and unary operators on every value of the language: tensors through
`engine.functional` (recorded on the tape), Python numbers as Python computes them, strings,
lists and tuples (concatenation, repetition, `%`-formatting) under the size caps.

Python numbers: ints stay ints while they fit in 64 bits; `10 ** 10 ** 10` is the float `inf`
and a negative base to a fractional power is `nan` (as a tensor would give) rather than
Python's complex number, so no operator can hang or make a huge number. Division by zero is
Python's ZeroDivisionError, in Python's words.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from chainrule.engine import dialects
from chainrule.engine import functional as fn
from chainrule.engine.errors import ArgumentError, RuntimeProblem
from chainrule.engine.lang import formatting
from chainrule.engine.lang.builtins import check_chars, check_items
from chainrule.engine.nn.module import Parameter
from chainrule.engine.printing import type_name
from chainrule.engine.tensor import Tensor

INT_LIMIT = 2 ** 63

SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%", ast.BitAnd: "&",
           ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}


def plain(x: Any) -> Any:
    if isinstance(x, bool | np.bool_):
        return int(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def to_float(x: int | float) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def fit(x: int | float) -> int | float:
    """Keep ints within 64 bits: larger ones become floats (as they would in a tensor)."""
    if isinstance(x, int) and not -INT_LIMIT <= x < INT_LIMIT:
        return to_float(x)
    return x


def _zero_division(message: str) -> RuntimeProblem:
    return RuntimeProblem(message, python_type="ZeroDivisionError")


_INT_OPS: dict[str, Callable[[int, int], int]] = {
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "&": lambda a, b: a & b,
    "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "<<": lambda a, b: a << b,
    ">>": lambda a, b: a >> b}


def number_op(sym: str, a: Any, b: Any) -> int | float:
    if sym in ("&", "|", "^") and isinstance(a, bool | np.bool_) and \
            isinstance(b, bool | np.bool_):
        return bool(_INT_OPS[sym](bool(a), bool(b)))   # Python: True ^ False is True
    a, b = plain(a), plain(b)
    both_int = isinstance(a, int) and isinstance(b, int)
    if b == 0 and sym in ("/", "//", "%"):
        raise _zero_division({
            "/": "division by zero" if both_int else "float division by zero",
            "//": "integer division or modulo by zero" if both_int
            else "float floor division by zero",
            "%": "integer modulo by zero" if both_int else "float modulo"}[sym])
    if sym == "**" and a == 0 and b < 0:
        raise _zero_division("0.0 cannot be raised to a negative power")
    if both_int and sym in ("//", "%", "&", "|", "^", "<<", ">>"):
        if sym in ("<<", ">>") and b < 0:
            raise ArgumentError("negative shift count", python_type="ValueError")
        if sym == "<<" and b > 64:
            return to_float(a * 2.0 ** b)
        return fit(_INT_OPS[sym](a, b))
    if sym in ("&", "|", "^", "<<", ">>"):
        raise ArgumentError(f"unsupported operand type(s) for {sym}: '{type_name(a)}' and "
                            f"'{type_name(b)}'")
    fa, fb = np.float64(to_float(a)), np.float64(to_float(b))
    with np.errstate(all="ignore"):
        if sym == "/":
            return float(fa / fb)
        if sym == "//":
            return float(np.floor_divide(fa, fb))
        if sym == "%":
            return float(np.mod(fa, fb))
        if sym == "**":
            estimate = float(np.power(fa, fb))
            if both_int and b >= 0 and math.isfinite(estimate) and abs(estimate) < INT_LIMIT:
                return a ** b   # small result, so this is quick
            return estimate
        if both_int:
            return fit({"+": a + b, "-": a - b, "*": a * b}[sym])
        return float({"+": fa + fb, "-": fa - fb, "*": fa * fb}[sym])


# An operator on tensors is engine.functional's function of that name (None: not supported).
_TENSOR_OPS: dict[str, Callable[[Any, Any], Tensor] | None] = {
    sym: getattr(fn, name, None) for sym, name in (
        ("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "div_operator"), ("**", "pow"),
        ("@", "matmul"), ("//", "floor_divide"), ("%", "remainder"), ("&", "logical_and"),
        ("|", "logical_or"), ("^", "bitwise_xor"))}
_PLAIN_NUMBERS = (int, float)
_PLAIN_TENSORS = (Tensor, Parameter)   # a dialect's value class (micrograd's Value) is not one


def binary(sym: str, a: Any, b: Any) -> Any:
    # A tensor with a tensor or a plain number, in PyTorch (a training loop's every operator):
    # straight to the op. Everything else takes the general path below.
    ta, tb = type(a), type(b)
    if (ta in _PLAIN_TENSORS and (tb in _PLAIN_TENSORS or tb in _PLAIN_NUMBERS) or
            tb in _PLAIN_TENSORS and ta in _PLAIN_NUMBERS) and dialects.hooks() is None:
        op = _TENSOR_OPS.get(sym)
        if op is not None:
            return op(a, b)
    elif ta in _PLAIN_NUMBERS and tb in _PLAIN_NUMBERS and sym != "@":   # `t % 100`
        return number_op(sym, a, b)
    if isinstance(a, str) and sym == "%":   # `"%s" % x`, whatever x is
        return formatting.percent_format(a, b)
    for x in (a, b):   # a dialect's own value (micrograd's Value) has its own operators
        own = getattr(type(x), "language_binary", None)
        if own is not None:
            return own(sym, a, b)
    if (isinstance(a, Tensor) or isinstance(b, Tensor)) and (hooks := dialects.hooks()):
        a, b = hooks.operand(a), hooks.operand(b)   # TensorFlow converts `x @ [[1., 2.]]`
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        for x in (a, b):
            if not isinstance(x, Tensor) and not fn.is_number(x):
                raise _unsupported(sym, a, b)
        op = _TENSOR_OPS.get(sym)
        if op is None:
            raise RuntimeProblem(f"the {sym} operator on tensors is not supported yet")
        return op(a, b)
    if fn.is_number(a) and fn.is_number(b) and sym != "@":
        return number_op(sym, a, b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _array_op(sym, a, b)
    return _sequence_op(sym, a, b)


_ARRAY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "**": np.power,
    "@": np.matmul, "//": np.floor_divide, "%": np.mod}


def _array_op(sym: str, a: Any, b: Any) -> Any:
    """NumPy arrays (np.array, t.numpy()) with numbers or arrays, as NumPy computes."""
    for x in (a, b):
        if not (isinstance(x, np.ndarray) or fn.is_number(x)):
            raise _unsupported(sym, a, b)
    op = _ARRAY_OPS.get(sym)
    if op is None:
        raise _unsupported(sym, a, b)
    shapes = [np.shape(x) for x in (a, b)]
    try:
        n = math.prod(np.broadcast_shapes(*shapes)) if sym != "@" else 0
    except ValueError:
        raise ArgumentError(f"operands could not be broadcast together with shapes "
                            f"{shapes[0]} {shapes[1]}", python_type="ValueError") from None
    check_items(n, "array")
    with np.errstate(all="ignore"):
        try:
            return op(a, b)
        except (ValueError, TypeError) as e:
            raise ArgumentError(str(e).split("\n")[0], python_type="ValueError") from None


def _sequence_op(sym: str, a: Any, b: Any) -> Any:
    kinds = (str, list, tuple)
    if sym == "+" and type(a) is type(b) and type(a) in kinds:
        _check_size(a, len(a) + len(b))
        return a + b
    if sym == "*":
        seq, n = (a, b) if type(a) in kinds else (b, a)
        if type(seq) in kinds and isinstance(n, int | np.integer):
            n = max(int(n), 0)
            _check_size(seq, len(seq) * n)
            return seq * n
    raise _unsupported(sym, a, b)


def _check_size(seq: Any, n: int) -> None:
    if isinstance(seq, str):
        check_chars(n)
    else:
        check_items(n, type(seq).__name__)


def _unsupported(sym: str, a: Any, b: Any) -> ArgumentError:
    if sym == "*" and isinstance(a, str | list | tuple) and isinstance(b, float):
        return ArgumentError(f"can't multiply sequence by non-int of type '{type_name(b)}'")
    if sym == "+" and isinstance(a, str) and not isinstance(b, str):
        return ArgumentError(f'can only concatenate str (not "{type_name(b)}") to str')
    if sym == "+" and isinstance(a, list) and not isinstance(b, list):
        return ArgumentError(f'can only concatenate list (not "{type_name(b)}") to list')
    return ArgumentError(f"unsupported operand type(s) for {sym}: '{type_name(a)}' and "
                         f"'{type_name(b)}'")


def unary(op: ast.unaryop, value: Any, truth: Callable[[Any], bool]) -> Any:
    if isinstance(op, ast.Not):
        return not truth(value)
    own = getattr(type(value), "language_unary", None)
    if own is not None:
        return own({ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}[type(op)], value)
    if isinstance(value, Tensor):
        if isinstance(op, ast.USub):
            return fn.neg(value)
        if isinstance(op, ast.UAdd):
            return value
        invert = getattr(fn, "logical_not", None)
        if invert is None or value.data.dtype.kind != "b" and \
                getattr(value, "dtype_name", "") != "bool":
            raise RuntimeProblem("~ on tensors is only supported for bool tensors")
        return invert(value)
    sym = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}[type(op)]
    if not fn.is_number(value):
        raise ArgumentError(f"bad operand type for unary {sym}: '{type_name(value)}'")
    if isinstance(op, ast.Invert):
        if not isinstance(value, int | bool | np.integer):
            raise ArgumentError(f"bad operand type for unary ~: '{type_name(value)}'")
        return fit(~int(value))
    value = plain(value)
    return fit(-value) if isinstance(op, ast.USub) else value
