import torch

# a tiny two-layer network on a batch of four points
torch.manual_seed(0)
X = torch.randn(4, 3)
W1 = torch.randn(3, 5, requires_grad=True)
W2 = torch.randn(5, 1, requires_grad=True)
h = torch.relu(X @ W1)
pred = h @ W2
y = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
loss = ((pred - y) ** 2).mean()
loss.backward()
