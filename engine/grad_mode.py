"""Grad modes: `torch.no_grad()`, `torch.enable_grad()`, `torch.set_grad_enabled(b)`,
`torch.inference_mode()` — one flag, read by `engine.tensor.apply`.

A `GradMode` is what those calls return. The interpreter enters and exits it for a `with`
statement (`enter()` / `exit()`), and, used as a decorator (`@torch.no_grad()`), runs each call
of the decorated user function between `decorator().enter()` and `.exit()`. Ops applied while
grad is disabled give results that do not require grad (no `grad_fn`), as in PyTorch; they are
still recorded on the tape so the display can show them as constants made under `no_grad`.

`torch.set_grad_enabled(b)` switches the mode when it is called, as PyTorch's does: a plain call
(`torch.set_grad_enabled(False)` as a statement) stays in force until changed; used with `with`,
the exit restores the mode from before the call. `engine.tensor.recording` starts every run with
grad enabled.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("grad_enabled", default=True)


def is_grad_enabled() -> bool:
    return _enabled.get()


def set_grad_enabled_now(value: bool) -> None:
    """Switch the mode until something switches it again."""
    _enabled.set(bool(value))


@dataclass(eq=False)
class GradMode:
    """One grad-mode context: `name` is PyTorch's class name (`no_grad`, `set_grad_enabled`).

    `switched_from` is set for `set_grad_enabled`, which switched the mode when it was made:
    the mode it replaced, restored by `exit()` (or, used as a decorator, right away)."""

    name: str
    enabled: bool
    switched_from: bool | None = None
    _saved: list[bool] = field(default_factory=list, repr=False)

    def enter(self) -> None:
        if self.name == "inference_mode" and not self.enabled:
            _inference_ranges_open()
        if self.switched_from is not None and not self._saved:
            # `with torch.set_grad_enabled(b):` — already switched by the call itself.
            self._saved.append(self.switched_from)
            self.switched_from = None
            return
        self._saved.append(_enabled.get())
        _enabled.set(self.enabled)

    def exit(self) -> None:
        _enabled.set(self._saved.pop())
        if self.name == "inference_mode" and not self.enabled:
            _inference_ranges_close()

    def decorator(self) -> GradMode:
        """The mode to enter around each call of a function decorated with this object. A
        `set_grad_enabled(b)` used as a decorator undoes its own immediate switch first."""
        if self.switched_from is not None:
            _enabled.set(self.switched_from)
            self.switched_from = None
        return GradMode(self.name, self.enabled)

    def __repr__(self) -> str:
        return f"<torch.autograd.grad_mode.{self.name} object>"


def no_grad() -> GradMode:
    return GradMode("no_grad", False)


def enable_grad() -> GradMode:
    return GradMode("enable_grad", True)


def set_grad_enabled(mode: bool) -> GradMode:
    previous = _enabled.get()
    _enabled.set(bool(mode))
    return GradMode("set_grad_enabled", bool(mode), switched_from=previous)


def inference_mode(mode: bool = True) -> GradMode:
    return GradMode("inference_mode", not mode)


# Inference tensors: those made while an inference_mode() block runs. The tape numbers tensors
# in order, so the blocks are ranges of tensor ids on the tape (no cost per op).
INFERENCE_VERSION = "Inference tensors do not track version counter."
INFERENCE_IN_PLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed."
                      "You can make a clone to get a normal tensor before doing inplace update."
                      "See https://github.com/pytorch/rfcs/pull/17 for more details.")


def _inference_ranges_open() -> None:
    from chainrule.engine.tensor import current_tape
    tape = current_tape()
    if tape.keep:
        tape.inference.append([len(tape.tensors), None])


def _inference_ranges_close() -> None:
    from chainrule.engine.tensor import current_tape
    tape = current_tape()
    for block in reversed(tape.inference):
        if block[1] is None:
            block[1] = len(tape.tensors)
            break


def inference_depth() -> bool:
    """True inside an inference_mode() block."""
    from chainrule.engine.tensor import current_tape
    return any(block[1] is None for block in current_tape().inference)


def is_inference(t) -> bool:  # noqa: ANN001 - a Tensor (engine.tensor imports this module)
    from chainrule.engine.tensor import current_tape
    return any(start <= t.id < (end if end is not None else t.id + 1)
               for start, end in current_tape().inference)
