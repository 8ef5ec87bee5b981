"""One computation written four ways (issue 15): the recorded graph translated into PyTorch,
TensorFlow, JAX and micrograd source, each then traced by the engine like any program.

The translation reads the tape, not the source: the ops that made the output, in the order they
ran, each written with its dialect's spelling (`OPS`); the leaves that require grad become the
inputs (torch.tensor(..., requires_grad=True), tf.Variable, f's parameters, Value); other
leaves become literals. A name the program gave a tensor stays its name; an unnamed result used
once is written inline, one used more often gets a name (t1, t2…). Where a dialect cannot
express an op (micrograd has no tensors, no exp or tanh in its 0.1.0 release), the dialect is
left out with the reason.

How each dialect treats the output is the point of the view: PyTorch refuses an implicit
gradient for a non-scalar output, TensorFlow's tape sums the target, JAX's grad refuses with its
own words, micrograd's Value is one number. `TREATMENT` says so in a sentence per case.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Any

import numpy as np
from chainrule.engine.tensor import Record, Tensor

DIALECTS = ("pytorch", "tensorflow", "jax", "micrograd")
TITLES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX",
          "micrograd": "micrograd"}

# precedence of what an op writes: an operand binding looser than its op gets parentheses
ATOM, POW, UNARY, MUL, ADD = 100, 90, 80, 70, 60
_INFIX = {"add": ("+", ADD), "sub": ("-", ADD), "mul": ("*", MUL), "div": ("/", MUL)}


def _fn(torch: str | None, tf: str | None, jax: str | None, micrograd: str | None) -> dict:
    return {"pytorch": torch, "tensorflow": tf, "jax": jax, "micrograd": micrograd}


# op name -> dialect -> a call template on the operand `{a}` (None: not expressible there);
# `.` in front means a method on the operand
OPS: dict[str, dict[str, str | None]] = {
    "exp": _fn("torch.exp", "tf.exp", "jnp.exp", None),
    "log": _fn("torch.log", "tf.math.log", "jnp.log", None),
    "sin": _fn("torch.sin", "tf.sin", "jnp.sin", None),
    "cos": _fn("torch.cos", "tf.cos", "jnp.cos", None),
    "tanh": _fn("torch.tanh", "tf.tanh", "jnp.tanh", None),
    "sqrt": _fn("torch.sqrt", "tf.sqrt", "jnp.sqrt", None),
    "abs": _fn("torch.abs", "tf.abs", "jnp.abs", None),
    "sigmoid": _fn("torch.sigmoid", "tf.sigmoid", "jax.nn.sigmoid", None),
    "relu": _fn("torch.relu", "tf.nn.relu", "jax.nn.relu", ".relu"),
    "sum": _fn(".sum", "tf.reduce_sum", "jnp.sum", None),
    "mean": _fn(".mean", "tf.reduce_mean", "jnp.mean", None),
}

TREATMENT = {
    ("pytorch", True): "The output has one element, so backward() may seed ∂out/∂out = 1 "
                       "itself.",
    ("pytorch", False): "PyTorch refuses: “grad can be implicitly created only for scalar "
                        "outputs”. Reduce first (.sum(), .mean()) or pass backward(gradient=…).",
    ("tensorflow", True): "tape.gradient(target, sources) seeds the target with 1.",
    ("tensorflow", False): "tape.gradient sums a non-scalar target without a word: you get the "
                           "gradient of its sum, where PyTorch refuses.",
    ("jax", True): "jax.grad differentiates the function f, not a tape; f must return one "
                   "number, seeded with 1.",
    ("jax", False): "jax.grad refuses in its own words: “Gradient only defined for "
                    "scalar-output functions”. jax.vjp with a cotangent, or jax.jacrev, take "
                    "vectors.",
    ("micrograd", True): "backward() always seeds 1.0: every Value is one number, so there "
                         "is no scalar-output rule to break.",
    ("micrograd", False): "micrograd's Value holds one number: a vector output cannot be "
                          "written with it.",
}

RESERVED = {"torch", "tf", "jax", "jnp", "tape", "Value", "f", "fun", "print"}


@dataclass
class Translation:
    dialect: str
    source: str | None
    reason: str | None
    scalar: bool

    def to_dict(self) -> dict:
        return {"dialect": self.dialect, "title": TITLES[self.dialect], "source": self.source,
                "reason": self.reason, "treatment": TREATMENT[(self.dialect, self.scalar)]}


class NotExpressible(Exception):
    pass


def output_of(result: Any) -> Tensor | None:
    """The tensor the program differentiates: its first backward's root, else the one whose
    backward the page offers, else the last result that requires grad."""
    for ev in result.tape.events:
        if ev["type"] == "backward" and isinstance(ev.get("root"), Tensor):
            return ev["root"]
    name = getattr(result, "offer_backward", None)
    t = result.variables.get(name) if name else None
    if isinstance(t, Tensor):
        return t
    for rec in reversed(result.tape.records):
        if rec.output.requires_grad:
            return rec.output
    return None


def translate(result: Any) -> list[Translation]:
    out = output_of(result)
    if out is None:
        reason = "The program computes nothing that requires grad: there is nothing to compare."
        return [Translation(d, None, reason, True) for d in DIALECTS]
    plan = _Plan(out)
    scalar = out.data.size == 1 and out.data.ndim == 0 or out.data.size == 1
    translations = []
    for dialect in DIALECTS:
        try:
            source = _WRITERS[dialect](plan, scalar)
            translations.append(Translation(dialect, source, None, scalar))
        except NotExpressible as e:
            translations.append(Translation(dialect, None, str(e), scalar))
    return translations


class _Plan:
    """The records that made `out`, in the order they ran, and the names they get."""

    def __init__(self, out: Tensor) -> None:
        self.out = out
        records: dict[int, Record] = {}
        leaves: dict[int, Tensor] = {}
        uses: dict[int, int] = {}
        todo = [out]
        while todo:
            t = todo.pop()
            rec = t.record
            if rec is None:
                leaves[t.id] = t
                continue
            if rec.index in records:
                continue
            records[rec.index] = rec
            for x in rec.inputs:
                uses[x.id] = uses.get(x.id, 0) + 1
                todo.append(x)
        self.records = [records[k] for k in sorted(records)]
        self.inputs = sorted((t for t in leaves.values() if t.requires_grad), key=lambda t: t.id)
        self.constants = {t.id for t in leaves.values() if not t.requires_grad}
        self.names: dict[int, str] = {}
        taken = set(RESERVED)
        counter = 0
        for t in [*self.inputs, *(r.output for r in self.records)]:
            name = t.name if _usable(t.name) and t.name not in taken else None
            wanted = t is out or t in self.inputs or uses.get(t.id, 0) > 1 or name
            if name is None and wanted:
                if t is out:
                    name = "out" if "out" not in taken else None
                while name is None or name in taken:
                    counter += 1
                    name = f"t{counter}" if t not in self.inputs else f"x{counter}"
            if name is not None:
                self.names[t.id] = name
                taken.add(name)
        # a tensor of data the program named (x, y, target) keeps its name, written once above
        # the computation, as the learner wrote it (a number stays inline)
        self.named_constants = []
        for t in sorted((t for t in leaves.values() if not t.requires_grad),
                        key=lambda t: t.id):
            if t.data.ndim and _usable(t.name) and t.name not in taken:
                self.names[t.id] = t.name
                taken.add(t.name)
                self.named_constants.append(t)
        if not self.inputs:
            raise_reason = "No input requires grad: there is no gradient to compare."
            self.empty = raise_reason
        else:
            self.empty = None


def _usable(name: str | None) -> bool:
    return bool(name) and name.isidentifier() and not keyword.iskeyword(name)


def _literal(arr: np.ndarray) -> str:
    a = np.asarray(arr)
    if a.dtype.kind in "iub":
        return repr(a.tolist()) if a.ndim else repr(int(a))
    if a.ndim == 0:
        return repr(float(a))
    return repr(np.asarray(a, dtype=np.float64).tolist())


class _Writer:
    """Expressions in one dialect; `named` tensors are referred to by name."""

    def __init__(self, plan: _Plan, dialect: str) -> None:
        self.plan, self.dialect = plan, dialect
        self.exprs: dict[int, tuple[str, int]] = {}

    def leaf(self, t: Tensor) -> tuple[str, int]:
        name = self.plan.names.get(t.id)
        if name is not None:
            return name, ATOM
        if t.data.size != 1 or t.data.ndim != 0:
            if self.dialect == "micrograd":
                raise NotExpressible("micrograd's Value holds one number: this program uses "
                                     f"tensors of shape {tuple(t.data.shape)}.")
            text = {"pytorch": "torch.tensor({})", "tensorflow": "tf.constant({})",
                    "jax": "jnp.array({})"}[self.dialect].format(_literal(t.data))
            return text, ATOM
        text = _literal(t.data)
        return text, ATOM if not text.startswith("-") else UNARY

    def operand(self, t: Tensor, *, transposed_ok: bool = False) -> tuple[str, int]:
        name = self.plan.names.get(t.id)
        if name is not None:
            return name, ATOM
        if t.record is None:
            return self.leaf(t)
        text, prec = self.exprs[t.id]
        if prec == _TF_TRANSPOSED and not transposed_ok:
            raise NotExpressible("chainrule's TensorFlow writes a transpose only inside "
                                 "tf.matmul (transpose_a=True): it has no tf.transpose yet.")
        return text, prec

    def write(self, rec: Record) -> tuple[str, int]:
        op, d = rec.op.name, self.dialect
        if d == "micrograd" and rec.output.data.ndim != 0:
            raise NotExpressible("micrograd's Value holds one number: this program uses tensors "
                                 f"of shape {tuple(rec.output.data.shape)}.")
        args = [self.operand(t, transposed_ok=op == "matmul") for t in rec.inputs]
        if op in _INFIX:
            sym, prec = _INFIX[op]
            a = _wrap(args[0], prec, left=True)
            b = _wrap(args[1], prec, left=False)
            return f"{a} {sym} {b}", prec
        if op == "neg":
            return f"-{_wrap(args[0], UNARY, left=False)}", UNARY
        if op == "pow" and "exponent" in rec.attrs:
            e = rec.attrs["exponent"]
            exponent = repr(e) if not isinstance(e, float) or not e.is_integer() else \
                repr(int(e))
            return f"{_wrap(args[0], POW + 1, left=True)} ** {exponent}", POW
        if op == "matmul":
            if d == "micrograd":
                raise NotExpressible("micrograd has no matrix product: its Value is one number.")
            if d == "tensorflow":
                return _tf_matmul(self, rec), ATOM
            return f"{_wrap(args[0], MUL, True)} @ {_wrap(args[1], MUL, False)}", MUL
        if op in _SHAPED:
            return _SHAPED[op](self, rec, args)
        spelled = OPS.get(op, {}).get(d)
        if op in ("sum", "mean") and rec.attrs.get("dim") is not None and d != "micrograd":
            return _reduce_along(d, op, args[0], rec.attrs)
        if spelled is None and d == "micrograd":
            raise NotExpressible(f"micrograd's Value has no {op} (its release 0.1.0 has "
                                 f"+ - * / ** relu).")
        if spelled is None or (op in ("sum", "mean") and rec.attrs.get("dim") is not None):
            raise NotExpressible(f"chainrule does not write {op} in {TITLES[d]} yet.")
        if spelled.startswith("."):
            return f"{_wrap(args[0], ATOM, True)}{spelled}()", ATOM
        return f"{spelled}({args[0][0]})", ATOM

    def body(self) -> list[str]:
        """`name = expression` for every named result, in the order the ops ran."""
        lines = []
        for rec in self.plan.records:
            text, prec = self.write(rec)
            name = self.plan.names.get(rec.output.id)
            if name is not None:
                if prec == _TF_TRANSPOSED:
                    raise NotExpressible("chainrule's TensorFlow writes a transpose only inside "
                                         "tf.matmul (transpose_a=True): it has no tf.transpose "
                                         "yet.")
                lines.append(f"{name} = {text}")
            else:
                self.exprs[rec.output.id] = (text, prec)
        return lines


# ---------------------------------------------------------------- ops with shapes and options
# (softmax, losses, transpose, reshape, clamp, reductions along a dim): each written with what
# the dialect has — where chainrule's TensorFlow or JAX lacks the function (tf.nn.log_softmax,
# jax.nn.softmax, tf.clip_by_value, jnp.clip, tf.transpose), written out from ones it has.

_TF_TRANSPOSED = -1   # a TensorFlow transpose, only writable as a tf.matmul operand


def _reduce_along(d: str, op: str, a: tuple[str, int], attrs: dict) -> tuple[str, int]:
    dim, keep = attrs.get("dim"), bool(attrs.get("keepdim"))
    if d == "pytorch":
        return f"{_wrap(a, ATOM, True)}.{op}(dim={dim!r}" + \
            (", keepdim=True)" if keep else ")"), ATOM
    fn = {"tensorflow": f"tf.reduce_{op}", "jax": f"jnp.{op}"}[d]
    return f"{fn}({a[0]}, axis={dim!r}" + (", keepdims=True)" if keep else ")"), ATOM


def _softmax(w: _Writer, rec: Record, args: list) -> tuple[str, int]:
    d, dim, log = w.dialect, rec.attrs.get("dim"), rec.op.name == "log_softmax"
    if d == "micrograd" or dim is None:
        raise NotExpressible(f"chainrule does not write {rec.op.name} in {TITLES[d]}.")
    a = args[0]
    if d == "pytorch":
        return f"torch.{rec.op.name}({a[0]}, dim={dim})", ATOM
    if d == "tensorflow":
        soft = f"tf.nn.softmax({a[0]}, axis={dim})"
        return (f"tf.math.log({soft})" if log else soft), ATOM
    total = f"jnp.sum(jnp.exp({a[0]}), axis={dim}, keepdims=True)"
    if log:
        return f"{_wrap(a, ADD, True)} - jnp.log({total})", ADD
    return f"jnp.exp({a[0]}) / {total}", MUL


def _mse(w: _Writer, rec: Record, args: list) -> tuple[str, int]:
    d, reduction = w.dialect, rec.attrs.get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise NotExpressible(f"chainrule does not write mse_loss(reduction={reduction!r}) "
                             f"in {TITLES[d]}.")
    a, b = args
    if d == "pytorch":   # F.mse_loss takes tensors: a number the program wrapped stays wrapped
        extra = ", reduction='sum'" if reduction == "sum" else ""
        x, y = (f"torch.tensor({arg[0]})" if t.record is None and t.id not in w.plan.names
                and t.data.ndim == 0 else arg[0] for t, arg in zip(rec.inputs, args,
                                                                     strict=True))
        return f"torch.nn.functional.mse_loss({x}, {y}{extra})", ATOM
    diff = f"{_wrap(a, ADD, True)} - {_wrap(b, ADD, False)}"
    if d == "micrograd":   # one number: its mean and its sum are the square
        return f"({diff}) ** 2", POW
    if d == "tensorflow":
        return f"tf.reduce_{reduction}(tf.square({diff}))", ATOM
    return f"jnp.{reduction}(({diff}) ** 2)", ATOM


def _nll(w: _Writer, rec: Record, args: list) -> tuple[str, int]:
    """nll_loss (cross_entropy's second half): the picked log-probabilities' mean, negated;
    written as a sum against the targets' one-hot rows where the dialect has no nll."""
    d, reduction = w.dialect, rec.attrs.get("reduction", "mean")
    logp, target = rec.inputs
    extra = {k: v for k, v in rec.attrs.items() if k != "reduction" and v is not None}
    if d == "micrograd" or reduction not in ("mean", "sum") or logp.data.ndim != 2 or \
            target.data.ndim != 1 or target.record is not None or extra:
        raise NotExpressible(f"chainrule does not write this nll_loss in {TITLES[d]}.")
    if d == "pytorch":
        more = ", reduction='sum'" if reduction == "sum" else ""
        return f"torch.nn.functional.nll_loss({args[0][0]}, {args[1][0]}{more})", ATOM
    classes = np.asarray(target.data).astype(int)
    onehot = _literal(np.eye(logp.data.shape[1])[classes])
    const = {"tensorflow": "tf.constant", "jax": "jnp.array"}[d]
    picked = f"{_wrap(args[0], MUL, True)} * {const}({onehot})"
    if d == "tensorflow":
        return f"-tf.reduce_{reduction}(tf.reduce_sum({picked}, axis=1))", UNARY
    return f"-jnp.{reduction}(jnp.sum({picked}, axis=1))", UNARY


def _transpose(w: _Writer, rec: Record, args: list) -> tuple[str, int]:
    d, a = w.dialect, args[0]
    d0, d1 = rec.attrs.get("dim0", 0), rec.attrs.get("dim1", 1)
    ndim = rec.inputs[0].data.ndim
    if d == "pytorch":
        return f"{_wrap(a, ATOM, True)}.transpose({d0}, {d1})", ATOM
    if d == "jax":
        if ndim == 2:
            return f"{_wrap(a, ATOM, True)}.T", ATOM
        perm = list(range(ndim))
        perm[d0], perm[d1] = perm[d1], perm[d0]
        return f"jnp.transpose({a[0]}, {tuple(perm)!r})", ATOM
    if d == "tensorflow" and ndim == 2:
        return a[0], _TF_TRANSPOSED
    raise NotExpressible(f"chainrule does not write this transpose in {TITLES[d]}.")


def _tf_matmul(w: _Writer, rec: Record) -> str:
    parts = []
    for i, t in enumerate(rec.inputs):
        text, prec = w.operand(t, transposed_ok=True)
        parts.append(text)
        if prec == _TF_TRANSPOSED:
            parts.append(f"transpose_{'ab'[i]}=True")
    flags = [p for p in parts if p.startswith("transpose_")]
    values = [p for p in parts if not p.startswith("transpose_")]
    return f"tf.matmul({', '.join(values + flags)})"


def _reshape(w: _Writer, rec: Record, args: list) -> tuple[str, int]:
    d, shape = w.dialect, tuple(int(k) for k in rec.attrs["shape"])
    if d == "pytorch":
        return f"{_wrap(args[0], ATOM, True)}.reshape{shape!r}", ATOM
    fn = {"tensorflow": "tf.reshape", "jax": "jnp.reshape"}.get(d)
    if fn is None:
        raise NotExpressible(f"chainrule does not write reshape in {TITLES[d]}.")
    return f"{fn}({args[0][0]}, {shape!r})", ATOM


def _clamp(w: _Writer, rec: Record, args: list) -> tuple[str, int]:
    d, lo, hi = w.dialect, rec.attrs.get("min"), rec.attrs.get("max")
    if any(isinstance(v, Tensor) for v in (lo, hi)) or (lo is None and hi is None):
        raise NotExpressible(f"chainrule does not write this clamp in {TITLES[d]}.")
    if d == "pytorch":
        bounds = ", ".join(f"{k}={float(v)!r}" for k, v in (("min", lo), ("max", hi))
                           if v is not None)
        return f"torch.clamp({args[0][0]}, {bounds})", ATOM
    prefix = {"tensorflow": "tf", "jax": "jnp"}.get(d)
    if prefix is None:
        raise NotExpressible(f"chainrule does not write clamp in {TITLES[d]}.")
    text = args[0][0]   # no clip_by_value / jnp.clip here: a maximum, then a minimum
    if lo is not None:
        text = f"{prefix}.maximum({text}, {float(lo)!r})"
    if hi is not None:
        text = f"{prefix}.minimum({text}, {float(hi)!r})"
    return text, ATOM


def _pairwise(w: _Writer, rec: Record, args: list) -> tuple[str, int]:
    prefix = {"pytorch": "torch", "tensorflow": "tf", "jax": "jnp"}.get(w.dialect)
    if prefix is None:
        raise NotExpressible(f"micrograd's Value has no {rec.op.name}.")
    return f"{prefix}.{rec.op.name}({args[0][0]}, {args[1][0]})", ATOM


_SHAPED = {"softmax": _softmax, "log_softmax": _softmax, "mse_loss": _mse, "nll_loss": _nll,
           "transpose": _transpose, "reshape": _reshape, "clamp": _clamp,
           "maximum": _pairwise, "minimum": _pairwise}


def _wrap(arg: tuple[str, int], prec: int, left: bool) -> str:
    text, p = arg
    return text if p > prec or (p == prec and left) else f"({text})"


def _inputs(plan: _Plan) -> list[tuple[str, Tensor]]:
    if plan.empty:
        raise NotExpressible(plan.empty)
    return [(plan.names[t.id], t) for t in plan.inputs]


def _constants(plan: _Plan, make: str) -> list[str]:
    return [f"{plan.names[t.id]} = {make}({_literal(t.data)})" for t in plan.named_constants]


def _torch(plan: _Plan, scalar: bool) -> str:
    w = _Writer(plan, "pytorch")
    lines = ["import torch", ""]
    for name, t in _inputs(plan):
        lines.append(f"{name} = torch.tensor({_literal(t.data)}, requires_grad=True)")
    lines += _constants(plan, "torch.tensor")
    lines += w.body()
    out = plan.names[plan.out.id]
    if scalar:
        lines.append(f"{out}.backward()")
    else:
        lines.append(f"{out}.backward()   # fails: {out} is not a scalar")
    lines.append("print(" + ", ".join(f"{n}.grad" for n, _ in _inputs(plan)) + ")")
    return "\n".join(lines) + "\n"


def _tensorflow(plan: _Plan, scalar: bool) -> str:
    w = _Writer(plan, "tensorflow")
    lines = ["import tensorflow as tf", ""]
    names = [n for n, _ in _inputs(plan)]
    for name, t in _inputs(plan):
        lines.append(f"{name} = tf.Variable({_literal(t.data)})")
    lines += _constants(plan, "tf.constant")
    lines.append("with tf.GradientTape() as tape:")
    lines += ["    " + line for line in w.body()]
    out = plan.names[plan.out.id]
    grads = ", ".join(f"d{n}" for n in names)
    note = "" if scalar else f"   # {out} is summed first"
    lines.append(f"{grads}{',' if len(names) == 1 else ''} = tape.gradient({out}, "
                 f"[{', '.join(names)}]){note}")
    lines.append(f"print({grads})")
    return "\n".join(lines) + "\n"


def _jax(plan: _Plan, scalar: bool) -> str:
    w = _Writer(plan, "jax")
    pairs = _inputs(plan)
    names = [n for n, _ in pairs]
    fname = "f" if "f" not in plan.names.values() else "fun"
    body = w.body()
    out = plan.names[plan.out.id]
    constants = _constants(plan, "jnp.array")
    lines = ["import jax", "import jax.numpy as jnp", "", *constants, *([""] if constants else []),
             f"def {fname}({', '.join(names)}):"]
    lines += ["    " + line for line in body]
    lines += [f"    return {out}", ""]
    for name, t in pairs:
        lines.append(f"{name} = jnp.array({_literal(t.data)})")
    grads = ", ".join(f"d{n}" for n in names)
    argnums = "" if len(names) == 1 else f", argnums=({', '.join(map(str, range(len(names))))})"
    note = "" if scalar else f"   # fails: {out} is not a scalar"
    lines.append(f"{grads} = jax.grad({fname}{argnums})({', '.join(names)}){note}")
    lines.append(f"print({grads})")
    return "\n".join(lines) + "\n"


def _micrograd(plan: _Plan, scalar: bool) -> str:
    if not scalar or plan.out.data.ndim != 0:
        raise NotExpressible(TREATMENT[("micrograd", False)])
    w = _Writer(plan, "micrograd")
    lines = ["from micrograd.engine import Value", ""]
    for name, t in _inputs(plan):
        if t.data.ndim != 0:
            raise NotExpressible("micrograd's Value holds one number: this program uses "
                                 f"tensors of shape {tuple(t.data.shape)}.")
        lines.append(f"{name} = Value({_literal(t.data)})")
    lines += w.body()
    out = plan.names[plan.out.id]
    lines.append(f"{out}.backward()")
    lines.append("print(" + ", ".join(f"{n}.grad" for n, _ in _inputs(plan)) + ")")
    return "\n".join(lines) + "\n"


_WRITERS = {"pytorch": _torch, "tensorflow": _tensorflow, "jax": _jax, "micrograd": _micrograd}


# ---------------------------------------------------------------- the view: traced, aligned


def compare_program(source: str, inputs: dict[str, float] | None = None, seed: int = 0,
                    limits: Any = None) -> dict:
    """The Compare view's answer: the program's output shape, and per dialect its source (or
    why it cannot be written), the treatment of the output, and its trace, laid out on the
    PyTorch version's positions where the graphs match op for op (`aligned`)."""
    from chainrule.engine.errors import RefusedError
    from chainrule.engine.lang import run_program
    from chainrule.engine.limits import Limits
    from chainrule.engine.trace import trace_program

    limits = limits or Limits()
    result = run_program(source, inputs=inputs, seed=seed, limits=limits)
    try:
        if result.error is not None and isinstance(result.error, RefusedError):
            raise result.error
        out = output_of(result)
        translations = translate(result)
    finally:
        result.tape.release()
    rows = []
    for tr in translations:
        row = {**tr.to_dict(), "trace": None, "aligned": False}
        if tr.source is not None:
            try:
                row["trace"] = trace_program(tr.source, seed=seed, limits=limits).to_dict()
            except RefusedError as e:   # a translation the language refuses: say so
                row["source"], row["reason"] = None, f"chainrule refused it: {e}"
        rows.append(row)
    reference = next((r["trace"] for r in rows if r["trace"] is not None), None)
    for r in rows:
        if r["trace"] is not None and reference is not None:
            r["aligned"] = r["trace"] is reference or align(r["trace"], reference)
    shape = None if out is None else list(out.data.shape)
    return {"source": source, "output": {"shape": shape, "scalar": out is not None and
                                         out.data.size == 1},
            "dialects": rows}


def _op_order(trace: dict) -> list[dict]:
    return sorted((n for n in trace["nodes"] if n["kind"] == "op"),
                  key=lambda n: int(n["id"][2:]))


def _wiring(trace: dict) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    ins: dict[str, list[str]] = {}
    outs: dict[str, list[str]] = {}
    for e in trace["edges"]:
        ins.setdefault(e["target"], []).append(e["source"])
        outs.setdefault(e["source"], []).append(e["target"])
    return ins, outs


def _forward_ops(trace: dict) -> list[dict]:
    """The ops the forward pass ran (not those a transformation ran for its gradient), in
    order: the ones a forward step shows."""
    ran = {s["op"] for s in trace["steps"] if s["phase"] == "forward" and s["kind"] == "op"}
    return [n for n in _op_order(trace) if n["id"] in ran]


def align(trace: dict, reference: dict) -> bool:
    """Give `trace` the reference's positions when both ran the same ops in the same order
    with the same wiring (node for node); True when they did."""
    mine, theirs = _forward_ops(trace), _forward_ops(reference)
    if [n["op"] for n in mine] != [n["op"] for n in theirs]:
        return False
    my_in, my_out = _wiring(trace)
    ref_in, ref_out = _wiring(reference)
    match: dict[str, str] = {}
    for a, b in zip(mine, theirs, strict=True):
        pairs = [(a["id"], b["id"])]
        pairs += list(zip(my_in.get(a["id"], []), ref_in.get(b["id"], []), strict=False))
        pairs += list(zip(my_out.get(a["id"], []), ref_out.get(b["id"], []), strict=False))
        if len(my_in.get(a["id"], [])) != len(ref_in.get(b["id"], [])):
            return False
        for x, y in pairs:
            if match.setdefault(x, y) != y:
                return False
    ref_nodes = {n["id"]: n for n in reference["nodes"]}
    wired = {e["source"] for e in trace["edges"]} | {e["target"] for e in trace["edges"]}
    by_label = {ref_nodes[b]["label"]: b for b in match.values()}
    for n in trace["nodes"]:   # jax.grad's argument arrays: f's parameters are their copies,
        if n["id"] not in match and n["id"] not in wired and n["label"] in by_label:
            match[n["id"]] = by_label[n["label"]]   # so they are drawn where those are
    loose = [n for n in trace["nodes"] if n["id"] not in match and n["id"] not in wired]
    if len(match) + len(loose) != len(trace["nodes"]):
        return False
    ref_routes = {(e["source"], e["target"]): e.get("route") for e in reference["edges"]}
    for n in trace["nodes"]:
        if n["id"] not in match:
            continue
        m = ref_nodes[match[n["id"]]]
        n["x"], n["y"], n["group"] = m["x"], m["y"], None
    for e in trace["edges"]:
        e["route"] = ref_routes.get((match[e["source"]], match[e["target"]]), e.get("route"))
    trace["layout"] = dict(reference["layout"])
    x = 0.0   # values made outside the graph (JAX's gradients): one row under it
    for n in loose:
        n["x"], n["y"], n["group"] = x + n["w"] / 2 + 8, reference["layout"]["height"] + 40, None
        x += n["w"] + 24
    if loose:
        trace["layout"]["height"] = reference["layout"]["height"] + 40 + \
            max(n["h"] for n in loose)
        trace["layout"]["width"] = max(trace["layout"]["width"], x)
    trace["collapsed"], trace["groups"] = None, []
    return True
