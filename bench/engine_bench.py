"""Engine benchmarks against micrograd 0.1.0 and PyTorch CPU eager, on the same computation.

- scalar MLP: micrograd's own picture (relu neurons, `sum(w*x, b)`), ~1,000 scalar ops,
  record + forward + backward. Ours records on a Tape exactly as a trace does (every op kept,
  one event per backward edge); micrograd builds Values; PyTorch builds 0-d float64 tensors.
- tensor MLP: batch 64, 256 hidden, relu, cross-entropy; forward + backward, float64 on both
  sides (our tensors are float64), PyTorch on its default CPU threads.

Every run of a row interleaves the contestants (A B C A B C ...) so a noisy machine slows all
of them alike; the ratio is of medians.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
from chainrule.engine import functional as F
from chainrule.engine.backward import backward
from chainrule.engine.limits import Limits
from chainrule.engine.tensor import Tape, Tensor, recording

NIN, SIZES = 12, [16, 16, 1]          # 12*16*2+16 + 16*16*2+16 + 16*2 = 960 ops
BATCH, IN, HIDDEN, CLASSES = 64, 128, 256, 10
BIG = Limits(max_ops=10**6, max_seconds=float("inf"))


def _weights(seed: int = 0) -> tuple[list, list, list]:
    rng = random.Random(seed)
    dims = [NIN, *SIZES]
    w = [[[rng.uniform(-1, 1) for _ in range(dims[i])] for _ in range(dims[i + 1])]
         for i in range(len(SIZES))]
    b = [[rng.uniform(-1, 1) for _ in range(dims[i + 1])] for i in range(len(SIZES))]
    x = [rng.uniform(-1, 1) for _ in range(NIN)]
    return w, b, x


W, B, X = _weights()


def scalar_mlp(leaf: Callable, relu: Callable, xs: list) -> object:
    """micrograd's MLP.__call__, spelled once for every library (last layer linear)."""
    for layer, (w, b) in enumerate(zip(W, B, strict=True)):
        last = layer == len(W) - 1
        outs = []
        for row, bias in zip(w, b, strict=True):
            act = sum((leaf(wi) * xi for wi, xi in zip(row, xs, strict=True)), leaf(bias))
            outs.append(act if last else relu(act))
        xs = outs
    return xs[0]


def scalar_ops() -> int:
    dims = [NIN, *SIZES]
    return sum(dims[i + 1] * (2 * dims[i] + (i < len(SIZES) - 1)) for i in range(len(SIZES)))


def ours_scalar() -> float:
    tape = Tape(limits=BIG)
    with recording(tape):
        xs = [Tensor(x) for x in X]
        out = scalar_mlp(lambda v: Tensor(v, requires_grad=True), F.relu, xs)
        backward(out)
        # As a trace does once it has read the tape: break the Tensor<->Record cycles so the
        # tape is freed by reference counting, not left to the cyclic collector
        # (engine/tensor.py); before the recording ends, as trace_program does, so the young
        # collection that follows walks what survives, not the tape (engine/collector.py).
        tape.release()
    return float(out.data)


def micrograd_scalar() -> float:
    from micrograd.engine import Value

    out = scalar_mlp(Value, lambda v: v.relu(), [Value(x) for x in X])
    out.backward()
    return out.data


def torch_scalar() -> float:
    import torch

    xs = [torch.tensor(x, dtype=torch.float64) for x in X]
    out = scalar_mlp(lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True),
                     torch.relu, xs)
    out.backward()
    return out.item()


# ------------------------------------------------------------------------------ tensor MLP


def _tensor_data(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((BATCH, IN)),
            "w1": rng.standard_normal((IN, HIDDEN)) / np.sqrt(IN), "b1": np.zeros(HIDDEN),
            "w2": rng.standard_normal((HIDDEN, CLASSES)) / np.sqrt(HIDDEN),
            "b2": np.zeros(CLASSES), "y": rng.integers(0, CLASSES, BATCH)}


DATA = _tensor_data()


def ours_tensor() -> float:
    tape = Tape(limits=BIG)
    with recording(tape):
        x = Tensor(DATA["x"])
        p = {k: Tensor(DATA[k], requires_grad=True) for k in ("w1", "b1", "w2", "b2")}
        h = F.relu(x @ p["w1"] + p["b1"])
        loss = F.cross_entropy(h @ p["w2"] + p["b2"], Tensor(DATA["y"]))
        backward(loss)
    return float(loss.data)


def torch_tensor() -> float:
    import torch

    x = torch.from_numpy(DATA["x"])
    p = {k: torch.from_numpy(DATA[k]).requires_grad_() for k in ("w1", "b1", "w2", "b2")}
    h = torch.relu(x @ p["w1"] + p["b1"])
    loss = torch.nn.functional.cross_entropy(h @ p["w2"] + p["b2"], torch.from_numpy(DATA["y"]))
    loss.backward()
    return loss.item()


# ------------------------------------------------------------------------------ running


def interleaved(fns: dict[str, Callable[[], float]], runs: int, warmup: int = 3) -> dict:
    """Median ms per contestant, runs interleaved; also checks they agree on the answer."""
    answers = {name: fn() for name, fn in fns.items()}
    first = next(iter(answers.values()))
    for name, a in answers.items():
        if not np.isclose(a, first, rtol=1e-9, atol=1e-12):
            raise AssertionError(f"{name} computed {a}, expected {first}")
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    gc.collect()
    for _ in range(runs):
        for name, fn in fns.items():
            # CPU time of this process: on a machine shared with other jobs the wall clock
            # also measures the neighbours (load averages of 10-18 seen here).
            t0 = time.process_time()
            fn()
            times[name].append((time.process_time() - t0) * 1000)
    return {name: statistics.median(ts) for name, ts in times.items()}


def run(runs: int = 30) -> dict:
    scalar = interleaved({"ours": ours_scalar, "micrograd": micrograd_scalar,
                          "torch": torch_scalar}, runs)
    tensor = interleaved({"ours": ours_tensor, "torch": torch_tensor}, runs)
    return {"scalar": scalar, "scalar_ops": scalar_ops(), "tensor": tensor}


if __name__ == "__main__":
    res = run()
    s, t = res["scalar"], res["tensor"]
    print(f"scalar MLP ({res['scalar_ops']} ops): ours {s['ours']:.1f} ms, micrograd "
          f"{s['micrograd']:.1f} ms ({s['ours'] / s['micrograd']:.2f}x), torch {s['torch']:.1f} ms "
          f"({s['ours'] / s['torch']:.2f}x)")
    print(f"tensor MLP: ours {t['ours']:.2f} ms, torch {t['torch']:.2f} ms "
          f"({t['ours'] / t['torch']:.2f}x)")
