"""The running half: execute the checked tree statement by statement, on the active tape.

Statements live here (assignment in all its forms, `if`/`for`/`while`, `def`, `try`, `with`,
`raise`, `assert`, imports); expressions in expressions.py. Control flow is shown to the
display through the tape's scope stack: each call of a user function runs inside a `call`
scope, each loop iteration inside a `loop` scope (engine/tensor.py, Scope).

Limits: the time limit is checked at every statement and every loop iteration; calls of user
functions nest at most MAX_CALL_DEPTH deep (Python's RecursionError, catchable as in Python);
strings and containers are capped by engine/lang/builtins.py. Limit errors, refusals and engine
bugs are never caught by a program's `try`.
"""

from __future__ import annotations

import ast
import itertools
import logging
import math
from typing import Any

import numpy as np
from chainrule.engine import autograd_api
from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.dialects import micrograd
from chainrule.engine.errors import (
    ArgumentError,
    ChainruleError,
    LimitError,
    NameProblem,
    RuntimeProblem,
)
from chainrule.engine.grad_mode import GradMode
from chainrule.engine.lang import builtins as pb
from chainrule.engine.lang.check import RULE_DECORATORS, Checked
from chainrule.engine.lang.classes import define_class
from chainrule.engine.lang.exceptions import Break, Continue, Return, as_raised, catches
from chainrule.engine.lang.expressions import Expressions, length_of
from chainrule.engine.lang.functions import Frame, UserFunction, bind_arguments, function_scope
from chainrule.engine.lang.modules import MODULE_NAMES, import_target
from chainrule.engine.lang.operators import SYMBOLS, binary
from chainrule.engine.nn.loop_memory import LoopMemory
from chainrule.engine.printing import label_text, short_text, type_name, value_text
from chainrule.engine.tensor import Scope, Span, Tape, Tensor, at_span, in_scope

log = logging.getLogger("chainrule.lang")

MAX_STDOUT_CHARS = 100_000
MAX_CALL_DEPTH = 60
_GRAD_MODE_FUNCTIONS = ("no_grad", "enable_grad", "inference_mode")
_UNSEEN = object()   # a node whose span was not looked up yet (a span may be None)



# Free variables start at distinct values, in order of first use (x*y's two local derivatives
# must not look the same, as they do when both are 1); positive, so log and sqrt are defined.
DEFAULT_INPUTS = (2.0, 3.0, 0.5, 1.5, 2.5, 4.0, 0.25, 5.0)


def default_input(k: int) -> float:
    """The starting value of the k-th free variable (0-based) when the request gives none."""
    return DEFAULT_INPUTS[k] if k < len(DEFAULT_INPUTS) else float(k - len(DEFAULT_INPUTS) + 6)

class InternalProblem(RuntimeProblem):
    """An unexpected Python exception inside the engine: a bug. `original` is the exception."""

    kind = "internal"
    catchable = False

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"internal error in chainrule ({type(original).__name__}: {original})")
        self.original = original


def internal(e: BaseException) -> ChainruleError:
    if isinstance(e, RecursionError | MemoryError):
        return LimitError("the program needs more memory or nesting than chainrule allows")
    log.error("internal error while running a program", exc_info=e)
    return InternalProblem(e)


def _loop_item_text(item: Any) -> str:
    """`label_text(item, 24)`, the loop label's value, without building a tensor's repr that
    cannot fit in 24 characters (`for p in model.parameters()` printed every parameter each
    time: 15% of a training loop). A PyTorch tensor's repr holds `requires_grad=True` or
    `grad_fn=<…>` once it requires grad, or at least 7 + 3n - 2 characters for n ≥ 7 numbers
    (`tensor([`, one character and `, ` per number); short_text then names its shape. Only
    plain tensors and parameters: a dialect's value class has its own repr."""
    if (type(item) is Tensor or getattr(type(item), "plain_tensor", False) is True) and \
            (item.requires_grad or item.data.size >= 7):
        return f"a tensor of shape {tuple(item.shape)}"
    return label_text(item, 24)


class Interpreter(Expressions):
    def __init__(self, checked: Checked, tape: Tape, inputs: dict[str, Any]) -> None:
        self.tree = checked.tree
        self.info = checked.info
        self.positions = checked.positions
        self.tape = tape
        self.inputs = inputs
        self.env: dict[str, Any] = {}
        self.how: dict[str, str] = {}            # name -> "assigned" | "imported" | "input"
        self.frame: Frame | None = None          # None: the program's top level
        self.free_values: dict[str, float] = {}
        self.stdout: list[str] = []
        self.stdout_chars = 0
        self.backward_calls = 0
        self.depth = 0
        self.handling: list[ChainruleError] = []
        self.notes: list[str] = []
        # The latest tensor each top-level assignment bound, most recent last: a loop's body
        # rebinds the same names every iteration, and a list of every binding kept each
        # iteration's tensors alive (a 2,000-step fit: 32 MB) for a question about the last.
        self.assigned_tensors: dict[Span | None, Tensor] = {}
        self._free = set(self.info.free)
        self._scope_ids = itertools.count(1)
        self._function_scopes: dict[int, Any] = {}
        self._dispatch = self._make_dispatch()
        self._spans: dict[ast.AST, Span | None] = {}
        self._statements: dict[type, Any] = {}
        self.print_function = ns.Function("print", self._print)
        self.autograd_grad = autograd_api.AUTOGRAD.get("grad")
        # Bare math functions of typed expressions (`sin(x)`), not of framework programs.
        self.expression_functions = {} if self.info.framework else ns.BUILTINS
        self._assume_imports()

    def span(self, node: ast.AST) -> Span | None:
        # Remembered per node: a loop evaluates the same nodes thousands of times and the
        # column arithmetic (check.Positions) cost ~10% of a training loop. Keyed by the node
        # itself (the dict keeps it alive, so no id is reused).
        spans = self._spans
        span = spans.get(node, _UNSEEN)
        if span is _UNSEEN:
            span = spans[node] = self.positions.span(node)
        return span

    def _assume_imports(self) -> None:
        if self.info.dialect == "micrograd":   # the notebooks' draw_dot(root): "show this"
            self.bind("draw_dot", ns.Function("draw_dot", micrograd.draw_dot), "imported")
        for name in self.info.assumed:
            line, path = MODULE_NAMES[name]
            self.bind(name, import_target(path), "imported")
            self.notes.append(f"Assumed `{line}`: the program uses {name} without importing "
                              "it.")

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
                    except (ChainruleError, Break, Continue, Return):
                        raise
                    except Exception as e:
                        raise internal(e) from e
            except ChainruleError as e:
                return e.at(span)
        return None

    def block(self, body: list[ast.stmt]) -> None:
        tape = self.tape   # the active tape while the program runs (engine/lang run_program)
        for stmt in body:
            tape.check_time()
            span = self.span(stmt)
            # at_span(span), inlined: even at_span's class costs ~0.45 µs more per statement
            saved, tape.span = tape.span, span
            try:
                self.statement(stmt)
            except ChainruleError as e:
                e.at(span)
                raise
            finally:
                tape.span = saved

    def statement(self, node: ast.stmt) -> None:
        kind = type(node)
        handler = self._statements.get(kind)
        if handler is None:
            handler = getattr(type(self), "s_" + kind.__name__, None)
            if handler is None:   # check.py refuses everything else before running
                raise RuntimeProblem(f"{kind.__name__} statements are not supported")
            self._statements[kind] = handler
        handler(self, node)

    def s_Expr(self, node: ast.Expr) -> None:  # noqa: N802 - named after the ast class
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self.expr(node.value)

    def s_Pass(self, node: ast.Pass) -> None:  # noqa: N802
        pass

    def s_Assign(self, node: ast.Assign) -> None:  # noqa: N802
        value = self.expr(node.value)
        for target in node.targets:
            self.assign_target(target, value)
        if self.frame is None and isinstance(value, Tensor) and \
                any(isinstance(t, ast.Name) for t in node.targets):
            self._assigned(value, self.span(node))

    def s_AnnAssign(self, node: ast.AnnAssign) -> None:  # noqa: N802
        if node.value is not None:
            value = self.expr(node.value)
            self.assign_target(node.target, value)
            if self.frame is None and isinstance(value, Tensor):
                self._assigned(value, self.span(node))

    def _assigned(self, value: Tensor, span: Span | None) -> None:
        assigned = self.assigned_tensors
        assigned.pop(span, None)   # re-inserted: the most recent last
        assigned[span] = value

    def s_AugAssign(self, node: ast.AugAssign) -> None:  # noqa: N802
        sym = SYMBOLS[type(node.op)]
        target = node.target
        if isinstance(target, ast.Name):
            old = self.lookup(target.id, target)
            self.store(target.id, self._augmented(old, sym, self.expr(node.value)))
        elif isinstance(target, ast.Attribute):
            obj = self.expr(target.value)
            old = pb.get_attribute(obj, target.attr)
            new = self._augmented(old, sym, self.expr(node.value))
            with at_span(self.span(target)):
                self.set_attribute(obj, target.attr, new)
        else:
            obj = self.expr(target.value)
            key = self.key(target.slice)
            old = self.get_item(obj, key)
            new = self._augmented(old, sym, self.expr(node.value))
            with at_span(self.span(target)):
                self.set_item(obj, key, new)

    def _augmented(self, old: Any, sym: str, value: Any) -> Any:
        """`old <sym>= value`: in place for tensors (PyTorch's add_ & co) and lists, as Python."""
        if isinstance(old, Tensor) and hasattr(type(old), "language_binary"):
            return binary(sym, old, value)   # micrograd's Value: `c += x` is `c = c + x`
        if isinstance(old, Tensor):
            augmented = getattr(autograd_api, "augmented", None)
            if augmented is None:
                return binary(sym, old, value)
            return augmented(old, sym, value)
        if isinstance(old, list) and sym == "+":
            items = pb.materialise(value)
            pb.check_items(len(old) + len(items))
            old.extend(items)
            return old
        return binary(sym, old, value)

    def assign_target(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.store(target.id, value)
        elif isinstance(target, ast.Tuple | ast.List):
            self._unpack(target, value)
        elif isinstance(target, ast.Attribute):
            obj = self.expr(target.value)
            span, tape = self.span(target), self.tape
            saved, tape.span = tape.span, span   # at_span(span), inlined (`p.grad = None`)
            try:
                self.set_attribute(obj, target.attr, value)
            except ChainruleError as e:
                e.at(span)
                raise
            finally:
                tape.span = saved
        elif isinstance(target, ast.Subscript):
            obj = self.expr(target.value)
            key = self.key(target.slice)
            with at_span(self.span(target)):
                self.set_item(obj, key, value)
        elif isinstance(target, ast.Starred):
            raise RuntimeProblem("starred assignment target must be in a list or tuple",
                                 python_type="SyntaxError")

    def _unpack(self, target: ast.Tuple | ast.List, value: Any) -> None:
        items = pb.materialise(value, "tuple")
        starred = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
        n = len(target.elts)
        with at_span(self.span(target)):
            if not starred:
                if len(items) > n:
                    raise ArgumentError(f"too many values to unpack (expected {n})",
                                        python_type="ValueError")
                if len(items) < n:
                    raise ArgumentError(f"not enough values to unpack (expected {n}, got "
                                        f"{len(items)})", python_type="ValueError")
                for elt, item in zip(target.elts, items, strict=True):
                    self.assign_target(elt, item)
                return
            s = starred[0]
            after = n - s - 1
            if len(items) < n - 1:
                raise ArgumentError(f"not enough values to unpack (expected at least {n - 1}, "
                                    f"got {len(items)})", python_type="ValueError")
        for elt, item in zip(target.elts[:s], items[:s], strict=True):
            self.assign_target(elt, item)
        self.assign_target(target.elts[s].value, items[s:len(items) - after])
        for elt, item in zip(target.elts[s + 1:], items[len(items) - after:], strict=True):
            self.assign_target(elt, item)

    def set_attribute(self, obj: Any, attr: str, value: Any) -> None:
        own = getattr(type(obj), "language_setattr", None)   # classes, modules (engine/nn)
        if own is not None:
            own(obj, attr, value)
            return
        own = getattr(type(obj), "language_set_attribute", None)
        if own is not None:   # a dialect's value (micrograd's `p.data -= lr * p.grad`)
            own(obj, attr, value)
            return
        if not isinstance(obj, Tensor):
            raise ArgumentError(f"'{type_name(obj)}' object attribute '{attr}' cannot be set in "
                                "chainrule", python_type="AttributeError")
        autograd_api.set_attribute(obj, attr, value)   # with PyTorch's checks and words

    def set_item(self, obj: Any, key: Any, value: Any) -> None:
        if isinstance(obj, Tensor):
            setitem = getattr(autograd_api, "setitem", None)
            if setitem is None:
                raise RuntimeProblem("assigning into a tensor (x[i] = ...) is not supported yet")
            setitem(obj, key, value)
        elif isinstance(obj, list):
            if isinstance(key, slice):
                items = pb.materialise(value)
                pb.check_items(len(obj) + len(items))
                obj[key] = items
                return
            index = key if isinstance(key, int) else pb.as_index(key)
            try:
                obj[index] = value
            except IndexError:
                raise RuntimeProblem("list assignment index out of range",
                                     python_type="IndexError") from None
        elif isinstance(obj, dict):
            pb.check_hashable(key)
            obj[key] = value
            pb.check_items(len(obj), "dict")
        else:
            raise ArgumentError(f"'{type_name(obj)}' object does not support item assignment")

    def s_Delete(self, node: ast.Delete) -> None:  # noqa: N802
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.delete(target.id)
            elif isinstance(target, ast.Subscript):
                obj = self.expr(target.value)
                key = self.key(target.slice)
                if isinstance(obj, dict):
                    pb.check_hashable(key)
                    if key not in obj:
                        raise RuntimeProblem(short_text(key), python_type="KeyError")
                    del obj[key]
                elif isinstance(obj, list):
                    try:
                        del obj[key if isinstance(key, slice) else pb.as_index(key)]
                    except IndexError:
                        raise RuntimeProblem("list assignment index out of range",
                                             python_type="IndexError") from None
                else:
                    raise ArgumentError(f"'{type_name(obj)}' object doesn't support item "
                                        "deletion")
            else:
                raise ArgumentError("only names and items can be deleted in chainrule")

    def s_Import(self, node: ast.Import) -> None:  # noqa: N802
        for alias in node.names:
            name = alias.asname or alias.name.split(".")[0]
            self.store_import(name, import_target(alias.name if alias.asname else name))

    def s_ImportFrom(self, node: ast.ImportFrom) -> None:  # noqa: N802
        for alias in node.names:
            self.store_import(alias.asname or alias.name,
                              import_target(f"{node.module}.{alias.name}"))

    def store_import(self, name: str, value: Any) -> None:
        if self.frame is None:
            self.bind(name, value, "imported")
        else:
            self.store(name, value)

    def bind(self, name: str, value: Any, how: str) -> None:
        self.env[name] = value
        self.how[name] = how

    # -- control flow
    def s_If(self, node: ast.If) -> None:  # noqa: N802
        self.block(node.body if pb.truth(self.expr(node.test)) else node.orelse)

    def s_For(self, node: ast.For) -> None:  # noqa: N802
        iterable = self.expr(node.iter)
        count = length_of(iterable)
        target = self.positions.text(node.target)
        span = self.span(node)
        tape = self.tape
        with at_span(self.span(node.iter)):
            items = pb.iterate(iterable)
        k = 0
        memory = self._loop_memory()
        iter_span = self.span(node.iter)
        while True:
            # at_span(iter_span) around next(), written out: a context manager per iteration
            # is a fair share of a training loop's iteration
            saved, tape.span = tape.span, iter_span
            try:
                item = next(items)
            except StopIteration:
                break
            except ChainruleError as e:
                e.at(iter_span)
                raise
            finally:
                tape.span = saved
            k += 1
            tape.check_time()
            label = f"{target} = {_loop_item_text(item)}"
            scope = Scope("loop", label, span, k, count, next(self._scope_ids))
            if not self._iteration(scope, node.body, node.target, item, memory):
                self._loop_done(memory)
                return
        self._loop_done(memory)
        self.block(node.orelse)

    def s_While(self, node: ast.While) -> None:  # noqa: N802
        span = self.span(node)
        k = 0
        tape = self.tape
        memory = self._loop_memory()
        while pb.truth(self.expr(node.test)):
            k += 1
            tape.check_time()
            scope = Scope("loop", f"iteration {k}", span, k, None, next(self._scope_ids))
            if not self._iteration(scope, node.body, memory=memory):
                break
        else:
            self._loop_done(memory)
            self.block(node.orelse)
            return
        self._loop_done(memory)

    def _iteration(self, scope: Scope, body: list[ast.stmt], target: ast.expr | None = None,
                   item: Any = None, memory: LoopMemory | None = None) -> bool:
        """One pass of a loop's body in its scope; False when the body breaks out."""
        if memory is not None:
            memory.before()
        tape = self.tape
        saved = tape.scope
        tape.scope = (*saved, scope)   # in_scope(scope), written out (see s_For)
        try:
            if target is not None:
                self.assign_target(target, item)
            self.block(body)
        except Break:
            return False
        except Continue:
            pass
        finally:
            tape.scope = saved
        if memory is not None:
            memory.after(scope)
        return True

    @staticmethod
    def _loop_done(memory: LoopMemory | None) -> None:
        if memory is not None:
            memory.finish()

    def _loop_memory(self) -> LoopMemory | None:
        """A top-level loop forgets what its finished iterations no longer reach
        (engine/nn/loop_memory.py)."""
        if self.frame is not None or any(s.kind == "loop" for s in self.tape.scope):
            return None
        return LoopMemory(self, self.tape)

    def s_Break(self, node: ast.Break) -> None:  # noqa: N802
        raise Break

    def s_Continue(self, node: ast.Continue) -> None:  # noqa: N802
        raise Continue

    def s_Return(self, node: ast.Return) -> None:  # noqa: N802
        raise Return(None if node.value is None else self.expr(node.value))

    def s_Global(self, node: ast.Global) -> None:  # noqa: N802
        pass   # decided before running (functions.function_scope)

    s_Nonlocal = s_Global  # noqa: N815

    def s_Assert(self, node: ast.Assert) -> None:  # noqa: N802
        if not pb.truth(self.expr(node.test)):
            message = "" if node.msg is None else value_text(self.expr(node.msg), 2_000)
            raise RuntimeProblem(message, python_type="AssertionError")

    def s_Raise(self, node: ast.Raise) -> None:  # noqa: N802
        if node.exc is None:
            if not self.handling:
                raise RuntimeProblem("No active exception to reraise")
            raise self.handling[-1]
        error = as_raised(self.expr(node.exc))
        if node.cause is not None:
            self.expr(node.cause)
        raise error

    def s_Try(self, node: ast.Try) -> None:  # noqa: N802
        try:
            try:
                self.block(node.body)
            except ChainruleError as e:
                if not e.catchable or isinstance(e, InternalProblem):
                    raise
                handler = self._handler(node, e)
                if handler is None:
                    raise
                self._handle(handler, e)
            else:
                self.block(node.orelse)
        finally:
            self.block(node.finalbody)

    def _handler(self, node: ast.Try, error: ChainruleError) -> ast.ExceptHandler | None:
        for handler in node.handlers:
            if handler.type is None:
                return handler
            with at_span(self.span(handler.type)):
                if catches(self.expr(handler.type), error):
                    return handler
        return None

    def _handle(self, handler: ast.ExceptHandler, error: ChainruleError) -> None:
        if handler.name:
            self.store(handler.name, error)
        self.handling.append(error)
        try:
            self.block(handler.body)
        finally:
            self.handling.pop()
            if handler.name:   # Python deletes the name when the handler ends
                scope = self.frame.vars if self.frame is not None else self.env
                scope.pop(handler.name, None)

    def s_With(self, node: ast.With) -> None:  # noqa: N802
        entered: list[Any] = []
        try:
            for item in node.items:
                value = self.expr(item.context_expr)
                with at_span(self.span(item.context_expr)):
                    mode = _context(value)
                    bound = mode.enter()   # a grad mode binds None, as PyTorch's do
                entered.append(mode)
                if item.optional_vars is not None:
                    self.assign_target(item.optional_vars, bound)
            self.block(node.body)
        finally:
            for mode in reversed(entered):
                mode.exit()

    # -- functions and classes
    def s_ClassDef(self, node: ast.ClassDef) -> None:  # noqa: N802
        define_class(self, node)

    def s_FunctionDef(self, node: ast.FunctionDef) -> None:  # noqa: N802
        function: Any = self.make_function(node.name, node)
        for deco in reversed(node.decorator_list):
            value = self.expr(deco)
            with at_span(self.span(deco)):
                if isinstance(value, ns.Function | ns.BoundMethod) and \
                        value.name.rsplit(".", 1)[-1] in RULE_DECORATORS:
                    function = ns.call(value, (function,), {})   # the framework's wrapper
                    continue
                if isinstance(value, ns.Function) and value.name in _GRAD_MODE_FUNCTIONS:
                    value = ns.call(value, (), {})   # `@torch.no_grad` without parentheses
                if not isinstance(value, GradMode) or not hasattr(function, "modes"):
                    raise RuntimeProblem("only @torch.no_grad(), @torch.enable_grad() and "
                                         "@torch.inference_mode() can decorate a function in "
                                         "chainrule")
            function.modes.insert(0, value)
        self.store(node.name, function)

    def make_function(self, name: str, node: ast.FunctionDef | ast.Lambda) -> UserFunction:
        args = node.args
        defaults = tuple(self.expr(d) for d in args.defaults)
        kw_defaults = {a.arg: self.expr(d) for a, d in zip(args.kwonlyargs, args.kw_defaults,
                                                            strict=True) if d is not None}
        return UserFunction(name, node, self.frame, defaults, kw_defaults, self)

    def call_user(self, function: UserFunction, args: tuple, kwargs: dict,
                  call: ast.Call | None) -> Any:
        node = function.node
        scope = self._function_scopes.get(id(node))
        if scope is None:
            scope = self._function_scopes[id(node)] = function_scope(node)
        bound = bind_arguments(function, args, kwargs)
        if self.depth >= MAX_CALL_DEPTH:
            # A limit, never caught by the program's own `except` (Python's RecursionError
            # is a RuntimeError a program could catch; the limit protecting the server is not).
            raise LimitError("maximum recursion depth exceeded", python_type="RecursionError")
        frame = Frame(bound, scope.local, function.closure, scope.globals_declared,
                      scope.nonlocals_declared)
        if call is not None:
            label, span = self.positions.text(call), self.span(call)
        else:
            label, span = f"{function.name}(…)", self.span(node)
        frame.method = function   # super() finds its class (engine/lang/classes.py)
        saved = self.frame
        self.frame = frame
        self.depth += 1
        entered: list[GradMode] = []
        try:
            for mode in function.modes:
                mode.enter()
                entered.append(mode)
            if len(label) > 60:
                label = label[:59] + "…"
            with in_scope(Scope("call", label, span, None, None,
                                next(self._scope_ids))):
                if isinstance(node, ast.Lambda):
                    return self.expr(node.body)
                try:
                    self.block(node.body)
                except Return as r:
                    return r.value
                return None
        finally:
            for mode in reversed(entered):
                mode.exit()
            self.depth -= 1
            self.frame = saved

    # -- print
    def _print(self, *values: Any, sep: Any = " ", end: Any = "\n", file: Any = None,
               flush: Any = False) -> None:
        if file is not None:
            raise ArgumentError("print(file=...) is not supported in chainrule: output goes to "
                                "the Printed panel")
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        for what, v in (("sep", sep), ("end", end)):
            if not isinstance(v, str):
                raise ArgumentError(f"{what} must be None or a string, not {type_name(v)}")
        if file is not None:   # no value of the language has a write() method
            raise NameProblem(f"'{type_name(file)}' object has no attribute 'write'",
                              python_type="AttributeError")
        room = MAX_STDOUT_CHARS - self.stdout_chars
        pieces: list[str] = []
        used = 0
        for i, v in enumerate(values):
            text = (sep if i else "") + value_text(v, max(room - used, 0))
            used += len(text)
            pieces.append(text)
            if used > room:
                break
        text = "".join(pieces) + end
        self.stdout_chars += len(text)
        if self.stdout_chars > MAX_STDOUT_CHARS:
            raise LimitError(f"the program printed more than {MAX_STDOUT_CHARS:,} characters")
        self.stdout.append(text)
        if text:     # where the output stands on the tape: the page prints it at that step
            self.tape.emit({"type": "print", "chars": self.stdout_chars})

    # -- free variables of typed expressions
    def free_variable(self, name: str) -> Tensor:
        raw = self.inputs.get(name, default_input(len(self.free_values)))
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

    # -- results
    def variables(self) -> dict[str, Any]:
        return {k: v for k, v in self.env.items() if self.how.get(k) != "imported"}

    def implicit_root(self) -> tuple[Tensor, Span | None] | None:
        for span, t in reversed(self.assigned_tensors.items()):
            if t.requires_grad:
                return t, span
        return None

    def offered_backward(self) -> str | None:
        """The name of the last top-level scalar tensor that requires grad (a framework program
        that never called backward gets the offer to run its backward pass)."""
        if self.info.dialect != "torch":   # a tape or grad() is that framework's backward
            return None
        for t in reversed(self.assigned_tensors.values()):
            if t.requires_grad and t.numel() == 1 and t.name and self.env.get(t.name) is t:
                return t.name
        return None


def _context(value: Any) -> Any:
    """What a `with` enters: a grad mode, or a dialect's context (a TensorFlow tape)."""
    if isinstance(value, GradMode) or getattr(type(value), "language_context", False):
        return value
    raise ArgumentError(f"'{type_name(value)}' object does not support the context manager "
                        "protocol (chainrule's with blocks take torch.no_grad(), "
                        "torch.enable_grad(), torch.set_grad_enabled(...) and "
                        "torch.inference_mode())")

