"""The random functions a program calls beyond randn/rand/randint, with PyTorch's numbers:
`torch.randperm`, `torch.normal` (float or tensor mean and std), `torch.randint_like`,
`generator=` on randn/rand/randint and their `*_like`, `torch.empty`, the in-place
`x.normal_()` / `x.uniform_()`, `torch.Generator` objects and `generator=` arguments, and
`torch.nn.init` (zeros_, ones_, constant_, normal_, uniform_, xavier_uniform_/normal_,
kaiming_uniform_/normal_). `register()` adds them to the language's tables.

A `generator=` argument makes that one call draw from the given generator: the run's default
generator is swapped for it while the call runs (the sampling paths take whichever is the
default), exactly the state PyTorch's call would advance.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine import grad_mode
from chainrule.engine.errors import ArgumentError
from chainrule.engine.printing import dtype_of
from chainrule.engine.random import state, torch_sampling
from chainrule.engine.random.torch_generator import CPUGenerator
from chainrule.engine.tensor import Tensor


class Generator:
    """`torch.Generator()`: a CPU generator of its own (PyTorch's default seed until seeded)."""

    python_type_name = "Generator"

    def __init__(self, device: Any = "cpu") -> None:
        if str(getattr(device, "kind", device)).split(":")[0] != "cpu":
            raise ArgumentError("chainrule computes on the CPU: torch.Generator(device="
                                f"{device!r}) is not available", python_type="RuntimeError")
        self.gen = CPUGenerator()

    def manual_seed(self, seed: Any) -> Generator:
        self.gen.manual_seed(_whole(seed, "seed"))
        return self

    def __repr__(self) -> str:
        return "<torch._C.Generator object>"


Generator.language_methods = {
    "manual_seed": Generator.manual_seed,
    "initial_seed": lambda self: self.gen.initial_seed(),
    "get_state": lambda self: _refuse_state(),
}


def _refuse_state() -> None:
    raise ArgumentError("Generator.get_state() is not part of chainrule's language")


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ArgumentError(f"{what} must be an int, got {type(value).__name__}",
                            python_type="TypeError")
    return int(value)


@contextlib.contextmanager
def drawing_from(generator: Any) -> Iterator[None]:
    """Run a sampling call on `generator` (a torch.Generator) instead of the default one."""
    if generator is None:
        yield
        return
    if not isinstance(generator, Generator):
        raise ArgumentError(f"generator must be a torch.Generator, not "
                            f"{fn.describe(generator)}", python_type="TypeError")
    rng = state.program_random()
    default, rng.torch = rng.torch, generator.gen
    try:
        yield
    finally:
        rng.torch = default


# ---------------------------------------------------------------- functions


def randperm(n: Any, *, generator: Any = None, requires_grad: bool = False) -> Tensor:
    count = _whole(n, "n")
    if count < 0:
        raise ArgumentError(f"n must be non-negative, got{count}", python_type="RuntimeError")
    fn.sized((count,), "randperm")
    with drawing_from(generator):
        data = torch_sampling.randperm(state.default_generator(), count)
    return Tensor(data)


def normal(mean: Any, std: Any = None, size: Any = None, *, generator: Any = None,
           dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """torch.normal in its four forms: (float, float, size), and with a tensor mean, std or
    both, where PyTorch draws standard normals in the broadcast shape, then multiplies by std
    and adds mean, each rounded to the tensor's precision (a float std given to a tensor mean
    scales inside the kernel instead: normal_(0, std), then + mean)."""
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if std is None:
            std = 1.0
        if size is None or not all(fn.is_number(v) for v in (mean, std)):
            raise ArgumentError("torch.normal takes a float mean and std and a size, e.g. "
                                "torch.normal(0.0, 1.0, size=(3,)), or a tensor mean or std",
                                python_type="TypeError")
        if std < 0:
            raise ArgumentError(f"normal expects std >= 0.0, but found std {_shown(std)}",
                                python_type="RuntimeError")
        shape = fn.sized(tuple(_whole(v, "size") for v in (size if isinstance(size, tuple | list)
                                                             else (size,))), "normal")
        double = _kind(dtype, "normal") == "double"
        with drawing_from(generator):
            data = torch_sampling.normal(state.default_generator(), math.prod(shape),
                                         float(mean), float(std), double=double)
        t = Tensor(data.reshape(shape), requires_grad=bool(requires_grad))
        if double:
            t.dtype_name = "float64"
        return t
    if size is not None:
        raise ArgumentError("torch.normal takes a size only with a float mean and std",
                            python_type="TypeError")
    return _normal_of_tensors(mean, 1.0 if std is None else std, generator)


def _shown(x: Any) -> str:
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


def _normal_of_tensors(mean: Any, std: Any, generator: Any) -> Tensor:
    for v in (mean, std):
        if not (isinstance(v, Tensor) or fn.is_number(v)):
            raise ArgumentError(f"torch.normal takes tensors or numbers, not {fn.describe(v)}",
                                python_type="TypeError")
    made_like = mean if isinstance(mean, Tensor) else std
    kind = dtype_of(made_like)
    if kind not in ("float32", "float64"):
        raise ArgumentError(f'"normal_kernel_cpu" not implemented for '
                            f"'{'Long' if kind == 'int64' else 'Bool'}'",
                            python_type="NotImplementedError")
    if any(isinstance(v, Tensor) and v.requires_grad for v in (mean, std)):
        raise ArgumentError("chainrule's torch.normal does not differentiate through its mean "
                            "or std yet: pass detached tensors (mean.detach())")
    double = kind == "float64"
    real = np.float64 if double else np.float32
    m = np.asarray(mean.data if isinstance(mean, Tensor) else mean, dtype=real)
    s = np.asarray(std.data if isinstance(std, Tensor) else std, dtype=real)
    if isinstance(std, Tensor):
        if (s < 0).any():
            raise ArgumentError("normal expects all elements of std >= 0.0",
                                python_type="RuntimeError")
    elif float(std) < 0:
        raise ArgumentError(f"normal expects std >= 0.0, but found std {_shown(std)}",
                            python_type="RuntimeError")
    try:
        shape = np.broadcast_shapes(m.shape, s.shape)
    except ValueError:
        raise ArgumentError(f"The size of tensor a ({m.shape[-1]}) must match the size of "
                            f"tensor b ({s.shape[-1]}) at non-singleton dimension 0",
                            python_type="RuntimeError") from None
    shape = fn.sized(tuple(shape), "normal")
    n = math.prod(shape)
    with drawing_from(generator):
        if isinstance(std, Tensor):   # normal_(0, 1), then mul_(std), add_(mean)
            z = torch_sampling.normal(state.default_generator(), n, 0.0, 1.0, double=double)
            out = z.astype(real).reshape(shape) * s
        else:                         # normal_(0, std), then add_(mean)
            out = torch_sampling.normal(state.default_generator(), n, 0.0, float(std),
                                        double=double).astype(real).reshape(shape)
    out = (out.astype(real) + m).astype(real)
    t = Tensor(np.asarray(out, dtype=np.float64).reshape(shape))
    if double:
        t.dtype_name = "float64"
    return t


def randint_like(input: Any, low: Any, high: Any = None, *,  # noqa: A002 - PyTorch's name
                 generator: Any = None, dtype: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """`torch.randint_like(input, high)` / `(input, low, high)`: randint's draws in input's
    shape and dtype (float input, float values)."""
    from chainrule.engine.creation import finish, kind_of
    if not isinstance(input, Tensor):
        raise ArgumentError(f"randint_like(): argument 'input' must be Tensor, not "
                            f"{fn.describe(input)}", python_type="TypeError")
    if high is None:
        low, high = 0, low
    with drawing_from(generator):
        t = fn.randint(low, high, tuple(input.shape))
    return finish(t, _kind(dtype, "randint_like") or kind_of(input), bool(requires_grad),
                  "randint_like")


def _kind(dtype: Any, what: str) -> str | None:
    """A `dtype=` argument as the creation functions' kind ("float", "double", "long")."""
    from chainrule.engine.signature import CONVERTERS
    return None if dtype is None else CONVERTERS["ScalarType"](dtype, "dtype", what)


def empty(*size: Any, requires_grad: bool = False) -> Tensor:
    """PyTorch leaves the memory as it was; chainrule's is zeros (the same shape and dtype)."""
    return fn.zeros(*size, requires_grad=requires_grad)


def _fill_with(t: Tensor, draw: Callable[[CPUGenerator, int, bool], np.ndarray],
               generator: Any) -> Tensor:
    """Overwrite `t` in place with values drawn in its dtype, as copy_ does (version bump,
    PyTorch's in-place rules for leaves and views)."""
    from chainrule.engine.inplace_ops import copy_
    if not isinstance(t, Tensor) or dtype_of(t) not in ("float32", "float64"):
        raise ArgumentError(f"expected a floating point tensor, got {fn.describe(t)}",
                            python_type="RuntimeError")
    with drawing_from(generator):
        values = draw(state.default_generator(), int(np.size(t.data)),
                      dtype_of(t) == "float64")
    source = Tensor(values.reshape(t.shape))
    if dtype_of(t) == "float64":
        source.dtype_name = "float64"
    return copy_(t, source)


def normal_(self: Tensor, mean: Any = 0.0, std: Any = 1.0, *, generator: Any = None) -> Tensor:
    if std < 0:
        raise ArgumentError(f"normal expects std >= 0.0, but found std {float(std)}",
                            python_type="RuntimeError")
    return _fill_with(self, lambda g, n, double: torch_sampling.normal(
        g, n, float(mean), float(std), double=double), generator)


def uniform_(self: Tensor, a: Any = 0.0, b: Any = 1.0, *, generator: Any = None) -> Tensor:
    if a > b:
        raise ArgumentError(f"uniform_ expects to return a [from, to) range, but found from={a}"
                            f" > to={b}", python_type="RuntimeError")
    return _fill_with(self, lambda g, n, double: torch_sampling.uniform(
        g, n, float(a), float(b), double=double), generator)


# ---------------------------------------------------------------- torch.nn.init


def _fans(t: Tensor) -> tuple[int, int]:
    if t.data.ndim < 2:
        raise ArgumentError("Fan in and fan out can not be computed for tensor with fewer "
                            "than 2 dimensions", python_type="ValueError")
    receptive = math.prod(t.shape[2:])
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    """PyTorch's table of recommended gains."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ArgumentError(f"Unsupported nonlinearity {nonlinearity}", python_type="ValueError")


def _no_grad(fill: Callable[[], Tensor]) -> Tensor:
    mode = grad_mode.no_grad()   # nn.init writes under no_grad, as PyTorch's does
    mode.enter()
    try:
        return fill()
    finally:
        mode.exit()


def _init_constant(t: Tensor, value: float) -> Tensor:
    from chainrule.engine.inplace_ops import fill_
    return _no_grad(lambda: fill_(t, value))


def init_uniform_(tensor: Tensor, a: Any = 0.0, b: Any = 1.0, generator: Any = None) -> Tensor:
    return _no_grad(lambda: uniform_(tensor, a, b, generator=generator))


def init_normal_(tensor: Tensor, mean: Any = 0.0, std: Any = 1.0, generator: Any = None
                 ) -> Tensor:
    return _no_grad(lambda: normal_(tensor, mean, std, generator=generator))


def xavier_uniform_(tensor: Tensor, gain: Any = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _fans(tensor)
    bound = math.sqrt(3.0) * (gain * math.sqrt(2.0 / float(fan_in + fan_out)))
    return init_uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: Any = 1.0, generator: Any = None) -> Tensor:
    fan_in, fan_out = _fans(tensor)
    return init_normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: Any, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentError(f"Mode {mode} not supported, please use one of fan_in, fan_out",
                            python_type="ValueError")
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: Any = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return init_uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: Any = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    return init_normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


INIT = {
    "zeros_": lambda tensor: _init_constant(tensor, 0.0),
    "ones_": lambda tensor: _init_constant(tensor, 1.0),
    "constant_": lambda tensor, val: _init_constant(tensor, val),
    "uniform_": init_uniform_, "normal_": init_normal_,
    "xavier_uniform_": xavier_uniform_, "xavier_normal_": xavier_normal_,
    "kaiming_uniform_": kaiming_uniform_, "kaiming_normal_": kaiming_normal_,
    "calculate_gain": calculate_gain,
}


def _with_generator(function: Any) -> Any:
    """A table function (randn, rand, randint) that also takes `generator=`."""
    from chainrule.engine.objects import with_keyword

    def drawn(generator: Any, call: Callable[[], Any]) -> Any:
        with drawing_from(generator):
            return call()
    return with_keyword(function, "generator", drawn)


def register() -> None:
    from chainrule.engine import namespace as ns
    from chainrule.engine.objects import Function
    torch = ns.module_of("torch")
    for name in ("randn", "rand", "randint", "randn_like", "rand_like"):
        if name in torch.members:
            torch.members[name] = _with_generator(torch.members[name])
    ns.register("torch", "Generator", Function("Generator", Generator, "class"))
    for name, impl in (("randperm", randperm), ("normal", normal), ("empty", empty),
                       ("randint_like", randint_like)):
        ns.register("torch", name, Function(name, impl))
    ns.register_method("normal_", Function("normal_", normal_, "method"))
    ns.register_method("uniform_", Function("uniform_", uniform_, "method"))
    for name, impl in INIT.items():
        ns.register("torch.nn.init", name, Function(name, impl))
