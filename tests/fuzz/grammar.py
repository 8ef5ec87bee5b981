"""Hypothesis strategies that write programs in chainrule's snippet language
(`../shared/language.md`), and that mutate the gallery's examples.

The vocabulary comes from the namespace tables themselves (`engine/namespace.py`): every
function, method, attribute and nn class a snippet can reach, called with arguments chosen by
their PyTorch parameter names. Arguments are mostly plausible (small shapes, dims in range)
and sometimes not (dims of 10**9, sizes of 10**12, 1e308, wrong types, unknown keywords), so
that generated programs both run deep into the engine and probe its edges.

    programs()           whole programs: imports, a few tensors, then random statements
                         (language v2 too: loops, if, def, lambda, comprehensions, f-strings,
                         %-formatting, try/except, with torch.no_grad(), +=, item assignment)
    inputs()             free-variable values (finite, some extreme)
    mutated_examples()   the gallery's examples with tokens deleted/duplicated/swapped/replaced
                         and random characters inserted
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from hypothesis import strategies as st

from engine import namespace as ns

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "app" / "examples"
EXAMPLES = {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES_DIR.glob("*.py"))}

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
TENSORS = ["a", "b", "w"]                # always assigned a float tensor first
NAMES = TENSORS + ["h", "out", "loss"]   # assigned by generated statements
FREE = ["x", "y", "u"]                   # never assigned: free variables

# ---------------------------------------------------------------- numbers and small pieces

small_int = st.integers(-3, 4)
huge_ints = ["10**9", "-10**9", "2**63", "-2**63", "2**62", "10**18", "9" * 25, "10**100"]
odd_floats = ["1e308", "-1e308", "1e-320", "-0.0", "0.0", "1e400", "-1e400", "5e-324",
              "torch.pi", "torch.e", "2 ** 10 ** 10", "10 ** 308 * 10", "(-1) ** 0.5"]
plausible_float = st.floats(-4, 4, allow_nan=False, allow_infinity=False).map(
    lambda f: repr(round(f, 3)))

integer = st.one_of(small_int.map(str), small_int.map(str), st.sampled_from(huge_ints))
number = st.one_of(integer, plausible_float, plausible_float, st.sampled_from(odd_floats))
boolean = st.sampled_from(["True", "False"])
dim = st.one_of(st.integers(-2, 2).map(str), st.integers(-2, 2).map(str),
                st.sampled_from(["3", "-4", "10**9", "True", "None", "(0, 1)", "(0, 0)", "()",
                                 "[1, -1]", "0.5"]))
size = st.one_of(st.integers(0, 4).map(str), st.integers(1, 3).map(str),
                 st.sampled_from(["0", "64", "1000", "10**6", "10**12", "-1", "2**63", "2.0"]))
shape = st.lists(st.integers(1, 4), min_size=0, max_size=3)
dtype = st.sampled_from(["torch.float32", "torch.float", "torch.float64", "torch.long",
                         "torch.int64", "torch.int32", "None", "'float'"])
reduction = st.sampled_from(["'mean'", "'sum'", "'none'", "'avg'", "None", "1"])


def literal(dims: list[int], leaf: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A nested list literal of the given shape (a number for shape [])."""
    if not dims:
        return leaf
    inner = literal(dims[1:], leaf)
    return st.lists(inner, min_size=dims[0], max_size=dims[0]).map(
        lambda items: "[" + ", ".join(items) + "]")


data_literal = st.one_of(
    shape.flatmap(lambda s: literal(s, plausible_float)),
    shape.flatmap(lambda s: literal(s, small_int.map(str))),
    shape.flatmap(lambda s: literal(s, number)),
    st.sampled_from(["[]", "[[]]", "[[1.0, 2.0], [3.0]]", "[True, 1.5]", "[[[[[[[[1.0]]]]]]]]",
                     "[" * 40 + "1.0" + "]" * 40, "(1.0, 2.0)", "[x, y]", "None"]),
)


def shape_args(s: list[int]) -> str:
    return ", ".join(str(n) for n in s) if s else "()"


# ---------------------------------------------------------------- tensors

def creation() -> st.SearchStrategy[str]:
    maker = st.sampled_from(["randn", "rand", "zeros", "ones"])
    kwargs = st.lists(st.one_of(boolean.map(lambda b: f"requires_grad={b}"),
                                dtype.map(lambda d: f"dtype={d}")), max_size=2).map(
        lambda ks: "".join(", " + k for k in ks))
    sized = st.one_of(shape.map(shape_args), shape.map(lambda s: f"({shape_args(s)},)"),
                      st.lists(size, min_size=1, max_size=4).map(", ".join))
    return st.one_of(
        st.tuples(maker, sized, kwargs).map(
            lambda t: f"torch.{t[0]}({t[1]}{t[2]})".replace("(, ", "(")),
        st.tuples(data_literal, boolean).map(
            lambda t: f"torch.tensor({t[0]}, requires_grad={t[1]})"),
        data_literal.map(lambda d: f"torch.tensor({d})"),
        st.tuples(st.integers(0, 2), st.integers(1, 6), shape).map(
            lambda t: f"torch.randint({t[0]}, {t[1]}, ({shape_args(t[2])},))"),
        st.tuples(size, st.sampled_from(["", ", 0.5", ", -1", ", 1e-300", ", 0"])).map(
            lambda t: f"torch.arange({t[0]}{t[1]})"),
        st.tuples(number, number, number).map(lambda t: f"torch.arange({t[0]}, {t[1]}, {t[2]})"),
    )


def float_tensor(of: st.SearchStrategy[list[int]] = shape) -> st.SearchStrategy[str]:
    """A float tensor that requires grad, of a small shape: the common learner case."""
    return st.one_of(
        of.map(lambda s: f"torch.randn({shape_args(s)}, requires_grad=True)"),
        of.flatmap(lambda s: literal(s, plausible_float)).map(
            lambda d: f"torch.tensor({d}, requires_grad=True)"),
    )


# ---------------------------------------------------------------- calls from the tables

PARAMETERS = {
    "dim": dim, "dim0": dim, "dim1": dim, "keepdim": boolean, "requires_grad": boolean,
    "retain_graph": boolean, "dtype": dtype, "reduction": reduction, "low": integer,
    "high": integer, "seed": integer, "start": number, "end": number, "step": number,
    "size": shape.map(lambda s: f"({shape_args(s)},)"), "data": data_literal,
}


def _params(impl: object) -> list[inspect.Parameter]:
    params = list(inspect.signature(impl).parameters.values())
    return [p for p in params if p.name != "self"]


TENSOR_PARAMETERS = {"input", "other", "mat2", "gradient", "target", "exponent"}


def call_args(impl: object, expr: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Arguments for `impl` by its parameter names: the right ones, mostly."""
    tensor = st.one_of(st.sampled_from(TENSORS), st.sampled_from(TENSORS), expr)
    parts = []
    for p in _params(impl):
        value = tensor if p.name in TENSOR_PARAMETERS else PARAMETERS.get(p.name, expr)
        if p.kind is p.VAR_POSITIONAL:
            parts.append(st.lists(size, max_size=4).map(", ".join))
        elif p.kind is p.KEYWORD_ONLY:
            parts.append(st.one_of(st.just(""), value.map(lambda v, n=p.name: f"{n}={v}")))
        elif p.default is not p.empty:
            parts.append(st.one_of(st.just(""), value,
                                   value.map(lambda v, n=p.name: f"{n}={v}")))
        else:
            parts.append(value)
    right = st.tuples(*parts).map(lambda ps: ", ".join(x for x in ps if x)) if parts \
        else st.just("")
    wrong = st.one_of(st.just(""), expr, st.tuples(expr, expr, expr).map(", ".join),
                      expr.map(lambda e: f"foo={e}"))
    return st.one_of(*[right] * 9, wrong)


def _table(table: dict) -> list[tuple[str, object]]:
    return [(name, f.impl) for name, f in table.items() if isinstance(f, ns.Function)]


TORCH_FUNCTIONS = _table(ns.TORCH.members)
F_FUNCTIONS = _table(ns.FUNCTIONAL.members)
NN_CLASSES = _table(ns.NN.members)
METHODS = _table(ns.TENSOR_METHODS)
BUILTINS = _table(ns.BUILTINS)
ATTRIBUTES = sorted(ns.TENSOR_ATTRIBUTES)
TORCH_VALUES = sorted(k for k, v in ns.TORCH.members.items() if not isinstance(v, ns.Function))


def calls(expr: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def prefixed(prefix: str, table: list[tuple[str, object]]) -> st.SearchStrategy[str]:
        return st.sampled_from(table).flatmap(
            lambda t: call_args(t[1], expr).map(lambda a, n=t[0]: f"{prefix}{n}({a})"))

    def method(table: list[tuple[str, object]]) -> st.SearchStrategy[str]:
        return st.tuples(expr, st.sampled_from(table)).flatmap(
            lambda t: call_args(t[1][1], expr).map(
                lambda a, e=t[0], n=t[1][0]: f"({e}).{n}({a})"))

    def module(table: list[tuple[str, object]]) -> st.SearchStrategy[str]:
        return st.tuples(st.sampled_from(table), expr, expr).flatmap(
            lambda t: call_args(t[0][1], expr).map(
                lambda a, n=t[0][0], x=t[1], y=t[2]: f"nn.{n}({a})({x}, {y})"
                if "Loss" in n else f"nn.{n}({a})({x})"))

    return st.one_of(prefixed("torch.", TORCH_FUNCTIONS), prefixed("F.", F_FUNCTIONS),
                     prefixed("torch.", BUILTINS), method(METHODS), method(METHODS),
                     module(NN_CLASSES))


def index() -> st.SearchStrategy[str]:
    bound = st.one_of(st.just(""), st.integers(-3, 3).map(str),
                      st.sampled_from(["10**30", "2**63", "-2**63", "0", "x", "1.5"]))
    step = st.one_of(st.just(""), st.sampled_from([":1", ":2", ":0", ":-1", ":10**30", ":None"]))
    piece = st.one_of(st.integers(-3, 3).map(str),
                      st.tuples(bound, bound, step).map(lambda t: f"{t[0]}:{t[1]}{t[2]}"),
                      st.sampled_from(["None", "...", "x", "[0, 1]", "True", "10**30"]))
    return st.lists(piece, min_size=1, max_size=3).map(", ".join)


def expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(st.sampled_from(TENSORS), st.sampled_from(TENSORS),
                       st.sampled_from(TENSORS), st.sampled_from(NAMES + FREE), number,
                       creation(), st.sampled_from([f"torch.{v}" for v in TORCH_VALUES]),
                       st.sampled_from(["None", "True", "(2, 3)", "[1.0, 2.0]", "torch.nn",
                                        "F", "a.shape", "a.shape[0]", "a.grad"]))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "@"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"-{e}"),
            calls(inner), calls(inner),
            st.tuples(inner, st.sampled_from(ATTRIBUTES)).map(lambda t: f"({t[0]}).{t[1]}"),
            st.tuples(inner, index()).map(lambda t: f"({t[0]})[{t[1]}]"),
            st.lists(inner, min_size=1, max_size=3).map(lambda es: "[" + ", ".join(es) + "]"),
        )
    return st.recursive(leaves, extend, max_leaves=6)


def learner_expressions() -> st.SearchStrategy[str]:
    """What learners write: elementwise math, matmuls and reductions over the named tensors."""
    leaves = st.one_of(st.sampled_from(TENSORS + ["h", "x"]), plausible_float)
    unary = ["{}.exp()", "{}.tanh()", "{}.sigmoid()", "{}.relu()", "{}.sin()", "torch.log({})",
             "F.relu({})", "torch.sigmoid({})", "{} ** 2", "{}.sum(0)", "{}.T", "{}.abs()",
             "F.softmax({}, dim=-1)", "F.log_softmax({}, dim=0)", "{}.mean()", "{}.sqrt()",
             "{}.max()", "{}.reshape(-1)", "{}.unsqueeze(0)", "{}[0]", "{}.detach()", "{}.t()"]
    binary = ["{} + {}", "{} - {}", "{} * {}", "{} / {}", "{} @ {}", "{} ** {}",
              "F.mse_loss({}, {})", "torch.matmul({}, {}.T)"]
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from(unary), inner).map(lambda t: t[0].format(f"({t[1]})")),
        st.tuples(st.sampled_from(binary), inner, inner).map(
            lambda t: t[0].format(f"({t[1]})", f"({t[2]})")),
    ), max_leaves=5)


UNARY = ["{}.exp()", "{}.tanh()", "{}.sigmoid()", "{}.relu()", "{}.sin()", "torch.log({})",
         "F.relu({})", "{} ** 2", "{}.abs()", "{}.sqrt()", "F.softmax({}, dim=-1)", "-{}",
         "{} * 0.5", "{} + 1.0", "{} / 3.0", "{}.mean()", "{}.sum(0)"]


def chains() -> st.SearchStrategy[str]:
    """`h = ((a * b).tanh() ** 2).sum(0)`: a few ops in a row, so that programs get deep."""
    first = st.tuples(st.sampled_from(TENSORS), st.sampled_from(["+", "-", "*", "@"]),
                      st.sampled_from(TENSORS)).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    return st.tuples(st.sampled_from(NAMES), st.one_of(first, st.sampled_from(TENSORS)),
                     st.lists(st.sampled_from(UNARY), min_size=1, max_size=5)).map(
        lambda t: f"{t[0]} = " + _apply(t[1], t[2]))


def _apply(expr: str, templates: list[str]) -> str:
    for template in templates:
        expr = template.format(f"({expr})")
    return expr


def plain_statements() -> st.SearchStrategy[str]:
    expr = expressions()
    name = st.sampled_from(NAMES)
    learner = st.tuples(name, learner_expressions()).map(lambda t: f"{t[0]} = {t[1]}")
    return st.one_of(
        learner, learner, learner, learner, learner, learner, learner, learner,
        st.tuples(name, expr).map(lambda t: f"{t[0]} = {t[1]}"),
        st.tuples(name, expr).map(lambda t: f"{t[0]} = {t[1]}"),
        st.tuples(name, float_tensor()).map(lambda t: f"{t[0]} = {t[1]}"),
        expr,
        name.map(lambda n: f"{n}.backward()"),
        st.tuples(name, expr, boolean).map(
            lambda t: f"{t[0]}.backward(gradient={t[1]}, retain_graph={t[2]})"),
        st.lists(expr, max_size=3).map(lambda es: f"print({', '.join(es)})"),
        st.tuples(name, boolean).map(lambda t: f"{t[0]}.requires_grad = {t[1]}"),
        st.tuples(name, st.one_of(st.just("None"), expr)).map(lambda t: f"{t[0]}.grad = {t[1]}"),
        integer.map(lambda n: f"torch.manual_seed({n})"),
    )


def statements(control: bool = True) -> st.SearchStrategy[str]:
    """One statement in three uses language v2's control flow (control_flow)."""
    if not control:
        return plain_statements()
    return st.integers(0, 2).flatmap(
        lambda k: control_flow(expressions(), st.sampled_from(NAMES)) if k == 0 else
        plain_statements())


def _indent(block: str) -> str:
    return "\n".join("    " + line for line in block.split("\n"))


def control_flow(expr: st.SearchStrategy[str], name: st.SearchStrategy[str]
                 ) -> st.SearchStrategy[str]:
    """Language v2: loops, conditions, functions, lambdas, comprehensions, f-strings,
    try/except, grad modes, augmented and item assignment, comparisons and unpacking."""
    learner = learner_expressions()
    simple = st.one_of(st.tuples(name, learner).map(lambda t: f"{t[0]} = {t[1]}"),
                       st.tuples(name, expr).map(lambda t: f"{t[0]} = {t[1]}"))
    iterable = st.one_of(st.integers(-1, 4).map(lambda n: f"range({n})"),
                         st.sampled_from(["a", "[a, b]", "zip([a, b], [w, w])", "enumerate(a)",
                                          "a.shape", "[]", "'ab'", "{1: a}",
                                          "(t * 2 for t in [a, b])", "None", "1.5"]))
    compare = st.tuples(st.sampled_from(NAMES + ["i", "1", "0.5", "a.sum()", "None", "'s'"]),
                        st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "is", "is not",
                                         "in", "not in"]),
                        st.sampled_from(NAMES + ["1", "2.0", "[1, 2]", "None", "(a, b)"])).map(
        " ".join)
    condition = st.one_of(compare, boolean, st.sampled_from(NAMES),
                          st.tuples(compare, st.sampled_from(["and", "or"]), compare).map(
                              " ".join), compare.map(lambda c: f"not ({c})"))
    body = st.lists(st.one_of(simple, simple, st.sampled_from(
        ["break", "continue", "pass", "h = h * 2 if i else h", "print(i)", "h = i"])),
        min_size=1, max_size=3).map("\n".join)
    misc = st.sampled_from(["l = [a, b]\nl[0] = w\nl += [1]\ndel l[0]", "a, b = b, a",
                         "(h, out), i = (a, b), 1", "h, *rest = [a, b, w]", "h, out = a",
                         "d = {'k': a}\nd['k'] += 1\nh = d['k']", "assert a is not None, 'a'",
                         "assert False, f'{a}'", "raise ValueError('bad')",
                         "x = 1\ndel x", "h = a if a.sum() > 0 else b",
                         "def f():\n    global h\n    h = b\nf()",
                         "def f():\n    c = 0\n    def g():\n        nonlocal c\n"
                         "        c += 1\n        return c\n    return g\nh = f()()",
                         "print(*[a, b], sep=', ', end='!\\n')",
                         "h = sorted([3, 1, 2], key=lambda v: -v)",
                         "h = (a > 0) & (b < 1)", "h = a == b", "h = 7 // 2 % 3",
                         "h = [0] * 10**9", "h = 'ab' * 10**9", "h = {1, 2} | {3}",
                          "h = a if (a is None or b is not None) and not w is None else b"])
    structured = st.one_of(
        st.tuples(iterable, body).map(lambda t: f"h = a\nfor i in {t[0]}:\n{_indent(t[1])}"),
        st.tuples(iterable, body).map(
            lambda t: f"h = a\nfor i in {t[0]}:\n{_indent(t[1])}\nelse:\n    h = -h"),
        st.tuples(condition, body, body).map(
            lambda t: f"i = 1\nh = a\nif {t[0]}:\n{_indent(t[1])}\nelif i:\n    pass\n"
                      f"else:\n{_indent(t[2])}"),
        st.tuples(st.integers(0, 5), body).map(
            lambda t: f"i = 0\nh = a\nwhile i < {t[0]}:\n    i += 1\n{_indent(t[1])}"),
        st.tuples(learner, st.sampled_from(["a", "b, 2.0", "w", "a, k=b", "*[a]",
                                            "**{'t': a}", "", "a, b, w"])).map(
            lambda t: f"def f(t, k=1.0):\n    i = 0\n    h = t\n    return "
                      f"{t[0].replace('h', 't')}\nout = f({t[1]})"),
        st.just("def f(n):\n    return n if n < 1 else f(n - 1) * a\nout = f(3)"),
        st.just("def f(n):\n    return f(n + 1)\nout = f(0)"),
        st.just("def f():\n    global h\n    h = b\n    assert h is b\nf()"),
        st.just("def f():\n    c = a\n    def g():\n        nonlocal c\n        c = c * 2\n"
                "        return c\n    return g\nh = f()()"),
        st.tuples(learner).map(lambda t: f"g = lambda t: {t[0].replace('h', 't')}\n"
                                         "out = g(a)"),
        st.tuples(iterable, learner).map(
            lambda t: f"h = [{t[1].replace('h', 'i')} for i in {t[0]} if i is not None]"),
        st.tuples(iterable).map(lambda t: f"d = {{i: i for i in {t[0]}}}"),
        st.tuples(iterable).map(lambda t: f"h = sum(i * 2 for i in {t[0]})"),
        st.tuples(expr, st.sampled_from(["", ":.3f", ":>8", "!r", "=", ":{i}", ":.{10**9}f",
                                         ":e", ":d"])).map(
            lambda t: f"i = 3\nprint(f'value {{{t[0]}{t[1]}}} done')"),
        st.tuples(st.sampled_from(["%d", "%.2f", "%s", "%r", "%(k)s", "%x", "%c"]), expr).map(
            lambda t: f"print('{t[0]}' % ({t[1]},))"),
        st.tuples(simple, st.sampled_from(["RuntimeError", "Exception", "(TypeError, "
                                           "ValueError)", "ZeroDivisionError", "KeyError"]),
                  st.sampled_from(["print(e)", "print(e.args)", "raise", "h = a",
                                   "print(repr(e))"])).map(
            lambda t: f"try:\n    {t[0]}\nexcept {t[1]} as e:\n    {t[2]}\nelse:\n    pass\n"
                      "finally:\n    i = 0"),
        st.tuples(st.sampled_from(["torch.no_grad()", "torch.enable_grad()",
                                   "torch.inference_mode()", "torch.set_grad_enabled(False)",
                                   "torch.no_grad(), torch.enable_grad()", "a", "None"]),
                  body).map(lambda t: f"i = 0\nh = a\nwith {t[0]}:\n{_indent(t[1])}"),
        st.tuples(body).map(lambda t: f"@torch.no_grad()\ndef f(t):\n    i = 0\n    h = t\n"
                                      f"{_indent(t[0])}\n    return h\nout = f(a)"),
        st.tuples(name, st.sampled_from(["+=", "-=", "*=", "/=", "**=", "//=", "%=", "@="]),
                  expr).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["w.data", "a.grad", "w", "h"]),
                  st.sampled_from(["-=", "+=", "*="]), learner).map(
            lambda t: f"h = a\n{t[0]} {t[1]} 0.1 * ({t[2]})"),
        st.tuples(index(), expr).map(lambda t: f"h = a.detach().clone()\nh[{t[0]}] = {t[1]}"),
    )
    # Hypothesis draws one_of branches about evenly: one in three statements is a small
    # idiom from `misc` (unpacking, del, global/nonlocal, assert, starred print...).
    return st.integers(0, 2).flatmap(lambda k: misc if k == 0 else structured)


@st.composite
def programs(draw: st.DrawFn, control: bool = True) -> str:
    """Imports; a, b and w assigned float tensors (mostly of one shape, so that they combine);
    then one to six random statements (with `control`, some are loops, functions, try...)."""
    header = draw(st.sampled_from([HEADER, "import torch\nfrom torch import nn\n"
                                   "from torch.nn import functional as F\n"]))
    common = draw(shape)
    same = st.one_of(st.just(common), st.just(common), st.just(common), shape)
    prelude = [f"{n} = {draw(float_tensor(same))}" for n in TENSORS]
    # A torch program has no free variables (language v2: an unassigned name is a NameError),
    # so the names statements read are assigned first.
    prelude += ["x = torch.tensor(0.5, requires_grad=True)", "h = a", "out = b", "loss = w"]
    body = draw(st.lists(chains(), min_size=1, max_size=3))
    body += draw(st.lists(statements(control), min_size=0, max_size=6))
    # A torch program runs backward only when it asks (language v2: no implicit backward).
    tail = draw(st.sampled_from(["", "loss = {}.sum()", "loss = {}.mean()\nloss.backward()",
                                 "{}.sum().backward()", "loss = ({}).sum() + a.sum()\n"
                                 "loss.backward()", "{}.mean().backward()",
                                 "loss = {}.sum()\nloss.backward()", "{}.sum().backward()",
                                 "a.sum().backward()", "(a * w).sum().backward()"]))
    if tail:
        body.append(tail.format(draw(st.sampled_from(NAMES))))
    return header + "\n".join(prelude + body) + "\n"


def torchless_programs() -> st.SearchStrategy[str]:
    """`f = (x * y + sin(x)) ** 2`: free variables, numbers and the bare math functions."""
    leaves = st.one_of(st.sampled_from(FREE), st.sampled_from(FREE), plausible_float,
                       st.sampled_from(odd_floats))
    funcs = [name for name, _ in BUILTINS if name != "pow"]
    expr = st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(funcs), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"pow({t[0]}, {t[1]})"),
        inner.map(lambda e: f"-{e}")), max_leaves=6)
    line = st.tuples(st.sampled_from(["f", "g", "loss"]), expr).map(lambda t: f"{t[0]} = {t[1]}")
    return st.lists(line, min_size=1, max_size=3).map(lambda ls: "\n".join(ls) + "\n")


def inputs() -> st.SearchStrategy[dict[str, float]]:
    value = st.one_of(st.floats(-10, 10, allow_nan=False),
                      st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1e-300, 2.0 ** 63]))
    return st.dictionaries(st.sampled_from(FREE), value, max_size=3)


# ---------------------------------------------------------------- mutations of the examples

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
STRANGE = ["\x00", "\ufeff", "\r", "\r\n", "\t", "\x0c", "\u2028", "\u00a0", "а", "ｘ", "𝐱",
           "\u200b", "\\", "#", "'", '"', ":", "(", ")", "[", "]", ",", "=", "*", "**", "@",
           ".", "_", "__", "é", "\U0001f600", "\x1b", "\udcff"]
REPLACEMENTS = ["__class__", "__dict__", "__import__", "eval", "exec", "getattr", "open",
                "print", "data", "grad", "torch", "F", "nn", "lambda", "for", "import", "None",
                "True", "0", "-1", "10**9", "1e308", "2 ** 10 ** 10", "[0] * 10**9", "x" * 300,
                "x[::0]", ".reshape(-1, -1)", "@", "**", "1000000"]


def tokens(source: str) -> list[str]:
    found = TOKEN.findall(source)
    assert "".join(found) == source
    return found


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    source = EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))]
    toks = tokens(source)
    for _ in range(draw(st.integers(1, 4))):
        if not toks:
            break
        i = draw(st.integers(0, len(toks) - 1))
        how = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace",
                                    "replace"]))
        if how == "delete":
            del toks[i]
        elif how == "duplicate":
            toks.insert(i, toks[i])
        elif how == "swap":
            j = draw(st.integers(0, len(toks) - 1))
            toks[i], toks[j] = toks[j], toks[i]
        elif how == "insert":
            toks.insert(i, draw(st.one_of(st.sampled_from(STRANGE), st.characters())))
        else:
            toks[i] = draw(st.one_of(st.sampled_from(REPLACEMENTS),
                                     st.sampled_from([t for t in toks if t.strip()]
                                                     or REPLACEMENTS)))
    return "".join(toks)
