"""The Compare view's translations (engine/compare.py): each program written in PyTorch,
TensorFlow, JAX and micrograd, traced by our engine, equals the real framework running the same
text (the oracles, test-only: PyTorch in process, the others in tests/dialects/oracle_runner's
subprocess, one per dialect) — gradients, printed numbers and error messages."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from chainrule.app.gallery import EXAMPLES_DIR
from chainrule.engine.compare import compare_program
from chainrule.engine.lang import run_program

from tests.dialects.corpus_results import oracle_available, run_oracle
from tests.torch_oracle import (  # noqa: F401 - float64_torch: the fixture
    assert_same_printout,
    assert_variables_match,
    float64_torch,
    printout_in_torch,
    run_in_torch,
)

NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")

PROGRAMS = {
    "06_non_scalar": (EXAMPLES_DIR / "06_non_scalar_backward.py").read_text(),
    "04_free": (EXAMPLES_DIR / "04_free_variables.py").read_text(),
    "05_neuron": (EXAMPLES_DIR / "05_neuron.py").read_text(),
    "13_mlp": (EXAMPLES_DIR / "13_relu_mlp.py").read_text(),
    "micrograd_ops": "y = (a * b + b ** 3 - a / b).relu() + -a\n",
    # what learners' small programs use (a classifier's loss, a regression's, reshaping)
    "cross_entropy": ("import torch\nimport torch.nn.functional as F\n"
                      "logits = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.3, -0.2]], "
                      "requires_grad=True)\nloss = F.cross_entropy(logits, "
                      "torch.tensor([0, 2]))\n"),
    "mse_clamp_transpose": (
        "import torch\nimport torch.nn.functional as F\n"
        "x = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])\n"
        "w = torch.tensor([[0.3, -0.2], [0.1, 0.4]], requires_grad=True)\n"
        "y = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])\n"
        "pred = torch.clamp(x @ w.t(), min=-1.0, max=1.5)\n"
        "loss = F.mse_loss(pred, y, reduction='sum')\n"),
    "softmax_reshape_dims": (
        "import torch\nx = torch.tensor([[1.0, -2.0, 0.5], [0.5, 3.0, -1.0]], "
        "requires_grad=True)\np = torch.softmax(x, dim=1)\n"
        "q = torch.log_softmax(x.reshape(3, 2), dim=0)\n"
        "loss = (p ** 2).sum(dim=1).mean() - q.mean(dim=0, keepdim=True).sum() + "
        "torch.maximum(x, -x).sum() - torch.clamp(x, min=0.0).sum()\n"),
    "scalar_mse": ("import torch\nimport torch.nn.functional as F\n"
                   "a = torch.tensor(2.0, requires_grad=True)\n"
                   "b = torch.tensor(-0.5, requires_grad=True)\n"
                   "loss = F.mse_loss(a * b, torch.tensor(1.0)) + -a ** 2\n"),
    "reductions": ("import torch\nx = torch.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)"
                   "\nloss = torch.sigmoid(x).mean() + torch.exp(x * 0.5).sum()\n"),
}


@pytest.fixture(scope="module")
def compared() -> dict[str, dict]:
    return {k: compare_program(src) for k, src in PROGRAMS.items()}


def _numbers(text: str) -> list[float]:
    return [float(m) for m in NUMBER.findall(text)]


def _sources(compared: dict, dialect: str) -> dict[str, tuple[str, dict]]:
    out = {}
    for key, c in compared.items():
        row = next(r for r in c["dialects"] if r["dialect"] == dialect)
        if row["source"] is not None:
            out[key] = (row["source"], row["trace"])
    return out


def test_which_dialects_can_write_what(compared):
    written = {k: [r["dialect"] for r in c["dialects"] if r["source"]] for k, c in
               compared.items()}
    assert written["06_non_scalar"] == ["pytorch", "tensorflow", "jax"]   # micrograd: scalars
    assert written["micrograd_ops"] == ["pytorch", "tensorflow", "jax", "micrograd"]
    assert written["05_neuron"] == ["pytorch", "tensorflow", "jax"]   # micrograd 0.1.0: no tanh
    for key in ("cross_entropy", "mse_clamp_transpose", "softmax_reshape_dims"):
        assert written[key] == ["pytorch", "tensorflow", "jax"], key   # tensors: no micrograd
    assert written["scalar_mse"] == ["pytorch", "tensorflow", "jax", "micrograd"]
    micro = next(r for r in compared["05_neuron"]["dialects"] if r["dialect"] == "micrograd")
    assert micro["reason"] == "micrograd's Value has no tanh (its release 0.1.0 has + - * / " \
                              "** relu)."


def test_graphs_are_aligned_where_the_ops_match(compared):
    for key in ("06_non_scalar", "04_free", "05_neuron", "13_mlp", "reductions"):
        rows = [r for r in compared[key]["dialects"] if r["trace"] is not None]
        assert all(r["aligned"] for r in rows), key
        ref = {n["id"]: (n["x"], n["y"]) for n in rows[0]["trace"]["nodes"]
               if n["kind"] == "op"}
        for r in rows[1:]:
            ops = {n["id"]: (n["x"], n["y"]) for n in r["trace"]["nodes"] if n["kind"] == "op"}
            assert sorted(ops.values()) == sorted(ref.values()), (key, r["dialect"])
    # micrograd writes a - b as a + (-b) and a / b as a * b**-1: other ops, its own layout
    micro = next(r for r in compared["micrograd_ops"]["dialects"] if r["dialect"] == "micrograd")
    assert micro["trace"] is not None and micro["aligned"] is False


def test_pytorch_translations_equal_pytorch(compared):
    for key, (source, trace) in _sources(compared, "pytorch").items():
        result = run_program(source)
        run = run_in_torch(source, result, catch=True)
        if trace["error"] is not None:
            assert run.error is not None and str(run.error) == trace["error"]["message"], key
            continue
        assert run.error is None, (key, run.error)
        assert_variables_match(result.variables, run.env)
        assert_same_printout(trace["stdout"], printout_in_torch(source, result))


@pytest.mark.parametrize("dialect", ["tensorflow", "jax", "micrograd"])
def test_translations_equal_their_framework(compared, dialect, tmp_path):
    why = oracle_available(dialect)
    if why is not None:
        pytest.skip(f"the {dialect} oracle cannot be imported here: {why}")
    sources = _sources(compared, dialect)
    paths = {}
    for key, (source, _) in sources.items():
        paths[key] = tmp_path / f"{key}.py"
        paths[key].write_text(source)
    oracle = run_oracle(dialect, list(paths.values()))
    assert sources, dialect
    for key, (_, trace) in sources.items():
        theirs = oracle[str(paths[key])]
        if theirs["error"] is not None:    # JAX's grad of a non-scalar: its TypeError
            assert trace["error"] is not None, key
            assert trace["error"]["message"] == theirs["error"]["message"], key
            continue
        assert trace["error"] is None, (key, trace["error"])
        # the gradients, printed: float32 text in both, equal to float32's precision
        ours, want = _numbers(trace["stdout"]), _numbers(theirs["stdout"])
        assert len(ours) == len(want) and ours, (key, trace["stdout"], theirs["stdout"])
        np.testing.assert_allclose(ours, want, rtol=2e-6, atol=1e-6, err_msg=key)
        for name, var in theirs["variables"].items():
            if name in trace["variables"]:
                got = trace["variables"][name]
                np.testing.assert_allclose(np.asarray(got["data"], dtype=float),
                                           np.asarray(var["values"], dtype=float),
                                           rtol=2e-6, atol=1e-6, err_msg=f"{key}: {name}")
                if dialect == "micrograd":
                    np.testing.assert_allclose(got["grad"], var["grad"], rtol=1e-9,
                                               err_msg=f"{key}: {name}.grad")


def test_non_scalar_output_treatment_is_each_frameworks_own(compared):
    rows = {r["dialect"]: r for r in compared["06_non_scalar"]["dialects"]}
    assert compared["06_non_scalar"]["output"] == {"shape": [3], "scalar": False}
    assert rows["pytorch"]["trace"]["error"]["message"] == \
        "grad can be implicitly created only for scalar outputs"
    assert rows["tensorflow"]["trace"]["error"] is None     # summed: d Σ(2w)²/dw = 8w
    assert _numbers(rows["tensorflow"]["trace"]["stdout"])[:3] == [8.0, -16.0, 24.0]
    assert rows["jax"]["trace"]["error"]["message"] == (
        "Gradient only defined for scalar-output functions. Output had shape: (3,).")
    assert rows["micrograd"]["source"] is None


@pytest.mark.parametrize("key", ["cross_entropy", "mse_clamp_transpose", "softmax_reshape_dims",
                                 "scalar_mse"])
def test_every_dialect_prints_the_original_programs_gradient(compared, key):
    """A translation written out (cross_entropy as log-softmax against one-hot rows, clamp as
    maximum then minimum, a transpose inside tf.matmul) is the same function: each dialect's
    printed gradients equal PyTorch's for the learner's original program."""
    source = PROGRAMS[key]
    run = run_in_torch(source, run_program(source))
    env = run.env
    env["loss"].backward()
    inputs = [v for v in env.values() if isinstance(v, torch.Tensor) and v.requires_grad
              and v.is_leaf]
    want = np.concatenate([t.grad.numpy().ravel() for t in inputs]).astype(float)
    for row in compared[key]["dialects"]:
        if row["trace"] is None:
            continue
        got = _numbers(re.sub(r"shape=\([^)]*\)|dtype=\w+", "", row["trace"]["stdout"]))
        # PyTorch prints 4 decimals; the others float32's shortest text
        rtol, atol = (1e-3, 1e-4) if row["dialect"] == "pytorch" else (2e-6, 1e-6)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                   err_msg=f"{key}: {row['dialect']}")


def test_data_the_program_named_keeps_its_name(compared):
    """x and y stay x and y in every dialect (written once, above the computation), so the
    translation reads like the learner's program; a transpose rides inside tf.matmul."""
    rows = {r["dialect"]: r["source"] for r in compared["mse_clamp_transpose"]["dialects"]}
    assert "x = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])" in rows["pytorch"]
    assert "x = tf.constant([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])" in rows["tensorflow"]
    assert "tf.matmul(x, w, transpose_b=True)" in rows["tensorflow"]
    assert "x = jnp.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])" in rows["jax"]
    assert "jnp.minimum(jnp.maximum(x @ w.T, -1.0), 1.5)" in rows["jax"]
    assert "tf.reduce_sum(tf.square(pred - y))" in rows["tensorflow"]   # reduction='sum'
