# Source: https://github.com/pytorch/tutorials/blob/00e0058584f8faf2e058902c245d88f672736cd7/beginner_source/nlp/pytorch_tutorial.py
# Taken: the first code block of section "Operations with Tensors", from `x = torch.Tensor([1., 2., 3.])` to `print(z)`
# Licence: BSD-3-Clause, Copyright (c) 2017-2022, Pytorch contributors (pytorch/tutorials LICENSE)
x = torch.Tensor([1., 2., 3.])
y = torch.Tensor([4., 5., 6.])
z = x + y
print(z)
