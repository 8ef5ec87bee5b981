"""Forward mode on the recorded graph: the tangent rides forward with the value (issue 15).

Reverse mode (backward) needs one pass per output number and gives the gradient of that output
with respect to every input; forward mode needs one pass per input number and gives the
derivative of every value with respect to that input. Here each pass seeds one input number's
tangent with 1 (the others 0: `jax.jvp(f, primals, tangents)` with a unit tangent), then walks
the ops in the order they ran: each op's output tangent is the sum, over its inputs, of the
local derivative times that input's tangent (a Jacobian–vector product). A program that called
`jax.jvp` is shown with the tangents it passed instead.

The steps use the trace's step shapes (`seed`, `edge`) so every renderer paints them as it
paints backward's, with the edge's direction turned around: an edge step's `to` is the op's
output, `grad` the tangent arriving there. The page swaps them in when the learner picks forward
mode (static/js/forward_mode.js).

The local derivative comes from each op row's own rule: the Jacobian row for output element k is
the rule's vector–Jacobian product of the k-th unit vector, so no op needs a second rule, and
forward and reverse agree by construction up to rounding. That costs one VJP per output element
per edge, which is why forward mode is offered for small programs only (`MAX_PASSES`,
`MAX_ROWS`).
"""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np
from chainrule.engine.broadcast import unbroadcast
from chainrule.engine.display import (
    block,
    cells,
    factor_label,
    local_label,
    matrix,
    short_text,
    tangent_rule_label,
    value_text,
    with_text,
)
from chainrule.engine.errors import RuntimeProblem
from chainrule.engine.formula import (
    fill,
    formula,
    latex_name,
    template_attrs,
    template_names,
    tname,
)
from chainrule.engine.formula_table import MathTable
from chainrule.engine.graph import Graph
from chainrule.engine.limits import AnswerBudget
from chainrule.engine.ops import OPS
from chainrule.engine.tensor import Ctx, Record, Tensor
from chainrule.engine.values import fmt, short

MAX_PASSES = 8          # input numbers: one forward pass each
MAX_OPS = 300           # a teaching view: a bigger graph is refused with the reason
MAX_ROWS = 5_000        # Jacobian rows (one VJP each) over all passes

SUMMARY = ("Forward mode: one pass per input number ({n_in} here{ins}). Reverse mode: one pass "
           "per output number ({n_out} here{outs}).")

# the caption rows' labels forward-mode steps add to the trace's legend
ROWS = {
    "tseed": "Seed tangent",
    "tlocal": "Local derivative",
    "tchain": "Chain rule, forward: local × tangent in",
    "tjvp": "Tangent rule (Jacobian–vector product)",
    "tnumbers": "The rule with numbers",
    "tpaths": "Paths meet: the tangents add",
    "tdone": "This pass gives",
}
# a tensor's second row holds its tangent in forward mode, not a gradient (engine/display.MARKS)
MARKS = {"grad": "ṫ", "grad_word": "tangent"}


def dot_tex(label: str) -> str:
    r"""A tangent in LaTeX, as dot_text writes it: \dot{x}, else ṫ(name)."""
    if len(label) == 1 and label.isalpha():
        return rf"\dot{{{latex_name(label)}}}"
    name = latex_name(label)   # compound source text comes in parentheses already
    return rf"\dot{{t}}{name}" if name.startswith("(") else rf"\dot{{t}}({name})"


def dot_text(label: str) -> str:
    """A tangent in plain text: ẋ for a one-letter name, else ṫ(name)."""
    if len(label) == 1 and label.isalpha():
        return unicodedata.normalize("NFC", label + "\u0307")
    return f"ṫ({label})"   # the dot over a long name would sit on one letter


def forward_mode(graph: Graph, steps: list[dict], events: list[dict], value: Any,
                 budget: AnswerBudget, math: MathTable | None = None) -> dict | None:
    """The trace's `forward_mode` field: {"available", "summary", "passes", "steps", "rows",
    "start_forward"} or {"available": False, "reason", "summary"}; None when the program recorded
    no operation (a learner's own Value class, a program that only prints): there is no graph of
    ours to push tangents through, and a "0 inputs, 0 outputs" toggle would only puzzle. `steps`
    are the trace's own (its forward op steps are replayed in the first pass), `value` the
    timeline's Value maker."""
    records = graph.records
    if not records:
        return None
    inputs = _inputs(graph, records)
    outputs = _outputs(graph, records)
    n_in = sum(int(t.data.size) for t in inputs)
    n_out = sum(int(t.data.size) for t in outputs)
    summary = SUMMARY.format(n_in=n_in, n_out=n_out, ins=_names(graph, inputs),
                             outs=_names(graph, outputs))
    own = next((r for r in records if not table_op(r)), None)
    if own is not None:   # its backward is the learner's code: not run again to draw tangents
        return {"available": False, "summary": summary,
                "reason": f"Forward mode needs each op's own derivative rule; {own.op.name} "
                          f"is the program's own autograd.Function."}
    if len(records) > MAX_OPS:
        return {"available": False, "summary": summary,
                "reason": f"This program records {len(records)} operations; chainrule shows "
                          f"forward mode for at most {MAX_OPS}."}
    seeds, how = _seeds(graph, inputs, events)
    if not seeds:
        return {"available": False, "summary": summary,
                "reason": "No input requires grad: there is no tangent to seed."}
    if len(seeds) > MAX_PASSES:
        return {"available": False, "summary": summary,
                "reason": f"Forward mode would need {n_in} passes here; chainrule shows "
                          f"it for at most {MAX_PASSES}."}
    rows = len(seeds) * sum(int(r.output.data.size) * len(r.inputs) for r in records)
    if rows > MAX_ROWS:
        return {"available": False, "summary": summary,
                "reason": "This program is too large to show in forward mode."}
    walk = _Walk(graph, records, value, budget, how, math)
    op_steps = {s["op"]: s for s in steps if s["phase"] == "forward" and s["kind"] == "op"}
    for p, seed in enumerate(seeds):
        walk.run(p, len(seeds), seed, op_steps if p == 0 else {})
        if budget.exceeded:
            return {"available": False, "summary": summary,
                    "reason": "Forward mode would make the answer too large."}
    return {"available": True, "summary": summary, "how": how, "passes": walk.passes,
            "steps": walk.steps, "rows": ROWS, "marks": MARKS,
            "start_forward": how in ("jvp", "jacfwd")}


def table_op(rec: Record) -> bool:
    """The op is a row of engine/ops.py (not a program's own autograd.Function)."""
    return OPS.get(rec.op.name) is rec.op


def _inputs(graph: Graph, records: list[Record]) -> list[Tensor]:
    used = {t.id for r in records for t in r.inputs}
    return [t for t in graph.tensors if t.is_leaf and t.requires_grad and t.id in used
            and t.data.dtype.kind == "f"]


def _outputs(graph: Graph, records: list[Record]) -> list[Tensor]:
    """The values nothing else consumed, that depend on an input: what a learner would ask
    the derivative of."""
    used = {t.id for r in records for t in r.inputs}
    return [r.output for r in records if r.output.id not in used and r.output.requires_grad]


def _names(graph: Graph, tensors: list[Tensor]) -> str:
    labels = [graph.label(t) for t in tensors[:4]]
    if not labels:
        return ""
    more = ", …" if len(tensors) > 4 else ""
    return ": " + ", ".join(labels) + more


def _seeds(graph: Graph, inputs: list[Tensor], events: list[dict]
           ) -> tuple[list[dict[int, np.ndarray]], str]:
    """One tangent per pass, {tensor id: tangent array}. A jax.jvp call gives its own."""
    for ev in events:
        if ev["type"] == "jvp":
            seed = {t.id: np.asarray(tan, dtype=np.float64).reshape(t.data.shape)
                    for t, tan in zip(ev["inputs"], ev["tangents"], strict=True)
                    if t.id in graph.tensor_ids}
            if seed:
                return [seed], "jvp"
    how = "unit"
    for ev in events:   # jax.jacfwd: a unit tangent per number of its inputs, the page opens so
        if ev["type"] == "jacfwd":
            found = [t for t in ev["inputs"] if t.id in graph.tensor_ids]
            if found:
                inputs, how = found, "jacfwd"
                break
    seeds = []
    for t in inputs:
        for k in range(int(t.data.size)):
            unit = np.zeros(t.data.size)
            unit[k] = 1.0
            seeds.append({t.id: unit.reshape(t.data.shape)})
            if len(seeds) > MAX_PASSES:
                return seeds, how
    return seeds, how


class _Walk:
    """Builds the steps of every pass and each pass's tangents at the outputs."""

    def __init__(self, graph: Graph, records: list[Record], value: Any, budget: AnswerBudget,
                 how: str, math: MathTable | None) -> None:
        self.g, self.records, self.v, self.budget, self.how = graph, records, value, budget, how
        self.math = math   # the trace's formula pieces: formulas sent in its compact form
        self.steps: list[dict] = []
        self.passes: list[dict] = []

    def add(self, step: dict) -> None:
        if self.math is not None:
            self.math.compact(step)
        if self.budget.charge(step):
            step["index"] = len(self.steps)
            self.steps.append(step)

    def run(self, p: int, n: int, seed: dict[int, np.ndarray], op_steps: dict) -> None:
        g = self.g
        tangents: dict[int, np.ndarray] = {}
        seeded = []
        for t in g.tensors:
            if t.id in seed:
                tangents[t.id] = seed[t.id]
                seeded.append(t)
                self._seed_step(t, seed[t.id], p, n)
        for rec in self.records:
            step = op_steps.get(g.op_ids[rec.index])
            if step is not None:
                self.add({k: v for k, v in step.items() if k != "index"})
            self._through(rec, tangents)
        out = {g.tid(t): self.v(tangents[t.id]) for t in g.tensors if t.id in tangents}
        self.passes.append({"seed": [g.tid(t) for t in seeded], "tangents": out,
                            "step": len(self.steps) - 1})
        if self.steps:
            self._close(self.steps[-1], seeded, tangents, p, n)

    def _seed_step(self, t: Tensor, tangent: np.ndarray, p: int, n: int) -> None:
        nid, name = self.g.tid(t), self.g.label(t)
        val = self.v(tangent)
        if self.how == "jvp":
            lead = f"jax.jvp: the tangent you passed for {name}, {short(tangent)}, starts here."
        elif tangent.size == 1:
            lead = (f"Forward mode, pass {p + 1} of {n}: seed {dot_text(name)} = 1 (every other "
                    f"input's tangent is 0).")
        else:
            k = int(np.argmax(tangent.reshape(-1)))
            lead = (f"Forward mode, pass {p + 1} of {n}: seed {dot_text(name)} = "
                    f"{short(tangent)}, a 1 at element {k}.")
        sentence = (f"{lead} A tangent says how fast a value moves when this input moves; it "
                    f"travels forward with the values, op by op.")
        tex = f"{dot_tex(name)} = {_tex_value(tangent)}"
        self.add({"phase": "forward", "kind": "seed", "mode": "forward", "root": nid,
                  "grad": val, "implicit_call": False, "gradient_given": True,
                  "numel": int(tangent.size), "span": t.span, "focus": nid,
                  "lit_nodes": [nid], "lit_edges": [],
                  "formula": formula(tex, f"{dot_text(name)} = {short(tangent)}"),
                  "shown": self._shown(val, list(t.shape)),
                  "rows": [["tseed", {"math": "formula"}]],
                  "narration": sentence})

    def _through(self, rec: Record, tangents: dict[int, np.ndarray]) -> None:
        """Each input carrying a tangent sends local × tangent to the op's output."""
        carrying = [i for i, (t, rule) in enumerate(zip(rec.inputs, rec.op.rules, strict=False))
                    if rule is not None and t.id in tangents]
        if not carrying or not rec.output.requires_grad:
            return
        ctx = rec.ctx()
        total: np.ndarray | None = None
        for count, i in enumerate(carrying, start=1):
            inp, rule = rec.inputs[i], rec.op.rules[i]
            contribution, local = _jvp(rule, ctx, tangents[inp.id], rec.output.data.shape)
            total = contribution if total is None else total + contribution
            self._edge_step(rec, i, tangents[inp.id], local, contribution, total, count,
                            len(carrying))
        tangents[rec.output.id] = total

    def _edge_step(self, rec: Record, i: int, t_in: np.ndarray, local: np.ndarray | None,
                   contribution: np.ndarray, total: np.ndarray, count: int,
                   expected: int) -> None:
        g = self.g
        inp, out = rec.inputs[i], rec.output
        op_id, in_id, out_id = g.op_ids[rec.index], g.tid(inp), g.tid(out)
        edge_id = g.input_edges[(rec.index, i)]
        in_name, out_name = g.label(inp), g.label(out)
        local_v = None if local is None else self.v(local)
        step = {"phase": "forward", "kind": "edge", "mode": "forward", "op": op_id,
                "from": in_id, "to": out_id, "edge": edge_id, "upstream": self.v(t_in),
                "local": local_v, "product": self.v(contribution),
                "contribution": self.v(contribution), "reduced_axes": [],
                "grad": self.v(total), "count": count, "expected": expected,
                "complete": count == expected, "leaf_grad": None, "leaf_grad_before": None,
                "span": rec.span, "focus": out_id, "lit_nodes": [in_id, op_id, out_id],
                "lit_edges": [edge_id, g.output_edges[rec.index]]}
        step["formula"], step["chain"], factor = self._formulas(rec, i, t_in, local,
                                                                contribution)
        rows: list = [["tlocal", {"math": "formula"}], ["tchain", {"math": "chain"}]]
        if np.size(contribution) > 1 or np.size(t_in) > 1:
            rows.append(["tnumbers", {"mats": self._numbers(in_name, out_name, t_in, local,
                                                           contribution)}])
        if expected > 1:
            step["chip"] = short_text(step["contribution"])
            rows.append(["tpaths", {"sum": short_text(step["grad"]) +
                                    ("" if count == expected else " so far")}])
        step["rows"] = rows
        if local_v is not None:
            step["label"] = local_label(local_v, None, factor)
        else:   # not elementwise: the rule, in a few symbols (display.TANGENT_LABELS)
            names = [g.label(t) for t in rec.inputs[:2]] + [None, None]
            step["label"] = tangent_rule_label(rec.op.name, i, names[0], names[1])
        step["shown"] = self._shown(step["grad"], list(out.shape))
        say_in = dot_text(in_name) if len(in_name) <= 28 else f"the tangent of {in_name}"
        sentence = (f"Tangent through {rec.op.name}: {say_in} = {short(t_in)} times the local "
                    f"derivative gives {short(contribution)}, flowing into {out_name}")
        if expected > 1:
            sentence += (f"; the tangents from its {expected} inputs add up"
                         f"{'' if count == expected else ' (so far ' + short(total) + ')'}"
                         f"{' to ' + short(total) if count == expected else ''}")
        step["narration"] = sentence + "."
        self.add(step)

    def _formulas(self, rec: Record, i: int, t_in: np.ndarray, local: np.ndarray | None,
                  contribution: np.ndarray) -> tuple[dict, dict, str | None]:
        """The edge's local form and chain rule, and the factor an elementwise edge that scales
        tangents element by element is labelled with (display.factor_label)."""
        g = self.g
        rule = rec.op.rules[i]
        names, attrs = template_names(rec, g.label), template_attrs(rec)
        factor = None
        out_name, in_name = names["out"], g.label(rec.inputs[i])
        d_tex = rf"\frac{{\partial {latex_name(out_name)}}}{{\partial {latex_name(in_name)}}}"
        d_txt = f"d{tname(out_name)}/d{tname(in_name)}"
        scalar = np.size(t_in) == 1 and np.size(contribution) == 1 and local is not None \
            and np.size(local) == 1
        if rule.local is not None:
            body_tex = fill(rule.latex, attrs, names, latex=True)
            body_txt = fill(rule.text, attrs, names, latex=False)
            num = fmt(float(np.asarray(local).reshape(()))) if scalar else None
            tail = f" = {num}" if num is not None and num != body_txt else ""
            local_form = formula(f"{d_tex} = {body_tex}{tail}", f"{d_txt} = {body_txt}{tail}")
            if np.size(local) > 1:
                factor = factor_label(body_txt)
        else:
            local_form = formula(rf"{dot_tex(out_name)} \mathrel{{+}}= J_{{{latex_name(in_name)}}}"
                                 rf"\,{dot_tex(in_name)}",
                                 f"{dot_text(out_name)} += J·{dot_text(in_name)} (the Jacobian "
                                 f"of {rec.op.name} times the tangent)")
        if scalar:
            loc, tin = fmt(float(np.asarray(local).reshape(()))), fmt(float(np.reshape(t_in, ())))
            res = fmt(float(np.reshape(contribution, ())))
            chain = formula(rf"{d_tex} \cdot {dot_tex(in_name)} = {loc} \times {tin} = {res}",
                            f"{d_txt} × {dot_text(in_name)} = {loc} × {tin} = {res}")
        else:
            chain = formula(rf"{dot_tex(out_name)} \mathrel{{+}}= {d_tex}\,{dot_tex(in_name)}",
                            f"{dot_text(out_name)} += {d_txt} · {dot_text(in_name)}")
        return local_form, chain, factor

    @staticmethod
    def _numbers(in_name: str, out_name: str, t_in: np.ndarray, local: np.ndarray | None,
                 contribution: np.ndarray) -> list:
        made = matrix(contribution, f"into {dot_text(out_name)}")
        tangent = matrix(t_in, dot_text(in_name))
        if local is not None and np.shape(local) == np.shape(contribution) == np.shape(t_in):
            return [matrix(local, f"∂{out_name}/∂{in_name}"), "⊙", tangent, "=", made]
        return [tangent, "→", made]

    def _shown(self, val: dict, shape: list[int]) -> dict:
        blk = block(shape)
        return with_text({}, cells(val, blk), value_text(val))

    def _close(self, last: dict, seeded: list[Tensor], tangents: dict[int, np.ndarray], p: int,
               n: int) -> None:
        """The pass's last step says what the pass bought: one column of the Jacobian."""
        outs = [t for t in _outputs(self.g, self.records) if t.id in tangents][:3]
        if not outs or last["kind"] != "edge":
            return
        wrt = ", ".join(self.g.label(t) for t in seeded)
        got = "; ".join(f"{dot_text(self.g.label(t))} = {short(tangents[t.id])}" for t in outs)
        more = (" One pass per input number: the next pass seeds the next one." if p + 1 < n
                else "")
        what = ("the Jacobian times the tangents you passed, in one pass" if self.how == "jvp"
                else f"the derivative of every output with respect to {wrt}, all at once")
        last["narration"] += f" End of pass {p + 1} of {n}: {got}, {what}.{more}"
        last["rows"].append(["tdone", got])


def tangent_of(out: Tensor, seed: dict[int, np.ndarray]) -> np.ndarray:
    """out's tangent when the tensors with ids in `seed` carry those tangents: forward mode
    over the records that made `out`, in the order they ran (jax.jvp at top level)."""
    records, todo, seen = [], [out], set()
    while todo:
        t = todo.pop()
        rec = t.record
        if rec is None or rec.index in seen or t.id in seed:
            continue
        seen.add(rec.index)
        if not table_op(rec):   # a custom rule (autograd.Function, custom_vjp) is reverse-only
            raise RuntimeProblem(f"can't apply forward-mode autodiff (jvp) through {rec.op.name}"
                                 ": its derivative is a custom rule for reverse mode",
                                 python_type="TypeError")
        records.append(rec)
        todo.extend(rec.inputs)
    tangents = dict(seed)
    for rec in sorted(records, key=lambda r: r.index):
        ctx, total = rec.ctx(), None
        for t, rule in zip(rec.inputs, rec.op.rules, strict=False):
            if rule is not None and t.id in tangents:
                part = _jvp(rule, ctx, tangents[t.id], rec.output.data.shape)[0]
                total = part if total is None else total + part
        if total is not None:
            tangents[rec.output.id] = total
    found = tangents.get(out.id)
    return np.zeros(out.data.shape) if found is None else np.asarray(found, dtype=np.float64)


def _jvp(rule: Any, ctx: Ctx, t_in: np.ndarray, out_shape: tuple[int, ...]
         ) -> tuple[np.ndarray, np.ndarray | None]:
    """The Jacobian of one op input times the input's tangent, row by row from the rule's VJP
    (row k = vjp(unit k), undone broadcasting); the elementwise local derivative when the rule
    has one."""
    n = int(np.prod(out_shape, dtype=np.int64))
    in_shape = np.shape(t_in)
    out = np.zeros(n)
    for k in range(n):
        unit = np.zeros(n)
        unit[k] = 1.0
        row = np.asarray(rule.vjp(unit.reshape(out_shape), ctx), dtype=np.float64)
        if row.shape != in_shape:
            row = unbroadcast(row, in_shape)
        out[k] = float(np.sum(row * t_in))
    local = None
    if rule.local is not None:
        local = np.asarray(rule.local(ctx), dtype=np.float64)
    result = out.reshape(out_shape)
    return (result[()] if result.ndim == 0 else result), local


def _tex_value(arr: np.ndarray) -> str:
    flat = np.asarray(arr).reshape(-1)
    if flat.size == 1:
        return fmt(float(flat[0]))
    return r"\begin{bmatrix}" + " & ".join(fmt(float(x)) for x in flat[:8]) + \
        (r" & \cdots" if flat.size > 8 else "") + r"\end{bmatrix}"
