# Source: https://github.com/jax-ml/jax/blob/cec06d116c05f0d52adfceee3d3b730fdbcb0ce5/docs/notebooks/autodiff_cookbook.ipynb
# Taken: code cells 1 (imports), 4, 6
# Licence: Apache License 2.0 (jax-ml/jax LICENSE)
import jax.numpy as jnp
from jax import grad, jit, vmap
from jax import random

key = random.key(0)

grad_tanh = grad(jnp.tanh)
print(grad_tanh(2.0))

print(grad(grad(jnp.tanh))(2.0))
print(grad(grad(grad(jnp.tanh)))(2.0))
