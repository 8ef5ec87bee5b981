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

    def language_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        from chainrule.engine.namespace import bind_call
        return bind_call(self.name, self.make, args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.language_call(None, args, kwargs, None)

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


def register(module_type: type, torch: Any, modules: dict[str, Any]) -> None:
    """Add nn's classes to torch.nn, torch.optim to torch, Function to torch.autograd."""
    nn = torch.members["nn"]
    nn.members.update(NN_CLASSES)
    optim_module = module_type("torch.optim", dict(OPTIM_CLASSES))
    torch.members["optim"] = optim_module
    torch.members["autograd"].members["Function"] = FUNCTION
    modules["torch.optim"] = optim_module
