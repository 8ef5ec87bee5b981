"""`tf.keras` basics against Keras itself: the Dense layer (names, shapes, the forward pass with
the same weights, gradients through the tape) and the losses (each class and per-sample
function, from_logits, reductions): values and gradients at float32 precision."""

from __future__ import annotations

import os

import numpy as np
import pytest
from chainrule.engine.trace import trace_program

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

LOSSES = [
    ("MeanSquaredError()", "yt"), ("MeanSquaredError(reduction='sum')", "yt"),
    ("MeanSquaredError(reduction=None)", "yt"), ("MeanAbsoluteError()", "yt"),
    ("BinaryCrossentropy()", "bt"), ("BinaryCrossentropy(from_logits=True)", "bt"),
    ("CategoricalCrossentropy()", "ct"), ("CategoricalCrossentropy(from_logits=True)", "ct"),
    ("SparseCategoricalCrossentropy()", "st"),
    ("SparseCategoricalCrossentropy(from_logits=True)", "st"),
    ("mse", "yt"), ("mae", "yt"), ("binary_crossentropy", "bt"),
    ("categorical_crossentropy", "ct"), ("sparse_categorical_crossentropy", "st"),
]

SETUP = """import tensorflow as tf
yt = tf.constant([[0.25, 0.5], [0.75, 0.125]])
bt = tf.constant([[1., 0.], [0., 1.]])
ct = tf.constant([[0., 1.], [1., 0.]])
st = tf.constant([1, 0])
p = tf.Variable([[0.9, 0.2], [0.3, 0.6]])
with tf.GradientTape() as tape:
    loss = tf.keras.losses.{loss}({target}, p)
grad = tape.gradient(loss, p)
"""


@pytest.mark.parametrize("loss,target", LOSSES, ids=[name for name, _ in LOSSES])
def test_losses_and_their_gradients_equal_keras(loss: str, target: str) -> None:
    tf = pytest.importorskip("tensorflow")
    source = SETUP.format(loss=loss, target=target)
    env: dict = {"tf": tf}
    exec(source, env)   # the oracle is the real framework, by design
    t = trace_program(source)
    assert t.error is None, t.error
    for name, key, want in (("loss", "data", env["loss"].numpy()),
                            ("grad", "data", env["grad"].numpy())):
        got = np.asarray(t.variables[name][key], dtype=np.float64).reshape(np.shape(want))
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


DENSE = """import tensorflow as tf
layer = tf.keras.layers.Dense(2, activation='tanh')
other = tf.keras.layers.Dense(3, use_bias=False)
x = tf.constant([[1., 2., 3.], [-1., 0.5, 0.]])
with tf.GradientTape() as tape:
    y = layer(x)
    loss = tf.reduce_sum(y ** 2)
gk, gb = tape.gradient(loss, layer.trainable_variables)
k = layer.kernel
print(layer.name, other.name, [v.name for v in layer.trainable_variables], gk.shape, gb.shape)
print([v.name for v in other.trainable_variables], other.built, layer.bias)
"""


def test_dense_names_shapes_and_gradients_equal_keras() -> None:
    tf = pytest.importorskip("tensorflow")
    env: dict = {"tf": tf}
    exec(DENSE, env)   # the oracle: Keras's own layer (its kernel drawn unseeded)
    t = trace_program(DENSE)
    assert t.error is None, t.error
    lines = t.stdout.splitlines()
    assert lines[0] == f"{env['layer'].name} {env['other'].name} " \
        f"{[v.name for v in env['layer'].trainable_variables]} {env['gk'].shape} {env['gb'].shape}"
    assert lines[1:] == f"{[v.name for v in env['other'].trainable_variables]} False " \
        f"{env['layer'].bias}".splitlines()
    # our kernel through Keras's own layer gives our output's gradients
    env["layer"].kernel.assign(np.asarray(t.variables["k"]["data"], dtype=np.float32))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(env["layer"](env["x"]) ** 2)
    gk, gb = tape.gradient(loss, env["layer"].trainable_variables)
    np.testing.assert_allclose(np.asarray(t.variables["gk"]["data"]), gk.numpy(), rtol=1e-5,
                               atol=1e-5)   # float32 kernel there, float64 here
    np.testing.assert_allclose(np.asarray(t.variables["gb"]["data"]), gb.numpy(), rtol=1e-5)
