# Source: https://github.com/pytorch/pytorch/blob/00ba25e0442158c8c4298141abd85d959fabc86c/torch/autograd/grad_mode.py
# Taken: the Example of the enable_grad docstring, the `>>> `/`... ` prompts removed and the expected-output lines left out
# Licence: BSD-style 3-clause (pytorch/pytorch LICENSE; Copyright (c) 2016- Facebook, Inc and the PyTorch contributors)
# xdoctest: +SKIP
x = torch.tensor([1.], requires_grad=True)
with torch.no_grad():
    with torch.enable_grad():
        y = x * 2
y.requires_grad
y.backward()
x.grad
@torch.enable_grad()
def doubler(x):
    return x * 2
with torch.no_grad():
    z = doubler(x)
z.requires_grad
@torch.enable_grad()
def tripler(x):
    return x * 3
with torch.no_grad():
    z = tripler(x)
z.requires_grad
