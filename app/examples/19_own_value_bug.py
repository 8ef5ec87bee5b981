# The lecture's bug in your own engine: _backward SETS the gradients (=) instead of adding
# to them (+=). In b = a + a both writes land on a, the second overwrites the first, and
# a.grad ends up 1.0. chainrule runs the same graph through its own autograd and shows,
# at the node where it goes wrong, what PyTorch gives: 2.0.


class Value:
    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other), '+')
        def _backward():
            self.grad = 1.0 * out.grad     # the bug: = instead of +=
            other.grad = 1.0 * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo = []
        visited = set()
        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


a = Value(3.0, label='a')
b = a + a; b.label = 'b'
b.backward()
print(a.grad)   # 1.0 here; the derivative of a + a is 2.0
