"""`nn.Module` and `nn.Parameter` as PyTorch defines them: a module keeps its parameters and
submodules in registration order (`_parameters`, `_modules`), `parameters()` walks itself then
its children depth first without repeats, `model(x)` calls `forward`, `print(model)` is
PyTorch's text (`Module.__repr__`: `extra_repr()` then one indented `(name): child` line each).

The language reaches a module through three hooks the interpreter looks for on any object:
`language_getattr(name)`, `language_setattr(name, value)` and `program_call(interp, args,
kwargs, node)`; `language_getitem(key)` where a module has items (Sequential).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from chainrule.engine.errors import ArgumentError, NameProblem
from chainrule.engine.tensor import Tensor


class Parameter(Tensor):
    """`nn.Parameter(t)`: a leaf tensor that requires grad (unless told otherwise) and that a
    module registers when it is assigned to one of its attributes."""

    __slots__ = ()
    plain_tensor = True   # a tensor in every way but its repr (not a dialect's value class)

    def __repr__(self) -> str:
        from chainrule.engine.printing import tensor_repr
        return "Parameter containing:\n" + tensor_repr(self)


def make_parameter(data: Any = None, requires_grad: Any = True) -> Parameter:
    if data is None:
        data = Tensor(np.zeros((0,)))
    if not isinstance(data, Tensor):
        raise ArgumentError(f"Parameter(): argument 'data' must be a Tensor, not "
                            f"{type(data).__name__}", python_type="TypeError")
    if not isinstance(requires_grad, bool):
        raise ArgumentError("Parameter(): requires_grad must be True or False")
    if requires_grad and not data.is_float:
        raise ArgumentError("Only Tensors of floating point and complex dtype can require "
                            "gradients", python_type="RuntimeError")
    p = Parameter(data.data, requires_grad=requires_grad)
    p.dtype_name = data.dtype_name
    return p


def is_module(value: Any) -> bool:
    """A module in PyTorch's sense: ours, or one of the namespace's stateless nn objects
    (`nn.ReLU()`, `nn.MSELoss()`), which have no parameters."""
    from chainrule.engine.namespace import NNModule
    return isinstance(value, Module | NNModule)


def call_module(module: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a child module from engine code (Sequential): ours are Python callables, the
    namespace's stateless ones go through its argument binding."""
    if isinstance(module, Module):
        return module(*args, **kwargs)
    from chainrule.engine.namespace import call
    return call(module, args, kwargs)


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return "\n".join([lines[0], *[" " * spaces + line for line in lines[1:]]])


class Module:
    """torch.nn.Module. Subclasses set `type_name` and override `forward`/`extra_repr`."""

    type_name = "Module"
    # Methods the language may call on every module: name -> function(self, ...).
    language_methods: dict[str, Callable[..., Any]] = {}

    # None until `nn.Module.__init__` ran (a user module before its `super().__init__()`)
    _parameters: dict[str, Parameter | None] | None = None
    _modules: dict[str, Any] = {}   # read-only until init_module gives the instance its own

    def __init__(self) -> None:
        self._attrs: dict[str, Any] = {}
        self.init_module()

    def init_module(self) -> None:
        """What `nn.Module.__init__` (PyTorch's `super().__init__()`) sets up."""
        self._parameters = {}
        self._modules: dict[str, Any] = {}
        self._attrs["training"] = True

    @property
    def python_type_name(self) -> str:
        return self.type_name

    @property
    def ready(self) -> bool:
        return self._parameters is not None

    # -- what PyTorch's Module does
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError_(f'Module [{self.type_name}] is missing the required '
                                   '"forward" function')

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): {_indent(repr(child), 2)}"
                       for key, child in self._modules.items()]
        lines = extra_lines + child_lines
        text = self.type_name + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_modules(self, prefix: str = "", memo: set[int] | None = None
                      ) -> Iterator[tuple[str, Any]]:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if isinstance(child, Module):
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)
            elif child is not None and id(child) not in memo:
                memo.add(id(child))
                yield (f"{prefix}.{name}" if prefix else name), child

    def all_named_parameters(self, prefix: str = "", recurse: bool = True
                             ) -> list[tuple[str, Parameter]]:
        """PyTorch's named_parameters: each module's own, itself first, no parameter twice."""
        seen: set[int] = set()
        out: list[tuple[str, Parameter]] = []
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mod_prefix, module in modules:
            if not isinstance(module, Module):
                continue
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                out.append((f"{mod_prefix}.{name}" if mod_prefix else name, p))
        return out

    def set_training(self, mode: bool) -> None:
        for _, module in self.named_modules():
            if isinstance(module, Module):
                module._attrs["training"] = mode

    # -- the language's hooks
    def language_getattr(self, name: str) -> Any:
        found = self.own_attribute(name)
        if found is not _MISSING:
            return found
        method = MODULE_METHODS.get(name)
        if method is not None:
            return bound(self, name, method)
        raise self.no_attribute(name)

    def own_attribute(self, name: str) -> Any:
        """Instance attributes, parameters and submodules (PyTorch's __dict__ then
        __getattr__), or _MISSING."""
        if name in self._attrs:
            return self._attrs[name]
        if not self.ready:
            return _MISSING
        for table in (self._parameters, self._modules):
            if name in table:
                return table[name]
        return _MISSING

    def no_attribute(self, name: str) -> NameProblem:
        return NameProblem(f"'{self.type_name}' object has no attribute '{name}'",
                           python_type="AttributeError")

    def language_setattr(self, name: str, value: Any) -> None:
        """PyTorch's Module.__setattr__: Parameters and modules are registered."""
        if isinstance(value, Parameter):
            if not self.ready:
                raise NameProblem("cannot assign parameters before Module.__init__() call",
                                  python_type="AttributeError")
            self._attrs.pop(name, None)
            self._modules.pop(name, None)
            self._parameters[name] = value
        elif self.ready and name in self._parameters:
            if value is not None:
                raise ArgumentError(f"cannot assign '{_torch_type(value)}' as parameter "
                                    f"'{name}' (torch.nn.Parameter or None expected)",
                                    python_type="TypeError")
            self._parameters[name] = None
        elif is_module(value):
            if not self.ready:
                raise NameProblem("cannot assign module before Module.__init__() call",
                                  python_type="AttributeError")
            self._attrs.pop(name, None)
            self._parameters.pop(name, None)
            self._modules[name] = value
        elif self.ready and name in self._modules:
            if value is not None:
                raise ArgumentError(f"cannot assign '{_torch_type(value)}' as child module "
                                    f"'{name}' (torch.nn.Module or None expected)",
                                    python_type="TypeError")
            self._modules[name] = None
        else:   # a plain attribute (allowed before `super().__init__()` too, as PyTorch)
            self._attrs[name] = value

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        if interp is None:
            return self(*args, **kwargs)
        return interp_call(interp, self, node, lambda: self(*args, **kwargs))


class NotImplementedError_(ArgumentError):  # noqa: N801 - Python's exception, by its name
    def __init__(self, message: str) -> None:
        super().__init__(message, python_type="NotImplementedError")


_MISSING = object()


def interp_call(interp: Any, module: Any, node: Any, run: Callable[[], Any]) -> Any:
    """Run an engine module's forward inside a `call` scope labelled by the call's text, as a
    user function's call is (the display groups its ops)."""
    from chainrule.engine.tensor import Scope, in_scope
    label = interp.positions.text(node) if node is not None else f"{module.type_name}(…)"
    if len(label) > 60:
        label = label[:59] + "…"
    span = interp.span(node) if node is not None else None
    with in_scope(Scope("call", label, span, None, None, next(interp._scope_ids))):
        return run()


def _torch_type(value: Any) -> str:
    if isinstance(value, Tensor):
        return "torch.FloatTensor" if value.is_float else "torch.LongTensor"
    from chainrule.engine.printing import type_name
    return type_name(value)


# ---------------------------------------------------------------- the methods every module has


class BoundModuleMethod:
    """`model.parameters` before it is called."""

    python_type_name = "method"

    def __init__(self, owner: Any, name: str, impl: Callable[..., Any]) -> None:
        self.owner, self.name, self.impl = owner, name, impl

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        from chainrule.engine.namespace import bind_call
        return bind_call(self.name, self.impl, (self.owner, *args), kwargs, skip_self=True)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.program_call(None, args, kwargs, None)

    def __repr__(self) -> str:
        from chainrule.engine.printing import fake_address
        return (f"<bound method Module.{self.name} of {self.owner.type_name}() at "
                f"{fake_address(self.name)}>")


def bound(owner: Any, name: str, impl: Callable[..., Any]) -> BoundModuleMethod:
    return BoundModuleMethod(owner, name, impl)


def _generator(name: str, items: list[Any]) -> Any:
    from chainrule.engine.lang.builtins.core import LazyIterator
    it = LazyIterator("generator", iter(items))
    return it


def _parameters(self: Module, recurse: Any = True) -> Any:
    return _generator("parameters", [p for _, p in self.all_named_parameters(
        recurse=bool(recurse))])


def _named_parameters(self: Module, prefix: Any = "", recurse: Any = True,
                      remove_duplicate: Any = True) -> Any:
    return _generator("named_parameters", [(n, p) for n, p in self.all_named_parameters(
        str(prefix), bool(recurse))])


def _unique_children(self: Module) -> list[tuple[str, Any]]:
    seen: set[int] = set()
    out = []
    for name, m in self._modules.items():
        if m is not None and id(m) not in seen:
            seen.add(id(m))
            out.append((name, m))
    return out


def _children(self: Module) -> Any:
    return _generator("children", [m for _, m in _unique_children(self)])


def _named_children(self: Module) -> Any:
    return _generator("named_children", _unique_children(self))


def _modules_of(self: Module) -> Any:
    return _generator("modules", [m for _, m in self.named_modules()])


def _named_modules_of(self: Module) -> Any:
    return _generator("named_modules", list(self.named_modules()))


def _zero_grad(self: Module, set_to_none: Any = True) -> None:
    from chainrule.engine.nn.optim import clear_grad
    for _, p in self.all_named_parameters():
        clear_grad(p, bool(set_to_none))


def _train(self: Module, mode: Any = True) -> Module:
    if not isinstance(mode, bool):
        raise ArgumentError("training mode is expected to be boolean", python_type="ValueError")
    self.set_training(mode)
    return self


def _eval(self: Module) -> Module:
    self.set_training(False)
    return self


def _requires_grad_(self: Module, requires_grad: Any = True) -> Module:
    for _, p in self.all_named_parameters():
        p.requires_grad = bool(requires_grad)
    return self


def _forward(self: Module, *args: Any, **kwargs: Any) -> Any:
    return self.forward(*args, **kwargs)


def _state_dict(self: Module) -> dict:
    from chainrule.engine.functional import detach
    out = {}
    for name, p in self.all_named_parameters():
        t = detach(p)
        t.dtype_name = p.dtype_name
        out[name] = t
    return out


MODULE_METHODS: dict[str, Callable[..., Any]] = {
    "parameters": _parameters, "named_parameters": _named_parameters,
    "children": _children, "named_children": _named_children,
    "modules": _modules_of, "named_modules": _named_modules_of,
    "zero_grad": _zero_grad, "train": _train, "eval": _eval,
    "requires_grad_": _requires_grad_, "forward": _forward, "state_dict": _state_dict,
}
