"""Formatting values into strings: f-string fields (`{x:.3f}`, `{t!r}`), `str.format` and
`%`-formatting, with Python's results and messages and PyTorch's `Tensor.__format__`.

Plain numbers and strings are formatted by Python's own `format` and `%` (they hold nothing
but their value); every other value is turned into its text first (engine/printing). Widths and
precisions are capped at MAX_WIDTH, so `{x:999999999}` cannot build a huge string.
"""

from __future__ import annotations

import _string  # the parser str.format itself uses: splits "0.grad[1]" without evaluating it
import re
import string
from typing import Any

import numpy as np
from chainrule.engine.errors import ArgumentError, LimitError
from chainrule.engine.printing import python_number, short_text, type_name, value_repr, value_text
from chainrule.engine.tensor import Tensor

MAX_WIDTH = 1_000          # largest width or precision in a format spec
MAX_CHARS = 1_000_000      # longest formatted string (as engine/lang/builtins)
_DIGITS = re.compile(r"\d+")
_FORMAT_TYPE_NAMES = {"Size": "torch.Size", "dtype": "torch.dtype"}


def _python_error(e: Exception) -> ArgumentError:
    return ArgumentError(str(e), python_type=type(e).__name__)


def _check_chars(text: str) -> str:
    if len(text) > MAX_CHARS:
        raise LimitError(f"a string of more than {MAX_CHARS:,} characters is over the limit of "
                         f"{MAX_CHARS:,} characters per string")
    return text


def check_spec(spec: str) -> None:
    """Refuse a format spec whose width or precision is above MAX_WIDTH (any run of digits:
    a fill character that is a digit stays far below it)."""
    for m in _DIGITS.finditer(spec):
        if len(m.group()) > 4 or int(m.group()) > MAX_WIDTH:
            raise LimitError(f"the format spec {spec[:40]!r} asks for a width or precision "
                             f"above chainrule's limit of {MAX_WIDTH:,}")


def _plain(x: Any) -> Any:
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def convert(value: Any, conversion: str | int | None) -> Any:
    """`!r`, `!s`, `!a` of a replacement field: the value's repr, str or ascii repr.
    `conversion` may also be `ast.FormattedValue.conversion` (-1, or ord('r')…)."""
    if isinstance(conversion, int):
        conversion = None if conversion < 0 else chr(conversion)
    if conversion is None or conversion == "":
        return value
    if conversion == "r":
        return _check_chars(value_repr(value, MAX_CHARS))
    if conversion == "s":
        return _check_chars(value_text(value, MAX_CHARS))
    if conversion == "a":
        text = _check_chars(value_repr(value, MAX_CHARS))
        return text.encode("ascii", "backslashreplace").decode("ascii")
    raise ArgumentError(f"Unknown conversion specifier {conversion}", python_type="ValueError")


def format_value(value: Any, spec: str = "", conversion: str | int | None = None) -> str:
    """One f-string field `{value!conversion:spec}`, as Python's `format(value, spec)`."""
    value = _plain(convert(value, conversion))
    check_spec(spec)
    if isinstance(value, Tensor):
        # PyTorch's Tensor.__format__: a 0-d tensor formats its Python number.
        if value.data.ndim == 0:
            value = python_number(value)
        elif spec:
            raise ArgumentError("unsupported format string passed to Tensor.__format__",
                                python_type="TypeError")
    if isinstance(value, str | int | float):
        try:
            return _check_chars(format(value, spec))
        except (ValueError, TypeError, OverflowError) as e:
            raise _python_error(e) from None
    if spec:
        name = _FORMAT_TYPE_NAMES.get(type_name(value), type_name(value))
        raise ArgumentError(f"unsupported format string passed to {name}.__format__",
                            python_type="TypeError")
    return _check_chars(value_text(value, MAX_CHARS))


# ---------------------------------------------------------------- str.format


def str_format(fmt: str, args: tuple, kwargs: dict) -> str:
    """`fmt.format(*args, **kwargs)`: fields `{}`, `{0}`, `{name}`, `{0.grad}`, `{0[1]}`,
    conversions and specs (nested `{:{width}}` too). Attributes go through
    builtins.get_attribute, the language's own tables, never Python's getattr."""
    state = {"auto": 0, "manual": False}
    return _check_chars(_format_fields(fmt, args, kwargs, state, depth=2))


def _format_fields(fmt: str, args: tuple, kwargs: dict, state: dict, depth: int) -> str:
    if depth < 0:
        raise ArgumentError("Max string recursion exceeded", python_type="ValueError")
    out: list[str] = []
    size = 0
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError as e:
        raise _python_error(e) from None
    for literal, field, spec, conversion in parsed:
        out.append(literal)
        if field is not None:
            value = _field_value(field, args, kwargs, state)
            spec = _format_fields(spec, args, kwargs, state, depth - 1) if spec else ""
            out.append(format_value(value, spec, conversion))
        size += len(out[-1]) + len(literal)
        if size > MAX_CHARS:
            _check_chars("".join(out))
    return "".join(out)


def _field_value(field: str, args: tuple, kwargs: dict, state: dict) -> Any:
    from chainrule.engine.lang.builtins import get_attribute

    try:
        first, rest = _string.formatter_field_name_split(field)
        rest = list(rest)
    except ValueError as e:
        raise _python_error(e) from None
    if first == "":
        if state["manual"]:
            raise ArgumentError("cannot switch from manual field specification to automatic "
                                "field numbering", python_type="ValueError")
        first = state["auto"]
        state["auto"] += 1
    elif isinstance(first, int):
        if state["auto"]:
            raise ArgumentError("cannot switch from automatic field numbering to manual field "
                                "specification", python_type="ValueError")
        state["manual"] = True
    if isinstance(first, int):
        if first >= len(args):
            raise ArgumentError(f"Replacement index {first} out of range for positional args "
                                "tuple", python_type="IndexError")
        value = args[first]
    else:
        if first not in kwargs:
            raise ArgumentError(repr(first), python_type="KeyError")
        value = kwargs[first]
    for is_attribute, key in rest:
        value = get_attribute(value, key) if is_attribute else _item(value, key)
    return value


def _item(value: Any, key: int | str) -> Any:
    """`{0[key]}`: an int key indexes lists, tuples and tensors; any key looks up a dict."""
    from chainrule.engine import functional as fn

    if isinstance(value, dict):
        if key not in value:
            raise ArgumentError(short_text(key), python_type="KeyError")
        return value[key]
    if isinstance(value, list | tuple | str) and isinstance(key, int):
        if not -len(value) <= key < len(value):
            raise ArgumentError(f"{type_name(value)} index out of range",
                                python_type="IndexError")
        return value[key]
    if isinstance(value, Tensor) and isinstance(key, int):
        return fn.index(value, key)
    if isinstance(value, list | tuple | str):
        raise ArgumentError(f"{type_name(value)} indices must be integers or slices, not str",
                            python_type="TypeError")
    raise ArgumentError(f"'{type_name(value)}' object is not subscriptable",
                        python_type="TypeError")


# ---------------------------------------------------------------- %-formatting


_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?(?P<flags>[-+ #0]*)(?P<width>\*|\d+)?"
                      r"(?:\.(?P<precision>\*|\d*))?[hlL]?")
_INTEGER_CODES = "oxX"
_NUMBER_CODES = "diu"
_FLOAT_CODES = "eEfFgG"


def percent_format(fmt: str, args: Any) -> str:
    """`fmt % args` (printf-style): `%d %i %u %o %x %X %e %f %g %c %s %r %a %%`, flags,
    widths and precisions (`*` too), a tuple or a single argument, `%(key)s` with a dict."""
    positional = args if isinstance(args, tuple) else (args,)
    mapping = args if isinstance(args, dict) else None
    used = 0
    out: list[str] = []
    size = 0
    pos = 0

    def take() -> Any:
        nonlocal used
        if used >= len(positional):
            raise ArgumentError("not enough arguments for format string",
                                python_type="TypeError")
        used += 1
        return positional[used - 1]

    while True:
        start = fmt.find("%", pos)
        if start < 0:
            out.append(fmt[pos:])
            break
        out.append(fmt[pos:start])
        m = _PERCENT.match(fmt, start)
        end = m.end()
        if end >= len(fmt):
            raise ArgumentError("incomplete format", python_type="ValueError")
        code = fmt[end]
        pos = end + 1
        if code == "%":
            out.append("%")
            continue
        key = m.group("key")
        width, precision = m.group("width"), m.group("precision")
        if width == "*":
            width = str(_star(take()))
        if precision == "*":
            precision = str(max(_star(take()), 0))
        if key is not None:
            if mapping is None:
                raise ArgumentError("format requires a mapping", python_type="TypeError")
            if key not in mapping:
                raise ArgumentError(repr(key), python_type="KeyError")
            value = mapping[key]
        else:
            value = take()
        pattern = "%" + m.group("flags") + (width or "") + (
            "" if precision is None else "." + precision)
        check_spec(pattern)
        out.append(_convert_one(pattern, code, value, end))
        size += len(out[-1]) + len(out[-2])
        if size > MAX_CHARS:
            _check_chars("".join(out))
    if mapping is None and used < len(positional):
        raise ArgumentError("not all arguments converted during string formatting",
                            python_type="TypeError")
    return _check_chars("".join(out))


def _star(value: Any) -> int:
    value = _plain(value)
    if isinstance(value, int):
        if abs(value) > MAX_WIDTH:
            raise LimitError(f"a width or precision of {value:,} is above chainrule's limit "
                             f"of {MAX_WIDTH:,}")
        return value
    raise ArgumentError("* wants int", python_type="TypeError")


def _convert_one(pattern: str, code: str, value: Any, index: int) -> str:
    """One `%` conversion, by Python's own `%` on a plain number or on the value's text."""
    from chainrule.engine.lang.builtins import as_index

    value = _plain(value)
    if code in "sra":
        text = convert(value, {"s": "s", "r": "r", "a": "a"}[code])
        return (pattern + "s") % (text,)
    if code in _NUMBER_CODES:
        number = _number(value)
        if number is None:
            raise ArgumentError(f"%{code} format: a real number is required, not "
                                f"{type_name(value)}", python_type="TypeError")
    elif code in _INTEGER_CODES:
        # Python takes the value's __index__ and words any failure as its own.
        try:
            number = as_index(value) if isinstance(value, int | Tensor) else None
        except ArgumentError:
            number = None
        if number is None:
            raise ArgumentError(f"%{code} format: an integer is required, not "
                                f"{type_name(value)}", python_type="TypeError")
    elif code in _FLOAT_CODES:
        number = _number(value)
        if number is None:
            raise ArgumentError(f"must be real number, not {type_name(value)}",
                                python_type="TypeError")
    elif code == "c":
        if not (isinstance(value, int) or isinstance(value, str) and len(value) == 1):
            raise ArgumentError("%c requires int or char", python_type="TypeError")
        number = value
    else:
        raise ArgumentError(f"unsupported format character '{code}' (0x{ord(code):x}) at "
                            f"index {index}", python_type="ValueError")
    try:
        return (pattern + code) % (number,)
    except (ValueError, TypeError, OverflowError) as e:
        raise _python_error(e) from None


def _number(value: Any) -> int | float | None:
    """A number for `%d`/`%f`: Python numbers, and one-element tensors (as `__float__`)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ArgumentError("only one element tensors can be converted to Python scalars",
                                python_type="ValueError")
        return python_number(value)
    if isinstance(value, int | float):
        return value
    return None
