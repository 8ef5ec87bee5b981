"""The Mersenne Twister MT19937 (Matsumoto & Nishimura 1998), the engine under both PyTorch's
CPU generator and Python's `random`.

The twisting and tempering run in NumPy's `MT19937` bit generator (its state is exactly the
624-word key and a position, so it can be set and read back). The two seedings are written
here from their published definitions, because PyTorch and CPython seed differently:
`init_genrand` (one 32-bit word: PyTorch) and `init_by_array` (a list of words: CPython).
"""

from __future__ import annotations

import numpy as np

N = 624
_MASK = 0xFFFFFFFF


def init_genrand(seed: int) -> list[int]:
    """The key for a 32-bit seed: mt[i] = 1812433253 * (mt[i-1] ^ (mt[i-1] >> 30)) + i."""
    key = [seed & _MASK]
    for i in range(1, N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & _MASK)
    return key


def init_by_array(words: list[int]) -> list[int]:
    """The key for a list of 32-bit words (the 2002 reference seeding CPython uses)."""
    mt = init_genrand(19650218)
    i, j, length = 1, 0, len(words)
    for _ in range(max(N, length)):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + words[j] + j) & _MASK
        i, j = i + 1, j + 1
        if i >= N:
            mt[0], i = mt[N - 1], 1
        if j >= length:
            j = 0
    for _ in range(N - 1):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - i) & _MASK
        i += 1
        if i >= N:
            mt[0], i = mt[N - 1], 1
    mt[0] = 0x80000000   # the most significant bit set: the key is never all zeros
    return mt


class Stream:
    """An MT19937 output stream: `words(n)` gives the next n tempered 32-bit outputs."""

    def __init__(self, key: list[int]) -> None:
        self._bits = np.random.MT19937()
        self.set_state(np.array(key, dtype=np.uint32), N)

    def words(self, n: int) -> np.ndarray:
        """The next `n` outputs as uint64 values below 2**32."""
        return self._bits.random_raw(n) if n else np.zeros(0, dtype=np.uint64)

    def word(self) -> int:
        return int(self._bits.random_raw())

    def get_state(self) -> tuple[np.ndarray, int]:
        state = self._bits.state["state"]
        return np.array(state["key"], dtype=np.uint32), int(state["pos"])

    def set_state(self, key: np.ndarray, pos: int) -> None:
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    def copy(self) -> Stream:
        twin = Stream.__new__(Stream)
        twin._bits = np.random.MT19937()
        twin.set_state(*self.get_state())
        return twin
