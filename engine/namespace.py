"""Everything a snippet can reach by name: the `torch`, `torch.nn`, `torch.nn.functional`,
`torch.autograd` and `numpy` modules, tensor methods and attributes, and the bare math functions
of torch-less snippets (`sin(x)`).

The interpreter never calls `getattr` with a user's string: it looks names up in these tables.
They are built from rows, never written here by hand:
- engine/torch_api.py: every torch / F / Tensor-method / nn name, its PyTorch signature (which
  checks and converts the arguments) and the function behind it;
- engine/autograd_api.py: grad modes, `torch.autograd`, hooks, in-place methods;
- engine/numpy_api.py: the `numpy` module.

**Registration point** for other parts (nn modules, optimizers, random functions, `nn.init`):

    register("torch.nn", "Linear", Function("Linear", make_linear, "class"))
    register("torch.nn.init", "zeros_", Function("zeros_", zeros_))   # a new module path
    register_method("uniform_", Function("uniform_", uniform_, "method"))

`register` adds (or replaces) a member of an importable module, creating the module (linked
into its parent: `torch.nn.init` becomes `torch.nn`'s `init`) when the path is new; the
program can then import it. A plain Python function is bound through its own signature (use
PyTorch's parameter names); `Function(..., signature=parse("..."))` gets the torch tables'
checks. Register at import time of your module, and import your module from
`_register_parts()` below so that every program sees the same tables.
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable
from typing import Any

from chainrule.engine import autograd_api, numpy_api
from chainrule.engine import functional as fn
from chainrule.engine.errors import ArgumentError, NameProblem
from chainrule.engine.grad_fn import ATTRIBUTES as GRAD_FN_ATTRIBUTES
from chainrule.engine.grad_fn import GradFn
from chainrule.engine.grad_fn import attribute as grad_fn_attribute
from chainrule.engine.objects import (
    CALLABLE,
    DTYPES,
    BoundMethod,
    DType,
    Function,
    Module,
    NNModule,
    Size,
)
from chainrule.engine.printing import dtype_of as printing_dtype
from chainrule.engine.signature import Signature
from chainrule.engine.tensor import Tensor

__all__ = ["CALLABLE", "BoundMethod", "DType", "Function", "Module", "NNModule", "Size",
           "Signature", "register", "register_method"]


# ---------------------------------------------------------------- calling


_signatures: dict[Callable[..., Any], inspect.Signature] = {}
# Per impl: (fewest, most) positional arguments that bind with no keyword arguments, or None
# when the signature has required keyword-only parameters (then binding decides).
_positional: dict[Callable[..., Any], tuple[int, float] | None] = {}


def _signature(impl: Callable[..., Any]) -> inspect.Signature:
    sig = _signatures.get(impl)
    if sig is None:
        sig = _signatures[impl] = inspect.signature(impl)
    return sig


def _positional_range(impl: Callable[..., Any]) -> tuple[int, float] | None:
    if impl in _positional:
        return _positional[impl]
    fewest, most = 0, 0.0
    found: tuple[int, float] | None = None
    for p in _signature(impl).parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            most += 1
            if p.default is p.empty:
                fewest = int(most)
        elif p.kind is p.VAR_POSITIONAL:
            most = float("inf")
        elif p.kind is p.KEYWORD_ONLY and p.default is p.empty:
            break
    else:
        found = (fewest, most)
    _positional[impl] = found
    return found


def bind_call(name: str, impl: Callable[..., Any], args: tuple, kwargs: dict,
              skip_self: bool = False) -> Any:
    """Call a plain Python `impl` after checking the arguments against its own signature, in
    learner's words (functions without a torch-table signature: builtins, autograd, parts
    registered from elsewhere)."""
    if not kwargs:
        # Positional arguments only, as many as the signature takes: binding would succeed and
        # hand the same arguments on (inspect's bind costs ~5 µs a call, `loss.backward()`).
        allowed = _positional_range(impl)
        if allowed is not None and allowed[0] <= len(args) <= allowed[1]:
            return impl(*args)
    sig = _signature(impl)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise ArgumentError(_bind_message(name, sig, args, kwargs, str(e), skip_self)) from None
    return impl(*bound.args, **bound.kwargs)


def _bind_message(name: str, sig: inspect.Signature, args: tuple, kwargs: dict, why: str,
                  skip_self: bool) -> str:
    params = list(sig.parameters.values())
    if skip_self:
        params = params[1:]
    positional = [p for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    given = len(args) - (1 if skip_self else 0)
    if "unexpected keyword" in why:
        names = {p.name for p in params}
        bad = next((k for k in kwargs if k not in names), "?")
        msg = f"{name}() got an unexpected keyword argument '{bad}'"
        close = difflib.get_close_matches(bad, sorted(names), n=1, cutoff=0.6)
        return msg + (f"; did you mean '{close[0]}'?" if close else "")
    if "too many positional" in why:
        most = len(positional)
        return (f"{name}() takes {'no' if most == 0 else f'at most {most}'} positional "
                f"argument{'' if most == 1 else 's'} but {given} "
                f"{'was' if given == 1 else 'were'} given")
    if "missing a required argument" in why:
        missing = why.rsplit(":", 1)[-1].strip().strip("'")
        return f"{name}() is missing its argument '{missing}'"
    if "multiple values" in why:
        dup = why.rsplit(" ", 1)[-1].strip().strip("'")
        return f"{name}() got multiple values for argument '{dup}'"
    return f"{name}(): {why}"


def call(value: Any, args: tuple, kwargs: dict) -> Any:
    """Call a table function, a bound tensor method or an nn module object."""
    if isinstance(value, Function):
        if value.signature is not None:
            return value.signature.call(value.impl.__wrapped__, args, kwargs)
        return bind_call(value.name, value.impl, args, kwargs)
    if isinstance(value, BoundMethod):
        f = value.function
        if f.signature is not None:
            return f.signature.call(f.impl.__wrapped__, (value.self_value, *args), kwargs,
                                    skip_self=True)
        return bind_call(value.name, f.impl, (value.self_value, *args), kwargs,
                         skip_self=True)
    if isinstance(value, NNModule):
        return bind_call(value.cls, value.forward, args, kwargs)
    raise ArgumentError(f"{describe(value)} cannot be called like a function")


# ---------------------------------------------------------------- the tables


def _functions(kind: str = "function", **impls: Callable[..., Any]) -> dict[str, Function]:
    return {name: Function(name, impl, kind) for name, impl in impls.items()}


def _row_functions(where: str) -> dict[str, Function]:
    from chainrule.engine.torch_api import ROWS
    kind = {"Tensor": "method", "nn": "class"}.get(where, "function")
    return {r.name: _signed(r.name, r.impl, kind, r.signature)
            for r in ROWS if where in r.where}


def _signed(name: str, impl: Callable[..., Any], kind: str, sig: Signature) -> Function:
    """A table function. Its `impl`, called directly, still goes through the signature, and
    its Python signature (for readers such as the fuzzer) is the PyTorch one; `call` reaches
    the unchecked function as `impl.__wrapped__`."""
    def checked(*args: Any, **kwargs: Any) -> Any:
        return sig.call(impl, args, kwargs)
    checked.__signature__ = sig.python_signature()  # type: ignore[attr-defined]
    checked.__name__ = name
    checked.__wrapped__ = impl  # type: ignore[attr-defined]
    return Function(name, checked, kind, sig)


FUNCTIONAL = Module("torch.nn.functional", _row_functions("F"))

NN = Module("torch.nn", {**_row_functions("nn"), "functional": FUNCTIONAL})

TORCH = Module("torch", {
    **_row_functions("torch"),
    **_functions(**autograd_api.TORCH),   # torch.sin_(x) & co. among them
    **DTYPES,
    "pi": math.pi, "e": math.e,
    "nn": NN,
    "autograd": Module("torch.autograd", {
        **_functions(**autograd_api.AUTOGRAD),
        "functional": Module("torch.autograd.functional",
                             _functions(**autograd_api.AUTOGRAD_FUNCTIONAL)),
    }),
})

NUMPY = Module("numpy", dict(numpy_api.MEMBERS))

MODULES: dict[str, Module] = {m.path: m for m in (
    TORCH, NN, FUNCTIONAL, NUMPY, TORCH.members["autograd"],
    TORCH.members["autograd"].members["functional"])}


def _register_nn() -> None:
    """nn.Module, nn.Linear, torch.optim, autograd.Function... (engine/nn/tables.py)."""
    from chainrule.engine.nn.tables import register
    register(Module, TORCH, MODULES)


_register_nn()


def _register_random() -> None:
    """randperm, normal, Generator, normal_/uniform_, torch.nn.init (engine/random)."""
    from chainrule.engine.random.program_api import register
    register()

# autograd's win where both have a name (detach, backward, the in-place methods)
TENSOR_METHODS: dict[str, Function] = {
    **_row_functions("Tensor"), **_functions("method", **autograd_api.TENSOR_METHODS)}

TENSOR_ATTRIBUTES: dict[str, Callable[[Tensor], Any]] = {
    "grad": lambda t: t.grad,
    "shape": lambda t: Size(t.shape),
    "T": fn.T,
    "requires_grad": lambda t: t.requires_grad,
    "is_leaf": lambda t: t.is_leaf,
    "grad_fn": lambda t: None if t.grad_fn is None else GradFn(t.grad_fn),
    "data": fn.detach,
    "dtype": lambda t: DTYPES[printing_dtype(t)],
    "ndim": lambda t: int(t.data.ndim),
    **autograd_api.TENSOR_ATTRIBUTES,
}

# Bare functions of torch-less snippets, e.g. `f = (x * y + sin(x)) ** 2` (when called).
BUILTINS: dict[str, Function] = {
    name: TORCH.members[name] for name in (
        "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "abs", "pow")}

_GRADFN_METHODS = _functions("method", name=lambda self: self.qualified_name())
_SIZE_METHODS = _functions("method", numel=lambda self: int(math.prod(self)))


# ---------------------------------------------------------------- registration


def register(module_path: str, name: str, value: Any) -> None:
    """Add or replace `name` in the module `module_path` (see the module docstring)."""
    module_of(module_path).members[name] = value


def register_method(name: str, function: Function) -> None:
    """Add or replace a tensor method (`x.name(...)`)."""
    TENSOR_METHODS[name] = function


def module_of(path: str) -> Module:
    """The module table at `path`, created (and linked into its parent) if new."""
    found = MODULES.get(path)
    if found is not None:
        return found
    parent_path, _, leaf = path.rpartition(".")
    module = Module(path)
    if parent_path:
        module_of(parent_path).members[leaf] = module
    MODULES[path] = module
    return module


# ---------------------------------------------------------------- attribute lookup


def suggest(name: str, options: Any) -> str:
    close = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def member_names(obj: Any) -> list[str]:
    if isinstance(obj, Module):
        return list(obj.members)
    if isinstance(obj, Tensor):
        return [*TENSOR_ATTRIBUTES, *TENSOR_METHODS]
    if isinstance(obj, GradFn):
        return [*_GRADFN_METHODS, *GRAD_FN_ATTRIBUTES]
    if isinstance(obj, Size):
        return list(_SIZE_METHODS)
    return []


def get_attribute(obj: Any, name: str) -> Any:
    """`obj.name` through the tables only; unknown names raise NameProblem with a suggestion."""
    if isinstance(obj, Module):
        if name in obj.members:
            return obj.members[name]
        raise NameProblem(f"{obj.path}.{name} is not part of chainrule's language"
                          + suggest(name, obj.members))
    if isinstance(obj, Tensor):
        if name in TENSOR_ATTRIBUTES:
            return TENSOR_ATTRIBUTES[name](obj)
        if name in TENSOR_METHODS:
            return BoundMethod(TENSOR_METHODS[name], obj)
        raise NameProblem(f"tensors have no attribute or method '{name}' in chainrule"
                          + suggest(name, member_names(obj)))
    if isinstance(obj, GradFn):
        found = grad_fn_attribute(obj, name)
        if found is not None:
            return found
    table = _GRADFN_METHODS if isinstance(obj, GradFn) else (
        _SIZE_METHODS if isinstance(obj, Size) else {})
    if name in table:
        return BoundMethod(table[name], obj)
    raise NameProblem(f"{_kind_name(obj)} has no attribute '{name}' in chainrule"
                      + suggest(name, table))


def _kind_name(obj: Any) -> str:
    if isinstance(obj, GradFn):
        return "grad_fn"
    if isinstance(obj, Size):
        return "torch.Size"
    return describe(obj)


def describe(obj: Any) -> str:
    """A value in a learner's words, for messages ("a tensor of shape (2,)", "torch.float32")."""
    if isinstance(obj, NNModule):
        return f"the module {obj!r}"
    if isinstance(obj, GradFn | Size | DType | Module):
        return repr(obj)
    if isinstance(obj, Function | BoundMethod):
        return f"the function {obj.name}()"
    return fn.describe(obj)


_register_random()
