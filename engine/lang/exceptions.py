"""Exceptions as a program sees them: the classes it may raise and catch, and the signals the
interpreter uses for `break`, `continue` and `return`.

A caught exception is the `ChainruleError` itself: it shows its Python type and message
(`print(e)`, `repr(e)`, `e.args`) and nothing else. The classes are table functions of kind
"class": `except RuntimeError` names one, `raise ValueError("...")` calls one. Python's
hierarchy decides what a handler catches (`builtins.is_exception_class`).
"""

from __future__ import annotations

from typing import Any

from chainrule.engine import namespace as ns
from chainrule.engine.errors import ChainruleError, RuntimeProblem
from chainrule.engine.lang.builtins import is_exception_class
from chainrule.engine.printing import value_text

NAMES = ("Exception", "BaseException", "RuntimeError", "ValueError", "TypeError", "IndexError",
         "KeyError", "ZeroDivisionError", "AssertionError", "NameError", "AttributeError",
         "ArithmeticError", "LookupError", "NotImplementedError", "StopIteration",
         "RecursionError", "OverflowError", "UnboundLocalError")


class RaisedError(RuntimeProblem):
    """An exception the program made (`ValueError("bad")`) or raised."""

    kind = "exception"


def _maker(name: str) -> Any:
    def make(*args: Any) -> RaisedError:
        if len(args) == 1:
            message = value_text(args[0], 2_000)
        elif args:
            message = value_text(tuple(args), 2_000)
        else:
            message = ""
        return RaisedError(message, python_type=name)
    make.__name__ = name
    return make


EXCEPTION_CLASSES: dict[str, ns.Function] = {
    name: ns.Function(name, _maker(name), "class") for name in NAMES}


def catches(handler_type: Any, error: ChainruleError) -> bool:
    """Whether `except <handler_type>` catches `error` (a class or a tuple of classes)."""
    if isinstance(handler_type, tuple):
        return any(catches(t, error) for t in handler_type)
    if isinstance(handler_type, ns.Function) and handler_type.name in EXCEPTION_CLASSES:
        return is_exception_class(error.python_type, handler_type.name) or \
            handler_type.name == "BaseException"
    raise RuntimeProblem("catching classes that do not inherit from BaseException is not "
                         "allowed", python_type="TypeError")


def as_raised(value: Any) -> ChainruleError:
    """What `raise value` raises: an exception value, or an exception class called with no
    arguments."""
    if isinstance(value, ChainruleError):
        return value
    if isinstance(value, ns.Function) and value.name in EXCEPTION_CLASSES:
        return value.impl()
    raise RuntimeProblem("exceptions must derive from BaseException", python_type="TypeError")


class Signal(Exception):  # noqa: N818 - not an error: control flow
    """`break`, `continue`, `return`: plain Python exceptions that no program can catch."""


class Break(Signal):
    pass


class Continue(Signal):
    pass


class Return(Signal):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value
