"""Tensor edges show their rule with numbers (issue #14, "Tensors"): the upstream gradient, the
local factor and their product as small matrices, and broadcasting's sum over axes as a row of
its own. The numbers are checked against PyTorch running the same program (the oracle), not
against our engine."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from chainrule.engine.display import MAT_COLS, MAT_ROWS, MORE_COLS, MORE_ROWS
from chainrule.engine.formula import formula
from chainrule.engine.trace import trace_program

torch = pytest.importorskip("torch")

EXAMPLES = Path(__file__).resolve().parents[2] / "app" / "examples"


def rows_of(step: dict, kind: str) -> list:
    """The `mats` items of the step's caption row `kind`, or None."""
    for r in step.get("rows") or []:
        if isinstance(r, list) and r[0] == kind:
            return r[1]["mats"]
    return None


def edge_to(trace: dict, label: str, op: str | None = None) -> dict:
    labels = {n["id"]: n["label"] for n in trace["nodes"]}
    ops = {n["id"]: n.get("op") for n in trace["nodes"]}
    hits = [s for s in trace["steps"] if s["kind"] == "edge" and labels[s["to"]] == label
            and (op is None or ops[s["op"]] == op)]
    assert len(hits) == 1, [labels[s["to"]] for s in trace["steps"] if s["kind"] == "edge"]
    return hits[0]


def assert_shows(mat: dict, expected: torch.Tensor) -> None:
    """The painted matrix is `expected`'s top-left corner, to the 4 significant digits shown,
    with ⋯/⋮ exactly where rows or columns are left out."""
    shape = tuple(expected.shape)
    assert mat["shape"] == "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    grid = expected.reshape(1, -1) if expected.dim() <= 1 else expected.reshape(-1, shape[-1])
    n_rows, n_cols = grid.shape
    rows = mat["rows"]
    assert len(rows) == min(n_rows, MAT_ROWS) + (n_rows > MAT_ROWS)
    if n_rows > MAT_ROWS:
        assert set(rows[-1]) == {MORE_ROWS}
    for r in range(min(n_rows, MAT_ROWS)):
        cells = rows[r]
        assert len(cells) == min(n_cols, MAT_COLS) + (n_cols > MAT_COLS)
        if n_cols > MAT_COLS:
            assert cells[-1] == MORE_COLS
        for c in range(min(n_cols, MAT_COLS)):
            want = float(grid[r, c])
            assert math.isclose(float(cells[c]), want, rel_tol=1e-3, abs_tol=1e-6), \
                (r, c, cells[c], want)


def mlp_in_torch() -> dict:
    """app/examples/13_relu_mlp.py in PyTorch, every intermediate's gradient kept."""
    torch.manual_seed(0)
    X = torch.randn(4, 3)
    W1 = torch.randn(3, 5, requires_grad=True)
    W2 = torch.randn(5, 1, requires_grad=True)
    z = X @ W1
    z.retain_grad()
    h = torch.relu(z)
    h.retain_grad()
    pred = h @ W2
    pred.retain_grad()
    y = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    return {"X": X, "W1": W1, "W2": W2, "z": z, "h": h, "pred": pred}


def test_matmul_edges_show_the_transposed_factor_times_the_upstream():
    t = trace_program((EXAMPLES / "13_relu_mlp.py").read_text()).to_dict()
    o = mlp_in_torch()
    # grad_W1 = Xᵀ · ∂loss/∂(X @ W1): factor first, then the upstream, then their product
    w1 = rows_of(edge_to(t, "W1"), "numbers")
    assert [m if isinstance(m, str) else m["label"] for m in w1] == \
        ["Xᵀ", "·", "∂loss/∂(X @ W1)", "=", "∂loss/∂W1"]
    assert_shows(w1[0], o["X"].T)
    assert_shows(w1[2], o["z"].grad)
    assert_shows(w1[4], o["X"].T @ o["z"].grad)
    assert_shows(w1[4], o["W1"].grad)
    # grad_W2 = hᵀ · ∂loss/∂pred
    w2 = rows_of(edge_to(t, "W2"), "numbers")
    assert_shows(w2[0], o["h"].detach().T)
    assert_shows(w2[2], o["pred"].grad)
    assert_shows(w2[4], o["W2"].grad)
    # the left operand: ∂loss/∂h = ∂loss/∂pred · W2ᵀ
    h = rows_of(edge_to(t, "h", "matmul"), "numbers")
    assert [m if isinstance(m, str) else m["label"] for m in h] == \
        ["∂loss/∂pred", "·", "W2ᵀ", "=", "∂loss/∂h"]
    assert_shows(h[2], o["W2"].detach().T)
    assert_shows(h[4], o["h"].grad)


def test_an_elementwise_edge_shows_upstream_times_local():
    t = trace_program((EXAMPLES / "13_relu_mlp.py").read_text()).to_dict()
    o = mlp_in_torch()
    relu = rows_of(edge_to(t, "X @ W1"), "numbers")
    assert [m if isinstance(m, str) else m["label"] for m in relu] == \
        ["∂loss/∂h", "⊙", "∂h/∂(X @ W1)", "=", "∂loss/∂(X @ W1)"]
    assert_shows(relu[0], o["h"].grad)
    assert_shows(relu[2], (o["z"] > 0).double())    # relu's derivative: 1 where z > 0
    assert_shows(relu[4], o["z"].grad)


def test_broadcasting_sum_is_a_step_of_its_own():
    """Issue 14: the edge's product (upstream × local, in the output's shape) is one step; the
    sum over the broadcast dim, from that matrix to the input's shape, is the next, and only
    then does the gradient reach the leaf."""
    t = trace_program((EXAMPLES / "09_broadcast_linear.py").read_text()).to_dict()
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    W = torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], requires_grad=True)
    b = torch.tensor([0.01, 0.02, 0.03], requires_grad=True)
    logits = X @ W + b
    logits.retain_grad()
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2, 1])).backward()
    step = edge_to(t, "b")
    product = t["steps"][step["index"] - 1]
    assert product["kind"] == "product" and product["edge"] == step["edge"]
    assert "grad" not in product and "shown" not in product     # nothing reaches b yet
    assert "broadcast in the forward pass" in product["narration"]
    up, times, local, eq, made = rows_of(product, "numbers")
    assert (times, eq, made["label"]) == ("⊙", "=", "upstream × local")
    assert_shows(up, logits.grad)
    assert_shows(local, torch.ones(3))         # ∂(a + b)/∂b = 1, one per element of b
    assert_shows(made, logits.grad)
    # the sum step: its own formula, the shapes, the matrix before and after
    assert step["formula"]["text"] == \
        "dloss/db = sum over dim 0 of (dloss/dlogits × dlogits/db)"
    # its MathML (assembled from parts, sent as pieces) is latex2mathml's of the whole formula
    whole = (r"\frac{\partial \mathrm{loss}}{\partial b} = \sum_{\text{dim } 0} "
             r"(\frac{\partial \mathrm{loss}}{\partial \mathrm{logits}} \odot "
             r"\frac{\partial \mathrm{logits}}{\partial b})")
    shown = "".join(t["math"][k] for k in step["formula"]["mathml"])
    assert shown == formula(whole, "")["mathml"]
    assert "<mo>∑</mo>" in shown and "<mtext>dim" in shown
    assert step["narration"].startswith("Sum over dim 0 (b was broadcast along it")
    rows = {r[0]: r[1] for r in step["rows"] if isinstance(r, list)}
    assert "sumaxes" in step["rows"] and rows_of(step, "numbers") is None
    assert rows["broadcast"] == "sum over dim 0 (broadcast in the forward pass): (3, 3) → (3,)"
    before, arrow, after = rows_of(step, "unbroadcast")
    assert arrow == "→"
    assert_shows(before, logits.grad)          # upstream × 1, before the sum
    assert_shows(after, b.grad)                # = logits.grad.sum(0)
    # the matmul edge of the same program: grad_W = Xᵀ · ∂loss/∂(X @ W), torch's W.grad
    assert_shows(rows_of(edge_to(t, "W"), "numbers")[4], W.grad)
    # only the broadcast edge has a product step
    assert [s["kind"] for s in t["steps"]].count("product") == 1


def test_big_tensors_show_a_corner_with_ellipses():
    src = ("import torch\nA = torch.arange(42.0).reshape(6, 7).requires_grad_()\n"
           "C = torch.arange(42.0).reshape(6, 7) - 20\nB = (A * C).sum()\nB.backward()\n")
    t = trace_program(src).to_dict()
    a = torch.arange(42.0).reshape(6, 7).requires_grad_()
    c = torch.arange(42.0).reshape(6, 7) - 20
    (a * c).sum().backward()
    mats = rows_of(edge_to(t, "A"), "numbers")
    assert_shows(mats[2], c)                   # ∂(A*C)/∂A = C
    assert_shows(mats[4], a.grad)
    assert mats[-1]["rows"][0][-1] == MORE_COLS and mats[-1]["rows"][-1][0] == MORE_ROWS
    # one such step stays small: 4×5 corners, not 42 numbers per matrix
    assert sum(len(r) for m in mats if not isinstance(m, str) for r in m["rows"]) <= 3 * 30


def test_scalar_edges_keep_their_one_line_chain_row():
    t = trace_program("import torch\nx = torch.tensor(3.0, requires_grad=True)\n"
                      "y = x * x\ny.backward()\n").to_dict()
    assert all(rows_of(s, "numbers") is None for s in t["steps"] if s["kind"] == "edge")


def test_no_edge_label_is_the_jargon_alone():
    """Issue 14: tensor edges said "VJP". Where the Jacobian is not diagonal the label is the
    rule in a few symbols: a matrix product's gradient is the other operand, transposed, times
    the upstream ḡ (grad_A = ḡ·Bᵀ, grad_B = Aᵀ·ḡ, as the numbers row above checks in torch)."""
    t = trace_program((EXAMPLES / "13_relu_mlp.py").read_text()).to_dict()
    assert edge_to(t, "W1")["label"] == "Xᵀ·ḡ"
    assert edge_to(t, "W2")["label"] == "hᵀ·ḡ"
    assert edge_to(t, "h", "matmul")["label"] == "ḡ·W2ᵀ"
    for path in sorted(EXAMPLES.glob("*.py")):
        trace = trace_program(path.read_text()).to_dict()
        for s in trace["steps"]:
            if s["kind"] == "edge":
                assert s["label"] and "VJP" not in s["label"], (path.name, s["label"])


def test_a_long_operand_name_is_written_as_a_letter():
    src = ("import torch\nweights = torch.ones(2, 2, requires_grad=True)\n"
           "x = torch.ones(3, 2)\n(x @ weights).sum().backward()\n")
    t = trace_program(src).to_dict()
    assert edge_to(t, "weights")["label"] == "xᵀ·ḡ"
    src2 = src.replace("x = ", "inputs = ").replace("(x @", "(inputs @")
    t2 = trace_program(src2).to_dict()
    assert edge_to(t2, "weights")["label"] == "Aᵀ·ḡ"


def test_forward_mode_edges_name_their_tangent_rule():
    """Forward mode's tensor edges said "JVP". Where the Jacobian is not diagonal the label is
    the tangent rule: d(X·W) = X·Ẇ for W's tangent, d(hᵀ) = ḣᵀ; the step's own numbers follow
    it (hand math: X is ones(3, 2), so X·Ẇ for the unit tangent of W[0, 0] is a column of 1s)."""
    src = ("import torch\nX = torch.ones(3, 2)\n"
           "W = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n"
           "h = (X @ W).t()\nloss = h.sum()\nloss.backward()\n")
    fm = trace_program(src).to_dict()["forward_mode"]
    edges = [s for s in fm["steps"] if s["kind"] == "edge"]
    through_matmul = [s for s in edges if s["label"] == "X·ṫ"]
    assert len(through_matmul) == 4          # one pass per number of W
    first = np.asarray(through_matmul[0]["contribution"]["data"])
    assert first.tolist() == [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
    assert {s["label"] for s in edges} == {"X·ṫ", "ṫᵀ", "×1"}
    for path in sorted(EXAMPLES.glob("*.py")):
        fm = trace_program(path.read_text()).to_dict().get("forward_mode") or {}
        for s in fm.get("steps", []):
            if s["kind"] == "edge":
                assert s["label"] and "JVP" not in s["label"], (path.name, s["label"])


def test_an_elementwise_edge_is_labelled_with_its_local_derivatives_formula():
    """Elementwise local derivatives that differ element to element used to say "×local" on
    the edge; a short formula now says which: d(u²)/du = 2u with u = w * 2, bracketed where
    `×` would bind to a first term only (1 - tanh²). The numbers under the label are the
    formula's: PyTorch's gradient of the same op with an upstream of ones."""
    src = ("import torch\nw = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)\n"
           "u = w * 2\nv = u ** 2\nt = torch.tanh(u)\n(v + t).sum().backward()\n")
    t = trace_program(src).to_dict()
    labels = {n["id"]: n["label"] for n in t["nodes"]}
    ops = {n["id"]: n.get("op") for n in t["nodes"]}
    by_op = {ops[s["op"]]: s for s in t["steps"] if s["kind"] == "edge" and labels[s["to"]] == "u"}
    assert by_op["pow"]["label"] == "×2·u"
    assert by_op["tanh"]["label"] == "×(1 - tanh²(u))"
    w = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    for op, fn in (("pow", lambda u: u ** 2), ("tanh", torch.tanh)):
        u = (w * 2).requires_grad_()
        fn(u).sum().backward()
        assert np.allclose(by_op[op]["local"]["data"], u.grad.numpy()), op
    # the same formula with a compound name, and a uniform factor stays a number
    t = trace_program("import torch\nw = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)\n"
                      "((w * 2) ** 2).sum().backward()\n").to_dict()
    assert {s["label"] for s in t["steps"] if s["kind"] == "edge"} >= {"×2·(w * 2)", "×2"}
    # too long for an edge (relu's `1 if (X @ W1) > 0 else 0`): the word, and the rule row
    t = trace_program((EXAMPLES / "13_relu_mlp.py").read_text()).to_dict()
    assert edge_to(t, "X @ W1")["label"] == "×local"
    # forward mode's elementwise edges say the same formula: the tangent u̇ is scaled by 2u
    fm = trace_program(src).to_dict()["forward_mode"]
    into_v = {s["label"] for s in fm["steps"] if s["kind"] == "edge" and labels[s["to"]] == "v"}
    assert into_v == {"×2·u"}, into_v
