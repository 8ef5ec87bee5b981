"""The Python side of the snippet language: builtins (`len`, `range`, `zip`, `min`, `sorted`…),
the methods of lists, dicts and strings, `import math`, iteration, truth and comparison.

Semantics and messages are Python 3.11's and, where a tensor is involved, PyTorch's
(`len()` of a 0-d tensor, `bool()` of a many-element tensor, `float(t)`). Every call is a
`namespace.Function` (bound methods are `namespace.BoundMethod`), so the interpreter calls these
through `namespace.call` like every table function. Nothing here calls a user's object except
user functions (`key=`, `map`), which the interpreter made and which run under its limits.

Bounds: a materialised container holds at most MAX_ITEMS items and a string at most MAX_CHARS
characters (LimitError naming the limit); loops over lazy ranges check the time limit every
few thousand items, so `sum(range(10**15))` stops at the time limit instead of hanging.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from engine import functional as fn
from engine import namespace as ns
from engine.errors import ArgumentError, LimitError, NameProblem, RuntimeProblem
from engine.lang import formatting
from engine.printing import python_number, short_text, type_name, value_repr, value_text
from engine.tensor import Tensor, current_tape

MAX_ITEMS = 1_000_000      # items in one list, tuple, dict or set a builtin builds
MAX_CHARS = 1_000_000      # characters in one string a builtin builds
MAX_FACTORIAL = 20         # 21! does not fit the language's 64-bit integers
INT_LIMIT = 2 ** 63
_TICK = 4096               # items between two time-limit checks
_MISSING = object()        # "no argument given" where None is a valid argument


def _type_error(message: str) -> ArgumentError:
    return ArgumentError(message, python_type="TypeError")


def _value_error(message: str) -> ArgumentError:
    return ArgumentError(message, python_type="ValueError")


def _python_error(e: Exception) -> ArgumentError:
    """A Python builtin's own TypeError/ValueError/… in its own words, as a catchable error."""
    return ArgumentError(str(e), python_type=type(e).__name__)


def check_items(n: int, what: str = "list") -> None:
    """Refuse a container of more than MAX_ITEMS items before it is built."""
    if n > MAX_ITEMS:
        raise LimitError(f"a {what} of {n:,} items is over the limit of {MAX_ITEMS:,} items "
                         "per container")


def check_chars(n: int) -> None:
    """Refuse a string of more than MAX_CHARS characters before it is built."""
    if n > MAX_CHARS:
        raise LimitError(f"a string of {n:,} characters is over the limit of {MAX_CHARS:,} "
                         "characters per string")


def is_number(x: Any) -> bool:
    return isinstance(x, int | float | np.integer | np.floating | np.bool_)


def _plain(x: Any) -> Any:
    """NumPy scalars as the Python numbers they stand for."""
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def call_value(f: Any, *args: Any, **kwargs: Any) -> Any:
    """Call what a program passed as a function (`key=`, `map(f, …)`): a user function, a
    table function or bound method, or an nn module."""
    if getattr(f, "user_function", False):
        return f(*args, **kwargs)
    if isinstance(f, ns.CALLABLE):
        return ns.call(f, args, kwargs)
    raise _type_error(f"'{type_name(f)}' object is not callable")


# ---------------------------------------------------------------- iteration


class LazyIterator:
    """What `zip`, `enumerate`, `map`, `filter` and `reversed` return: a single-pass iterator,
    as Python's, printed as `<zip object at 0x…>`."""

    def __init__(self, kind: str, items: Iterator[Any]) -> None:
        self.python_type_name = kind
        self._items = items

    def __iter__(self) -> LazyIterator:
        return self

    def __next__(self) -> Any:
        return next(self._items)

    def __repr__(self) -> str:
        from engine.printing import fake_address
        return f"<{self.python_type_name} object at {fake_address(self.python_type_name)}>"


def _guarded(items: Iterator[Any]) -> Iterator[Any]:
    """Python's RuntimeError for a dict or set changed while it is iterated, as catchable."""
    try:
        yield from items
    except RuntimeError as e:
        raise RuntimeProblem(str(e)) from None


def _rows(t: Tensor) -> Iterator[Tensor]:
    """A tensor iterates over its first dimension, as PyTorch's `unbind(0)`."""
    if t.data.ndim == 0:
        raise _type_error("iteration over a 0-d tensor")
    unbind = getattr(fn, "unbind", None)
    if unbind is not None:
        return iter(unbind(t))
    return (fn.index(t, i) for i in range(t.shape[0]))


def iterate(value: Any) -> Iterator[Any]:
    """`iter(value)` for `for` loops, comprehensions, unpacking and the builtins: ranges,
    lists, tuples, strings, dicts (keys), sets, dict views, lazy iterators, tensors by rows."""
    if isinstance(value, list | tuple | str | range):
        return iter(value)
    if isinstance(value, dict | set | frozenset) or _is_view(value):
        return _guarded(iter(value))
    if isinstance(value, LazyIterator):
        return value
    if isinstance(value, Tensor):
        return _rows(value)
    raise _type_error(f"'{type_name(value)}' object is not iterable")


def _is_view(value: Any) -> bool:
    return type(value).__name__ in ("dict_keys", "dict_values", "dict_items")


def length_hint(value: Any) -> int | None:
    """How many items iterating `value` gives, when known without iterating (for a loop's
    "iteration 3 of 5"): sized containers, ranges and tensors; None for lazy iterators."""
    if isinstance(value, Tensor):
        return int(value.shape[0]) if value.data.ndim else None
    if isinstance(value, list | tuple | str | range | dict | set | frozenset) or _is_view(value):
        try:
            return len(value)
        except OverflowError:
            return None
    return None


def unpack(value: Any, count: int, starred: int | None = None) -> list:
    """`a, b = value` (count 2) or `a, *b, c = value` (count 3, starred 1): the values to
    assign, the starred one as a list; Python's errors for the wrong number of items."""
    if not _iterable(value):
        raise _type_error(f"cannot unpack non-iterable {type_name(value)} object")
    if starred is None:
        items: list[Any] = []
        for item in iterate(value):
            if len(items) == count:
                raise _value_error(f"too many values to unpack (expected {count})")
            items.append(item)
        if len(items) < count:
            raise _value_error(f"not enough values to unpack (expected {count}, got "
                               f"{len(items)})")
        return items
    items = materialise(value)
    fixed = count - 1
    if len(items) < fixed:
        raise _value_error(f"not enough values to unpack (expected at least {fixed}, got "
                           f"{len(items)})")
    after = fixed - starred
    middle_end = len(items) - after
    return [*items[:starred], items[starred:middle_end], *items[middle_end:]]


def _iterable(value: Any) -> bool:
    return isinstance(value, list | tuple | str | range | dict | set | frozenset | LazyIterator
                      | Tensor) or _is_view(value)


def _timed(items: Iterator[Any]) -> Iterator[Any]:
    """The items, checking the time limit every _TICK of them."""
    tape = current_tape()
    for i, item in enumerate(items):
        if not i % _TICK:
            tape.check_time()
        yield item


def materialise(value: Any, what: str = "list") -> list:
    """All items of an iterable as a list, at most MAX_ITEMS of them."""
    if isinstance(value, list | tuple | str | range):
        check_items(len(value), what)
        return list(value)
    out: list[Any] = []
    for item in _timed(iterate(value)):
        if len(out) >= MAX_ITEMS:
            raise LimitError(f"a {what} of more than {MAX_ITEMS:,} items is over the limit of "
                             f"{MAX_ITEMS:,} items per container")
        out.append(item)
    return out


# ---------------------------------------------------------------- truth and comparison


_PLAIN_TRUTH = frozenset({bool, int, float, str, list, tuple, dict, range, type(None)})


def truth(value: Any) -> bool:
    """`bool(value)`: Python's truthiness; a tensor with one element is that element's truth,
    as PyTorch, and any other tensor raises PyTorch's error."""
    if type(value) in _PLAIN_TRUTH:   # the common case, in every `if` and `while`
        return bool(value)
    if isinstance(value, Tensor):
        n = value.numel()
        if n == 0:
            raise RuntimeProblem("Boolean value of Tensor with no values is ambiguous")
        if n > 1:
            raise RuntimeProblem("Boolean value of Tensor with more than one value is "
                                 "ambiguous")
        return bool(python_number(value))
    if value is None:
        return False
    if isinstance(value, bool | int | float | str | list | tuple | dict | set | frozenset
                  | range | np.generic) or _is_view(value):
        return bool(value)
    return True


_FAST = (int, float, str)
_NUMBERS = (int, float)
_SYMBOLS = {"Eq": "==", "NotEq": "!=", "Lt": "<", "LtE": "<=", "Gt": ">", "GtE": ">=",
            "Is": "is", "IsNot": "is not", "In": "in", "NotIn": "not in"}
_TENSOR_COMPARISONS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_NATIVE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def compare(sym: str, a: Any, b: Any) -> Any:
    """`a <sym> b` for one comparison operator (`==`, `<`, `is not`, `in`…; the names of
    `ast`'s operator classes, or their nodes, are accepted too). Tensors compare elementwise
    into bool tensors through engine.functional; everything else gives a Python bool."""
    if not isinstance(sym, str):   # an ast operator node (ast.Lt()) names itself
        sym = type(sym).__name__
    sym = _SYMBOLS.get(sym, sym)
    if (type(a) is type(b) or type(a) in _NUMBERS and type(b) in _NUMBERS) and type(
            a) in _FAST and sym in _NATIVE:   # `i < n` in a loop
        return _NATIVE[sym](a, b)
    if sym == "is":
        return _same(a, b)
    if sym == "is not":
        return not _same(a, b)
    if sym == "in":
        return contains(b, a)
    if sym == "not in":
        return not contains(b, a)
    if sym not in _NATIVE:
        raise ArgumentError(f"unknown comparison {sym!r}")
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return _tensor_compare(sym, a, b)
    return _python_compare(sym, _plain(a), _plain(b))


def _tensor_compare(sym: str, a: Any, b: Any) -> Any:
    other = b if isinstance(a, Tensor) else a
    if not (isinstance(other, Tensor) or is_number(other)):
        # PyTorch: a tensor is never equal to None, a string or a list; ordering is an error.
        if sym in ("==", "!="):
            return sym == "!="
        raise _type_error(f"'{sym}' not supported between instances of '{type_name(a)}' and "
                          f"'{type_name(b)}'")
    op = getattr(fn, _TENSOR_COMPARISONS[sym], None)
    if op is None:
        raise RuntimeProblem(f"comparing tensors with {sym} is not available in chainrule yet")
    return op(a, b)


def _canonical_class(name: str) -> str:
    return {"Tensor": "torch.Tensor", "Size": "torch.Size", "dtype": "torch.dtype"}.get(name,
                                                                                       name)


def _is_class(value: Any) -> bool:
    return isinstance(value, ns.Function) and value.kind == "class"


def _same(a: Any, b: Any) -> bool:
    """`a is b`. Class markers and dtypes are one object each in Python (`type(t) is
    torch.Tensor`, `torch.float is torch.float32`); ours may be several equal records."""
    if a is b:
        return True
    if _is_class(a) and _is_class(b):
        return _canonical_class(a.name) == _canonical_class(b.name)
    if isinstance(a, ns.DType) and isinstance(b, ns.DType):
        return a.name == b.name
    return False


def equal(a: Any, b: Any) -> bool:
    """`a == b` as a container sees it (list.index, `in`): identity first, then `==`."""
    return _same(a, b) or truth(compare("==", a, b))


def _python_compare(sym: str, a: Any, b: Any) -> bool:
    numbers = is_number(a) and is_number(b)
    if numbers or (isinstance(a, str) and isinstance(b, str)):
        return _NATIVE[sym](a, b)
    seqs = (list, tuple)
    if isinstance(a, seqs) and isinstance(b, seqs) and (
            type(a) is type(b) or isinstance(a, tuple) and isinstance(b, tuple)):
        return _sequence_compare(sym, a, b)
    if sym in ("==", "!="):
        same = _equal_other(a, b)
        return same if sym == "==" else not same
    if isinstance(a, set | frozenset) and isinstance(b, set | frozenset):
        return _NATIVE[sym](a, b)
    raise _type_error(f"'{sym}' not supported between instances of '{type_name(a)}' and "
                      f"'{type_name(b)}'")


def _sequence_compare(sym: str, a: Any, b: Any) -> bool:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if not i % _TICK:
            current_tape().check_time()
        if not equal(x, y):
            if sym == "==":
                return False
            if sym == "!=":
                return True
            return truth(compare(sym, x, y))
    return _NATIVE[sym](len(a), len(b))


def _equal_other(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(
            k in b and equal(v, b[k]) for k, v in _timed(iter(a.items())))
    if isinstance(a, set | frozenset | range) and isinstance(b, set | frozenset | range):
        return type(a) is type(b) and a == b or (
            isinstance(a, set | frozenset) and isinstance(b, set | frozenset) and a == b)
    if _is_view(a) or _is_view(b):
        # Keys and items views compare as sets (with sets too); values views by identity.
        set_like = (set, frozenset, type({}.keys()), type({}.items()))
        return a is b or (isinstance(a, set_like) and isinstance(b, set_like) and a == b)
    if isinstance(a, ns.DType | ns.Size) or isinstance(b, ns.DType | ns.Size):
        return _same(a, b) or (isinstance(a, ns.DType) and isinstance(b, ns.DType)
                               and a.name == b.name)
    return _same(a, b)


def check_hashable(value: Any) -> None:
    """Dict keys and set items: Python's TypeError for lists, dicts and sets."""
    if isinstance(value, list | dict | set) or _is_view(value):
        raise _type_error(f"unhashable type: '{type_name(value)}'")
    if isinstance(value, tuple) and not isinstance(value, ns.Size):
        for item in value:
            check_hashable(item)


def contains(container: Any, item: Any) -> bool:
    """`item in container`."""
    if isinstance(container, Tensor):
        if not (isinstance(item, Tensor) or is_number(item)):
            raise RuntimeProblem("Tensor.__contains__ only supports Tensor or scalar, but you "
                                 f"passed in a <class '{type_name(item)}'>.")
        eq = compare("==", container, item)
        return bool(np.any(np.asarray(eq.data)))
    if isinstance(container, str):
        if not isinstance(item, str):
            raise _type_error("'in <string>' requires string as left operand, not "
                              f"{type_name(item)}")
        return item in container
    if isinstance(container, dict | set | frozenset) or type(container).__name__ == "dict_keys":
        check_hashable(item)
        return item in container
    if isinstance(container, range) and isinstance(_plain(item), int):
        return _plain(item) in container
    if isinstance(container, list | tuple | range | LazyIterator) or _is_view(container):
        return any(equal(x, item) for x in _timed(iterate(container)))
    raise _type_error(f"argument of type '{type_name(container)}' is not iterable")


# ---------------------------------------------------------------- indexing


_SEQUENCE_NAMES = {list: "list", tuple: "tuple", str: "string", range: "range object"}


def _slice_key(key: slice) -> slice:
    bounds = []
    for b in (key.start, key.stop, key.step):
        if b is None:
            bounds.append(None)
            continue
        try:
            bounds.append(as_index(b))
        except ArgumentError:
            raise _type_error("slice indices must be integers or None or have an __index__ "
                              "method") from None
    if bounds[2] == 0:
        raise _value_error("slice step cannot be zero")
    return slice(*bounds)


def _sequence_key(seq: Any, key: Any) -> int | slice:
    if isinstance(key, slice):
        return _slice_key(key)
    try:
        return as_index(key)
    except ArgumentError:
        if isinstance(_plain(key), Tensor) and not isinstance(seq, str):
            raise
    kind = type(seq) if type(seq) in _SEQUENCE_NAMES else tuple
    if kind is str:
        raise _type_error(f"string indices must be integers, not '{type_name(key)}'")
    name = "range" if kind is range else kind.__name__
    raise _type_error(f"{name} indices must be integers or slices, not {type_name(key)}")


def get_item(obj: Any, key: Any) -> Any:
    """`obj[key]` for every value: tensors through engine.functional.index; lists, tuples,
    strings, ranges and torch.Size by whole numbers (also one-element integer tensors) and
    slices; dicts by key. Python's errors, without quoting the container."""
    if isinstance(obj, Tensor):
        return fn.index(obj, key)
    if isinstance(obj, list | tuple | str | range):
        k = _sequence_key(obj, key)
        try:
            found = obj[k]
        except IndexError:
            kind = type(obj) if type(obj) in _SEQUENCE_NAMES else tuple
            raise ArgumentError(f"{_SEQUENCE_NAMES[kind]} index out of range",
                                python_type="IndexError") from None
        return ns.Size(found) if isinstance(obj, ns.Size) and isinstance(k, slice) else found
    if isinstance(obj, dict):
        check_hashable(key)
        if key not in obj:
            raise _key_error(key)
        return obj[key]
    raise _type_error(f"'{type_name(obj)}' object is not subscriptable")


def set_item(obj: Any, key: Any, value: Any) -> None:
    """`obj[key] = value` for lists and dicts (tensors: autograd_api.setitem, PyTorch's
    rules); Python's errors for the rest."""
    if isinstance(obj, Tensor):
        from engine import autograd_api
        setitem = getattr(autograd_api, "setitem", None)
        if setitem is None:
            raise RuntimeProblem("assigning into a tensor is not available in chainrule yet")
        setitem(obj, key, value)
        return
    if type(obj) is list:
        k = _sequence_key(obj, key)
        if isinstance(k, slice):
            if not _iterable(value):
                raise _type_error("can only assign an iterable")
            items = materialise(value)
            check_items(len(obj) - len(range(*k.indices(len(obj)))) + len(items))
            try:
                obj[k] = items
            except ValueError as e:
                raise _python_error(e) from None
            return
        if not -len(obj) <= k < len(obj):
            raise ArgumentError("list assignment index out of range", python_type="IndexError")
        obj[k] = value
        return
    if type(obj) is dict:
        check_hashable(key)
        if key not in obj:
            check_items(len(obj) + 1, "dict")
        obj[key] = value
        return
    raise _type_error(f"'{type_name(obj)}' object does not support item assignment")


def del_item(obj: Any, key: Any) -> None:
    """`del obj[key]` for lists and dicts."""
    if type(obj) is list:
        k = _sequence_key(obj, key)
        if isinstance(k, int) and not -len(obj) <= k < len(obj):
            raise ArgumentError("list assignment index out of range", python_type="IndexError")
        del obj[k]
        return
    if type(obj) is dict:
        check_hashable(key)
        if key not in obj:
            raise _key_error(key)
        del obj[key]
        return
    raise _type_error(f"'{type_name(obj)}' object doesn't support item deletion")


# ---------------------------------------------------------------- numbers


def _fit(x: Any) -> Any:
    """The language's ints stay within 64 bits (larger ones become floats, as in a tensor)."""
    if isinstance(x, int) and not isinstance(x, bool) and not -INT_LIMIT <= x < INT_LIMIT:
        try:
            return float(x)
        except OverflowError:
            return math.inf if x > 0 else -math.inf
    return x


def as_index(value: Any) -> int:
    """A whole number where Python wants one (`range`, `list.pop`): ints, bools, and
    one-element integer tensors (PyTorch's `__index__`)."""
    value = _plain(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Tensor):
        if value.numel() == 1 and value.data.dtype.kind in "iub":
            return int(python_number(value))
        raise _type_error("only integer tensors of a single element can be converted to an "
                          "index")
    raise _type_error(f"'{type_name(value)}' object cannot be interpreted as an integer")


def _scalar(value: Any) -> Any:
    """`float(t)`/`int(t)`/`math.exp(t)`: a one-element tensor's Python number (PyTorch)."""
    if value.numel() != 1:
        raise _value_error("only one element tensors can be converted to Python scalars")
    return python_number(value)


def _real(value: Any) -> float | int:
    """An argument of a `math` function: a number, or a one-element tensor's number."""
    value = _plain(value)
    if isinstance(value, Tensor):
        value = _scalar(value)
    if isinstance(value, int | float):
        return value
    raise _type_error(f"must be real number, not {type_name(value)}")


def add(a: Any, b: Any) -> Any:
    """`a + b` for `sum()`: tensors through engine.functional (recorded), numbers, and
    sequences of one kind."""
    a, b = _plain(a), _plain(b)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return fn.add(a, b)
    if is_number(a) and is_number(b):
        return _fit(a + b)
    for kind in (list, tuple, str):
        if type(a) is kind and type(b) is kind:
            if kind is str:
                check_chars(len(a) + len(b))
            else:
                check_items(len(a) + len(b), kind.__name__)
            return a + b
    raise _type_error(f"unsupported operand type(s) for +: '{type_name(a)}' and "
                      f"'{type_name(b)}'")


def _int(x: Any = 0, base: Any = _MISSING) -> int:
    x = _plain(x)
    if base is not _MISSING:
        if not isinstance(x, str):
            raise _type_error("int() can't convert non-string with explicit base")
        try:
            return _checked_int(int(x, as_index(base)))
        except ValueError as e:
            raise _value_error(str(e) if len(x) < 200 else
                               f"invalid literal for int() with base {base}") from None
    if isinstance(x, Tensor):
        x = _scalar(x)
    if isinstance(x, str):
        try:
            return _checked_int(int(x))
        except ValueError as e:   # Python's words, without quoting a long string in full
            raise _value_error(str(e) if len(x) <= 200 or not str(e).startswith("invalid") else
                               "invalid literal for int() with base 10: " + short_text(x)
                               ) from None
    if isinstance(x, int | float):
        try:
            return _checked_int(int(x))
        except (OverflowError, ValueError) as e:
            raise _python_error(e) from None
    raise _type_error("int() argument must be a string, a bytes-like object or a real number, "
                      f"not '{type_name(x)}'")


def _checked_int(n: int) -> int:
    if not -INT_LIMIT <= n < INT_LIMIT:
        raise LimitError("the integer is larger than the language's 64-bit integers")
    return n


def _float(x: Any = 0.0) -> float:
    x = _plain(x)
    if isinstance(x, Tensor):
        return float(_scalar(x))
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            raise _value_error("could not convert string to float: " + short_text(x)) from None
    raise _type_error(f"float() argument must be a string or a real number, not "
                      f"'{type_name(x)}'")


def _bool(x: Any = False) -> bool:
    return truth(x)


def _str(object: Any = "") -> str:  # noqa: A002 - Python's parameter name
    text = value_text(object, MAX_CHARS)
    check_chars(len(text))
    return text


def _repr(obj: Any) -> str:
    text = value_repr(obj, MAX_CHARS)
    check_chars(len(text))
    return text


def _abs(x: Any) -> Any:
    x = _plain(x)
    if isinstance(x, Tensor):
        return fn.abs(x)
    if isinstance(x, int | float):
        return abs(x)
    raise _type_error(f"bad operand type for abs(): '{type_name(x)}'")


def _round(number: Any, ndigits: Any = None) -> Any:
    number = _plain(number)
    if not isinstance(number, int | float):
        raise _type_error(f"type {type_name(number)} doesn't define __round__ method")
    if ndigits is None:
        try:
            return round(number)
        except (OverflowError, ValueError) as e:
            raise _python_error(e) from None
    return round(number, as_index(ndigits))


# ---------------------------------------------------------------- containers


def _len(obj: Any) -> int:
    if isinstance(obj, Tensor):
        if obj.data.ndim == 0:
            raise _type_error("len() of a 0-d tensor")
        return int(obj.shape[0])
    if isinstance(obj, str | list | tuple | dict | set | frozenset | range) or _is_view(obj):
        try:
            return len(obj)
        except OverflowError as e:
            raise _python_error(e) from None
    raise _type_error(f"object of type '{type_name(obj)}' has no len()")


def _range(*args: Any) -> range:
    if not args:
        raise _type_error("range expected at least 1 argument, got 0")
    if len(args) > 3:
        raise _type_error(f"range expected at most 3 arguments, got {len(args)}")
    bounds = [as_index(a) for a in args]
    if len(bounds) == 3 and bounds[2] == 0:
        raise _value_error("range() arg 3 must not be zero")
    return range(*bounds)


def _list(iterable: Any = ()) -> list:
    return materialise(iterable, "list")


def _tuple(iterable: Any = ()) -> tuple:
    if type(iterable) is tuple:
        return iterable
    return tuple(materialise(iterable, "tuple"))


def _set(iterable: Any = ()) -> set:
    items = materialise(iterable, "set")
    for item in items:
        check_hashable(item)
    return set(items)


def _dict(*args: Any, **kwargs: Any) -> dict:
    if len(args) > 1:
        raise _type_error(f"dict expected at most 1 argument, got {len(args)}")
    out: dict = {}
    _update(out, *args, **kwargs)
    return out


def _update(self: dict, *args: Any, **kwargs: Any) -> None:
    if len(args) > 1:
        raise _type_error(f"update expected at most 1 argument, got {len(args)}")
    if args:
        other = args[0]
        if isinstance(other, dict):
            pairs: Any = list(other.items())
        else:
            pairs = []
            for i, pair in enumerate(materialise(other, "dict")):
                if isinstance(pair, str | list | tuple | Tensor):
                    items = list(pair) if not isinstance(pair, Tensor) else materialise(pair)
                else:
                    raise _type_error("cannot convert dictionary update sequence element "
                                      f"#{i} to a sequence")
                if len(items) != 2:
                    raise _value_error(f"dictionary update sequence element #{i} has length "
                                       f"{len(items)}; 2 is required")
                pairs.append(items)
        for key, value in pairs:
            check_hashable(key)
            self[key] = value
    self.update(kwargs)
    check_items(len(self), "dict")


def _sum(iterable: Any, /, start: Any = 0) -> Any:
    if isinstance(start, str):
        raise _type_error("sum() can't sum strings [use ''.join(seq) instead]")
    total = start
    for item in _timed(iterate(iterable)):
        total = add(total, item)
    return total


def _extreme(name: str, sym: str, args: tuple, key: Any, default: Any) -> Any:
    if not args:
        raise _type_error(f"{name} expected at least 1 argument, got 0")
    if len(args) == 1:
        items = _timed(iterate(args[0]))
    else:
        if default is not _MISSING:
            raise _type_error(f"Cannot specify a default for {name}() with multiple positional "
                              "arguments")
        items = iter(args)
    best = best_key = _MISSING
    for item in items:
        k = item if key is None else call_value(key, item)
        if best is _MISSING or truth(compare(sym, k, best_key)):
            best, best_key = item, k
    if best is _MISSING:
        if default is not _MISSING:
            return default
        raise _value_error(f"{name}() arg is an empty sequence")
    return best


def _min(*args: Any, key: Any = None, default: Any = _MISSING) -> Any:
    return _extreme("min", "<", args, key, default)


def _max(*args: Any, key: Any = None, default: Any = _MISSING) -> Any:
    return _extreme("max", ">", args, key, default)


class _SortKey:
    """Orders keys as Python's sort does: by `<` alone (through `compare`, so tensors too)."""

    __slots__ = ("key",)
    calls = 0

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _SortKey) -> bool:
        _SortKey.calls += 1
        if not _SortKey.calls % _TICK:
            current_tape().check_time()
        return truth(compare("<", self.key, other.key))


def sort_list(items: list, key: Any = None, reverse: Any = False) -> None:
    """`items.sort(key=, reverse=)` in place: stable, as Python's."""
    backwards = truth(_plain(reverse)) if isinstance(_plain(reverse), int) else None
    if backwards is None:
        raise _type_error(f"'{type_name(reverse)}' object cannot be interpreted as an integer")
    keys = items if key is None else [call_value(key, item) for item in _timed(iter(items))]
    if all(is_number(k) for k in keys) or all(isinstance(k, str) for k in keys):
        order = sorted(range(len(items)), key=keys.__getitem__, reverse=backwards)
    else:
        wrapped = [_SortKey(k) for k in keys]
        order = sorted(range(len(items)), key=wrapped.__getitem__, reverse=backwards)
    items[:] = [items[i] for i in order]


def _sorted(*args: Any, key: Any = None, reverse: Any = False) -> list:
    if len(args) != 1:
        raise _type_error(f"sorted expected 1 argument, got {len(args)}")
    items = materialise(args[0], "list")
    sort_list(items, key, reverse)
    return items


def _reversed(sequence: Any, /) -> Any:
    if isinstance(sequence, Tensor):
        flip = getattr(fn, "flip", None)
        if flip is None:
            raise RuntimeProblem("reversed() of a tensor (torch.flip) is not available in "
                                 "chainrule yet")
        return flip(sequence, (0,))
    kinds = {list: "list_reverseiterator", tuple: "reversed", str: "reversed",
             range: "range_iterator", dict: "dict_reversekeyiterator"}
    for kind, name in kinds.items():
        if isinstance(sequence, kind):
            return LazyIterator(name, _guarded(reversed(sequence)))
    raise _type_error(f"'{type_name(sequence)}' object is not reversible")


def _zip(*iterables: Any, strict: Any = False) -> LazyIterator:
    its = [iterate(x) for x in iterables]
    strict = truth(strict)

    def rows() -> Iterator[tuple]:
        if not its:
            return
        while True:
            row = []
            for i, it in enumerate(its):
                try:
                    row.append(next(it))
                except StopIteration:
                    if strict:
                        _strict_zip_end(i, row, its)
                    return
            yield tuple(row)
    return LazyIterator("zip", rows())


def _strict_zip_end(i: int, row: list, its: list) -> None:
    if i:
        plural = "s 1-" + str(i) if i > 1 else " 1"
        raise _value_error(f"zip() argument {i + 1} is shorter than argument{plural}")
    for j, it in enumerate(its[1:], start=2):
        if next(it, _MISSING) is not _MISSING:
            plural = "s 1-" + str(j - 1) if j > 2 else " 1"
            raise _value_error(f"zip() argument {j} is longer than argument{plural}")


def _enumerate(iterable: Any, start: Any = 0) -> LazyIterator:
    first = as_index(start)
    return LazyIterator("enumerate", zip(itertools.count(first), iterate(iterable)))


def _map(function: Any, *iterables: Any) -> LazyIterator:
    if not iterables:
        raise _type_error("map() must have at least two arguments.")
    its = [iterate(x) for x in iterables]
    return LazyIterator("map", (call_value(function, *args) for args in zip(*its, strict=False)))


def _filter(function: Any, iterable: Any, /) -> LazyIterator:
    items = iterate(iterable)
    if function is None:
        return LazyIterator("filter", (x for x in items if truth(x)))
    return LazyIterator("filter", (x for x in items if truth(call_value(function, x))))


def _any(iterable: Any, /) -> bool:
    return any(truth(x) for x in _timed(iterate(iterable)))


def _all(iterable: Any, /) -> bool:
    return all(truth(x) for x in _timed(iterate(iterable)))


_ITERATOR_KINDS = {list: "list_iterator", tuple: "tuple_iterator", str: "str_ascii_iterator",
                   range: "range_iterator", dict: "dict_keyiterator", set: "set_iterator"}


def _iter(object: Any, /) -> LazyIterator:  # noqa: A002 - Python's parameter name
    if isinstance(object, LazyIterator):
        return object
    kind = next((name for t, name in _ITERATOR_KINDS.items() if isinstance(object, t)),
                "tuple_iterator" if isinstance(object, Tensor) else "iterator")
    return LazyIterator(kind, iterate(object))


def _next(iterator: Any, default: Any = _MISSING, /) -> Any:
    if not isinstance(iterator, LazyIterator):
        raise _type_error(f"'{type_name(iterator)}' object is not an iterator")
    item = next(iterator, _MISSING)
    if item is _MISSING:
        if default is _MISSING:
            raise ArgumentError("", python_type="StopIteration")
        return default
    return item


def _format(value: Any, format_spec: Any = "", /) -> str:
    if not isinstance(format_spec, str):
        raise _type_error(f"format() argument 2 must be str, not {type_name(format_spec)}")
    return formatting.format_value(value, format_spec)


def _ascii(obj: Any, /) -> str:
    return formatting.convert(obj, "a")


def _callable(obj: Any, /) -> bool:
    return isinstance(obj, ns.CALLABLE) or bool(getattr(obj, "user_function", False))


def _divmod(x: Any, y: Any, /) -> tuple:
    a, b = _plain(x), _plain(y)
    if not (isinstance(a, int | float) and isinstance(b, int | float)):
        raise _type_error("unsupported operand type(s) for divmod(): "
                          f"'{type_name(a)}' and '{type_name(b)}'")
    try:
        return divmod(a, b)
    except ZeroDivisionError as e:
        raise _python_error(e) from None


def _chr(i: Any, /) -> str:
    try:
        return chr(as_index(i))
    except (ValueError, OverflowError) as e:
        raise _python_error(e) from None


def _ord(c: Any, /) -> int:
    if not isinstance(c, str):
        raise _type_error(f"ord() expected string of length 1, but {type_name(c)} found")
    try:
        return ord(c)
    except TypeError as e:
        raise _python_error(e) from None


def _base_text(convert: Callable[[int], str]) -> Callable[..., str]:
    def impl(number: Any, /) -> str:
        return convert(as_index(number))
    impl.__name__ = convert.__name__
    return impl


# ---------------------------------------------------------------- types


def _not_constructible(name: str) -> Callable[..., Any]:
    def impl(*args: Any, **kwargs: Any) -> Any:
        raise _type_error(f"cannot create '{name}' instances")
    return impl


# Which values are instances of each class marker (isinstance, by the marker's name).
_INSTANCE_OF: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int | np.integer | np.bool_),
    "float": lambda v: isinstance(v, float | np.floating),
    "bool": lambda v: isinstance(v, bool | np.bool_),
    "str": lambda v: isinstance(v, str),
    "list": lambda v: isinstance(v, list),
    "tuple": lambda v: isinstance(v, tuple),
    "dict": lambda v: isinstance(v, dict),
    "set": lambda v: isinstance(v, set),
    "range": lambda v: isinstance(v, range),
    "torch.Tensor": lambda v: isinstance(v, Tensor),
    "torch.Size": lambda v: isinstance(v, ns.Size),
    "torch.dtype": lambda v: isinstance(v, ns.DType),
    "NoneType": lambda v: v is None,
    "object": lambda v: True,
}

# Python's exception classes above the ones a program can catch (`except ArithmeticError`).
_EXCEPTION_PARENTS = {
    "ZeroDivisionError": "ArithmeticError", "OverflowError": "ArithmeticError",
    "IndexError": "LookupError", "KeyError": "LookupError", "NotImplementedError":
    "RuntimeError", "ArithmeticError": "Exception", "LookupError": "Exception",
    "RuntimeError": "Exception", "TypeError": "Exception", "ValueError": "Exception",
    "NameError": "Exception", "AttributeError": "Exception", "AssertionError": "Exception",
    "Exception": "BaseException",
}


def is_exception_class(value: Any, name: str) -> bool:
    """Whether an exception of Python type `value` is caught by `except name`."""
    while value is not None:
        if value == name:
            return True
        value = _EXCEPTION_PARENTS.get(value)
    return False


def _type_marker(value: Any) -> ns.Function:
    name = _canonical_class(type_name(value))
    found = PYTHON_BUILTINS.get(name)
    if found is not None and found.kind == "class":
        return found
    marker = _MARKERS.get(name)
    if marker is None:
        marker = ns.Function(name, _not_constructible(name), "class")
    return marker


def _type(object: Any, /) -> ns.Function:  # noqa: A002 - Python's parameter name
    return _type_marker(object)


def _flatten_classes(classinfo: Any) -> list[ns.Function]:
    if isinstance(classinfo, tuple) and not isinstance(classinfo, ns.Size):
        return [c for item in classinfo for c in _flatten_classes(item)]
    if _is_class(classinfo):
        return [classinfo]
    raise _type_error("isinstance() arg 2 must be a type, a tuple of types, or a union")


def _isinstance(obj: Any, classinfo: Any, /) -> bool:
    for cls in _flatten_classes(classinfo):
        name = _canonical_class(cls.name)
        check = _INSTANCE_OF.get(name)
        if check is not None:
            if check(obj):
                return True
        elif _exception_message(obj) is not None:
            if is_exception_class(obj.python_type, name):
                return True
        elif _canonical_class(type_name(obj)) == name:
            return True
    return False


# ---------------------------------------------------------------- the builtins table


def _class(name: str, impl: Callable[..., Any]) -> ns.Function:
    return ns.Function(name, impl, "class")


_MARKERS: dict[str, ns.Function] = {
    name: _class(name, _not_constructible(name))
    for name in ("torch.Tensor", "torch.Size", "torch.dtype", "NoneType", "function",
                 "builtin_function_or_method", "module", "zip", "enumerate", "map", "filter")}

PYTHON_BUILTINS: dict[str, ns.Function] = {
    **{name: _class(name, impl) for name, impl in {
        "int": _int, "float": _float, "bool": _bool, "str": _str, "list": _list,
        "tuple": _tuple, "dict": _dict, "set": _set, "range": _range, "type": _type,
        "zip": _zip, "enumerate": _enumerate, "map": _map, "filter": _filter,
        "reversed": _reversed}.items()},
    **{name: ns.Function(name, impl) for name, impl in {
        "len": _len, "min": _min, "max": _max, "sum": _sum, "abs": _abs, "round": _round,
        "sorted": _sorted, "repr": _repr, "isinstance": _isinstance, "any": _any,
        "all": _all, "iter": _iter, "next": _next, "format": _format, "ascii": _ascii,
        "callable": _callable, "divmod": _divmod, "chr": _chr, "ord": _ord,
        "hex": _base_text(hex), "bin": _base_text(bin), "oct": _base_text(oct)}.items()},
}


# ---------------------------------------------------------------- methods of Python values


def _list_append(self: list, object: Any, /) -> None:  # noqa: A002
    check_items(len(self) + 1)
    self.append(object)


def _list_extend(self: list, iterable: Any, /) -> None:
    items = materialise(iterable)
    check_items(len(self) + len(items))
    self.extend(items)


def _list_pop(self: list, index: Any = -1, /) -> Any:
    i = as_index(index)
    if not self:
        raise ArgumentError("pop from empty list", python_type="IndexError")
    if not -len(self) <= i < len(self):
        raise ArgumentError("pop index out of range", python_type="IndexError")
    return self.pop(i)


def _list_insert(self: list, index: Any, object: Any, /) -> None:  # noqa: A002
    check_items(len(self) + 1)
    self.insert(as_index(index), object)


def _find(self: list | tuple, value: Any, start: Any, stop: Any) -> int:
    lo, hi, _ = slice(as_index(start), as_index(stop)).indices(len(self))
    for i in range(lo, hi):
        if not i % _TICK:
            current_tape().check_time()
        if equal(self[i], value):
            return i
    return -1


def _seq_index(self: list | tuple, value: Any, start: Any = 0, stop: Any = INT_LIMIT - 1,
               /) -> int:
    i = _find(self, value, start, stop)
    if i < 0:
        what = "list" if isinstance(self, list) else "tuple"
        raise _value_error(f"{short_text(value)} is not in {what}" if what == "list"
                           else "tuple.index(x): x not in tuple")
    return i


def _seq_count(self: list | tuple, value: Any, /) -> int:
    return sum(1 for x in _timed(iter(self)) if equal(x, value))


def _list_remove(self: list, value: Any, /) -> None:
    i = _find(self, value, 0, len(self))
    if i < 0:
        raise _value_error("list.remove(x): x not in list")
    del self[i]


def _list_sort(self: list, *, key: Any = None, reverse: Any = False) -> None:
    sort_list(self, key, reverse)


def _methods(**impls: Callable[..., Any]) -> dict[str, ns.Function]:
    return {name: ns.Function(name, impl, "method") for name, impl in impls.items()}


_LIST_METHODS = _methods(
    append=_list_append, extend=_list_extend, pop=_list_pop, insert=_list_insert,
    index=_seq_index, count=_seq_count, copy=lambda self, /: list(self),
    reverse=lambda self, /: self.reverse(), sort=_list_sort, clear=lambda self, /: self.clear(),
    remove=_list_remove)

_TUPLE_METHODS = _methods(index=_seq_index, count=_seq_count)


def _range_index(self: range, value: Any, /) -> int:
    value = _plain(value)
    if type(value) is int:   # constant time, as Python's
        if value not in self:
            raise _value_error(f"{value} is not in range")
        return self.index(value)
    i = _find(self, value, 0, len(self))
    if i < 0:
        raise _value_error("sequence.index(x): x not in sequence")
    return i


def _range_count(self: range, value: Any, /) -> int:
    value = _plain(value)
    if type(value) is int:
        return self.count(value)
    return _seq_count(self, value)


_RANGE_METHODS = _methods(index=_range_index, count=_range_count)


def _key_error(key: Any) -> ArgumentError:
    return ArgumentError(short_text(key), python_type="KeyError")


def _dict_get(self: dict, key: Any, default: Any = None, /) -> Any:
    check_hashable(key)
    return self.get(key, default)


def _dict_pop(self: dict, key: Any, default: Any = _MISSING, /) -> Any:
    check_hashable(key)
    if key in self:
        return self.pop(key)
    if default is _MISSING:
        raise _key_error(key)
    return default


def _dict_popitem(self: dict, /) -> tuple:
    if not self:
        raise ArgumentError("'popitem(): dictionary is empty'", python_type="KeyError")
    return self.popitem()


def _dict_setdefault(self: dict, key: Any, default: Any = None, /) -> Any:
    check_hashable(key)
    if key not in self:
        check_items(len(self) + 1, "dict")
        self[key] = default
    return self[key]


_DICT_METHODS = _methods(
    items=lambda self, /: self.items(), keys=lambda self, /: self.keys(),
    values=lambda self, /: self.values(), get=_dict_get, update=_update, pop=_dict_pop,
    popitem=_dict_popitem, setdefault=_dict_setdefault, copy=lambda self, /: dict(self),
    clear=lambda self, /: self.clear())


def _native_str(name: str) -> Callable[..., Any]:
    """A str method whose result is no longer than its input: Python's own, its errors in
    Python's words (arguments are plain values; str methods call nothing on them)."""
    method = getattr(str, name)

    def impl(self: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (TypeError, ValueError, OverflowError) as e:
            raise _python_error(e) from None
    impl.__name__ = name
    return impl


def _str_join(self: str, iterable: Any, /) -> str:
    items = materialise(iterable)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _type_error(f"sequence item {i}: expected str instance, {type_name(item)} "
                              "found")
    check_chars(sum(len(s) for s in items) + len(self) * max(len(items) - 1, 0))
    return self.join(items)


def _str_replace(self: str, old: Any, new: Any, count: Any = -1, /) -> str:
    if not isinstance(old, str) or not isinstance(new, str):
        bad = old if not isinstance(old, str) else new
        raise _type_error(f"replace() argument {1 if bad is old else 2} must be str, not "
                          f"{type_name(bad)}")
    n = self.count(old) if old else len(self) + 1
    limit = as_index(count)
    if limit >= 0:
        n = min(n, limit)
    check_chars(len(self) + n * (len(new) - len(old)))
    return self.replace(old, new, limit)


def _padding(name: str) -> Callable[..., str]:
    method = getattr(str, name)

    def impl(self: str, width: Any, fillchar: Any = " ", /) -> str:
        w = as_index(width)
        check_chars(w)
        try:
            return method(self, w, fillchar)
        except TypeError as e:
            raise _python_error(e) from None
    impl.__name__ = name
    return impl


def _str_zfill(self: str, width: Any, /) -> str:
    w = as_index(width)
    check_chars(w)
    return self.zfill(w)


def _str_format(self: str, /, *args: Any, **kwargs: Any) -> str:
    return formatting.str_format(self, args, kwargs)


_STR_METHODS = _methods(
    format=_str_format, join=_str_join, replace=_str_replace,
    center=_padding("center"), ljust=_padding("ljust"), rjust=_padding("rjust"),
    zfill=_str_zfill,
    **{name: _native_str(name) for name in (
        "split", "rsplit", "splitlines", "strip", "lstrip", "rstrip", "upper", "lower",
        "title", "capitalize", "swapcase", "casefold", "startswith", "endswith", "find",
        "rfind", "index", "rindex", "count", "partition", "rpartition", "isdigit", "isalpha",
        "isalnum", "isspace", "isupper", "islower", "isnumeric", "isdecimal", "istitle",
        "removeprefix", "removesuffix")})

_INT_METHODS = _methods(bit_length=lambda self, /: int(self).bit_length(),
                        conjugate=lambda self, /: int(self))
_FLOAT_METHODS = _methods(is_integer=lambda self, /: self.is_integer(),
                          conjugate=lambda self, /: self)

# Attributes that are values, not methods (`x.real`).
_VALUE_ATTRIBUTES: dict[type, dict[str, Callable[[Any], Any]]] = {
    int: {"real": int, "imag": lambda v: 0, "numerator": int, "denominator": lambda v: 1},
    float: {"real": float, "imag": lambda v: 0.0},
    range: {"start": lambda r: r.start, "stop": lambda r: r.stop, "step": lambda r: r.step},
}

_METHODS: dict[type, dict[str, ns.Function]] = {
    list: _LIST_METHODS, tuple: _TUPLE_METHODS, range: _RANGE_METHODS, dict: _DICT_METHODS,
    str: _STR_METHODS,
    int: _INT_METHODS, bool: _INT_METHODS, float: _FLOAT_METHODS,
}


def get_attribute(obj: Any, name: str) -> Any:
    """`obj.name` for every value: Python values through the tables above, engine objects
    (tensors, modules, grad_fn, sizes) through namespace's. Anything else is Python's
    AttributeError, in its words: `'float' object has no attribute 'backward'`."""
    obj = _plain(obj)
    kind = bool if isinstance(obj, bool) else type(obj)
    if isinstance(obj, ns.Size):
        kind = tuple
    table = _METHODS.get(kind)
    if table is not None and name in table:
        return ns.BoundMethod(table[name], obj)
    values = _VALUE_ATTRIBUTES.get(int if kind is bool else kind)
    if values is not None and name in values:
        return values[name](obj)
    if isinstance(obj, Tensor | ns.Module | ns.GradFn | ns.Size | ns.NNModule):
        return ns.get_attribute(obj, name)
    if name == "args" and _exception_message(obj) is not None:
        return (_exception_message(obj),)
    raise NameProblem(f"'{type_name(obj)}' object has no attribute '{name}'",
                      python_type="AttributeError")


def _exception_message(value: Any) -> str | None:
    message = getattr(value, "message", None)
    return message if isinstance(getattr(value, "python_type", None), str) else None


# ---------------------------------------------------------------- import math


def _math_function(name: str) -> Callable[..., Any]:
    """A `math` function of real numbers: Python's own, arguments may be one-element
    tensors (Python converts them through `__float__`), errors in Python's words."""
    native = getattr(math, name)

    def impl(*args: Any) -> Any:
        values = [_real(a) for a in args]
        try:
            return native(*values)
        except (ValueError, OverflowError, TypeError) as e:
            raise _python_error(e) from None
    impl.__name__ = name
    return impl


def _math_log(x: Any, base: Any = _MISSING, /) -> float:
    values = [_real(x)] if base is _MISSING else [_real(x), _real(base)]
    try:
        return math.log(*values)
    except (ValueError, ZeroDivisionError) as e:
        raise _python_error(e) from None


def _math_isclose(a: Any, b: Any, *, rel_tol: Any = 1e-09, abs_tol: Any = 0.0) -> bool:
    try:
        return math.isclose(_real(a), _real(b), rel_tol=_real(rel_tol), abs_tol=_real(abs_tol))
    except ValueError as e:
        raise _python_error(e) from None


def _math_factorial(n: Any, /) -> int:
    n = as_index(n)
    if n < 0:
        raise _value_error("factorial() not defined for negative values")
    if n > MAX_FACTORIAL:
        raise LimitError(f"math.factorial({n}) is larger than the language's 64-bit integers "
                         f"(at most factorial({MAX_FACTORIAL}))")
    return math.factorial(n)


def _math_gcd(*integers: Any) -> int:
    return math.gcd(*[as_index(i) for i in integers])


def _math_fsum(seq: Any, /) -> float:
    try:
        return math.fsum(_real(x) for x in materialise(seq))
    except (ValueError, OverflowError) as e:
        raise _python_error(e) from None


def _math_prod(iterable: Any, /, *, start: Any = 1) -> Any:
    total = start
    for x in _timed(iterate(iterable)):
        total = _fit(_real(total) * _real(x))
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
