"""POST /api/fd_check through the real app and its worker pool."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "app" / "examples"


def test_the_check_names_the_trace_nodes_and_agrees(client) -> None:
    source = (EXAMPLES / "05_neuron.py").read_text()
    trace = client.post("/api/trace", json={"source": source}).json()
    answer = client.post("/api/fd_check", json={"source": source})
    assert answer.status_code == 200
    body = answer.json()
    leaves = {leaf["node"]: leaf for leaf in body["leaves"]}
    labels = {n["id"]: n["label"] for n in trace["nodes"] if n["kind"] == "tensor"}
    assert {labels[node] for node in leaves} == {"x1", "x2", "w1", "w2", "b"}
    # tanh neuron (Karpathy's numbers): do/dn = 1 - tanh(n)^2 = 0.5 at n = 0.8814;
    # do/dx1 = w1 * 0.5 = -1.5, do/dw1 = x1 * 0.5 = 1.0
    by_label = {leaf["label"]: leaf for leaf in body["leaves"]}
    assert abs(by_label["x1"]["estimate"] + 1.5) < 1e-5
    assert abs(by_label["w1"]["estimate"] - 1.0) < 1e-5
    assert all(leaf["agrees"] for leaf in body["leaves"]) and body["runs"] == 10


def test_free_variables_use_the_inputs_sent(client) -> None:
    body = client.post("/api/fd_check", json={"source": "f = x ** 3",
                                              "inputs": {"x": 2.0}}).json()
    (leaf,) = body["leaves"]
    assert abs(leaf["estimate"] - 12.0) < 1e-5    # d/dx x³ = 3x² = 12


def test_refused_and_failing_programs(client) -> None:
    refused = client.post("/api/fd_check", json={"source": "x = = 1"})
    assert refused.status_code == 400 and refused.json()["error"]["line"] == 1
    failing = client.post("/api/fd_check",
                          json={"source": (EXAMPLES / "06_non_scalar_backward.py").read_text()})
    body = failing.json()
    assert failing.status_code == 200 and body["leaves"] == []
    assert body["error"]["kind"] == "backward" and body["note"]
    bad = client.post("/api/fd_check", content=b'{"source": "f = x", "inputs": {"x": 1e999}}',
                      headers={"content-type": "application/json"})
    assert bad.status_code == 422


def test_a_runaway_program_is_stopped(tight_client) -> None:
    source = "import torch\nx = torch.tensor(1.0, requires_grad=True)\nwhile True:\n    x = x * 1\n"
    answer = tight_client.post("/api/fd_check", json={"source": source})
    assert answer.status_code == 200
    assert answer.json()["error"]["kind"] == "limit"
