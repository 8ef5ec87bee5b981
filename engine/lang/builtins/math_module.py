"""`import math`: Python's math functions on numbers and one-element tensors (as Python
converts a tensor through `__float__`), with Python's errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from chainrule.engine import namespace as ns
from chainrule.engine.errors import LimitError
from chainrule.engine.lang.builtins.core import (
    MISSING,
    as_index,
    fit_int,
    iterate,
    materialise,
    python_error,
    real_number,
    timed,
    value_error,
)

MAX_FACTORIAL = 20         # 21! does not fit the language's 64-bit integers


def _math_function(name: str) -> Callable[..., Any]:
    """A `math` function of real numbers: Python's own, arguments may be one-element
    tensors (Python converts them through `__float__`), errors in Python's words."""
    native = getattr(math, name)

    def impl(*args: Any) -> Any:
        values = [real_number(a) for a in args]
        try:
            return native(*values)
        except (ValueError, OverflowError, TypeError) as e:
            raise python_error(e) from None
    impl.__name__ = name
    return impl


def _math_log(x: Any, base: Any = MISSING, /) -> float:
    values = [real_number(x)] if base is MISSING else [real_number(x), real_number(base)]
    try:
        return math.log(*values)
    except (ValueError, ZeroDivisionError) as e:
        raise python_error(e) from None


def _math_isclose(a: Any, b: Any, *, rel_tol: Any = 1e-09, abs_tol: Any = 0.0) -> bool:
    try:
        return math.isclose(real_number(a), real_number(b), rel_tol=real_number(rel_tol),
                            abs_tol=real_number(abs_tol))
    except ValueError as e:
        raise python_error(e) from None


def _math_factorial(n: Any, /) -> int:
    n = as_index(n)
    if n < 0:
        raise value_error("factorial() not defined for negative values")
    if n > MAX_FACTORIAL:
        raise LimitError(f"math.factorial({n}) is larger than the language's 64-bit integers "
                         f"(at most factorial({MAX_FACTORIAL}))")
    return math.factorial(n)


def _math_gcd(*integers: Any) -> int:
    return math.gcd(*[as_index(i) for i in integers])


def _math_fsum(seq: Any, /) -> float:
    try:
        return math.fsum(real_number(x) for x in materialise(seq))
    except (ValueError, OverflowError) as e:
        raise python_error(e) from None


def _math_prod(iterable: Any, /, *, start: Any = 1) -> Any:
    total = start
    for x in timed(iterate(iterable)):
        total = fit_int(real_number(total) * real_number(x))
    return total


_MATH_REAL = ("sqrt", "exp", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "asin",
              "acos", "atan", "atan2", "tanh", "sinh", "cosh", "asinh", "acosh", "atanh",
              "floor", "ceil", "trunc", "fabs", "pow", "hypot", "erf", "erfc", "gamma",
              "lgamma", "isnan", "isinf", "isfinite", "copysign", "fmod", "degrees",
              "radians", "exp2", "cbrt")

MATH = ns.Module("math", {
    **{name: ns.Function(name, impl) for name, impl in {
        **{name: _math_function(name) for name in _MATH_REAL},
        "log": _math_log, "isclose": _math_isclose, "factorial": _math_factorial,
        "gcd": _math_gcd, "fsum": _math_fsum, "prod": _math_prod}.items()},
    "pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf, "nan": math.nan,
})
