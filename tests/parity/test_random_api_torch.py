"""randperm, torch.normal, normal_/uniform_, torch.Generator and torch.nn.init against
PyTorch, bit for bit (float32 bit patterns; int64 for randperm), over seeds and over sizes on
both sides of PyTorch's 16-value boundary (issue 13, parts 3 and 4)."""

from __future__ import annotations

import pytest
import torch
from chainrule.engine.lang import run_program

from tests.parity.test_random_torch import _same

SEEDS = (0, 1, 7, 42, 99)
SIZES = (1, 3, 15, 16, 17, 100)


def _run(source: str) -> dict:
    result = run_program("import torch\nimport torch.nn as nn\n" + source)
    assert result.error is None, result.error
    return result.variables


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", (1, 2, 5, 16, 17, 100))
def test_randperm(seed: int, n: int) -> None:
    env = _run(f"torch.manual_seed({seed})\np = torch.randperm({n})\nafter = torch.rand(3)")
    torch.manual_seed(seed)
    _same(env["p"], torch.randperm(n))
    _same(env["after"], torch.rand(3))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_in_place_sampling_and_normal(seed: int, n: int) -> None:
    env = _run(f"torch.manual_seed({seed})\na = torch.empty({n})\na.normal_(0.5, 2.0)\n"
               f"b = torch.zeros({n}).uniform_(-3, 2)\nc = torch.normal(1.0, 0.1, size=({n},))\n"
               f"d = torch.zeros({n}, dtype=torch.float64).normal_()\n")
    torch.manual_seed(seed)
    a = torch.empty(n).normal_(0.5, 2.0)
    b = torch.zeros(n).uniform_(-3, 2)
    c = torch.normal(1.0, 0.1, size=(n,))
    d = torch.zeros(n, dtype=torch.float64).normal_()
    for name, theirs in zip("abc", (a, b, c), strict=True):
        _same(env[name], theirs)
    assert env["d"].data.tolist() == d.tolist()   # float64: every double equal


@pytest.mark.parametrize("seed", SEEDS)
def test_a_generator_object_draws_apart_from_the_default(seed: int) -> None:
    env = _run(f"g = torch.Generator().manual_seed({seed})\ntorch.manual_seed(3)\n"
               f"a = torch.randn(17, generator=g)\nb = torch.randn(4)\n"
               f"c = torch.rand(5, generator=g)\nd = torch.randint(0, 10, (6,), generator=g)\n"
               f"e = torch.randperm(7, generator=g)\nf = torch.empty(20).normal_(generator=g)\n")
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(3)
    expected = dict(a=torch.randn(17, generator=g), b=torch.randn(4),
                    c=torch.rand(5, generator=g), d=torch.randint(0, 10, (6,), generator=g),
                    e=torch.randperm(7, generator=g), f=torch.empty(20).normal_(generator=g))
    for name, theirs in expected.items():
        _same(env[name], theirs)


INITS = [
    "nn.init.uniform_(w, -0.5, 0.5)", "nn.init.normal_(w, 0.1, 0.3)",
    "nn.init.xavier_uniform_(w)", "nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('relu'))",
    "nn.init.xavier_normal_(w)", "nn.init.kaiming_uniform_(w, a=5 ** 0.5)",
    "nn.init.kaiming_uniform_(w, mode='fan_out', nonlinearity='relu')",
    "nn.init.kaiming_normal_(w)", "nn.init.constant_(w, 0.25)", "nn.init.zeros_(w)",
    "nn.init.ones_(w)",
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("call", INITS)
@pytest.mark.parametrize("shape", [(3, 4), (16, 17), (5, 2, 3)])
def test_nn_init(seed: int, call: str, shape: tuple) -> None:
    env = _run(f"torch.manual_seed({seed})\nw = torch.empty{shape}\nout = {call}\n"
               "after = torch.randn(3)\nsame = out is w\n")
    torch.manual_seed(seed)
    w = torch.empty(shape)
    eval(call, {"nn": torch.nn, "w": w})   # the oracle: the same call in PyTorch
    _same(env["w"], w)
    _same(env["after"], torch.randn(3))
    assert env["same"] is True


def test_nn_init_on_a_parameter_needs_no_no_grad_and_refuses_vectors() -> None:
    env = _run("torch.manual_seed(0)\nlayer = nn.Linear(3, 2)\n"
               "nn.init.xavier_uniform_(layer.weight)\nw = layer.weight\n")
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 2)
    torch.nn.init.xavier_uniform_(layer.weight)
    _same(env["w"], layer.weight.detach())
    assert env["w"].requires_grad and env["w"].grad_fn is None
    with pytest.raises(ValueError) as oracle:
        torch.nn.init.xavier_uniform_(torch.empty(3))
    result = run_program("import torch\nimport torch.nn as nn\n"
                         "nn.init.xavier_uniform_(torch.empty(3))\n")
    assert result.error is not None and str(oracle.value) in str(result.error)
