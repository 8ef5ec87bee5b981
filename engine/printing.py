"""Text for `print(...)`: tensors, sizes and plain values the way PyTorch and Python show them.

`tensor_repr` is a port of PyTorch's `torch/_tensor_str.py` for dense CPU tensors with the
default print options (precision 4, line width 80, summarise above 1,000 elements, 3 edge items),
so `print(x)` reads `tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]], requires_grad=True)`
exactly as a learner would see it in PyTorch. Our floats are float64 but shown as PyTorch shows
its default dtype: no `dtype=` suffix. Integer tensors are int64, PyTorch's default for integers.
"""

from __future__ import annotations

import contextvars
import itertools
import math
import zlib
from typing import Any

import numpy as np
from chainrule.engine import dialects
from chainrule.engine.tensor import Tensor

PRECISION = 4
LINEWIDTH = 80
THRESHOLD = 1000
EDGEITEMS = 3
# Above this many elements even after summarising (many small dimensions), show only the size.
MAX_FORMATTED = 20_000


class _Formatter:
    """Chooses one width and one style (integer-valued, fixed or scientific) for all elements."""

    def __init__(self, arr: np.ndarray) -> None:
        self.floating = arr.dtype.kind == "f"
        self.boolean = arr.dtype.kind == "b"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = arr.reshape(-1)
        if self.boolean:
            self.max_width = 5 if flat.size and not flat.all() else 4
            return
        if not self.floating:
            if flat.size:
                self.max_width = max(len(str(int(v))) for v in (flat.min(), flat.max()))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals)
        lo, hi = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{PRECISION}e}") for v in vals.tolist())
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in vals.tolist())
        else:
            self.max_width = max(len(f"{v:.{PRECISION}f}") for v in vals.tolist())

    def format(self, value: Any) -> str:
        if self.floating:
            v = float(value)
            if self.sci_mode:
                text = f"{v:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                text = f"{v:.{PRECISION}f}"
        elif self.boolean:
            text = str(bool(value))
        else:
            text = str(int(value))
        return " " * (self.max_width - len(text)) + text


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The edge items PyTorch formats when a tensor is summarised (first and last 3 per axis)."""
    for axis, n in enumerate(arr.shape):
        if n > 2 * EDGEITEMS:
            idx = list(range(EDGEITEMS)) + list(range(n - EDGEITEMS, n))
            arr = np.take(arr, idx, axis=axis)
    return arr


def _vector(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, math.floor((LINEWIDTH - indent) / (fmt.max_width + 2)))
    vals = arr.tolist()
    if summarize and len(vals) > 2 * EDGEITEMS:
        data = ([fmt.format(v) for v in vals[:EDGEITEMS]] + [" ..."]
                + [fmt.format(v) for v in vals[-EDGEITEMS:]])
    else:
        data = [fmt.format(v) for v in vals]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        slices = ([_nested(arr[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)]
                  + ["..."]
                  + [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n - EDGEITEMS, n)])
    else:
        slices = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def array_str(arr: np.ndarray, indent: int = 7) -> str:
    """The bracketed contents PyTorch prints for a non-empty array, indented after `tensor(`."""
    summarize = arr.size > THRESHOLD
    shown = _summarized(arr) if summarize else arr
    fmt = _Formatter(shown)
    return _nested(arr, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


# ---------------------------------------------------------------- a tensor's Python numbers


def dtype_of(t: Any) -> str:
    """The tensor's PyTorch dtype name ("float32", "float64", "int64", "bool"). Tensors carry
    `dtype_name`; before they did, float data meant float32 and anything else int64."""
    name = getattr(t, "dtype_name", None)
    if name:
        return name
    kind = np.asarray(t.data).dtype.kind
    return "float32" if kind == "f" else ("bool" if kind == "b" else "int64")


def shown_array(t: Any) -> np.ndarray:
    """The numbers the tensor holds in its dtype: float data is stored as float64, but a
    float32 tensor holds (and PyTorch shows, and `.item()` returns) float32-rounded values."""
    arr = np.asarray(t.data)
    name = dtype_of(t)
    if name == "float32" and arr.dtype != np.float32:
        with np.errstate(over="ignore"):   # beyond float32's range: inf, as PyTorch holds it
            return arr.astype(np.float32).astype(np.float64)
    if name == "bool" and arr.dtype.kind != "b":
        return arr.astype(bool)
    return arr


def python_number(t: Any) -> float | int | bool:
    """`t.item()` for a one-element tensor (the caller checks the count): a float32 tensor
    gives its float32 value as a Python float (`torch.tensor(0.1).item()` is
    0.10000000149011612), int64 an int, bool a bool."""
    return shown_array(t).reshape(()).item()


def python_list(t: Any) -> Any:
    """`t.tolist()`: nested lists of Python numbers, float32-rounded as `python_number`."""
    return shown_array(t).tolist()


# ---------------------------------------------------------------- tensors


def tensor_repr(t: Any) -> str:
    """`str(t)` for a chainrule Tensor, as PyTorch prints it."""
    arr = shown_array(t)
    dtype = dtype_of(t)
    prefix = "tensor("
    indent = len(prefix)
    suffixes: list[str] = []
    if arr.size == 0:
        # PyTorch: an empty tensor names every dtype but the default one.
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dtype != "float32":
            suffixes.append(f"dtype=torch.{dtype}")
        body = "[]"
    else:
        if dtype not in ("float32", "int64", "bool"):
            suffixes.append(f"dtype=torch.{dtype}")
        if _summarized(arr).size > MAX_FORMATTED:
            body = "[...]"
            suffixes.insert(0, f"size={tuple(arr.shape)}")
        else:
            body = array_str(arr, indent)
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def size_repr(shape: tuple[int, ...]) -> str:
    return "torch.Size([" + ", ".join(str(int(n)) for n in shape) + "])"


# ---------------------------------------------------------------- every value


def fake_address(key: Any) -> str:
    """PyTorch and Python print objects "at 0x7f15998cfeb0", a memory address. We print a
    stable made-up one derived from `key` (a node or tensor id, or a name), so the same
    program prints the same text every time; it is not an address of anything."""
    n = key if isinstance(key, int) else zlib.crc32(str(key).encode())
    return f"0x7f{(0x1a2b3c0000 + n * 0x70) % 0x10000000000:010x}"


def type_name(value: Any) -> str:
    """Python's name for the value's type, as messages quote it (`'float' object ...`)."""
    ns, Tensor = _engine()   # noqa: N806 - the class

    if isinstance(value, Tensor):
        return "Tensor"
    if getattr(value, "user_function", False):
        return "function"
    if isinstance(value, ns.Size):
        return "Size"
    if isinstance(value, ns.DType):
        return "dtype"
    if isinstance(value, ns.GradFn):
        return value.name
    if isinstance(value, ns.Function):
        return "type" if value.kind == "class" else "builtin_function_or_method"
    if isinstance(value, ns.BoundMethod):
        return "builtin_function_or_method"
    if isinstance(value, ns.Module):
        return "module"
    if isinstance(value, ns.NNModule):
        return value.cls
    parts = _exception_parts(value)
    if parts is not None:
        return parts[0]
    name = getattr(value, "python_type_name", None)   # the language's own lazy iterators
    if isinstance(name, str):
        return name
    if isinstance(value, np.bool_):
        return "bool"
    if isinstance(value, np.integer):
        return "int"
    if isinstance(value, np.floating):
        return "float"
    return type(value).__name__


_ENGINE: tuple[Any, Any] | None = None


def _engine() -> tuple[Any, Any]:
    """engine.namespace (imported on first use: it builds on this module, yet what it defines,
    torch.Size, dtypes, grad_fns, prints here) and the Tensor class."""
    global _ENGINE
    if _ENGINE is None:
        from chainrule.engine import namespace
        _ENGINE = (namespace, Tensor)
    return _ENGINE


class _Full(Exception):
    """The text being built passed its limit."""


class _Text:
    def __init__(self, limit: int | None) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.size += len(piece)
        if self.limit is not None and self.size > self.limit:
            raise _Full


def _build(value: Any, as_str: bool, limit: int | None) -> str:
    out = _Text(limit)
    try:
        _write(out, value, as_str, set())
    except _Full:
        return "".join(out.parts)[:limit + 1]   # type: ignore[operator]
    return "".join(out.parts)


def value_text(value: Any, limit: int | None = None) -> str:
    """`str(value)` as Python and PyTorch give it, for every value a program holds. With a
    `limit`, building stops past it: a longer result means "over the limit" (at most
    `limit + 1` characters are returned), so print() of a huge list never builds it."""
    return _build(value, True, limit)


def value_repr(value: Any, limit: int | None = None) -> str:
    """`repr(value)` as Python and PyTorch give it (strings quoted); `limit` as value_text."""
    return _build(value, False, limit)


# While chainrule writes a label of its own (a loop iteration's `x = …`), a program object's
# __repr__ is not run: Python never calls it there, and the program's code may print or be slow
# (a learner's Value's __repr__ ran once per iteration of every loop over Values).
_labelling: contextvars.ContextVar[bool] = contextvars.ContextVar("labelling", default=False)


def program_repr_allowed() -> bool:
    return not _labelling.get()


def label_text(value: Any, limit: int = 24) -> str:
    """`short_text` for chainrule's own labels: a program object shows as `<Value object>`."""
    token = _labelling.set(True)
    try:
        return short_text(value, limit)
    finally:
        _labelling.reset(token)


def short_text(value: Any, limit: int = 200) -> str:
    """The value for an error message: its repr if short, else a description ("a list of
    300,000 numbers", "a tensor of shape (1000, 3)") or the start of its text and "…".
    Builds at most `limit` characters (plus one tensor's summarised text)."""
    _, Tensor = _engine()   # noqa: N806 - the class
    if isinstance(value, Tensor) and value.numel() > THRESHOLD:
        return f"a tensor of shape {tuple(value.shape)}"
    text = value_repr(value, limit)
    if len(text) <= limit:
        return text
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, list | tuple | set | frozenset | dict):
        kind = type_name(value) if type(value) in (list, tuple, set, dict) else "container"
        sample = [] if isinstance(value, dict) else itertools.islice(value, 1000)
        numbers = not isinstance(value, dict) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in sample)
        what = "number" if numbers else "item"
        n = len(value)
        return f"a {kind} of {n:,} {what}{'' if n == 1 else 's'}"
    return text[:limit - 1] + "…"


def _exception_parts(value: Any) -> tuple[str, str] | None:
    """(Python type, message) for an exception value a program caught (`except ... as e`)."""
    py_type, message = getattr(value, "python_type", None), getattr(value, "message", None)
    if isinstance(py_type, str) and isinstance(message, str):
        return py_type, message
    return None


def _write(out: _Text, value: Any, as_str: bool, active: set[int]) -> None:
    kind = type(value)
    if kind is float:   # the common cases first: a list of 100,000 numbers
        out.add(repr(value))
        return
    if kind is int:
        out.add(str(value))
        return
    ns, Tensor = _engine()   # noqa: N806 - the class
    if isinstance(value, str):
        out.add(value if as_str else repr(value))
    elif isinstance(value, Tensor) and hasattr(type(value), "language_text"):
        out.add(value.language_text(as_str))   # micrograd's Value(data=..., grad=...)
    elif isinstance(value, Tensor):
        hooks = dialects.hooks()
        if type(value) is not Tensor:   # nn.Parameter: "Parameter containing:"
            out.add(repr(value))
        else:
            out.add(tensor_repr(value) if hooks is None else hooks.tensor_text(value, as_str))
    elif isinstance(value, bool | np.bool_) or value is None:
        out.add(str(bool(value)) if value is not None else "None")
    elif isinstance(value, int | np.integer):
        out.add(str(int(value)))
    elif isinstance(value, np.float32):   # `t.numpy()` of a float32 scalar: NumPy's text
        out.add(str(value) if as_str else f"np.float32({value})")
    elif isinstance(value, float | np.floating):
        out.add(repr(float(value)))
    elif type(value) in (list, tuple, dict, set, frozenset):
        _write_container(out, value, active)
    elif type(value).__name__ in ("dict_keys", "dict_values", "dict_items"):
        out.add(type(value).__name__ + "(")
        _write_container(out, list(value), active)
        out.add(")")
    elif isinstance(value, ns.GradFn):
        # Keyed on the node's output tensor (or the leaf of an AccumulateGrad): tensor ids
        # count from 0 in each run, so the same program prints the same addresses.
        record = getattr(value, "record", None)
        key = record.output.id if record is not None else getattr(value, "id", None)
        out.add(f"<{value.name} object at {fake_address(key if key is not None else value.name)}>")
    elif isinstance(value, ns.BoundMethod):
        owner = value.self_value
        key = owner.id if isinstance(owner, Tensor) else type_name(owner)
        out.add(f"<built-in method {value.name} of {type_name(owner)} object at "
                f"{fake_address(key)}>")
    elif getattr(value, "user_function", False):
        name = getattr(value, "name", None) or getattr(value, "__name__", "<lambda>")
        span = getattr(value, "span", None)
        out.add(f"<function {name} at {fake_address(f'{name}{span}')}>")
    elif isinstance(value, np.ndarray):   # np.array(...) values: NumPy's own text
        out.add(str(value) if as_str else repr(value))
    elif (parts := _exception_parts(value)) is not None:
        out.add(parts[1] if as_str else f"{parts[0]}({parts[1]!r})")
    elif hasattr(type(value), "language_text"):   # a dialect's value: JAX's key arrays
        out.add(value.language_text(as_str))
    else:
        out.add(repr(value))


def _write_container(out: _Text, value: Any, active: set[int]) -> None:
    kind = type(value)
    if id(value) in active:   # a list that contains itself: Python prints [...]
        out.add("[...]" if kind is list else "{...}" if kind is dict else "(...)")
        return
    if kind in (set, frozenset) and not value:
        out.add(f"{kind.__name__}()")
        return
    active.add(id(value))
    try:
        opening, closing = {list: "[]", tuple: "()", dict: "{}", set: "{}",
                            frozenset: "{}"}[kind]
        if kind is frozenset:
            out.add("frozenset(")
        out.add(opening)
        items = value.items() if kind is dict else value
        for i, item in enumerate(items):
            if i:
                out.add(", ")
            if kind is dict:
                _write(out, item[0], False, active)
                out.add(": ")
                _write(out, item[1], False, active)
            else:
                _write(out, item, False, active)
        if kind is tuple and len(value) == 1:
            out.add(",")
        out.add(closing)
        if kind is frozenset:
            out.add(")")
    finally:
        active.discard(id(value))
