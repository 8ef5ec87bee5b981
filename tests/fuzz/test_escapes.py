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
from chainrule.engine import namespace as ns
from chainrule.engine.lang import run_program
from chainrule.engine.lang.builtins.methods import member_names as language_member_names
from chainrule.engine.tensor import Tensor

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
    ("print(x, file=torch)", "argument"),            # no file= keyword: nothing is written
    ("y = torch.ones(2, __class__=1)", "argument"),  # a dunder keyword is just unexpected
    ("y = x.tolist().append(1)", None),              # a Python list's methods: the language's
    ("y = x.shape.index(2)", None),
    ("print('{0.__class__}'.format(x))", "name"),     # str.format reaches the tables only
    ("print('{0.data.__class__}'.format(x))", "name"),
    ("print('%s' % x)", None),
    ("print(*[x])", None),
    ("y = (lambda: 1)()", None),
    ("y = [x for x in [1]][0]", None),
    ("y = torch.tensor(1.0, **dict())", None),
    ("y = 1 if x else 2", "runtime"),                 # bool() of a 2-element tensor
    ("def f():\n    return f\ny = f().runner", "name"),   # a function's insides: unreachable
    ("try:\n    x()\nexcept Exception as e:\n    y = e.args[0]", None),
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
    """The tables' names: namespace's for engine values, the builtins' for Python values."""
    return set(ns.member_names(value)) | set(language_member_names(value))


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_no_attribute_outside_the_tables_is_reachable(kind: str) -> None:
    """Every public attribute Python (and NumPy, for tensors) has on the value, but the tables
    do not list, stops the program with "not part of" / "no attribute": never a value."""
    setup = HEADER + f"v = {VALUES[kind]}\n"
    r = run_program(setup)
    assert r.error is None, r.error
    value = r.variables["v"]
    outside = sorted(_python_attributes(value) - _allowed(value))
    # (lists, tuples and sizes: the language's tables hold every public method they have)
    assert outside or kind in ("None", "grad_fn", "list", "tuple", "size"), kind
    for attr in outside:
        r = run_program(setup + f"y = v.{attr}\n")
        assert r.error is not None and r.error.kind == "name", (kind, attr, r.error)
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
