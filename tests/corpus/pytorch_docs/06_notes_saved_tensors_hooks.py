# Source: https://github.com/pytorch/pytorch/blob/3b5cdd4f472f28ef44038ccee2007539f7624abf/docs/source/notes/autograd.md
# Taken: the last code block of section "Hooks for saved tensors" (saved_tensors_hooks with lambdas)
# Licence: BSD-style 3-clause (pytorch/pytorch LICENSE; Copyright (c) 2016- Facebook, Inc and the PyTorch contributors)
with torch.autograd.graph.saved_tensors_hooks(lambda x: x.detach(), lambda x: x):
    x = torch.randn(5, requires_grad=True)
    y = x * x
