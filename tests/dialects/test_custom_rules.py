"""The learner's own derivative rules, against the frameworks themselves (printed text):
`jax.custom_jvp` (grad through the rule, with vector inputs and a non-differentiated argument;
`jax.jvp` calling it), `jax.custom_vjp` (residuals, a rule that is not the true derivative),
and `@tf.custom_gradient` (two inputs, `tf.clip_by_norm`). The graph holds one op per call,
whose backward step runs the learner's code."""

from __future__ import annotations

import pytest
from chainrule.engine.trace import trace_program

from tests.dialects.framework_stdout import framework_stdout

JAX = """import jax
import jax.numpy as jnp

@jax.custom_jvp
def scaled(x, k):
    return jnp.sin(x) * k

@scaled.defjvp
def scaled_jvp(primals, tangents):
    x, k = primals
    x_dot, k_dot = tangents
    return scaled(x, k), 2.0 * jnp.cos(x) * x_dot * k + jnp.sin(x) * k_dot

x = jnp.array([0.0, 0.5])
print(jax.grad(lambda v: jnp.sum(scaled(v, 3.0)))(x))
print(jax.grad(lambda k: jnp.sum(scaled(x, k)))(2.0))
print(jax.jvp(scaled, (jnp.array(0.0), jnp.array(2.0)), (jnp.array(1.0), jnp.array(0.5))))

@jax.custom_vjp
def clipped(x):
    return x * x

def clipped_fwd(x):
    return clipped(x), (x,)

def clipped_bwd(res, g):
    (x,) = res
    return (jnp.minimum(2.0 * x * g, 1.0),)

clipped.defvjp(clipped_fwd, clipped_bwd)
print(jax.grad(lambda v: jnp.sum(clipped(v)))(jnp.array([0.1, 0.4, 3.0])))
print(clipped(3.0))
"""

TF = """import tensorflow as tf

@tf.custom_gradient
def product(a, b):
    def grad(dy):
        return dy * b * 10.0, tf.clip_by_norm(dy * a, 0.5)
    return a * b, grad

a = tf.Variable([1.0, 2.0])
b = tf.Variable([3.0, -4.0])
with tf.GradientTape() as tape:
    y = tf.reduce_sum(product(a, b))
ga, gb = tape.gradient(y, [a, b])
print(y)
print(ga)
print(gb)
print(tf.clip_by_norm(tf.constant([[3.0, 4.0], [0.0, 0.0]]), 1.0, axes=[1]))
"""


@pytest.mark.parametrize("source,module", [(JAX, "jax"), (TF, "tensorflow")],
                         ids=["jax", "tensorflow"])
def test_custom_rules_answer_as_the_framework(source: str, module: str) -> None:
    wanted = framework_stdout(source, module)
    t = trace_program(source)
    assert t.error is None, t.error
    assert t.stdout == wanted
    # the learner's rule is an op of its own on the graph
    ops = {n.get("grad_fn") for n in t.to_dict()["nodes"] if n["kind"] == "tensor"}
    assert {"scaledBackward", "clippedBackward"} <= ops or "productBackward" in ops


def test_a_custom_vjp_function_without_rules_is_refused_in_jax_words() -> None:
    jax = pytest.importorskip("jax")
    source = ("import jax\n@jax.custom_vjp\ndef f(x):\n    return x * x\n"
              "jax.grad(f)(2.0)\n")
    with pytest.raises(AttributeError) as raised:
        exec(source, {"jax": jax})
    t = trace_program(source)
    assert t.error is not None and str(raised.value) in t.error["message"]
