"""The small training program several tests share (issue #13): a two-layer MLP learning the XOR
of two signs from 32 seeded points. `mlp_source` writes it in our language; `torch_mlp` builds
the same seed, data, model, loss and optimizer in real PyTorch, the oracle, so each test runs its
own loop and reads what it needs. The gallery's 20_training_loop is this program for learners
(with comments and a final print)."""

from __future__ import annotations

from typing import Any

# An optimizer: its torch.optim class and keyword arguments, written out by `mlp_source`.
ADAM = ("Adam", {"lr": 0.05})
ADAMW = ("AdamW", {"lr": 0.05, "weight_decay": 0.1})
MOMENTUM = ("SGD", {"lr": 0.1, "momentum": 0.9})
SGD_WEIGHT_DECAY = ("SGD", {"lr": 0.1, "weight_decay": 0.01})

Optimizer = tuple[str, dict[str, float]]


def optimizer_call(opt: Optimizer) -> str:
    name, kwargs = opt
    return f"{name}(model.parameters(), " + ", ".join(f"{k}={v}" for k, v in kwargs.items()) \
        + ")"


def mlp_source(opt: Optimizer = ADAM, steps: int = 100) -> str:
    return f"""import torch
import torch.nn as nn
torch.manual_seed(0)
X = torch.randn(32, 2)
y = (X[:, 0] * X[:, 1] > 0).long()
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.{optimizer_call(opt)}
for step in range({steps}):
    logits = model(X)
    loss = loss_fn(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def torch_mlp(opt: Optimizer = ADAM) -> tuple[Any, Any, Any, Any, Any]:
    """(model, X, y, loss_fn, optimizer) as `mlp_source` makes them, in PyTorch."""
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    X = torch.randn(32, 2)
    y = (X[:, 0] * X[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    name, kwargs = opt
    optimizer = getattr(torch.optim, name)(model.parameters(), **kwargs)
    return model, X, y, nn.CrossEntropyLoss(), optimizer
