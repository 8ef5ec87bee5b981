"""POST /api/training through the real app and its worker pool: iteration k's graph and
update step, stateless (the same request twice gives the same bytes), laid out as the first."""

from __future__ import annotations

import torch

SOURCE = """
import torch
torch.manual_seed(0)
x = torch.randn(16, 3)
y = x.sum(1, keepdim=True) * 0.5
model = torch.nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for i in range(100):
    loss = ((model(x) - y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


def torch_weights(k: int) -> tuple[list[float], list[float]]:
    """PyTorch's run: the weight before and after iteration k's step, and every loss."""
    torch.manual_seed(0)
    x = torch.randn(16, 3)
    y = x.sum(1, keepdim=True) * 0.5
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(k):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        before = model.weight.detach().flatten().tolist()
        opt.step()
    return before, model.weight.detach().flatten().tolist()


def test_iteration_k_is_kept_and_matches_pytorch(client) -> None:
    first = client.post("/api/trace", json={"source": SOURCE}).json()
    answer = client.post("/api/training", json={"source": SOURCE, "iteration": 20})
    assert answer.status_code == 200
    again = client.post("/api/training", json={"source": SOURCE, "iteration": 20})
    picked = answer.json()
    repeat = again.json()   # stateless, deterministic (all but the layout's timing)
    for key in ("nodes", "edges", "steps", "training", "stdout"):
        assert repeat[key] == picked[key]
    assert picked["training"]["picked"] == 20 and first["training"]["picked"] == 1
    assert picked["training"]["losses"] == first["training"]["losses"]
    assert [(n["id"], n["x"], n["y"]) for n in picked["nodes"]] == \
        [(n["id"], n["x"], n["y"]) for n in first["nodes"]]
    weight = picked["training"]["update"]["params"][0]
    before, after = torch_weights(20)
    assert max(abs(a - b) for a, b in zip(weight["before"]["data"][0], before,
                                          strict=True)) < 1e-5
    assert max(abs(a - b) for a, b in zip(weight["after"]["data"][0], after,
                                          strict=True)) < 1e-5


def test_bad_iteration_requests(client) -> None:
    assert client.post("/api/training", json={"source": SOURCE, "iteration": 0}
                       ).status_code == 422
    assert client.post("/api/training", json={"source": SOURCE}).status_code == 422
    refused = client.post("/api/training", json={"source": "for i in range(:", "iteration": 2})
    assert refused.status_code == 400 and refused.json()["error"]["line"] == 1
    beyond = client.post("/api/training", json={"source": SOURCE, "iteration": 500}).json()
    assert beyond["training"]["picked"] == 1   # no such iteration: the first one's shape


def test_the_cacheable_get_answers_as_the_post(client) -> None:
    from chainrule.app.permalink import ProgramState, encode
    code = encode(ProgramState(source=SOURCE))
    got = client.get(f"/api/training/{code}/20")
    assert got.status_code == 200 and got.headers["etag"]
    posted = client.post("/api/training", json={"source": SOURCE, "iteration": 20}).json()
    assert got.json()["training"] == posted["training"]
    again = client.get(f"/api/training/{code}/20",
                       headers={"if-none-match": got.headers["etag"]})
    assert again.status_code == 304
    # another iteration is another answer, and the whole-program GET is not this one
    assert client.get(f"/api/training/{code}/21").json()["training"]["picked"] == 21
    assert client.get(f"/api/trace/{code}").json()["training"]["picked"] == 1
    assert client.get(f"/api/training/{code}/0").status_code == 422
    assert client.get("/api/training/%21%21/3").status_code == 400


MANUAL = """
import torch
w = torch.tensor([1.0, -2.0], requires_grad=True)
for i in range(4):
    loss = (w ** 2).sum()
    loss.backward()
    with torch.no_grad():
        w -= 0.25 * w.grad
        w.grad = None
"""


def test_answers_match_the_documented_schema(client) -> None:
    """The `training` field as /openapi.json documents it (app/training_schema.py), for an
    optimizer's step and a hand-written one."""
    from chainrule.app.schemas import TraceResponse
    assert "Training" in client.get("/openapi.json").json()["components"]["schemas"]
    for source in (SOURCE, MANUAL):
        body = client.post("/api/training", json={"source": source, "iteration": 3}).json()
        TraceResponse.model_validate(body)
        assert body["training"]["update"]["params"][0]["worked"]
    # by hand: loss = Σ w², ∇w = 2w, w ← w − 0.25·2w = w/2 each iteration: w₃ = [1, −2] / 4
    param = body["training"]["update"]["params"][0]
    assert param["label"] == "w" and param["lr"] == 0.25 and param["code"] == "w -= 0.25 * w.grad"
    assert param["before"]["data"] == [0.25, -0.5] and param["after"]["data"] == [0.125, -0.25]
