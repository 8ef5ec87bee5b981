"""The trace's `training` field in the OpenAPI schema (engine/training.py,
engine/training_update.py): documentation of what POST /api/trace and /api/training answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class WorkedEntry(BaseModel):
    at: str = Field(description="Which entry of the parameter: `[0, 1]`, or empty for a "
                                "one-number parameter.")
    lines: list[list[Any]] = Field(description="The update written out, one list per line: "
                                               "strings are printed as they are, numbers "
                                               "are the engine's (e.g. `w ← w − lr·∇w = `, "
                                               "w, ` − `, lr, ` × `, ∇w, ` = `, w after).")
    values: dict[str, Any] = Field(description="The same numbers by name: w, grad, lr, after; "
                                               "b_prev/b (momentum), m_prev, v_prev, m, v, "
                                               "m_hat, v_hat, t (Adam), s_prev/s, G_prev/G.")


class ParameterUpdate(BaseModel):
    node: str | None = Field(description="The parameter's node in the graph.")
    label: str = Field(description="PyTorch's name (`0.weight`, `fc1.bias`) or the "
                                   "program's variable (`a`).")
    lr: float | None = Field(description="The learning rate; for a hand-written update the "
                                         "one the change shows, null when it is not −lr·∇w.")
    before: dict = Field(description="A Value: the parameter before the step.")
    grad: dict = Field(description="A Value: its gradient.")
    after: dict = Field(description="A Value: the parameter after the step.")
    change: dict = Field(description="A Value: after − before.")
    state: dict[str, dict] = Field(description="The optimizer's state after the step, by the "
                                               "page's names (b, m, v, s, G).")
    t: int | None = Field(None, description="The optimizer's step count, when it keeps one.")
    worked: list[WorkedEntry] = Field(description="The first few entries written out.")
    code: str | None = Field(None, description="A hand-written update: its statement.")
    lr_text: str | None = Field(None, description="A hand-written update: the program's "
                                                  "name for lr (`learning_rate`).")


class Update(BaseModel):
    optimizer: str = Field(description="SGD, Adam, AdamW, RMSprop, Adagrad, or `by hand`.")
    rule: str = Field(description="The update rule in one line of text.")
    settings: dict[str, Any] = Field(description="β₁ (beta1), β₂ (beta2), ε (eps), momentum, "
                                                 "dampening, weight_decay… of the step.")
    params: list[ParameterUpdate]


class Training(BaseModel):
    span: list[int] = Field(description="The loop's source span.")
    count: int = Field(description="How many iterations ran.")
    loss_name: str | None = Field(description="The variable charted as the loss.")
    losses: list[float | None] = Field(description="Every iteration's loss, in order.")
    picked: int = Field(description="The iteration whose graph and update the trace holds.")
    update: Update | None = Field(description="That iteration's update step.")
