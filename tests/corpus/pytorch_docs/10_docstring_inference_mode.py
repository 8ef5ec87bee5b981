# Source: https://github.com/pytorch/pytorch/blob/00ba25e0442158c8c4298141abd85d959fabc86c/torch/autograd/grad_mode.py
# Taken: the Example of the inference_mode docstring, the `>>> `/`... ` prompts removed and the expected-output lines left out (the traceback it expects is output, so left out too)
# Licence: BSD-style 3-clause (pytorch/pytorch LICENSE; Copyright (c) 2016- Facebook, Inc and the PyTorch contributors)
# xdoctest: +REQUIRES(env:TORCH_DOCTEST_AUTOGRAD)
import torch
x = torch.ones(1, 2, 3, requires_grad=True)
with torch.inference_mode():
    y = x * x
y.requires_grad
# xdoctest: +SKIP("want string isn't quite right")
y._version
@torch.inference_mode()
def func(x):
    return x * x
out = func(x)
out.requires_grad
@torch.inference_mode()
def doubler(x):
    return x * 2
out = doubler(x)
out.requires_grad
