"""Tape events → steps: the forward pass op by op, then each backward pass edge by edge.

Every step carries what the player shows without recomputing anything: lit nodes and edges, the
source span, the numbers, the formulas (LaTeX, MathML, plain text) and one sentence of narration.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from chainrule.engine.bounded_cache import bounded_cache
from chainrule.engine.broadcast import fmt_shape
from chainrule.engine.display import StepTexts, factor_label, matrix, rule_label
from chainrule.engine.formula import (
    MATH_ROW_CLOSE,
    MATH_ROW_OPEN,
    fill,
    formula,
    latex_name,
    mathml,
    template_attrs,
    template_names,
    tname,
)
from chainrule.engine.formula import partial as _partial
from chainrule.engine.formula_table import MathTable
from chainrule.engine.graph import Graph, iteration_words
from chainrule.engine.limits import AnswerBudget
from chainrule.engine.tensor import Record, Tensor
from chainrule.engine.values import fmt, shape_words, short, value

NON_SCALAR_HINTS = [
    "Reduce the output to one number first, e.g. {n}.sum().backward() or {n}.mean().backward().",
    "Or pass the seed yourself: {n}.backward(gradient=torch.ones_like({n})) — one number per "
    "element, saying how much each element matters.",
    "A tensor with exactly one element is fine, even with shape (1,): that element seeds its "
    "own gradient.",
]


# ∂num/∂den in LaTeX: a pure function of two labels, asked for three times per backward edge.
partial = bounded_cache(4_000_000)(_partial)


NO_GRAD_NOTE = "made under torch.no_grad(): no gradient flows back"


def made_without_grad(rec: Record) -> bool:
    """An op whose output does not require grad although an input does: it ran with grad
    disabled (torch.no_grad(), inference_mode, a @torch.no_grad() function)."""
    return not rec.output.requires_grad and any(t.requires_grad for t in rec.inputs) and \
        rec.output.data.dtype.kind == "f"


SPOKEN_CHARS = 28   # a label longer than this is not read out in narration (issue 14)


def spoken(label: str) -> bool:
    """Whether narration can read `label` aloud: short, and whole (not clipped with "…")."""
    return len(label) <= SPOKEN_CHARS and "…" not in label


def dtext(num: str, den: str) -> str:
    return f"d{tname(num)}/d{tname(den)}"


class Timeline:
    """Builds steps; `limit` caps how many numbers each Value carries in full."""

    def __init__(self, graph: Graph, limit: int) -> None:
        self.g = graph
        self.limit = limit
        self.steps: list[dict] = []
        self.node_grads: dict[str, np.ndarray] = {}
        self.backward_start: int | None = None
        self._root: Tensor | None = None
        self._root_given = False      # the pass started from a gradient= the program passed
        self._pass_span: Any = None   # the running backward call's span (hooks fire in it)
        self._contribs: dict[str, list[dict]] = {}
        self._tensor_parts: set[str] = set()   # nodes with a contribution that is not a number
        self._values: dict[int, tuple[Any, dict]] = {}
        self.budget = AnswerBudget(None)    # unbounded unless the trace builder sets one
        self.texts = StepTexts(graph, self.v)   # each step's display list (engine/display.py)
        self.math = MathTable()   # the formulas' MathML pieces, each once (Trace.math)

    def v(self, arr: Any) -> dict:
        """`value(arr)`, once per array: a backward edge's total is the next op's upstream and
        the node's grad, a forward step's value is the node's value. The array is kept with
        its Value, so its id cannot be reused while this timeline lives; consumers must treat
        Values as read-only (they are shared)."""
        hit = self._values.get(id(arr))
        if hit is not None and hit[0] is arr:
            return hit[1]
        out = value(arr, self.limit)
        self._values[id(arr)] = (arr, out)
        return out

    def add(self, step: dict) -> None:
        self.texts.write(step)
        grown = self.math.grown
        self.math.compact(step)     # after texts.write: the display rows read the LaTeX
        if self.budget.left is not None:
            self.budget.left -= self.math.grown - grown
        if not self.budget.charge(step):    # harden: the answer's size (engine/limits.py)
            return
        step["index"] = len(self.steps)
        self.steps.append(step)

    # ------------------------------------------------------------ forward

    def forward(self, rec: Record) -> None:
        g = self.g
        op_id, out_id = g.op_ids[rec.index], g.tid(rec.output)
        in_ids = [g.tid(t) for t in rec.inputs]
        edges = [g.input_edges[(rec.index, i)] for i in range(len(rec.inputs))]
        edges.append(g.output_edges[rec.index])
        self.add({"phase": "forward", "kind": "op", "op": op_id, "inputs": in_ids,
                  "output": out_id, "value": self.v(rec.output.data),
                  "span": rec.span, "focus": out_id,
                  "lit_nodes": [*in_ids, op_id, out_id], "lit_edges": edges,
                  "formula": None,
                  "narration": self._where(rec, self._forward_sentence(rec))})

    def _forward_sentence(self, rec: Record) -> str:
        out = rec.output
        args = ", ".join(self.g.label(t) for t in rec.inputs)
        what = self.g.expressions.get(rec.index) or f"{rec.op.name}({args})"
        result = short(out.data)
        if out.name and out.name != what:
            sentence = f"Forward: {out.name} = {what} gives {result}."
        else:
            sentence = f"Forward: {what} gives {result}."
        if made_without_grad(rec):
            sentence += f" {NO_GRAD_NOTE}."
        return sentence

    def _where(self, rec: Record, sentence: str) -> str:
        """The sentence, after where in the control flow the op ran: "In f(x), iteration 3 of
        5 (i = 3): …" (innermost call and loop), unchanged outside calls and loops."""
        scope = rec.scope
        if not scope:
            return sentence
        parts = []
        for s in reversed(scope):
            if s.kind == "call":
                parts.append(f"in {s.label}")
                break
        words = iteration_words(scope)
        if words:
            parts.append(words)
        if not parts:
            return sentence
        lead = ", ".join(parts)
        return f"{lead[0].upper()}{lead[1:]}: {sentence}"

    # ------------------------------------------------------------ backward

    def backward_start_event(self, ev: dict) -> None:
        root: Tensor = ev["root"]
        if self.backward_start is None:
            self.backward_start = len(self.steps)
        self._root = root
        self._root_given = bool(ev.get("gradient_given"))
        self._contribs = {}
        self._tensor_parts = set()
        rid = self.g.tid(root)
        name = self.g.label(root)
        if ev["error"]:
            self._backward_error(ev, rid, name)
            return
        seed = ev["seed"]
        self._pass_span = ev["span"]
        self.node_grads[rid] = seed
        self.add({"phase": "backward", "kind": "seed", "root": rid, "grad": self.v(seed),
                  "implicit_call": ev["implicit"], "gradient_given": ev["gradient_given"],
                  "numel": int(root.data.size), "span": ev["span"], "focus": rid,
                  "lit_nodes": [rid], "lit_edges": [],
                  "formula": self._seed_formula(name, seed, ev["gradient_given"]),
                  "narration": self._seed_sentence(root, name, ev)})

    def _seed_formula(self, name: str, seed: np.ndarray, given: bool) -> dict:
        d = partial(name, name)
        if given:
            return formula(rf"{d} := \text{{the gradient you passed in}}",
                       f"{dtext(name, name)} := the gradient you passed in")
        return formula(rf"{d} = 1", f"{dtext(name, name)} = 1")

    def _seed_sentence(self, root: Tensor, name: str, ev: dict) -> str:
        shape = fmt_shape(root.shape)
        if ev["gradient_given"]:
            return (f"Backward starts at {self._say(root)} (shape {shape}) with the gradient you "
                    "passed in (gradient=…): it says how much each element of the output matters.")
        why = (f"It can be implicit because {name} has one element (shape {shape}): the "
               f"gradient of a single number with respect to itself is 1.")
        lead = (f"The program never calls backward(), so chainrule runs {name}.backward() for "
                "you. " if ev["implicit"] else "")
        return (f"{lead}Backward starts at {self._say(root)}: the output's own gradient is 1. "
                f"{why}")

    def _backward_error(self, ev: dict, rid: str, name: str) -> None:
        message = ev["error"]
        hints: list[str] = []
        if "implicitly created only for scalar outputs" in message:
            hints = [h.format(n=name) for h in NON_SCALAR_HINTS]
            lead = (f"{name} has shape {fmt_shape(ev['root'].shape)} — "
                    f"{ev['root'].data.size} elements, not one — so PyTorch cannot start "
                    "backward with an implicit gradient of 1.")
        else:
            lead = "PyTorch refuses this backward call."
        self.add({"phase": "backward", "kind": "error", "message": message, "hints": hints,
                  "node": rid, "span": ev["span"], "focus": rid, "lit_nodes": [rid],
                  "lit_edges": [], "formula": None, "narration": f"{lead} {message}."})

    def edge(self, ev: dict) -> None:
        g = self.g
        rec: Record = ev["record"]
        i: int = ev["input_index"]
        inp, out = rec.inputs[i], rec.output
        op_id, to_id, from_id = g.op_ids[rec.index], g.tid(inp), g.tid(out)
        edge_id = g.input_edges[(rec.index, i)]
        contribs = self._contribs.setdefault(to_id, [])
        contribs.append(self.v(ev["contribution"]))
        if contribs[-1]["data"] is None or isinstance(contribs[-1]["data"], list):
            self._tensor_parts.add(to_id)
        if ev["complete"]:
            self.node_grads[to_id] = ev["total"]
        step = {"phase": "backward", "kind": "edge", "op": op_id, "from": from_id, "to": to_id,
                "edge": edge_id, "upstream": self.v(ev["upstream"]),
                "local": None if ev["local"] is None else self.v(ev["local"]),
                "reduced_axes": ev["reduced_axes"], "contribution": contribs[-1],
                "grad": self.v(ev["total"]), "count": ev["count"], "expected": ev["expected"],
                "complete": ev["complete"],
                "span": rec.span, "focus": to_id,
                "lit_nodes": [from_id, op_id, to_id],
                "lit_edges": [g.output_edges[rec.index], edge_id]}
        if ev["reduced_axes"]:   # else the product is the contribution: not sent twice
            step["product"] = self.v(ev["product"])
        if "leaf_grad" in ev:    # absent (null) for the many edges into a non-leaf
            step["leaf_grad"] = self.v(ev["leaf_grad"])
        if ev.get("leaf_before") is not None:
            step["leaf_grad_before"] = self.v(ev["leaf_before"])
        step["formula"], step["chain"], factor = self._edge_formulas(rec, i, ev)
        if rec.op.rules[i].local is None:     # display.local_label: the rule, in a few symbols
            labels = [g.label(t) for t in rec.inputs[:2]] + [None, None]
            step["_rule_label"] = rule_label(rec.op.name, i, labels[0], labels[1])
        elif factor is not None:
            step["_factor_label"] = factor
        numbers = self._edge_numbers(rec, i, ev)
        if ev["reduced_axes"]:
            # broadcasting's sum is a step of its own (issue 14): first the product on the
            # edge, in the output's shape; then this step sums it to the input's shape
            self._product_step(rec, i, ev, step, numbers)
            root = self.g.label(self._root) if self._root is not None else "L"
            step["formula"], step["chain"] = self._sum_axes_formula(rec, i, ev), None
            step["_unbroadcast"] = [
                matrix(ev["product"], "upstream × local"), "→",
                matrix(ev["contribution"], f"∂{tname(root)}/∂{tname(self.g.label(inp))}")]
        elif numbers:
            step["_numbers"] = numbers    # display.StepTexts turns these into caption rows
        if ev["expected"] > 1 and not self._scalar_parts(to_id):
            step["accumulate"] = self._sum_formula(inp)
        step["narration"] = self._where(rec, self._edge_sentence(rec, i, ev))
        self.add(step)

    def _product_step(self, rec: Record, i: int, ev: dict, edge: dict,
                      numbers: list | None) -> None:
        """The step before a broadcast input's sum: upstream × local on the edge, still in the
        output's shape, the edge's label written; no gradient reaches the input yet."""
        inp, out = rec.inputs[i], rec.output
        step = {k: edge[k] for k in ("phase", "op", "from", "to", "edge", "upstream", "local",
                                     "product", "reduced_axes", "formula", "chain", "span")}
        step.update({"kind": "product", "focus": edge["op"],
                     "lit_nodes": edge["lit_nodes"], "lit_edges": edge["lit_edges"]})
        for key in ("_rule_label", "_factor_label"):
            if key in edge:
                step[key] = edge[key]
        if numbers:
            step["_numbers"] = numbers
        sentence = (f"Backward through {rec.op.name}: {self._grad(out)} times the local "
                    f"derivative gives {short(ev['product'])}, in the shape of {self._say(out)} "
                    f"{fmt_shape(out.shape)}, not of {self._say(inp)} {fmt_shape(inp.shape)}: "
                    f"{self._say(inp)} was broadcast in the forward pass, so the next step sums "
                    "it back.")
        step["narration"] = self._where(rec, sentence)
        self.add(step)

    def _sum_axes_formula(self, rec: Record, i: int, ev: dict) -> dict:
        """∂L/∂b = Σ over the broadcast dims of (∂L/∂out ⊙ ∂out/∂b): the sum step's formula."""
        rule = rec.op.rules[i]
        out_name, in_name = self.g.label(rec.output), self.g.label(rec.inputs[i])
        root = self.g.label(self._root) if self._root is not None else "L"
        axes = ", ".join(str(a) for a in ev["reduced_axes"])
        total = rf"\sum_{{\text{{dim }} {axes}}}"
        if rule.local is not None:
            inner_tex = rf"{partial(root, out_name)} \odot {partial(out_name, in_name)}"
            inner: list = [(_D, root, out_name), r"\odot", (_D, out_name, in_name)]
            inner_txt = f"{dtext(root, out_name)} × {dtext(out_name, in_name)}"
        else:
            names, attrs = template_names(rec, self.g.label), template_attrs(rec)
            inner_tex = fill(rule.latex, attrs, names, latex=True)
            inner = [inner_tex]
            inner_txt = fill(rule.text, attrs, names, latex=False)
        return built(f"{partial(root, in_name)} = {total} ({inner_tex})",
                     [(_D, root, in_name), "=", total, "(", *inner, ")"],
                     f"{dtext(root, in_name)} = sum over dim {axes} of ({inner_txt})")

    def hook(self, ev: dict) -> None:
        """A hook registered on a tensor ran during backward: what it received, what it gave
        back (None: the gradient flows on unchanged)."""
        t: Tensor = ev["tensor"]
        nid = self.g.tensor_ids.get(t.id)
        if nid is None:
            return
        name = self.g.label(t)
        given, result = ev["grad"], ev.get("result")
        if result is None:
            what = f"gradient {short(given)}, returned None: the gradient flows on unchanged"
        else:
            what = f"gradient {short(given)} → {short(result)}: the new gradient flows on"
        self.add({"phase": "backward", "kind": "hook", "node": nid, "grad": self.v(given),
                  "result": None if result is None else self.v(result),
                  "span": self._pass_span, "focus": nid, "lit_nodes": [nid],
                  "lit_edges": [], "formula": None,
                  "narration": f"Hook on {name} fired: {what}."})

    def _edge_formulas(self, rec: Record, i: int, ev: dict) -> tuple[dict, dict, str | None]:
        """The edge's local form and chain rule, and the factor an elementwise edge whose local
        derivatives may differ element to element is labelled with (display.factor_label)."""
        rule = rec.op.rules[i]
        names, attrs = template_names(rec, self.g.label), template_attrs(rec)
        body_tex = fill(rule.latex, attrs, names, latex=True)
        body_txt = fill(rule.text, attrs, names, latex=False)
        out_name, in_name = names["out"], self.g.label(rec.inputs[i])
        root = self.g.label(self._root) if self._root is not None else "L"
        d_local = partial(out_name, in_name)
        d_up, d_in = partial(root, out_name), partial(root, in_name)
        scalar = ev["local"] is not None and np.asarray(ev["local"]).size == 1 and \
            np.asarray(ev["upstream"]).size == 1
        p_local, p_up, p_in = (_D, out_name, in_name), (_D, root, out_name), (_D, root, in_name)
        if rule.local is not None:
            tex = f"{d_local} = {body_tex}"
            txt = f"{dtext(out_name, in_name)} = {body_txt}"
            num = fmt(np.asarray(ev["local"]).reshape(()).item()) if scalar else None
            if num is not None and num != body_txt:
                local_form = built(f"{tex} = {num}", [p_local, "=", body_tex, (_N, f" = {num}")],
                                   f"{txt} = {num}")
            else:
                local_form = built(tex, [p_local, "=", body_tex], txt)
        else:
            local_form = built(rf"{d_in} \mathrel{{+}}= {body_tex}",
                               [p_in, r"\mathrel{+}=", body_tex],
                               f"{dtext(root, in_name)} += {body_txt}")
        if scalar:
            up = fmt(np.asarray(ev["upstream"]).reshape(()).item())
            loc = fmt(np.asarray(ev["local"]).reshape(()).item())
            res = fmt(np.asarray(ev["contribution"]).reshape(()).item())
            tail = rf" = {up} \times {loc} = {res}"
            chain = built(rf"{d_up} \cdot {d_local}{tail}", [p_up, r"\cdot", p_local, (_N, tail)],
                          f"{dtext(root, out_name)} × {dtext(out_name, in_name)} = "
                          f"{up} × {loc} = {res}")
        else:
            # a broadcast input's sum over dims is the next step's formula (_sum_axes_formula)
            parts: list = [p_up, r"\odot", p_local] if rule.local is not None \
                else [p_in, r"\mathrel{+}=", body_tex]
            chain = built(rf"{d_up} \odot {d_local}" if rule.local is not None
                          else rf"{d_in} \mathrel{{+}}= {body_tex}", parts, "upstream × local")
        varies = rule.local is not None and np.size(ev["local"]) > 1
        return local_form, chain, factor_label(body_txt) if varies else None

    def _edge_numbers(self, rec: Record, i: int, ev: dict) -> list | None:
        """A tensor edge's rule with its numbers, as small matrices: upstream ⊙ local = product
        for an elementwise rule; for a matrix product the other operand, transposed, times the
        upstream (grad_A = G·Bᵀ, grad_B = Aᵀ·G); for any other rule the upstream and what the
        rule made of it. None for an edge of single numbers (the chain row shows them)."""
        up, local, product = ev["upstream"], ev["local"], ev["product"]
        if np.size(up) == 1 and np.size(product) == 1 and (local is None or np.size(local) == 1):
            return None
        if np.size(up) == 0 or np.size(product) == 0:    # an empty tensor: no numbers to show
            return None
        root = self.g.label(self._root) if self._root is not None else "L"
        out_name, in_name = self.g.label(rec.output), self.g.label(rec.inputs[i])
        d_up = f"∂{tname(root)}/∂{tname(out_name)}"
        d_in = f"∂{tname(root)}/∂{tname(in_name)}"
        made = d_in if not ev["reduced_axes"] else "upstream × local"
        upstream = matrix(up, d_up)
        if local is not None:
            return [upstream, "⊙", matrix(local, f"∂{tname(out_name)}/∂{tname(in_name)}"), "=",
                    matrix(product, made)]
        a, b = (t.data for t in rec.inputs[:2]) if len(rec.inputs) >= 2 else (None, None)
        if rec.op.name == "matmul" and a is not None and a.ndim == 2 and b.ndim == 2:
            other = self.g.label(rec.inputs[1 - i])
            factor = matrix((b if i == 0 else a).T, f"{tname(other)}ᵀ")
            pair = [upstream, "·", factor] if i == 0 else [factor, "·", upstream]
            return [*pair, "=", matrix(product, made)]
        return [upstream, "→", matrix(product, made)]

    def _scalar_parts(self, to_id: str) -> bool:
        """Every contribution so far is one number. Then the steps hold the whole sum already
        (each edge step's `contribution`, the page's chips) and no `accumulate` formula is
        sent: one listing every term so far on each step was quadratic in fan-in (0.7 MB of
        the 3,000-node trace) and the page never showed it for numbers. Kept up to date as
        contributions arrive: checking them all again on each edge was quadratic in fan-in
        (an 800-line chain's shared `x`: 320,000 checks)."""
        return to_id not in self._tensor_parts

    def _sum_formula(self, inp: Tensor) -> dict:
        """∂L/∂x = Σ c_k: the running sum of tensor contributions, k of them so far."""
        root = self.g.label(self._root) if self._root is not None else "L"
        name = self.g.label(inp)
        parts = self._contribs[self.g.tid(inp)]
        k = len(parts)
        body = rf"= \textstyle\sum_{{k=1}}^{{{k}}} c_k"
        return built(f"{partial(root, name)} {body}", [(_D, root, name), body],
                     f"{dtext(root, name)} = sum of {k} contributions so far")

    def _edge_sentence(self, rec: Record, i: int, ev: dict) -> str:
        inp = rec.inputs[i]
        name = self._say(inp)
        contribution = short(ev["contribution"])
        if ev["reduced_axes"]:
            axes = ", ".join(map(str, ev["reduced_axes"]))
            first = (f"Sum over dim {axes} ({name} was broadcast along it in the forward pass): "
                     f"the product {fmt_shape(np.shape(ev['product']))} becomes "
                     f"{fmt_shape(inp.shape)}, {name}'s shape, contributing {contribution}.")
        else:
            first = (f"Backward through {rec.op.name}: {self._grad(rec.output)} flows to "
                     f"{name}, contributing {contribution}.")
        if ev["expected"] == 1:
            return first + f" {self._grad(inp)} = {short(ev['total'])}."
        if not ev["complete"]:
            return first + (f" That is path {ev['count']} of {ev['expected']} reaching {name}; "
                            f"its gradient so far is {short(ev['total'])}.")
        parts = self._contribs[self.g.tid(inp)]
        terms = " + ".join(short_value(p) for p in parts)
        return first + (f" All {ev['expected']} paths have reached {name}: "
                        f"{self._grad(inp)} = {terms} = {short(ev['total'])}.")

    def _say(self, t: Tensor) -> str:
        """A tensor as narration reads it aloud: its label when short and whole, else what
        made it ("the log_softmax result"), never a name cut mid-expression."""
        label = self.g.label(t)
        if spoken(label):
            return label
        rec = getattr(t, "record", None)
        return f"the {rec.op.name} result" if rec is not None else "this tensor"

    def _grad(self, t: Tensor) -> str:
        """∂root/∂t in words that read aloud: the symbols when both names are short and whole,
        else "the gradient at <what made t>"."""
        if t is self._root:     # never "∂loss/∂loss" (issue 14): say what the seed is
            return ("the gradient you passed in" if self._root_given
                    else "the output's own gradient, 1,")
        root = self.g.label(self._root) if self._root is not None else "L"
        label = self.g.label(t)
        if spoken(root) and spoken(label):
            return f"∂{root}/∂{tname(label)}"
        return f"the gradient at {self._say(t)}"

    def runtime_error(self, err: Any, node: str | None) -> None:
        span = None if err.line is None else (err.line, err.col, err.end_line, err.end_col)
        lit = [node] if node else []
        phase = "backward" if self.backward_start is not None else "forward"
        self.add({"phase": phase, "kind": "error", "message": err.message, "hints": [],
                  "node": node, "span": span, "focus": node, "lit_nodes": lit, "lit_edges": [],
                  "formula": None, "narration": f"The program stops here: {err.message}"})


_ROW, _END = MATH_ROW_OPEN, MATH_ROW_CLOSE   # formula.compact: MathML as mathml() writes it
_DECIMAL = re.compile(r"(-?)(\d+(?:\.\d+)?)")   # what fmt() writes for most numbers


_D, _N = "partial", "numbers"   # kinds of formula parts (see `built`)


def built(latex: str, parts: list, text: str) -> dict:
    """`formula(latex, text)`, its MathML assembled from `parts` whose LaTeX, joined, is
    `latex`: ("partial", num, den) is ∂num/∂den, ("numbers", tail) a tail of numbers and
    operators separated by spaces (" = 1 \\times 0.5 = 0.5"), a string any other LaTeX.
    Converting every formula whole with latex2mathml was most of building a trace (each edge's
    formulas differ, by names or numbers); the parts repeat (names, rules, operators) and are
    converted once. latex2mathml lays out a top-level row element by element, so the row of the
    whole is the parts' rows in order: ∂a/∂b is an <mfrac> of ∂ and each name's row, a plain
    decimal an <mn> (after <mo>−</mo> when negative), as latex2mathml writes them.
    tests/engine/test_perf_paths.py compares with converting the whole, formula by formula.
    A part that does not convert to a row on its own makes the whole formula convert whole."""
    rows = []
    for part in parts:
        if isinstance(part, str):
            row = _row(part)
        elif part[0] == _D:
            a, b = _name_row(part[1]), _name_row(part[2])
            row = None if a is None or b is None else \
                f"<mfrac><mrow><mo>∂</mo>{a}</mrow><mrow><mo>∂</mo>{b}</mrow></mfrac>"
        else:
            row = _tail_row(part[1])
        if row is None:
            return formula(latex, text)
        rows.append(row)
    return {"latex": latex, "mathml": _ROW + "".join(rows) + _END, "text": text}


@bounded_cache(8_000_000)
def _row(latex: str) -> str | None:
    """The inside of the top-level row of `latex`'s MathML; None if it has none."""
    m = mathml(latex)
    return m[len(_ROW):-len(_END)] if m.startswith(_ROW) and m.endswith(_END) else None


_TEXT_OPEN, _TEXT_CLOSE = "(\\text{", "})"
_ONE_LINE = re.compile(r"\S+(?: \S+)*")   # no leading, trailing or non-space whitespace
_PAREN = '<mo stretchy="false">{}</mo>'


@bounded_cache(8_000_000)
def _name_row(label: str) -> str | None:
    """`_row(latex_name(label))`, written directly for a compound label, (\\text{…}): most
    names of a big program are source text (`0.28*h1_11`), each new one costing ~0.15 ms of
    latex2mathml, ~0.13 s of a fresh worker's first 3,000-node trace. latex2mathml writes the
    parentheses as non-stretchy operators and the text verbatim in an <mtext>, each space a
    no-break space; any other text still goes through it. tests/engine/test_name_rows.py
    compares the two on the benchmark's labels and on generated ones."""
    name = latex_name(label)
    if name.startswith(_TEXT_OPEN) and name.endswith(_TEXT_CLOSE):
        inner = name[len(_TEXT_OPEN):-len(_TEXT_CLOSE)]
        if inner.isprintable() and _ONE_LINE.fullmatch(inner):   # no control characters
            return (_PAREN.format("(") + "<mtext>" + inner.replace(" ", "\xa0")
                    + "</mtext>" + _PAREN.format(")"))
    return _row(name)


def numbered(head: str, tail: str, text: str) -> dict:
    """`formula(head + tail, text)` for a head of names and a `tail` of numbers: see `built`."""
    return built(head + tail, [head, (_N, tail)], text)


def _tail_row(tail: str) -> str | None:
    parts = []
    for token in tail.split():
        m = _DECIMAL.fullmatch(token)
        if m is not None:
            parts.append(f"{'<mo>−</mo>' if m.group(1) else ''}<mn>{m.group(2)}</mn>")
            continue
        row = _row(token)
        if row is None:
            return None
        parts.append(row)
    return "".join(parts)


def short_value(v: dict) -> str:
    data = v["data"]
    if isinstance(data, int | float):
        return fmt(data)
    if isinstance(data, str):
        return data
    return shape_words(tuple(v["shape"]))


def name_for_latex(label: str) -> str:
    return latex_name(label)
