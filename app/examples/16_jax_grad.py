import jax
import jax.numpy as jnp

def f(x, y):
    return x ** 2 + jnp.sin(x * y)

df_dx = jax.grad(f)(2.0, 3.0)              # differentiate a function, not a tape
df_dy = jax.grad(f, argnums=1)(2.0, 3.0)
print(df_dx, df_dy)
