"""`jax.jacfwd` is forward mode: one pass per input number, each a column of the Jacobian, and
the page opens in forward mode on those passes. Values against JAX itself; inside another
transformation (jacfwd of jacrev) it still answers as JAX does."""

from __future__ import annotations

from chainrule.engine.trace import trace_program

from tests.dialects.framework_stdout import framework_stdout

SOURCE = """import jax
import jax.numpy as jnp
def f(x, y):
    return jnp.sin(x) * y + x ** 2
print(jax.jacfwd(f)(jnp.array([1.0, 2.0]), 3.0))
print(jax.jacfwd(f, argnums=(0, 1))(jnp.array([1.0, 2.0]), 3.0))
print(jax.jacfwd(jax.jacrev(lambda x: jnp.sum(x ** 3)))(jnp.array([1.0, 2.0])))
print(jax.jacfwd(lambda d: d['w'] * 2.0)({'w': jnp.array([1.0, 2.0])}))
print(repr(jax.jacfwd(jnp.sin)(0.5)))
"""

SHOWN = """import jax
import jax.numpy as jnp
def f(x):
    return jnp.sin(x) * x
J = jax.jacfwd(f)(jnp.array([0.5, 1.0, 2.0]))
"""


def test_jacfwd_equals_jax() -> None:
    wanted = framework_stdout(SOURCE, "jax")
    t = trace_program(SOURCE)
    assert t.error is None, t.error
    assert t.stdout == wanted


def test_jacfwd_opens_in_forward_mode_one_pass_per_input_number() -> None:
    fm = trace_program(SHOWN).to_dict()["forward_mode"]
    assert fm["available"] and fm["how"] == "jacfwd" and fm["start_forward"]
    assert len(fm["passes"]) == 3          # x has three numbers: three columns
    narration = " ".join(s.get("narration", "") for s in fm["steps"])
    assert "pass 1 of 3" in narration and "pass 3 of 3" in narration
