# Source: https://github.com/karpathy/micrograd/blob/c911406e5ace8742e5841a7e0df113ecb5d54685/README.md
# Taken: line 19 (the first block's import of Value), then lines 50-54, the tracing block of the README (without its fences)
# Licence: MIT, Copyright (c) 2020 Andrej Karpathy (micrograd LICENSE)
from micrograd.engine import Value

from micrograd import nn
n = nn.Neuron(2)
x = [Value(1.0), Value(-2.0)]
y = n(x)
dot = draw_dot(y)
