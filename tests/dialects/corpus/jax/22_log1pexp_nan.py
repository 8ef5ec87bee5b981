# Source: https://github.com/jax-ml/jax/blob/cec06d116c05f0d52adfceee3d3b730fdbcb0ce5/docs/notebooks/Custom_derivative_rules_for_Python_code.ipynb
# Taken: code cells 12, 14, 16 (consecutive code cells of one section), jax.numpy as jnp assumed (cell 2 imports it)
# Licence: Apache License 2.0 (jax-ml/jax LICENSE)
def log1pexp(x):
  return jnp.log(1. + jnp.exp(x))

log1pexp(3.)

from jax import jit, grad, vmap

print(jit(log1pexp)(3.))
print(jit(grad(log1pexp))(3.))
print(vmap(jit(grad(log1pexp)))(jnp.arange(3.)))

print(grad(log1pexp)(100.))
