"""JAX's default PRNG, threefry2x32, as NumPy uint32 arithmetic: the bits `jax.random` draws.

A key is two uint32 words. Everything is the Threefry-2x32 block cipher (Salmon et al., "Parallel
random numbers: as easy as 1, 2, 3", 20 rounds) applied to counters, as the installed jax does it
with `jax_threefry_partitionable` on (its default since jax 0.5):

  seed     key(n) = [n >> 32, n & 0xFFFFFFFF]; with x64 off the seed is a 32-bit integer, so the
           high word is 0 and the low word is n modulo 2**32
  split    to a shape S: hash the key over a 64-bit counter 0..prod(S)-1 laid out as (high word,
           low word) pairs; the new keys are the two output words, side by side
  fold_in  hash the key over the one counter pair (0, data)
  bits     32-bit draws for a shape: the split's counters, the two output words XOR-ed
"""

from __future__ import annotations

import numpy as np

U32 = np.uint32
# Threefry's key-schedule parity constant and its rotation distances (rounds 1-4, then 5-8).
PARITY = U32(0x1BD11BDA)
ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _rotl(v: np.ndarray, d: int) -> np.ndarray:
    return (v << U32(d)) | (v >> U32(32 - d))


def threefry2x32(key: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cipher of the counter pairs (hi, lo) under `key` (two uint32 words): five groups of
    four mix rounds, a key injection after each group."""
    schedule = (U32(key[0]), U32(key[1]), U32(key[0]) ^ U32(key[1]) ^ PARITY)
    with np.errstate(over="ignore"):
        x0 = np.asarray(hi, dtype=U32) + schedule[0]
        x1 = np.asarray(lo, dtype=U32) + schedule[1]
        for group in range(5):
            for r in ROTATIONS[group % 2]:
                x0 = x0 + x1
                x1 = _rotl(x1, r) ^ x0
            x0 = x0 + schedule[(group + 1) % 3]
            x1 = x1 + schedule[(group + 2) % 3] + U32(group + 1)
    return x0, x1


def seed_words(seed: int) -> np.ndarray:
    """key(seed)'s data with jax_enable_x64 off: the seed as a 32-bit integer (Python ints that do
    not fit in a C long are refused by JAX with OverflowError before this)."""
    return np.array([0, seed % 2**32], dtype=U32)


def _counters(count: int) -> tuple[np.ndarray, np.ndarray]:
    n = np.arange(count, dtype=np.uint64)
    return (n >> np.uint64(32)).astype(U32), (n & np.uint64(0xFFFFFFFF)).astype(U32)


def split(key: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The keys of split(key, shape): shape + (2,) uint32."""
    w0, w1 = threefry2x32(key, *_counters(int(np.prod(shape, dtype=np.int64))))
    return np.stack([w0, w1], axis=-1).reshape(*shape, 2)


def fold_in(key: np.ndarray, data: int) -> np.ndarray:
    w0, w1 = threefry2x32(key, np.zeros(1, U32), np.array([data % 2**32], dtype=U32))
    return np.array([w0[0], w1[0]], dtype=U32)


def bits32(key: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """random_bits(key, 32, shape): uint32 draws."""
    w0, w1 = threefry2x32(key, *_counters(int(np.prod(shape, dtype=np.int64))))
    return (w0 ^ w1).reshape(shape)
