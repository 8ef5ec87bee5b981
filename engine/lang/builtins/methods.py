"""The methods and attributes of Python values (`xs.append`, `d.items`, `s.split`, `x.real`)
and `get_attribute`, which answers `obj.name` for every value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from chainrule.engine import dialects
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError, NameProblem
from chainrule.engine.lang import formatting
from chainrule.engine.lang.builtins.core import (
    INT_LIMIT,
    MISSING,
    TICK,
    as_index,
    check_chars,
    check_hashable,
    check_items,
    equal,
    exception_message,
    key_error,
    materialise,
    plain,
    python_error,
    timed,
    type_error,
    value_error,
)
from chainrule.engine.lang.builtins.functions import (
    dict_update,
    sort_list,
)
from chainrule.engine.nn.module import Parameter
from chainrule.engine.printing import short_text, type_name
from chainrule.engine.tensor import Tensor, current_tape

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
        if not i % TICK:
            current_tape().check_time()
        if equal(self[i], value):
            return i
    return -1


def _seq_index(self: list | tuple, value: Any, start: Any = 0, stop: Any = INT_LIMIT - 1,
               /) -> int:
    i = _find(self, value, start, stop)
    if i < 0:
        what = "list" if isinstance(self, list) else "tuple"
        raise value_error(f"{short_text(value)} is not in {what}" if what == "list"
                           else "tuple.index(x): x not in tuple")
    return i


def _seq_count(self: list | tuple, value: Any, /) -> int:
    return sum(1 for x in timed(iter(self)) if equal(x, value))


def _list_remove(self: list, value: Any, /) -> None:
    i = _find(self, value, 0, len(self))
    if i < 0:
        raise value_error("list.remove(x): x not in list")
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
    value = plain(value)
    if type(value) is int:   # constant time, as Python's
        if value not in self:
            raise value_error(f"{value} is not in range")
        return self.index(value)
    i = _find(self, value, 0, len(self))
    if i < 0:
        raise value_error("sequence.index(x): x not in sequence")
    return i


def _range_count(self: range, value: Any, /) -> int:
    value = plain(value)
    if type(value) is int:
        return self.count(value)
    return _seq_count(self, value)


_RANGE_METHODS = _methods(index=_range_index, count=_range_count)



def _dict_get(self: dict, key: Any, default: Any = None, /) -> Any:
    check_hashable(key)
    return self.get(key, default)


def _dict_pop(self: dict, key: Any, default: Any = MISSING, /) -> Any:
    check_hashable(key)
    if key in self:
        return self.pop(key)
    if default is MISSING:
        raise key_error(key)
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
    values=lambda self, /: self.values(), get=_dict_get, update=dict_update, pop=_dict_pop,
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
            raise python_error(e) from None
    impl.__name__ = name
    return impl


def _str_join(self: str, iterable: Any, /) -> str:
    items = materialise(iterable)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise type_error(f"sequence item {i}: expected str instance, {type_name(item)} "
                             "found")
    check_chars(sum(len(s) for s in items) + len(self) * max(len(items) - 1, 0))
    return self.join(items)


def _str_replace(self: str, old: Any, new: Any, count: Any = -1, /) -> str:
    if not isinstance(old, str) or not isinstance(new, str):
        bad = old if not isinstance(old, str) else new
        raise type_error(f"replace() argument {1 if bad is old else 2} must be str, not "
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
            raise python_error(e) from None
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

def _set_add(self: set, element: Any, /) -> None:
    check_hashable(element)
    if element not in self:
        check_items(len(self) + 1)
    self.add(element)


def _set_remove(self: set, element: Any, /) -> None:
    check_hashable(element)
    if element not in self:
        raise key_error(element)
    self.remove(element)


def _set_update(self: set, *others: Any) -> None:
    for other in others:
        for element in materialise(other):
            _set_add(self, element)


def _set_pop(self: set, /) -> Any:
    if not self:
        raise key_error("pop from an empty set")
    return self.pop()


_SET_METHODS = _methods(
    add=_set_add, remove=_set_remove, update=_set_update, pop=_set_pop,
    discard=lambda self, element, /: (check_hashable(element), self.discard(element))[1],
    copy=lambda self, /: set(self), clear=lambda self, /: self.clear())

# Attributes that are values, not methods (`x.real`).
_VALUE_ATTRIBUTES: dict[type, dict[str, Callable[[Any], Any]]] = {
    int: {"real": int, "imag": lambda v: 0, "numerator": int, "denominator": lambda v: 1},
    float: {"real": float, "imag": lambda v: 0.0},
    range: {"start": lambda r: r.start, "stop": lambda r: r.stop, "step": lambda r: r.step},
}

_METHODS: dict[type, dict[str, ns.Function]] = {
    list: _LIST_METHODS, tuple: _TUPLE_METHODS, range: _RANGE_METHODS, dict: _DICT_METHODS,
    str: _STR_METHODS, set: _SET_METHODS,
    int: _INT_METHODS, bool: _INT_METHODS, float: _FLOAT_METHODS,
}


def _array_reshape(self: np.ndarray, *shape: Any) -> np.ndarray:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    try:
        return self.reshape(tuple(as_index(n) for n in shape))
    except ValueError as e:
        raise ArgumentError(str(e), python_type="ValueError") from None


_ARRAY_METHODS = _methods(reshape=_array_reshape, tolist=lambda self, /: self.tolist(),
                          sum=lambda self, /, axis=None: np.sum(self, axis=axis),
                          mean=lambda self, /, axis=None: np.mean(self, axis=axis),
                          copy=lambda self, /: self.copy(),
                          dot=lambda self, b, /: np.dot(self, b))
_ARRAY_VALUES = {"shape": lambda a: tuple(a.shape), "ndim": lambda a: a.ndim,
                 "size": lambda a: a.size, "T": lambda a: a.T}


def _array_attribute(obj: np.ndarray, name: str) -> Any:
    """NumPy arrays (np.array, t.numpy()): a few of their methods and attributes."""
    if name in _ARRAY_METHODS:
        return ns.BoundMethod(_ARRAY_METHODS[name], obj)
    if name in _ARRAY_VALUES:
        return _ARRAY_VALUES[name](obj)
    raise NameProblem(f"'numpy.ndarray' object has no attribute '{name}' in chainrule",
                      python_type="AttributeError")


def member_names(obj: Any) -> list[str]:
    """The attributes and methods the language gives a Python value (its tables above)."""
    obj = plain(obj)
    kind = bool if isinstance(obj, bool) else (tuple if isinstance(obj, ns.Size) else type(obj))
    values = _VALUE_ATTRIBUTES.get(int if kind is bool else kind, {})
    return [*_METHODS.get(kind, {}), *values]


def get_attribute(obj: Any, name: str) -> Any:
    """`obj.name` for every value: Python values through the tables above, engine objects
    (tensors, modules, grad_fn, sizes) through namespace's. Anything else is Python's
    AttributeError, in its words: `'float' object has no attribute 'backward'`."""
    if (type(obj) is Tensor or type(obj) is Parameter) and dialects.hooks() is None:
        return ns.get_attribute(obj, name)   # `p.grad`: a training loop's most read attribute
    obj = plain(obj)
    kind = bool if isinstance(obj, bool) else type(obj)
    if isinstance(obj, ns.Size):
        kind = tuple
    table = _METHODS.get(kind)
    if table is not None and name in table:
        return ns.BoundMethod(table[name], obj)
    values = _VALUE_ATTRIBUTES.get(int if kind is bool else kind)
    if values is not None and name in values:
        return values[name](obj)
    if isinstance(obj, Tensor) and type(obj) is not Tensor and \
            not getattr(type(obj), "plain_tensor", False):   # a dialect's value class
        own = getattr(type(obj), "language_methods", {})
        if name in own:
            return ns.BoundMethod(ns.Function(name, own[name], "method"), obj)
        own = getattr(type(obj), "language_attributes", {})
        if name in own:
            return own[name](obj)
        raise NameProblem(f"'{type(obj).__name__}' object has no attribute '{name}'",
                          python_type="AttributeError")
    if isinstance(obj, Tensor) and (hooks := dialects.hooks()) is not None:
        return hooks.tensor_attribute(obj, name)   # a TensorFlow tensor's own attributes
    if isinstance(obj, Tensor | ns.Module | ns.GradFn | ns.Size | ns.NNModule):
        return ns.get_attribute(obj, name)
    if name == "args" and exception_message(obj) is not None:
        return (exception_message(obj),)
    if isinstance(obj, np.ndarray):
        return _array_attribute(obj, name)
    own = getattr(type(obj), "language_getattr", None)   # classes, modules (engine/nn)
    if own is not None:
        return own(obj, name)
    own = getattr(type(obj), "language_methods", None)   # engine objects' own, as a table
    if isinstance(own, dict) and name in own:
        return ns.BoundMethod(ns.Function(name, own[name], "method"), obj)
    own = getattr(type(obj), "language_attributes", None)   # e.g. x.max(1).values
    if isinstance(own, dict) and name in own:
        return own[name](obj)
    raise NameProblem(f"'{type_name(obj)}' object has no attribute '{name}'",
                      python_type="AttributeError")




# ---------------------------------------------------------------- import math
