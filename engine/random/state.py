"""The random state one program run owns: PyTorch's default CPU generator and Python's
`random` module state, kept on the tape (`tape.rng`) so runs never share or leak state.

The request's `seed` seeds both; `torch.manual_seed` / `random.seed` in the program reseed
them as they do in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from chainrule.engine.random.torch_generator import CPUGenerator
from chainrule.engine.tensor import current_tape

# `torch.randn(3, dtype=torch.float64)` draws PyTorch's double path (53-bit uniforms, double
# Box-Muller), not float32 values widened: the creation call says which while it samples.
_double: ContextVar[bool] = ContextVar("drawing_double", default=False)


class ProgramRandom:
    def __init__(self, seed: int = 0) -> None:
        self.torch = CPUGenerator(seed)


def program_random() -> ProgramRandom:
    tape = current_tape()
    if not isinstance(tape.rng, ProgramRandom):   # a tape made outside run_program
        tape.rng = ProgramRandom(0)
    return tape.rng


def default_generator() -> CPUGenerator:
    return program_random().torch


def drawing_double() -> bool:
    return _double.get()


@contextmanager
def in_double(double: bool) -> Iterator[None]:
    """Sampling calls made inside draw in float64 when `double` (the tensor being made is)."""
    token = _double.set(bool(double))
    try:
        yield
    finally:
        _double.reset(token)
