"""The learner's own engine (issue 15): a micrograd-lecture `class Value` with operator methods
runs in chainrule as in Python. The oracle is Python itself: each program also runs under
CPython here (the test's own exec, never the engine's), and what it prints must be equal."""

from __future__ import annotations

import contextlib
import io
import math
import random

import pytest
from chainrule.engine.trace import trace_program

VALUE = '''
class Value:
    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), '+')
        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), '*')
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, other):
        out = Value(self.data**other, (self,), f'**{other}')
        def _backward():
            self.grad += other * (self.data ** (other - 1)) * out.grad
        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def __radd__(self, other):
        return self + other

    def __truediv__(self, other):
        return self * other**-1

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        x = self.data
        t = (math.exp(2*x) - 1)/(math.exp(2*x) + 1)
        out = Value(t, (self, ), 'tanh')
        def _backward():
            self.grad += (1 - t**2) * out.grad
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
'''

PROGRAMS = {
    "operators": '''
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = a * b + 1 - a / b + 2 * a + (-b) ** 2
print(c, c.data)
''',
    "neuron_backward": '''
x1 = Value(2.0, label='x1'); x2 = Value(0.0, label='x2')
w1 = Value(-3.0, label='w1'); w2 = Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
n = x1*w1 + x2*w2 + b
o = n.tanh()
o.backward()
print(o, x1.grad, w1.grad, x2.grad, w2.grad, b.grad)
''',
    "a_plus_a": '''
a = Value(3.0, label='a')
b = a + a
b.backward()
print(a.grad, b.grad)
''',
    "reflected_and_errors": '''
a = Value(4.0)
print(3 + a, 3 * a, a - 1, a / 2)
try:
    print(2 - a)
except TypeError as e:
    print("TypeError:", e)
try:
    print(2 ** a)
except TypeError as e:
    print("TypeError:", e)
try:
    print(+a)
except TypeError as e:
    print("TypeError:", e)
print(isinstance(a, Value), isinstance(3, Value), str(a), [a])
s = set(); s.add(a); s.add(a); s.discard(Value(1.0)); print(len(s))
''',
}


def _python(source: str) -> str:
    """What CPython prints for the program (the oracle)."""
    out = io.StringIO()
    random.seed(0)
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<oracle>", "exec"), {"math": math})  # noqa: S102 (test oracle)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_own_value_class_prints_what_python_prints(name):
    source = "import math\n" + VALUE + PROGRAMS[name]
    trace = trace_program(source)
    assert trace.error is None, trace.error
    assert trace.stdout == _python(source)


def test_the_a_plus_a_bug_gives_pythons_wrong_gradient():
    # b = a + a: b's _backward sets self.grad and other.grad, both a's, to 1.0 with `+=`
    # fixed (2.0), as Python gives; the lecture's bug (`=`) overwrites, giving 1.0.
    buggy = VALUE.replace("self.grad += 1.0 * out.grad", "self.grad = 1.0 * out.grad") \
                 .replace("other.grad += 1.0 * out.grad", "other.grad = 1.0 * out.grad")
    source = "import math\n" + buggy + PROGRAMS["a_plus_a"]
    assert _python(source) == "1.0 1.0\n"
    assert trace_program(source).stdout == "1.0 1.0\n"
