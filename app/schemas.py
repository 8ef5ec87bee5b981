"""Request and response schemas: the OpenAPI document at /openapi.json is built from these.

Responses are serialised straight from the Trace (fast path); tests validate real responses
against these models so the document stays exact. See docs/trace-format.md for the prose.
"""

from __future__ import annotations

from typing import Any, Literal

from chainrule.app.training_schema import Training
from pydantic import BaseModel, ConfigDict, Field

Number = float | int | str          # "nan", "inf", "-inf" travel as strings
Nested = Number | list[Any] | None
Span = tuple[int, int, int | None, int | None]


class TraceRequest(BaseModel):
    # strict: no coercion, so `"seed": false` or `"seed": "5"` is a 422, not seed 0 or 5; JSON
    # integers are still accepted where a float is asked for.
    model_config = ConfigDict(extra="forbid", strict=True)
    source: str = Field(..., description="The program, in chainrule's snippet language.",
                        examples=["x = torch.tensor(2.0, requires_grad=True)\ny = x ** 2\n"
                                  "y.backward()"])
    inputs: dict[str, float] | None = Field(
        None, description="Values for free variables (names never assigned); default 1.0.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1,
                             description="Seed for random tensors; default 0.")


class Summary(BaseModel):
    numel: int
    min: Number | None
    max: Number | None
    mean: Number | None


class Value(BaseModel):
    shape: list[int]
    data: Nested = Field(description="Number, nested list, or null above the element limit.")
    summary: Summary | None = Field(None, description="Absent when `data` holds one number "
                                                      "(min = max = mean = that number).")
    nonfinite: bool = Field(False, description="True when data, preview or summary hold nan or "
                            "inf; absent (false) otherwise.")
    preview: list[Number] | None = Field(None, description="First elements, flat, when data "
                                                           "is null.")


class Formula(BaseModel):
    mathml: list[int | str] | str = Field(description="Indices into the trace's `math` (a "
                                          "string: a decimal's <mn>): the MathML is those "
                                          "pieces joined (engine/formula_table.py).")
    text: str = Field(description="The formula as plain text (SVG export, CLI, notebook).")
    latex: str | None = Field(None, description="Not sent in traces (no renderer paints it).")


class Iteration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(description="The loop variable's binding, e.g. `i = 3`.")
    n: int | None = Field(description="1-based iteration number.")
    of: int | None = Field(description="How many iterations the loop has, when known.")


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["scalar", "table", "thumb"] = Field(
        description="One line, a table of cells, or a heat map of cells.")
    rows: int | None = Field(None, description="table / thumb: rows of cells.")
    cols: int | None = None


class Shown(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cells: list[str] = Field(description="The block's cell texts (none for a heat map).")
    text: str | None = Field(None, description="The whole Value as one line of text; absent "
                                               "when it is the one cell.")


class Matrix(BaseModel):
    """A small matrix in a `mats` caption row (engine/display.py `matrix`)."""

    model_config = ConfigDict(extra="forbid")
    label: str = Field(description="What it is: ∂loss/∂h, Xᵀ, upstream × local.")
    shape: str = Field(description="The tensor's whole shape, as text: (3, 4).")
    rows: list[list[str]] = Field(description="Cell texts of its top-left corner (at most 4 × "
                                              "5), with ⋯ / ⋮ cells where some are left out.")


class MatsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mats: list[Matrix | str] = Field(description="Matrices and the operators between them.")


Row = str | tuple[str, str | MatsBody | dict[str, str] | None]
ROW_DOC = ("Caption rows, each labelled `display.rows[kind]`: a kind alone (its body is "
           "`display.bodies[kind]`: a formula of the step, the text of a node it names, or "
           "an op's Operation row), or [kind, body] with body text, {\"sum\": total} (the "
           "chips of the edge steps that reached `to` so far, then the total), {\"mats\": "
           "[matrix or operator, …]} (a tensor edge's rule with numbers), or null (the "
           "label is a note).")


class Display(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="The sentence shown before the first step.")
    rows: dict[str, str] = Field(description="Caption row kind → its label.")
    default_rows: dict[str, list[str]] = Field(
        description="Step kind → the rows of a step of that kind that has no `rows`.")
    operation: dict[str, str] = Field(
        description="An op node's Operation row: `recorded` (it has a grad_fn) or `plain`, "
                    "{op} and {grad_fn} filled in from the node.")
    blocks: dict[str, float] = Field(
        description="Block geometry, px: scalar_w, line (a row's height), cell_w, thumb_w, "
                    "thumb_h.")
    marks: dict[str, str] = Field(
        description="What a tensor's second row holds: `grad`, its mark (∇), and `grad_word`, "
                    "its name (gradient). forward_mode.marks replaces them in forward mode "
                    "(ṫ, tangent).")
    bodies: dict[str, dict[str, str]] = Field(
        description="The body of a row written as its kind alone: {\"math\": f} (the step's "
                    "formula field f) or {\"node\": f} (the text of the node whose id is in "
                    "the step's field f).")


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: Literal["tensor", "op"]
    label: str
    x: float
    y: float
    w: float
    h: float
    span: Span | None = None
    group: str | None = Field(None, description="Id of the group (the user-function call, else "
                                                "the top-level statement) that created the "
                                                "node; see `groups`.")
    iteration: Iteration | None = Field(None, description="The loop iteration that made it.")
    note: str | None = Field(None, description="Made under torch.no_grad(): a constant to "
                                               "backward.")
    grad_fn: str | None = None
    # tensor nodes
    name: str | None = None
    expr: str | None = None
    origin: Literal["leaf", "input", "constant", "result", "detached", "grad"] | None = None
    dtype: Literal["float", "int"] | None = None
    shape: list[int] | None = None
    requires_grad: bool | None = None
    is_leaf: bool | None = None
    value: Value | None = None
    grad: Value | None = None
    flags: list[Literal["nan", "inf"]] | None = None
    block: Block | None = Field(None, description="How the value and gradient are drawn.")
    cells: list[str] | None = Field(None, description="The value block's cell texts.")
    text: str | None = Field(None, description="Tensor: its value as one line of text "
                                               "(absent when it is the one cell).")
    # op nodes
    op: str | None = None
    symbol: str | None = None
    attrs: dict[str, Any] | None = None


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    source: str
    target: str
    role: Literal["input", "output"]
    input_index: int | None
    shape: list[int]
    route: list[tuple[float, float]]
    label_at: tuple[float, float] | None = Field(
        None, description="Only on an edge too short for its labels (engine/edge_labels.py): "
                          "where its labels go instead of the edge's middle, below its two "
                          "ends; the shape 4 px above this point, the local label 13 px below.")


class OwnBackward(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call: int = Field(description="1-based: which _backward call of the pass, in their order")
    node: str = Field(description="the Value whose closure ran (out)")
    before: float | int | str = Field(description="the child's .grad before the call")
    after: float | int | str = Field(description="the child's .grad after it")


class OwnPyTorch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grad: float | str = Field(description="PyTorch's gradient at this node")
    node: str


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int
    phase: Literal["forward", "backward"]
    kind: Literal["op", "seed", "edge", "product", "error", "hook"] = Field(
        description="product: a broadcast input's upstream × local, before the edge step "
                    "that sums it over the broadcast dims")
    narration: str
    span: Span | None
    focus: str | None
    lit_nodes: list[str]
    lit_edges: list[str]
    formula: Formula | None
    # forward op
    op: str | None = None
    inputs: list[str] | None = None
    output: str | None = None
    value: Value | None = None
    # seed
    root: str | None = None
    implicit_call: bool | None = None
    gradient_given: bool | None = None
    numel: int | None = None
    # edge (and seed: grad)
    grad: Value | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    edge: str | None = None
    upstream: Value | None = None
    local: Value | None = None
    product: Value | None = None
    reduced_axes: list[int] | None = None
    contribution: Value | None = None
    count: int | None = None
    expected: int | None = None
    complete: bool | None = None
    leaf_grad: Value | None = None
    leaf_grad_before: Value | None = None
    chain: Formula | None = None
    accumulate: Formula | None = None
    # hook (grad: what the hook received)
    result: Value | None = Field(None, description="What the hook returned; null: None.")
    # error
    message: str | None = None
    hints: list[str] | None = None
    node: str | None = None
    # display list (engine/display.py)
    rows: list[Row] | None = Field(None, description=ROW_DOC + " Absent: "
                                   "display.default_rows[kind].")
    shown: Shown | None = Field(None, description="seed, edge, hook with a result: the "
                                                  "gradient this step brings to its node.")
    label: str | None = Field(None, description="edge: the edge's label from now on (×4, "
                                                "×2·(pred - y), ×local, or the rule: Xᵀ·ḡ).")
    chip: str | None = Field(None, description="edge with expected > 1: its contribution, "
                                               "short.")
    note: str | None = Field(None, description="edge completing a named leaf: x.grad = 4.")
    # the learner's own class Value (engine/own_value_trace.py)
    own_backward: OwnBackward | None = Field(None, description="edge of an own-Value trace: "
                                             "the _backward call that wrote this .grad.")
    pytorch: OwnPyTorch | None = Field(None, description="edge of an own-Value trace where "
                                       "their gradient differs from PyTorch's first.")


class ErrorInfo(BaseModel):
    kind: str = Field(description="syntax | refused | limit | backward | shape | name | "
                                  "argument | runtime | internal")
    message: str
    line: int | None
    col: int | None = Field(description="1-based column")
    end_line: int | None = None
    end_col: int | None = None
    node: str | None = None
    hints: list[str] = Field(default_factory=list)


class Variable(BaseModel):
    shape: list[int]
    data: Nested = Field(description="The numbers; null above the display limit (see the "
                                     "variable's node).")
    grad: Nested | Value = Field(description="null exactly where PyTorch's .grad is None; "
                                              "above the display limit, a Value (summary, "
                                              "preview).")
    requires_grad: bool
    node: str | None = None


class Layout(BaseModel):
    width: float
    height: float
    engine: str
    elapsed_ms: float | None = None


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="g{k}: the k-th top-level statement (0-based); c{n}: a call "
                                "of a user function.")
    label: str = Field(description="The statement's source text, or the call's (`f(x)`), "
                                   "clipped.")
    span: Span | None
    kind: Literal["statement", "call"] = "statement"
    iteration: Iteration | None = Field(None, description="A call made in a loop: its "
                                                          "iteration.")
    tensors: int
    ops: int
    x: float = Field(description="Centre of the box around the group's nodes, px.")
    y: float
    w: float
    h: float


class CollapsedBox(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="A group id (kind group) or an ungrouped node's id (kind node).")
    kind: Literal["group", "node"]
    x: float = Field(description="Centre, px, in the collapsed view.")
    y: float
    w: float
    h: float


class CollapsedEdge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    source: str = Field(description="A box id.")
    target: str
    route: list[tuple[float, float]]


class CollapsedFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pad: float = Field(description="px between an expanded group's frame and its members.")
    title: float = Field(description="px of the frame's title bar.")
    margin: float = Field(description="px around the whole drawing.")
    curve: float = Field(description="px an edge between boxes runs level, at least, as it "
                                     "leaves one box and enters the next (its S-curve).")


class Collapsed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: int = Field(description="Traces with more nodes than this come collapsed.")
    width: float
    height: float
    engine: str
    elapsed_ms: float
    boxes: list[CollapsedBox] = Field(description="Column by column (left to right), each top to "
                                      "bottom: the order the page sums growth in.")
    columns: list[int] = Field(description="How many boxes each column holds, left to right "
                                           "(engine/groups.py `columns_of`).")
    frame: CollapsedFrame
    edges: list[CollapsedEdge] = Field(description="One per pair of boxes that trace edges join.")
    open: list[str] | None = Field(None, description="Small graphs with user-function calls: "
                                                     "the call groups, drawn open.")


class OfferBackward(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    code: str = Field(description="The line to append, e.g. `y.backward()`.")
    node: str | None


class TraceResponse(BaseModel):
    version: int
    source: str
    nodes: list[Node]
    edges: list[Edge]
    steps: list[Step]
    layout: Layout
    variables: dict[str, Variable]
    inputs: dict[str, float]
    stdout: str
    printed: list[list[int]] = []    # [steps before, characters printed by then] per print
    error: ErrorInfo | None
    implicit_backward: bool
    backward_start: int | None
    groups: list[Group] = Field(default_factory=list,
                                description="The statements that made nodes: a page may collapse "
                                            "each into one box (big graphs).")
    collapsed: Collapsed | None = Field(None, description="Big graphs only: the view of one box "
                                                          "per group that a page draws first.")
    notes: list[str] = Field(default_factory=list,
                             description="Things to know about the run (imports assumed).")
    offer_backward: OfferBackward | None = Field(None, description="A framework program that "
                                                 "never called backward: the call to offer.")
    display: Display = Field(description="Texts every step's display list refers to.")
    training: Training | None = Field(None, description="A training loop's summary: every "
                                      "iteration's loss, the iteration kept whole and its "
                                      "update step with its numbers (engine/training.py; "
                                      "POST /api/training).")
    math: list[str] = Field(default_factory=list, description="MathML pieces the formulas "
                            "list by index, each once (engine/formula_table.py).")


class RefusedResponse(BaseModel):
    error: ErrorInfo


class Example(BaseModel):
    id: str
    title: str
    summary: str
    source: str
    tags: list[str] = Field(default_factory=list)


class Health(BaseModel):
    status: Literal["ok"]
    version: str
