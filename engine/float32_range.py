"""float32's range for results the engine computes in float64 (engine/tensor.py stores float32
tensors as float64 and shows them rounded).

Inside float32's range the extra precision is harmless (what is shown is rounded to float32),
but at its edges it changes answers: PyTorch's `torch.exp(torch.tensor(100.))` is inf, so
`log(1 + exp(x))` is inf and its gradient nan — the lesson behind log-sum-exp — where float64
would go on with 2.7e43. Ops marked `leaves_float32_range` (engine/ops.py) put their float32
results back in range: beyond ±FLOAT32_MAX becomes ±inf, below half the smallest subnormal 0.
"""

from __future__ import annotations

import math

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
BELOW_SUBNORMAL = float(np.finfo(np.float32).smallest_subnormal) / 2   # rounds to zero


def in_float32_range(x: np.ndarray | np.float64) -> np.ndarray | np.float64:
    if type(x) is np.float64:
        a = abs(x)
        if a > FLOAT32_MAX:
            return np.float64(math.copysign(math.inf, x))
        if 0.0 < a <= BELOW_SUBNORMAL:
            return np.float64(math.copysign(0.0, x))
        return x
    x = np.asarray(x, dtype=np.float64)
    if x.size:
        # Nearly every array is well inside the range: two reductions say so (a polynomial
        # fit's powers of 2,000 points, every step), instead of the rounding below; a square
        # needs no |x| (nan fails every test: it takes the rounding below).
        lo = x.min()
        if lo > BELOW_SUBNORMAL and x.max() <= FLOAT32_MAX:
            return x
        a = np.abs(x)
        if a.max() <= FLOAT32_MAX and a.min() > BELOW_SUBNORMAL:
            return x
    with np.errstate(over="ignore", under="ignore"):
        r = x.astype(np.float32)
    lost = np.isinf(r) & np.isfinite(x)
    lost |= (r == 0) & (x != 0)
    return np.where(lost, r.astype(np.float64), x) if lost.any() else x
