"""The float32 log and sine/cosine PyTorch's CPU `normal_` fill path uses, vectorised.

On x86 CPUs with AVX2 (and AVX-512), PyTorch turns blocks of 16 uniforms into normals with
the Cephes-derived polynomials of `avx_mathfun.h` (Pommier's sse_mathfun, ported to AVX),
not the C library, and the wheel is compiled with multiply-adds contracted into fused
multiply-adds. Both change last bits, so both are reproduced here: each step below is one
float32 operation of that compiled sequence, `fma` where the compiled code fuses.

  logf    x = m * 2**e with m in [sqrt(1/2), sqrt(2)); log(x) = P(m - 1) + e*ln2, where
          ln2 is split into 0.693359375 and -2.12194440e-4 so e*ln2 adds without rounding
  sincos  x reduced by the nearest even multiple j of pi/4 (pi/4 split in three parts for
          an extended-precision subtraction); one polynomial for sine and one for cosine on
          [-pi/4, pi/4], swapped and signed by j
"""

from __future__ import annotations

import numpy as np

_F32 = np.float32


def fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """float32 fused multiply-add: a*b + c rounded once.

    a*b is exact in float64 (24 + 24 bits); the float64 sum can round onto a float32
    rounding midpoint that the exact sum is not on, and only then (rarely) is it nudged
    toward the exact sum (its error from Knuth's two-sum) before rounding to float32."""
    p = np.multiply(a, b, dtype=np.float64)
    s = p + c
    on_midpoint = (s.view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    if on_midpoint.any():
        at = np.nonzero(on_midpoint)
        ps, ss = p[at], s[at]
        cs = np.broadcast_to(np.asarray(c, np.float64), s.shape)[at]
        back = ss - ps
        err = (ps - (ss - back)) + (cs - back)
        s[at] = np.where(err != 0, np.nextafter(ss, ss + err), ss)
    return s.astype(_F32)


_SQRTHF = _F32(0.707106781186547524)
_LOG_P = [_F32(v) for v in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]
_LOG_Q1, _LOG_Q2 = _F32(-2.12194440e-4), _F32(0.693359375)


def logf(x: np.ndarray) -> np.ndarray:
    """log of positive normal float32 values, as `log256_ps` computes it."""
    bits = np.asarray(x, _F32).view(np.uint32)
    e = ((bits >> 23).astype(np.int32) - 126).astype(_F32)
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(_F32)   # [0.5, 1)
    low = m < _SQRTHF
    e = np.where(low, e - _F32(1), e)
    m = (m - _F32(1)) + np.where(low, m, _F32(0))
    z = m * m
    y = np.full_like(m, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = fma(y, m, p)
    y = y * m
    y = fma(y, z, e * _LOG_Q1)
    y = fma(z, _F32(-0.5), y)
    return fma(e, _LOG_Q2, m + y)


_FOPI = _F32(1.27323954473516)   # 4/pi
_DP = [_F32(v) for v in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8)]
_COS_P = [_F32(v) for v in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)]
_SIN_P = [_F32(v) for v in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_SIGN = np.uint32(0x80000000)


def sincosf(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sin x, cos x) of float32 values, as `sincos256_ps` computes them."""
    x = np.asarray(x, _F32)
    sign_sin = x.view(np.uint32) & _SIGN
    x = np.abs(x)
    j = (x * _FOPI).astype(np.int32)        # truncation, as cvttps
    j = (j + 1) & ~1                        # the nearest even octant
    jf = j.astype(_F32)
    sign_sin = sign_sin ^ ((j & 4).astype(np.uint32) << 29)
    sign_cos = ((~(j - 2)) & 4).astype(np.uint32) << 29
    for dp in _DP:
        x = fma(jf, dp, x)
    z = x * x
    yc = fma(np.full_like(z, _COS_P[0]), z, _COS_P[1])
    yc = fma(yc, z, _COS_P[2])
    yc = yc * z
    yc = fma(yc, z, -(z * _F32(0.5)))
    yc = yc + _F32(1)
    ys = fma(np.full_like(z, _SIN_P[0]), z, _SIN_P[1])
    ys = fma(ys, z, _SIN_P[2])
    ys = ys * z
    ys = fma(ys, x, x)
    sine_first = (j & 2) == 0
    sin = np.where(sine_first, ys, yc).view(np.uint32) ^ sign_sin
    cos = np.where(sine_first, yc, ys).view(np.uint32) ^ sign_cos
    return sin.view(_F32), cos.view(_F32)
