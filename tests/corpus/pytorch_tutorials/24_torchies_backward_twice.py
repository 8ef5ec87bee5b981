# Source: https://github.com/pytorch/tutorials/blob/6d0edbbe17900c8ead4969ecb8c0c0918202a11c/beginner_source/former_torchies/autograd_tutorial.py
# Taken: from `x = torch.ones(2, 2, requires_grad=True)` (second one) to `print(z)`, one contiguous block of the file
# Licence: BSD-3-Clause, Copyright (c) 2017-2022, Pytorch contributors (pytorch/tutorials LICENSE)
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
y.backward(torch.ones(2, 2), retain_graph=True)
# the retain_variables flag will prevent the internal buffers from being freed
print(x.grad)

###############################################################
#
z = y * y
print(z)
