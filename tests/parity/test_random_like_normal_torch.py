"""The random calls tutorials reach for after randn (issue 13's RNG leftovers), against
PyTorch bit for bit: `randn_like` / `rand_like` / `randint_like` with and without
`generator=`, `torch.normal` with a tensor mean, a tensor std, or both (PyTorch draws standard
normals in the broadcast shape, then `mul_(std)`, `add_(mean)`, each rounded to float32), and
the float64 sampling path of `randn(..., dtype=torch.float64)` and `*_like` of a double
tensor. Sizes straddle PyTorch's 16-value boundary; one program per seed keeps this fast.
Means and stds are exact in float32 (arange × powers of two), so only the draws and PyTorch's
own roundings are compared."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from chainrule.engine.lang import run_program

from tests.parity.test_random_torch import _same

SEEDS = (0, 1, 5, 42, 99)
SIZES = (1, 3, 15, 16, 17, 100)


def _run(source: str) -> dict:
    result = run_program("import torch\n" + source)
    assert result.error is None, result.error
    return result.variables


def _program(seed: int) -> str:
    lines = [f"torch.manual_seed({seed})", f"g = torch.Generator().manual_seed({seed + 7})"]
    for n in SIZES:
        lines += [
            f"base{n} = torch.zeros({n})",
            f"a{n} = torch.randn_like(base{n})",
            f"b{n} = torch.randn_like(base{n}, generator=g)",
            f"c{n} = torch.rand_like(base{n}, generator=g)",
            f"d{n} = torch.randint_like(base{n}, 3, 10, generator=g)",
            f"e{n} = torch.randint_like(base{n}.long(), 7)",
            f"mean{n} = torch.arange({n}) * 0.5 - 2.0",
            f"std{n} = (torch.arange({n}) + 1) * 0.125",
            f"f{n} = torch.normal(mean{n}, std{n})",
            f"h{n} = torch.normal(mean{n}, 0.7)",
            f"i{n} = torch.normal(1.5, std{n}, generator=g)",
            f"j{n} = torch.normal(mean{n}, std{n}, generator=g)",
            f"k{n} = torch.normal(mean{n}.reshape(1, {n}), torch.ones(2, 1) * 0.3)",
            f"m{n} = torch.rand({n})",
        ]
    return "\n".join(lines)


def _torch(seed: int) -> dict:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed + 7)
    out = {}
    for n in SIZES:
        base = torch.zeros(n)
        out[f"a{n}"] = torch.randn_like(base)
        out[f"b{n}"] = torch.randn_like(base, generator=g)
        out[f"c{n}"] = torch.rand_like(base, generator=g)
        out[f"d{n}"] = torch.randint_like(base, 3, 10, generator=g)
        out[f"e{n}"] = torch.randint_like(base.long(), 7)
        mean, std = torch.arange(n) * 0.5 - 2.0, (torch.arange(n) + 1) * 0.125
        out[f"f{n}"] = torch.normal(mean, std)
        out[f"h{n}"] = torch.normal(mean, 0.7)
        out[f"i{n}"] = torch.normal(1.5, std, generator=g)
        out[f"j{n}"] = torch.normal(mean, std, generator=g)
        out[f"k{n}"] = torch.normal(mean.reshape(1, n), torch.ones(2, 1) * 0.3)
        out[f"m{n}"] = torch.rand(n)   # the default generator's state after all of it
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_like_and_normal_forms_bit_for_bit(seed: int) -> None:
    env = _run(_program(seed))
    for name, theirs in _torch(seed).items():
        _same(env[name], theirs)
        want = {torch.float32: "float32", torch.int64: "int64"}[theirs.dtype]
        assert str(np.asarray(env[name].data).dtype) == ("int64" if want == "int64"
                                                         else "float64"), name


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_double_precision_draws(seed: int, n: int) -> None:
    """float64 tensors take PyTorch's double path: every double equal, not float32 widened."""
    env = _run(f"torch.manual_seed({seed})\na = torch.randn({n}, dtype=torch.float64)\n"
               f"b = torch.rand_like(torch.zeros({n}, dtype=torch.float64))\n"
               f"c = torch.randn_like(torch.zeros({n}).double())\n"
               f"d = torch.normal(torch.zeros({n}).double(), torch.ones({n}).double() * 2)\n"
               f"e = torch.normal(0.0, 1.0, size=({n},), dtype=torch.float64)\n"
               f"f = torch.randn({n})\n")
    torch.manual_seed(seed)
    theirs = dict(a=torch.randn(n, dtype=torch.float64),
                  b=torch.rand_like(torch.zeros(n, dtype=torch.float64)),
                  c=torch.randn_like(torch.zeros(n).double()),
                  d=torch.normal(torch.zeros(n).double(), torch.ones(n).double() * 2),
                  e=torch.normal(0.0, 1.0, size=(n,), dtype=torch.float64),
                  f=torch.randn(n))
    for name, t in theirs.items():
        if t.dtype == torch.float64:
            assert env[name].dtype_name == "float64", name
            assert np.asarray(env[name].data).tolist() == t.tolist(), name
        else:
            _same(env[name], t)


@pytest.mark.parametrize("source,kind,message", [
    ("torch.normal(torch.zeros(3), -torch.ones(3))", "RuntimeError",
     "normal expects all elements of std >= 0.0"),
    ("torch.normal(torch.zeros(3), -1.0)", "RuntimeError",
     "normal expects std >= 0.0, but found std -1"),
    ("torch.normal(torch.zeros(3), torch.ones(2))", "RuntimeError",
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
     "dimension 0"),
    ("torch.normal(torch.zeros(3, dtype=torch.long), torch.ones(3))", "NotImplementedError",
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
])
def test_refusals_are_pytorchs(source: str, kind: str, message: str) -> None:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - its type is checked next
        eval(source, {"torch": torch})   # the oracle itself: its type and its words
    assert type(caught.value).__name__ == kind and message in str(caught.value)
    result = run_program("import torch\n" + source)
    assert result.error is not None
    assert message in result.error.message, result.error.message
    assert getattr(result.error, "python_type", kind) == kind
