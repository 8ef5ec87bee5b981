"""`jnp.tensordot` as JAX computes it (an int of axes, pairs of axis lists, 0 for the outer
product), its gradient, and its shape error in JAX's words: against JAX itself."""

from __future__ import annotations

import pytest
from chainrule.engine.trace import trace_program

from tests.dialects.framework_stdout import framework_stdout

SOURCE = """import jax
import jax.numpy as jnp
a = jnp.arange(24.).reshape(2, 3, 4)
b = jnp.arange(12.).reshape(3, 4)
print(jnp.tensordot(a, b, 2))
print(jnp.tensordot(a, b, axes=([1, 2], [0, 1])))
print(jnp.tensordot(a, jnp.ones((4, 5)), 1).shape)
print(jnp.tensordot(b, b, ([0], [0])))
print(jnp.tensordot(jnp.ones(3), jnp.ones(2), 0))
print(jax.grad(lambda x: jnp.sum(jnp.tensordot(x, b, 2) ** 2))(a)[1, 2])
"""


def test_tensordot_equals_jax() -> None:
    wanted = framework_stdout(SOURCE, "jax")
    t = trace_program(SOURCE)
    assert t.error is None, t.error
    assert t.stdout == wanted


@pytest.mark.parametrize("axes", ["1", "3"])
def test_shape_errors_in_jax_words(axes: str) -> None:
    jax = pytest.importorskip("jax")
    source = ("import jax.numpy as jnp\n"
              f"jnp.tensordot(jnp.ones((2, 3)), jnp.ones((2, 3)), {axes})\n")
    with pytest.raises(TypeError) as raised:
        exec(source, {"jax": jax})
    t = trace_program(source)
    assert t.error is not None
    assert str(raised.value) in t.error["message"]
