"""Evaluating expressions: names through the scopes, operators, calls, attributes, indexing,
literals, comprehensions, lambdas and f-strings. A mixin of the Interpreter (interpreter.py),
which owns the frames and the statements.

Every expression is evaluated inside `at_span(span of that node)`, so each op recorded and each
tensor created carries the innermost expression's source span, and an error raised anywhere
below gets that span too. Python exceptions that are not ChainruleErrors are engine bugs: they
become an `InternalProblem` at the innermost span and are logged.
"""

from __future__ import annotations

import ast
import difflib
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError, ChainruleError, NameProblem, RuntimeProblem
from chainrule.engine.lang import builtins as pb
from chainrule.engine.lang import formatting
from chainrule.engine.lang.classes import CLASS_BUILTINS
from chainrule.engine.lang.exceptions import EXCEPTION_CLASSES, Signal
from chainrule.engine.lang.functions import Frame, UserFunction, comprehension_locals
from chainrule.engine.lang.operators import SYMBOLS, binary, fit, unary
from chainrule.engine.printing import label_text, type_name, value_repr
from chainrule.engine.tensor import Scope, Tensor, at_span, in_scope

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class Expressions:
    """Expression evaluation; `self` is the Interpreter."""

    def _make_dispatch(self) -> dict[type, Any]:
        return {
            ast.Name: self.name, ast.BinOp: self.binop, ast.UnaryOp: self.unaryop,
            ast.BoolOp: self.boolop, ast.Compare: self.compare, ast.IfExp: self.ifexp,
            ast.Call: self.call, ast.Attribute: self.attribute, ast.Subscript: self.subscript,
            ast.List: self.sequence, ast.Tuple: self.sequence, ast.Set: self.sequence,
            ast.Dict: self.dict_, ast.Constant: self.constant, ast.JoinedStr: self.fstring,
            ast.Lambda: self.lambda_, ast.NamedExpr: self.named, ast.ListComp: self.comprehend,
            ast.SetComp: self.comprehend, ast.DictComp: self.comprehend,
            ast.GeneratorExp: self.comprehend, ast.Starred: self.starred_alone,
            ast.Slice: self.slice_alone,
        }

    def expr(self, node: ast.expr) -> Any:
        kind = type(node)
        if kind is ast.Constant:
            return self.constant(node)
        span = self.span(node)
        # at_span(span), inlined (the interpreter's tape is the active one): a context manager
        # per expression was a tenth of a training loop's time.
        tape = self.tape
        saved, tape.span = tape.span, span
        try:
            return self._dispatch[kind](node)
        except ChainruleError as e:
            e.at(span)
            raise
        except Signal:
            raise
        except Exception as e:
            from chainrule.engine.lang.interpreter import internal
            raise internal(e).at(span) from e
        finally:
            tape.span = saved

    def constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool):
            return fit(value)
        return value

    # -- names
    def name(self, node: ast.Name) -> Any:
        return self.lookup(node.id, node)

    def lookup(self, name: str, node: ast.AST | None = None) -> Any:
        frame = self.frame
        if frame is not None:
            if name in frame.local:
                if name in frame.vars:
                    return frame.vars[name]
                raise NameProblem(f"cannot access local variable '{name}' where it is not "
                                  "associated with a value", python_type="UnboundLocalError")
            outer = frame.parent
            while outer is not None:
                if name in outer.local:
                    if name in outer.vars:
                        return outer.vars[name]
                    raise NameProblem(f"cannot access free variable '{name}' where it is not "
                                      "associated with a value in enclosing scope")
                outer = outer.parent
        env = self.env
        if name in env:
            return env[name]
        found = self.known_global(name)
        if found is not None:
            return found
        if name in self._free:
            return self.free_variable(name)
        raise NameProblem(self.name_error(name))

    def known_global(self, name: str) -> Any:
        if name == "print":
            return self.print_function
        for table in (pb.PYTHON_BUILTINS, EXCEPTION_CLASSES, CLASS_BUILTINS,
                      self.expression_functions):
            if name in table:
                return table[name]
        return None

    def name_error(self, name: str) -> str:
        message = f"name '{name}' is not defined"
        visible = set(self.env) | set(pb.PYTHON_BUILTINS) | set(EXCEPTION_CLASSES)
        frame = self.frame
        while frame is not None:
            visible |= set(frame.vars)
            frame = frame.parent
        close = difflib.get_close_matches(name, sorted(visible), n=1, cutoff=0.7)
        if close:
            return f"{message}. Did you mean: '{close[0]}'?"
        first = self.info.first_binding(name)
        if first is not None:
            line, how = first
            return f"{message} (it is {how} later, on line {line})"
        return message

    def store(self, name: str, value: Any) -> None:
        frame = self.frame
        if frame is not None and name not in frame.globals_declared:
            if name in frame.nonlocals_declared:
                outer = frame.parent
                while outer is not None and name not in outer.local:
                    outer = outer.parent
                if outer is not None:
                    outer.vars[name] = value
                    return
            frame.vars[name] = value
        else:
            self.bind(name, value, "assigned")
        if isinstance(value, Tensor) and value.name is None:
            value.name = name

    def delete(self, name: str) -> None:
        frame = self.frame
        scope = frame.vars if frame is not None and name in frame.local else self.env
        if name not in scope:
            raise NameProblem(f"name '{name}' is not defined")
        del scope[name]
        self.how.pop(name, None)

    # -- operators
    def binop(self, node: ast.BinOp) -> Any:
        left = self.expr(node.left)
        right = self.expr(node.right)
        return binary(SYMBOLS[type(node.op)], left, right)

    def unaryop(self, node: ast.UnaryOp) -> Any:
        return unary(node.op, self.expr(node.operand), pb.truth)

    def boolop(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value = None
        for operand in node.values:
            value = self.expr(operand)
            if pb.truth(value) != is_and:
                return value
        return value

    def compare(self, node: ast.Compare) -> Any:
        left = self.expr(node.left)
        result: Any = True
        last = len(node.ops) - 1
        for i, (op, comparator) in enumerate(zip(node.ops, node.comparators, strict=True)):
            right = self.expr(comparator)
            result = pb.compare(op, left, right)
            if i < last and not pb.truth(result):
                return result
            left = right
        return result

    def ifexp(self, node: ast.IfExp) -> Any:
        return self.expr(node.body) if pb.truth(self.expr(node.test)) else self.expr(node.orelse)

    # -- calls
    def call(self, node: ast.Call) -> Any:
        target = self.expr(node.func)
        args: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                with at_span(self.span(a)):
                    args.extend(pb.materialise(self.expr(a.value), "argument list"))
            else:
                args.append(self.expr(a))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            value = self.expr(kw.value)
            if kw.arg is not None:
                kwargs[kw.arg] = value
                continue
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                raise ArgumentError("argument after ** must be a mapping with string keys, not "
                                    f"{type_name(value)}")
            kwargs.update(value)
        self.tape.check_time()
        return self.call_value(target, tuple(args), kwargs, node)

    def call_value(self, target: Any, args: tuple, kwargs: dict, node: ast.Call | None) -> Any:
        if getattr(target, "user_function", False) and isinstance(target, UserFunction):
            return self.call_user(target, args, kwargs, node)
        own = getattr(type(target), "program_call", None)   # classes, modules (engine/nn)
        if own is not None:
            return own(target, self, args, kwargs, node)
        if isinstance(target, ns.CALLABLE):
            if self._is_backward(target):
                self.backward_calls += 1
            return ns.call(target, args, kwargs)
        if getattr(target, "user_function", False):
            return target(*args, **kwargs)
        own = getattr(type(target), "language_call", None)
        if own is not None:   # micrograd's Neuron/Layer/MLP objects: `n(x)`
            return own(target, *args, **kwargs)
        raise ArgumentError(f"'{type_name(target)}' object is not callable")

    def _is_backward(self, target: Any) -> bool:
        if isinstance(target, ns.BoundMethod):
            return target.function is ns.TENSOR_METHODS.get("backward")
        return isinstance(target, ns.Function) and target.impl is self.autograd_grad

    # -- attributes and items
    def attribute(self, node: ast.Attribute) -> Any:
        return pb.get_attribute(self.expr(node.value), node.attr)

    def subscript(self, node: ast.Subscript) -> Any:
        obj = self.expr(node.value)
        key = self.key(node.slice)
        return self.get_item(obj, key)

    def get_item(self, obj: Any, key: Any) -> Any:
        if isinstance(obj, Tensor):
            return fn.index(obj, _tensor_key(key))
        own = getattr(type(obj), "language_getitem", None)   # nn.Sequential...
        if own is not None:
            return own(obj, key)
        if isinstance(obj, dict):
            pb.check_hashable(key)
            try:
                return obj[key]
            except KeyError:
                raise RuntimeProblem(value_repr(key, 200), python_type="KeyError") from None
        if isinstance(obj, list | tuple | str | range):
            if isinstance(key, slice):
                found = obj[_checked_slice(key)]
                return ns.Size(found) if isinstance(obj, ns.Size) else found
            index = _sequence_index(obj, key)
            try:
                return obj[index]
            except IndexError:
                what = {list: "list", str: "string", range: "range object"}.get(
                    type(obj), "tuple")
                raise RuntimeProblem(f"{what} index out of range",
                                     python_type="IndexError") from None
        raise ArgumentError(f"'{type_name(obj)}' object is not subscriptable")

    def key(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Tuple):
            return tuple(self.key_part(p) for p in node.elts)
        return self.key_part(node)

    def key_part(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            return slice(*[None if b is None else self.expr(b)
                           for b in (node.lower, node.upper, node.step)])
        value = self.expr(node)
        if isinstance(value, np.integer):
            value = int(value)
        return value

    # -- literals
    def sequence(self, node: ast.List | ast.Tuple | ast.Set) -> Any:
        items: list[Any] = []
        for e in node.elts:
            if isinstance(e, ast.Starred):
                items.extend(pb.materialise(self.expr(e.value)))
                pb.check_items(len(items))
            else:
                items.append(self.expr(e))
        if isinstance(node, ast.List):
            return items
        if isinstance(node, ast.Set):
            for item in items:
                pb.check_hashable(item)
            return set(items)
        return tuple(items)

    def dict_(self, node: ast.Dict) -> dict:
        out: dict = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                value = self.expr(v)
                if not isinstance(value, dict):
                    raise ArgumentError(f"'{type_name(value)}' object is not a mapping")
                out.update(value)
            else:
                key = self.expr(k)
                pb.check_hashable(key)
                out[key] = self.expr(v)
            pb.check_items(len(out), "dict")
        return out

    def fstring(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        total = 0
        for value in node.values:
            if isinstance(value, ast.Constant):
                text = value.value
            else:
                spec = "" if value.format_spec is None else self.fstring(value.format_spec)
                text = formatting.format_value(self.expr(value.value), spec, value.conversion)
            total += len(text)
            pb.check_chars(total)
            parts.append(text)
        return "".join(parts)

    def named(self, node: ast.NamedExpr) -> Any:
        value = self.expr(node.value)
        self.store(node.target.id, value)
        return value

    def starred_alone(self, node: ast.Starred) -> Any:
        raise RuntimeProblem("can't use starred expression here", python_type="SyntaxError")

    def slice_alone(self, node: ast.Slice) -> Any:
        raise RuntimeProblem("a slice (a:b) can only be used inside [ ]",
                             python_type="SyntaxError")

    # -- functions made by expressions
    def lambda_(self, node: ast.Lambda) -> UserFunction:
        return self.make_function("<lambda>", node)

    def comprehend(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
                   ) -> Any:
        first = self.expr(node.generators[0].iter)   # in the enclosing scope, as Python
        frame = Frame({}, comprehension_locals(node), parent=self.frame)
        saved, self.frame = self.frame, frame
        out: list[Any] = []
        try:
            self._generate(node, 0, first, out)
        finally:
            self.frame = saved
        if isinstance(node, ast.ListComp):
            return out
        if isinstance(node, ast.SetComp):
            for item in out:
                pb.check_hashable(item)
            return set(out)
        if isinstance(node, ast.DictComp):
            d = {}
            for k, v in out:
                pb.check_hashable(k)
                d[k] = v
            return d
        return pb.LazyIterator("generator", iter(out))

    def _generate(self, node: Any, i: int, iterable: Any, out: list[Any]) -> None:
        """One `for` of a comprehension; each item is an iteration in its own loop scope, as
        a for statement's are (`i = 3`, iteration 3 of 5), so the display groups it."""
        gen = node.generators[i]
        tape = self.tape
        target = self.positions.text(gen.target)
        span = self.span(node)
        count = length_of(iterable)
        for k, item in enumerate(pb.iterate(iterable), start=1):
            tape.check_time()
            label = f"{target} = {label_text(item, 24)}"
            with in_scope(Scope("loop", label, span, k, count, next(self._scope_ids))):
                self.assign_target(gen.target, item)
                if not all(pb.truth(self.expr(cond)) for cond in gen.ifs):
                    continue
                if i + 1 < len(node.generators):
                    self._generate(node, i + 1, self.expr(node.generators[i + 1].iter), out)
                elif isinstance(node, ast.DictComp):
                    out.append((self.expr(node.key), self.expr(node.value)))
                else:
                    out.append(self.expr(node.elt))
            if len(out) > pb.MAX_ITEMS:
                pb.check_items(len(out))


def length_of(value: Any) -> int | None:
    """How many items a loop over `value` will see, when known before it runs."""
    if isinstance(value, list | tuple | range | str | dict):
        return len(value)
    if isinstance(value, Tensor) and value.data.ndim:
        return int(value.shape[0])
    return None


def _checked_slice(key: slice) -> slice:
    for bound in (key.start, key.stop, key.step):
        if bound is not None and (not isinstance(bound, int | np.integer)):
            raise ArgumentError("slice indices must be integers or None or have an __index__ "
                                "method")
    if key.step == 0:
        raise ArgumentError("slice step cannot be zero", python_type="ValueError")
    return key


def _sequence_index(obj: Any, key: Any) -> int:
    if isinstance(key, bool | int | np.integer):
        return int(key)
    if isinstance(key, Tensor) and key.numel() == 1 and not key.is_float:
        return int(key.item())
    what = {list: "list", str: "string", range: "range"}.get(type(obj), "tuple")
    raise ArgumentError(f"{what} indices must be integers or slices, not {type_name(key)}")


def _tensor_key(key: Any) -> Any:
    parts = key if isinstance(key, tuple) else (key,)
    for p in parts:
        if isinstance(p, slice):
            _checked_slice(p)
    return key
