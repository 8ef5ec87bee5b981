"""NumPy functions take TensorFlow tensors as arrays (float32, watched or not) and the tape does
not see NumPy's work: printed values and the `None` gradient equal TensorFlow's."""

from __future__ import annotations

from chainrule.engine.trace import trace_program

from tests.dialects.framework_stdout import framework_stdout

SOURCE = """import numpy as np
import tensorflow as tf
x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
with tf.GradientTape() as tape:
    x2 = x ** 2
    m = np.mean(x2, axis=0)
    y = tf.reduce_sum(m) + tf.reduce_sum(x)
print(m)
print(np.sum(x2), np.exp(tf.constant([0.5, 1.0])), np.max(x))
print(tape.gradient(y, x))
"""


def test_numpy_reads_tensorflow_tensors_as_tensorflow_hands_them_over() -> None:
    wanted = framework_stdout(SOURCE, "tensorflow")
    t = trace_program(SOURCE)
    assert t.error is None, t.error
    assert t.stdout == wanted
