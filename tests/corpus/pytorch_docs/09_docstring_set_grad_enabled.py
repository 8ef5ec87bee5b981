# Source: https://github.com/pytorch/pytorch/blob/00ba25e0442158c8c4298141abd85d959fabc86c/torch/autograd/grad_mode.py
# Taken: the Example of the set_grad_enabled docstring, the `>>> `/`... ` prompts removed and the expected-output lines left out
# Licence: BSD-style 3-clause (pytorch/pytorch LICENSE; Copyright (c) 2016- Facebook, Inc and the PyTorch contributors)
# xdoctest: +SKIP
x = torch.tensor([1.], requires_grad=True)
is_train = False
with torch.set_grad_enabled(is_train):
    y = x * 2
y.requires_grad
_ = torch.set_grad_enabled(True)
y = x * 2
y.requires_grad
_ = torch.set_grad_enabled(False)
y = x * 2
y.requires_grad
