"""PyTorch's own random numbers, bit for bit: a program that seeds with `torch.manual_seed`
gets exactly the float32 values PyTorch's CPU generator gives (issue 13, part 3).

Every case runs a program through chainrule's language and the same calls in torch, and
compares the values as float32 bit patterns (int64 for integer results). PyTorch takes
different paths by size (normal: a scalar Box-Muller below 16 values, blocks of 16 from 16
on, the last block redrawn when the size is not a multiple of 16), so sizes cover each side of
every boundary. Torch is only imported here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from chainrule.engine.lang import run_program

SIZES = (1, 3, 15, 16, 17, 100, 1000)


def _run(source: str) -> dict:
    result = run_program(source)
    assert result.error is None, result.error
    return result.variables


def _bits(values: object) -> np.ndarray:
    """float32 bit patterns (or int64 values) of a chainrule or torch tensor."""
    arr = values.numpy() if isinstance(values, torch.Tensor) else np.asarray(values.data)
    if arr.dtype.kind == "f":
        return arr.astype(np.float32).view(np.int32)
    return arr.astype(np.int64)


def _same(ours: object, theirs: torch.Tensor) -> None:
    assert tuple(ours.shape) == tuple(theirs.shape)
    a, b = _bits(ours), _bits(theirs)
    bad = np.flatnonzero(a.ravel() != b.ravel())
    assert bad.size == 0, f"{bad.size} values differ, first at {bad[:5].tolist()}"


@pytest.mark.parametrize("seed", range(100))
def test_randn_every_seed_and_size(seed: int) -> None:
    """The acceptance point: manual_seed(s); randn(n) for s in 0..99, n in SIZES."""
    lines = [f"torch.manual_seed({seed})"]
    lines += [f"torch.manual_seed({seed})\nx{n} = torch.randn({n})" for n in SIZES]
    env = _run("import torch\n" + "\n".join(lines))
    for n in SIZES:
        torch.manual_seed(seed)
        _same(env[f"x{n}"], torch.randn(n))


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 1234, 2**32 + 5, 2**63 - 1])
def test_sequences_advance_the_state_as_pytorch(seed: int) -> None:
    """Calls in a row share the generator: the cached second Box-Muller value of a small randn
    feeds the next small randn, sizes mix the two normal paths, rand/randint draw in between."""
    calls = ["randn(3)", "randn(1)", "randn(5)", "rand(4)", "randn(2)", "randn(16)",
             "randn(20)", "randint(0, 10, (6,))", "randn(7)", "rand(2, 3)", "randn(4, 5)",
             "randn(2, 3, 3)", "randint(-5, 5, (2, 2))", "rand(33)", "randn(1)"]
    source = f"import torch\ntorch.manual_seed({seed})\n"
    source += "\n".join(f"v{i} = torch.{c}" for i, c in enumerate(calls))
    env = _run(source)
    torch.manual_seed(seed)
    for i, c in enumerate(calls):
        _same(env[f"v{i}"], eval(f"torch.{c}"))   # noqa: S307 - the test's own literals


@pytest.mark.parametrize("seed", range(0, 40, 3))
@pytest.mark.parametrize("shape", [(1,), (7,), (16,), (24,), (1000,), (2, 3), (4, 4), (3, 5, 2),
                                   (0,), (2, 0)])
def test_rand_and_randn_shapes(seed: int, shape: tuple) -> None:
    args = ", ".join(map(str, shape))
    env = _run(f"import torch\ntorch.manual_seed({seed})\na = torch.rand({args})\n"
               f"b = torch.randn({args})\nc = torch.rand(size={shape!r})")
    torch.manual_seed(seed)
    _same(env["a"], torch.rand(*shape))
    _same(env["b"], torch.randn(*shape))
    _same(env["c"], torch.rand(size=shape))


@pytest.mark.parametrize("seed", range(0, 50, 7))
@pytest.mark.parametrize("low, high, shape", [(0, 2, (10,)), (0, 10, (3, 4)), (-7, 7, (17,)),
                                              (5, 6, (4,)), (0, 1000003, (50,)),
                                              (-2**40, 2**40, (9,)), (0, 2**33, (5,))])
def test_randint(seed: int, low: int, high: int, shape: tuple) -> None:
    env = _run(f"import torch\ntorch.manual_seed({seed})\n"
               f"a = torch.randint({low}, {high}, {shape!r})\nb = torch.randint({high}, (3,))")
    torch.manual_seed(seed)
    _same(env["a"], torch.randint(low, high, shape))
    _same(env["b"], torch.randint(high, (3,)))


@pytest.mark.parametrize("seed", range(0, 60, 3))
@pytest.mark.parametrize("sizes", [(4, 3), (1, 1), (10, 7), (100, 20), (3, 5, False)])
def test_linear_default_initialisation(seed: int, sizes: tuple) -> None:
    """nn.Linear(in, out) after manual_seed: weight then bias, PyTorch's float32 values
    (built on shapes through engine.random.nn_init.linear_init, which nn.Linear calls)."""
    from chainrule.engine.random.nn_init import linear_init
    from chainrule.engine.random.torch_generator import CPUGenerator
    fan_in, fan_out, *rest = sizes
    bias = rest[0] if rest else True
    weight, b = linear_init(fan_in, fan_out, bias, CPUGenerator(seed))
    torch.manual_seed(seed)
    layer = torch.nn.Linear(fan_in, fan_out, bias=bias)
    assert np.array_equal(weight.astype(np.float32), layer.weight.detach().numpy())
    if bias:
        assert np.array_equal(b.astype(np.float32), layer.bias.detach().numpy())
    else:
        assert b is None and layer.bias is None


@pytest.mark.parametrize("seed", range(0, 100, 7))
@pytest.mark.parametrize("shape", [(4, 3, True), (4, 3, False), (1, 1, True), (16, 17, True),
                                   (100, 3, True)])
def test_nn_linear_starts_with_pytorchs_numbers(seed: int, shape: tuple) -> None:
    """`nn.Linear(in, out)` after a seed: weight then bias, bit for bit; and the generator
    is where PyTorch leaves it (the next randn agrees too)."""
    n_in, n_out, bias = shape
    env = _run(f"import torch\nimport torch.nn as nn\ntorch.manual_seed({seed})\n"
               f"layer = nn.Linear({n_in}, {n_out}, bias={bias})\nw = layer.weight\n"
               f"b = layer.bias\nafter = torch.randn(5)")
    torch.manual_seed(seed)
    layer = torch.nn.Linear(n_in, n_out, bias=bias)
    after = torch.randn(5)
    _same(env["w"], layer.weight.detach())
    if bias:
        _same(env["b"], layer.bias.detach())
    else:
        assert env["b"] is None
    _same(env["after"], after)
