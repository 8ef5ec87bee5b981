# Source: https://github.com/pytorch/tutorials/blob/199e9530f4b72f57ba2dc222e1fd18db3efc49ed/beginner_source/introyt/autogradyt_tutorial.py
# Taken: the code cell `a = torch.linspace(...)` / `print(a)` of section "A Simple Example"
# Licence: BSD-3-Clause, Copyright (c) 2017-2022, Pytorch contributors (pytorch/tutorials LICENSE)
a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
print(a)
