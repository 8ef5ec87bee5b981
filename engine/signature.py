"""PyTorch-facing signatures, written the way PyTorch writes its own schemas
(`native_functions.yaml`): `"clamp(Tensor input, Scalar? min=None, Scalar? max=None)"`.

A signature is parsed once into a `Signature`; `Signature.bind(args, kwargs)` checks a call
against it in Python's and PyTorch's words ("randn() got an unexpected keyword argument 'foo'")
and converts every argument by its type, so an op's arguments are validated here, once, and
the function behind it receives checked values. Types:

    Tensor         a tensor                        Tensor?       a tensor or None
    Number         a tensor or a Python number (the function decides what a number means)
    Scalar         a Python number (int, float)    Scalar?       ... or None
    int            a whole number (not a bool)     int?          ... or None
    int[]?         a whole number, a tuple/list of whole numbers, or None (dims)
    SymInt[]       a tuple or list of whole numbers (a shape)
    bool           True or False
    float          a number, as a float
    Reduction      'mean', 'sum' or 'none'
    ScalarType?    a torch dtype, given to the function as its kind ("float", "double",
                   "long", "bool") or None
    Any            anything (the function checks it)

`*` ends the positional parameters (PyTorch's keyword-only marker); `int... size` collects the
remaining positional arguments (`torch.zeros(2, 3)`), `Any** kwargs` the keywords no other
parameter takes (for a function that words its own refusal). Defaults are Python literals.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainrule.engine.errors import ArgumentError

_PARAM = re.compile(r"^\s*(?P<type>[\w\[\]?|.]+)\s+(?P<name>\w+)\s*(?:=\s*(?P<default>.+?))?\s*$")
_REQUIRED = object()


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any = _REQUIRED
    keyword_only: bool = False
    variadic: bool = False   # `int... size`
    keywords: bool = False   # `Any** kwargs`: the keywords no other parameter takes

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED and not self.variadic and not self.keywords


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[Param, ...]
    text: str

    @property
    def positional(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params
                     if not p.keyword_only and not p.variadic and not p.keywords)

    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def bind(self, args: tuple, kwargs: dict, *, skip_self: bool = False) -> dict[str, Any]:
        """Match a call to the parameters and convert each argument by its type. With
        `skip_self` (a tensor method) the first argument is the tensor the method belongs to,
        not counted in messages about positional arguments."""
        given: dict[str, Any] = {}
        rest = list(args)
        for p in self.params:
            if p.keyword_only:
                break
            if p.variadic:
                given[p.name] = tuple(rest)
                rest = []
                break
            if not rest:
                break
            given[p.name] = rest.pop(0)
        if rest:
            most = len(self.positional) - (1 if skip_self else 0)
            count = len(args) - (1 if skip_self else 0)
            raise ArgumentError(
                f"{self.name}() takes {'no' if most == 0 else f'at most {most}'} positional "
                f"argument{'' if most == 1 else 's'} but {count} "
                f"{'was' if count == 1 else 'were'} given")
        by_name = {p.name: p for p in self.params if not p.keywords}
        rest_keywords = next((p for p in self.params if p.keywords), None)
        if rest_keywords is not None:
            given[rest_keywords.name] = {}
        for key, value in kwargs.items():
            p = by_name.get(key)
            if p is None and rest_keywords is not None:
                given[rest_keywords.name][key] = value
                continue
            if p is None:
                close = difflib.get_close_matches(key, sorted(by_name), n=1, cutoff=0.6)
                raise ArgumentError(f"{self.name}() got an unexpected keyword argument '{key}'"
                                    + (f"; did you mean '{close[0]}'?" if close else ""))
            if p.variadic and not given.get(p.name):   # torch.zeros(size=(2, 3))
                given[key] = (value,)
                continue
            if key in given:
                raise ArgumentError(f"{self.name}() got multiple values for argument '{key}'")
            given[key] = value
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in given:
                value = given[p.name]
                out[p.name] = value if p.variadic or p.keywords else convert(
                    p.type, value, p.name, self.name)
            elif p.variadic:
                out[p.name] = ()
            elif p.required:
                raise ArgumentError(f"{self.name}() is missing its argument '{p.name}'")
            else:
                out[p.name] = p.default if p.default is None else convert(
                    p.type, p.default, p.name, self.name)
        return out

    def call(self, impl: Callable[..., Any], args: tuple, kwargs: dict, *,
             skip_self: bool = False) -> Any:
        """Bind, convert, and call `impl`: the parameters before `*` positionally (a
        variadic one spread out), the keyword-only ones by name."""
        bound = self.bind(args, kwargs, skip_self=skip_self)
        positional: list[Any] = []
        named: dict[str, Any] = {}
        for p in self.params:
            if p.variadic:
                positional.extend(bound[p.name])
            elif p.keywords:
                named.update(bound[p.name])
            elif p.keyword_only:
                named[p.name] = bound[p.name]
            else:
                positional.append(bound[p.name])
        return impl(*positional, **named)

    def python_signature(self) -> inspect.Signature:
        """The same parameters as Python's `inspect` describes them (for the fuzzer and for
        readers of a table function's `impl`)."""
        kinds = inspect.Parameter
        out = []
        for p in self.params:
            kind = (kinds.VAR_POSITIONAL if p.variadic else kinds.VAR_KEYWORD if p.keywords else
                    kinds.KEYWORD_ONLY if p.keyword_only else kinds.POSITIONAL_OR_KEYWORD)
            default = (kinds.empty if p.default is _REQUIRED or p.variadic or p.keywords
                       else p.default)
            out.append(kinds(p.name, kind, default=default))
        return inspect.Signature(out)


def parse(text: str) -> Signature:
    """`"name(Type a, Type b=default, *, Type c=default)"` -> Signature."""
    m = re.fullmatch(r"\s*(\w+)\((.*)\)\s*", text, re.S)
    if m is None:
        raise ValueError(f"not a signature: {text!r}")
    name, body = m.group(1), m.group(2)
    params: list[Param] = []
    keyword_only = False
    for part in _split(body):
        if part == "*":
            keyword_only = True
            continue
        variadic, keywords = "..." in part, "**" in part
        pm = _PARAM.match(part.replace("...", "").replace("**", ""))
        if pm is None:
            raise ValueError(f"{text!r}: cannot read the parameter {part!r}")
        default = pm.group("default")
        params.append(Param(pm.group("name"), pm.group("type"),
                            _REQUIRED if default is None else ast.literal_eval(default),
                            keyword_only or keywords, variadic, keywords))
        keyword_only = keyword_only or variadic
    return Signature(name, tuple(params), text)


def _split(body: str) -> list[str]:
    """Split at top-level commas (a default may be a tuple)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        depth += ch in "([" and 1 or 0
        depth -= ch in ")]" and 1 or 0
        if ch == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    if body[start:].strip():
        parts.append(body[start:].strip())
    return parts


# ---------------------------------------------------------------- the types


def _tensor_class() -> type:
    from chainrule.engine.tensor import Tensor  # engine.tensor imports ops, which imports this
    return Tensor


def describe(value: Any) -> str:
    from chainrule.engine.namespace import describe as describe_value
    return describe_value(value)


def _is_number(x: Any) -> bool:
    from chainrule.engine.functional import is_number
    return is_number(x)


def _whole(x: Any) -> bool:
    import numpy as np
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _tensor(value: Any, name: str, fn: str) -> Any:
    if not isinstance(value, _tensor_class()):
        raise ArgumentError(f"{fn}() expects a tensor, got {describe(value)}")
    return value


def _number(value: Any, name: str, fn: str) -> Any:
    if isinstance(value, _tensor_class()) or _is_number(value):
        return value
    raise ArgumentError(f"{fn}() expects a tensor or a number, got {describe(value)}")


def _scalar(value: Any, name: str, fn: str) -> Any:
    if not _is_number(value):
        raise ArgumentError(f"{name} must be a number, got {describe(value)}")
    return value


def _int(value: Any, name: str, fn: str) -> int:
    if not _whole(value):
        raise ArgumentError(f"{name} must be a whole number, got {describe(value)}")
    return int(value)


def _dims(value: Any, name: str, fn: str) -> Any:
    if _whole(value):
        return int(value)
    if isinstance(value, tuple | list) and all(_whole(d) for d in value):
        return tuple(int(d) for d in value)
    raise ArgumentError(f"{name} must be an integer or a tuple of integers, got "
                        f"{describe(value)}")


def _sizes(value: Any, name: str, fn: str) -> tuple[int, ...]:
    if isinstance(value, tuple | list) and all(_whole(d) for d in value):
        return tuple(int(d) for d in value)
    from chainrule.engine.printing import type_name
    raise ArgumentError(f"{fn}(): argument '{name}' must be tuple of ints, not "
                        f"{type_name(value)}", python_type="TypeError")


def _bool(value: Any, name: str, fn: str) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(f"{name} must be True or False, got {describe(value)}")
    return value


def _float(value: Any, name: str, fn: str) -> float:
    if isinstance(value, _tensor_class()) and value.numel() == 1:
        value = value.item()
    if not _is_number(value) or isinstance(value, bool):
        raise ArgumentError(f"{name} must be a number, got {describe(value)}")
    return float(value)


def _reduction(value: Any, name: str, fn: str) -> str:
    if value not in ("mean", "sum", "none"):
        raise ArgumentError(f"reduction must be 'mean', 'sum' or 'none', got {describe(value)}")
    return value


def _dtype(value: Any, name: str, fn: str) -> str:
    from chainrule.engine.namespace import DType
    if isinstance(value, DType):
        return "double" if value.name == "float64" else value.kind
    raise ArgumentError(f"dtype must be a torch dtype such as torch.float32 or torch.long, "
                        f"got {describe(value)}")


def _any(value: Any, name: str, fn: str) -> Any:
    return value


CONVERTERS: dict[str, Callable[[Any, str, str], Any]] = {
    "Tensor": _tensor, "Number": _number, "Scalar": _scalar, "int": _int, "int[]": _dims,
    "SymInt[]": _sizes,
    "bool": _bool, "float": _float, "Reduction": _reduction, "ScalarType": _dtype,
    "Any": _any, "str": _any,
}


def convert(type_: str, value: Any, name: str, fn: str) -> Any:
    optional = type_.endswith("?")
    if optional and value is None:
        return None
    return CONVERTERS[type_.rstrip("?")](value, name, fn)
