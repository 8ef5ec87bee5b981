"""`nn.Linear`'s default initialisation with PyTorch's numbers.

PyTorch's `Linear.reset_parameters` calls `kaiming_uniform_(weight, a=sqrt(5))`, whose bound
works out to 1/sqrt(fan_in) but is computed as sqrt(3) * gain / sqrt(fan_in) with
gain = sqrt(2 / (1 + a**2)) (the double can differ from 1/sqrt(fan_in) in its last bit,
so it is computed the same way), then `uniform_(bias, -1/sqrt(fan_in), 1/sqrt(fan_in))`.
Weight first, then bias, both from the default generator unless one is given.
"""

from __future__ import annotations

import math

import numpy as np
from chainrule.engine.random import state, torch_sampling
from chainrule.engine.random.torch_generator import CPUGenerator


def kaiming_uniform_bound(fan_in: int, a: float = 0.0) -> float:
    gain = math.sqrt(2.0 / (1 + a ** 2))
    return math.sqrt(3.0) * (gain / math.sqrt(fan_in))


def linear_init(in_features: int, out_features: int, bias: bool = True,
                gen: CPUGenerator | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(weight of shape (out, in), bias of shape (out,) or None) as float64 arrays holding
    the float32 values `nn.Linear(in_features, out_features)` starts with."""
    gen = gen if gen is not None else state.default_generator()
    if in_features == 0:   # PyTorch warns and leaves the empty weight; the bias bound is 0
        weight = np.zeros((out_features, 0))
    else:
        w = kaiming_uniform_bound(in_features, math.sqrt(5))
        weight = torch_sampling.uniform(gen, out_features * in_features, -w, w)
        weight = weight.reshape(out_features, in_features)
    if not bias:
        return weight, None
    b = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
    return weight, torch_sampling.uniform(gen, out_features, -b, b)
