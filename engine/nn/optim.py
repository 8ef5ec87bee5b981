"""torch.optim: SGD, Adam, AdamW, RMSprop, Adagrad with PyTorch's update formulas (its
single-tensor code path, the one CPU tensors take), `zero_grad(set_to_none=)` and `step()`.

An optimizer holds PyTorch's `param_groups` (plain dicts the program may read and change:
`opt.param_groups[0]['lr'] = 0.01`) and per-parameter `state`. `step()` changes each parameter
in place, as PyTorch's does under no_grad (the version counter goes up, so a graph that saved
the old value refuses a later backward), and tells the display what it did with one
`optimizer_step` event: for each parameter its value before, its gradient, its value after and
the optimizer's state (momentum buffer, Adam's moments), so the page can show `w ← w − lr·∇w`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from chainrule.engine.errors import ArgumentError
from chainrule.engine.nn.module import BoundModuleMethod
from chainrule.engine.tensor import Tensor, current_tape


def clear_grad(p: Tensor, set_to_none: bool) -> None:
    """PyTorch's zero_grad for one parameter."""
    from chainrule.engine.inplace import store
    if p.grad is None:
        return
    if set_to_none:
        p.grad = None
        return
    g = p.grad
    g.record = None
    g.requires_grad = False
    store(g, np.zeros_like(np.asarray(g.data)) if g.data.ndim else np.float64(0.0), bump=True)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        if isinstance(value, Tensor) and value.numel() == 1:
            return float(value.item())
        raise ArgumentError(f"{what} must be a number, got {type(value).__name__}",
                            python_type="TypeError")
    return float(value)


def _valid(name: str, value: float, low: float, low_open: bool = False,
           message: str | None = None) -> None:
    if not (value > low if low_open else value >= low):
        raise ArgumentError(message or f"Invalid {name}: {_shown(value)}",
                            python_type="ValueError")


def _shown(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(value)


class Optimizer:
    type_name = "Optimizer"
    defaults_spec: dict[str, Any] = {}

    def __init__(self, params: Any, **options: Any) -> None:
        from chainrule.engine.lang.builtins.core import materialise
        if isinstance(params, Tensor):
            raise ArgumentError("params argument given to the optimizer should be an iterable "
                                "of Tensors or dicts, but got torch.FloatTensor",
                                python_type="TypeError")
        items = materialise(params)
        if not items:
            raise ArgumentError("optimizer got an empty parameter list",
                                python_type="ValueError")
        self.defaults = {k: options[k] for k in self.defaults_spec}
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        self.param_groups: list[dict] = []
        self.state: dict[int, dict[str, Any]] = {}
        seen: set[int] = set()
        for group in groups:
            if not isinstance(group, dict):
                raise ArgumentError("optimizer parameters need to be all tensors or all dicts",
                                    python_type="TypeError")
            params_of = group.get("params")
            plist = [params_of] if isinstance(params_of, Tensor) else materialise(params_of)
            for p in plist:
                if not isinstance(p, Tensor):
                    raise ArgumentError("optimizer can only optimize Tensors, but one of the "
                                        f"params is {type(p).__name__}",
                                        python_type="TypeError")
                if not p.is_leaf:
                    raise ArgumentError("can't optimize a non-leaf Tensor",
                                        python_type="ValueError")
                if id(p) in seen:
                    raise ArgumentError("some parameters appear in more than one parameter "
                                        "group", python_type="ValueError")
                seen.add(id(p))
            full = {"params": plist}
            for key, default in self.defaults.items():
                full[key] = group.get(key, default)
            for key in group:
                if key not in full:
                    full[key] = group[key]
            self.validate(full)
            self.param_groups.append(full)

    def validate(self, group: dict) -> None:
        _valid("learning rate", _number(group["lr"], "lr"), 0.0)

    @property
    def python_type_name(self) -> str:
        return self.type_name

    def __repr__(self) -> str:
        lines = [f"{self.type_name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {_repr_value(group[key])}")
        lines.append(")")
        return "\n".join(lines)

    # -- the language's hooks
    def language_getattr(self, name: str) -> Any:
        if name == "param_groups":
            return self.param_groups
        if name == "defaults":
            return self.defaults
        if name == "state":
            return {p: dict(self.state[id(p)]) for g in self.param_groups for p in g["params"]
                    if id(p) in self.state}
        method = _METHODS.get(name)
        if method is not None:
            return BoundModuleMethod(self, name, method)
        from chainrule.engine.errors import NameProblem
        raise NameProblem(f"'{self.type_name}' object has no attribute '{name}'",
                          python_type="AttributeError")

    # -- PyTorch's methods
    def zero_grad(self, set_to_none: Any = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                clear_grad(p, bool(set_to_none))

    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            from chainrule.engine.lang.builtins.core import call_value
            loss = call_value(closure)   # with grad on, as PyTorch's enable_grad()
        from chainrule.engine import grad_mode
        saved = grad_mode.is_grad_enabled()
        grad_mode.set_grad_enabled_now(False)
        changes: list[dict] = []
        try:
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state.setdefault(id(p), {})
                    prior = _state_arrays(state)   # the update step shows b, m, v before too
                    before = np.array(p.data, dtype=np.float64)
                    grad = np.asarray(p.grad.data, dtype=np.float64)
                    if group.get("maximize", False):
                        grad = -grad
                    after = self.update(before, grad, state, group)
                    _write(p, after)
                    changes.append({"param": p, "before": before, "grad": grad,
                                    "after": np.array(after, dtype=np.float64),
                                    "lr": group["lr"], "state": _state_arrays(state),
                                    "prior": prior, "group": {k: v for k, v in group.items()
                                                              if k != "params"}})
        finally:
            grad_mode.set_grad_enabled_now(saved)
        tape = current_tape()
        tape.emit({"type": "optimizer_step", "optimizer": self.type_name, "span": tape.span,
                   "params": changes})
        return loss

    def update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> np.ndarray:
        raise NotImplementedError


def _repr_value(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_repr_value(v) for v in value) + ")"
    return repr(value)


def _state_arrays(state: dict) -> dict:
    return {k: (np.array(v) if isinstance(v, np.ndarray | np.floating) else v)
            for k, v in state.items()}


def _write(p: Tensor, after: np.ndarray) -> None:
    from chainrule.engine.inplace import store
    data = np.asarray(after, dtype=np.float64)
    store(p, data[()] if data.ndim == 0 else data, bump=True)


# ---------------------------------------------------------------- the optimizers


class SGD(Optimizer):
    type_name = "SGD"
    defaults_spec = {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0,
                     "nesterov": False, "maximize": False, "foreach": None,
                     "differentiable": False, "fused": None}

    def __init__(self, params: Any, lr: Any = 1e-3, momentum: Any = 0, dampening: Any = 0,
                 weight_decay: Any = 0, nesterov: Any = False, *, maximize: Any = False,
                 foreach: Any = None, differentiable: Any = False, fused: Any = None) -> None:
        if nesterov and (_number(momentum, "momentum") <= 0 or
                         _number(dampening, "dampening") != 0):
            raise ArgumentError("Nesterov momentum requires a momentum and zero dampening",
                                python_type="ValueError")
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                         foreach=foreach, differentiable=differentiable, fused=fused)

    def validate(self, group: dict) -> None:
        super().validate(group)
        _valid("momentum value", _number(group["momentum"], "momentum"), 0.0)
        _valid("weight_decay value", _number(group["weight_decay"], "weight_decay"), 0.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> np.ndarray:
        wd, momentum = float(group["weight_decay"]), float(group["momentum"])
        if wd != 0:
            g = g + wd * p
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(g, dtype=np.float64)
            else:
                buf = buf * momentum + (1 - float(group["dampening"])) * g
            state["momentum_buffer"] = buf
            g = g + momentum * buf if group["nesterov"] else buf
        return p - float(group["lr"]) * g


def _betas(group: dict) -> tuple[float, float]:
    betas = group["betas"]
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ArgumentError("betas must be a pair of numbers", python_type="TypeError")
    b1, b2 = _number(betas[0], "betas[0]"), _number(betas[1], "betas[1]")
    if not 0.0 <= b1 < 1.0:
        raise ArgumentError(f"Invalid beta parameter at index 0: {b1}", python_type="ValueError")
    if not 0.0 <= b2 < 1.0:
        raise ArgumentError(f"Invalid beta parameter at index 1: {b2}", python_type="ValueError")
    return b1, b2


class Adam(Optimizer):
    type_name = "Adam"
    decoupled = False   # AdamW: weight decay applied to the parameter, not the gradient
    default_decay = 0.0
    defaults_spec = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                     "amsgrad": False, "maximize": False, "foreach": None,
                     "capturable": False, "differentiable": False, "fused": None}

    def __init__(self, params: Any, lr: Any = 1e-3, betas: Any = (0.9, 0.999),
                 eps: Any = 1e-8, weight_decay: Any = None, amsgrad: Any = False, *,
                 foreach: Any = None, maximize: Any = False, capturable: Any = False,
                 differentiable: Any = False, fused: Any = None,
                 decoupled_weight_decay: Any = False) -> None:
        if weight_decay is None:
            weight_decay = 1e-2 if self.decoupled else 0
        super().__init__(params, lr=lr, betas=tuple(betas) if isinstance(betas, list)
                         else betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, foreach=foreach, capturable=capturable,
                         differentiable=differentiable, fused=fused)

    def validate(self, group: dict) -> None:
        super().validate(group)
        _valid("epsilon value", _number(group["eps"], "eps"), 0.0)
        _betas(group)
        _valid("weight_decay value", _number(group["weight_decay"], "weight_decay"), 0.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> np.ndarray:
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        b1, b2 = _betas(group)
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1.0
        step = state["step"]
        if wd != 0:
            if self.decoupled:
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
        m = state["exp_avg"] = state["exp_avg"] + (g - state["exp_avg"]) * (1 - b1)
        v = state["exp_avg_sq"] = state["exp_avg_sq"] * b2 + (1 - b2) * g * g
        bias1 = 1 - b1 ** step
        bias2_sqrt = math.sqrt(1 - b2 ** step)
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        denom = np.sqrt(v) / bias2_sqrt + eps
        return p - (lr / bias1) * (m / denom)


class AdamW(Adam):
    type_name = "AdamW"
    decoupled = True


class RMSprop(Optimizer):
    type_name = "RMSprop"
    defaults_spec = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0,
                     "momentum": 0, "centered": False, "capturable": False,
                     "foreach": None, "maximize": False, "differentiable": False}

    def __init__(self, params: Any, lr: Any = 1e-2, alpha: Any = 0.99, eps: Any = 1e-8,
                 weight_decay: Any = 0, momentum: Any = 0, centered: Any = False,
                 capturable: Any = False, foreach: Any = None, maximize: Any = False,
                 differentiable: Any = False) -> None:
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered, capturable=capturable,
                         foreach=foreach, maximize=maximize, differentiable=differentiable)

    def validate(self, group: dict) -> None:
        super().validate(group)
        _valid("epsilon value", _number(group["eps"], "eps"), 0.0)
        _valid("momentum value", _number(group["momentum"], "momentum"), 0.0)
        _valid("weight_decay value", _number(group["weight_decay"], "weight_decay"), 0.0)
        _valid("alpha value", _number(group["alpha"], "alpha"), 0.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> np.ndarray:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        wd, momentum = float(group["weight_decay"]), float(group["momentum"])
        if not state:
            state["step"] = 0.0
            state["square_avg"] = np.zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1.0
        if wd != 0:
            g = g + wd * p
        sq = state["square_avg"] = state["square_avg"] * alpha + (1 - alpha) * g * g
        if group["centered"]:
            ga = state["grad_avg"] = state["grad_avg"] + (g - state["grad_avg"]) * (1 - alpha)
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg = avg + eps
        if momentum > 0:
            buf = state["momentum_buffer"] = state["momentum_buffer"] * momentum + g / avg
            return p - lr * buf
        return p - lr * (g / avg)


class Adagrad(Optimizer):
    type_name = "Adagrad"
    defaults_spec = {"lr": 1e-2, "lr_decay": 0, "weight_decay": 0,
                     "initial_accumulator_value": 0, "eps": 1e-10, "foreach": None,
                     "maximize": False, "differentiable": False, "fused": None}

    def __init__(self, params: Any, lr: Any = 1e-2, lr_decay: Any = 0, weight_decay: Any = 0,
                 initial_accumulator_value: Any = 0, eps: Any = 1e-10, foreach: Any = None,
                 *, maximize: Any = False, differentiable: Any = False,
                 fused: Any = None) -> None:
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps,
                         foreach=foreach, maximize=maximize, differentiable=differentiable,
                         fused=fused)

    def validate(self, group: dict) -> None:
        super().validate(group)
        _valid("lr_decay value", _number(group["lr_decay"], "lr_decay"), 0.0)
        _valid("weight_decay value", _number(group["weight_decay"], "weight_decay"), 0.0)
        _valid("initial_accumulator_value value",
               _number(group["initial_accumulator_value"], "initial_accumulator_value"), 0.0)
        _valid("epsilon value", _number(group["eps"], "eps"), 0.0)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> np.ndarray:
        lr, eps = float(group["lr"]), float(group["eps"])
        wd, decay = float(group["weight_decay"]), float(group["lr_decay"])
        if not state:
            state["step"] = 0.0
            state["sum"] = np.full_like(p, float(group["initial_accumulator_value"]))
        state["step"] += 1.0
        if wd != 0:
            g = g + wd * p
        clr = lr / (1 + (state["step"] - 1) * decay)
        s = state["sum"] = state["sum"] + g * g
        return p - clr * (g / (np.sqrt(s) + eps))


def _step(self: Optimizer, closure: Any = None) -> Any:
    return self.step(closure)


def _zero(self: Optimizer, set_to_none: Any = True) -> None:
    self.zero_grad(set_to_none)


_METHODS: dict[str, Callable[..., Any]] = {"step": _step, "zero_grad": _zero}

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.type_name: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad)}
