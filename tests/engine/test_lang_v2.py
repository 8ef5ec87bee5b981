"""Language v2 (issue 10): control flow, functions, closures, comprehensions, f-strings,
exceptions, grad modes — each program runs in chainrule and in real Python with real PyTorch
(the oracle; this test module runs them with `exec`, the engine never does), and what they
print must be the same, character for character (object addresses aside).
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap

import pytest
import torch
from chainrule.engine.lang import run_program
from chainrule.engine.tensor import Tensor

ADDRESS = re.compile(r"0x[0-9a-f]+")

PROGRAMS = {
    "if_elif_else": """
        for n in [-2, 0, 3]:
            if n < 0:
                print(n, "negative")
            elif n == 0:
                print(n, "zero")
            else:
                print(n, "positive")
    """,
    "for_else_break_continue": """
        total = 0
        for i in range(10):
            if i % 2:
                continue
            if i > 6:
                break
            total += i
        else:
            print("no break")
        print(total)
        for i in range(3):
            pass
        else:
            print("finished", i)
    """,
    "while_loop": """
        n, steps = 27, 0
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            steps += 1
        print(steps)
    """,
    "unpacking_and_enumerate_zip": """
        a, b = 1, 2
        a, b = b, a
        first, *rest = [1, 2, 3, 4]
        for i, (x, y) in enumerate(zip("ab", [10, 20]), start=1):
            print(i, x, y)
        print(a, b, first, rest)
    """,
    "functions_defaults_kwargs": """
        def power(base, exponent=2, *, scale=1):
            return scale * base ** exponent
        def total(*numbers, **named):
            return sum(numbers) + sum(named.values())
        print(power(3), power(2, 5), power(2, scale=10), total(1, 2, x=3))
    """,
    "closures_and_nonlocal": """
        def counter():
            count = 0
            def step():
                nonlocal count
                count += 1
                return count
            return step
        c = counter()
        c(); c()
        print(c())
        adders = [lambda v, k=k: v + k for k in range(3)]
        print([f(10) for f in adders])
    """,
    "recursion": """
        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)
        print([fib(i) for i in range(10)])
    """,
    "comprehensions": """
        squares = {n: n * n for n in range(5) if n % 2 == 0}
        pairs = [(i, j) for i in range(3) for j in range(i)]
        print(squares, pairs, sorted({c for c in "hello"}), sum(x * x for x in range(4)))
    """,
    "fstrings_and_percent": """
        x = 3.14159
        name = "pi"
        print(f"{name}: {x:.2f} {x!r} {x:>10.3f}|{42:05d} {x=}")
        print("%s is %.3f (%d%%)" % (name, x, 50))
        w = 8
        print(f"{x:{w}.{2}f}|", "{} and {:.1f}".format(1, 2.25))
    """,
    "try_except_finally": """
        def risky(v):
            try:
                if v == 0:
                    raise ValueError("zero is not allowed")
                return 10 / v
            except ValueError as e:
                print("caught:", e, repr(e), e.args)
                return None
            finally:
                print("done with", v)
        print(risky(2), risky(0))
        try:
            [1, 2][5]
        except (KeyError, IndexError) as e:
            print("lookup", e)
        try:
            assert 1 > 2, "math is broken"
        except AssertionError as e:
            print("assert:", e)
    """,
    "torch_loop_accumulates": """
        import torch
        w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
        for step in range(3):
            loss = (w * w).sum()
            loss.backward()
            print(step, loss.item() if False else loss, w.grad)
    """,
    "torch_function_and_no_grad": """
        import torch
        def model(x, w, b=0.5):
            return torch.tanh(x @ w + b)
        x = torch.tensor([[1.0, 2.0], [0.5, -1.0]])
        w = torch.tensor([0.3, -0.2], requires_grad=True)
        y = model(x, w)
        print(y)
        y.sum().backward()
        with torch.no_grad():
            z = w * 2
        print(w.grad, z, z.requires_grad, y.requires_grad)
    """,
    "torch_runtime_error_caught": """
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        try:
            y.backward()
        except RuntimeError as e:
            print("RuntimeError:", e)
        print(x.grad)
    """,
    "torch_fstring": """
        import torch
        t = torch.tensor(2.5, requires_grad=True)
        v = torch.tensor([1.0, 2.0])
        print(f"t = {t}, t*2 = {t * 2:.3f}, v = {v}")
        print(f"{t.item():.4f}", str(v), repr(t))
    """,
    "xor_ints_bools": """
        a = 6 ^ 3
        b = True ^ False
        c = True ^ True
        d = 5
        d ^= 1
        print(a, b, c, d, -7 ^ 2, 1 ^ True)
    """,
    "xor_tensors": """
        import torch
        m = torch.tensor([True, False, True])
        n = torch.tensor([True, True, False])
        k = torch.tensor([6, 5, -3])
        print(m ^ n, k ^ 3, torch.bitwise_xor(k, k))
        k ^= 1
        print(k)
        try:
            torch.ones(2) ^ torch.ones(2)
        except RuntimeError as e:
            print("RuntimeError")
        except NotImplementedError:
            print("NotImplementedError")
    """,
    "no_grad_decorator": """
        import torch
        @torch.no_grad()
        def double(t):
            return t * 2
        x = torch.ones(2, requires_grad=True)
        print(double(x).requires_grad, (x * 2).requires_grad)
    """,
}


def _python_stdout(source: str) -> str:
    out = io.StringIO()
    env: dict = {"torch": torch}
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<oracle>", "exec"), env)  # noqa: S102 - the oracle, in a test
    return ADDRESS.sub("0x…", out.getvalue())


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_prints_what_python_and_pytorch_print(name: str) -> None:
    source = textwrap.dedent(PROGRAMS[name])
    expected = _python_stdout(source)
    r = run_program(source)
    assert r.error is None, (r.error.kind, r.error.message, r.error.line)
    assert ADDRESS.sub("0x…", r.stdout) == expected


ERRORS = {
    # program, Python's exception type: chainrule's error carries the same type and message
    "undefined": ("import torch\nx = torch.ones(1)\ny = z * 2\n", "NameError"),
    "unbound_local": ("def f():\n    print(v)\n    v = 1\nf()\n", "UnboundLocalError"),
    "too_many_args": ("def f(a):\n    return a\nf(1, 2)\n", "TypeError"),
    "missing_arg": ("def f(a, b):\n    return a\nf(1)\n", "TypeError"),
    "unexpected_kw": ("def f(a):\n    return a\nf(a=1, c=2)\n", "TypeError"),
    "unpack": ("a, b = [1, 2, 3]\n", "ValueError"),
    "key": ("d = {'a': 1}\nd['b']\n", "KeyError"),
    "index": ("l = [1]\nl[3]\n", "IndexError"),
    "item_then_backward": ("import torch\nx = torch.tensor(2.0, requires_grad=True)\n"
                           "y = (x * x).item()\ny.backward()\n", "AttributeError"),
    "number_method": ("x = 3\nx.foo()\n", "AttributeError"),
    "bool_of_vector": ("import torch\nif torch.ones(3):\n    pass\n", "RuntimeError"),
    "raise": ("raise ValueError('bad value')\n", "ValueError"),
    "assert": ("assert 1 == 2, 'nope'\n", "AssertionError"),
    "not_callable": ("x = 3\nx()\n", "TypeError"),
    "str_plus_int": ("y = 'a' + 1\n", "TypeError"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_carry_pythons_type_and_words(name: str) -> None:
    source, python_type = ERRORS[name]
    with pytest.raises(Exception) as oracle:   # noqa: B017 - which one is the point
        _python_stdout(source)
    assert type(oracle.value).__name__ == python_type
    r = run_program(source)
    assert r.error is not None and r.error.python_type == python_type
    oracle_line = [e.lineno + 1 for e in oracle.traceback if e.path == "<oracle>"][-1]
    assert r.error.line == oracle_line
    words = str(oracle.value).split("\n")[0]
    if name == "undefined":
        words = "name 'z' is not defined"
    assert words in r.error.message or words.strip("'") in r.error.message, \
        (r.error.message, words)


def test_recursion_is_bounded_with_pythons_error() -> None:
    r = run_program("def f(n):\n    return f(n + 1)\nf(0)\n")
    assert r.error.python_type == "RecursionError"
    assert r.error.message == "maximum recursion depth exceeded"


def test_an_endless_loop_stops_at_the_time_limit() -> None:
    from chainrule.engine.limits import Limits
    r = run_program("while True:\n    pass\n", limits=Limits(max_seconds=0.3))
    assert r.error.kind == "limit" and "time limit" in r.error.message
    assert r.error.line == 1   # the loop that ran too long


def test_try_never_swallows_a_limit() -> None:
    from chainrule.engine.limits import Limits
    r = run_program("try:\n    while True:\n        pass\nexcept Exception:\n    print('x')\n"
                    "except:\n    print('y')\n", limits=Limits(max_seconds=0.3))
    assert r.error.kind == "limit" and r.stdout == ""


def test_calls_and_loops_are_scopes_on_the_tape() -> None:
    r = run_program(textwrap.dedent("""
        import torch
        x = torch.tensor(2.0, requires_grad=True)
        def f(a):
            return a * a
        y = x
        for i in range(3):
            y = f(y) + i
        y.backward()
    """))
    assert r.error is None
    muls = [rec for rec in r.tape.records if rec.op.name == "mul"]
    assert len(muls) == 3
    for k, rec in enumerate(muls, start=1):
        loop, call = rec.scope
        assert (loop.kind, loop.label, loop.iteration, loop.of) == ("loop", f"i = {k - 1}", k, 3)
        assert (call.kind, call.label) == ("call", "f(y)")
        assert rec.span[0] == 5   # the body of f, not the calling line
    assert len({rec.scope[-1].id for rec in muls}) == 3   # one scope per call
    x = r.variables["x"]
    assert isinstance(x, Tensor)
    tx = torch.tensor(2.0, requires_grad=True)   # the oracle
    ty = tx
    for i in range(3):
        ty = ty * ty + i
    ty.backward()
    assert x.grad.item() == pytest.approx(tx.grad.item())


def test_a_comprehension_iterates_in_a_loop_scope_per_item() -> None:
    r = run_program(textwrap.dedent("""
        import torch
        x = torch.tensor(2.0, requires_grad=True)
        ys = [x * i for i in range(4)]
        sum(ys).backward()
    """))
    assert r.error is None
    muls = [rec for rec in r.tape.records if rec.op.name == "mul"]
    assert len(muls) == 4
    for k, rec in enumerate(muls, start=1):
        loop = rec.scope[-1]
        assert (loop.kind, loop.label, loop.iteration, loop.of) == ("loop", f"i = {k - 1}", k, 4)
    # d/dx sum(x*i for i<4) = 0+1+2+3
    assert r.variables["x"].grad.item() == 6.0


def test_a_caught_exception_shows_its_message_and_nothing_else() -> None:
    r = run_program("try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    err = e\n"
                    "print(err, err.args)\ny = err.message\n")
    assert r.stdout == "division by zero ('division by zero',)\n"
    assert r.error.python_type == "AttributeError"
