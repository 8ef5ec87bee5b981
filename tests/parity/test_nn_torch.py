"""torch.optim in chainrule against PyTorch, step by step: every optimizer and option, and a
two-layer MLP classifier trained 100 steps with Adam and with SGD + momentum, ending with
PyTorch's loss and parameters (rtol 1e-4). Weights and data are made by the program from
deterministic formulas, so both sides start from the same numbers."""

from __future__ import annotations

import pytest

from tests.nn_oracle import assert_same_numbers

STEPS = '''
import torch
import torch.nn as nn
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()).float() * 0.71 + i).reshape(p.shape) * 0.5)
x = torch.cos(torch.arange(24).float() * 0.3).reshape(8, 3)
y = torch.sin(torch.arange(8).float()).reshape(8, 1)
opt = {optimizer}
for step in range(6):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    print(step, f"{{loss.item():.7f}}")
for p in model.parameters():
    print([round(v, 7) for v in p.reshape(-1).tolist()])
'''

OPTIMIZERS = [
    "torch.optim.SGD(model.parameters(), lr=0.1)",
    "torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)",
    "torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.8, dampening=0.3)",
    "torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)",
    "torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.1, momentum=0.5)",
    "torch.optim.Adam(model.parameters(), lr=0.01)",
    "torch.optim.Adam(model.parameters(), lr=0.02, betas=(0.8, 0.99), eps=1e-6, "
    "weight_decay=0.05)",
    "torch.optim.Adam(model.parameters(), lr=0.02, amsgrad=True)",
    "torch.optim.AdamW(model.parameters(), lr=0.02)",
    "torch.optim.AdamW(model.parameters(), lr=0.02, weight_decay=0.3, betas=[0.5, 0.9])",
    "torch.optim.RMSprop(model.parameters(), lr=0.01)",
    "torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, momentum=0.5, centered=True,"
    " weight_decay=0.01)",
    "torch.optim.Adagrad(model.parameters(), lr=0.1)",
    "torch.optim.Adagrad(model.parameters(), lr=0.1, lr_decay=0.01, weight_decay=0.1, "
    "initial_accumulator_value=0.2)",
    "torch.optim.SGD([{'params': model[0].parameters(), 'lr': 0.2}, "
    "{'params': model[2].parameters()}], lr=0.05, momentum=0.9)",
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_optimizer_steps_as_pytorch(optimizer: str) -> None:
    assert_same_numbers(STEPS.format(optimizer=optimizer), rtol=1e-4, atol=1e-6)


MLP = '''
import torch
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))

model = MLP()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()).float() * 1.3 + i * 0.7).reshape(p.shape) * 0.4)
t = torch.arange(60).float()
X = torch.stack([torch.cos(t * 0.37) * (1 + t / 60), torch.sin(t * 0.37) * (1 + t / 60)], 1)
labels = torch.remainder(torch.arange(60), 3)
loss_fn = nn.CrossEntropyLoss()
optimizer = {optimizer}
for step in range(100):
    optimizer.zero_grad()
    loss = loss_fn(model(X), labels)
    loss.backward()
    optimizer.step()
    if step % 10 == 9:
        print(step, f"{{loss.item():.7f}}")
print(f"{{loss_fn(model(X), labels).item():.7f}}")
for name, p in model.named_parameters():
    print(name, [round(v, 7) for v in p.reshape(-1).tolist()])
'''


@pytest.mark.parametrize("optimizer", [
    "torch.optim.Adam(model.parameters(), lr=0.01)",
    "torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)",
])
def test_mlp_classifier_100_steps_as_pytorch(optimizer: str) -> None:
    assert_same_numbers(MLP.format(optimizer=optimizer), rtol=1e-4, atol=1e-5)
