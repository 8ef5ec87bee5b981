"""TensorFlow's and JAX's words in the seed of a backward pass (engine/dialects/
tensorflow_words.py, jax_words.py): what each framework does at the output, checked against the
framework itself (TensorFlow's gradient of a non-scalar target equals the gradient of its sum)."""

from __future__ import annotations

import numpy as np
import pytest
from chainrule.app.gallery import EXAMPLES_DIR
from chainrule.engine.trace import trace_program


def _seeds(source: str) -> list[dict]:
    return [s for s in trace_program(source).to_dict()["steps"] if s["kind"] == "seed"]


def test_tensorflow_sums_a_non_scalar_target_and_says_so():
    source = (EXAMPLES_DIR / "15_tensorflow_tape.py").read_text()
    (seed,) = _seeds(source)
    assert seed["narration"].startswith(
        "tape.gradient starts at losses (shape (3,)): the target is not a scalar, so "
        "TensorFlow sums it without a word")
    assert "PyTorch's losses.backward() would refuse" in seed["narration"]
    tf = pytest.importorskip("tensorflow")
    w = tf.Variable([1.0, -2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        losses = (w * 2) ** 2
        total = tf.reduce_sum(losses)
    # what the words claim: the gradient of a non-scalar target is the gradient of its sum
    np.testing.assert_array_equal(tape.gradient(losses, w).numpy(),
                                  tape.gradient(total, w).numpy())
    trace = trace_program(source).to_dict()
    np.testing.assert_allclose(trace["variables"]["grad"]["data"],
                               tape.gradient(losses, w).numpy(), rtol=1e-6)


def test_tensorflow_output_gradients_and_scalar_targets():
    given = _seeds("import tensorflow as tf\nw = tf.Variable([1.0, 2.0])\n"
                   "with tf.GradientTape() as tape:\n    y = w * w\n"
                   "g = tape.gradient(y, w, output_gradients=tf.constant([1.0, 0.5]))\n")
    assert given[0]["narration"].startswith("tape.gradient starts at y with the output_gradients")
    scalar = _seeds("import tensorflow as tf\nw = tf.Variable(3.0)\n"
                    "with tf.GradientTape() as tape:\n    y = w * w\ng = tape.gradient(y, w)\n")
    assert scalar[0]["narration"].startswith("tape.gradient starts at y, one number")


def test_jax_grad_pulls_a_cotangent_back():
    seeds = _seeds((EXAMPLES_DIR / "16_jax_grad.py").read_text())
    assert len(seeds) == 2    # grad(f) and grad(f, argnums=1): one reverse pass each
    assert all(s["narration"].startswith("jax.grad(f) called f, and now pulls a cotangent back")
               for s in seeds)
    vjp = _seeds("import jax\nimport jax.numpy as jnp\ny, pull = jax.vjp(jnp.sin, "
                 "jnp.array([1.0, 2.0]))\n(g,) = pull(jnp.array([1.0, 0.5]))\n")
    assert vjp[0]["narration"].startswith("The pull-back starts at")


def test_torch_programs_keep_the_timelines_words():
    (seed,) = _seeds("import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x * x\n"
                     "y.backward()\n")
    assert seed["narration"].startswith("Backward starts at y")
