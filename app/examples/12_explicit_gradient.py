import torch

# a non-scalar output can go backward if you pass the seed yourself
w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
losses = (w * 2) ** 2
losses.backward(gradient=torch.tensor([1.0, 0.5, 0.0]))
print(w.grad)
