# Source: https://github.com/karpathy/micrograd/blob/c911406e5ace8742e5841a7e0df113ecb5d54685/test/test_engine.py
# Taken: line 2 (the import of Value), then lines 6-12, the micrograd half of test_sanity_check, dedented by 4 spaces (the function body made top level)
# Licence: MIT, Copyright (c) 2020 Andrej Karpathy (micrograd LICENSE)
from micrograd.engine import Value
x = Value(-4.0)
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
xmg, ymg = x, y
