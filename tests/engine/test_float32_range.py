"""float32's range at its edges, as PyTorch computes in float32: exp(100) is inf, exp(-200) is 0,
so log(1 + exp(x)) is inf with a nan gradient (the log-sum-exp lesson) — where the engine's
float64 would go on. float64 tensors keep float64's range. Oracle: PyTorch itself."""

from __future__ import annotations

import numpy as np
import pytest
from chainrule.engine.trace import trace_program

torch = pytest.importorskip("torch")

CASES = [
    "x = torch.tensor(100., requires_grad=True)\ny = torch.log(1 + torch.exp(x))",
    "x = torch.tensor([-200., 0.5, 90.], requires_grad=True)\ny = torch.log(torch.exp(x)).sum()",
    "x = torch.tensor([-200., 1.], requires_grad=True)\ny = (1 / torch.exp(x)).sum()",
    "x = torch.tensor([10., -10., 0.5], requires_grad=True)\ny = (x ** 40).sum()",
    "x = torch.tensor([1e-30, 2.], requires_grad=True)\ny = (1 / (x ** 2)).sum()",
    "x = torch.tensor(100., requires_grad=True)\ny = torch.expm1(x) - torch.expm1(x)",
    "x = torch.tensor([2., 3.], requires_grad=True)\ny = (torch.tensor(1e30) ** x).sum()",
    "x = torch.tensor(100., dtype=torch.float64, requires_grad=True)\n"
    "y = torch.log(1 + torch.exp(x))",
]


@pytest.mark.parametrize("case", CASES)
def test_values_and_gradients_leave_float32s_range_as_in_pytorch(case: str) -> None:
    env: dict = {"torch": torch}
    exec(case + "\ny.backward()", env)   # the oracle is PyTorch, by design
    t = trace_program("import torch\n" + case + "\ny.backward()\n")
    assert t.error is None, t.error
    for name, key, want in (("y", "data", env["y"].detach().numpy()),
                            ("x", "grad", env["x"].grad.numpy())):
        got = np.asarray(t.variables[name][key], dtype=np.float64).reshape(want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-5)    # inf and nan where PyTorch has them
