# Forward mode: jax.jacfwd pushes a tangent (ṫ) forward from each input number through every
# op, beside the values. One input number here, so one pass gives the whole Jacobian column;
# reverse mode (jax.jacrev, jax.grad) would need one pass per output number: three.
import jax
import jax.numpy as jnp

def position(t):
    v = jnp.array([1.0, 2.0, 3.0])
    return jnp.sin(t) * v + t ** 2

print(jax.jacfwd(position)(0.5))   # cos(0.5)·[1, 2, 3] + 2·0.5
