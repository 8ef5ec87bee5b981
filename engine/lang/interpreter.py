"""The running half: evaluate the checked tree statement by statement, on the active tape.

Every expression is evaluated inside `at_span(span of that node)`, so each op recorded and each
tensor created carries the innermost expression's source span, and an error raised anywhere
below gets that span too. Python exceptions that are not ChainruleErrors are engine bugs: they
become an `InternalProblem` (kind "internal") at the innermost span and are logged.

Python numbers: `number ⊕ number` follows Python (ints stay ints while they fit in 64 bits,
division by zero raises "division by zero"), computed so that it can never hang or overflow:
`10 ** 10 ** 10` is the float `inf`, and a negative base to a fractional power is `nan` (as a
tensor would give) rather than Python's complex number.
"""

from __future__ import annotations

import ast
import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from engine import functional as fn
from engine import namespace as ns
from engine.errors import ArgumentError, ChainruleError, LimitError, NameProblem, RuntimeProblem
from engine.lang.check import MODULE_NAMES, Checked, resolve_path
from engine.printing import value_text
from engine.tensor import Span, Tape, Tensor, at_span

log = logging.getLogger("chainrule.lang")

INT_LIMIT = 2 ** 63
MAX_STDOUT_CHARS = 100_000


class InternalProblem(RuntimeProblem):
    """An unexpected Python exception inside the engine: a bug. `original` is the exception."""

    kind = "internal"

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"internal error in chainrule ({type(original).__name__}: {original})")
        self.original = original


def internal(e: BaseException) -> ChainruleError:
    if isinstance(e, RecursionError | MemoryError):
        return LimitError("the program needs more memory or nesting than chainrule allows")
    log.error("internal error while running a program", exc_info=e)
    return InternalProblem(e)


# ---------------------------------------------------------------- Python numbers


def _plain(x: Any) -> int | float:
    if isinstance(x, bool | np.bool_):
        return int(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def _to_float(x: int | float) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _fit(x: int | float) -> int | float:
    """Keep ints within 64 bits: larger ones become floats (as they would in a tensor)."""
    if isinstance(x, int) and not -INT_LIMIT <= x < INT_LIMIT:
        return _to_float(x)
    return x


def number_op(sym: str, a: Any, b: Any) -> int | float:
    a, b = _plain(a), _plain(b)
    both_int = isinstance(a, int) and isinstance(b, int)
    if sym == "/" and b == 0:
        raise RuntimeProblem("division by zero")
    if sym == "**" and a == 0 and b < 0:
        raise RuntimeProblem("0.0 cannot be raised to a negative power")
    fa, fb = np.float64(_to_float(a)), np.float64(_to_float(b))
    with np.errstate(all="ignore"):
        if sym == "/":
            return float(fa / fb)
        if sym == "**":
            estimate = float(np.power(fa, fb))
            if both_int and b >= 0 and math.isfinite(estimate) and abs(estimate) < INT_LIMIT:
                return a ** b   # small result, so this is quick
            return estimate
        if both_int:
            return _fit({"+": a + b, "-": a - b, "*": a * b}[sym])
        return float({"+": fa + fb, "-": fa - fb, "*": fa * fb}[sym])


_TENSOR_OPS: dict[str, Callable[[Any, Any], Tensor]] = {
    "+": fn.add, "-": fn.sub, "*": fn.mul, "/": fn.div_operator, "**": fn.pow, "@": fn.matmul}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
            ast.MatMult: "@"}


def binary(sym: str, a: Any, b: Any) -> Any:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        for x in (a, b):
            if not isinstance(x, Tensor) and not fn.is_number(x):
                raise ArgumentError(f"cannot apply {sym} to {ns.describe(a)} and "
                                    f"{ns.describe(b)}")
        ns.check_result(f"this {sym}", a, b, matmul=sym == "@")
        return _TENSOR_OPS[sym](a, b)
    if fn.is_number(a) and fn.is_number(b) and sym != "@":
        return number_op(sym, a, b)
    raise ArgumentError(f"cannot apply {sym} to {ns.describe(a)} and {ns.describe(b)}")


# ---------------------------------------------------------------- the interpreter


class Interpreter:
    def __init__(self, checked: Checked, tape: Tape, inputs: dict[str, Any]) -> None:
        self.tree = checked.tree
        self.info = checked.info
        self.positions = checked.positions
        self.tape = tape
        self.inputs = inputs
        self.env: dict[str, Any] = {}
        self.how: dict[str, str] = {}            # name -> "assigned" | "imported" | "input"
        self.free_values: dict[str, float] = {}
        self.stdout: list[str] = []
        self.stdout_chars = 0
        self.backward_calls = 0
        self.assigned_tensors: list[tuple[Tensor, Span | None]] = []
        self._free = set(self.info.free)
        self._dispatch: dict[type, Callable[[Any], Any]] = {
            ast.Name: self.name, ast.BinOp: self.binop, ast.UnaryOp: self.unaryop,
            ast.Call: self.call, ast.Attribute: self.attribute, ast.Subscript: self.subscript,
            ast.List: self.sequence, ast.Tuple: self.sequence, ast.Constant: self.constant,
        }

    def span(self, node: ast.AST) -> Span | None:
        return self.positions.span(node)

    # -- statements
    def run(self) -> ChainruleError | None:
        """Run every statement; the first error stops the program and is returned."""
        for stmt in self.tree.body:
            span = self.span(stmt)
            try:
                with at_span(span):
                    self.tape.check_time()
                    try:
                        self.statement(stmt)
                    except ChainruleError:
                        raise
                    except Exception as e:
                        raise internal(e) from e
            except ChainruleError as e:
                return e.at(span)
        return None

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr):
            if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                self.expr(node.value)
        elif isinstance(node, ast.Assign):
            value = self.expr(node.value)
            for target in node.targets:
                self.assign(target, value, node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                self.bind(name, resolve_path(alias.name if alias.asname else name), "imported")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self.bind(alias.asname or alias.name,
                          resolve_path(f"{node.module}.{alias.name}"), "imported")

    def assign(self, target: ast.expr, value: Any, stmt: ast.Assign) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, Tensor):
                if value.name is None:
                    value.name = target.id
                self.assigned_tensors.append((value, self.span(stmt)))
            self.bind(target.id, value, "assigned")
            return
        obj = self.expr(target.value)   # x.requires_grad = ... / x.grad = ...
        with at_span(self.span(target)):
            if not isinstance(obj, Tensor):
                raise ArgumentError(f"only a tensor's .{target.attr} can be set, not that of "
                                    f"{ns.describe(obj)}")
            if target.attr == "requires_grad":
                ns.set_requires_grad(obj, value)
            else:
                ns.set_grad(obj, value)

    def bind(self, name: str, value: Any, how: str) -> None:
        self.env[name] = value
        self.how[name] = how

    # -- expressions
    def expr(self, node: ast.expr) -> Any:
        if type(node) is ast.Constant:
            return self.constant(node)
        with at_span(self.span(node)):
            try:
                return self._dispatch[type(node)](node)
            except ChainruleError:
                raise
            except Exception as e:
                raise internal(e) from e

    def constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool):
            return _fit(value)
        return value

    def name(self, node: ast.Name) -> Any:
        name = node.id
        if name in self.env:
            return self.env[name]
        if name in self._free:
            return self.free_variable(name)
        first = self.info.first_binding(name)
        if first is not None:
            line, how = first
            raise NameProblem(f"{name} is used on line {node.lineno} before it is {how} on line "
                              f"{line}")
        if name in MODULE_NAMES:
            raise NameProblem(f"name '{name}' is not defined: add `{MODULE_NAMES[name]}` at the "
                              "top")
        raise NameProblem(f"name '{name}' is not defined")

    def free_variable(self, name: str) -> Tensor:
        raw = self.inputs.get(name, 1.0)
        if isinstance(raw, bool) or not fn.is_number(raw):
            raise ArgumentError(f"the input value for {name} must be a number, got "
                                f"{ns.describe(raw)}")
        value = float(raw)
        if not math.isfinite(value):   # JSON (the trace's `inputs`) has no nan or inf
            raise ArgumentError(f"the input value for {name} must be a finite number, got "
                                f"{value!r}")
        t = Tensor(np.float64(value), requires_grad=True, origin="input")
        t.name = name
        self.free_values[name] = value
        self.bind(name, t, "input")
        return t

    def binop(self, node: ast.BinOp) -> Any:
        left = self.expr(node.left)
        right = self.expr(node.right)
        return binary(_SYMBOLS[type(node.op)], left, right)

    def unaryop(self, node: ast.UnaryOp) -> Any:
        value = self.expr(node.operand)
        if isinstance(value, Tensor):
            return fn.neg(value) if isinstance(node.op, ast.USub) else value
        if not fn.is_number(value):
            sym = "-" if isinstance(node.op, ast.USub) else "+"
            raise ArgumentError(f"cannot apply unary {sym} to {ns.describe(value)}")
        value = _plain(value)
        return _fit(-value) if isinstance(node.op, ast.USub) else value

    def sequence(self, node: ast.List | ast.Tuple) -> Any:
        items = [self.expr(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)

    def attribute(self, node: ast.Attribute) -> Any:
        return ns.get_attribute(self.expr(node.value), node.attr)

    def call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name) and func.id not in self.env:
            if func.id == "print":
                return self.print_(node)
            target = ns.BUILTINS.get(func.id) or self.name(func)
        else:
            target = self.expr(func)
        args = tuple(self.expr(a) for a in node.args)
        kwargs = {kw.arg: self.expr(kw.value) for kw in node.keywords}
        self.tape.check_time()
        if not isinstance(target, ns.CALLABLE):
            shown = func.id if isinstance(func, ast.Name) else ast.unparse(func)
            raise ArgumentError(f"{shown} is {ns.describe(target)}, not a function")
        if isinstance(target, ns.BoundMethod) and \
                target.function is ns.TENSOR_METHODS["backward"]:
            self.backward_calls += 1
        return ns.call(target, args, kwargs)

    def print_(self, node: ast.Call) -> None:
        args = [self.expr(a) for a in node.args]
        kwargs = {kw.arg: self.expr(kw.value) for kw in node.keywords}
        self.tape.check_time()
        ns.bind_call("print", _print_signature, tuple(args), kwargs)
        sep = " " if kwargs.get("sep") is None else kwargs["sep"]
        end = "\n" if kwargs.get("end") is None else kwargs["end"]
        for what, v in (("sep", sep), ("end", end)):
            if not isinstance(v, str):
                raise ArgumentError(f"print() {what} must be a string, got {ns.describe(v)}")
        text = sep.join(value_text(a) for a in args) + end
        self.stdout_chars += len(text)
        if self.stdout_chars > MAX_STDOUT_CHARS:
            raise LimitError(f"the program printed more than {MAX_STDOUT_CHARS:,} characters")
        self.stdout.append(text)

    def subscript(self, node: ast.Subscript) -> Any:
        obj = self.expr(node.value)
        key = self.key(node.slice)
        if isinstance(obj, Tensor):
            return fn.index(obj, key)
        if isinstance(obj, tuple | list):
            if not isinstance(key, int | slice):
                raise ArgumentError(f"{ns.describe(obj)} can only be indexed by a whole number "
                                    "or a slice")
            if isinstance(key, slice) and key.step == 0:
                raise ArgumentError("slice step cannot be zero")
            try:
                found = obj[key]
            except IndexError:
                raise RuntimeProblem(f"index {key} is out of range for {value_text(obj)}") \
                    from None
            return ns.Size(found) if isinstance(obj, ns.Size) and isinstance(key, slice) \
                else found
        raise ArgumentError(f"{ns.describe(obj)} cannot be indexed")

    def key(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Tuple):
            return tuple(self.key_part(p) for p in node.elts)
        return self.key_part(node)

    def key_part(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            bounds = [None if b is None else self.index_int(b)
                      for b in (node.lower, node.upper, node.step)]
            return slice(*bounds)
        value = self.expr(node)
        if isinstance(value, np.integer):
            value = int(value)
        return value

    def index_int(self, node: ast.expr) -> int | None:
        value = self.expr(node)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            with at_span(self.span(node)):
                raise ArgumentError(f"slice bounds must be whole numbers, got "
                                    f"{ns.describe(value)}")
        return int(value)

    # -- results
    def variables(self) -> dict[str, Any]:
        return {k: v for k, v in self.env.items() if self.how.get(k) != "imported"}

    def implicit_root(self) -> tuple[Tensor, Span | None] | None:
        for t, span in reversed(self.assigned_tensors):
            if t.requires_grad:
                return t, span
        return None


def _print_signature(*values: Any, sep: Any = " ", end: Any = "\n") -> None:
    """The arguments print() accepts."""
