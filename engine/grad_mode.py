"""Grad modes: `torch.no_grad()`, `torch.enable_grad()`, `torch.set_grad_enabled(b)`,
`torch.inference_mode()` — one flag, read by `engine.tensor.apply`.

A `GradMode` is what those calls return. The interpreter enters and exits it for a `with`
statement (`enter()` / `exit()`), and, used as a decorator (`@torch.no_grad()`), runs the
decorated user function inside it. Ops applied while grad is disabled give results that do not
require grad (no `grad_fn`), as in PyTorch; they are still recorded on the tape so the display
can show them as constants made under `no_grad`.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("grad_enabled", default=True)


def is_grad_enabled() -> bool:
    return _enabled.get()


def set_grad_enabled_now(value: bool) -> None:
    """`torch.set_grad_enabled(False)` called as a statement: the mode stays until changed."""
    _enabled.set(bool(value))


@dataclass(eq=False)
class GradMode:
    """One grad-mode context: `name` is how PyTorch prints the call (`no_grad`)."""

    name: str
    enabled: bool
    _saved: list[contextvars.Token] = field(default_factory=list, repr=False)

    def enter(self) -> None:
        self._saved.append(_enabled.set(self.enabled))

    def exit(self) -> None:
        _enabled.reset(self._saved.pop())

    def __repr__(self) -> str:
        return f"<torch.autograd.grad_mode.{self.name} object>"
