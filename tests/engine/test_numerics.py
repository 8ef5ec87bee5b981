"""NaN and ±inf (issue #5): computed as PyTorch computes them (float64 as the oracle), shown as
such ("nan", "inf", "-inf" strings in the JSON, node flags), and never a crash of the JSON,
which the server writes with json.dumps(allow_nan=False): every path is walked here (nodes,
edges, steps with their formulas and values, summaries and previews, variables, stdout,
free-variable inputs such as 1e308).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from chainrule.app.runner import trace_response
from chainrule.app.schemas import TraceResponse
from chainrule.engine.formula_table import mathml_of
from chainrule.engine.limits import Limits
from chainrule.engine.trace import trace_program

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"

# Programs whose numbers go non-finite; each calls backward itself so that PyTorch runs the
# same program verbatim. The leaves to compare are named.
PROGRAMS = {
    "log(0)": "x = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)\ny = torch.log(x)\n"
              "y.sum().backward()",
    "0/0": "x = torch.tensor([0.0, 1.0, -2.0], requires_grad=True)\ny = x / x\n"
           "y.sum().backward()",
    "exp(1000)": "x = torch.tensor([1000.0, 0.0, -1000.0], requires_grad=True)\n"
                 "y = torch.exp(x)\ny.sum().backward()",
    "inf-inf": "x = torch.tensor([1000.0, 1.0], requires_grad=True)\n"
               "y = torch.exp(x) - torch.exp(x)\ny.sum().backward()",
    "sqrt": "x = torch.tensor([-1.0, 0.0, 4.0], requires_grad=True)\ny = torch.sqrt(x)\n"
            "y.sum().backward()",
    "pow": "x = torch.tensor([0.0, -1.0, 2.0], requires_grad=True)\ny = x ** -1 + x ** 0.5\n"
           "y.sum().backward()",
    "pow_tensor": "x = torch.tensor([0.0, -1.0, 2.0], requires_grad=True)\n"
                  "p = torch.tensor([0.5, 0.5, -1.0], requires_grad=True)\ny = x ** p\n"
                  "y.sum().backward()",
    "overflow": "x = torch.tensor([1e308, -1e308, 1.0], requires_grad=True)\ny = x * 10\n"
                "z = (y * y).sum()\nz.backward()",
    "saturating": "x = torch.tensor([1000.0, -1000.0, 0.0], requires_grad=True)\n"
                  "y = torch.tanh(x) + torch.sigmoid(x) + torch.relu(x) + x.abs()\n"
                  "y.sum().backward()",
    "inf input": "x = torch.tensor([float_inf, -float_inf, 1.0], requires_grad=True)\n"
                 "y = torch.tanh(x) * torch.sigmoid(x)\ny.sum().backward()",
    "softmax": "x = torch.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)\n"
               "p = F.softmax(x, dim=1)\nq = F.log_softmax(x, dim=1)\n"
               "(p.sum() + q.sum()).backward()",
    "cross_entropy": "x = torch.tensor([[1e308, -1e308], [0.0, 1000.0]], requires_grad=True)\n"
                     "loss = F.cross_entropy(x, torch.tensor([1, 0]))\nloss.backward()",
    "matmul inf*0": "a = torch.tensor([[1e308, 0.0], [1.0, 2.0]], requires_grad=True)\n"
                    "b = torch.tensor([[1e308, 1.0], [0.0, 1.0]], requires_grad=True)\n"
                    "c = a @ b\nc.sum().backward()",
    "mean": "x = torch.tensor([1e308, 1e308, -1.0], requires_grad=True)\ny = x.mean()\n"
            "y.backward()",
    "mse": "a = torch.tensor([1e200, 0.0], requires_grad=True)\nb = torch.tensor([0.0, 1.0])\n"
           "loss = F.mse_loss(a, b)\nloss.backward()",
    "sum nan grad": "x = torch.tensor([0.0, 2.0], requires_grad=True)\ny = torch.log(x) * x\n"
                    "y.sum().backward()",
}
FINITE = {"saturating", "softmax"}   # saturate without ever leaving the finite numbers
# `float_inf` is not in the language (no float()): write it as a number that overflows.
INF = "1e400"


def ours(src: str, inputs: dict | None = None) -> dict:
    trace = trace_program(HEADER + src.replace("float_inf", INF), inputs=inputs)
    d = trace.to_dict()
    assert d["error"] is None, d["error"]
    return d


def theirs(src: str) -> dict:
    """Run the program in PyTorch (float64) and return its namespace."""
    import torch.nn as nn
    import torch.nn.functional as F
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        env: dict = {"torch": torch, "nn": nn, "F": F, "float_inf": math.inf}
        exec(src, env)   # trusted test code: the oracle side only
    finally:
        torch.set_default_dtype(old)
    return env


def decode(value) -> np.ndarray:
    """Our JSON numbers back to an array: "nan", "inf", "-inf" strings become floats."""
    def one(v):
        if isinstance(v, list):
            return [one(x) for x in v]
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(v, v)
    return np.asarray(one(value), dtype=np.float64)


def assert_same(mine, torch_value: torch.Tensor, what: str) -> None:
    expected = torch_value.detach().numpy()
    got = decode(mine).reshape(expected.shape)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"{what}: nan")
    np.testing.assert_array_equal(np.isinf(got) * np.sign(got),
                                  np.isinf(expected) * np.sign(expected),
                                  err_msg=f"{what}: ±inf")
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-12, atol=0,
                               err_msg=what)


def walk_floats(obj, path="$"):
    """Every float anywhere in a JSON-ready object, with its path."""
    if isinstance(obj, float):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk_floats(v, f"{path}.{k}")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from walk_floats(v, f"{path}[{i}]")


def assert_json_safe(d: dict) -> None:
    bad = [(p, v) for p, v in walk_floats(d) if not math.isfinite(v)]
    assert not bad, bad[:5]
    json.dumps(d, allow_nan=False)
    TraceResponse.model_validate(d)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_non_finite_numbers_match_pytorch_float64(name: str) -> None:
    src = PROGRAMS[name]
    d, env = ours(src), theirs(src)
    assert_json_safe(d)
    compared = 0
    for var, v in d["variables"].items():
        t = env[var]
        assert v["shape"] == list(t.shape), var
        if v["data"] is not None:
            assert_same(v["data"], t, f"{name}: {var}")
            compared += 1
        if t.grad is not None:
            assert v["grad"] is not None, f"{name}: {var}.grad"
            assert_same(v["grad"], t.grad, f"{name}: {var}.grad")
            compared += 1
        else:
            assert v["grad"] is None, f"{name}: {var}.grad should be None"
    assert compared >= 2


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_flags_mark_every_node_holding_nan_or_inf(name: str) -> None:
    d = ours(PROGRAMS[name])
    seen_nonfinite = False
    for node in d["nodes"]:
        if node["kind"] != "tensor":
            continue
        holds = set()
        for which in ("value", "grad"):
            val = node[which]
            if val is None:
                continue
            arr = decode(val["data"] if val["data"] is not None else val["preview"])
            if np.isnan(arr).any():
                holds.add("nan")
            if np.isinf(arr).any():
                holds.add("inf")
            assert val["nonfinite"] == bool(np.isnan(arr).any() or np.isinf(arr).any()) \
                or which == "grad", (node["id"], which)
        assert set(node.get("flags", [])) == holds, (node["id"], node["label"], holds)
        seen_nonfinite |= bool(holds)
    assert seen_nonfinite == (name not in FINITE)


def test_values_are_strings_and_summaries_too() -> None:
    d = ours("x = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)\ny = torch.log(x)\n"
             "y.sum().backward()")
    assert d["variables"]["y"]["data"] == ["-inf", 0.0, "nan"]
    assert d["variables"]["x"]["grad"] == ["inf", 1.0, -1.0]
    y = next(n for n in d["nodes"] if n.get("name") == "y")
    assert y["value"]["summary"]["min"] in ("nan", "-inf")
    assert y["value"]["summary"]["mean"] == "nan"
    assert set(y["flags"]) == {"nan", "inf"}


def test_big_tensors_with_nan_use_preview_and_summary() -> None:
    d = ours("x = torch.zeros(10, 10, requires_grad=True)\ny = torch.log(x) * x\n"
             "y.sum().backward()")
    y = d["variables"]["y"]
    assert y["data"] is None
    node = next(n for n in d["nodes"] if n.get("name") == "y")
    assert node["value"]["preview"][:3] == ["nan", "nan", "nan"]
    assert node["value"]["summary"] == {"numel": 100, "min": "nan", "max": "nan",
                                        "mean": "nan"}
    assert_json_safe(d)


def test_steps_formulas_and_narration_with_non_finite_numbers() -> None:
    d = ours(PROGRAMS["log(0)"])
    assert_json_safe(d)
    texts = [s["narration"] for s in d["steps"]]
    texts += [s["formula"]["text"] for s in d["steps"] if s["formula"]]
    assert any("inf" in t for t in texts) and any("nan" in t for t in texts)
    for s in d["steps"]:
        if s["formula"]:
            assert mathml_of(s["formula"], d["math"]).startswith("<math")


@pytest.mark.parametrize("value", [1e308, -1e308, 5e-324, 2.0 ** 1023 * 1.999, -0.0])
def test_extreme_free_variable_inputs_serialise(value: float) -> None:
    src = "f = (x * y + sin(x)) ** 2\ng = exp(x) / y"
    status, payload = trace_response(src, {"x": value, "y": value}, 0, Limits())
    body = json.loads(payload)
    assert status == 200 and body["error"] is None, body["error"]
    assert body["inputs"] == {"x": value, "y": value}
    assert_json_safe(body)
    env = {"x": torch.tensor(value, dtype=torch.float64, requires_grad=True),
           "y": torch.tensor(value, dtype=torch.float64, requires_grad=True)}
    f = (env["x"] * env["y"] + torch.sin(env["x"])) ** 2
    assert_same(body["variables"]["f"]["data"], f, "f")
    f.backward()   # implicit backward: the last assigned tensor needing grad is g, not f
    g = torch.exp(env["x"]) / env["y"]
    assert_same(body["variables"]["g"]["data"], g, "g")


def test_python_numbers_overflow_to_inf_and_print_as_such() -> None:
    d = ours("x = torch.tensor(2.0, requires_grad=True)\nbig = 10 ** 308 * 10\n"
             "y = x * big\nz = x * (big - big)\nprint(big, big - big, -big, y)\n"
             "(y + z).backward()")
    assert d["stdout"] == "inf nan -inf tensor(inf, grad_fn=<MulBackward0>)\n"
    assert d["variables"]["y"]["data"] == "inf" and d["variables"]["z"]["data"] == "nan"
    assert d["variables"]["x"]["grad"] == "nan"    # inf + nan
    constants = [n for n in d["nodes"] if n.get("origin") == "constant"]
    assert {n["label"] for n in constants} >= {"inf", "nan"}
    assert_json_safe(d)


def test_nan_in_op_attrs_and_labels() -> None:
    """A non-finite exponent is refused by the exponent limit; a nan constant is a node."""
    d = ours("x = torch.tensor([1.0, 2.0], requires_grad=True)\nn = (-1) ** 0.5\n"
             "y = x * n + x ** 2\ny.sum().backward()")
    assert_json_safe(d)
    assert d["variables"]["x"]["grad"] == ["nan", "nan"]
    trace = trace_program(HEADER + "x = torch.ones(2)\ny = x ** (10 ** 400)\n")
    assert trace.error["kind"] == "limit" and "exponent" in trace.error["message"]


@pytest.mark.parametrize("values", ["[2.0, 0.0, 2.0]", "[0.0, 3.0, 0.0, -1.0]", "[0.0]"])
def test_max_with_a_nan_gives_the_gradient_to_the_nan(values: str) -> None:
    """0/0 makes nans where x is 0; the maximum is nan, and PyTorch splits the gradient among
    the nans (one nan: all of it; two: half each)."""
    src = f"x = torch.tensor({values}, requires_grad=True)\ny = (x / x * x).max()\n" \
          "y.backward()"
    d, env = ours(src), theirs(src)
    assert_same(d["variables"]["y"]["data"], env["y"], "y")
    assert_same(d["variables"]["x"]["grad"], env["x"].grad, "x.grad")


def test_mean_over_an_empty_dim_goes_backward_as_in_pytorch() -> None:
    src = "x = torch.zeros(2, 0, requires_grad=True)\ny = x.mean(1)\ny.sum().backward()"
    d, env = ours(src), theirs(src)
    assert_same(d["variables"]["y"]["data"], env["y"], "y")
    assert d["variables"]["x"]["grad"] == [[], []]
