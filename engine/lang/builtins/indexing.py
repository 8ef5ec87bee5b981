"""`obj[key]`, `obj[key] = value` and `del obj[key]` on Python values, in Python's words."""

from __future__ import annotations

from typing import Any

from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError, RuntimeProblem
from chainrule.engine.lang.builtins.core import (
    as_index,
    check_hashable,
    check_items,
    is_iterable,
    key_error,
    materialise,
    plain,
    python_error,
    type_error,
    value_error,
)
from chainrule.engine.printing import type_name
from chainrule.engine.tensor import Tensor

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
            raise type_error("slice indices must be integers or None or have an __index__ "
                             "method") from None
    if bounds[2] == 0:
        raise value_error("slice step cannot be zero")
    return slice(*bounds)


def _sequence_key(seq: Any, key: Any) -> int | slice:
    if isinstance(key, slice):
        return _slice_key(key)
    try:
        return as_index(key)
    except ArgumentError:
        if isinstance(plain(key), Tensor) and not isinstance(seq, str):
            raise
    kind = type(seq) if type(seq) in _SEQUENCE_NAMES else tuple
    if kind is str:
        raise type_error(f"string indices must be integers, not '{type_name(key)}'")
    name = "range" if kind is range else kind.__name__
    raise type_error(f"{name} indices must be integers or slices, not {type_name(key)}")


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
            raise key_error(key)
        return obj[key]
    raise type_error(f"'{type_name(obj)}' object is not subscriptable")


def set_item(obj: Any, key: Any, value: Any) -> None:
    """`obj[key] = value` for lists and dicts (tensors: autograd_api.setitem, PyTorch's
    rules); Python's errors for the rest."""
    if isinstance(obj, Tensor):
        from chainrule.engine import autograd_api
        setitem = getattr(autograd_api, "setitem", None)
        if setitem is None:
            raise RuntimeProblem("assigning into a tensor is not available in chainrule yet")
        setitem(obj, key, value)
        return
    if type(obj) is list:
        k = _sequence_key(obj, key)
        if isinstance(k, slice):
            if not is_iterable(value):
                raise type_error("can only assign an iterable")
            items = materialise(value)
            check_items(len(obj) - len(range(*k.indices(len(obj)))) + len(items))
            try:
                obj[k] = items
            except ValueError as e:
                raise python_error(e) from None
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
    raise type_error(f"'{type_name(obj)}' object does not support item assignment")


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
            raise key_error(key)
        del obj[key]
        return
    raise type_error(f"'{type_name(obj)}' object doesn't support item deletion")
