# Source: https://github.com/pytorch/pytorch/blob/00ba25e0442158c8c4298141abd85d959fabc86c/torch/autograd/grad_mode.py
# Taken: the Example of the no_grad docstring, the `>>> `/`... ` prompts removed and the expected-output lines left out
# Licence: BSD-style 3-clause (pytorch/pytorch LICENSE; Copyright (c) 2016- Facebook, Inc and the PyTorch contributors)
# xdoctest: +SKIP
x = torch.tensor([1.], requires_grad=True)
with torch.no_grad():
    y = x * 2
y.requires_grad
@torch.no_grad()
def doubler(x):
    return x * 2
z = doubler(x)
z.requires_grad
@torch.no_grad()
def tripler(x):
    return x * 3
z = tripler(x)
z.requires_grad
# factory function exception
with torch.no_grad():
    a = torch.nn.Parameter(torch.rand(10))
a.requires_grad
