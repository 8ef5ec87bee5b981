"""Parameter names in the graph and the update step (engine/training_names.py): PyTorch's
`named_parameters()` names (the oracle: torch's own module built the same way), the
program's variable names for tensors it made, and no in-place version ids such as `(v100)`."""

from __future__ import annotations

import re

import pytest
from chainrule.engine.limits import Limits
from chainrule.engine.trace import trace_program
from chainrule.engine.training_pick import picking

torch = pytest.importorskip("torch")

SEQUENTIAL = """
import torch
import torch.nn as nn
torch.manual_seed(0)
X = torch.randn(8, 2)
y = torch.randn(8, 1)
model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(5):
    loss = ((model(X) - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""

NET = """
import torch
import torch.nn as nn
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 1)
    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
net = Net()
x = torch.randn(6, 3)
opt = torch.optim.Adam(net.parameters(), lr=0.01)
for i in range(4):
    loss = net(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
"""

TWO_MODULES = """
import torch
import torch.nn as nn
encoder = nn.Linear(3, 2)
decoder = nn.Linear(2, 3)
x = torch.randn(5, 3)
opt = torch.optim.SGD(list(encoder.parameters()) + list(decoder.parameters()), lr=0.1)
for i in range(3):
    loss = ((decoder(encoder(x)) - x) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
"""

MANUAL = """
import torch
x = torch.linspace(-1, 1, 20)
y = 3 * x + 1
w1 = torch.randn((), requires_grad=True)
b = torch.randn((), requires_grad=True)
for t in range(30):
    loss = ((w1 * x + b - y) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        w1 -= 0.01 * w1.grad
        b -= 0.01 * b.grad
        w1.grad = None
        b.grad = None
"""


def traced(source: str) -> dict:
    d = trace_program(source, limits=Limits(max_seconds=60)).to_dict()
    assert d["error"] is None, d["error"]
    return d


def parameter_labels(d: dict) -> list[str]:
    return [n["label"] for n in d["nodes"]
            if n["kind"] == "tensor" and n["is_leaf"] and n["requires_grad"]]


def torch_names(build: str) -> list[str]:
    import torch.nn as nn
    return [name for name, _ in eval(build, {"nn": nn}).named_parameters()]  # the oracle


@pytest.mark.parametrize("source,build", [
    (SEQUENTIAL, "nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))"),
])
def test_module_parameters_are_named_as_named_parameters(source: str, build: str) -> None:
    d = traced(source)
    labels = parameter_labels(d)
    want = torch_names(build)                      # ['0.weight', '0.bias', '2.weight', ...]
    assert set(want) <= set(labels)
    assert {re.sub(r" \(step \d+\)$", "", label) for label in labels} == set(want)
    assert not any(re.search(r"\(v\d+\)|nn\.Linear", label) for label in labels), labels
    # iteration 1's graph reads the parameters before any step; the graph of iteration 3
    # (picked, as POST /api/training asks) reads them after 2 steps, and says so
    assert not any("(step" in label for label in labels), labels
    with picking(3):
        third = trace_program(source, limits=Limits(max_seconds=60)).to_dict()
    assert "0.weight (step 2)" in parameter_labels(third)
    assert not any(re.search(r"\(step [^2]\)", label) for label in parameter_labels(third))
    update = d["training"]["update"]["params"]
    assert [p["label"] for p in update] == want


def test_a_class_nets_attributes_and_two_held_modules() -> None:
    labels = parameter_labels(traced(NET))
    assert {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"} <= set(labels)
    two = traced(TWO_MODULES)
    assert {"encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"} <= \
        set(parameter_labels(two))
    assert [p["label"] for p in two["training"]["update"]["params"]] == \
        ["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"]


def test_manual_tensors_keep_their_variable_names() -> None:
    labels = parameter_labels(traced(MANUAL))
    assert {"w1", "b"} <= set(labels)
    assert all(re.fullmatch(r"(w1|b)( \(step \d+\))?", label) for label in labels), labels
    assert "w1 (step 1)" in labels
