"""`GradientTape.reset()` as TensorFlow does it: what the block computed before the reset is a
constant to the tape and what it watched is forgotten; outside its block it is refused.
Compared with TensorFlow itself (printed text, error)."""

from __future__ import annotations

import pytest
from chainrule.engine.trace import trace_program

from tests.dialects.framework_stdout import framework_stdout

RESET = """import tensorflow as tf
x = tf.Variable(2.0)
y = tf.Variable(3.0)
w = tf.constant(1.5)
with tf.GradientTape(persistent=True) as t:
    t.watch(w)
    y_sq = y * y
    a = x * y_sq
    t.reset()
    z = x * x + y_sq + a * w
grad = t.gradient(z, {'x': x, 'y': y, 'w': w})
print('dz/dx:', grad['x'])
print('dz/dy:', grad['y'])
print('dz/dw:', grad['w'])
print(t.gradient(z, [x, y]))
"""

OUTSIDE = """import tensorflow as tf
x = tf.Variable(2.0)
with tf.GradientTape() as t:
    y = x * x
t.reset()
"""


def test_reset_answers_as_tensorflow() -> None:
    wanted = framework_stdout(RESET, "tensorflow")
    t = trace_program(RESET)
    assert t.error is None, t.error
    assert t.stdout == wanted


def test_reset_outside_the_block_is_refused_in_tensorflow_words() -> None:
    tf = pytest.importorskip("tensorflow")
    with pytest.raises(ValueError) as raised:
        exec(OUTSIDE, {"tf": tf})
    t = trace_program(OUTSIDE)
    assert t.error is not None and str(raised.value) in t.error["message"]
    assert t.error["line"] == 5
