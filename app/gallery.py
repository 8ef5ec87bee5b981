"""The examples menu: the seed's three snippets verbatim, then one example per major feature."""

from __future__ import annotations

from functools import lru_cache

from chainrule.resources import examples_dir

EXAMPLES_DIR = examples_dir()

# (file stem, title, one-line summary, tags)
GALLERY: list[tuple[str, str, str, list[str]]] = [
    ("03_seed_square", "x ** 2", "The seed's third snippet: a scalar output, x.grad = 4.",
     ["seed", "scalar"]),
    ("02_seed_single_cross_entropy", "One prediction, cross-entropy",
     "The seed's second snippet: one prediction's loss is already a scalar.", ["seed", "loss"]),
    ("01_seed_batch_cross_entropy", "A batch, cross-entropy",
     "The seed's first snippet: a batch of 10 predictions, reduced to one loss.",
     ["seed", "loss", "batch"]),
    ("04_free_variables", "Free variables", "Names never assigned become inputs with sliders.",
     ["inputs"]),
    ("05_neuron", "A tanh neuron", "micrograd's neuron: two inputs, two weights, a bias.",
     ["scalar"]),
    ("08_fan_out", "Paths meet", "a is used three times; its gradient sums three paths.",
     ["accumulation"]),
    ("06_non_scalar_backward", "Non-scalar backward",
     "backward() on a vector fails the way PyTorch fails — and how to fix it.", ["error"]),
    ("07_single_element_is_fine", "One element is fine",
     "A shape-(1,) tensor seeds its own gradient.", ["scalar"]),
    ("09_broadcast_linear", "Broadcasting a bias", "The bias gradient sums over the batch.",
     ["broadcast", "matmul", "loss"]),
    ("10_softmax_mse", "softmax + MSE", "Probabilities from scores, compared with a target.",
     ["softmax", "loss"]),
    ("11_accumulation", "Gradients accumulate", "Two backward calls add up in w.grad.",
     ["accumulation"]),
    ("12_explicit_gradient", "backward(gradient=…)",
     "Seeding a non-scalar output yourself.", ["vector"]),
    ("13_relu_mlp", "A tiny ReLU network", "Two layers, a batch of four, mean squared error.",
     ["matmul", "relu", "batch"]),
    ("14_sigmoid_free", "Logistic loss, by hand", "sigmoid and log with free variables.",
     ["inputs"]),
    ("15_tensorflow_tape", "TensorFlow: GradientTape",
     "The non-scalar example in TensorFlow: the tape sums the target where PyTorch refuses.",
     ["tensorflow", "vector"]),
    ("16_jax_grad", "JAX: grad of a function", "jax.grad(f) and argnums on x² + sin(x·y).",
     ["jax", "scalar"]),
    ("17_micrograd_value", "micrograd: Value", "micrograd's own Value, traced by our engine.",
     ["micrograd", "scalar"]),
    ("18_own_value", "Your own class Value",
     "The lecture's Value class, yours: the graph from _prev/_op/label, backward as your "
     "_backward closures run.", ["micrograd", "scalar"]),
    ("19_own_value_bug", "The a + a bug",
     "= instead of += in _backward: the wrong gradient at a, beside PyTorch's 2.0.",
     ["micrograd", "accumulation"]),
    ("20_training_loop", "A training loop",
     "100 Adam steps on a tiny network: the loss strip, any step's graph, and each update.",
     ["training", "batch"]),
    ("21_jax_forward_mode", "JAX: forward mode",
     "jax.jacfwd: one pass pushes a tangent forward and gives a whole Jacobian column.",
     ["jax", "forward mode", "vector"]),
]


@lru_cache(maxsize=1)
def examples() -> list[dict]:
    return [{"id": stem, "title": title, "summary": summary, "tags": tags,
             "source": (EXAMPLES_DIR / f"{stem}.py").read_text(encoding="utf-8")}
            for stem, title, summary, tags in GALLERY]
