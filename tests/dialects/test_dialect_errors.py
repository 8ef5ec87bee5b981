"""The dialects' own words where they part from PyTorch, against the frameworks themselves:
JAX's non-scalar and integer-input errors, TensorFlow's non-persistent tape, and micrograd's
printed Value after a backward pass."""

from __future__ import annotations

import os

import pytest
from chainrule.engine.trace import trace_program

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _error(source: str) -> str:
    t = trace_program(source)
    assert t.error is not None, t.stdout
    return t.error["message"]


def _oracle_error(source: str, env: dict) -> str:
    try:
        exec(source, env)   # the oracle is the real framework, by design
    except Exception as e:
        return str(e).splitlines()[0]
    raise AssertionError("the framework raised nothing")


def test_jax_grad_of_a_vector_output_is_refused_in_jax_words():
    jax = pytest.importorskip("jax")
    source = "import jax\nimport jax.numpy as jnp\njax.grad(lambda x: x * jnp.ones(3))(2.0)\n"
    wanted = _oracle_error(source, {"jax": jax})
    assert wanted.startswith("Gradient only defined for scalar-output functions")
    assert wanted in _error(source)


def test_jax_grad_of_an_integer_input_is_refused_in_jax_words():
    jax = pytest.importorskip("jax")
    source = "import jax\njax.grad(lambda x: x * 2.0)(3)\n"
    wanted = _oracle_error(source, {"jax": jax})
    assert wanted.split(",")[0] in _error(source)


def test_tensorflow_non_persistent_tape_answers_once():
    tf = pytest.importorskip("tensorflow")
    source = ("import tensorflow as tf\nx = tf.Variable(3.0)\nwith tf.GradientTape() as t:\n"
              "    y = x * x\nt.gradient(y, x)\nt.gradient(y, x)\n")
    wanted = _oracle_error(source, {"tf": tf})
    assert wanted in _error(source)


def test_tensorflow_sums_a_non_scalar_target_and_says_pytorch_would_refuse():
    tf = pytest.importorskip("tensorflow")
    w = tf.Variable([1.0, -2.0, 3.0])
    with tf.GradientTape() as tape:
        losses = (w * 2) ** 2
    wanted = tape.gradient(losses, w).numpy().tolist()
    t = trace_program("import tensorflow as tf\nw = tf.Variable([1.0, -2.0, 3.0])\n"
                      "with tf.GradientTape() as tape:\n    losses = (w * 2) ** 2\n"
                      "g = tape.gradient(losses, w)\n")
    assert t.error is None
    assert t.variables["g"]["data"] == wanted   # [8, -16, 24]: the sum's gradient
    assert any("only for scalar outputs" in n for n in t.notes)


def test_micrograd_values_print_as_micrograd_prints_them():
    engine = pytest.importorskip("micrograd.engine")
    body = "a = Value(-4.0)\nb = Value(2.0)\nc = a * b + b**3\nc.backward()\nprint(a, b, c)\n"
    env = {"Value": engine.Value}
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(body, env)
    t = trace_program("from micrograd.engine import Value\n" + body)
    assert t.error is None
    assert t.stdout == out.getvalue()
