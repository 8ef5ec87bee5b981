"""The learner's own engine is the trace (issue 15): the graph drawn from their Values' `_prev`,
`_op` and `label`, and one backward step per `.grad` their `_backward` closures wrote, in the
order their own code ran them. Oracles: CPython running the same program (the test's own exec)
for values, gradients and the order of the closures; hand math for the a + a bug."""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import json
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest
from chainrule.app.gallery import EXAMPLES_DIR
from chainrule.engine.trace import trace_program

from tests.dialects.lecture import snippet, value_class

ORDER = """
    self.grad = 1.0
    for node in reversed(topo):
      order.append(node.label)
      node._backward()
"""


def _python(source: str) -> dict:
    """CPython runs the program: its globals (the oracle)."""
    env = {"math": math, "random": random, "draw_dot": lambda root: None}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "<oracle>", "exec"), env)  # noqa: S102 (test oracle)
    return env


def _by_label(trace) -> dict[str, dict]:
    return {n["label"]: n for n in trace.nodes if n["kind"] == "tensor"}


def test_the_graph_is_their_values_prev_op_and_label():
    trace = trace_program(snippet("19"))       # f = (a*b) * (a+b), draw_dot(f)
    env = _python(snippet("19"))
    nodes = _by_label(trace)
    assert set(nodes) == {"a", "b", "d", "e", "f"}
    ops = {n["id"]: n for n in trace.nodes if n["kind"] == "op"}
    assert sorted(n["op"] for n in ops.values()) == ["*", "*", "+"]
    # each op node: their _prev in, their Value out (draw_dot's picture)
    for label in ("d", "e", "f"):
        into = [e for e in trace.edges if e["target"] == nodes[label]["id"]]
        assert len(into) == 1 and into[0]["role"] == "output"
        op = into[0]["source"]
        sources = {trace.nodes[[n["id"] for n in trace.nodes].index(e["source"])]["label"]
                   for e in trace.edges if e["target"] == op}
        assert sources == {c.label for c in env[label]._prev}
        assert ops[op]["op"] == env[label]._op
    for label, n in nodes.items():
        assert n["value"]["data"] == env[label].data
        assert n["grad"]["data"] == env[label].grad
    # the variables: every top-level Value, its data and grad as Python has them
    for name, v in trace.variables.items():
        assert (v["data"], v["grad"]) == (env[name].data, env[name].grad)


def test_backward_steps_follow_their_topological_order():
    source = snippet("15").replace("""
    self.grad = 1.0
    for node in reversed(topo):
      node._backward()
""", ORDER).replace("class Value:", "order = []\nclass Value:", 1) + "print(order)\n"
    assert "order.append" in source
    env = _python(source)
    trace = trace_program(source)
    assert trace.error is None
    # the order their loop ran the closures in chainrule's run, as their program printed it
    # (a set's iteration order is not Python's to promise, so CPython's run is no oracle here)
    order = ast.literal_eval(trace.stdout.strip().splitlines()[-1])
    steps = [s for s in trace.steps if s["phase"] == "backward"]
    assert steps[0]["kind"] == "seed"
    assert "backward always seeds 1.0" in steps[0]["narration"]
    labels = {n["id"]: n["label"] for n in trace.nodes}
    ran = []
    for s in steps[1:]:
        if not ran or ran[-1] != labels[s["from"]]:
            ran.append(labels[s["from"]])
    # their order, leaves (whose `lambda: None` writes nothing) left out
    assert ran == [lab for lab in order if env_node(env, lab)._prev]
    assert len(ran) == 5      # o, n, x1*w1 + x2*w2, x1*w1, x2*w2
    # each step: the child's .grad before -> after, as their closure left it
    last = {}
    for s in steps[1:]:
        last[labels[s["to"]]] = s
        assert s["own_backward"]["after"] == s["grad"]["data"]
        assert "self.grad +=" in s["narration"] or "other.grad +=" in s["narration"]
    for lab, s in last.items():
        assert s["grad"]["data"] == env_node(env, lab).grad
    assert not any("pytorch" in s for s in steps)     # their engine is right: nothing flagged


def env_node(env: dict, label: str):
    found = [v for v in env.values() if getattr(v, "label", None) == label]
    return found[-1]


def test_the_a_plus_a_bug_shows_where_it_happens_beside_pytorch():
    # b = a + a with `=` in _backward: both writes set a.grad = 1.0 * b.grad = 1.0, while
    # db/da = 2 (a is both operands), as PyTorch gives: a.grad is wrong at a, not at b.
    buggy = snippet("18").replace("self.grad += 1.0 * out.grad", "self.grad = 1.0 * out.grad") \
                         .replace("other.grad += 1.0 * out.grad", "other.grad = 1.0 * out.grad")
    assert _python(buggy)["a"].grad == 1.0
    trace = trace_program(buggy)
    labels = {n["id"]: n["label"] for n in trace.nodes}
    assert sorted(labels.values()) == ["+", "a", "b"]
    edges = [s for s in trace.steps if s["kind"] == "edge"]
    assert len(edges) == 1 and labels[edges[0]["to"]] == "a"
    step = edges[0]
    assert step["grad"]["data"] == 1.0 and step["pytorch"]["grad"] == 2.0
    assert "PyTorch gives 2.0 here" in step["narration"]
    assert any(r[0] == "pytorch" and "PyTorch gives 2.0 here" in r[1] for r in step["rows"]
               if isinstance(r, list))
    assert "self.grad = 1.0 * out.grad; other.grad = 1.0 * out.grad" in step["narration"]
    # the fixed class (+=): a.grad = 2.0, nothing flagged
    fixed = trace_program(snippet("18"))
    step = next(s for s in fixed.steps if s["kind"] == "edge")
    assert step["grad"]["data"] == 2.0 and "pytorch" not in step


def test_a_class_of_any_name_with_the_four_attributes_is_drawn():
    source = value_class("18").replace("Value", "Node") + """
x = Node(3.0, label='x'); y = Node(4.0, label='y')
z = x * y; z.label = 'z'
z.backward()
"""
    trace = trace_program(source)
    assert {n["label"] for n in trace.nodes} == {"x", "y", "z", "*"}
    grads = {s["own_backward"]["after"] for s in trace.steps if s["kind"] == "edge"}
    assert grads == {4.0, 3.0}      # dz/dx = y, dz/dy = x
    # without _prev an object is not a value node: no graph of it
    plain = trace_program("class P:\n  def __init__(self):\n    self.data = 1.0\n"
                          "    self.grad = 0.0\np = P()\n")
    assert plain.nodes == [] and "p" not in plain.variables


def test_micrograd_programs_backward_is_told_in_micrograds_own_lines():
    # the oracle: micrograd's engine.py itself (the installed package's source)
    engine = pytest.importorskip("micrograd.engine")
    lines = {line.strip() for line in inspect.getsource(engine).splitlines()
             if "grad +=" in line}
    trace = trace_program((EXAMPLES_DIR / "17_micrograd_value.py").read_text())
    steps = [s for s in trace.steps if s["phase"] == "backward"]
    assert steps[0]["kind"] == "seed" and "always seeds 1.0" in steps[0]["narration"]
    edges = steps[1:]
    assert len(edges) == 10
    for s in edges:
        quoted = s["narration"].split("): ", 1)[1].split(", with out.grad", 1)[0]
        assert quoted in lines, s["narration"]


def test_a_program_that_never_calls_backward_is_offered_their_own():
    trace = trace_program(snippet("12"))          # builds L = (a*b + c) * f, no backward
    assert [s["kind"] for s in trace.steps] == ["op", "op", "op"]
    assert trace.offer_backward["code"] == "L.backward()"
    assert trace.nodes[[n["id"] for n in trace.nodes].index(
        trace.offer_backward["node"])]["label"] == "L"
    ran = trace_program(snippet("12") + trace.offer_backward["code"] + "\n")
    assert ran.offer_backward is None and ran.steps[3]["kind"] == "seed"
    # dL/da = f * b = 6, dL/db = f * a = -4, dL/dc = f = -2, dL/df = d = 4 (hand math)
    assert {n: ran.variables[n]["grad"] for n in "abcf"} == {"a": 6.0, "b": -4.0, "c": -2.0,
                                                             "f": 4.0}


def test_the_same_program_gives_the_same_trace_in_every_run():
    # their `_prev` and `visited` are sets of their objects: the closures' order follows the
    # set's iteration order, which must not depend on where objects land in memory (caches and
    # permalinks rely on one program giving one trace). Runs with other memory states:
    source = (EXAMPLES_DIR / "18_own_value.py").read_text()
    script = ("import json, sys\njunk = [object() for _ in range(int(sys.argv[1]))]\n"
              "from chainrule.engine.trace import trace_program\n"
              "t = trace_program(sys.stdin.read())\nprint(json.dumps(t.steps))\n")
    runs = [subprocess.run([sys.executable, "-c", script, str(n)], input=source,
                           capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2]).stdout
            for n in (0, 1000, 1003)]
    assert all(r == runs[0] for r in runs)
    assert json.loads(runs[0]) == json.loads(json.dumps(trace_program(source).steps))


def test_an_error_after_their_graph_keeps_its_step_and_the_graph():
    # a torch leaf in a function call (a call group of the tensor graph) and then an
    # AttributeError: their graph stays the trace, the error is its last step
    source = snippet("19") + ("import torch\ndef f(z):\n    return torch.tensor(1.0)\n"
                              "t = f(2)\nu = f.nope\n")
    trace = trace_program(source)
    assert trace.error["message"] == "'function' object has no attribute 'nope'"
    assert {n["label"] for n in trace.nodes if n["kind"] == "tensor"} == {"a", "b", "d", "e",
                                                                         "f"}
    assert trace.groups == [] and trace.steps[-1]["kind"] == "error"
    assert trace.steps[-1]["index"] == len(trace.steps) - 1
