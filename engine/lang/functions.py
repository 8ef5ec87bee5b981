"""User functions: `def`, `lambda`, their frames, closures and argument binding, as Python.

Scoping follows Python's rule, decided from the source: a name bound anywhere in a function's
body (assignment, `for` target, `import`, nested `def`, `except ... as`) is local to it unless
declared `global` or `nonlocal`; other names are looked up in the enclosing functions' frames
(closures see later assignments, as Python's cells do), then the program's globals, then the
builtins. Comprehensions get a frame of their own, as in Python 3.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from typing import Any

from chainrule.engine.errors import ArgumentError
from chainrule.engine.printing import fake_address


@dataclass(eq=False)
class Frame:
    """The variables of one function call (or comprehension). The program's globals are not a
    Frame: `Frame.parent is None` means the next scope out is the globals."""

    vars: dict[str, Any]
    local: frozenset[str]
    parent: Frame | None = None
    globals_declared: frozenset[str] = frozenset()
    nonlocals_declared: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FunctionScope:
    local: frozenset[str]
    globals_declared: frozenset[str]
    nonlocals_declared: frozenset[str]


def function_scope(node: ast.FunctionDef | ast.Lambda) -> FunctionScope:
    """The local names of a function: its parameters and everything its body binds."""
    params = _parameter_names(node.args)
    stored: set[str] = set(params)
    declared_global: set[str] = set()
    declared_nonlocal: set[str] = set()
    body = [node.body] if isinstance(node, ast.Lambda) else node.body
    stack: list[ast.AST] = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Global):
            declared_global.update(n.names)
            continue
        if isinstance(n, ast.Nonlocal):
            declared_nonlocal.update(n.names)
            continue
        if isinstance(n, ast.FunctionDef):
            stored.add(n.name)
            stack.extend(n.decorator_list)
            stack.extend(_defaults(n.args))
            continue   # its body is its own scope
        if isinstance(n, ast.ClassDef):   # its body is the class's namespace
            stored.add(n.name)
            stack.extend(n.bases)
            continue
        if isinstance(n, ast.Lambda):
            stack.extend(_defaults(n.args))
            continue
        if isinstance(n, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            stack.append(n.generators[0].iter)   # evaluated in this scope
            stack.extend(x for x in ast.walk(n) if isinstance(x, ast.NamedExpr))
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del):
            stored.add(n.id)
        elif isinstance(n, ast.NamedExpr):
            stored.add(n.target.id)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            stored.add(n.name)
        elif isinstance(n, ast.alias):
            stored.add(n.asname or n.name.split(".")[0])
        stack.extend(ast.iter_child_nodes(n))
    return FunctionScope(frozenset(stored - declared_global - declared_nonlocal),
                         frozenset(declared_global), frozenset(declared_nonlocal))


def comprehension_locals(node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
                         ) -> frozenset[str]:
    names: set[str] = set()
    for gen in node.generators:
        names.update(n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name))
    return frozenset(names)


def _parameter_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def _defaults(args: ast.arguments) -> list[ast.expr]:
    return [*args.defaults, *[d for d in args.kw_defaults if d is not None]]


_ids = itertools.count(1)


@dataclass(eq=False)
class UserFunction:
    """A function the program defined. Engine code (hooks, `sorted(key=...)`, `map`) calls it
    like a Python function; the interpreter runs its body under the program's limits."""

    user_function = True

    name: str
    node: ast.FunctionDef | ast.Lambda
    closure: Frame | None
    defaults: tuple[Any, ...]
    kw_defaults: dict[str, Any]
    runner: Any                          # the Interpreter that made it
    modes: list[Any] = field(default_factory=list)   # grad modes from decorators
    ident: int = field(default_factory=lambda: next(_ids))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.runner.call_user(self, args, kwargs, None)

    def __repr__(self) -> str:
        return f"<function {self.name} at {fake_address(('function', self.ident))}>"

    python_type_name = "function"


def bind_arguments(fn: UserFunction, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Python's argument binding, with Python's messages."""
    spec = fn.node.args
    name = fn.name
    positional = [a.arg for a in (*spec.posonlyargs, *spec.args)]
    posonly = {a.arg for a in spec.posonlyargs}
    kwonly = [a.arg for a in spec.kwonlyargs]
    out: dict[str, Any] = {}
    if len(args) > len(positional) and spec.vararg is None:
        given = len(args)
        most = len(positional)
        need = most - len(fn.defaults)
        if need == most:
            takes = f"{most} positional argument{'' if most == 1 else 's'}"
        else:
            takes = f"from {need} to {most} positional arguments"
        raise ArgumentError(f"{name}() takes {takes} but {given} "
                            f"{'was' if given == 1 else 'were'} given")
    for pname, value in zip(positional, args, strict=False):
        out[pname] = value
    if spec.vararg is not None:
        out[spec.vararg.arg] = tuple(args[len(positional):])
    extra: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in positional and key not in posonly or key in kwonly:
            if key in out:
                raise ArgumentError(f"{name}() got multiple values for argument '{key}'")
            out[key] = value
        elif spec.kwarg is not None:
            extra[key] = value
        else:
            raise ArgumentError(f"{name}() got an unexpected keyword argument '{key}'")
    first_default = len(positional) - len(fn.defaults)
    missing = []
    for i, pname in enumerate(positional):
        if pname not in out:
            if i >= first_default:
                out[pname] = fn.defaults[i - first_default]
            else:
                missing.append(pname)
    if missing:
        raise ArgumentError(f"{name}() missing {len(missing)} required positional argument"
                            f"{'' if len(missing) == 1 else 's'}: {_names(missing)}")
    missing = []
    for pname in kwonly:
        if pname not in out:
            if pname in fn.kw_defaults:
                out[pname] = fn.kw_defaults[pname]
            else:
                missing.append(pname)
    if missing:
        raise ArgumentError(f"{name}() missing {len(missing)} required keyword-only argument"
                            f"{'' if len(missing) == 1 else 's'}: {_names(missing)}")
    if spec.kwarg is not None:
        out[spec.kwarg.arg] = extra
    return out


def _names(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + (" and " if len(quoted) == 2 else ", and ") + quoted[-1]
