# A training loop: a two-layer network learns which quadrant a point is in (XOR of the signs).
# The strip above the graph is the loss of every step; pick one (click, or ← →) to see that
# step's graph and, after backward, how Adam turns each gradient into a change of its weight.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(32, 2)
y = (X[:, 0] * X[:, 1] > 0).long()

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)

for step in range(100):
    logits = model(X)
    loss = loss_fn(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print(f"loss after 100 steps: {loss.item():.4f}")
