"""The modules a program can import, and the usual imports a pasted snippet may leave out.

    IMPORTABLE      dotted names `import` and `from ... import` accept
    MODULE_NAMES    name -> (the import line it stands for, the module's path): snippets are
                    often pasted without their imports, so a program that uses `torch`, `nn`,
                    `F`, `np` or `math` without importing it gets that import, with a note
    import_target   the value an import binds: a module table or one of its members
"""

from __future__ import annotations

from chainrule.engine import namespace as ns
from chainrule.engine.dialects import jax, micrograd, tensorflow
from chainrule.engine.lang.builtins import MATH
from chainrule.engine.lang.builtins.random_module import RANDOM


def _dialect_modules() -> tuple[str, ...]:
    return ("math", "random", *tensorflow.MODULES, *jax.MODULES, *micrograd.MODULES)


class _Importable:
    """The dotted names `import` accepts: every module table (namespace.MODULES, which
    `namespace.register` can extend), `math` and the dialects' modules; looked up when asked,
    never copied."""

    def __contains__(self, name: object) -> bool:
        return name in ns.MODULES or name in _dialect_modules()

    def __iter__(self):
        return iter([*ns.MODULES, *_dialect_modules()])


IMPORTABLE = _Importable()
MODULE_NAMES: dict[str, tuple[str, str]] = {
    "torch": ("import torch", "torch"),
    "nn": ("import torch.nn as nn", "torch.nn"),
    "F": ("import torch.nn.functional as F", "torch.nn.functional"),
    "np": ("import numpy as np", "numpy"),
    "math": ("import math", "math"),
    "random": ("import random", "random"),
    "tf": ("import tensorflow as tf", "tensorflow"),
    "jax": ("import jax", "jax"),
    "jnp": ("import jax.numpy as jnp", "jax.numpy"),
}


def _modules() -> dict[str, ns.Module]:
    return {**ns.MODULES, "math": MATH, "random": RANDOM, **tensorflow.MODULES, **jax.MODULES,
            **micrograd.MODULES}


def dialect_of(path: str) -> str | None:
    """The dialect an import speaks (issue 15): "tensorflow", or None for PyTorch & co."""
    root = path.split(".")[0]
    return root if root in ("tensorflow", "jax", "micrograd") else None


def import_target(path: str) -> object:
    modules = _modules()
    if path in modules:
        return modules[path]
    module, _, member = path.rpartition(".")
    return modules[module].members[member]
