"""`jax.random` with JAX's own numbers: the keys and draws the installed jax gives (jax 0.10 on
CPU, threefry2x32, `jax_threefry_partitionable` on, x64 off), value for value.

    key = jax.random.key(0)                  # Array((), dtype=key<fry>) overlaying: [0 0]
    key, sub = jax.random.split(key)         # the threefry hash of counters 0 and 1
    jax.random.normal(sub, (3,))             # bits -> uniform in (-1, 1) -> sqrt(2) erfinv

The bits are jax_random_bits (threefry), the floats jax_random_floats (XLA's float32 steps).
Keys are `Key` values (`KeyArray` when they have an axis): typed (`key`, dtype key<fry>) or
raw uint32 key data (`PRNGKey`, JAX's legacy keys, and `key_data`); either kind goes into every
function and comes back in the kind it came in. Draws are float32 (int32 for integers) Tensors,
as JAX gives with x64 off. Float dtypes other than float32/float64, array-valued bounds, and the
options below marked "not part of chainrule's language" are refused in words, never guessed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.dialects import jax_random_bits as bits
from chainrule.engine.dialects import jax_random_floats as floats
from chainrule.engine.errors import ArgumentError
from chainrule.engine.ops import OPS
from chainrule.engine.tensor import Tensor, apply

U32 = np.uint32
INT32 = (-(2**31), 2**31 - 1)


# ---------------------------------------------------------------- key arrays


class Key:
    """One JAX key (shape ()), or one uint32 word of raw key data. `words` is the uint32 data:
    two words for a typed key (its `typed`), the array itself for raw data."""

    words: np.ndarray
    typed: bool

    def __init__(self, words: np.ndarray, typed: bool) -> None:
        self.words = np.asarray(words, dtype=U32)
        self.typed = typed

    @property
    def shape(self) -> tuple[int, ...]:
        return self.words.shape[:-1] if self.typed else self.words.shape

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Key) and other.typed == self.typed
                and np.array_equal(other.words, self.words))

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        # JAX's arrays are unhashable, but the language has no hook to say so for a dict key:
        # hashed by value here, as == compares them
        return hash((self.typed, self.words.shape, self.words.tobytes()))

    def language_text(self, as_str: bool) -> str:
        if self.typed:
            return f"Array({_shape_text(self.shape)}, dtype=key<fry>) overlaying:\n{self.words}"
        if as_str:
            return str(self.words)
        return "A" + repr(self.words)[1:]   # NumPy's "array([...], dtype=uint32)", capitalised

    def __repr__(self) -> str:
        return self.language_text(False)

    language_attributes = {
        "shape": lambda k: k.shape,
        "ndim": lambda k: len(k.shape),
        "size": lambda k: math.prod(k.shape),
        "dtype": lambda k: KeyDType("key<fry>", "key<fry>") if k.typed else
        KeyDType("uint32", "dtype('uint32')"),
    }

    def language_getitem(self, index: Any) -> Any:
        return _indexed(self, _index(index, self.shape))


class KeyArray(Key, tuple):
    """A key array with at least one axis. Also a tuple, so that unpacking (`key, sub =
    split(key)`), `for` and `len()` see its rows, made on demand (a split into 100,000 keys
    makes no 100,000 objects): the tuple itself holds nothing."""

    def __new__(cls, words: np.ndarray, typed: bool) -> KeyArray:
        return super().__new__(cls)

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self):  # noqa: ANN204 - a generator of rows
        for i in range(len(self)):
            yield _indexed(self, i)

    def __getitem__(self, index: Any) -> Any:
        return self.language_getitem(index)


def key_value(words: np.ndarray, typed: bool) -> Key:
    """The key value for `words`: a KeyArray when it has an axis to iterate over."""
    shape = words.shape[:-1] if typed else words.shape
    return KeyArray(words, typed) if shape else Key(words, typed)


def _indexed(k: Key, index: Any) -> Any:
    part = k.words[index]
    if not k.typed and part.ndim == 0:
        return Tensor(np.array(int(part)))   # one word of raw key data: a number
    return key_value(part, k.typed)


class KeyDType:
    """A key array's dtype as JAX prints it (str, repr): key<fry>, or uint32 for raw data."""

    def __init__(self, text: str, representation: str) -> None:
        self.text, self.representation = text, representation

    def language_text(self, as_str: bool) -> str:
        return self.text if as_str else self.representation

    def __repr__(self) -> str:
        return self.representation


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _index(key: Any, shape: tuple[int, ...]) -> Any:
    """A whole number (JAX clamps it into range, as its gathers do), a slice, or a tuple of
    them, one per leading axis."""
    parts = key if isinstance(key, tuple) else (key,)
    if len(parts) > len(shape):
        raise ArgumentError(f"Too many indices: array is {len(shape)}-dimensional, but "
                            f"{len(parts)} were indexed", python_type="IndexError")
    out: list[Any] = []
    for part, n in zip(parts, shape, strict=False):
        if isinstance(part, Tensor) and part.data.ndim == 0:
            part = part.data[()]
        if isinstance(part, slice):
            out.append(part)
        elif isinstance(part, int | np.integer) and not isinstance(part, bool):
            i = int(part)
            out.append(min(max(i + n if i < 0 else i, 0), n - 1))
        else:
            kind = "float64" if isinstance(part, float | np.floating) else fn.describe(part)
            raise ArgumentError(f"Indexer must have integer or boolean type, got indexer with "
                                f"type {kind}", python_type="TypeError")
    return tuple(out) if isinstance(key, tuple) else out[0]


def _key_words(key: Any, name: str) -> tuple[np.ndarray, bool]:
    """The one key a sampler was given (two words) and whether it was typed."""
    if isinstance(key, Tensor) and key.data.dtype.kind in "iu":
        key = key_value(_uint32(key.data), typed=False)   # raw key data made by hand
    if not isinstance(key, Key):
        raise ArgumentError("JAX encountered invalid PRNG key data: expected key_data to have "
                            f"ndim, shape, and dtype attributes. Got {key!r}",
                            python_type="TypeError")
    if not key.typed and key.words.shape[-1:] != (2,):
        raise ArgumentError("JAX encountered invalid PRNG key data: expected key_data.shape to "
                            f"end with (2,); got shape={key.words.shape} for "
                            "impl=PRNGImpl(threefry2x32)", python_type="TypeError")
    if key.words.ndim != 1:
        shape = key.shape if key.typed else key.words.shape
        raise ArgumentError(f"{name} accepts a single key, but was given a key array of shape "
                            f"{shape} != (). Use jax.vmap for batching.",
                            python_type="ValueError")
    return key.words, key.typed


def _uint32(data: np.ndarray) -> np.ndarray:
    values = np.asarray(data, dtype=np.int64)
    if values.size and (values.min() < 0 or values.max() >= 2**32):
        raise ArgumentError("raw PRNG key data must be uint32 words", python_type="TypeError")
    return values.astype(U32)


def _integer(value: Any) -> int | None:
    """A whole number given as a Python int or a 0-d integer array; None for anything else."""
    if isinstance(value, Tensor) and value.data.ndim == 0 and value.data.dtype.kind in "iub":
        return int(value.data)
    if isinstance(value, bool | int | np.integer):
        return int(value)
    return None


def _whole(value: Any, what: str) -> int:
    """A seed (or fold_in's data): JAX's words when it is not one whole number."""
    n = _integer(value)
    if n is not None:
        return n
    if isinstance(value, Tensor) and value.data.ndim:
        raise ArgumentError(f"{what} accepts a scalar seed, but was given an array of shape "
                            f"{tuple(value.shape)} != (). Use jax.vmap for batching",
                            python_type="TypeError")
    raise ArgumentError(f"PRNG key seed must be an integer; got {_shown(value)}",
                        python_type="TypeError")


def _shown(value: Any) -> str:
    plain = isinstance(value, int | float | str | list | tuple | type(None))
    return repr(value) if plain and len(repr(value)) <= 200 else fn.describe(value)


def _shape(shape: Any, name: str) -> tuple[int, ...]:
    parts = (shape,) if fn.is_number(shape) or isinstance(shape, Tensor) else \
        tuple(shape) if isinstance(shape, tuple | list) else None
    dims = None if parts is None else [_integer(d) for d in parts]
    if dims is None or any(d is None for d in dims):
        raise ArgumentError("Shapes must be 1D sequences of concrete values of integer type, "
                            f"got {_shown(shape)}.", python_type="TypeError")
    return fn.sized(tuple(dims), f"jax.random.{name}")


def _numbers(value: Any) -> np.ndarray:
    """An array argument (logits) as float32: a Tensor, a number or a nested list of numbers."""
    if isinstance(value, Tensor):
        return np.asarray(value.data, dtype=np.float32)
    if fn.is_number(value) or isinstance(value, list | tuple):
        try:
            return np.asarray(fn.tensor(value).data, dtype=np.float32)
        except Exception:   # noqa: BLE001 - any value that is not numbers gets JAX's words
            pass
    raise _not_an_array(value)


def _not_an_array(value: Any) -> ArgumentError:
    try:
        kind = f" with dtype {np.asarray(value).dtype.str}"
    except Exception:   # noqa: BLE001 - a value NumPy cannot even hold
        kind = ""
    return ArgumentError(f"Value {_shown(value)}{kind} is not a valid JAX array type. Only "
                         "arrays of numeric types are supported by JAX.", python_type="TypeError")


# ---------------------------------------------------------------- keys


def key(seed: Any, impl: Any = None, dtype: Any = None) -> Key:
    return key_value(_seed(seed, "key"), typed=True)


def prng_key(seed: Any, impl: Any = None) -> Key:
    return key_value(_seed(seed, "PRNGKey"), typed=False)


def _seed(seed: Any, what: str) -> np.ndarray:
    if isinstance(seed, Key) and seed.typed:
        raise ArgumentError(f"{what} accepts a scalar seed, but was given a PRNG key.",
                            python_type="TypeError")
    n = _whole(seed, what)
    if not -(2**63) <= n < 2**63:
        raise ArgumentError("Python int too large to convert to C long",
                            python_type="OverflowError")
    return bits.seed_words(n)


def split(key: Any, num: Any = 2) -> Key:
    words, typed = _key_words(key, "split")
    shape = _shape(num, "split")
    fn.sized((*shape, 2), "jax.random.split")
    return key_value(bits.split(words, shape), typed)


def fold_in(key: Any, data: Any) -> Key:
    words, typed = _key_words(key, "fold_in")
    if isinstance(data, float):
        data = int(data)
    n = _whole(data, "fold_in")
    if not 0 <= n < 2**32:
        raise ArgumentError(f"Python integer {n} out of bounds for uint32",
                            python_type="OverflowError")
    return key_value(bits.fold_in(words, n), typed)


def key_data(keys: Any) -> Key:
    if not isinstance(keys, Key):
        return key_value(_key_words(keys, "key_data")[0], typed=False)
    return key_value(keys.words, typed=False)


def wrap_key_data(key_bits_array: Any, impl: Any = None, dtype: Any = None) -> Key:
    words = key_bits_array.words if isinstance(key_bits_array, Key) else \
        _uint32(key_bits_array.data) if isinstance(key_bits_array, Tensor) else None
    if words is None or words.shape[-1:] != (2,):
        raise ArgumentError("wrap_key_data takes uint32 key data whose last axis has size 2",
                            python_type="TypeError")
    return key_value(words, typed=True)


# ---------------------------------------------------------------- samplers


def _float_dtype(dtype: Any, name: str, what: str = "a float dtype") -> None:
    """float32, or float64 (JAX draws float32 while x64 is off); other floats are refused."""
    label = _dtype_name(dtype)
    if label in (None, "float", "float32", "float64"):
        return
    if label.startswith(("int", "uint", "bool")):
        raise ArgumentError(f"dtype argument to `{name}` must be {what}, got {label}",
                            python_type="ValueError")
    raise ArgumentError(f"jax.random.{name} with dtype {label} is not part of chainrule's "
                        "language (float32 only)")


def _dtype_name(dtype: Any) -> str | None:
    if dtype is None:
        return None
    if dtype is float or dtype is int or dtype is bool:
        return dtype.__name__
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None)
    if name is None and isinstance(dtype, str):
        name = dtype
    if name is None:
        raise ArgumentError(f"dtype must be a jnp dtype such as jnp.float32, got "
                            f"{fn.describe(dtype)}")
    return str(name)


def _f32_scalar(value: Any, what: str) -> np.float32:
    if isinstance(value, Tensor):
        if value.data.ndim:
            raise ArgumentError(f"jax.random.{what} with array bounds is not part of "
                                "chainrule's language (scalar bounds only)")
        value = value.data[()]
    if not fn.is_number(value):
        raise ArgumentError(f"{what}: bounds must be numbers, got {fn.describe(value)}")
    return np.float32(value)


def _draw(values: np.ndarray) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64))


def normal(key: Any, shape: Any = (), dtype: Any = None) -> Tensor:
    words, _ = _key_words(key, "normal")
    dims = _shape(shape, "normal")
    _float_dtype(dtype, "normal", "a float or complex dtype")
    return _draw(floats.normal(bits.bits32(words, dims)))


def uniform(key: Any, shape: Any = (), dtype: Any = None, minval: Any = 0.0,
            maxval: Any = 1.0) -> Tensor:
    words, _ = _key_words(key, "uniform")
    dims = _shape(shape, "uniform")
    _float_dtype(dtype, "uniform")
    lo, hi = _f32_scalar(minval, "uniform"), _f32_scalar(maxval, "uniform")
    return _draw(floats.uniform(bits.bits32(words, dims), lo, hi))


def bernoulli(key: Any, p: Any = 0.5, shape: Any = None) -> Tensor:
    words, _ = _key_words(key, "bernoulli")
    if isinstance(p, Tensor):
        if not p.is_float:
            raise ArgumentError("bernoulli probability `p` must have a floating dtype, got "
                                "int32.", python_type="TypeError")
        prob = np.asarray(p.data, dtype=np.float32)
    elif isinstance(p, float):
        prob = np.float32(p)
    elif isinstance(p, bool | int):
        raise ArgumentError("bernoulli probability `p` must have a floating dtype, got "
                            f"{'bool' if isinstance(p, bool) else 'int32'}.",
                            python_type="TypeError")
    else:
        raise ArgumentError(f"bernoulli: p must be a number, got {fn.describe(p)}")
    dims = tuple(np.shape(prob)) if shape is None else _shape(shape, "bernoulli")
    if shape is not None and np.shape(prob):
        _check_shape("bernoulli", dims, np.shape(prob))
    u = floats.uniform(bits.bits32(words, dims), np.float32(0), np.float32(1))
    return Tensor(u < prob)


def _float_sampler(name: str, transform: Any) -> Any:
    """A sampler of float32 draws from 32-bit draws: exponential, gumbel, laplace, logistic."""
    def sample(key: Any, shape: Any = (), dtype: Any = None, mode: Any = None) -> Tensor:
        words, _ = _key_words(key, name)
        dims = _shape(shape, name)
        _float_dtype(dtype, name)
        if mode not in (None, "low"):
            raise ArgumentError(f"jax.random.{name} with mode={mode!r} is not part of "
                                "chainrule's language (mode='low', JAX's default)")
        with np.errstate(divide="ignore", invalid="ignore"):
            return _draw(transform(bits.bits32(words, dims)))
    return sample


def truncated_normal(key: Any, lower: Any, upper: Any, shape: Any = None,
                     dtype: Any = None) -> Tensor:
    words, _ = _key_words(key, "truncated_normal")
    _float_dtype(dtype, "truncated_normal")
    lo = _f32_scalar(lower, "truncated_normal")
    hi = _f32_scalar(upper, "truncated_normal")
    dims = () if shape is None else _shape(shape, "truncated_normal")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _draw(floats.truncated_normal(bits.bits32(words, dims), lo, hi))


def categorical(key: Any, logits: Any, axis: Any = -1, shape: Any = None, replace: Any = True,
                mode: Any = None) -> Tensor:
    """JAX's Gumbel-max trick: argmax(gumbel + logits) along `axis`."""
    words, _ = _key_words(key, "categorical")
    if not replace or mode not in (None, "low"):
        raise ArgumentError("jax.random.categorical with replace=False or mode='high' is not "
                            "part of chainrule's language")
    scores = _numbers(logits)
    if scores.ndim == 0:
        raise ArgumentError("categorical: logits must have at least one axis",
                            python_type="ValueError")
    if _integer(axis) is None:
        raise ArgumentError("arrays used as indices must be of integer (or boolean) type",
                            python_type="IndexError")
    ax = _integer(axis) % scores.ndim
    batch = tuple(np.delete(scores.shape, ax))
    dims = batch if shape is None else _shape(shape, "categorical")
    if shape is not None:
        _check_shape("categorical", dims, batch)
    prefix = dims[:len(dims) - len(batch)]
    drawn = list(dims[len(prefix):])
    drawn.insert(ax, scores.shape[ax])
    noise_shape = fn.sized((*prefix, *drawn), "jax.random.categorical")
    with np.errstate(divide="ignore", invalid="ignore"):
        noisy = floats.gumbel(bits.bits32(words, noise_shape)) + scores
    return Tensor(np.argmax(noisy, axis=ax - scores.ndim))


def rademacher(key: Any, shape: Any = (), dtype: Any = None) -> Tensor:
    """-1 or 1: 2 * bernoulli(key, 0.5, shape) - 1, int32."""
    label = _dtype_name(dtype)
    if label not in (None, "int", "int32", "int64"):
        raise ArgumentError(f"jax.random.rademacher with dtype {label} is not part of "
                            "chainrule's language (int32 only)")
    heads = bernoulli(key, 0.5, () if shape == () else shape)
    return Tensor(2 * np.asarray(heads.data, dtype=np.int64) - 1)


def random_bits(key: Any, shape: Any = (), dtype: Any = None) -> Key:
    """jax.random.bits: uint32 draws (a raw uint32 array; x64 off, so uint32 is the default)."""
    words, _ = _key_words(key, "bits")
    if _dtype_name(dtype) not in (None, "uint32"):
        raise ArgumentError("jax.random.bits with a dtype other than uint32 is not part of "
                            "chainrule's language")
    return key_value(bits.bits32(words, _shape(shape, "bits")), typed=False)


def _check_shape(name: str, shape: tuple[int, ...], param: tuple[int, ...]) -> None:
    try:
        together = np.broadcast_shapes(shape, param)
    except ValueError:
        together = None
    if together != shape:
        raise ArgumentError(f"{name} parameter shapes must be broadcast-compatible with shape "
                            "argument, and the result of broadcasting the shapes must equal "
                            f"the shape argument, but got result {together} for shape "
                            f"argument {shape}.", python_type="ValueError")


def _int_bound(value: Any, what: str) -> int:
    if isinstance(value, Tensor) and value.data.ndim == 0:
        value = value.data[()]
        value = int(value) if float(value) == int(value) else value
    if isinstance(value, float) and value == int(value):
        value = int(value)   # JAX casts a float bound to int
    if not isinstance(value, int | np.integer):
        raise ArgumentError(f"jax.random.randint with {fn.describe(value)} as {what} is not "
                            "part of chainrule's language (whole numbers only)")
    if not INT32[0] <= int(value) <= INT32[1]:
        raise ArgumentError("An overflow was encountered while parsing an argument to a jitted "
                            f"computation, whose argument path is {what}. Got <class 'int'> "
                            f"with value {int(value)}", python_type="OverflowError")
    return int(value)


def _rem(x: np.ndarray, span: np.ndarray) -> np.ndarray:
    """XLA's unsigned remainder: x % 0 is x."""
    safe = np.where(span == 0, U32(1), span)
    return np.where(span == 0, x, x % safe)


def _randint_values(words: np.ndarray, dims: tuple[int, ...], lo: int, hi: int) -> np.ndarray:
    """JAX's randint: 64 random bits per value (two keys from a split), reduced modulo the span
    in uint32 arithmetic, as `2**32 * high + low` mod span."""
    k1, k2 = bits.split(words, (2,))
    higher, lower = bits.bits32(k1, dims), bits.bits32(k2, dims)
    span = U32(1) if hi <= lo else U32((hi - lo) % 2**32)
    span = np.full(dims, span, dtype=U32)
    with np.errstate(over="ignore"):
        multiplier = _rem(np.full(dims, U32(2**16), dtype=U32), span)
        multiplier = _rem(multiplier * multiplier, span)
        offset = _rem(_rem(higher, span) * multiplier + _rem(lower, span), span)
    return ((offset.astype(np.int64) + lo + 2**31) % 2**32) - 2**31   # int32 wrap-around


def randint(key: Any, shape: Any, minval: Any, maxval: Any, dtype: Any = None) -> Tensor:
    words, _ = _key_words(key, "randint")
    dims = _shape(shape, "randint")
    label = _dtype_name(dtype)
    if label is not None and label.startswith(("float", "bool", "complex")):
        raise ArgumentError(f"randint only accepts integer dtypes, got {label}",
                            python_type="TypeError")
    if label not in (None, "int", "int32", "int64"):
        raise ArgumentError(f"jax.random.randint with dtype {label} is not part of chainrule's "
                            "language (int32 only)")
    lo, hi = _int_bound(minval, "minval"), _int_bound(maxval, "maxval")
    return Tensor(_randint_values(words, dims, lo, hi))


def _shuffled_order(words: np.ndarray, n: int) -> np.ndarray:
    """JAX's shuffle of range(n): rounds of a stable sort by fresh 32-bit draws, as many rounds
    as make collisions unlikely (3 ln n / ln(2**32 - 1), rounded up)."""
    order = np.arange(n)
    rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(2**32 - 1)))
    for _ in range(rounds):
        words, sub = bits.split(words, (2,))
        order = order[np.argsort(bits.bits32(sub, (n,)), kind="stable")]
    return order


def permutation(key: Any, x: Any, axis: Any = 0, independent: Any = False) -> Tensor:
    words, _ = _key_words(key, "permutation")
    if isinstance(x, Tensor) and x.data.ndim:
        if _integer(axis) != 0 or (independent and x.data.ndim > 1):
            raise ArgumentError("jax.random.permutation along an axis other than 0 is not part "
                                "of chainrule's language")
        return _take(x, _shuffled_order(words, x.shape[0]))
    if isinstance(x, Tensor):
        x = x.data[()]
    if isinstance(x, float) or not fn.is_number(x):
        raise ArgumentError("x must be an integer or at least 1-dimensional",
                            python_type="TypeError")
    n = int(x)
    fn.sized((n,), "jax.random.permutation")
    return Tensor(_shuffled_order(words, n))


def choice(key: Any, a: Any, shape: Any = (), replace: Any = True, p: Any = None,
           axis: Any = 0) -> Tensor:
    words, _ = _key_words(key, "choice")
    if not isinstance(shape, tuple | list):
        raise ArgumentError(f"shape argument of jax.random.choice must be a sequence, got "
                            f"{shape!r}", python_type="TypeError")
    if p is not None or _integer(axis) != 0:
        raise ArgumentError("jax.random.choice with p= or axis= is not part of chainrule's "
                            "language")
    dims = _shape(shape, "choice")
    array = a if isinstance(a, Tensor) and a.data.ndim else None
    n = array.shape[0] if array is not None else _integer(a)
    if n is None:
        raise _not_an_array(a)
    draws = math.prod(dims)
    if draws == 0:
        return Tensor(np.zeros(dims, dtype=np.int64))
    if n <= 0:
        raise ArgumentError("a must be greater than 0 unless no samples are taken",
                            python_type="ValueError")
    if not replace and draws > n:
        raise ArgumentError(f"Cannot take a larger sample (size {draws}) than population "
                            f"(size {n}) when 'replace=False'", python_type="ValueError")
    if replace:
        picked = _randint_values(words, dims, 0, n).reshape(-1)
    else:
        fn.sized((n,), "jax.random.choice")
        picked = _shuffled_order(words, n)[:draws]
    if array is None:
        return Tensor(picked.reshape(dims))
    return fn.reshape(_take(array, picked), *dims, *array.shape[1:])


def _take(x: Tensor, rows: np.ndarray) -> Tensor:
    """x's rows in the order `rows` gives (a gather: its gradient goes back to those rows)."""
    taken = apply(OPS["index"], (x,), key=np.asarray(rows, dtype=np.int64))
    taken.dtype_name = x.dtype_name
    return taken


# ---------------------------------------------------------------- the module


def _function(name: str, impl: Any) -> ns.Function:
    return ns.Function(f"jax.random.{name}", impl, "function")


RANDOM = ns.Module("jax.random", {name: _function(name, impl) for name, impl in {
    "key": key, "PRNGKey": prng_key, "split": split, "fold_in": fold_in,
    "key_data": key_data, "wrap_key_data": wrap_key_data,
    "normal": normal, "uniform": uniform, "bernoulli": bernoulli, "randint": randint,
    "permutation": permutation, "choice": choice, "categorical": categorical,
    "rademacher": rademacher, "bits": random_bits, "truncated_normal": truncated_normal,
    **{name: _float_sampler(name, getattr(floats, name))
       for name in ("exponential", "gumbel", "laplace", "logistic")},
}.items()})
