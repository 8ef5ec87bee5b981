"""`tf.keras` basics for the TensorFlow dialect: the `Dense` layer and the common losses, written
with the engine's ops (so the graph shows them and the tape differentiates them).

- `tf.keras.layers.Dense(units, activation=None, use_bias=True)`: built on its first call from
  the input's last dimension (kernel Glorot-uniform, bias zeros, named `kernel` and `bias` under
  the layer's name: `dense`, `dense_1`, … in the order the program makes them, as Keras 3);
  `kernel`, `bias`, `trainable_variables` (also `trainable_weights`, `weights`, `variables`).
  TensorFlow itself draws the kernel unseeded, so its numbers are the request seed's here.
- Losses as Keras 3 computes them: `MeanSquaredError`, `MeanAbsoluteError`,
  `BinaryCrossentropy`, `CategoricalCrossentropy`, `SparseCategoricalCrossentropy` (with
  `from_logits=` and `reduction=` "sum_over_batch_size" | "sum" | None), and the per-sample
  functions (`mse`, `mae`, `binary_crossentropy`, …). Probabilities are clipped to
  [1e-7, 1 − 1e-7] before the log, as Keras does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError, NameProblem
from chainrule.engine.tensor import Tensor, current_tape

EPSILON = 1e-7   # keras.config.epsilon()


def _t(x: Any) -> Tensor:
    from chainrule.engine.dialects.tensorflow import _as_tensor
    return _as_tensor(x)


# ---------------------------------------------------------------- layers

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": fn.relu, "sigmoid": fn.sigmoid, "tanh": fn.tanh,
    "softmax": lambda x: fn.softmax(x, -1), "linear": lambda x: x,
}


def _layer_name(base: str) -> str:
    """Keras 3's automatic names: `dense`, then `dense_1`, `dense_2`… within one program."""
    counts = current_tape().dialect_state.setdefault("keras_names", {})
    k = counts.get(base, 0)
    counts[base] = k + 1
    return base if k == 0 else f"{base}_{k}"


@dataclass(eq=False)
class Dense:
    units: int
    activation: Any = None
    use_bias: bool = True
    name: str = ""
    kernel: Tensor | None = None
    bias: Tensor | None = None
    built: bool = False

    python_type_name = "Dense"

    def language_call(self, inputs: Any, **kwargs: Any) -> Tensor:
        x = _t(inputs)
        if not self.built:
            self._build(int(np.shape(x.data)[-1]) if np.ndim(x.data) else 1)
        y = fn.matmul(x, self.kernel)
        if self.bias is not None:
            y = fn.add(y, self.bias)
        act = self.activation
        if act is None:
            return y
        if isinstance(act, str):
            return _ACTIVATIONS[act](y)
        from chainrule.engine.lang.builtins.core import call_value  # lang imports us
        return call_value(act, y)

    def _build(self, fan_in: int) -> None:
        from chainrule.engine.dialects.tensorflow import keras_variable
        limit = math.sqrt(6.0 / (fan_in + self.units))   # Glorot uniform
        draws = fn.rand(fan_in, self.units).data
        self.kernel = keras_variable(draws * 2 * limit - limit, "kernel", f"{self.name}/kernel")
        if self.use_bias:
            self.bias = keras_variable(np.zeros(self.units), "bias", f"{self.name}/bias")
        self.built = True

    def _variables(self) -> list[Tensor]:
        return [v for v in (self.kernel, self.bias) if v is not None]

    def language_getattr(self, name: str) -> Any:
        if name in ("trainable_variables", "trainable_weights", "weights", "variables"):
            return self._variables()
        if name in ("kernel", "bias") and not self.built:
            raise NameProblem(f"'Dense' object has no attribute '{name}'",
                              python_type="AttributeError")
        values = {"kernel": self.kernel, "bias": self.bias, "units": self.units,
                  "name": self.name, "built": self.built, "use_bias": self.use_bias}
        if name in values:
            return values[name]
        raise NameProblem(f"'Dense' object has no attribute '{name}'",
                          python_type="AttributeError")

    def __repr__(self) -> str:
        return f"<Dense name={self.name}, built={self.built}>"


def _dense(units: Any, activation: Any = None, use_bias: Any = True, name: Any = None,
           **ignored: Any) -> Dense:
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ArgumentError("Received an invalid value for `units`, expected a positive "
                            f"integer. Received: units={units}", python_type="ValueError")
    if isinstance(activation, str) and activation not in _ACTIVATIONS:
        raise ArgumentError(f"Could not interpret activation function identifier: "
                            f"{activation}", python_type="ValueError")
    return Dense(units, activation, bool(use_bias), name or _layer_name("dense"))


# ---------------------------------------------------------------- losses (per sample)


def _pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    return _t(y_true), _t(y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    t, p = _pair(y_true, y_pred)
    d = fn.sub(t, p)   # Keras's order: a zero difference gives the gradient -0., as there
    return fn.mean(fn.mul(d, d), -1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    t, p = _pair(y_true, y_pred)
    return fn.mean(fn.abs(fn.sub(t, p)), -1)


def _clipped_log(p: Tensor) -> Tensor:
    return fn.log(fn.clamp(p, EPSILON, 1.0 - EPSILON))


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: Any = False,
                        label_smoothing: Any = 0.0, axis: Any = -1) -> Tensor:
    t, p = _pair(y_true, y_pred)
    if from_logits:   # max(x, 0) − x·z + log(1 + exp(−|x|)), TensorFlow's stable form
        per = fn.add(fn.sub(fn.relu(p), fn.mul(p, t)),
                     fn.log1p(fn.exp(fn.neg(fn.abs(p)))))
    else:
        one = fn.sub(1.0, t)
        per = fn.neg(fn.add(fn.mul(t, _clipped_log(p)), fn.mul(one, _clipped_log(fn.sub(1.0, p)))))
    return fn.mean(per, axis)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: Any = False,
                             label_smoothing: Any = 0.0, axis: Any = -1) -> Tensor:
    t, p = _pair(y_true, y_pred)
    if from_logits:
        logp = fn.log_softmax(p, axis)
    else:
        logp = _clipped_log(fn.div(p, fn.sum(p, axis, keepdim=True)))
    return fn.neg(fn.sum(fn.mul(t, logp), axis))


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: Any = False,
                                    ignore_class: Any = None, axis: Any = -1) -> Tensor:
    t, p = _pair(y_true, y_pred)
    classes = int(np.shape(p.data)[-1])
    labels = np.asarray(t.data).astype(np.int64).reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ArgumentError(f"Received a label value of {int(labels.max())} which is outside "
                            f"the valid range of [0, {classes})", python_type="ValueError")
    one_hot = Tensor(np.eye(classes)[labels].reshape(np.shape(p.data)))
    return categorical_crossentropy(one_hot, p, from_logits, axis=axis)


_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "auto")


@dataclass(eq=False)
class Loss:
    """A Keras loss object: the per-sample function, then its reduction."""

    kind: str
    per_sample: Callable[..., Tensor]
    options: dict[str, Any]
    reduction: Any = "sum_over_batch_size"

    python_type_name = "Loss"

    def language_call(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        per = self.per_sample(y_true, y_pred, **self.options)
        if self.reduction == "sum":
            return fn.sum(per)
        if self.reduction in (None, "none"):
            return per
        return fn.mean(per)

    def __repr__(self) -> str:
        return f"<{self.kind} object>"


def _loss_class(kind: str, per_sample: Callable[..., Tensor], takes_logits: bool
                ) -> Callable[..., Loss]:
    def make(from_logits: Any = False, reduction: Any = "sum_over_batch_size", name: Any = None,
             **ignored: Any) -> Loss:
        if reduction not in _REDUCTIONS:
            raise ArgumentError(f"Invalid value for argument `reduction`. Expected one of "
                                f"{_REDUCTIONS[:3]}. Received: reduction={reduction}",
                                python_type="ValueError")
        options = {"from_logits": bool(from_logits)} if takes_logits else {}
        return Loss(kind, per_sample, options, reduction)
    return make


_PER_SAMPLE = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "MSE": mean_squared_error, "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
}
_CLASSES = {
    "MeanSquaredError": _loss_class("MeanSquaredError", mean_squared_error, False),
    "MeanAbsoluteError": _loss_class("MeanAbsoluteError", mean_absolute_error, False),
    "BinaryCrossentropy": _loss_class("BinaryCrossentropy", binary_crossentropy, True),
    "CategoricalCrossentropy": _loss_class("CategoricalCrossentropy", categorical_crossentropy,
                                           True),
    "SparseCategoricalCrossentropy": _loss_class("SparseCategoricalCrossentropy",
                                                 sparse_categorical_crossentropy, True),
}


LOSSES = ns.Module("tensorflow.keras.losses", {
    **{k: ns.Function(f"tf.keras.losses.{k}", v) for k, v in _PER_SAMPLE.items()},
    **{k: ns.Function(f"tf.keras.losses.{k}", v, "class") for k, v in _CLASSES.items()},
})
LAYERS = ns.Module("tensorflow.keras.layers",
                   {"Dense": ns.Function("tf.keras.layers.Dense", _dense, "class")})
KERAS = ns.Module("tensorflow.keras", {"losses": LOSSES, "layers": LAYERS})
