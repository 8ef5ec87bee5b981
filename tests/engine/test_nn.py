"""torch.nn in chainrule, against PyTorch running the same program: what modules print, which
parameters they register and in which order, train/eval, zero_grad, nn.Parameter, the manual
`with torch.no_grad(): p -= lr * p.grad` update, and custom autograd Functions (whose backward
is the learner's code, recorded in a call scope)."""

from __future__ import annotations

import pytest
from chainrule.engine.lang import run_program
from chainrule.engine.limits import Limits
from chainrule.engine.trace import trace_program

from tests.nn_oracle import assert_same_numbers, ours, theirs

NET = '''
import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.lin = nn.Linear(n, n)
        self.gain = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return torch.tanh(self.lin(x)) * self.gain

class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), Block(4), nn.Identity())
        self.head = nn.Linear(4, 2, bias=False)
        self.shared = self.head          # the same module twice: its parameters once
        self.flat = nn.Flatten()
        self.soft = nn.LogSoftmax(dim=1)
        self.note = "plain attribute"

    def forward(self, x):
        return self.soft(self.head(self.body(x)))
'''


def test_print_and_parameters_as_pytorch() -> None:
    source = NET + '''
model = Net()
print(model)
print([name for name, p in model.named_parameters()])
print([tuple(p.shape) for p in model.parameters()])
print([n for n, m in model.named_children()])
print(model.note, model.training, model.body[2].training)
model.eval()
print(model.training, model.body[2].training, model.body[2].lin.training)
model.train()
print(model.training, model.body[0])
print(nn.Sequential(nn.Linear(1, 3), nn.Tanh(), nn.Linear(3, 1), nn.Flatten(0, 1)))
print(nn.Softmax(dim=-1), nn.Sigmoid(), nn.MSELoss(reduction="sum"), nn.CrossEntropyLoss())
print(len(list(model.body[2].parameters())), model.body[0].in_features, model.head.out_features)
'''
    assert ours(source) == theirs(source)


def test_forward_backward_with_weights_set_explicitly() -> None:
    source = NET + '''
model = Net()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()).float() * 0.37 + i).reshape(p.shape))
x = torch.cos(torch.arange(15).float()).reshape(5, 3)
target = torch.tensor([0, 1, 1, 0, 1])
loss = nn.NLLLoss()(model(x), target)
loss.backward()
print(f"{loss.item():.6f}")
for name, p in model.named_parameters():
    print(name, [round(v, 6) for v in p.grad.reshape(-1).tolist()])
lr = 0.1
with torch.no_grad():
    for p in model.parameters():
        p -= lr * p.grad
model.zero_grad()
print([p.grad for p in model.parameters()][:2])
loss2 = nn.NLLLoss()(model(x), target)
print(f"{loss2.item():.6f}")
'''
    assert_same_numbers(source)


def test_zero_grad_set_to_none_false_keeps_zero_tensors() -> None:
    source = '''
import torch
import torch.nn as nn
lin = nn.Linear(2, 1)
lin(torch.ones(3, 2)).sum().backward()
lin.zero_grad(set_to_none=False)
print(lin.weight.grad, lin.bias.grad)
opt = torch.optim.SGD(lin.parameters(), lr=0.1)
lin(torch.ones(3, 2)).sum().backward()
opt.zero_grad()
print(lin.weight.grad, lin.bias.grad)
'''
    assert ours(source) == theirs(source)


def test_linear_initial_values_lie_in_pytorchs_range() -> None:
    result = run_program("import torch.nn as nn\nlin = nn.Linear(25, 40)\n")
    lin = result.variables["lin"]
    w, b = lin._parameters["weight"].data, lin._parameters["bias"].data
    bound = 1 / 25 ** 0.5       # kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3) * sqrt(3/25)
    assert w.shape == (40, 25) and b.shape == (40,)
    assert abs(w).max() <= bound and abs(b).max() <= bound
    assert abs(w).max() > 0.9 * bound     # spread over the whole range


def test_module_errors_as_pytorch() -> None:
    source = '''
import torch
import torch.nn as nn
lin = nn.Linear(3, 2)
try:
    lin.weight = torch.ones(2, 3)
except TypeError as e:
    print(e)
try:
    lin(torch.ones(4, 5))
except RuntimeError as e:
    print(e)
try:
    lin.nothing
except AttributeError as e:
    print(e)
try:
    nn.Sequential(nn.Linear(1, 1), 3)
except TypeError as e:
    print(e)
class Empty(nn.Module):
    pass
try:
    Empty()(torch.ones(1))
except NotImplementedError as e:
    print(e)
'''
    assert ours(source) == theirs(source)


CUSTOM = '''
import torch

class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return k * x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * ctx.k * 3 * x ** 2, None

x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = Cube.apply(x * 2, 1.5)
loss = (y * torch.tensor([1.0, 2.0, 3.0])).sum()
loss.backward()
print(y.detach(), y.requires_grad, x.grad)
'''


def test_custom_function_values_and_gradients() -> None:
    assert_same_numbers(CUSTOM)


def test_custom_function_backward_is_the_learners_code_in_a_call_scope() -> None:
    result = run_program(CUSTOM)
    assert result.error is None
    grad_fns = [r.grad_fn for r in result.tape.records]
    assert "CubeBackward" in grad_fns
    backward_start = next(i for i, e in enumerate(result.tape.events)
                          if e["type"] == "backward")
    during = [e["record"] for e in result.tape.events[backward_start:]
              if e["type"] == "forward"]
    assert {r.op.name for r in during} >= {"mul", "pow"}
    assert all(any(s.kind == "call" and s.label.startswith("Cube.backward") for s in r.scope)
               for r in during)
    trace = trace_program(CUSTOM)
    assert trace.error is None


def test_custom_function_second_backward_is_pytorchs_error() -> None:
    source = CUSTOM + '''
try:
    loss.backward()
except RuntimeError as e:
    print(str(e)[:40])
'''
    assert ours(source).splitlines()[-1] == theirs(source).splitlines()[-1]


def test_custom_function_wrong_gradient_count() -> None:
    source = '''
import torch
class Bad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y
    @staticmethod
    def backward(ctx, g):
        return g
a = torch.ones(2, requires_grad=True)
try:
    Bad.apply(a, a).sum().backward()
except RuntimeError as e:
    print(e)
'''
    assert ours(source) == theirs(source)


@pytest.mark.parametrize("program", ["t1"])
def test_traces_of_models_build(program: str) -> None:
    trace = trace_program(NET + "\nm = Net()\nout = m(torch.ones(2, 3)).sum()\nout.backward()\n")
    assert trace.error is None
    assert any(n.get("name") == "out" for n in trace.nodes)


def test_limits_still_apply_to_models() -> None:
    result = run_program("import torch.nn as nn\nlin = nn.Linear(2000, 2000)\n",
                         limits=Limits(max_tensor_elements=1_000_000))
    assert result.error is not None and result.error.kind == "limit"
