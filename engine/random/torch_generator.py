"""PyTorch's CPU generator (`torch.Generator()`, `torch.default_generator`).

Its state is an MT19937 seeded with the low 32 bits of the seed through `init_genrand`, and two
cached normal samples (one float, one double): the scalar Box-Muller path makes values in pairs
and keeps the second for the next call. `manual_seed` resets all of it. `random()` is one
32-bit output; `random64()` joins two, the first as the high word.
"""

from __future__ import annotations

import numpy as np
from chainrule.engine.random.mt19937 import Stream, init_genrand

DEFAULT_SEED = 67280421310721   # what a fresh torch.Generator() starts from
_U64 = 1 << 64


class CPUGenerator:
    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> CPUGenerator:
        """A Python int in [-2**63, 2**64) (negative seeds wrap as PyTorch's uint64 does)."""
        self.seed = seed % _U64
        self.stream = Stream(init_genrand(self.seed))
        self.next_double_normal: float | None = None
        self.next_float_normal: float | None = None
        return self

    def initial_seed(self) -> int:
        return self.seed

    def random(self, n: int) -> np.ndarray:
        """n 32-bit outputs (uint64 array)."""
        return self.stream.words(n)

    def random64(self, n: int) -> np.ndarray:
        """n 64-bit values, each from two outputs, the first one the high half."""
        w = self.stream.words(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def clone_state(self) -> tuple:
        key, pos = self.stream.get_state()
        return self.seed, key, pos, self.next_double_normal, self.next_float_normal

    def restore_state(self, state: tuple) -> None:
        self.seed, key, pos, self.next_double_normal, self.next_float_normal = state
        self.stream.set_state(key, pos)
