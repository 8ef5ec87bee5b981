"""Resource limits (issue #5): every limit stops a program with a message that names the limit
and the line, before the memory or time it guards is spent; every limit is a setting.

Programs that blow up memory are refused by arithmetic on shapes, never by trying: each test
here that would allocate gigabytes if a guard were missing runs in a child process that may
map at most 1 GiB more (RLIMIT_AS), so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import resource
import time

import pytest
from chainrule.app.runner import trace_response
from chainrule.app.settings import Settings
from chainrule.engine.errors import LimitError, RefusedError
from chainrule.engine.lang import check_program, run_program
from chainrule.engine.limits import Limits

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"


def run(body: str, limits: Limits | None = None):
    return run_program(HEADER + body, limits=limits or Limits())


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def _child(conn, source: str, limits: Limits) -> None:
    # 1 GiB more than the forked process already maps (pytest may have loaded PyTorch)
    cap = _address_space() + (1 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        r = run_program(source, limits=limits)
        conn.send(("ok", None if r.error is None else
                   (r.error.kind, r.error.message, r.error.line)))
    except RefusedError as e:
        conn.send(("refused", (e.kind, e.message, e.line)))
    except BaseException as e:  # noqa: BLE001 - report anything to the parent
        conn.send(("raised", f"{type(e).__name__}: {e}"))


def run_capped(body: str, limits: Limits | None = None, timeout: float = 60.0):
    """run_program in a child process that may map at most 1 GiB more than it started with:
    (outcome, (kind, message, line))."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child, HEADER + body, limits or Limits()))
    proc.start()
    try:
        assert parent.poll(timeout), "the program did not finish"
        return parent.recv()
    finally:
        proc.kill()
        proc.join()


# ---------------------------------------------------------------- one program per limit

# body (line 4 is its first line), limits, words the message must hold, the failing line
LIMITS = [
    ("y = torch.randn(1001, 1000)", Limits(), ["1,000,000 elements", "per tensor"], 4),
    ("y = torch.zeros(500, 500)\nz = torch.zeros(500, 500)\nw = torch.zeros(500, 500)",
     Limits(max_total_elements=600_000), ["600,000", "in total"], 6),
    ("a = torch.ones(2)\nb = a * 2\nc = b * 2\nd = c * 2", Limits(max_ops=2),
     ["2 operations"], 7),
    ("a = torch.ones(600, 600)\nb = a @ a", Limits(), ["216,000,000 multiply-adds",
                                                        "200,000,000"], 5),
    ("a = torch.ones(3, requires_grad=True)\nb = a ** 1e308", Limits(),
     ["exponent", "±1000"], 5),
    ("a = torch.ones(3)\nb = a.pow(-5000)", Limits(), ["exponent", "±1000"], 5),
    ("a = torch.ones(3)\nb = torch.pow(a, 1001)", Limits(), ["exponent"], 5),
    ("a = torch.ones(3)\nb = a ** 3", Limits(max_abs_exponent=2), ["exponent 3", "±2"], 5),
    ("a = torch.ones(2)\nb = a * 2", Limits(max_seconds=-1.0), ["time limit"], 1),
    # found by the long fuzz run: NumPy's broadcasting stops at 32 dimensions (an internal
    # error until tensors had a dimension limit)
    ("b = torch.randn((), requires_grad=True)\na = b.exp() + torch.tensor(" + "[" * 40 + "1.0"
     + "]" * 40 + ")", Limits(), ["40 dimensions", "32 dimensions"], 5),
    ("x = torch.ones(1)\nx = x.reshape(" + ", ".join(["1"] * 33) + ")", Limits(),
     ["33 dimensions"], 5),
]


@pytest.mark.parametrize("body, limits, words, line", LIMITS,
                         ids=[b.splitlines()[-1][:30] for b, *_ in LIMITS])
def test_each_limit_names_itself_and_the_line(body, limits, words, line):
    r = run(body, limits)
    assert r.error is not None and r.error.kind == "limit", r.error
    for w in words:
        assert w in r.error.message, r.error.message
    assert r.error.line == line, (r.error.line, r.error.message)


@pytest.mark.parametrize("source, limits, words, line", [
    ("x = 1\n" * 5, Limits(max_source_chars=20), ["30 characters", "limit of 20"], 4),
    ("y = 1 + 2 + 3\n", Limits(max_ast_nodes=5), ["more than 5 syntax nodes"], 1),
    ("y = 1\nz = ((((1))))\nw = -(-(-(-(-1))))\n", Limits(max_ast_depth=6), ["6 levels"], 3),
])
def test_size_limits_refuse_before_running(source, limits, words, line):
    with pytest.raises(RefusedError) as e:
        check_program(source, limits)
    assert e.value.kind == "limit"
    for w in words:
        assert w in e.value.message, e.value.message
    assert e.value.line == line


def test_printing_is_bounded():
    r = run("a = torch.ones(60)\n" + "print(a, a, a, a, a, a, a, a, a, a)\n" * 60)
    assert r.error.kind == "limit" and "printed more than 100,000 characters" in r.error.message
    assert len(r.stdout) <= 100_000


def test_shown_numbers_limit_through_the_runner():
    body = HEADER + "a = torch.randn(100, 100)\nb = a.exp()\nc = b.exp()\n"
    status, payload = trace_response(body, None, 0, Limits(max_shown_numbers=2_000))
    assert status == 200
    assert b'"kind":"limit"' in payload and b'"line":5' in payload and b"2,000 numbers" in payload


# ---------------------------------------------------------------- memory and time bombs

# Each must end in an error of the given kind ("kind:words" when the message must hold
# words), quickly, within 1 GiB. None may raise, allocate its size, or end in kind "internal".
# Without the shape guards the broadcast ones would end in a MemoryError under the cap (a
# vaguer limit message, after seconds of allocation); in a process without a cap, in 8 GB.
BIG = "a = torch.ones(1000, 1, 1000)\nb = torch.ones(1, 1000, 1)\n"   # a + b: 8 GB
BATCH = "a = torch.ones(200, 1, 1000, 1)\nb = torch.ones(1, 1000, 1, 1)\n"  # a @ b: 1.6 GB
OVER = "limit:would make a tensor"
BOMBS = [
    ("a = torch.tensor([1.0] * 10**9)", "limit"),   # list * int: capped before it is built
    ("a = [1.0] * 10**9", "limit"),
    ("a = (1,) * 10**9", "limit"),
    ("a = 'ab' * 10**9", "limit"),
    ("a = [0]\nfor i in range(40):\n    a = a + a", "limit"),
    ("a = [[1.0] * 1000 for i in range(10**6)]", "limit"),
    ("a = torch.arange(10**12)", "limit"),
    ("a = torch.arange(0, 1, 1e-300)", "limit"),
    ("a = torch.arange(1e308, -1e308, -1e300)", "limit"),     # count overflowed to inf
    ("a = torch.arange(0, 1e308, -1)", "argument"),           # NumPy: Maximum allowed size
    ("a = torch.randn(10**6, 10**6)", "limit"),
    ("a = torch.zeros(0, 10**18, 10**18)", "limit"),          # empty, but NumPy cannot say
    ("a = torch.randint(0, 3, (0, 10**18, 10**18))", "limit"),
    ("a = torch.ones(" + ", ".join(["1"] * 70) + ")", "limit"),   # NumPy: at most 64 dims
    ("a = torch.ones(1)\n" + "a = a" + ".unsqueeze(0)" * 25 + "\n" + "a = a"
     + ".unsqueeze(-1)" * 25 + "\n" + "a = a" + ".unsqueeze(0)" * 25, "limit"),
    (BIG + "c = a + b", OVER),
    (BIG + "c = a * b", OVER),
    (BIG + "c = a ** b", OVER),
    (BIG + "c = torch.sub(a, b)", OVER),
    (BIG + "c = a.div(b)", OVER),
    (BIG + "c = torch.pow(a, b)", OVER),
    (BIG + "c = F.mse_loss(a, b)", OVER),
    (BIG + "c = nn.MSELoss()(a, b)", OVER),
    # a batched matmul under the flops limit whose result is 200,000,000 elements (1.6 GB)
    (BATCH + "c = a @ b", OVER),
    (BATCH + "c = torch.matmul(a, b)", OVER),
    ("a = torch.ones(1000, 1000)\nb = a @ a @ a @ a @ a @ a", "limit"),       # chained
    ("a = torch.ones(3, requires_grad=True)\nb = a ** 1e308", "limit"),
    ("a = torch.ones(3)\nb = a.reshape(-1, -1)", "shape"),
    ("a = torch.ones(3)\nb = a[::0]", "argument"),
    ("a = torch.ones(3)\nb = a[::10**30]", "argument"),
    ("a = torch.ones(3)\nb = a[:: 2**62]", None),
    ("a = torch.ones(3)\nb = a[-10**18:10**18]", None),
    ("a = torch.ones(2, 3)\nb = a.shape[::0]", "argument"),   # was ValueError (internal)
    ("a = torch.ones(3)\nb = a.reshape(10**10, 0)", "shape"),
    ("b = 2 ** 10 ** 10", None),             # Python numbers: inf, instantly
    ("b = 10 ** 100000", None),
    ("b = 9 ** 9 ** 9 ** 9", None),
    ("b = (2 ** 62) * (2 ** 62) * (2 ** 62)", None),
    ("b = torch.tensor(10 ** 400)", None),
    ("b = torch.tensor([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1.0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]).sum()",
     None),
    ("a = torch.zeros(1000, 1000)\n" + "".join(f"b{i} = a.exp()\n" for i in range(10)),
     "limit"),                                                 # 11M elements in total
]


@pytest.mark.parametrize("body, kind", BOMBS, ids=[b.splitlines()[-1][:40] for b, _ in BOMBS])
def test_bombs_stop_cleanly_within_a_gigabyte(body, kind):
    started = time.monotonic()
    outcome, error = run_capped(body)
    assert outcome == "ok", (outcome, error)
    if kind is None:
        assert error is None, error
    else:
        kind, _, words = kind.partition(":")
        assert error is not None and error[0] == kind, error
        assert words in error[1], error
        assert error[2] is not None
    assert time.monotonic() - started < 10


def test_str_of_a_huge_int_cannot_be_made():
    r = run("b = str(10 ** 100000)")   # ints past 64 bits become floats, as in a tensor
    assert r.error is None and r.variables["b"] == "inf"
    r = run("print(10 ** 100000)")
    assert r.error is None and r.stdout == "inf\n"


def test_huge_literals_and_long_names():
    with pytest.raises(RefusedError):           # 5,000 digits: Python refuses to read it
        check_program("a = " + "9" * 5000, Limits())
    long_name = "a" * 5_000
    r = run(f"{long_name} = torch.ones(2)\nb = {long_name} * 2")
    assert r.error is None and long_name in r.variables
    with pytest.raises(RefusedError) as e:      # a huge list literal: over the node limit
        check_program("a = torch.tensor([" + "1," * 6000 + "])", Limits())
    assert e.value.kind == "limit"


# ---------------------------------------------------------------- settings


def test_every_limit_is_a_setting(monkeypatch):
    """CHAINRULE_<NAME> overrides each field of Limits; the defaults are Limits()'s."""
    assert Settings.from_env().limits == Limits()
    for f in dataclasses.fields(Limits):
        default = getattr(Limits(), f.name)
        changed = default * 2 if default else 1
        monkeypatch.setenv(f"CHAINRULE_{f.name.upper()}", str(changed))
        assert getattr(Settings.from_env().limits, f.name) == changed, f.name
    monkeypatch.setenv("CHAINRULE_MAX_BODY_BYTES", "1234")
    monkeypatch.setenv("CHAINRULE_WORKERS", "3")
    s = Settings.from_env()
    assert s.max_body_bytes == 1234 and s.workers == 3


def test_the_readme_documents_every_limit_with_its_default():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for f in dataclasses.fields(Limits):
        default = getattr(Limits(), f.name)
        row = next((line for line in readme.splitlines() if f"`{f.name}`" in line), None)
        assert row is not None, f"README's limits table lacks {f.name}"
        shown = f"{default:,}" if isinstance(default, int) else f"{default:,g}"
        cells = [c.strip() for c in row.split("|")]
        names = [n.strip(" `") for n in cells[1].split("/")]
        values = [v.strip() for v in cells[2].split("/")]
        assert values[names.index(f.name)] in (shown, str(default)), (f.name, default, row)


def test_limit_errors_are_limit_errors():
    with pytest.raises(LimitError):
        from chainrule.engine.tensor import Tape, recording
        with recording(Tape(limits=Limits(max_tensor_elements=3))):
            from chainrule.engine import functional as fn
            fn.ones(2, 2)


@pytest.mark.parametrize("body", [
    "c = torch.mm(a, b)", "c = a.mm(b)", "c = a @ b", "c = torch.matmul(a, b)",
    "c = torch.ones(3, 20000, 0) @ torch.ones(3, 0, 20000)",          # batched
    "c = torch.ones(20000, 1, 0) @ torch.ones(1, 0, 20000)",          # batch from broadcasting
    "c = torch.ones(20000, 1) + torch.ones(20000)",                   # broadcasting
    "c = torch.where(torch.ones(20000, 1) > 0, torch.ones(20000), 0.0)",
])
def test_an_oversized_result_is_refused_by_its_op_before_it_is_made(body):
    """Issue 11, class 4: `torch.mm` with an inner dimension of 0 filled 800 MB before the
    element limit stopped it. The op table's check refuses every such result up front, for
    every function that reaches the op."""
    r = run("a = torch.ones(20000, 0)\nb = torch.ones(0, 20000)\n" + body)
    assert r.error is not None and r.error.kind == "limit", r.error
    assert "over the limit" in r.error.message
