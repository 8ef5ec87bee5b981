"""The random state one program run owns: PyTorch's default CPU generator and Python's
`random` module state, kept on the tape (`tape.rng`) so runs never share or leak state.

The request's `seed` seeds both; `torch.manual_seed` / `random.seed` in the program reseed
them as they do in Python.
"""

from __future__ import annotations

from chainrule.engine.random.torch_generator import CPUGenerator
from chainrule.engine.tensor import current_tape


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
