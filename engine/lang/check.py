"""The static half of the interpreter: parse, enforce the size limits, refuse everything outside
the language (before anything runs), and find the program's names.

Every refusal is a `RefusedError` (or `SyntaxProblem`) carrying a 1-based line and column.
The size checks run before any recursive walk: `ast.parse` itself is guarded (deep nesting makes
it raise RecursionError/MemoryError), then one iterative pass counts nodes and depth; only after
the depth is known to be small does the recursive whitelist walk run.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

from engine import namespace as ns
from engine.errors import RefusedError, SyntaxProblem
from engine.limits import Limits
from engine.tensor import Span

MODULE_NAMES = {"torch": "import torch", "nn": "import torch.nn as nn",
                "F": "import torch.nn.functional as F", "np": "import numpy as np"}
IMPORTABLE = ("torch", "torch.nn", "torch.nn.functional", "numpy")
PYTHON_BUILTINS = frozenset(dir(builtins))
ASSIGNABLE_ATTRIBUTES = ("requires_grad", "grad")

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.MatMult: "@"}
_REFUSED_BINOPS = {ast.FloorDiv: "floor division (//)", ast.Mod: "the % operator",
                   ast.LShift: "bit shifts (<<)", ast.RShift: "bit shifts (>>)",
                   ast.BitOr: "the | operator", ast.BitAnd: "the & operator",
                   ast.BitXor: "the ^ operator (for powers write **)"}
_REFUSED_STATEMENTS = {
    ast.For: "for loops", ast.AsyncFor: "for loops", ast.While: "while loops",
    ast.If: "if statements", ast.FunctionDef: "function definitions (def)",
    ast.AsyncFunctionDef: "function definitions (def)", ast.ClassDef: "classes",
    ast.Return: "return statements", ast.Delete: "del statements",
    ast.AnnAssign: "annotated assignments (x: int = ...)",
    ast.With: "with blocks (such as torch.no_grad())", ast.AsyncWith: "with blocks",
    ast.Raise: "raise statements", ast.Try: "try blocks", ast.Assert: "assert statements",
    ast.Global: "global statements", ast.Nonlocal: "nonlocal statements",
    ast.Break: "break", ast.Continue: "continue", ast.Match: "match statements",
}
if hasattr(ast, "TryStar"):
    _REFUSED_STATEMENTS[ast.TryStar] = "try blocks"
_REFUSED_EXPRESSIONS = {
    ast.Lambda: "lambda functions", ast.IfExp: "conditional expressions (a if c else b)",
    ast.Dict: "dictionaries", ast.Set: "sets", ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Compare: "comparisons (==, <, > ...)",
    ast.BoolOp: "and / or", ast.JoinedStr: "f-strings", ast.FormattedValue: "f-strings",
    ast.NamedExpr: "the walrus operator (:=)", ast.Starred: "starred expressions (*args)",
    ast.Slice: "slices outside [ ]",
}


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
    walker.module(tree)
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
        self.assigned_eq: set[str] = set()

    def refuse(self, node: ast.AST, message: str) -> RefusedError:
        span = self.positions.span(node) or (1, 1, 1, 1)
        return RefusedError(message, *span)

    # -- statements
    def module(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            self.statement(stmt)

    def statement(self, node: ast.stmt) -> None:
        kind = type(node)
        if kind is ast.Expr:
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return   # a bare string: a docstring or comment, nothing runs
            self.expr(node.value)
        elif kind is ast.Assign:
            self.expr(node.value)
            for target in node.targets:
                self.target(target, node)
        elif kind is ast.Import:
            self.import_(node)
        elif kind is ast.ImportFrom:
            self.import_from(node)
        elif kind is ast.Pass:
            return
        elif kind is ast.AugAssign:
            sym = _BINOPS.get(type(node.op), "op")
            raise self.refuse(node, f"{_not_part(f'augmented assignment (x {sym}= ...)', False)}:"
                              f" write x = x {sym} ... instead (PyTorch refuses in-place updates "
                              "of tensors that require grad)")
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef) and \
                node.decorator_list:
            raise self.refuse(node.decorator_list[0], _not_part("decorators and "
                                                                + _REFUSED_STATEMENTS[kind]))
        elif kind in _REFUSED_STATEMENTS:
            raise self.refuse(node, _not_part(_REFUSED_STATEMENTS[kind]))
        else:
            raise self.refuse(node, _not_part(f"this kind of statement ({kind.__name__})", False))

    def target(self, target: ast.expr, stmt: ast.Assign) -> None:
        if isinstance(target, ast.Name):
            self.name_ok(target)
            self.info.bind(target.id, stmt.lineno, "assigned")
            self.assigned_eq.add(target.id)
        elif isinstance(target, ast.Attribute):
            if target.attr not in ASSIGNABLE_ATTRIBUTES:
                raise self.refuse(target, f"{_not_part(f'assigning to .{target.attr}', False)}: "
                                  "only x.requires_grad = ... and x.grad = ... can be set")
            self.expr(target.value)
        elif isinstance(target, ast.Subscript):
            raise self.refuse(target, _not_part("assigning into a tensor (x[i] = ...)", False)
                              + ": build a new tensor instead")
        elif isinstance(target, ast.Tuple | ast.List):
            raise self.refuse(target, _not_part("unpacking into several names (a, b = ...)",
                                                False) + ": assign one name per line")
        else:
            raise self.refuse(target, _not_part("this kind of assignment", False))

    def import_(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in IMPORTABLE:
                raise self.refuse(node, f"{_not_part(f'import {alias.name}', False)}: only torch, "
                                  "torch.nn, torch.nn.functional and numpy can be imported")
            name = alias.asname or alias.name.split(".")[0]
            path = alias.name if alias.asname else name
            self.name_ok(alias, name)
            self.info.bind(name, node.lineno, "imported")
            self.info.import_targets.setdefault(name, set()).add(path)

    def import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or module not in IMPORTABLE:
            shown = "." * node.level + module
            raise self.refuse(node, _not_part(f"from {shown} import ...", False) + ": only "
                              "torch, torch.nn, torch.nn.functional and numpy can be imported")
        members = ns.MODULES[module].members
        for alias in node.names:
            if alias.name == "*":
                raise self.refuse(node, _not_part(f"from {module} import *", False)
                                  + ": import the names you use")
            if alias.name not in members:
                raise self.refuse(node, _not_part(f"{module}.{alias.name}", False)
                                  + ns.suggest(alias.name, members))
            name = alias.asname or alias.name
            self.name_ok(alias, name)
            self.info.bind(name, node.lineno, "imported")
            self.info.import_targets.setdefault(name, set()).add(f"{module}.{alias.name}")

    def name_ok(self, node: ast.AST, name: str | None = None) -> None:
        name = name if name is not None else node.id
        if name.startswith("_"):
            raise self.refuse(node, _not_part(f"names starting with an underscore ({name})"))

    # -- expressions
    def expr(self, node: ast.expr, string_ok: bool = False) -> None:
        kind = type(node)
        if kind is ast.Constant:
            self.constant(node, string_ok)
        elif kind is ast.Name:
            self.name_ok(node)
            self.loads.append(node)
        elif kind is ast.BinOp:
            if type(node.op) not in _BINOPS:
                raise self.refuse(node, _not_part(_REFUSED_BINOPS.get(type(node.op), "this "
                                                                      "operator"), False))
            self.expr(node.left)
            self.expr(node.right)
        elif kind is ast.UnaryOp:
            if not isinstance(node.op, ast.USub | ast.UAdd):
                what = "not" if isinstance(node.op, ast.Not) else "the ~ operator"
                raise self.refuse(node, _not_part(what, False))
            self.expr(node.operand)
        elif kind is ast.Call:
            self.call(node)
        elif kind is ast.Attribute:
            if node.attr.startswith("_"):
                raise self.refuse(node, _not_part(f"attributes starting with an underscore "
                                                  f"(.{node.attr})"))
            if _dotted(node) is not None:
                self.chains.append(node)
            self.expr(node.value)
        elif kind is ast.Subscript:
            self.expr(node.value)
            self.index(node.slice)
        elif kind in (ast.List, ast.Tuple):
            for elt in node.elts:
                self.expr(elt)
        elif kind in _REFUSED_EXPRESSIONS:
            plural = kind not in (ast.IfExp, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom,
                                  ast.BoolOp)
            raise self.refuse(node, _not_part(_REFUSED_EXPRESSIONS[kind], plural))
        else:
            raise self.refuse(node, _not_part(f"this kind of expression ({kind.__name__})",
                                              False))

    def constant(self, node: ast.Constant, string_ok: bool) -> None:
        value = node.value
        if isinstance(value, str):
            if not string_ok:
                raise self.refuse(node, "strings are only part of chainrule's language as "
                                  "keyword values (reduction='sum') and inside print(...)")
        elif isinstance(value, bytes):
            raise self.refuse(node, _not_part("bytes literals"))
        elif isinstance(value, complex):
            raise self.refuse(node, _not_part("complex numbers"))
        elif value is Ellipsis:
            raise self.refuse(node, _not_part("... (Ellipsis)", False))

    def call(self, node: ast.Call) -> None:
        func = node.func
        is_print = isinstance(func, ast.Name) and func.id == "print"
        if isinstance(func, ast.Name):
            self.name_ok(func)
            self.calls.append(func)
        elif isinstance(func, ast.Attribute | ast.Call):
            self.expr(func)
        else:
            raise self.refuse(func, _not_part("calling this kind of expression", False))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.refuse(arg, _not_part("starred arguments (*args)"))
            self.expr(arg, string_ok=is_print)
        for kw in node.keywords:
            if kw.arg is None:
                raise self.refuse(kw, _not_part("keyword unpacking (**kwargs)", False))
            self.expr(kw.value, string_ok=True)

    def index(self, node: ast.expr) -> None:
        parts = node.elts if isinstance(node, ast.Tuple) else [node]
        for part in parts:
            if isinstance(part, ast.Slice):
                for bound in (part.lower, part.upper, part.step):
                    if bound is not None:
                        self.expr(bound)
            else:
                self.expr(part)

    # -- names, once the whole program is seen
    def resolve(self) -> None:
        bound = self.info.bindings
        for node in self.calls:
            name = node.id
            if name in bound or name in ns.BUILTINS or name == "print":
                continue
            if name in PYTHON_BUILTINS:
                raise self.refuse(node, _not_part(f"{name}()", False)
                                  + " (Python's built-in functions are not available)")
            options = [*ns.BUILTINS, "print", *bound]
            raise self.refuse(node, _not_part(f"{name}()", False) + ns.suggest(name, options))
        seen: set[str] = set()
        for node in self.loads:
            name = node.id
            if name in bound or name in MODULE_NAMES or name in seen:
                continue
            if name in PYTHON_BUILTINS:
                raise self.refuse(node, f"{name} is a Python built-in, which is not part of "
                                  "chainrule's language")
            seen.add(name)
            self.info.free.append(name)
        for node in self.chains:
            self.resolve_chain(node)

    def resolve_chain(self, node: ast.Attribute) -> None:
        """`torch.foo`, `F.relux`: module members are known before running, so refuse typos."""
        dotted = _dotted(node)
        root, *attrs = dotted
        targets = self.info.import_targets.get(root)
        if not targets or len(targets) != 1 or root in self.assigned_eq:
            return
        obj = resolve_path(next(iter(targets)))
        for i, attr in enumerate(attrs):
            if not isinstance(obj, ns.Module):
                return
            if attr not in obj.members:
                shown = ".".join([root, *attrs[:i]])
                close = ns.suggest(attr, obj.members).removeprefix("; did you mean ")
                hint = f"; did you mean {shown}.{close}" if close else ""
                raise self.refuse(node, _not_part(f"{shown}.{attr}", False) + hint)
            obj = obj.members[attr]


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


def resolve_path(path: str) -> object:
    """The value an import binds: a module table or one of its members."""
    if path in ns.MODULES:
        return ns.MODULES[path]
    module, _, member = path.rpartition(".")
    return ns.MODULES[module].members[member]
