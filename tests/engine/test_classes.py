"""Classes in the language: plain classes checked against Python itself (the same program run by
Python prints the same), module classes against PyTorch, refusals with line and column."""

from __future__ import annotations

import pytest
from chainrule.engine.errors import RefusedError
from chainrule.engine.lang import run_program

from tests.nn_oracle import ours, theirs

PLAIN = [
    # attributes, methods, class attributes, staticmethod and classmethod
    '''
class Counter:
    start = 10
    def __init__(self, step=1):
        self.count = Counter.start
        self.step = step
    def tick(self):
        self.count = self.count + self.step
        return self.count
    @staticmethod
    def double(x):
        return 2 * x
    @classmethod
    def make(cls):
        return cls(5)
c = Counter()
c.tick(); c.tick()
d = Counter.make()
print(c.count, d.tick(), Counter.double(21), c.double(1), Counter.start)
''',
    # inheritance, super() with and without arguments, a diamond resolved by C3
    '''
class A:
    def __init__(self):
        self.log = ["A"]
    def who(self):
        return "A"
class B(A):
    def __init__(self):
        super().__init__()
        self.log.append("B")
    def who(self):
        return "B" + super().who()
class C(A):
    def __init__(self):
        super(C, self).__init__()
        self.log.append("C")
    def who(self):
        return "C" + super().who()
class D(B, C):
    def __init__(self):
        super().__init__()
        self.log.append("D")
    def who(self):
        return "D" + super().who()
d = D()
print(d.log, d.who())
''',
    # __call__, __repr__, __str__, methods stored and called later
    '''
class Scale:
    def __init__(self, k):
        self.k = k
    def __call__(self, x):
        return self.k * x
    def __repr__(self):
        return f"Scale({self.k})"
s = Scale(3)
f = s
print(s(4), repr(s), [s], f(2))
''',
    # defaults, keyword arguments and closures inside methods
    '''
class P:
    def __init__(self, a, b=2, *, c=3):
        self.total = a + b + c
    def adder(self):
        def add(x):
            return x + self.total
        return add
print(P(1).total, P(1, c=10).adder()(5), [P(i).total for i in range(3)])
''',
]


@pytest.mark.parametrize("source", PLAIN)
def test_plain_classes_print_what_python_prints(source: str) -> None:
    assert ours(source) == theirs(source)


def test_python_errors_in_python_words() -> None:
    source = '''
class A:
    def f(self, x):
        return x
try:
    A().f()
except TypeError as e:
    print(e)
try:
    A().missing
except AttributeError as e:
    print(e)
try:
    A(1)
except TypeError as e:
    print(e)
'''
    assert ours(source) == theirs(source)


def test_super_outside_a_method_is_pythons_runtime_error() -> None:
    result = run_program("import torch\ndef f():\n    return super()\nf()\n")
    assert result.error is not None and "super(): no arguments" in result.error.message


@pytest.mark.parametrize("source, words, line", [
    ("class A(metaclass=M):\n    pass\n", "metaclasses", 1),
    ("def deco(c):\n    return c\n@deco\nclass A:\n    pass\n", "class decorators", 3),
    ("class A:\n    class B:\n        pass\n", "inside a class body", 2),
    ("class A:\n    pass\nprint(A().__dict__)\n", "two underscores", 3),
    ("class A:\n    def f(self):\n        return self.__class__\n", "two underscores", 3),
    ("class A:\n    def __getattribute__(self, n):\n        return 1\n", "__getattribute__",
     2),
    ("class A:\n    for i in range(3):\n        pass\n", "a class body holds", 2),
])
def test_refused_before_running_with_line(source: str, words: str, line: int) -> None:
    with pytest.raises(RefusedError) as info:
        run_program(source)
    assert words in info.value.message
    assert info.value.line == line


def test_module_class_methods_run_in_call_scopes() -> None:
    source = '''
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))
    def forward(self, x):
        return (self.w * x).sum()
net = Net()
y = net(torch.tensor([1.0, 2.0]))
'''
    result = run_program(source)
    assert result.error is None
    labels = {s.label for r in result.tape.records for s in r.scope if s.kind == "call"}
    assert labels == {"net(torch.tensor([1.0, 2.0]))"}


def test_parameter_before_module_init_is_pytorchs_error() -> None:
    source = '''
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        self.w = nn.Parameter(torch.ones(2))
        super().__init__()
try:
    Net()
except AttributeError as e:
    print(e)
'''
    assert ours(source) == theirs(source)
