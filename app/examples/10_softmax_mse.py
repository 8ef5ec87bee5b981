import torch
import torch.nn.functional as F

# softmax turns scores into probabilities; MSE compares them with a target distribution
scores = torch.tensor([2.0, 1.0, 0.1], requires_grad=True)
probs = F.softmax(scores, dim=0)
target = torch.tensor([1.0, 0.0, 0.0])
loss = F.mse_loss(probs, target)
loss.backward()
print(scores.grad)
