"""Run dialect snippets in their real framework (micrograd, TensorFlow, JAX): the oracle's outcome.

    python3 -m tests.dialects.oracle_runner < paths.json  > outcomes.json

One subprocess per dialect (importing TensorFlow takes seconds). Each snippet runs with fresh
globals holding the imports chainrule assumes for its dialect (pasted snippets often leave
them out): stdout, the error (type and message) and every top-level value of the framework's
kinds, as plain data:

    {"shape": [..], "values": nested list, "grad": number | nested list | None, "has_grad": bool}

micrograd: every top-level object with numeric `data` and `grad` (micrograd's Value or the
learner's own class) is shape [] with its grad. TensorFlow and JAX: every top-level tensor,
variable or array (their gradients are ordinary values: has_grad is False). `draw_dot(root)`
(micrograd's notebook helper, written with graphviz) is the one stand-in: chainrule reads it as
"show this graph", so here it is a function that returns None.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import sys
import warnings
from pathlib import Path

import numpy as np

HEADER_LINES = 3


def _plain(x):
    """Nested lists of floats, non-finite numbers as strings (JSON has no nan)."""
    arr = np.asarray(x, dtype=np.float64)
    def conv(v):
        v = float(v)
        return v if math.isfinite(v) else str(v)
    if arr.ndim == 0:
        return conv(arr)
    return np.vectorize(conv, otypes=[object])(arr).tolist()


def _micrograd_values(env: dict) -> dict:
    out = {}
    for name, v in env.items():
        if name.startswith("_") or isinstance(v, type):
            continue
        data, grad = getattr(v, "data", None), getattr(v, "grad", None)
        numeric = (int, float)
        if isinstance(data, numeric) and not isinstance(data, bool) and isinstance(grad, numeric):
            out[name] = {"shape": [], "values": _plain(data), "grad": _plain(grad),
                         "has_grad": True, "requires_grad": True}
    return out


def _array_values(env: dict, kinds: tuple) -> dict:
    out = {}
    for name, v in env.items():
        if name.startswith("_") or not isinstance(v, kinds):
            continue
        try:
            arr = np.asarray(v)
        except Exception:   # e.g. a jax key array: not a number array
            continue
        if arr.dtype.kind not in "biuf":
            continue
        out[name] = {"shape": list(arr.shape), "values": _plain(arr), "grad": None,
                     "has_grad": False, "requires_grad": False}
    return out


def _draw_dot(root, *args, **kwargs):
    return None


def prelude(dialect: str) -> tuple[dict, callable]:
    """Fresh globals with the dialect's assumed imports, and the reader of its values."""
    env: dict = {"__name__": "__main__", "math": math, "np": np, "random": random}
    if dialect == "micrograd":
        env["draw_dot"] = _draw_dot
        return env, _micrograd_values
    if dialect == "tensorflow":
        import tensorflow as tf

        env["tf"] = tf
        return env, lambda e: _array_values(e, (tf.Tensor, tf.Variable))
    if dialect == "jax":
        import jax
        import jax.numpy as jnp

        env.update(jax=jax, jnp=jnp)
        return env, lambda e: _array_values(e, (jax.Array,))
    raise ValueError(dialect)


def run_one(path: str, dialect: str) -> dict:
    env, values = prelude(dialect)
    source = Path(path).read_text(encoding="utf-8")
    random.seed(0)
    np.random.seed(0)
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(compile(source, path, "exec"), env)  # the oracle is real Python, by design
        except Exception as e:
            error = {"type": type(e).__name__, "message": str(e)}
    return {"stdout": out.getvalue(), "error": error, "variables": values(env)}


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    request = json.load(sys.stdin)   # {"dialect": ..., "paths": [...]}
    result = {p: run_one(p, request["dialect"]) for p in request["paths"]}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
