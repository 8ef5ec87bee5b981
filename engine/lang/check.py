"""The static half of the interpreter: parse, enforce the size limits, refuse everything outside
the language (before anything runs), and find the program's names.

Every refusal is a `RefusedError` (or `SyntaxProblem`) carrying a 1-based line and column.
The size checks run before any recursive walk: `ast.parse` itself is guarded (deep nesting makes
it raise RecursionError/MemoryError), then one iterative pass counts nodes and depth; only after
the depth is known to be small does the recursive whitelist walk run.

What is refused here is refused for every program: names and attributes starting with two
underscores (the road to Python's internals, `__class__`; other names resolve only through the
program's own scopes and attributes only through the language's tables), classes,
generators, async code, `match`, star-imports and imports outside the tables. Everything else
in the language (docs/language.md) is decided when it runs, with Python's and PyTorch's errors.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

from chainrule.engine import namespace as ns
from chainrule.engine.errors import RefusedError, SyntaxProblem
from chainrule.engine.lang.classes import CLASS_NAMES, allowed_dunder, check_class
from chainrule.engine.lang.functions import function_scope
from chainrule.engine.lang.modules import IMPORTABLE, MODULE_NAMES, dialect_of, import_target
from chainrule.engine.limits import Limits
from chainrule.engine.tensor import Span

# Names whose use makes a program a framework program (design.md, "Two kinds of program").
FRAMEWORK_NAMES = frozenset({"torch", "nn", "F", "np", "numpy", "Variable", "autograd", "tf",
                             "jax", "jnp"})

_REFUSED_STATEMENTS = {
    ast.AsyncFor: "async for loops", ast.AsyncWith: "async with blocks",
    ast.AsyncFunctionDef: "async functions", ast.Match: "match statements",
}
if hasattr(ast, "TryStar"):
    _REFUSED_STATEMENTS[ast.TryStar] = "except* blocks"
_REFUSED_EXPRESSIONS = {
    ast.Await: "await", ast.Yield: "generators (yield)", ast.YieldFrom: "generators (yield)",
}
_REFUSED_BINOPS = {ast.LShift: "bit shifts (<<)", ast.RShift: "bit shifts (>>)"}
_ALLOWED_STATEMENTS = (
    ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.Pass,
    ast.If, ast.For, ast.While, ast.Break, ast.Continue, ast.FunctionDef, ast.Return,
    ast.Delete, ast.Assert, ast.Raise, ast.Try, ast.With, ast.Global, ast.Nonlocal,
)
_ALLOWED_EXPRESSIONS = (
    ast.Constant, ast.Name, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call,
    ast.Attribute, ast.Subscript, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp,
    ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.IfExp, ast.Lambda, ast.JoinedStr,
    ast.FormattedValue, ast.Starred, ast.NamedExpr, ast.Slice,
)


class RefusedLimit(RefusedError):
    """The source is too large or too deeply nested to run: refused before running (HTTP 400)."""

    kind = "limit"


class Positions:
    """Source positions as learners count them: 1-based lines, 1-based character columns."""

    def __init__(self, source: str) -> None:
        self.lines = re.split(r"\r\n|\r|\n", source)

    def col(self, lineno: int, byte_col: int) -> int:
        if 1 <= lineno <= len(self.lines):
            line = self.lines[lineno - 1]
            if not line.isascii():
                return len(line.encode("utf-8")[:byte_col].decode("utf-8", "ignore")) + 1
        return byte_col + 1

    def span(self, node: ast.AST) -> Span | None:
        line = getattr(node, "lineno", None)
        if line is None:
            return None
        end_line = getattr(node, "end_lineno", None) or line
        end_col = getattr(node, "end_col_offset", None)
        start = self.col(line, node.col_offset)
        return (line, start, end_line, self.col(end_line, end_col) if end_col is not None
                else start)

    def text(self, node: ast.AST) -> str:
        """The source of `node` on one line (whitespace folded); ast.unparse if unknown."""
        span = self.span(node)
        if span is not None:
            line, col, end_line, end_col = span
            if 1 <= line <= end_line <= len(self.lines):
                if line == end_line:
                    text = self.lines[line - 1][col - 1:end_col - 1]
                else:
                    text = " ".join([self.lines[line - 1][col - 1:], *self.lines[line:end_line - 1],
                                     self.lines[end_line - 1][:end_col - 1]])
                text = " ".join(text.split())
                if text:
                    return text
        return ast.unparse(node)

    def at_offset(self, source: str, index: int) -> tuple[int, int]:
        """Line and column of character `index` of `source`."""
        before = source[:index]
        line = before.count("\n") + 1
        return line, index - (before.rfind("\n") + 1) + 1


@dataclass
class StaticInfo:
    """What the interpreter needs to know about names before running."""

    bindings: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # line, how
    import_targets: dict[str, set[str]] = field(default_factory=dict)   # name -> dotted paths
    free: list[str] = field(default_factory=list)    # free variables, first appearance order
    framework: bool = False                          # uses torch & co (not a typed expression)
    assumed: list[str] = field(default_factory=list)   # module names used but never imported
    dialect: str = "torch"                           # the framework's way it is written in

    def first_binding(self, name: str) -> tuple[int, str] | None:
        found = self.bindings.get(name)
        return found[0] if found else None

    def bind(self, name: str, line: int, how: str) -> None:
        self.bindings.setdefault(name, []).append((line, how))


@dataclass
class Checked:
    tree: ast.Module
    info: StaticInfo
    positions: Positions


def check_source(source: str, limits: Limits) -> Checked:
    if not isinstance(source, str):
        raise RefusedError("the program must be text")
    positions = Positions(source)
    if len(source) > limits.max_source_chars:
        line, col = positions.at_offset(source, limits.max_source_chars)
        raise RefusedLimit(f"the program is {len(source):,} characters long, over the limit of "
                           f"{limits.max_source_chars:,}", line, col)
    nul = source.find("\x00")
    if nul >= 0:
        line, col = positions.at_offset(source, nul)
        raise SyntaxProblem("the program contains a null byte, which Python source cannot hold",
                            line, col)
    tree = _parse(source)
    _check_size(tree, positions, limits)
    walker = _Walker(positions)
    walker.block(tree.body)
    walker.resolve()
    return Checked(tree, walker.info, positions)


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source, mode="exec")
    except SyntaxError as e:
        line = e.lineno or 1
        col = max(e.offset or 1, 1)
        end_line = e.end_lineno if e.end_lineno else None
        end_col = e.end_offset if e.end_offset and e.end_offset > 0 else None
        raise SyntaxProblem(f"syntax error: {e.msg}", line, col, end_line, end_col) from None
    except (RecursionError, MemoryError):
        raise RefusedLimit("the program is nested too deeply to read", 1, 1) from None
    except (ValueError, OverflowError) as e:
        raise SyntaxProblem(f"Python cannot read this program: {e}", 1, 1) from None


def _check_size(tree: ast.Module, positions: Positions, limits: Limits) -> None:
    """Count nodes and measure depth iteratively, before any recursive walk."""
    count = 0
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 0, tree)]
    while stack:
        node, depth, located = stack.pop()
        if hasattr(node, "lineno"):
            located = node
        count += 1
        if count > limits.max_ast_nodes:
            raise RefusedLimit(f"the program has more than {limits.max_ast_nodes:,} syntax nodes, "
                               "over the limit", *_start(positions, located))
        if depth > limits.max_ast_depth:
            raise RefusedLimit(f"the program is nested more than {limits.max_ast_depth} levels "
                               "deep, over the limit", *_start(positions, located))
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1, located))


def _start(positions: Positions, node: ast.AST) -> tuple[int, int]:
    span = positions.span(node)
    return (span[0], span[1]) if span else (1, 1)


def _not_part(what: str, plural: bool = True) -> str:
    return f"{what} {'are' if plural else 'is'} not part of chainrule's language"


class _Walker:
    """The recursive whitelist walk (depth already bounded) that also collects names."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.info = StaticInfo()
        self.loads: list[ast.Name] = []
        self.calls: list[ast.Name] = []
        self.chains: list[ast.Attribute] = []
        self.xors: list[ast.AST] = []   # `^`: Python's xor, but `x^2` in a typed expression
        self.stored: set[str] = set()     # every name bound anywhere (any scope)
        self.assigned: set[str] = set()   # ... by anything but an import
        self.module_level_stored: set[str] = set()
        self.loops = 0          # enclosing loops in the current function (or top level)
        self.functions = 0      # enclosing function definitions
        self.enclosing: list[frozenset[str]] = []   # their local names, for `nonlocal`

    def refuse(self, node: ast.AST, message: str) -> RefusedError:
        span = self.positions.span(node) or (1, 1, 1, 1)
        return RefusedError(message, *span)

    # -- statements
    def block(self, body: list[ast.stmt], top: bool = True) -> None:
        for stmt in body:
            self.statement(stmt, top)

    def statement(self, node: ast.stmt, top: bool) -> None:
        kind = type(node)
        if kind is ast.ClassDef:
            check_class(self, node, top)   # engine/lang/classes.py
            return
        if kind in _REFUSED_STATEMENTS:
            raise self.refuse(node, _not_part(_REFUSED_STATEMENTS[kind]))
        if kind not in _ALLOWED_STATEMENTS:
            raise self.refuse(node, _not_part(f"this kind of statement ({kind.__name__})", False))
        if kind in (ast.Break, ast.Continue) and not self.loops:
            raise self.refuse(node, f"syntax error: '{kind.__name__.lower()}' "
                              + ("outside loop" if kind is ast.Break else
                                 "not properly in loop"))
        if kind is ast.Return and not self.functions:
            raise self.refuse(node, "syntax error: 'return' outside function")
        if kind is ast.Nonlocal and not self.functions:
            raise self.refuse(node, "syntax error: nonlocal declaration not allowed at module "
                              "level")
        if kind is ast.Nonlocal:
            for name in node.names:   # Python's compiler: the name must be an outer local
                if not any(name in scope for scope in self.enclosing[:-1]):
                    raise self.refuse(node, f"syntax error: no binding for nonlocal '{name}' "
                                      "found")
        if kind in (ast.For, ast.While):
            self.loop(node, top)
        elif kind is ast.Import:
            self.import_(node)
        elif kind is ast.ImportFrom:
            self.import_from(node)
        elif kind is ast.FunctionDef:
            self.function(node)
        elif kind in (ast.Global, ast.Nonlocal):
            for name in node.names:
                self.name_ok(node, name)
        else:
            if kind is ast.AugAssign and type(node.op) in _REFUSED_BINOPS:
                raise self.refuse(node, _not_part(_REFUSED_BINOPS[type(node.op)], False))
            if kind is ast.AugAssign and type(node.op) is ast.BitXor:
                self.xors.append(node)
            for target in _targets(node):
                self.target(target, node, top)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self.statement(child, top)
                elif isinstance(child, ast.expr) and child not in _targets(node):
                    self.expr(child)
                elif isinstance(child, ast.excepthandler):
                    if child.name is not None:
                        self.name_ok(child, child.name)
                        self.bound(child.name, child.lineno, "assigned", top)
                    if child.type is not None:
                        self.expr(child.type)
                    self.block(child.body, top)
                elif isinstance(child, ast.withitem):
                    self.expr(child.context_expr)
                    if child.optional_vars is not None:
                        self.target(child.optional_vars, node, top)

    def loop(self, node: ast.For | ast.While, top: bool) -> None:
        if isinstance(node, ast.For):
            self.target(node.target, node, top)
            self.expr(node.iter)
        else:
            self.expr(node.test)
        self.loops += 1
        self.block(node.body, top)
        self.loops -= 1
        self.block(node.orelse, top)

    def function(self, node: ast.FunctionDef) -> None:
        self.name_ok(node, node.name)
        self.bound(node.name, node.lineno, "defined", top=True)
        for deco in node.decorator_list:
            self.decorator(deco)
        self.arguments(node.args)
        if node.returns is not None:
            self.expr(node.returns)
        saved, self.loops = self.loops, 0
        self.functions += 1
        self.enclosing.append(function_scope(node).local)
        self.block(node.body, top=False)
        self.enclosing.pop()
        self.functions -= 1
        self.loops = saved

    def decorator(self, node: ast.expr) -> None:
        """Only grad modes (`@torch.no_grad()`) and the frameworks' derivative rules
        (RULE_DECORATORS) decorate: anything else would run the program's own code around a
        function, which is refused before running."""
        func = node.func if isinstance(node, ast.Call) else node
        dotted = _dotted(func)
        if dotted is None or dotted[-1] not in GRAD_MODE_DECORATORS + RULE_DECORATORS:
            raise self.refuse(node, "decorators other than @torch.no_grad(), "
                              "@torch.enable_grad(), @torch.inference_mode(), "
                              "@torch.set_grad_enabled(...), @jax.custom_jvp, @f.defjvp, "
                              "@jax.custom_vjp and @tf.custom_gradient are not supported")
        self.expr(node)

    def arguments(self, args: ast.arguments) -> None:
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                    *([args.vararg] if args.vararg else []),
                    *([args.kwarg] if args.kwarg else [])]:
            self.name_ok(arg, arg.arg)
            self.bound(arg.arg, arg.lineno, "a parameter", top=False)
        for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            self.expr(default)

    def bound(self, name: str, line: int, how: str, top: bool) -> None:
        self.stored.add(name)
        if how != "imported":
            self.assigned.add(name)
        if top:
            self.module_level_stored.add(name)
        self.info.bind(name, line, how)

    def target(self, target: ast.expr, stmt: ast.stmt, top: bool) -> None:
        if isinstance(target, ast.Name):
            self.name_ok(target)
            self.bound(target.id, stmt.lineno, "assigned", top)
        elif isinstance(target, ast.Attribute):
            if target.attr.startswith("__"):
                raise self.refuse(target, _not_part(f"attributes starting with two underscores "
                                                    f"(.{target.attr})"))
            self.expr(target.value)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value)
            self.expr(target.slice)
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self.target(elt, stmt, top)
        elif isinstance(target, ast.Starred):
            self.target(target.value, stmt, top)
        else:
            raise self.refuse(target, _not_part("this kind of assignment", False))

    def import_(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in IMPORTABLE:
                raise self.refuse(node, _not_importable(alias.name))
            name = alias.asname or alias.name.split(".")[0]
            path = alias.name if alias.asname else name
            self.name_ok(alias, name)
            self.bound(name, node.lineno, "imported", top=True)
            self.info.import_targets.setdefault(name, set()).add(path)
            if name in FRAMEWORK_NAMES or path.split(".")[0] in ("torch", "numpy"):
                self.info.framework = True
            if dialect_of(alias.name):
                self.info.framework = True
                self.info.dialect = dialect_of(alias.name)

    def import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or module not in IMPORTABLE:
            shown = "." * node.level + module
            raise self.refuse(node, _not_importable(shown, f"from {shown} import ..."))
        members = import_target(module).members
        if module.split(".")[0] in ("torch", "numpy"):
            self.info.framework = True
        if dialect_of(module):
            self.info.framework = True
            self.info.dialect = dialect_of(module)
        for alias in node.names:
            if alias.name == "*":
                raise self.refuse(node, _not_part(f"from {module} import *", False)
                                  + ": import the names you use")
            if alias.name not in members:
                raise self.refuse(node, _not_part(f"{module}.{alias.name}", False)
                                  + ns.suggest(alias.name, members))
            name = alias.asname or alias.name
            self.name_ok(alias, name)
            self.bound(name, node.lineno, "imported", top=True)
            self.info.import_targets.setdefault(name, set()).add(f"{module}.{alias.name}")

    def name_ok(self, node: ast.AST, name: str | None = None) -> None:
        name = name if name is not None else node.id
        if name.startswith("__"):
            raise self.refuse(node, _not_part(f"names starting with two underscores ({name})"))

    # -- expressions
    def expr(self, node: ast.expr) -> None:
        kind = type(node)
        if kind in _REFUSED_EXPRESSIONS:
            raise self.refuse(node, _not_part(_REFUSED_EXPRESSIONS[kind]))
        if kind not in _ALLOWED_EXPRESSIONS:
            raise self.refuse(node, _not_part(f"this kind of expression ({kind.__name__})",
                                              False))
        if kind is ast.Constant:
            self.constant(node)
        elif kind is ast.Name:
            self.name_ok(node)
            if isinstance(node.ctx, ast.Store):   # a walrus or a comprehension target
                self.bound(node.id, node.lineno, "assigned", top=False)
            else:
                self.loads.append(node)
        elif kind is ast.BinOp and type(node.op) in _REFUSED_BINOPS:
            raise self.refuse(node, _not_part(_REFUSED_BINOPS[type(node.op)], False))
        elif kind is ast.BinOp and type(node.op) is ast.BitXor:
            self.xors.append(node)
        elif kind is ast.Attribute:
            if node.attr.startswith("__") and not allowed_dunder(node):   # `__class__`...;
                raise self.refuse(node, _not_part(f"attributes starting with two underscores "
                                                  f"(.{node.attr})"))   # others: the tables
            if _dotted(node) is not None:
                self.chains.append(node)
            self.expr(node.value)
            return
        elif kind is ast.Call:
            if isinstance(node.func, ast.Name):
                self.name_ok(node.func)
                self.calls.append(node.func)
        elif kind is ast.Lambda:
            self.arguments(node.args)
            self.expr(node.body)
            return
        elif kind in (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp):
            for gen in node.generators:
                if gen.is_async:
                    raise self.refuse(node, _not_part("async comprehensions"))
                self.target(gen.target, node, top=False)
        elif kind is ast.NamedExpr:
            self.name_ok(node.target)
            self.bound(node.target.id, node.lineno, "assigned", top=False)
            self.expr(node.value)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                if kind is ast.Call and child is node.func and isinstance(child, ast.Name):
                    self.loads.append(child)
                    continue
                if kind in (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp) and \
                        any(child is g.target for g in node.generators):
                    continue
                self.expr(child)
            elif isinstance(child, ast.keyword):
                self.expr(child.value)
            elif isinstance(child, ast.comprehension):
                self.expr(child.iter)
                for cond in child.ifs:
                    self.expr(cond)

    def constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bytes):
            raise self.refuse(node, _not_part("bytes literals"))
        if isinstance(value, complex):
            raise self.refuse(node, _not_part("complex numbers"))

    # -- names, once the whole program is seen
    def resolve(self) -> None:
        info = self.info
        used = {n.id for n in self.loads} | self.stored
        if used & FRAMEWORK_NAMES:
            info.framework = True
        bound = self.stored
        seen: set[str] = set()
        for node in self.loads:
            name = node.id
            if name in bound or name in seen:
                continue
            seen.add(name)
            if name in _PYTHON_ONLY:
                raise self.refuse(node, f"{name} is a Python built-in that is not part of "
                                  "chainrule's language")
            if name in MODULE_NAMES:
                info.assumed.append(name)
                info.framework = info.framework or name not in ("math", "random")
                info.dialect = dialect_of(MODULE_NAMES[name][1]) or info.dialect
            elif not info.framework and name not in _KNOWN_GLOBALS:
                info.free.append(name)
        if not info.framework:   # a typed expression: its calls must be to known functions
            for node in self.calls:
                name = node.id
                if name in bound or name in _KNOWN_GLOBALS or name in MODULE_NAMES:
                    continue
                options = [*ns.BUILTINS, *_KNOWN_GLOBALS, *bound]
                raise self.refuse(node, _not_part(f"{node.id}()", False)
                                  + ns.suggest(name, options))
            info.free = [n for n in info.free if n not in {c.id for c in self.calls}]
            if info.free and self.xors:   # `x^2 + sin(x*y)`: meant as a power, not an xor
                raise self.refuse(self.xors[0], "^ is Python's exclusive or, not a power: "
                                  "for powers write ** (x**2)")
        for node in self.chains:
            self.resolve_chain(node)

    def resolve_chain(self, node: ast.Attribute) -> None:
        """`torch.foo`, `F.relux`: module members are known before running, so refuse typos."""
        root, *attrs = _dotted(node)
        targets = self.info.import_targets.get(root)
        if targets is None and root in MODULE_NAMES and root not in self.stored:
            targets = {MODULE_NAMES[root][1]}   # an assumed import
        if not targets or len(targets) != 1 or root in self.assigned:
            return
        obj = import_target(next(iter(targets)))
        for i, attr in enumerate(attrs):
            if not isinstance(obj, ns.Module):
                return
            if attr not in obj.members:
                shown = ".".join([root, *attrs[:i]])
                close = ns.suggest(attr, obj.members).removeprefix("; did you mean ")
                hint = f"; did you mean {shown}.{close}" if close else ""
                raise self.refuse(node, _not_part(f"{shown}.{attr}", False) + hint)
            obj = obj.members[attr]


def _known_globals() -> frozenset[str]:
    from chainrule.engine.lang.builtins import PYTHON_BUILTINS
    from chainrule.engine.lang.exceptions import EXCEPTION_CLASSES
    return frozenset({*PYTHON_BUILTINS, *ns.BUILTINS, *EXCEPTION_CLASSES, *CLASS_NAMES,
                      "print", "None", "True", "False"})


_KNOWN_GLOBALS = _known_globals()
# Python's builtins outside the language (open, eval, getattr, globals...): refused by name.
_PYTHON_ONLY = frozenset(dir(builtins)) - _KNOWN_GLOBALS


GRAD_MODE_DECORATORS = ("no_grad", "enable_grad", "inference_mode", "set_grad_enabled")
# A framework's own rule for a function's derivative (`@jax.custom_jvp`, `@f.defjvp`,
# `@jax.custom_vjp`, `@tf.custom_gradient`): the framework's object wraps the function, and the
# learner's rule runs where the framework would run it (engine/dialects/custom_rules.py).
RULE_DECORATORS = ("custom_jvp", "custom_vjp", "defjvp", "custom_gradient")


def _not_importable(name: str, shown: str | None = None) -> str:
    root = name.split(".")[0]
    what = shown or f"import {name}"
    if root == "torch":
        return (f"{what} is not supported yet: chainrule runs torch, torch.nn, "
                "torch.nn.functional, torch.autograd, torch.autograd.functional and torch.optim")
    return f"{what} is not supported yet: only torch (and its nn, nn.functional, autograd), " \
        "numpy and math can be imported"


def _targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For):
        return [node.target]
    if isinstance(node, ast.Delete):
        return list(node.targets)
    return []


def _dotted(node: ast.expr) -> list[str] | None:
    """['torch', 'nn', 'functional'] for torch.nn.functional; None if not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]
