"""The float transforms of `jax.random` on CPU, float32 operation for operation.

uniform  the 23 high bits of a draw become the mantissa of a float in [1, 2); minus 1 gives
         [0, 1); then `u * (maxval - minval) + minval`, floored at minval
normal   a uniform in (-1, 1) (minval is the float after -1), then sqrt(2) * erfinv(u)
exponential, gumbel, laplace, logistic   XLA's log and log1p of uniforms, as JAX composes them
truncated_normal   a uniform between erf(lower/sqrt 2) and erf(upper/sqrt 2) (XLA's float32 erf,
         a rational function with explicit fmas), sqrt(2) * erfinv, clipped inside the bounds

erfinv is XLA's float32 one (M. Giles, "Approximating the erfinv function", two polynomials in
w = -log1p(-u*u), split at w = 5). XLA's CPU backend computes log1p with Cephes' rational function
for |x| < sqrt(2) - 1 and with its vectorised Cephes `logf` otherwise, and LLVM fuses each
multiply that has one use into the add after it (x86 FMA). Each step below says which: `_fma`
is one rounding, `*` then `+` are two, as the installed jaxlib's compiled kernel does them.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32
F64 = np.float64


def _fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """float32 a*b + c with one rounding. The product is exact in float64 and rounding the
    float64 sum again to float32 is right unless that sum fell exactly on a float32 midpoint
    (or is float32-subnormal; an exact 0 is exact): only there is the sum redone, rounded to
    odd."""
    p = np.asarray(a, F32).astype(F64) * np.asarray(b, F32).astype(F64)
    c64 = np.asarray(c, F32).astype(F64)
    s = p + c64
    low = s.view(np.int64) & 0x1FFFFFFF   # the 29 bits float32 drops
    redo = (low == 0x10000000) | ((np.abs(s) < F64(np.finfo(F32).tiny)) & (s != 0))
    if redo.any():   # rare: redo those alone
        p, c64 = np.broadcast_arrays(p, c64)
        s = np.array(s, copy=True)
        s[redo] = _sum_to_odd(p[redo], c64[redo])
    return s.astype(F32)


def _sum_to_odd(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """p + c rounded to odd (the neighbour with an odd last bit when inexact), which rounding to
    float32 then turns into the correctly rounded sum."""
    s = p + c
    back = s - p
    error = (p - (s - back)) + (c - back)   # Knuth's two-sum: s + error == p + c exactly
    nudge = (error != 0) & ((s.view(np.int64) & 1) == 0) & np.isfinite(s)
    return np.where(nudge, np.nextafter(s, np.where(error > 0, np.inf, -np.inf)), s)


def unit_floats(bits: np.ndarray) -> np.ndarray:
    """[0, 1) from uint32 draws: the top 23 bits under the exponent of 1.0, minus 1."""
    mantissa = (bits >> np.uint32(9)) | np.uint32(0x3F800000)
    return mantissa.view(F32) - F32(1)


def uniform(bits: np.ndarray, minval: float, maxval: float) -> np.ndarray:
    lo, hi = F32(minval), F32(maxval)
    return np.maximum(lo, _fma(unit_floats(bits), hi - lo, lo))


# Cephes log1p: numerator and denominator of its rational function, highest degree first.
_LOG1P_NUM = (4.5270000862445199635215e-5, 4.9854102823193375972212e-1,
              6.5787325942061044846969e0, 2.9911919328553073277375e1,
              6.0949667980987787057556e1, 5.7112963590585538103336e1,
              2.0039553499201281259648e1)
_LOG1P_DEN = (1.0, 1.5062909083469192043167e1, 8.3047565967967209469434e1,
              2.2176239823732856465394e2, 3.0909872225312059774938e2,
              2.1642788614495947685003e2, 6.0118660497603843919306e1)
# Cephes logf on the reduced mantissa x in [sqrt(.5) - 1, sqrt(2) - 1): three interleaved
# Horner chains (degree 2 each) joined over x**3, and ln 2 split in a coarse and a fine part.
_LOG_P = ((7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1),
          (-1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1),
          (2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_LN2_FINE, _LN2_COARSE = -2.12194440e-4, 0.693359375
_SQRT_HALF = F32(0.707106781186547524)
_SMALL = F32(0.41421356237309504880)   # sqrt(2) - 1


def _logf(v: np.ndarray) -> np.ndarray:
    """XLA CPU's float32 log for v > 0 (the only inputs erfinv's log1p gives it here)."""
    v = np.maximum(v, F32(np.finfo(F32).tiny))
    raw = v.view(np.uint32)
    m = ((raw & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(F32)   # [0.5, 1)
    e = ((raw >> np.uint32(23)).astype(np.int32) - 127).astype(F32) + F32(1)
    low = m < _SQRT_HALF
    e = np.where(low, e - F32(1), e)
    x = (m - F32(1)) + np.where(low, m, F32(0))
    x2 = x * x
    x3 = x2 * x
    chains = []
    for c0, c1, c2 in _LOG_P:
        chains.append(_fma(_fma(np.full_like(x, F32(c0)), x, F32(c1)), x, F32(c2)))
    y = _fma(_fma(chains[0], x3, chains[1]), x3, chains[2])
    y = _fma(x3, y, e * F32(_LN2_FINE))
    head = _fma(-x2, F32(0.5), x)
    return _fma(e, F32(_LN2_COARSE), head + y)


def _log1p(x: np.ndarray) -> np.ndarray:
    """XLA CPU's float32 log1p for x in (-1, 0]."""
    num = np.full_like(x, F32(_LOG1P_NUM[0]))
    den = np.full_like(x, F32(_LOG1P_DEN[0]))
    for a, b in zip(_LOG1P_NUM[1:], _LOG1P_DEN[1:], strict=True):
        num, den = _fma(num, x, F32(a)), _fma(den, x, F32(b))
    x2 = x * x
    small = x + _fma(-x2, F32(0.5), (x * x2) * (num / den))
    return np.where(np.abs(x) < _SMALL, small, _logf(x + F32(1)))


# Giles' single-precision erfinv: coefficients for w < 5 and w >= 5, highest degree first.
_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 2.1858087e-04,
            -1.25372503e-03, -4.17768164e-03, 2.46640727e-01, 1.50140941e+00)
_TAIL = (-2.00214257e-04, 1.00950558e-04, 1.34934322e-03, -3.67342844e-03, 5.73950773e-03,
         -7.6224613e-03, 9.43887047e-03, 1.00167406e+00, 2.83297682e+00)


def erfinv(u: np.ndarray) -> np.ndarray:
    u = np.asarray(u, F32)
    with np.errstate(divide="ignore", invalid="ignore"):
        log = _log1p(u * -u)
        central = -log < F32(5)
        t = np.where(central, F32(-2.5) - log, np.sqrt(-log) + F32(-3))
        p = np.where(central, F32(_CENTRAL[0]), F32(_TAIL[0]))
        for a, b in zip(_CENTRAL[1:], _TAIL[1:], strict=True):
            p = _fma(p, t, np.where(central, F32(a), F32(b)))
        return u * np.where(np.abs(u) == F32(1), F32(np.inf), p)


def normal(bits: np.ndarray) -> np.ndarray:
    lo = np.nextafter(F32(-1), F32(0))
    return erfinv(uniform(bits, lo, F32(1))) * F32(np.sqrt(2))


_TINY = F32(np.finfo(F32).tiny)


def exponential(bits: np.ndarray) -> np.ndarray:
    return -_log1p(-uniform(bits, F32(0), F32(1)))


def gumbel(bits: np.ndarray) -> np.ndarray:
    """JAX's "low" mode (its default): -log(-log(u)), u uniform in [tiny, 1)."""
    return -_logf(-_logf(uniform(bits, _TINY, F32(1))))


def laplace(bits: np.ndarray) -> np.ndarray:
    u = uniform(bits, F32(-1) + F32(2**-24), F32(1))   # minval -1 + epsneg
    return np.sign(u) * _log1p(-np.abs(u))


def logistic(bits: np.ndarray) -> np.ndarray:
    x = uniform(bits, _TINY, F32(1))
    return _logf(x) - _log1p(-x)


# XLA's float32 erf as its scalar CPU kernel computes it (truncated_normal's bounds are scalars;
# the vectorised kernel differs near the clamp): x clamped to +-3.7439213 (beyond, +-1), then
# x * P(x*x) / Q(x*x).
_ERF_CLAMP = F32(3.7439213)
_ERF_P = (2.2905065e-04, 3.408291e-03, 5.0955694e-02, 1.8520832e-01, 1.1283791)
_ERF_Q = (-1.1791603e-07, 2.3547966e-05, 1.0179626e-03, 1.407047e-02, 1.1098505e-01,
          4.9746925e-01, 1.0)


def erf(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, F32)
    c = np.minimum(np.maximum(x, -_ERF_CLAMP), _ERF_CLAMP)
    c2 = c * c
    p = _fma(c2, F32(_ERF_P[0]), F32(_ERF_P[1]))
    for k in _ERF_P[2:]:
        p = _fma(p, c2, F32(k))
    q = _fma(c2, F32(_ERF_Q[0]), F32(_ERF_Q[1]))
    for k in _ERF_Q[2:]:
        q = _fma(q, c2, F32(k))
    return np.where(np.abs(x) >= _ERF_CLAMP, np.copysign(F32(1), x), (c * p) / q)


def truncated_normal(bits: np.ndarray, lower: np.float32, upper: np.float32) -> np.ndarray:
    # x / sqrt(2) is computed as x * 0.70710677: XLA turns division by a constant into that
    a, b = erf(lower * F32(0.70710677)), erf(upper * F32(0.70710677))
    out = erfinv(uniform(bits, a, b)) * F32(np.sqrt(2))
    low, high = np.nextafter(lower, F32(np.inf)), np.nextafter(upper, F32(-np.inf))
    return np.minimum(np.maximum(out, low), high)
