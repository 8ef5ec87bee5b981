"""What engine/nn adds to the language's name tables: `nn.Module`, `nn.Linear`,
`nn.Sequential`, `nn.ModuleList`, `nn.Flatten`, `nn.Identity`, `nn.Parameter`, the `torch.optim`
module and `torch.autograd.Function`. `register` is the one call namespace.py makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule.engine.nn import layers, optim
from chainrule.engine.nn.function import FunctionBase
from chainrule.engine.nn.module import Module, Parameter, make_parameter


class EngineClass:
    """A class of the engine the program can call (make an instance, with PyTorch's argument
    names) and subclass (`class Net(nn.Module)`). `python_class` is what instances are."""

    python_type_name = "type"

    def __init__(self, qualname: str, python_class: type, make: Callable[..., Any] | None = None
                 ) -> None:
        self.qualname = qualname
        self.name = qualname.rsplit(".", 1)[-1]
        self.python_class = python_class
        self.make = make or python_class

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        from chainrule.engine.namespace import bind_call
        return bind_call(self.name, self.make, args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.program_call(None, args, kwargs, None)

    def __repr__(self) -> str:
        return f"<class '{self.qualname}'>"


def _plain_module() -> Module:
    return Module()


MODULE = EngineClass("torch.nn.modules.module.Module", Module, _plain_module)
FUNCTION = EngineClass("torch.autograd.function.Function", FunctionBase)

NN_CLASSES: dict[str, Any] = {
    "Module": MODULE,
    "Linear": EngineClass("torch.nn.modules.linear.Linear", layers.Linear),
    "Identity": EngineClass("torch.nn.modules.linear.Identity", layers.Identity),
    "Sequential": EngineClass("torch.nn.modules.container.Sequential", layers.Sequential),
    "ModuleList": EngineClass("torch.nn.modules.container.ModuleList", layers.ModuleList),
    "Flatten": EngineClass("torch.nn.modules.flatten.Flatten", layers.Flatten),
    "Parameter": EngineClass("torch.nn.parameter.Parameter", Parameter, make_parameter),
}

OPTIM_CLASSES: dict[str, Any] = {
    name: EngineClass(f"torch.optim.{name.lower()}.{name}", cls)
    for name, cls in optim.OPTIMIZERS.items()}


class Device:
    """`torch.device("cpu")`: chainrule computes on the CPU only."""

    python_type_name = "device"

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"device(type='{self.kind}')"


def _device(type: Any, index: Any = None) -> Device:  # noqa: A002 - PyTorch's name
    from chainrule.engine.errors import ArgumentError
    text = str(type)
    if not text.startswith("cpu") and text.split(":")[0] not in ("cuda", "mps", "xpu"):
        raise ArgumentError(f"Expected one of cpu, cuda, mps, xpu device type at start of "
                            f"device string: {text}", python_type="RuntimeError")
    return Device(text.split(":")[0])


def _set_default_device(device: Any) -> None:
    from chainrule.engine.errors import ArgumentError
    kind = device.kind if isinstance(device, Device) else str(device)
    if kind.split(":")[0] != "cpu":
        raise ArgumentError(f"chainrule computes on the CPU; set_default_device({kind!r}) "
                            "is not available", python_type="RuntimeError")


def _not_available() -> bool:
    return False


def _on_device(function: Any) -> Any:
    """A creation function that also takes PyTorch's `device=` (the CPU only)."""
    from chainrule.engine.objects import with_keyword

    def on_cpu(device: Any, call: Callable[[], Any]) -> Any:
        if device is not None:
            _set_default_device(device)   # refuses anything but the CPU
        return call()
    return with_keyword(function, "device", on_cpu)


_CREATION = ("tensor", "zeros", "ones", "full", "linspace", "arange", "randn", "rand",
             "randint", "eye", "zeros_like", "ones_like", "full_like", "randn_like",
             "rand_like", "empty")


def register(module_type: type, torch: Any, modules: dict[str, Any]) -> None:
    """Add nn's classes to torch.nn, torch.optim to torch, Function to torch.autograd, and
    the device functions tutorials start with (`torch.cuda.is_available()`: False)."""
    from chainrule.engine.namespace import Function
    torch.members["device"] = Function("device", _device, "class")
    torch.members["set_default_device"] = Function("set_default_device", _set_default_device)
    torch.members["cuda"] = module_type("torch.cuda", {
        "is_available": Function("is_available", _not_available)})
    for name in _CREATION:
        if isinstance(torch.members.get(name), Function):
            torch.members[name] = _on_device(torch.members[name])
    nn = torch.members["nn"]
    nn.members.update(NN_CLASSES)
    optim_module = module_type("torch.optim", dict(OPTIM_CLASSES))
    torch.members["optim"] = optim_module
    torch.members["autograd"].members["Function"] = FUNCTION
    modules["torch.optim"] = optim_module
