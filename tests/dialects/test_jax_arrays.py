"""JAX arrays print as JAX prints them, checked against JAX itself: `weak_type=True` on the
arrays JAX types weakly (made from Python numbers), and not on the others."""

from __future__ import annotations

import contextlib
import io

import pytest
from chainrule.engine.trace import trace_program

# Values chosen so float32 text is exact in both (no last-digit rounding to tolerate).
WEAK_TYPE_LINES = [
    "jnp.array(2.)", "jnp.array(2)", "jnp.array([1., 2.])", "jnp.array(2., dtype=jnp.float32)",
    "jnp.sin(0.)", "jnp.sin(jnp.ones(()))", "jnp.add(1., 2)", "jnp.sum(3.)", "jnp.ones(2)",
    "jnp.stack([1., 2.])", "jnp.dot(jnp.array(2.), 3.)", "jnp.maximum(jnp.ones(()), 2.)",
    "jax.grad(jnp.sin)(0.)", "jax.grad(jnp.sin)(jnp.zeros(()))",
    "jax.grad(jnp.sin)(jnp.array(0.))", "jax.vjp(jnp.sin, 0.)[1](1.)",
    "jax.jacrev(jnp.sin)(0.)",
]


def _jax_stdout(source: str) -> str:
    jax = pytest.importorskip("jax")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, {"jax": jax})   # the oracle is the real framework, by design
    return out.getvalue()


def test_weak_type_shows_where_jax_shows_it():
    source = "import jax\nimport jax.numpy as jnp\n" + "".join(
        f"print(repr({line}))\n" for line in WEAK_TYPE_LINES)
    wanted = _jax_stdout(source)
    assert "weak_type=True" in wanted and "dtype=float32)" in wanted   # both kinds are checked
    t = trace_program(source)
    assert t.error is None
    for line, want, got in zip(WEAK_TYPE_LINES, wanted.splitlines(), t.stdout.splitlines(),
                               strict=True):
        assert got == want, line
