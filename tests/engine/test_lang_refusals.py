"""Everything outside the snippet language is refused before anything runs, with a line and a
column; escape attempts get nowhere; and no input makes run_program raise anything but a
RefusedError."""

from __future__ import annotations

import textwrap

import chainrule.engine.lang.interpreter as interpreter
import pytest
from chainrule.engine.errors import RefusedError, SyntaxProblem
from chainrule.engine.lang import check_program, run_program
from chainrule.engine.limits import Limits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A sentinel: records every statement the interpreter starts to run."""
    seen: list[str] = []
    original = interpreter.Interpreter.statement

    def spy(self, node):
        seen.append(type(node).__name__)
        return original(self, node)
    monkeypatch.setattr(interpreter.Interpreter, "statement", spy)
    return seen


def refused(source: str, ran: list[str]) -> RefusedError:
    source = textwrap.dedent(source)
    with pytest.raises(RefusedError) as first:
        check_program(source, Limits())
    with pytest.raises(RefusedError) as second:
        run_program(source)
    assert ran == [], "a refused program must not run"
    assert (first.value.message, first.value.line) == (second.value.message, second.value.line)
    e = second.value
    assert isinstance(e.line, int) and e.line >= 1 and isinstance(e.col, int) and e.col >= 1
    return e


# Every program starts with a statement that would print, so running any of it would show.
PRELUDE = "import torch\nx = torch.ones(2)\nprint('ran')\n"

CONSTRUCTS = [
    # source after the prelude, words the message must contain, line, col
    ("class A(metaclass=M):\n    pass\n", "metaclasses", 4, 1),
    ("async def f(a):\n    return a\n", "async functions", 4, 1),
    ("def f(a):\n    yield a\n", "generators (yield)", 5, 5),
    ("match x:\n    case 1:\n        pass\n", "match", 4, 1),
    ("break\n", "'break' outside loop", 4, 1),
    ("continue\n", "'continue' not properly in loop", 4, 1),
    ("return x\n", "'return' outside function", 4, 1),
    ("def f():\n    for i in x:\n        pass\n    break\n", "'break' outside loop", 7, 5),
    ("nonlocal y\n", "nonlocal declaration not allowed at module level", 4, 1),
    ("y = 1 << 3\n", "bit shifts", 4, 5),
    ("y = 2\ny >>= 1\n", "bit shifts", 5, 1),
    ("y = b'abc'\n", "bytes", 4, 5),
    ("y = 1j\n", "complex", 4, 5),
    ("import os\n", "import os", 4, 1),
    ("import torch.utils.data\n", "import torch.utils.data is not supported yet", 4, 1),
    ("import sys\n", "import sys is not supported yet", 4, 1),
    ("def f():\n    nonlocal q\n", "no binding for nonlocal 'q' found", 5, 5),
    ("def f():\n    def g():\n        nonlocal h\n", "no binding for nonlocal 'h'", 6, 9),
    ("@staticmethod\ndef f():\n    pass\n", "decorators other than @torch.no_grad()", 4, 2),
    ("@print\ndef f():\n    pass\n", "decorators other than", 4, 2),
    ("@torch.no_grad().foo\ndef f():\n    pass\n", "decorators other than", 4, 2),
    ("from os import path\n", "from os import", 4, 1),
    ("from torch import *\n", "import *", 4, 1),
    ("from . import torch\n", "from .", 4, 1),
    ("from torch.nn import Conv2d\n", "torch.nn.Conv2d", 4, 1),
    ("y = torch.nn.Conv2d(2, 3, 1)\n", "torch.nn.Conv2d", 4, 5),
    ("y = torch.nn.functinal.relu(x)\n", "did you mean torch.nn.functional", 4, 5),
    ("y = open('/etc/passwd')\n", "open is a Python built-in that is not part", 4, 5),
    ("y = f'{x.__class__}'\n", "underscores", 4, 8),
    ("def f(a, __b):\n    return a\n", "underscores", 4, 10),
    ("y = [__z for __z in x]\n", "underscores", 4, 14),
    ("try:\n    pass\nexcept Exception as __e:\n    pass\n", "underscores", 6, 1),
]


@pytest.mark.parametrize("body, words, line, col", CONSTRUCTS,
                         ids=[c[0].split("\n")[0] for c in CONSTRUCTS])
def test_constructs_outside_the_language_are_refused_before_running(
        body: str, words: str, line: int, col: int, ran: list[str]) -> None:
    e = refused(PRELUDE + body, ran)
    assert words in e.message, e.message
    assert (e.line, e.col) == (line, col), e.message


def test_message_says_not_part_of_the_language(ran: list[str]) -> None:
    e = refused(PRELUDE + "async def f():\n    pass\n", ran)
    assert e.message == "async functions are not part of chainrule's language"
    assert e.kind == "refused"


ESCAPES = [
    "y = x.__class__",
    "y = ().__class__.__bases__",
    "y = x.__class__.__mro__[1].__subclasses__()",
    "y = __import__('os')",
    "y = open('/etc/passwd')",
    "y = eval('1')",
    "exec('y = 1')",
    "y = getattr(x, 'data')",
    "y = globals()",
    "y = vars()",
    "y = locals()",
    "y = type(x).__name__",
    "y = __builtins__",
    "y = f'{x!r:{x.__class__}}'",
    "y = (lambda: 0).__globals__",
    "def f():\n    pass\ny = f.__code__",
    "try:\n    x()\nexcept Exception as e:\n    y = e.__traceback__",
    "y = [c for c in ().__class__.__bases__]",
    "y = x.data.__array__",
    "import numpy as np\ny = np.load('f.npy')",
    "y = torch.load('f.pt')",
    "torch.save(x, 'f.pt')",
    "y = compile('1', 'f', 'eval')",
    "breakpoint()",
    "setattr(x, 'grad', None)",
    "y = dir()",
    "help(torch)",
    "y = input()",
    "print(open)",
    "y = torch.nn.functional.__dict__",
    "y = torch.tensor.__call__",
    "__x = 1",
    "import torch as __t",
    "from torch import nn as __n",
    "y = torch.ones(2).__reduce__()",
    "import importlib",
    "import sys",
    "from torch import load",
    "from numpy import load",
    "print(x.__dict__)",
]


@pytest.mark.parametrize("body", ESCAPES)
def test_escape_attempts_are_refused_before_running(body: str, ran: list[str]) -> None:
    e = refused(PRELUDE + body + "\n", ran)
    assert e.line >= 4, e.message


@pytest.mark.parametrize("body", [
    "import torch.nn as nn\nloss = nn.MSELoss()\ny = loss.forward",
    "y = x.grad_fn",
    "y = torch.exp.impl",
    "y = torch.float32.is_floating_point",
    "def f():\n    pass\ny = f.node",
    "y = print.impl",
    "y = len.impl",
    "y = x._data",
    "y = x._backward_hooks",
    "_ = x * 2\ny = _._saved_self",
    "g = lambda: 1\ny = g.runner",
    "try:\n    x()\nexcept Exception as e:\n    y = e.message",
])
def test_attributes_outside_the_tables_stop_at_run_time_without_access(body: str) -> None:
    """Attributes of values (not of imported modules) are looked up in the tables when the
    program runs: anything else is a NameProblem, and nothing outside the tables is touched."""
    r = run_program(PRELUDE.replace("torch.ones(2)", "torch.ones(1, requires_grad=True)")
                    + body + "\n")
    if body == "y = x.grad_fn":   # a leaf: None, as in PyTorch
        assert r.error is None and r.variables["y"] is None
        return
    assert r.error is not None and r.error.kind == "name", r.error
    assert "not" in r.error.message or "no attribute" in r.error.message


def test_allowed_strings_keyword_values_print_and_docstrings() -> None:
    r = run_program('"""A docstring."""\nimport torch\nimport torch.nn.functional as F\n'
                    "a = torch.tensor([[1.0, 2.0]], requires_grad=True)\n"
                    "l = F.cross_entropy(a, torch.tensor([1]), reduction='sum')\n"
                    "print('loss', l, sep=': ')\n")
    assert r.error is None and r.stdout.startswith("loss: tensor(")


# ---------------------------------------------------------------- size limits and bad text


def test_source_too_long(ran: list[str]) -> None:
    src = "x = 1\n" * 5000
    e = refused(src, ran)
    assert e.kind == "limit" and "characters" in e.message


def test_source_limit_comes_from_limits() -> None:
    with pytest.raises(RefusedError) as e:
        check_program("x = 1\ny = 2\n", Limits(max_source_chars=8))
    assert (e.value.line, e.value.col) == (2, 3)


@pytest.mark.parametrize("src", [
    "y = " + "(" * 300 + "1" + ")" * 300,
    "y = " + "-" * 19000 + "1",
    "y = x" + "[0]" * 4000,
    "y = " + "+".join(["1"] * 6000),
    "y = " + "[" * 100 + "]" * 100,
    "y = " + "torch.exp(" * 80 + "x" + ")" * 80,
    "y = " + " + ".join(["x"] * 70),
])
def test_deep_nesting_is_refused_without_crashing(src: str, ran: list[str]) -> None:
    e = refused("import torch\nx = torch.ones(2)\n" + src + "\n", ran)
    assert e.kind in ("limit", "syntax")


def test_too_many_nodes(ran: list[str]) -> None:
    src = "".join(f"y{i} = x * {i} + 1\n" for i in range(800))
    e = refused(src, ran)
    assert e.kind == "limit" and "syntax nodes" in e.message


def test_null_byte(ran: list[str]) -> None:
    e = refused("x = 1\ny = 2\x00\n", ran)
    assert isinstance(e, SyntaxProblem) and (e.line, e.col) == (2, 6)


def test_syntax_error_has_line_and_column(ran: list[str]) -> None:
    e = refused("import torch\nx = torch.ones(2\ny = 3\n", ran)
    assert isinstance(e, SyntaxProblem) and e.kind == "syntax"
    assert e.line == 2 and e.message.startswith("syntax error:")
    e = refused("x = 1\n  y = 2\n", ran)
    assert e.line == 2 and "indent" in e.message


def test_huge_integer_literal(ran: list[str]) -> None:
    refused("x = " + "9" * 5000 + "\n", ran)


def test_not_text() -> None:
    with pytest.raises(RefusedError):
        run_program(b"x = 1")  # type: ignore[arg-type]


# ---------------------------------------------------------------- never anything but RefusedError


LEAVES = ["x", "w", "a", "2", "0.5", "-1", "torch.ones(2, 3)", "torch.tensor([1.0, -2.0, 3.0])",
          "torch.randn(3, requires_grad=True)", "torch.tensor([0, 2, 1])", "(2, 3)", "[1.0, 2.0]",
          "None", "True", "x.shape", "torch.float32"]
UNARY = ["{}.sum()", "{}.mean(0)", "{}.exp()", "torch.log({})", "{}.reshape(-1)",
         "{}.unsqueeze(0)", "{}.T", "{}[0]", "{}[:, 1]", "{}[-1:]", "-{}", "F.softmax({}, dim=1)",
         "{}.max()", "{}.item()", "{}.backward()", "{}.grad", "{}.detach()", "{}.size(1)",
         "torch.tensor({})", "torch.zeros({})", "{}.pow(2)", "{}.view(3, 2)", "{}.t()",
         "nn.CrossEntropyLoss()({}, torch.tensor([1]))", "print({})", "{}.squeeze(0)",
         "F.mse_loss({}, torch.zeros(3))", "torch.arange({})", "{}.requires_grad_()"]
BINARY = ["{} + {}", "{} * {}", "{} - {}", "{} / {}", "{} ** {}", "{} @ {}",
          "F.cross_entropy({}, {})", "torch.matmul({}, {})", "{}.backward(gradient={})",
          "torch.sum({}, dim={})", "{}.transpose(0, {})"]

expressions = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: t[0].format(t[1])),
        st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: t[0].format(t[1], t[2])),
    ),
    max_leaves=6,
)
statements = st.tuples(st.sampled_from(["a", "w", "loss", ""]), expressions).map(
    lambda t: f"{t[0]} = {t[1]}" if t[0] else t[1])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements, min_size=1, max_size=6))
def test_random_programs_never_crash(lines: list[str]) -> None:
    src = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n" + \
        "\n".join(lines) + "\n"
    try:
        r = run_program(src, inputs={"x": 0.5})
    except RefusedError:
        return
    assert r.error is None or r.error.kind != "internal", (src, r.error.message)
    if r.error is not None:
        assert r.error.line is not None, (src, r.error.message)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("xy=+-*/()[]:.,0123 \n'\"@torchsumF_")),
               max_size=60))
def test_random_text_never_raises_anything_but_a_refusal(src: str) -> None:
    try:
        r = run_program(src)
    except RefusedError:
        return
    assert r.error is None or r.error.kind != "internal", (src, r.error.message)
