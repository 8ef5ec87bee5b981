# Source: https://github.com/pytorch/tutorials/blob/199e9530f4b72f57ba2dc222e1fd18db3efc49ed/beginner_source/introyt/autogradyt_tutorial.py
# Taken: the detach() code cell of section "Turning Autograd Off and On", from `x = torch.rand(5, requires_grad=True)` to `print(y)`
# Licence: BSD-3-Clause, Copyright (c) 2017-2022, Pytorch contributors (pytorch/tutorials LICENSE)
x = torch.rand(5, requires_grad=True)
y = x.detach()

print(x)
print(y)
