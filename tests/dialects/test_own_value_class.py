"""The learner's own engine (issue 15): a micrograd-lecture `class Value` with operator methods
runs in chainrule as in Python (the class is read from the corpus, tests/dialects/lecture.py).
The oracle is Python itself: each program also runs under
CPython here (the test's own exec, never the engine's), and what it prints must be equal."""

from __future__ import annotations

import contextlib
import io
import math
import random

import pytest
from chainrule.engine.trace import trace_program

from tests.dialects.lecture import value_class

VALUE = value_class("20")   # the lecture's final class, as the corpus holds it

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
    # chainrule's loop labels never run a program's __repr__ (Python does not call it there)
    "loops_do_not_call_repr": '''
class Loud:
    def __repr__(self):
        print("repr ran")
        return "Loud()"
items = [Loud(), Loud()]
for it in items:
    pass
text = str(items)
print(len([x for x in items]), text)
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
