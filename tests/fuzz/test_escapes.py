"""Sandbox escapes (issue #5), extending tests/engine/test_lang_refusals.py: its `refused`
helper, `ran` sentinel and PRELUDE are reused, and the patterns here are only those its
CONSTRUCTS and ESCAPES lists do not already hold (asserted below).

Beyond single patterns, the tables are checked systematically: every attribute Python or
NumPy would offer on every kind of value a program can hold (tensors, `x.data`, sizes,
dtypes, grad_fns, modules, functions, bound methods, nn modules, lists, numbers) is refused or
answered "not part of chainrule" — none is reachable outside the explicit tables.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from engine import namespace as ns
from engine.errors import RefusedError
from engine.lang import run_program
from engine.tensor import Tensor

_spec = importlib.util.spec_from_file_location(
    "lang_refusals", Path(__file__).resolve().parents[1] / "engine" / "test_lang_refusals.py")
refusals = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refusals)
ran = refusals.ran                 # the fixture: records every statement that starts to run
refused = refusals.refused
PRELUDE = refusals.PRELUDE         # three lines; the body starts on line 4

# Escapes and confusables the refusal tests do not hold yet: refused before anything runs.
ESCAPES = [
    "y = torch.__dict__",
    "y = print.__self__",
    "y = torch.exp.__self__",
    "y = x.__array_interface__",
    "y = x.data.__array_interface__",
    "y = x.T.data.__class__",
    "y = x.shape.__class__.__mro__",
    "y = x.grad_fn.name.__func__",
    "y = torch.float32.__reduce_ex__(2)",
    "y = x.tolist().__class__",
    "y = torch.nn.__dict__",
    "y = x.\\\n__class__",                     # a line continuation inside the chain
    "y = x .__class__",
    "print(f'{x.__class__}')",
    "y = [__builtins__]",
    "y = torch.tensor([1.0]).__getattribute__('data')",
    "y = x.＿＿class＿＿",                      # fullwidth low lines
    "ｅｖａｌ(x)",                               # fullwidth letters: NFKC makes this `eval`
    "y = __import__",
    "import torch.nn.functional as F, os",
    "from torch import nn, __builtins__",
    "from torch.nn import functional as F, __dict__",
    "import numpy.linalg",
    "import torch as np\nimport numpy.ctypeslib",
    "y = vars",
    "y = memoryview",
    "y = x.data.__setstate__",
    "\ufeffy = 1",                              # a BOM: refused with its position, not a 500
    "async def f():\n    pass",
    "y = x.T" + ".T" * 80,                     # an attribute chain past the depth limit
]


def test_these_patterns_are_new():
    known = {c[0] for c in refusals.CONSTRUCTS} | set(refusals.ESCAPES)
    assert not known & set(ESCAPES)


@pytest.mark.parametrize("body", ESCAPES, ids=[e[:40] for e in ESCAPES])
def test_escape_attempts_are_refused_before_running(body: str, ran: list[str]) -> None:
    e = refused(PRELUDE + body + "\n", ran)
    assert e.line >= 4, e.message


# Harmless look-alikes: they run, and reach nothing.
@pytest.mark.parametrize("body, kind", [
    ("print(x, file=torch)", "name"),                # no value has write(): nothing written
    ("y = torch.ones(2, __class__=1)", "argument"),  # a dunder keyword is just unexpected
    ("y = x.tolist().foo(1)", "name"),               # a Python list: its table only
    ("y = x.shape.index(7)", "argument"),            # tuple.index: ValueError, as Python
    ("y = nn.MSELoss().cls", "name"),
    ("y = torch.exp.name", "name"),
    ("y = torch.manual_seed(0).real", "name"),
    ("y = (1.5).hex()", "name"),
    ("from torch import tensor as print\ny = print(1.0)\nz = y * 2", None),
    ("ｐｒｉｎｔ(x)", None),                          # NFKC: the real print
    ("y = x\r\nz = y.foo\r\n", "name"),               # CRLF: still line 5
])
def test_look_alikes_run_and_reach_nothing(body: str, kind: str | None) -> None:
    r = run_program(PRELUDE + body + "\n")
    if kind is None:
        assert r.error is None, r.error
    else:
        assert r.error is not None and r.error.kind == kind, r.error
        assert r.error.line >= 4


def test_crlf_and_lone_cr_keep_lines_and_columns():
    for newline in ("\r\n", "\r", "\n"):
        src = newline.join(["import torch", "x = torch.ones(2)", "y = x.foo", ""])
        r = run_program(src)
        assert (r.error.line, r.error.col) == (3, 5), newline


def test_tabs_indent_is_a_syntax_error_with_its_line(ran):
    e = refused("import torch\nx = torch.ones(2)\n\ty = x * 2\n", ran)
    assert e.kind == "syntax" and e.line == 3
    r = run_program("import torch\nx = (torch.ones(2) *\n\t2)\n")
    assert r.error is None


# ---------------------------------------------------------------- the tables, systematically

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
VALUES = {
    "tensor": "torch.ones((), requires_grad=True)",
    "x.data": "torch.ones((), requires_grad=True).data",
    "size": "torch.ones(2).shape",
    "dtype": "torch.float32",
    "grad_fn": "(torch.ones((), requires_grad=True) * 2).grad_fn",
    "module": "torch",
    "functional": "F",
    "function": "torch.exp",
    "bound method": "torch.ones(2).sum",
    "nn module": "nn.MSELoss()",
    "list": "torch.ones(2).tolist()",
    "tuple": "(1, 2)",
    "int": "torch.ones(2).numel()",
    "float": "torch.ones(()).item()",
    "bool": "torch.ones(2).requires_grad",
    "None": "torch.ones(2).grad",
}


def _python_attributes(value) -> set[str]:
    names = set(dir(value))
    if isinstance(value, Tensor):
        names |= set(dir(value.data)) | set(dir(np.ndarray))
    return {n for n in names if not n.startswith("_")}


def _allowed(value) -> set[str]:
    return set(ns.member_names(value))


# What a program may hold after `y = v.attr`: the language's own values, never a Python object
# (a builtin method, a method-wrapper, a class, a module) from outside the tables.
LANGUAGE_VALUES = (int, float, bool, str, type(None), tuple, list, dict, Tensor, ns.Function,
                   ns.BoundMethod, ns.Module, ns.GradFn, ns.DType, ns.NNModule)


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_no_attribute_outside_the_tables_is_reachable(kind: str) -> None:
    """Every public attribute Python (and NumPy, for tensors) has on the value, but the
    engine's tables do not list, stops the program with "not part of" / "no attribute", or
    (Python values: list.append, float.real, int.bit_length...) answers with a value of the
    language built by engine/lang/builtins' own tables: never a Python object."""
    setup = HEADER + f"v = {VALUES[kind]}\n"
    r = run_program(setup)
    assert r.error is None, r.error
    value = r.variables["v"]
    outside = sorted(_python_attributes(value) - _allowed(value))
    assert outside or kind in ("None", "grad_fn"), kind
    for attr in outside:
        r = run_program(setup + f"y = v.{attr}\n")
        if r.error is None:
            y = r.variables["y"]
            assert type(y) in LANGUAGE_VALUES, (kind, attr, type(y))
            if isinstance(y, ns.BoundMethod):
                assert isinstance(y.function, ns.Function), (kind, attr)
            continue
        assert r.error.kind == "name", (kind, attr, r.error)
        assert "y" not in r.variables, (kind, attr)


def test_x_data_is_a_detached_tensor_not_an_ndarray():
    r = run_program(HEADER + "w = torch.ones((), requires_grad=True)\nd = w.data\n"
                    "e = d.data.T.data\n")
    assert r.error is None
    for name in ("d", "e"):
        assert type(r.variables[name]) is Tensor
        assert not r.variables[name].requires_grad
    assert set(ns.member_names(r.variables["d"])) == \
        set(ns.TENSOR_ATTRIBUTES) | set(ns.TENSOR_METHODS)


# ---------------------------------------------------------------- language v2: the new objects

def _in_language(value, depth: int = 0) -> bool:
    """A value a program may hold: the language's own kinds, containers of them, user
    functions, exception values and lazy iterators the interpreter made; no Python object."""
    from engine.grad_mode import GradMode
    from engine.lang.builtins import LazyIterator
    from engine.lang.functions import UserFunction
    if isinstance(value, list | tuple | set | frozenset) and depth < 5:
        return all(_in_language(v, depth + 1) for v in value)
    if isinstance(value, dict) and depth < 5:
        return all(_in_language(k, depth + 1) and _in_language(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, UserFunction | LazyIterator | GradMode | range):
        return True
    if getattr(value, "python_type", None) and getattr(value, "message", None) is not None:
        return True   # an exception value (`except ... as e`)
    return type(value) in LANGUAGE_VALUES


OBJECTS = {
    "closure": "def outer():\n    a = torch.ones(2)\n    def inner():\n        return a\n"
               "    return inner\nv = outer()\n",
    "lambda": "v = lambda t=torch: t\n",
    "exception": "try:\n    torch.ones(2).backward()\nexcept RuntimeError as e:\n    v = e\n",
    "raised": "try:\n    raise ValueError('no')\nexcept ValueError as e:\n    v = e\n",
    "generator": "v = (i * 2 for i in range(3))\n",
    "zip": "v = zip([1], [2])\n",
    "class marker": "v = type(torch.ones(2))\n",
    "exception class": "v = RuntimeError\n",
    "grad mode": "v = torch.no_grad()\n",
}


@pytest.mark.parametrize("kind", sorted(OBJECTS))
def test_objects_of_the_new_constructs_expose_nothing(kind: str) -> None:
    """Every public Python attribute of a user function, closure, caught exception, generator,
    class marker or grad mode, read from a program, stops it with AttributeError/"not part
    of" (the object's fields — frames, the interpreter, the engine error — stay out of reach);
    `e.args` is the one attribute an exception value answers, with its message."""
    setup = HEADER + OBJECTS[kind]
    r = run_program(setup)
    assert r.error is None, r.error
    value = r.variables["v"]
    for attr in sorted(n for n in dir(value) if not n.startswith("_")):
        r = run_program(setup + f"y = v.{attr}\n")
        if r.error is None:
            assert _in_language(r.variables["y"]), (kind, attr, type(r.variables["y"]))
            assert attr in ("args", "name") or kind == "class marker", (kind, attr)
            continue
        assert r.error.kind in ("name", "argument"), (kind, attr, r.error)


@pytest.mark.parametrize("body", [
    # format specs and format strings read attributes through the tables only
    "y = '{0.__class__}'.format(x)",
    "y = '{0.grad_fn.__class__}'.format(x * 2)",
    "y = '{0[0].__class__}'.format([x])",
    "y = '{0.data.__array_interface__}'.format(x)",
    "y = format(x, '{0.__class__}')",
    "y = '{:{}}'.format(1, '{0.__class__}')",
    "y = '%(__class__)s' % {'a': 1}",
    "s = '__class__'\ny = ('{0.' + s + '}').format(x)",
    "y = f\"{'{0.__init__}'.format(x)}\"",
    # names are looked up in the program's frames and the language's tables, never Python's
    "def f():\n    return globals\ny = f()",
    "y = [vars for _ in [1]]",
    "y = (lambda: print.impl)()",
    "def f(a=print):\n    return a.impl\ny = f()",
    "def f():\n    try:\n        1 / 0\n    except Exception as e:\n"
    "        return e.with_traceback\ny = f()",
    "try:\n    1 / 0\nexcept Exception as e:\n    y = e.to_dict()",
    "try:\n    1 / 0\nexcept Exception as e:\n    y = e.original",
    "g = (t for t in [x])\ny = g.gi_frame",
    "g = (t for t in [x])\ny = g.send(None)",
    "y = type(x).mro()",
    "y = type(print).impl",
    "y = RuntimeError.impl",
])
def test_escapes_through_the_new_constructs_stop_without_access(body: str) -> None:
    """Refused before running, or stopped when reached: never a Python object in hand."""
    try:
        r = run_program(PRELUDE + body + "\n")
    except RefusedError as e:
        assert e.line >= 4, e.message
        return
    assert r.error is not None, body
    assert r.error.kind in ("name", "argument", "refused"), (body, r.error)
    assert "y" not in r.variables or _in_language(r.variables["y"]), body


def test_comprehension_variables_stay_in_their_scope() -> None:
    """Python 3: a comprehension's target is its own; it neither leaks nor overwrites."""
    r = run_program("i = 'outer'\nsquares = [i * i for i in range(3)]\nprint(i, squares)\n"
                    "d = {k: k for k in 'ab'}\nprint(k)\n")
    assert r.stdout == "outer [0, 1, 4]\n"
    assert r.error.python_type == "NameError" and "'k'" in r.error.message


@pytest.mark.parametrize("body", [
    "def f(n):\n    return f(n + 1)\nf(0)",
    "def a(n):\n    return b(n)\ndef b(n):\n    return a(n)\na(0)",
    "f = lambda n: f(n + 1)\nf(0)",
    "def k(v):\n    return sorted([1, 2], key=k)\nk(0)",   # the engine calls it back
    "def f(n):\n    return [f(n + 1) for _ in [1]]\nf(0)",
    "def f(n):\n    try:\n        return f(n + 1)\n    except RuntimeError:\n"
    "        return 0\nf(0)",
])
def test_recursion_stops_with_pythons_error_and_is_never_caught(body: str) -> None:
    r = run_program(body + "\n")
    assert r.error is not None and r.error.python_type == "RecursionError", r.error
    assert r.error.message == "maximum recursion depth exceeded"
    assert not r.error.catchable


def test_a_limit_inside_try_finally_runs_the_finally_but_is_not_caught() -> None:
    from engine.limits import Limits
    r = run_program("try:\n    while True:\n        pass\nexcept Exception:\n    print('no')\n"
                    "finally:\n    print('finally')\n", limits=Limits(max_seconds=0.2))
    assert r.error.kind == "limit"
    assert "no" not in r.stdout
