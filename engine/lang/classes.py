"""Classes in the language: `class Net(nn.Module)`, `class MyReLU(torch.autograd.Function)` and
plain classes, with methods, `self.attr`, `super()`, `@staticmethod` and grad-mode decorators.

A class is a `UserClass`: its own namespace (methods as UserFunctions named `Net.forward`, as
Python's __qualname__, and class attributes) and its method resolution order (Python's C3).
Its bases are other user classes, `object`, or engine classes (engine/nn/tables.EngineClass:
`nn.Module`, `nn.Linear`..., `torch.autograd.Function`). Instances are
- for a module subclass, an engine Module (engine/nn/module.py) of a Python class made for
  the engine base (`UserModule` + `nn.Linear`...), so parameters register as PyTorch's do;
- otherwise an `Instance` holding its attributes.
No metaclasses, no class decorators, no class keywords; dunder attributes stay unreadable
(check.py), except `super().__init__` and `Base.__init__(self)`. Method names may be dunders
(`__init__`, `__call__`, `__repr__`...). Every object here talks to the interpreter through
the `language_getattr` / `language_setattr` / `program_call` hooks.
"""

from __future__ import annotations

import ast
from typing import Any

from chainrule.engine import namespace as ns
from chainrule.engine import own_value
from chainrule.engine.errors import ArgumentError, NameProblem, RefusedError, RuntimeProblem
from chainrule.engine.grad_mode import GradMode
from chainrule.engine.nn.function import FunctionBase, apply_function
from chainrule.engine.nn.module import Module
from chainrule.engine.nn.tables import EngineClass
from chainrule.engine.printing import fake_address, program_repr_allowed, type_name
from chainrule.engine.tensor import at_span, current_tape

# Names of Python's class machinery the language has (check.py knows them, the interpreter
# resolves them through CLASS_BUILTINS below), and the micrograd lecture's draw_dot(root),
# which a program with its own `class Value` calls to show the graph.
CLASS_NAMES = ("super", "staticmethod", "classmethod", "draw_dot")
# Method names that may be dunders: the ones Python calls for you, which a class may define.
DUNDER_METHODS = frozenset({
    "__init__", "__call__", "__repr__", "__str__", "__len__", "__getitem__", "__setitem__",
    "__contains__", "__iter__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
    "__hash__", "__bool__", "__neg__", "__pos__", "__abs__", "__add__", "__radd__", "__sub__",
    "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__", "__floordiv__",
    "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__",
    "__rmatmul__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__float__", "__int__",
    "__index__",
})
_DECORATORS = ("staticmethod", "classmethod")


# ---------------------------------------------------------------- before running (check.py)


def check_class(walker: Any, node: ast.ClassDef, top: bool) -> None:
    """The static whitelist of a class statement; `walker` is check.py's _Walker."""
    if node.keywords:
        raise walker.refuse(node, "metaclasses and class keywords are not part of chainrule's "
                            "language")
    if node.decorator_list:
        raise walker.refuse(node.decorator_list[0], "class decorators are not part of "
                            "chainrule's language")
    walker.name_ok(node, node.name)
    walker.bound(node.name, node.lineno, "defined", top)
    for base in node.bases:
        walker.expr(base)
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef):
            _check_method(walker, stmt)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.Pass | ast.Expr):
            walker.statement(stmt, False)
        elif isinstance(stmt, ast.ClassDef):
            raise walker.refuse(stmt, "classes inside a class body are not part of "
                                "chainrule's language")
        else:
            raise walker.refuse(stmt, "a class body holds methods (def) and attribute "
                                "assignments in chainrule's language")


def _check_method(walker: Any, node: ast.FunctionDef) -> None:
    if node.name.startswith("__") and node.name not in DUNDER_METHODS:
        raise walker.refuse(node, f"the method name {node.name} is not part of chainrule's "
                            "language (dunder methods it has: __init__, __call__, __repr__, "
                            "the operators...)")
    if not node.name.startswith("__"):
        walker.name_ok(node, node.name)
    for deco in node.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in _DECORATORS:
            continue
        walker.decorator(deco)
    walker.arguments(node.args)
    if node.returns is not None:
        walker.expr(node.returns)
    from chainrule.engine.lang.functions import function_scope
    saved, walker.loops = walker.loops, 0
    walker.functions += 1
    walker.enclosing.append(function_scope(node).local)
    try:
        walker.block(node.body, top=False)
    finally:
        walker.enclosing.pop()
        walker.functions -= 1
        walker.loops = saved


def allowed_dunder(node: ast.Attribute) -> bool:
    """`super().__init__(...)`, `super(Net, self).__init__(...)`, `nn.Module.__init__(self)`:
    the one dunder attribute a program reads."""
    if node.attr != "__init__":
        return False
    value = node.value
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id == "super") or isinstance(value, ast.Name | ast.Attribute)


# ---------------------------------------------------------------- the objects


class StaticMethod:
    python_type_name = "staticmethod"

    def __init__(self, function: Any) -> None:
        self.function = function

    def __repr__(self) -> str:
        return f"<staticmethod({self.function!r})>"


class ClassMethod(StaticMethod):
    python_type_name = "classmethod"


class BoundUserMethod:
    """`obj.method` before the call: the program's function with `obj` as its first argument."""

    python_type_name = "method"

    def __init__(self, function: Any, self_value: Any) -> None:
        self.function, self.self_value = function, self_value

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        f = self.function
        token = own_value.enter_call()
        try:
            return f.runner.call_user(f, (self.self_value, *args), kwargs, node)
        finally:
            own_value.leave_call(token)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.program_call(None, args, kwargs, None)

    def __repr__(self) -> str:
        return f"<bound method {self.function.name} of {_short_repr(self.self_value)}>"


def _short_repr(value: Any) -> str:
    if isinstance(value, Instance) and value.user_class.find("__repr__") is None:
        return repr(value)
    return f"<{type_name(value)} object>"


class UserClass:
    """A class the program defined."""

    python_type_name = "type"

    def __init__(self, name: str, bases: tuple[Any, ...], namespace: dict[str, Any]) -> None:
        self.name = name
        self.bases = bases
        self.namespace = namespace
        self.mro = _c3(self)
        self.engine_base: EngineClass | None = next(
            (b for b in self.mro if isinstance(b, EngineClass)), None)
        base = self.engine_base.python_class if self.engine_base is not None else None
        self.is_module = isinstance(base, type) and issubclass(base, Module)
        self.is_function = base is FunctionBase
        self.instance_class = (_module_class(base) if self.is_module else None)

    def find(self, name: str) -> tuple[UserClass, Any] | None:
        """The class attribute `name` through the MRO's user classes, with its owner."""
        for cls in self.mro:
            if isinstance(cls, UserClass) and name in cls.namespace:
                return cls, cls.namespace[name]
        return None

    def language_getattr(self, name: str) -> Any:
        found = self.find(name)
        if found is not None:
            value = found[1]
            if isinstance(value, ClassMethod):
                return BoundUserMethod(value.function, self)
            return value.function if isinstance(value, StaticMethod) else value
        if name == "apply" and self.is_function:
            return FunctionApply(self)
        if name == "__init__" and self.engine_base is not None:
            return EngineInit(self.engine_base, None)
        raise NameProblem(f"type object '{self.name}' has no attribute '{name}'",
                          python_type="AttributeError")

    def language_setattr(self, name: str, value: Any) -> None:
        self.namespace[name] = value

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        if self.is_module:
            obj = self.instance_class.__new__(self.instance_class)
            obj._attrs = {}
            obj.user_class = self
        else:
            obj = Instance(self)
        init = self.find("__init__")
        if init is not None:
            f = init[1]
            token = own_value.enter_call()
            try:
                result = f.runner.call_user(f, (obj, *args), kwargs, node)
                if not self.is_module:
                    own_value.born(obj)   # a learner's Value node (engine/own_value.py)
            finally:
                own_value.leave_call(token)
            if result is not None:
                raise ArgumentError(f"__init__() should return None, not "
                                    f"'{type_name(result)}'", python_type="TypeError")
        elif self.engine_base is not None:
            EngineInit(self.engine_base, obj).program_call(interp, args, kwargs, node)
        elif args or kwargs:
            raise ArgumentError(f"{self.name}() takes no arguments", python_type="TypeError")
        return obj

    def __repr__(self) -> str:
        return f"<class '__main__.{self.name}'>"


def _c3(cls: UserClass) -> list[Any]:
    """Python's method resolution order (C3 linearisation) over user and engine classes."""
    def mro_of(base: Any) -> list[Any]:
        return base.mro if isinstance(base, UserClass) else [base]
    sequences = [mro_of(b) for b in cls.bases] + [list(cls.bases)]
    out: list[Any] = [cls]
    sequences = [list(s) for s in sequences if s]
    while sequences:
        for seq in sequences:
            head = seq[0]
            if not any(head in s[1:] for s in sequences):
                break
        else:
            names = ", ".join(_base_name(s[0]) for s in sequences)
            raise ArgumentError("Cannot create a consistent method resolution order (MRO) for "
                                f"bases {names}", python_type="TypeError")
        out.append(head)
        sequences = [s[1:] if s[0] is head else s for s in sequences]
        sequences = [s for s in sequences if s]
    return out


def _base_name(base: Any) -> str:
    return base.name


class Instance:
    """An object of a plain user class."""

    def __init__(self, user_class: UserClass) -> None:
        self.user_class = user_class
        self.attrs: dict[str, Any] = {}
        # Hashed by creation order within the run, not by address: a set of the program's
        # objects (the lecture's `_prev`, `visited`) then iterates the same way in every run,
        # so the same program gives the same trace (design.md; caches and permalinks rely on
        # it). Python promises no order for such a set, so this is one of its orders.
        tape = current_tape()
        self.hash_order = tape.instances_made + 1
        tape.instances_made = self.hash_order

    def __hash__(self) -> int:
        return self.hash_order

    @property
    def python_type_name(self) -> str:
        return self.user_class.name

    def language_getattr(self, name: str) -> Any:
        if name in self.attrs:
            value = self.attrs[name]
            if name == "_backward" and own_value.is_value_node(self):
                return OwnBackward(value, self)
            return value
        found = self.user_class.find(name)
        if found is not None:
            return _bind(found[1], self)
        raise NameProblem(f"'{self.user_class.name}' object has no attribute '{name}'",
                          python_type="AttributeError")

    def language_setattr(self, name: str, value: Any) -> None:
        if name == "grad":   # the learner's Value: seeds and closures' writes are recorded
            old = self.attrs.get("grad")
            self.attrs[name] = value
            own_value.grad_assigned(self, old)
            return
        self.attrs[name] = value

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        found = self.user_class.find("__call__")
        if found is None:
            raise ArgumentError(f"'{self.user_class.name}' object is not callable",
                                python_type="TypeError")
        token = own_value.enter_call()
        try:
            return _bind(found[1], self).program_call(interp, args, kwargs, node)
        finally:
            own_value.leave_call(token)

    # Python calls these for `a + b`, `-a` (engine/lang/operators.py asks the operand's type)
    language_binary = staticmethod(lambda sym, a, b: operator_method(sym, a, b))
    language_unary = staticmethod(lambda sym, a: unary_method(sym, a))

    def __repr__(self) -> str:
        if not program_repr_allowed():   # a label chainrule writes (engine/printing.py)
            return f"<{self.user_class.name} object>"
        return _user_text(self, "__repr__") or \
            f"<__main__.{self.user_class.name} object at {fake_address(id(self) % 65536)}>"

    def __str__(self) -> str:
        if not program_repr_allowed():
            return repr(self)
        return _user_text(self, "__str__") or repr(self)


# The operator methods of `a <sym> b`, as Python looks them up: a's method, then b's reflected one.
OPERATOR_METHODS = {"+": ("__add__", "__radd__"), "-": ("__sub__", "__rsub__"),
                    "*": ("__mul__", "__rmul__"), "/": ("__truediv__", "__rtruediv__"),
                    "//": ("__floordiv__", "__rfloordiv__"), "%": ("__mod__", "__rmod__"),
                    "**": ("__pow__", "__rpow__"), "@": ("__matmul__", "__rmatmul__")}
UNARY_METHODS = {"-": "__neg__", "+": "__pos__"}


def _own_method(obj: Any, name: str) -> Any:
    if not isinstance(obj, Instance):
        return None
    found = obj.user_class.find(name)
    return None if found is None else _bind(found[1], obj)


def operator_method(sym: str, a: Any, b: Any) -> Any:
    """`a <sym> b` with a user object on either side: `a.__add__(b)`, else `b.__radd__(a)`
    (Python tries the right operand's reflected method first when its class derives from the
    left's). Objects without the method give Python's TypeError."""
    forward, reflected = OPERATOR_METHODS.get(sym, (None, None))
    calls: list[tuple[Any, Any]] = []
    if forward is not None:
        left = _own_method(a, forward)
        same = isinstance(a, Instance) and isinstance(b, Instance) and \
            a.user_class is b.user_class
        right = None if same else _own_method(b, reflected)
        subclass = isinstance(a, Instance) and isinstance(b, Instance) and \
            a.user_class in b.user_class.mro[1:]
        calls = [(right, a), (left, b)] if subclass else [(left, b), (right, a)]
    for method, other in calls:
        if method is not None:
            token = own_value.enter_call()
            try:
                return method(other)
            finally:
                own_value.leave_call(token)
    shown = "** or pow()" if sym == "**" else sym
    raise ArgumentError(f"unsupported operand type(s) for {shown}: '{type_name(a)}' and "
                        f"'{type_name(b)}'", python_type="TypeError")


def unary_method(sym: str, a: Any) -> Any:
    method = _own_method(a, UNARY_METHODS.get(sym, ""))
    if method is None:
        raise ArgumentError(f"bad operand type for unary {sym}: '{type_name(a)}'",
                            python_type="TypeError")
    token = own_value.enter_call()
    try:
        return method()
    finally:
        own_value.leave_call(token)


class OwnBackward:
    """`node._backward` of a learner's Value node (engine/own_value.py): calling it runs the
    program's closure and records which `.grad` values it wrote."""

    def __init__(self, function: Any, node: Any) -> None:
        self.function, self.node = function, node

    @property
    def python_type_name(self) -> str:
        return type_name(self.function)

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        return own_value.run_backward(
            self.node, lambda: interp.call_value(self.function, args, kwargs, node))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return own_value.run_backward(self.node, lambda: self.function(*args, **kwargs))

    def __eq__(self, other: Any) -> bool:
        return (other.function if isinstance(other, OwnBackward) else other) is self.function

    def __hash__(self) -> int:
        return hash(id(self.function))

    def __repr__(self) -> str:
        return repr(self.function)


def _user_text(obj: Any, method: str) -> str | None:
    found = obj.user_class.find(method)
    if found is None:
        return None
    text = _bind(found[1], obj)()
    if not isinstance(text, str):
        raise ArgumentError(f"{method}() returned non-string (type {type_name(text)})",
                            python_type="TypeError")
    return text


def _bind(value: Any, obj: Any) -> Any:
    if isinstance(value, ClassMethod):
        return BoundUserMethod(value.function, obj.user_class)
    if isinstance(value, StaticMethod):
        return value.function
    if getattr(value, "user_function", False) and getattr(value, "owner", None) is not None:
        return BoundUserMethod(value, obj)
    return value


class UserModule:
    """Mixed in before the engine base of a user module class (see _module_class): the
    program's methods come first, then the engine's, as Python's attribute lookup would."""

    user_class: UserClass

    @property
    def type_name(self) -> str:   # type: ignore[override]
        return self.user_class.name

    def language_getattr(self, name: str) -> Any:
        if name in self._attrs:
            return self._attrs[name]
        found = self.user_class.find(name)
        if found is not None:
            return _bind(found[1], self)
        return super().language_getattr(name)   # type: ignore[misc]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        found = self.user_class.find("forward")
        if found is None:
            return super().forward(*args, **kwargs)   # type: ignore[misc]
        return _bind(found[1], self)(*args, **kwargs)

    def extra_repr(self) -> str:
        found = self.user_class.find("extra_repr")
        if found is None:
            return super().extra_repr()   # type: ignore[misc]
        text = _bind(found[1], self)()
        return text if isinstance(text, str) else str(text)

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        found = self.user_class.find("forward")
        if found is None:
            return super().program_call(interp, args, kwargs, node)   # type: ignore[misc]
        return _bind(found[1], self).program_call(interp, args, kwargs, node)


_module_classes: dict[type, type] = {}


def _module_class(base: type) -> type:
    """The Python class of a user module's instances: UserModule before its engine base."""
    found = _module_classes.get(base)
    if found is None:
        found = _module_classes[base] = type(f"User{base.__name__}", (UserModule, base), {})
    return found


class EngineInit:
    """`super().__init__(...)` reaching an engine base: PyTorch's own __init__."""

    python_type_name = "method"

    def __init__(self, base: EngineClass, obj: Any) -> None:
        self.base, self.obj = base, obj

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        obj = self.obj
        if obj is None:   # nn.Module.__init__(self): the object comes first
            if not args:
                raise ArgumentError("descriptor '__init__' of 'object' object needs an "
                                    "argument", python_type="TypeError")
            obj, args = args[0], args[1:]
        cls = self.base.python_class
        if cls is Module:
            if args or kwargs:
                raise ArgumentError("Module.__init__() takes 1 positional argument but "
                                    f"{len(args) + 1} were given", python_type="TypeError")
            obj.init_module()
            return None
        if cls is FunctionBase:
            return None
        ns.bind_call("__init__", cls.__init__, (obj, *args), kwargs, skip_self=True)
        return None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.program_call(None, args, kwargs, None)


class Super:
    """What `super()` returns: attribute lookup starting after `start` in `obj`'s MRO."""

    python_type_name = "super"

    def __init__(self, start: UserClass, obj: Any) -> None:
        self.start, self.obj = start, obj

    def language_getattr(self, name: str) -> Any:
        owner = self.obj if isinstance(self.obj, UserClass) else self.obj.user_class
        mro = owner.mro
        after = mro[mro.index(self.start) + 1:] if self.start in mro else []
        for cls in after:
            if isinstance(cls, UserClass):
                if name in cls.namespace:
                    return _bind(cls.namespace[name], self.obj)
            elif isinstance(cls, EngineClass):
                return _engine_member(cls, self.obj, name)
        if name == "__init__":
            return ObjectInit()
        raise NameProblem(f"'super' object has no attribute '{name}'",
                          python_type="AttributeError")

    def __repr__(self) -> str:
        return f"<super: <class '{self.start.name}'>, <{type_name(self.obj)} object>>"


def _engine_member(base: EngineClass, obj: Any, name: str) -> Any:
    if name == "__init__":
        return EngineInit(base, obj)
    cls = base.python_class
    if name == "forward" and issubclass(cls, Module):
        from chainrule.engine.nn.module import BoundModuleMethod
        return BoundModuleMethod(obj, "forward", lambda self, *a, **k: cls.forward(self, *a,
                                                                                     **k))
    if isinstance(obj, Module):
        return Module.language_getattr(obj, name)
    raise NameProblem(f"'super' object has no attribute '{name}'",
                      python_type="AttributeError")


class ObjectInit:
    python_type_name = "method-wrapper"

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        if args or kwargs:
            raise ArgumentError("object.__init__() takes exactly one argument (the instance "
                                "to initialize)", python_type="TypeError")
        return None


class FunctionApply:
    """`MyFunction.apply`: runs the program's static forward and, in backward, its backward."""

    python_type_name = "method"

    def __init__(self, user_class: UserClass) -> None:
        self.user_class = user_class

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        cls = self.user_class
        forward, backward = cls.find("forward"), cls.find("backward")
        if forward is None or backward is None:
            missing = "forward" if forward is None else "backward"
            raise NotImplementedErr(f"You must implement the {missing} function for custom "
                                    "autograd.Function.")
        fwd, bwd = _static(forward[1]), _static(backward[1])
        span = None if interp is None or node is None else interp.span(node)

        def run_forward(ctx: Any, *a: Any) -> Any:
            return fwd.runner.call_user(fwd, (ctx, *a), {}, node)

        def run_backward(ctx: Any, *g: Any) -> Any:
            with at_span(span):
                return bwd.runner.call_user(bwd, (ctx, *g), {}, None)
        return apply_function(cls.name, run_forward, run_backward, args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.program_call(None, args, kwargs, None)


def _static(value: Any) -> Any:
    return value.function if isinstance(value, StaticMethod) else value


class NotImplementedErr(RuntimeProblem):
    def __init__(self, message: str) -> None:
        super().__init__(message, python_type="NotImplementedError")


# ---------------------------------------------------------------- the builtins


class SuperBuiltin:
    """`super()` (the method's class and first argument, found from the running frame) and
    `super(Class, obj)`."""

    python_type_name = "type"

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        if kwargs:
            raise ArgumentError("super() takes no keyword arguments", python_type="TypeError")
        if len(args) == 2:
            start, obj = args
            if not isinstance(start, UserClass):
                raise ArgumentError(f"super() argument 1 must be a type, not "
                                    f"{type_name(start)}", python_type="TypeError")
            return Super(start, obj)
        if args:
            raise ArgumentError("super() needs no arguments or two (the class and the "
                                "object) in chainrule", python_type="TypeError")
        frame = interp.frame if interp is not None else None
        while frame is not None and getattr(frame, "method", None) is None:
            frame = frame.parent
        function = None if frame is None else frame.method
        owner = getattr(function, "owner", None)
        params = [] if function is None else [a.arg for a in (*function.node.args.posonlyargs,
                                                              *function.node.args.args)]
        if owner is None or not params or params[0] not in frame.vars:
            raise RuntimeProblem("super(): no arguments")
        return Super(owner, frame.vars[params[0]])

    def __repr__(self) -> str:
        return "<class 'super'>"


class DecoratorBuiltin:
    python_type_name = "type"

    def __init__(self, kind: type[StaticMethod]) -> None:
        self.kind = kind

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        if len(args) != 1 or kwargs:
            raise ArgumentError(f"{self.kind.python_type_name} expected 1 argument, got "
                                f"{len(args)}", python_type="TypeError")
        return self.kind(args[0])

    def __repr__(self) -> str:
        return f"<class '{self.kind.python_type_name}'>"


class DrawDot:
    """The lecture's `draw_dot(root)` (it draws with graphviz): in chainrule the page draws the
    graph, so it means "show this" and returns None (the notebook shows an SVG)."""

    python_type_name = "function"

    def program_call(self, interp: Any, args: tuple, kwargs: dict, node: Any) -> Any:
        if len(args) != 1 or set(kwargs) - {"format", "rankdir"}:
            raise ArgumentError("draw_dot() takes the root of the graph (and format=, "
                                "rankdir=)", python_type="TypeError")
        from chainrule.engine.dialects import own_engine
        own_engine.show(args[0])
        return None

    def __repr__(self) -> str:
        return "<function draw_dot>"


CLASS_BUILTINS: dict[str, Any] = {"super": SuperBuiltin(),
                                  "staticmethod": DecoratorBuiltin(StaticMethod),
                                  "classmethod": DecoratorBuiltin(ClassMethod),
                                  "draw_dot": DrawDot()}


# ---------------------------------------------------------------- running a class statement


def define_class(interp: Any, node: ast.ClassDef) -> UserClass:
    bases: list[Any] = []
    for b in node.bases:
        value = interp.expr(b)
        with at_span(interp.span(b)):
            bases.append(_base(value))
    bases = [b for b in bases if b is not None]
    namespace: dict[str, Any] = {}
    functions: list[Any] = []
    for stmt in node.body:
        with at_span(interp.span(stmt)):
            if isinstance(stmt, ast.FunctionDef):
                namespace[stmt.name] = _method(interp, node.name, stmt, functions)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                value = interp.expr(stmt.value) if stmt.value is not None else None
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if stmt.value is None:
                    continue
                for target in targets:
                    if not isinstance(target, ast.Name):
                        raise RefusedError("a class attribute is assigned to a plain name")
                    namespace[target.id] = value
    with at_span(interp.span(node)):
        cls = UserClass(node.name, tuple(bases), namespace)
    for f in functions:
        f.owner = cls
    interp.store(node.name, cls)
    return cls


def _base(value: Any) -> Any:
    if isinstance(value, UserClass | EngineClass):
        return value
    if isinstance(value, ns.Function) and value.kind == "class" and value.name == "object":
        return None
    raise ArgumentError(f"chainrule's classes derive from object, nn.Module (or an nn layer), "
                        f"torch.autograd.Function or another class of the program, not "
                        f"{ns.describe(value) if not isinstance(value, Module) else value!r}",
                        python_type="TypeError")


def _method(interp: Any, class_name: str, node: ast.FunctionDef, functions: list[Any]) -> Any:
    function = interp.make_function(f"{class_name}.{node.name}", node)
    functions.append(function)
    wrapped: Any = function
    for deco in reversed(node.decorator_list):
        value = interp.expr(deco)
        with at_span(interp.span(deco)):
            if isinstance(value, DecoratorBuiltin):
                wrapped = value.kind(function)
                continue
            if isinstance(value, ns.Function) and value.name in ("no_grad", "enable_grad",
                                                                 "inference_mode"):
                value = ns.call(value, (), {})
            if not isinstance(value, GradMode):
                raise RuntimeProblem("only @staticmethod, @classmethod and the grad modes "
                                     "(@torch.no_grad()...) can decorate a method in chainrule")
            function.modes.insert(0, value)
    return wrapped

