"""How the trace shows control flow (issue 10): call groups, loop iterations, no_grad constants,
hooks, the offered backward, notes, and big gradients in `variables`.

Until the interpreter runs loops and functions, the tapes are made by hand the way it records
them: `in_scope(Scope(...))` around what a call or an iteration makes, `at_span` for the
expression being evaluated (engine/tensor.py).
"""

from __future__ import annotations

import numpy as np
from chainrule.app.schemas import TraceResponse
from chainrule.engine import functional as F
from chainrule.engine.grad_mode import GradMode
from chainrule.engine.lang import ProgramResult
from chainrule.engine.limits import Limits
from chainrule.engine.tensor import Scope, Tape, Tensor, at_span, in_scope, recording
from chainrule.engine.trace import build_trace, trace_program

# def f(x):
#     return x * x
# x = torch.tensor(2.0, requires_grad=True)
# y = x
# for i in range(5):
#     y = f(y) + 1
LOOP = ("def f(x):\n    return x * x\nx = torch.tensor(2.0, requires_grad=True)\ny = x\n"
        "for i in range(5):\n    y = f(y) + 1\n")
BODY = (2, 12, 2, 17)        # x * x
CALL = (6, 9, 6, 13)         # f(y)
PLUS = (6, 9, 6, 17)         # f(y) + 1


def loop_trace(backward: bool = True) -> dict:
    tape = Tape(limits=Limits())
    with recording(tape):
        with at_span((3, 1, 3, 42)):
            x = Tensor(2.0, requires_grad=True)
        x.name = "x"
        y = x
        for i in range(5):
            with in_scope(Scope("loop", f"i = {i}", (5, 1, 6, 17), i + 1, 5, 10 + 2 * i)):
                with in_scope(Scope("call", "f(y)", CALL, None, None, 11 + 2 * i)), \
                        at_span(BODY):
                    sq = y * y
                with at_span(PLUS):
                    y = sq + 1
        y.name = "y"
        if backward:
            from chainrule.engine.backward import backward as run_backward
            run_backward(y)
    result = ProgramResult(tape=tape, variables={"x": x, "y": y})
    return build_trace(LOOP, result, Limits()).to_dict()


def test_nodes_made_inside_a_call_are_grouped_under_the_call():
    t = loop_trace()
    TraceResponse.model_validate(t)
    calls = [g for g in t["groups"] if g["kind"] == "call"]
    # five calls of f: one group each, labelled with the call's source text
    assert [g["label"] for g in calls] == ["f(y)"] * 5
    assert [tuple(g["span"]) for g in calls] == [CALL] * 5
    assert [g["iteration"]["n"] for g in calls] == [1, 2, 3, 4, 5]
    by_group: dict[str, list[dict]] = {}
    for n in t["nodes"]:
        by_group.setdefault(n["group"], []).append(n)
    for g in calls:
        # each call made one mul op and its result
        assert sorted(n["kind"] for n in by_group[g["id"]]) == ["op", "tensor"]
        assert [n["op"] for n in by_group[g["id"]] if n["kind"] == "op"] == ["mul"]
    # `+ 1` is outside the call: the loop statement's group, not a call's
    adds = [n for n in t["nodes"] if n.get("op") == "add"]
    assert adds and all(not n["group"].startswith("c") for n in adds)
    # a small graph with calls comes laid out with the call frames open
    assert t["collapsed"]["open"] == [g["id"] for g in calls]
    assert t["layout"]["engine"] == "groups"


def test_loop_iterations_on_nodes_and_in_narration():
    t = loop_trace()
    forward = [s for s in t["steps"] if s["phase"] == "forward"]
    muls = [s for s in forward if s["op"] in {n["id"] for n in t["nodes"] if n.get("op") == "mul"}]
    assert len(muls) == 5
    assert muls[2]["narration"].startswith("In f(y), iteration 3 of 5 (i = 2): Forward:")
    adds = [s for s in forward if s not in muls]
    assert adds[2]["narration"].startswith("Iteration 3 of 5 (i = 2): Forward:")
    # 2 → 4+1=5 → 26 → 677 ... the third mul squares 26: 676
    assert "gives 676" in muls[2]["narration"]
    third = next(n for n in t["nodes"] if n["id"] == muls[2]["output"])
    assert third["iteration"] == {"label": "i = 2", "n": 3, "of": 5}
    # the same line run five times is not a composite: every mul keeps its source text
    assert all("x * x" in s["narration"] for s in muls)
    # the backward edges through a loop's ops say which iteration they belong to
    edges = [s for s in t["steps"] if s["kind"] == "edge"]
    assert any("iteration 3 of 5" in s["narration"] for s in edges)
    # the source highlight follows the executing expression: the body inside f, the + outside
    assert tuple(muls[0]["span"]) == BODY and tuple(adds[0]["span"]) == PLUS


def test_made_under_no_grad_is_a_constant_with_a_note():
    src = "x = torch.tensor(3.0, requires_grad=True)\nwith torch.no_grad():\n    z = x * 2\n"
    tape = Tape(limits=Limits())
    with recording(tape):
        with at_span((1, 1, 1, 42)):
            x = Tensor(3.0, requires_grad=True)
        x.name = "x"
        mode = GradMode("no_grad", False)
        mode.enter()
        try:
            with at_span((3, 9, 3, 14)):
                z = F.mul(x, 2.0)
        finally:
            mode.exit()
        with at_span((3, 9, 3, 14)):
            w = F.mul(x, 2.0)        # the same op with grad on: no note
    z.name, w.name = "z", "w"
    t = build_trace(src, ProgramResult(tape=tape, variables={"x": x, "z": z, "w": w}),
                    Limits()).to_dict()
    TraceResponse.model_validate(t)
    zn = next(n for n in t["nodes"] if n.get("name") == "z")
    wn = next(n for n in t["nodes"] if n.get("name") == "w")
    assert zn["requires_grad"] is False and "no_grad" in zn["note"]
    assert "note" not in wn
    steps = [s for s in t["steps"] if s["kind"] == "op"]
    assert "made under torch.no_grad(): no gradient flows back" in steps[0]["narration"]
    assert "no_grad" not in steps[1]["narration"]


def test_a_hook_shows_where_it_fires():
    tape = Tape(limits=Limits())
    with recording(tape):
        x = Tensor(2.0, requires_grad=True)
        x.name = "x"
        y = F.mul(x, x)
        y.name = "y"
        from chainrule.engine.backward import backward as run_backward
        run_backward(y)
        # what autograd emits where a hook on x ran: it got 4 (2x at x = 2) and returned 8
        tape.emit({"type": "hook", "tensor": x, "grad": np.float64(4.0),
                   "result": np.float64(8.0)})
    t = build_trace("y = x * x", ProgramResult(tape=tape, variables={"x": x, "y": y}),
                    Limits()).to_dict()
    TraceResponse.model_validate(t)
    hook = t["steps"][-1]
    assert hook["kind"] == "hook" and hook["phase"] == "backward"
    assert hook["narration"] == "Hook on x fired: gradient 4 → 8: the new gradient flows on."
    assert hook["grad"]["data"] == 4.0 and hook["result"]["data"] == 8.0


def test_offered_backward_and_notes_are_carried():
    t = loop_trace(backward=False)
    assert t["offer_backward"] is None and t["notes"] == []
    tape = Tape(limits=Limits())
    with recording(tape):
        x = Tensor(2.0, requires_grad=True)
        y = F.mul(x, x)
    result = ProgramResult(tape=tape, variables={"x": x, "y": y})
    result.offer_backward = "y"
    result.notes = ["torch was not imported: chainrule assumed `import torch`."]
    t = build_trace("y = x * x", result, Limits()).to_dict()
    TraceResponse.model_validate(t)
    y_node = next(n["id"] for n in t["nodes"] if n["kind"] == "tensor" and n["requires_grad"]
                  and not n["is_leaf"])
    assert t["offer_backward"] == {"name": "y", "code": "y.backward()", "node": y_node}
    assert t["notes"] == result.notes
    assert t["backward_start"] is None          # nothing ran: the page offers it


def test_a_big_gradient_is_never_null_in_variables():
    # 100 ones summed: every element's gradient is 1 (∂/∂x_k Σ x = 1), over the 64-number limit
    t = trace_program("import torch\nx = torch.ones(100, requires_grad=True)\n"
                      "x.sum().backward()\n").to_dict()
    TraceResponse.model_validate(t)
    grad = t["variables"]["x"]["grad"]
    assert grad is not None and grad["data"] is None
    assert grad["summary"] == {"numel": 100, "min": 1.0, "max": 1.0, "mean": 1.0}
    assert grad["preview"][:3] == [1.0, 1.0, 1.0] and grad["shape"] == [100]
    small = trace_program("import torch\nx = torch.ones(3, requires_grad=True)\n"
                          "x.sum().backward()\n")
    assert small.to_dict()["variables"]["x"]["grad"] == [1.0, 1.0, 1.0]


def test_the_language_reference_renders_from_markdown(tmp_path, monkeypatch):
    from chainrule.app import pages
    doc = tmp_path / "language.md"
    monkeypatch.setattr(pages, "LANGUAGE_DOC", doc)
    assert pages.language_html() is None               # not written yet: the page says so (404)
    doc.write_text("# The language\n\n| a | b |\n|---|---|\n| `x` | <script>1</script> |\n",
                   encoding="utf-8")
    html = pages.language_html()
    assert "<h1>The language</h1>" in html and "<table>" in html and "<code>x</code>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html     # raw HTML is escaped


def test_a_real_program_with_a_loop_a_call_and_no_grad():
    src = ("import torch\ndef f(x):\n    return x * x + 1\n"
           "w = torch.tensor(0.5, requires_grad=True)\nx = w\nfor i in range(5):\n"
           "    x = f(x) * 0.5\nwith torch.no_grad():\n    c = w * 3\ny = x * 2\n")
    t = trace_program(src).to_dict()
    TraceResponse.model_validate(t)
    assert t["error"] is None
    calls = [g for g in t["groups"] if g["kind"] == "call"]
    assert [g["label"] for g in calls] == ["f(x)"] * 5
    assert [g["iteration"]["n"] for g in calls] == [1, 2, 3, 4, 5]
    body = [s for s in t["steps"] if s["kind"] == "op" and s["span"][0] == 3]
    assert len(body) == 10                          # x * x and + 1, five times, on line 3
    assert body[4]["narration"].startswith("In f(x), iteration 3 of 5 (i = 2): Forward: x * x")
    c = next(n for n in t["nodes"] if n.get("name") == "c")
    assert c["note"] == "made under torch.no_grad(): no gradient flows back"
    assert t["offer_backward"]["code"] == "y.backward()" and t["backward_start"] is None


def test_a_while_loop_says_its_iteration_once():
    # A while loop has no count ahead (`of` is None) and its label is "iteration k" itself: the
    # narration says "iteration 2", not "iteration 2 (iteration 2)".
    src = ("import torch\ndef f(t):\n    return t * 3\nx = torch.tensor(1.0, requires_grad=True)\n"
           "k = 0\nwhile k < 2:\n    x = f(x)\n    k += 1\nx.backward()\n")
    t = trace_program(src).to_dict()
    assert t["error"] is None, t["error"]
    muls = [s for s in t["steps"] if s["phase"] == "forward" and "t * 3" in s["narration"]]
    assert [s["narration"].split(": Forward")[0] for s in muls] == [
        "In f(x), iteration 1", "In f(x), iteration 2"]
    # 1 → 3 → 9 (x * 3 twice)
    assert "gives 9" in muls[1]["narration"]
    assert not any("(iteration" in s["narration"] for s in t["steps"])
