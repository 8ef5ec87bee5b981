"""The one helper that undoes broadcasting, and the shape checks that name both shapes."""

from __future__ import annotations

import numpy as np
from chainrule.engine.errors import ShapeError


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, so it has `shape`."""
    grad = np.asarray(grad)
    if not shape:   # to a scalar (a bias, a 0-d parameter): everything sums, in the same order
        return grad.sum(axis=tuple(range(grad.ndim))) if grad.ndim else grad.reshape(())
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def reduced_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> list[int]:
    """Axes of `grad_shape` that `unbroadcast` sums over (for narration)."""
    extra = len(grad_shape) - len(shape)
    axes = list(range(extra))
    axes += [extra + i for i, n in enumerate(shape) if n == 1 and grad_shape[extra + i] != 1]
    return axes


def fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    # The common cases without np.broadcast_shapes (~5 µs): equal shapes, a scalar with any.
    if a == b or not b:
        return tuple(a)
    if not a:
        return tuple(b)
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ShapeError(f"cannot broadcast shapes {fmt_shape(a)} and {fmt_shape(b)}") from None
