import torch

# gradients accumulate: two backward calls on two graphs add up in w.grad
w = torch.tensor(2.0, requires_grad=True)
first = w * 3
first.backward()
second = w ** 2
second.backward()
print(w.grad)   # 3 + 2*w = 7
