"""Forward mode (engine/forward_mode.py): each pass's tangents equal JAX's jvp with the same
unit tangent (the oracle, test-only) and central finite differences of our own forward pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from chainrule.engine.trace import trace_program

jax = pytest.importorskip("jax", reason="jax[cpu] is the forward-mode oracle (test extra)")
jnp = pytest.importorskip("jax.numpy")


@pytest.fixture(autouse=True)
def _x64():
    """Compare in float64, as the engine computes; put the process-wide switch back after, so
    the tests that compare against JAX's default float32 (tests/dialects) still get it."""
    found = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", found)


def _output_tangent(fm: dict, p: int, node: str) -> np.ndarray:
    return np.asarray(fm["passes"][p]["tangents"][node]["data"], dtype=np.float64)


def _node(trace: dict, name: str) -> str:
    return trace["variables"][name]["node"]


# (chainrule source, input names in pass order, JAX function of them, output name)
PROGRAMS = [
    ("f = x**2 + sin(x*y)", ["x", "y"], lambda x, y: x ** 2 + jnp.sin(x * y), "f"),
    ("g = tanh(a*b - 5.5) / (b*b + 1)", ["a", "b"],
     lambda a, b: jnp.tanh(a * b - 5.5) / (b * b + 1), "g"),
]


@pytest.mark.parametrize(("source", "names", "fun", "out"), PROGRAMS)
def test_free_variable_passes_equal_jax_jvp_and_finite_differences(source, names, fun, out):
    trace = trace_program(source).to_dict()
    fm = trace["forward_mode"]
    assert fm["available"]
    assert len(fm["passes"]) == len(names)   # one pass per input
    x0 = [trace["inputs"][n] for n in names]
    for p, name in enumerate(names):
        unit = tuple(1.0 if k == p else 0.0 for k in range(len(names)))
        _, want = jax.jvp(fun, tuple(x0), unit)
        got = _output_tangent(fm, p, _node(trace, out))
        np.testing.assert_allclose(got, float(want), rtol=1e-12)
        h = 1e-6   # central differences of the engine's own forward pass
        moved = [trace_program(source, inputs={**trace["inputs"], name: x0[p] + s * h}
                               ).to_dict()["variables"][out]["data"] for s in (1, -1)]
        np.testing.assert_allclose(got, (moved[0] - moved[1]) / (2 * h), rtol=1e-6)


TENSOR_PROGRAMS = [
    # the seed's non-scalar example: three forward passes (one per element of w), three
    # reverse passes would be needed for its three outputs
    ("import torch\nw = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)\n"
     "losses = (w * 2) ** 2\n", "w", np.array([1.0, -2.0, 3.0]), lambda w: (w * 2) ** 2,
     "losses"),
    # a matrix product, broadcasting and a reduction
    ("import torch\nx = torch.tensor([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])\n"
     "W = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)\n"
     "b = torch.tensor([0.1, -0.2])\n"
     "loss = torch.tanh(x @ W + b).pow(2).mean()\n", "W",
     np.array([[0.5, -1.0], [2.0, 0.25]]),
     lambda W: jnp.mean(jnp.tanh(jnp.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]]) @ W +
                                 jnp.array([0.1, -0.2])) ** 2), "loss"),
]


@pytest.mark.parametrize(("source", "name", "x0", "fun", "out"), TENSOR_PROGRAMS)
def test_tensor_input_one_pass_per_element_equals_jax_jvp(source, name, x0, fun, out):
    trace = trace_program(source).to_dict()
    fm = trace["forward_mode"]
    assert fm["available"], fm
    assert len(fm["passes"]) == x0.size
    for p in range(x0.size):
        unit = np.zeros(x0.size)
        unit[p] = 1.0
        _, want = jax.jvp(fun, (x0,), (unit.reshape(x0.shape),))
        got = _output_tangent(fm, p, _node(trace, out))
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12, atol=1e-15)


def test_summary_counts_passes_each_way():
    fm = trace_program(TENSOR_PROGRAMS[0][0]).to_dict()["forward_mode"]
    assert fm["summary"] == ("Forward mode: one pass per input number (3 here: w). Reverse "
                             "mode: one pass per output number (3 here: losses).")


def test_steps_are_seed_then_tangent_edges_with_local_derivatives():
    fm = trace_program("f = x**2 + sin(x*y)").to_dict()["forward_mode"]
    steps = fm["steps"]
    assert steps[0]["kind"] == "seed" and steps[0]["formula"]["text"] == "ẋ = 1"
    sin_edge = next(s for s in steps if s["kind"] == "edge" and "sin" in s["narration"])
    # d sin(u)/du = cos(u) at u = x*y = 2*3 (the free variables' defaults), times u̇ = y = 3
    assert sin_edge["local"]["data"] == pytest.approx(np.cos(6.0))
    assert sin_edge["grad"]["data"] == pytest.approx(3 * np.cos(6.0))
    assert [s["index"] for s in steps] == list(range(len(steps)))
    # every forward step of the trace is replayed once, in the first pass
    assert sum(s["kind"] == "op" for s in steps) == 4


def test_jax_jvp_program_is_seeded_with_its_own_tangents():
    source = ("import jax\nimport jax.numpy as jnp\n\ndef f(x, y):\n"
              "    return x ** 2 + jnp.sin(x * y)\n\n"
              "value, tangent = jax.jvp(f, (2.0, 3.0), (1.0, 0.5))\nprint(tangent)\n")
    trace = trace_program(source).to_dict()
    fm = trace["forward_mode"]
    want = float(jax.jvp(lambda x, y: x ** 2 + jnp.sin(x * y), (2.0, 3.0), (1.0, 0.5))[1])
    assert fm["how"] == "jvp" and fm["start_forward"] and len(fm["passes"]) == 1
    assert float(trace["stdout"]) == pytest.approx(want, rel=1e-6)   # printed as float32
    outs = [v for v in fm["passes"][0]["tangents"].values()]
    assert outs[-1]["data"] == pytest.approx(want, rel=1e-12)
    # forward mode proper: no reverse pass ran
    assert not any(s["phase"] == "backward" for s in trace["steps"])


def test_too_many_inputs_is_refused_with_a_reason():
    fm = trace_program("import torch\nw = torch.ones(20, requires_grad=True)\n"
                       "y = (w * w).sum()\n").to_dict()["forward_mode"]
    assert not fm["available"]
    assert fm["reason"] == ("Forward mode would need 20 passes here; chainrule shows it for at "
                            "most 8.")
    assert "20 here: w" in fm["summary"] and "(1 here: y)" in fm["summary"]


def test_no_input_requires_grad():
    fm = trace_program("import torch\nx = torch.ones(2)\ny = x * 3\n").to_dict()["forward_mode"]
    assert fm == {"available": False, "summary": fm["summary"],
                  "reason": "No input requires grad: there is no tangent to seed."}


def test_no_toggle_when_nothing_was_recorded():
    """The learner's own Value class (gallery 18) is drawn from their objects, not from our
    records: no forward mode to offer, so no field (the page hides the toggle)."""
    own = (Path(__file__).resolve().parents[2] / "app" / "examples" / "18_own_value.py")
    assert trace_program(own.read_text()).to_dict()["forward_mode"] is None
    assert trace_program("print(1 + 2)\n").to_dict()["forward_mode"] is None


def test_a_programs_own_autograd_function_is_not_run_again():
    source = ("import torch\n\nclass Square(torch.autograd.Function):\n"
              "    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n"
              "        return x * x\n\n    @staticmethod\n    def backward(ctx, g):\n"
              "        (x,) = ctx.saved_tensors\n        print('backward ran')\n"
              "        return 2 * x * g\n\n"
              "x = torch.tensor(3.0, requires_grad=True)\ny = Square.apply(x)\ny.backward()\n")
    trace = trace_program(source).to_dict()
    assert trace["stdout"] == "backward ran\n"    # once: the program's own backward() only
    fm = trace["forward_mode"]
    assert not fm["available"]
    assert fm["reason"] == ("Forward mode needs each op's own derivative rule; Square is the "
                            "program's own autograd.Function.")


def test_a_long_program_is_refused_with_a_reason():
    source = ("import torch\nx = torch.tensor(1.0, requires_grad=True)\ny = x\n"
              "for i in range(301):\n    y = y * 1.0\n")
    fm = trace_program(source).to_dict()["forward_mode"]
    assert fm["reason"] == ("This program records 301 operations; chainrule shows forward mode "
                            "for at most 300.")
