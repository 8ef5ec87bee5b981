# Source: https://github.com/karpathy/micrograd/blob/c911406e5ace8742e5841a7e0df113ecb5d54685/test/test_engine.py
# Taken: lines 14-21, the PyTorch half of test_sanity_check, dedented by 4 spaces (the function body made top level)
# Licence: MIT, Copyright (c) 2020 Andrej Karpathy (micrograd LICENSE)
x = torch.Tensor([-4.0]).double()
x.requires_grad = True
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
xpt, ypt = x, y
