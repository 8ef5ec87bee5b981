# Source: https://github.com/pytorch/pytorch/blob/00960f7fe5ae7ac488588f637a82588437983439/torch/_tensor.py
# Taken: the Example of the Tensor.register_post_accumulate_grad_hook docstring, the `>>> `/`... ` prompts removed and the expected-output lines left out
# Licence: BSD-style 3-clause (pytorch/pytorch LICENSE; Copyright (c) 2016- Facebook, Inc and the PyTorch contributors)
v = torch.tensor([0., 0., 0.], requires_grad=True)
lr = 0.01
# simulate a simple SGD update
h = v.register_post_accumulate_grad_hook(lambda p: p.add_(p.grad, alpha=-lr))
v.backward(torch.tensor([1., 2., 3.]))
v
h.remove()  # removes the hook
