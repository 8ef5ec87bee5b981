"""What every Python value in the language shares: iteration (`for`, unpacking), truth,
comparison and membership, whole numbers where Python wants one, and the bounds.

Semantics and messages are Python 3.11's and, where a tensor is involved, PyTorch's. Bounds: a
materialised container holds at most MAX_ITEMS items and a string at most MAX_CHARS characters
(LimitError naming the limit); loops over lazy ranges check the time limit every TICK items, so
`sum(range(10**15))` stops at the time limit instead of hanging.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError, LimitError, RuntimeProblem
from chainrule.engine.printing import python_number, short_text, type_name
from chainrule.engine.tensor import Tensor, current_tape

MAX_ITEMS = 1_000_000      # items in one list, tuple, dict or set a builtin builds
MAX_CHARS = 1_000_000      # characters in one string a builtin builds
INT_LIMIT = 2 ** 63
TICK = 4096                # items between two time-limit checks
MISSING = object()         # "no argument given" where None is a valid argument



def type_error(message: str) -> ArgumentError:
    return ArgumentError(message, python_type="TypeError")


def value_error(message: str) -> ArgumentError:
    return ArgumentError(message, python_type="ValueError")


def python_error(e: Exception) -> ArgumentError:
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


def plain(x: Any) -> Any:
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
    raise type_error(f"'{type_name(f)}' object is not callable")


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
        from chainrule.engine.printing import fake_address
        return f"<{self.python_type_name} object at {fake_address(self.python_type_name)}>"


def guarded(items: Iterator[Any]) -> Iterator[Any]:
    """Python's RuntimeError for a dict or set changed while it is iterated, as catchable."""
    try:
        yield from items
    except RuntimeError as e:
        raise RuntimeProblem(str(e)) from None


def _rows(t: Tensor) -> Iterator[Tensor]:
    """A tensor iterates over its first dimension, as PyTorch's `unbind(0)`."""
    if t.data.ndim == 0:
        raise type_error("iteration over a 0-d tensor")
    return fn.rows(t)   # unbind(0)'s slices, made as the loop reaches them


def iterate(value: Any) -> Iterator[Any]:
    """`iter(value)` for `for` loops, comprehensions, unpacking and the builtins: ranges,
    lists, tuples, strings, dicts (keys), sets, dict views, lazy iterators, tensors by rows."""
    if isinstance(value, list | tuple | str | range):
        return iter(value)
    if isinstance(value, dict | set | frozenset) or is_view(value):
        return guarded(iter(value))
    if isinstance(value, LazyIterator):
        return value
    if isinstance(value, Tensor):
        return _rows(value)
    if isinstance(value, np.ndarray):   # np.array(...): by its first axis, as NumPy
        if value.ndim == 0:
            raise type_error("iteration over a 0-d array")
        return iter(list(value))
    raise type_error(f"'{type_name(value)}' object is not iterable")


def is_view(value: Any) -> bool:
    return type(value).__name__ in ("dict_keys", "dict_values", "dict_items")


def length_hint(value: Any) -> int | None:
    """How many items iterating `value` gives, when known without iterating (for a loop's
    "iteration 3 of 5"): sized containers, ranges and tensors; None for lazy iterators."""
    if isinstance(value, Tensor):
        return int(value.shape[0]) if value.data.ndim else None
    if isinstance(value, list | tuple | str | range | dict | set | frozenset) or is_view(value):
        try:
            return len(value)
        except OverflowError:
            return None
    return None


def unpack(value: Any, count: int, starred: int | None = None) -> list:
    """`a, b = value` (count 2) or `a, *b, c = value` (count 3, starred 1): the values to
    assign, the starred one as a list; Python's errors for the wrong number of items."""
    if not is_iterable(value):
        raise type_error(f"cannot unpack non-iterable {type_name(value)} object")
    if starred is None:
        items: list[Any] = []
        for item in iterate(value):
            if len(items) == count:
                raise value_error(f"too many values to unpack (expected {count})")
            items.append(item)
        if len(items) < count:
            raise value_error(f"not enough values to unpack (expected {count}, got "
                              f"{len(items)})")
        return items
    items = materialise(value)
    fixed = count - 1
    if len(items) < fixed:
        raise value_error(f"not enough values to unpack (expected at least {fixed}, got "
                          f"{len(items)})")
    after = fixed - starred
    middle_end = len(items) - after
    return [*items[:starred], items[starred:middle_end], *items[middle_end:]]


def is_iterable(value: Any) -> bool:
    return isinstance(value, list | tuple | str | range | dict | set | frozenset | LazyIterator
                      | Tensor) or is_view(value)


def timed(items: Iterator[Any]) -> Iterator[Any]:
    """The items, checking the time limit every TICK of them."""
    tape = current_tape()
    for i, item in enumerate(items):
        if not i % TICK:
            tape.check_time()
        yield item


def materialise(value: Any, what: str = "list") -> list:
    """All items of an iterable as a list, at most MAX_ITEMS of them."""
    if isinstance(value, list | tuple | str | range):
        check_items(len(value), what)
        return list(value)
    out: list[Any] = []
    for item in timed(iterate(value)):
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
                  | range | np.generic) or is_view(value):
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
        return same(a, b)
    if sym == "is not":
        return not same(a, b)
    if sym == "in":
        return contains(b, a)
    if sym == "not in":
        return not contains(b, a)
    if sym not in _NATIVE:
        raise ArgumentError(f"unknown comparison {sym!r}")
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return _tensor_compare(sym, a, b)
    return _python_compare(sym, plain(a), plain(b))


def _tensor_compare(sym: str, a: Any, b: Any) -> Any:
    other = b if isinstance(a, Tensor) else a
    if not (isinstance(other, Tensor) or is_number(other)):
        # PyTorch: a tensor is never equal to None, a string or a list; ordering is an error.
        if sym in ("==", "!="):
            return sym == "!="
        raise type_error(f"'{sym}' not supported between instances of '{type_name(a)}' and "
                         f"'{type_name(b)}'")
    op = getattr(fn, _TENSOR_COMPARISONS[sym], None)
    if op is None:
        raise RuntimeProblem(f"comparing tensors with {sym} is not available in chainrule yet")
    return op(a, b)


def canonical_class(name: str) -> str:
    return {"Tensor": "torch.Tensor", "Size": "torch.Size", "dtype": "torch.dtype"}.get(name,
                                                                                       name)


def is_class(value: Any) -> bool:
    """A class marker (`int`, `nn.MSELoss`); `torch.Tensor` is one whatever its table kind
    (it is also the legacy constructor, `torch.Tensor(2, 3)`)."""
    return isinstance(value, ns.Function) and (
        value.kind == "class" or value is ns.TORCH.members.get("Tensor"))


def same(a: Any, b: Any) -> bool:
    """`a is b`. Class markers and dtypes are one object each in Python (`type(t) is
    torch.Tensor`, `torch.float is torch.float32`); ours may be several equal records."""
    if a is b:
        return True
    if is_class(a) and is_class(b):
        return canonical_class(a.name) == canonical_class(b.name)
    if isinstance(a, ns.DType) and isinstance(b, ns.DType):
        return a.name == b.name
    return False


def equal(a: Any, b: Any) -> bool:
    """`a == b` as a container sees it (list.index, `in`): identity first, then `==`."""
    return same(a, b) or truth(compare("==", a, b))


def _python_compare(sym: str, a: Any, b: Any) -> bool:
    numbers = is_number(a) and is_number(b)
    if numbers or (isinstance(a, str) and isinstance(b, str)):
        return _NATIVE[sym](a, b)
    seqs = (list, tuple)
    if isinstance(a, seqs) and isinstance(b, seqs) and (
            type(a) is type(b) or isinstance(a, tuple) and isinstance(b, tuple)):
        return _sequence_compare(sym, a, b)
    if sym in ("==", "!="):
        is_equal = _equal_other(a, b)
        return is_equal if sym == "==" else not is_equal
    if isinstance(a, set | frozenset) and isinstance(b, set | frozenset):
        return _NATIVE[sym](a, b)
    raise type_error(f"'{sym}' not supported between instances of '{type_name(a)}' and "
                     f"'{type_name(b)}'")


def _sequence_compare(sym: str, a: Any, b: Any) -> bool:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if not i % TICK:
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
            k in b and equal(v, b[k]) for k, v in timed(iter(a.items())))
    if isinstance(a, set | frozenset | range) and isinstance(b, set | frozenset | range):
        return type(a) is type(b) and a == b or (
            isinstance(a, set | frozenset) and isinstance(b, set | frozenset) and a == b)
    if is_view(a) or is_view(b):
        # Keys and items views compare as sets (with sets too); values views by identity.
        set_like = (set, frozenset, type({}.keys()), type({}.items()))
        return a is b or (isinstance(a, set_like) and isinstance(b, set_like) and a == b)
    if isinstance(a, ns.DType | ns.Size) or isinstance(b, ns.DType | ns.Size):
        return same(a, b) or (isinstance(a, ns.DType) and isinstance(b, ns.DType)
                               and a.name == b.name)
    return same(a, b)


def check_hashable(value: Any) -> None:
    """Dict keys and set items: Python's TypeError for lists, dicts and sets."""
    if isinstance(value, list | dict | set) or is_view(value):
        raise type_error(f"unhashable type: '{type_name(value)}'")
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
            raise type_error("'in <string>' requires string as left operand, not "
                             f"{type_name(item)}")
        return item in container
    if isinstance(container, dict | set | frozenset) or type(container).__name__ == "dict_keys":
        check_hashable(item)
        return item in container
    if isinstance(container, range) and isinstance(plain(item), int):
        return plain(item) in container
    if isinstance(container, list | tuple | range | LazyIterator) or is_view(container):
        return any(equal(x, item) for x in timed(iterate(container)))
    raise type_error(f"argument of type '{type_name(container)}' is not iterable")



# ---------------------------------------------------------------- numbers


def fit_int(x: Any) -> Any:
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
    value = plain(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Tensor):
        if value.numel() == 1 and value.data.dtype.kind in "iub":
            return int(python_number(value))
        raise type_error("only integer tensors of a single element can be converted to an "
                         "index")
    raise type_error(f"'{type_name(value)}' object cannot be interpreted as an integer")


def scalar(value: Any) -> Any:
    """`float(t)`/`int(t)`/`math.exp(t)`: a one-element tensor's Python number (PyTorch)."""
    if value.numel() != 1:
        raise value_error("only one element tensors can be converted to Python scalars")
    return python_number(value)


def real_number(value: Any) -> float | int:
    """An argument of a `math` function: a number, or a one-element tensor's number."""
    value = plain(value)
    if isinstance(value, Tensor):
        value = scalar(value)
    if isinstance(value, int | float):
        return value
    raise type_error(f"must be real number, not {type_name(value)}")


def add(a: Any, b: Any) -> Any:
    """`a + b` for `sum()`: tensors through engine.functional (recorded), numbers, and
    sequences of one kind."""
    a, b = plain(a), plain(b)
    for x in (a, b):   # a value with its own `+` (a program's class with __add__)
        own = getattr(type(x), "language_binary", None)
        if own is not None:
            return own("+", a, b)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return fn.add(a, b)
    if is_number(a) and is_number(b):
        return fit_int(a + b)
    for kind in (list, tuple, str):
        if type(a) is kind and type(b) is kind:
            if kind is str:
                check_chars(len(a) + len(b))
            else:
                check_items(len(a) + len(b), kind.__name__)
            return a + b
    raise type_error(f"unsupported operand type(s) for +: '{type_name(a)}' and "
                     f"'{type_name(b)}'")


def key_error(key: Any) -> ArgumentError:
    return ArgumentError(short_text(key), python_type="KeyError")



def exception_message(value: Any) -> str | None:
    message = getattr(value, "message", None)
    return message if isinstance(getattr(value, "python_type", None), str) else None
