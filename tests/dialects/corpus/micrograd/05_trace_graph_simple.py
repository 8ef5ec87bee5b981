# Source: https://github.com/karpathy/micrograd/blob/c911406e5ace8742e5841a7e0df113ecb5d54685/trace_graph.ipynb
# Taken: code cells 1 and 3 (cell 2 defines draw_dot with graphviz; chainrule's own draw_dot stands for it)
# Licence: MIT, Copyright (c) 2020 Andrej Karpathy (micrograd LICENSE)
from micrograd.engine import Value
# a very simple example
x = Value(1.0)
y = (x * 2 + 1).relu()
y.backward()
draw_dot(y)
