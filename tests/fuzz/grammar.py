"""Hypothesis strategies that write programs in chainrule's snippet language
(`../shared/language.md`), and that mutate the gallery's examples.

The vocabulary comes from the namespace tables themselves (`engine/namespace.py`): every
function, method, attribute and nn class a snippet can reach, called with arguments chosen by
their PyTorch parameter names. Arguments are mostly plausible (small shapes, dims in range)
and sometimes not (dims of 10**9, sizes of 10**12, 1e308, wrong types, unknown keywords), so
that generated programs both run deep into the engine and probe its edges.

    programs()           whole programs: imports, a few tensors, then random statements
    inputs()             free-variable values (finite, some extreme)
    mutated_examples()   the gallery's examples with tokens deleted/duplicated/swapped/replaced
                         and random characters inserted
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from chainrule.engine import namespace as ns
from hypothesis import strategies as st

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "app" / "examples"
EXAMPLES = {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES_DIR.glob("*.py"))}

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
TENSORS = ["a", "b", "w"]                # always assigned a float tensor first
NAMES = TENSORS + ["h", "out", "loss"]   # assigned by generated statements
FREE = ["x", "y", "u"]   # free variables of typed expressions; in a torch program: NameError

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
                     prefixed("", BUILTINS), method(METHODS), method(METHODS), module(NN_CLASSES))


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
                       st.sampled_from(TENSORS), st.sampled_from(NAMES), number,
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


def statements() -> st.SearchStrategy[str]:
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
        control_flow(), control_flow(), control_flow(),
    )


def _indented(lines: list[str]) -> str:
    return "\n".join("    " + line for stmt in lines for line in stmt.split("\n"))


def control_flow() -> st.SearchStrategy[str]:
    """Language v2: loops, conditions, functions, closures, comprehensions, f-strings,
    exceptions, grad modes and in-place updates around learner-style statements."""
    name = st.sampled_from(NAMES)
    simple = st.tuples(name, learner_expressions()).map(lambda t: f"{t[0]} = {t[1]}")
    body = st.lists(simple, min_size=1, max_size=3).map(_indented)
    count = st.sampled_from(["0", "1", "3", "range(2)", "a.shape[0]", "10**9", "-1"])
    cond = st.sampled_from(["a.sum() > 0", "True", "a", "(a > 0).any()", "not b.requires_grad",
                            "a.shape[0] == 2 and b.numel() > 1", "len(a.shape) < 2"])
    tensor = st.sampled_from(TENSORS)
    return st.one_of(
        st.tuples(count, body).map(
            lambda t: f"for i in {t[0] if t[0].startswith(('range', 'a')) else f'range({t[0]})'}"
                      f":\n{t[1]}"),
        st.tuples(cond, body, body).map(lambda t: f"if {t[0]}:\n{t[1]}\nelse:\n{t[2]}"),
        body.map(lambda b: f"with torch.no_grad():\n{b}"),
        body.map(lambda b: f"try:\n{b}\nexcept RuntimeError as e:\n    print('caught', e)"),
        st.tuples(name, learner_expressions(), tensor).map(
            lambda t: f"def f(h, k=2):\n    return {t[1]} * k\n{t[0]} = f({t[2]})"),
        st.tuples(name, tensor).map(
            lambda t: f"def scale(s):\n    return lambda v: v * s\n{t[0]} = scale(3)({t[1]})"),
        st.tuples(name, tensor).map(lambda t: f"{t[0]} = [{t[1]} * k for k in range(3)][-1]"),
        st.tuples(name, tensor).map(lambda t: f"{t[0]} = sum({t[1]} ** k for k in range(3))"),
        tensor.map(lambda t: f"print(f'{{{t}}} {{{t}.sum():.3f}} {{{t}.shape}}')"),
        st.tuples(tensor, st.sampled_from(["+=", "-=", "*="]), learner_expressions()).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(tensor, st.sampled_from(["zero_()", "add_(1)", "mul_(2.0)", "fill_(0.5)"])).map(
            lambda t: f"with torch.no_grad():\n    {t[0]}.{t[1]}"),
        st.tuples(name, tensor).map(lambda t: f"{t[0]} = torch.where({t[1]} > 0, {t[1]}, 0.0)"),
        st.just("n = 0\nwhile n < 3:\n    n += 1\n    if n == 2:\n        break"),
        st.tuples(name, tensor).map(lambda t: f"{t[0]}, *rest = [{t[1]}, {t[1]} * 2, 3]"),
        # recursion, closures with nonlocal, hooks, xor, views changed in place, classes
        st.tuples(name, tensor, count).map(
            lambda t: f"def p(v, n):\n    return v if n <= 0 else p(v * 0.5, n - 1)\n"
                      f"{t[0]} = p({t[1]}, {t[2]})"),
        st.tuples(name, tensor).map(
            lambda t: f"def acc():\n    total = 0\n    def add(v):\n        nonlocal total\n"
                      f"        total = total + v\n        return total\n    return add\n"
                      f"{t[0]} = acc()({t[1]})"),
        tensor.map(lambda t: f"{t}.register_hook(lambda g: g * 2)"),
        st.sampled_from(["q = 6 ^ 3", "q = True ^ False", "q = 5\nq ^= 1",
                         "q = torch.tensor([1, 2]) ^ 3", "q = torch.ones(2) ^ torch.ones(2)"]),
        st.tuples(tensor, st.sampled_from(["[0]", "[1:]", ".view(-1)", ".t()", "[..., 0]"]),
                  st.sampled_from(["mul_(2)", "zero_()", "add_(1)"])).map(
            lambda t: f"v = ({t[0]} * 1){t[1]}\nv.{t[2]}"),
        tensor.map(lambda t: f"print(f'{{{t}.sum().item():{{8}}.{{3}}f}} {{{t}!r:>5}}')"),
        st.tuples(name, tensor).map(
            lambda t: f"class Lin(nn.Module):\n    def __init__(self):\n"
                      f"        super().__init__()\n        self.w = nn.Parameter(torch.ones(1))\n"
                      f"    def forward(self, v):\n        return v * self.w\n"
                      f"{t[0]} = Lin()({t[1]})"),
    )


@st.composite
def programs(draw: st.DrawFn) -> str:
    """Imports; a, b and w assigned float tensors (mostly of one shape, so that they combine);
    then one to six random statements."""
    header = draw(st.sampled_from([HEADER, "import torch\nfrom torch import nn\n"
                                   "from torch.nn import functional as F\n"]))
    common = draw(shape)
    same = st.one_of(st.just(common), st.just(common), st.just(common), shape)
    prelude = [f"{n} = {draw(float_tensor(same))}" for n in TENSORS]
    # w needs a gradient, so that a tail's backward (a framework program gets no implicit
    # one) has something to reach
    prelude.append("w.requires_grad_(True)")
    body = draw(st.lists(chains(), min_size=1, max_size=3))
    body += draw(st.lists(statements(), min_size=0, max_size=6))
    # (the first option is what the smallest examples get: a backward pass)
    tail = draw(st.sampled_from(["loss = {}.sum() + w.sum()\nloss.backward()", "",
                                 "loss = {}.mean()\nloss.backward()", "{}.sum().backward()",
                                 "loss = ({}).sum() + a.sum()\nloss.backward()",
                                 "(w * 2).sum().backward()\nloss = {}.sum()"]))
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
