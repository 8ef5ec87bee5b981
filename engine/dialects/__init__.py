"""The other frameworks' ways of writing backprop (issue 15), each a mapping onto the one engine.

A program speaks one dialect, decided by its imports (`tensorflow`, later `jax`, `micrograd`);
PyTorch's is the default. The interpreter sets it for the run (`speaking`); the few places that
differ by dialect — how a tensor prints, which attributes a tensor has, how a list meets a
tensor in an operator — ask `active()` and the dialect's `Hooks`. This module stays import-light:
printing and the interpreter import it, and the dialects register themselves here.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_active: contextvars.ContextVar[str] = contextvars.ContextVar("dialect", default="torch")


@dataclass(frozen=True)
class Hooks:
    """What a dialect changes in the shared language."""

    tensor_text: Callable[[Any, bool], str]          # print(t) (True) / repr(t) (False)
    tensor_attribute: Callable[[Any, str], Any]      # t.name, raising AttributeError
    operand: Callable[[Any], Any]                    # a list meeting a tensor in `x @ [..]`
    start: Callable[[], None]                        # at the start of a run (e.g. grad off)
    # what NumPy makes of a tensor (`np.mean(t)`); None: PyTorch's rule (t.numpy())
    as_numpy: Callable[[Any], Any] | None = None


_HOOKS: dict[str, Hooks] = {}


def register(name: str, hooks: Hooks) -> None:
    _HOOKS[name] = hooks


def active() -> str:
    return _active.get()


def hooks() -> Hooks | None:
    """The running program's dialect hooks, or None for PyTorch."""
    name = _active.get()
    return None if name == "torch" else _HOOKS.get(name)


def note(text: str) -> None:
    """A sentence the page shows beside the run (once per program): how this framework differs
    from PyTorch at this point."""
    from chainrule.engine.tensor import current_tape  # the tape imports printing, which imports us

    notes = current_tape().dialect_notes
    if text not in notes:
        notes.append(text)


@contextmanager
def speaking(name: str) -> Iterator[None]:
    token = _active.set(name)
    try:
        found = hooks()
        if found is not None:
            found.start()
        yield
    finally:
        _active.reset(token)
