# Source: https://github.com/pytorch/pytorch/blob/00960f7fe5ae7ac488588f637a82588437983439/torch/_tensor.py
# Taken: the Example of the Tensor.register_hook docstring, the `>>> `/`... ` prompts removed and the expected-output lines left out
# Licence: BSD-style 3-clause (pytorch/pytorch LICENSE; Copyright (c) 2016- Facebook, Inc and the PyTorch contributors)
v = torch.tensor([0., 0., 0.], requires_grad=True)
h = v.register_hook(lambda grad: grad * 2)  # double the gradient
v.backward(torch.tensor([1., 2., 3.]))
v.grad
h.remove()  # removes the hook
