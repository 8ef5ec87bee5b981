"""The objects a snippet holds besides tensors and plain Python values: `torch.Size`, dtypes,
imported modules, table functions (free, or bound to a tensor as methods) and nn modules.
`engine/namespace.py` fills the modules; `engine/lang` calls and prints these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainrule.engine.printing import size_repr
from chainrule.engine.signature import Signature


class Size(tuple):
    """`x.shape` / `x.size()`: a tuple that prints as `torch.Size([2, 3])`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return size_repr(self)

    __str__ = __repr__


@dataclass(frozen=True)
class DType:
    """`torch.float32`, `torch.long`…: only what `dtype=` needs. `kind` is "float" or "long"."""

    name: str
    kind: str

    def __repr__(self) -> str:
        return f"torch.{self.name}"


DTYPES = {
    "float32": DType("float32", "float"), "float": DType("float32", "float"),
    "float64": DType("float64", "float"), "double": DType("float64", "float"),
    "int64": DType("int64", "long"), "long": DType("int64", "long"),
    "int32": DType("int32", "long"), "int": DType("int32", "long"),
    "bool": DType("bool", "bool"),
}


@dataclass(eq=False)
class Module:
    """A Python module the snippet imported: a name table, nothing else."""

    path: str
    members: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<module '{self.path}'>"


@dataclass(frozen=True, eq=False)
class Function:
    """A function from one of the tables. With a `signature` (the torch tables) a call is
    checked and converted by it (engine/signature.py; `impl.__wrapped__` is the function it
    then calls); without one, `impl`'s own Python signature, which uses PyTorch's parameter
    names, is bound (`namespace.bind_call`)."""

    name: str
    impl: Callable[..., Any]
    kind: str = "function"   # function | method | class
    signature: Signature | None = None

    def __repr__(self) -> str:
        if self.kind == "class":
            return f"<class '{self.name}'>"
        return f"<built-in function {self.name}>"


@dataclass(frozen=True, eq=False)
class BoundMethod:
    """`x.sum` before it is called."""

    function: Function
    self_value: Any

    @property
    def name(self) -> str:
        return self.function.name

    def __repr__(self) -> str:
        return f"<built-in method {self.function.name} of Tensor object>"


@dataclass(eq=False)
class NNModule:
    """`nn.CrossEntropyLoss(reduction='sum')`, `nn.ReLU()`…: an object called later."""

    cls: str
    forward: Callable[..., Any]
    shown: str = ""   # the arguments PyTorch shows in its repr, e.g. "dim=1"

    def __repr__(self) -> str:
        return f"{self.cls}({self.shown})"


CALLABLE = (Function, BoundMethod, NNModule)


def with_keyword(function: Function, name: str,
                 around: Callable[[Any, Callable[[], Any]], Any]) -> Function:
    """`function` (a signed table function) taking one more keyword-only argument `name`
    (default None), e.g. `device=` or `generator=`: a call checks its arguments against the
    grown signature, then runs `around(value, call)`, where `call()` runs the function with
    the other arguments. A function without a signature, or one that has `name`, is kept."""
    import dataclasses

    from chainrule.engine.signature import Param
    sig = function.signature
    if sig is None or name in sig.names():
        return function
    inner = getattr(function.impl, "__wrapped__", function.impl)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        value = kwargs.pop(name, None)
        return around(value, lambda: inner(*args, **kwargs))
    params = [p for p in sig.params if not p.keywords]
    params.append(Param(name, "Any", None, keyword_only=True))
    params += [p for p in sig.params if p.keywords]
    signed = dataclasses.replace(sig, params=tuple(params))

    def checked(*args: Any, **kwargs: Any) -> Any:
        return signed.call(wrapped, args, kwargs)
    checked.__signature__ = signed.python_signature()  # type: ignore[attr-defined]
    checked.__name__ = function.name
    checked.__wrapped__ = wrapped  # type: ignore[attr-defined]
    return Function(function.name, checked, function.kind, signed)
