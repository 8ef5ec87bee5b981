"""The builtin functions (`len`, `range`, `zip`, `min`, `sorted`, `int`, `isinstance`…) and
their table, PYTHON_BUILTINS: each a `namespace.Function`, called through `namespace.call`."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError, LimitError, RuntimeProblem
from chainrule.engine.lang import formatting
from chainrule.engine.lang.builtins.core import (
    INT_LIMIT,
    MAX_CHARS,
    MISSING,
    TICK,
    LazyIterator,
    add,
    as_index,
    call_value,
    canonical_class,
    check_hashable,
    check_items,
    compare,
    exception_message,
    guarded,
    is_class,
    is_view,
    iterate,
    materialise,
    plain,
    python_error,
    scalar,
    timed,
    truth,
    type_error,
    value_error,
)
from chainrule.engine.printing import short_text, type_name, value_repr, value_text
from chainrule.engine.tensor import Tensor, current_tape


def _int(x: Any = 0, base: Any = MISSING) -> int:
    x = plain(x)
    if base is not MISSING:
        if not isinstance(x, str):
            raise type_error("int() can't convert non-string with explicit base")
        try:
            return _checked_int(int(x, as_index(base)))
        except ValueError as e:
            raise value_error(str(e) if len(x) < 200 else
                              f"invalid literal for int() with base {base}") from None
    if isinstance(x, Tensor):
        x = scalar(x)
    if isinstance(x, str):
        try:
            return _checked_int(int(x))
        except ValueError as e:   # Python's words, without quoting a long string in full
            raise value_error(str(e) if len(x) <= 200 or not str(e).startswith("invalid") else
                              "invalid literal for int() with base 10: " + short_text(x)
                               ) from None
    if isinstance(x, int | float):
        try:
            return _checked_int(int(x))
        except (OverflowError, ValueError) as e:
            raise python_error(e) from None
    raise type_error("int() argument must be a string, a bytes-like object or a real number, "
                     f"not '{type_name(x)}'")


def _checked_int(n: int) -> int:
    if not -INT_LIMIT <= n < INT_LIMIT:
        raise LimitError("the integer is larger than the language's 64-bit integers")
    return n


def _float(x: Any = 0.0) -> float:
    x = plain(x)
    if isinstance(x, Tensor):
        return float(scalar(x))
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            raise value_error("could not convert string to float: " + short_text(x)) from None
    raise type_error(f"float() argument must be a string or a real number, not "
                     f"'{type_name(x)}'")


def _bool(x: Any = False) -> bool:
    return truth(x)


def _str(object: Any = "") -> str:  # noqa: A002 - Python's parameter name
    return _bounded_text(value_text(object, MAX_CHARS), "str")


def _repr(obj: Any) -> str:
    return _bounded_text(value_repr(obj, MAX_CHARS), "repr")


def _bounded_text(text: str, name: str) -> str:
    if len(text) > MAX_CHARS:   # value_text stopped building one character past the limit
        raise LimitError(f"{name}() of this value would be longer than the limit of "
                         f"{MAX_CHARS:,} characters per string")
    return text


def _abs(x: Any) -> Any:
    x = plain(x)
    if isinstance(x, Tensor):
        return fn.abs(x)
    if isinstance(x, int | float):
        return abs(x)
    raise type_error(f"bad operand type for abs(): '{type_name(x)}'")


def _round(number: Any, ndigits: Any = None) -> Any:
    number = plain(number)
    if not isinstance(number, int | float):
        raise type_error(f"type {type_name(number)} doesn't define __round__ method")
    if ndigits is None:
        try:
            return round(number)
        except (OverflowError, ValueError) as e:
            raise python_error(e) from None
    return round(number, as_index(ndigits))


# ---------------------------------------------------------------- containers


def _len(obj: Any) -> int:
    if isinstance(obj, Tensor):
        if obj.data.ndim == 0:
            raise type_error("len() of a 0-d tensor")
        return int(obj.shape[0])
    if isinstance(obj, str | list | tuple | dict | set | frozenset | range) or is_view(obj):
        try:
            return len(obj)
        except OverflowError as e:
            raise python_error(e) from None
    raise type_error(f"object of type '{type_name(obj)}' has no len()")


def _range(*args: Any) -> range:
    if not args:
        raise type_error("range expected at least 1 argument, got 0")
    if len(args) > 3:
        raise type_error(f"range expected at most 3 arguments, got {len(args)}")
    bounds = [as_index(a) for a in args]
    if len(bounds) == 3 and bounds[2] == 0:
        raise value_error("range() arg 3 must not be zero")
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
        raise type_error(f"dict expected at most 1 argument, got {len(args)}")
    out: dict = {}
    dict_update(out, *args, **kwargs)
    return out


def dict_update(self: dict, *args: Any, **kwargs: Any) -> None:
    if len(args) > 1:
        raise type_error(f"update expected at most 1 argument, got {len(args)}")
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
                    raise type_error("cannot convert dictionary update sequence element "
                                     f"#{i} to a sequence")
                if len(items) != 2:
                    raise value_error(f"dictionary update sequence element #{i} has length "
                                      f"{len(items)}; 2 is required")
                pairs.append(items)
        for key, value in pairs:
            check_hashable(key)
            self[key] = value
    self.update(kwargs)
    check_items(len(self), "dict")


def _sum(iterable: Any, /, start: Any = 0) -> Any:
    if isinstance(start, str):
        raise type_error("sum() can't sum strings [use ''.join(seq) instead]")
    total = start
    for item in timed(iterate(iterable)):
        total = add(total, item)
    return total


def _extreme(name: str, sym: str, args: tuple, key: Any, default: Any) -> Any:
    if not args:
        raise type_error(f"{name} expected at least 1 argument, got 0")
    if len(args) == 1:
        items = timed(iterate(args[0]))
    else:
        if default is not MISSING:
            raise type_error(f"Cannot specify a default for {name}() with multiple positional "
                             "arguments")
        items = iter(args)
    best = best_key = MISSING
    for item in items:
        k = item if key is None else call_value(key, item)
        if best is MISSING or truth(compare(sym, k, best_key)):
            best, best_key = item, k
    if best is MISSING:
        if default is not MISSING:
            return default
        raise value_error(f"{name}() arg is an empty sequence")
    return best


def _min(*args: Any, key: Any = None, default: Any = MISSING) -> Any:
    return _extreme("min", "<", args, key, default)


def _max(*args: Any, key: Any = None, default: Any = MISSING) -> Any:
    return _extreme("max", ">", args, key, default)


class _SortKey:
    """Orders keys as Python's sort does: by `<` alone (through `compare`, so tensors too)."""

    __slots__ = ("key",)
    calls = 0

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _SortKey) -> bool:
        _SortKey.calls += 1
        if not _SortKey.calls % TICK:
            current_tape().check_time()
        return truth(compare("<", self.key, other.key))


def sort_list(items: list, key: Any = None, reverse: Any = False) -> None:
    """`items.sort(key=, reverse=)` in place: stable, as Python's."""
    backwards = truth(plain(reverse)) if isinstance(plain(reverse), int) else None
    if backwards is None:
        raise type_error(f"'{type_name(reverse)}' object cannot be interpreted as an integer")
    keys = items if key is None else [call_value(key, item) for item in timed(iter(items))]
    kinds = set(map(type, keys))
    if kinds <= {int, float, bool} or kinds == {str}:   # Python's own order, at C speed
        if key is None:
            items.sort(reverse=backwards)
            return
        order = sorted(range(len(items)), key=keys.__getitem__, reverse=backwards)
    else:
        wrapped = [_SortKey(k) for k in keys]
        order = sorted(range(len(items)), key=wrapped.__getitem__, reverse=backwards)
    items[:] = [items[i] for i in order]


def _sorted(*args: Any, key: Any = None, reverse: Any = False) -> list:
    if len(args) != 1:
        raise type_error(f"sorted expected 1 argument, got {len(args)}")
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
            return LazyIterator(name, guarded(reversed(sequence)))
    raise type_error(f"'{type_name(sequence)}' object is not reversible")


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
        raise value_error(f"zip() argument {i + 1} is shorter than argument{plural}")
    for j, it in enumerate(its[1:], start=2):
        if next(it, MISSING) is not MISSING:
            plural = "s 1-" + str(j - 1) if j > 2 else " 1"
            raise value_error(f"zip() argument {j} is longer than argument{plural}")


def _enumerate(iterable: Any, start: Any = 0) -> LazyIterator:
    first = as_index(start)
    return LazyIterator("enumerate", zip(itertools.count(first), iterate(iterable)))


def _map(function: Any, *iterables: Any) -> LazyIterator:
    if not iterables:
        raise type_error("map() must have at least two arguments.")
    its = [iterate(x) for x in iterables]
    return LazyIterator("map", (call_value(function, *args) for args in zip(*its, strict=False)))


def _filter(function: Any, iterable: Any, /) -> LazyIterator:
    items = iterate(iterable)
    if function is None:
        return LazyIterator("filter", (x for x in items if truth(x)))
    return LazyIterator("filter", (x for x in items if truth(call_value(function, x))))


def _any(iterable: Any, /) -> bool:
    return any(truth(x) for x in timed(iterate(iterable)))


def _all(iterable: Any, /) -> bool:
    return all(truth(x) for x in timed(iterate(iterable)))


_ITERATOR_KINDS = {list: "list_iterator", tuple: "tuple_iterator", str: "str_ascii_iterator",
                   range: "range_iterator", dict: "dict_keyiterator", set: "set_iterator"}


def _iter(object: Any, /) -> LazyIterator:  # noqa: A002 - Python's parameter name
    if isinstance(object, LazyIterator):
        return object
    kind = next((name for t, name in _ITERATOR_KINDS.items() if isinstance(object, t)),
                "tuple_iterator" if isinstance(object, Tensor) else "iterator")
    return LazyIterator(kind, iterate(object))


def _next(iterator: Any, default: Any = MISSING, /) -> Any:
    if not isinstance(iterator, LazyIterator):
        raise type_error(f"'{type_name(iterator)}' object is not an iterator")
    item = next(iterator, MISSING)
    if item is MISSING:
        if default is MISSING:
            raise ArgumentError("", python_type="StopIteration")
        return default
    return item


def _format(value: Any, format_spec: Any = "", /) -> str:
    if not isinstance(format_spec, str):
        raise type_error(f"format() argument 2 must be str, not {type_name(format_spec)}")
    return formatting.format_value(value, format_spec)


def _ascii(obj: Any, /) -> str:
    return formatting.convert(obj, "a")


def _callable(obj: Any, /) -> bool:
    return isinstance(obj, ns.CALLABLE) or bool(getattr(obj, "user_function", False))


def _divmod(x: Any, y: Any, /) -> tuple:
    a, b = plain(x), plain(y)
    if not (isinstance(a, int | float) and isinstance(b, int | float)):
        raise type_error("unsupported operand type(s) for divmod(): "
                         f"'{type_name(a)}' and '{type_name(b)}'")
    try:
        return divmod(a, b)
    except ZeroDivisionError as e:
        raise python_error(e) from None


def _chr(i: Any, /) -> str:
    try:
        return chr(as_index(i))
    except (ValueError, OverflowError) as e:
        raise python_error(e) from None


def _ord(c: Any, /) -> int:
    if not isinstance(c, str):
        raise type_error(f"ord() expected string of length 1, but {type_name(c)} found")
    try:
        return ord(c)
    except TypeError as e:
        raise python_error(e) from None


def _base_text(convert: Callable[[int], str]) -> Callable[..., str]:
    def impl(number: Any, /) -> str:
        return convert(as_index(number))
    impl.__name__ = convert.__name__
    return impl


# ---------------------------------------------------------------- types


def _not_constructible(name: str) -> Callable[..., Any]:
    def impl(*args: Any, **kwargs: Any) -> Any:
        raise type_error(f"cannot create '{name}' instances")
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
    "RecursionError": "RuntimeError", "UnboundLocalError": "NameError",
    "StopIteration": "Exception", "Exception": "BaseException",
}


def is_exception_class(value: Any, name: str) -> bool:
    """Whether an exception of Python type `value` is caught by `except name`."""
    while value is not None:
        if value == name:
            return True
        value = _EXCEPTION_PARENTS.get(value)
    return False


def _type_marker(value: Any) -> ns.Function:
    name = canonical_class(type_name(value))
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
    if is_class(classinfo) or _user_class(classinfo):
        return [classinfo]
    raise type_error("isinstance() arg 2 must be a type, a tuple of types, or a union")


def _user_class(value: Any) -> bool:
    """A class the program defined (engine/lang/classes.UserClass)."""
    return isinstance(getattr(value, "mro", None), list) and hasattr(value, "namespace")


def _isinstance(obj: Any, classinfo: Any, /) -> bool:
    for cls in _flatten_classes(classinfo):
        if _user_class(cls):
            own = getattr(obj, "user_class", None)
            if own is not None and cls in own.mro:
                return True
            continue
        name = canonical_class(cls.name)
        check = _INSTANCE_OF.get(name)
        if check is not None:
            if check(obj):
                return True
        elif exception_message(obj) is not None:
            if is_exception_class(obj.python_type, name):
                return True
        elif canonical_class(type_name(obj)) == name:
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
