# Source: https://github.com/pytorch/pytorch/blob/3b5cdd4f472f28ef44038ccee2007539f7624abf/docs/source/notes/autograd.md
# Taken: the code block "1. Mask before division" of section "Division by Zero in Autograd"
# Licence: BSD-style 3-clause (pytorch/pytorch LICENSE; Copyright (c) 2016- Facebook, Inc and the PyTorch contributors)
x = torch.tensor([1., 1.], requires_grad=True)
div = torch.tensor([0., 1.])

mask = div != 0
safe = torch.zeros_like(x)
safe[mask] = x[mask] / div[mask]
loss = safe.sum()
loss.backward()      # Produces safe gradients [0, 1]
