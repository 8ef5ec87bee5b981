# Source: https://github.com/pytorch/tutorials/blob/6d0edbbe17900c8ead4969ecb8c0c0918202a11c/beginner_source/former_torchies/autograd_tutorial.py
# Taken: from `import torch` to `print(z, out)`, one contiguous block of the file
# Licence: BSD-3-Clause, Copyright (c) 2017-2022, Pytorch contributors (pytorch/tutorials LICENSE)
import torch
x = torch.ones(2, 2, requires_grad=True)
print(x)

###############################################################
#
print(x.data)

###############################################################
#
print(x.grad)

###############################################################
#

print(x.grad_fn)  # we've created x ourselves

###############################################################
# Do an operation of x:

y = x + 2
print(y)

###############################################################
# y was created as a result of an operation,
# so it has a grad_fn
print(y.grad_fn)

###############################################################
# More operations on y:

z = y * y * 3
out = z.mean()

print(z, out)
