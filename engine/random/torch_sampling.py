"""PyTorch's CPU sampling paths, value for value: each function draws from a `CPUGenerator`
exactly the outputs PyTorch's kernel draws, in the same order, and returns a float64 (or int64)
NumPy array holding the values PyTorch's tensor holds (float32 values when `double` is False).

  uniform   `rand`, `uniform_`: float32 takes the low 24 bits of one output, x * 2**-24; float64
            the low 53 bits of `random64`. Then x * (to - from) + from in the tensor's precision.
  normal    `randn`, `normal_`. Two paths, chosen by size:
            - 16 or more contiguous values: fill the tensor with uniforms, then Box-Muller over
              blocks of 16 (value j and j+8 of a block share one pair: radius from 1 - u[j],
              angle 2*pi*u[j+8]); a size that is not a multiple of 16 draws 16 fresh uniforms
              for the last 16 places and transforms them as one more block.
            - fewer values: one double-precision Box-Muller pair per two values (u1 gives the
              angle, u2 the radius through log1p(-u2)); the sine half is cached in the
              generator and used by the next normal value, even in a later call.
            Float32 blocks use the Cephes polynomials of PyTorch's AVX kernel (cephes_float);
            double math is Python's `math`, the C library PyTorch's scalar code calls.
  randint   (output % range) + low, with `random64` once the range needs more than 32 bits.
  randperm  the forward Fisher-Yates swap, z = output % (n - i).
`double=None` means "as the tensor being made" (engine/random/state.py `in_double`).
"""

from __future__ import annotations

import math

import numpy as np
from chainrule.engine.random import cephes_float
from chainrule.engine.random.state import drawing_double
from chainrule.engine.random.torch_generator import CPUGenerator

_F32 = np.float32
_LOW24 = np.uint64((1 << 24) - 1)
_LOW53 = np.uint64((1 << 53) - 1)
_TWO_PI = 2.0 * math.pi
_TWO_PI_F32 = np.float32(_TWO_PI)
_CHUNK_ROWS = 4096


def _uniform01_float(gen: CPUGenerator, n: int) -> np.ndarray:
    return (gen.random(n) & _LOW24).astype(_F32) * _F32(2.0 ** -24)


def _uniform01_double(gen: CPUGenerator, n: int) -> np.ndarray:
    return (gen.random64(n) & _LOW53).astype(np.float64) * 2.0 ** -53


def uniform(gen: CPUGenerator, n: int, low: float = 0.0, high: float = 1.0,
            double: bool | None = None) -> np.ndarray:
    if double is None:
        double = drawing_double()
    if double:
        return _uniform01_double(gen, n) * (high - low) + low
    lo, hi = _F32(low), _F32(high)
    x = _uniform01_float(gen, n)
    return cephes_float.fma(x, hi - lo, lo).astype(np.float64)   # the wheel fuses x*(to-from)+from


# ---------------------------------------------------------------- normal


def normal(gen: CPUGenerator, n: int, mean: float = 0.0, std: float = 1.0,
           double: bool | None = None) -> np.ndarray:
    if double is None:
        double = drawing_double()
    if n >= 16:
        return _fill_double(gen, n, mean, std) if double else _fill_float(gen, n, mean, std)
    return np.array([_scalar_normal(gen, mean, std) for _ in range(n)], dtype=np.float64) \
        if double else np.array([_scalar_normal(gen, mean, std) for _ in range(n)],
                                dtype=np.float64).astype(_F32).astype(np.float64)


def _scalar_normal(gen: CPUGenerator, mean: float, std: float) -> float:
    """One value of the double-precision Box-Muller with the generator's cached second half."""
    if gen.next_double_normal is not None:
        z, gen.next_double_normal = gen.next_double_normal, None
        return z * std + mean
    u1, u2 = _uniform01_double(gen, 2).tolist()
    radius = math.sqrt(-2.0 * math.log1p(-u2))
    theta = _TWO_PI * u1
    gen.next_double_normal = radius * math.sin(theta)
    return radius * math.cos(theta) * std + mean


def _blocks_float(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Box-Muller over rows of 16 float32 uniforms, as PyTorch's AVX kernel computes it."""
    radius = np.sqrt(_F32(-2.0) * cephes_float.logf(_F32(1.0) - u[:, :8]))
    sin, cos = cephes_float.sincosf(_TWO_PI_F32 * u[:, 8:])
    m, s = _F32(mean), _F32(std)
    return np.concatenate([cephes_float.fma(radius * cos, s, m),
                           cephes_float.fma(radius * sin, s, m)], axis=1)


def _fill_float(gen: CPUGenerator, n: int, mean: float, std: float) -> np.ndarray:
    u = _uniform01_float(gen, n)
    whole = n // 16 * 16
    out = np.empty(n, dtype=_F32)
    rows = u[:whole].reshape(-1, 16)
    for start in range(0, len(rows), _CHUNK_ROWS):   # chunks that stay in cache: 2x faster
        part = rows[start:start + _CHUNK_ROWS]
        out[start * 16:(start + len(part)) * 16] = _blocks_float(part, mean, std).ravel()
    if n % 16:
        out[n - 16:] = _blocks_float(_uniform01_float(gen, 16).reshape(1, 16), mean, std).ravel()
    return out.astype(np.float64)


def _blocks_double(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    out = np.empty_like(u)
    for row, block in zip(out, u, strict=True):
        for j in range(8):
            radius = math.sqrt(-2.0 * math.log(1.0 - block[j]))
            theta = _TWO_PI * block[j + 8]
            row[j] = radius * math.cos(theta) * std + mean
            row[j + 8] = radius * math.sin(theta) * std + mean
    return out


def _fill_double(gen: CPUGenerator, n: int, mean: float, std: float) -> np.ndarray:
    u = _uniform01_double(gen, n)
    whole = n // 16 * 16
    out = np.empty(n)
    out[:whole] = _blocks_double(u[:whole].reshape(-1, 16), mean, std).ravel()
    if n % 16:
        out[n - 16:] = _blocks_double(_uniform01_double(gen, 16).reshape(1, 16), mean,
                                      std).ravel()
    return out


# ---------------------------------------------------------------- integers


def randint(gen: CPUGenerator, n: int, low: int, high: int) -> np.ndarray:
    span = high - low
    words = gen.random64(n) if span >= 1 << 32 else gen.random(n)
    offsets = words % np.uint64(span)
    return (offsets.astype(np.int64) + np.int64(low)) if low >= -(1 << 63) else offsets


def randperm(gen: CPUGenerator, n: int) -> np.ndarray:
    perm = list(range(n))
    if n > 1:
        picks = (gen.random(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
        for i, z in enumerate(picks):
            j = i + z
            perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)
