"""chainrule's `jax.random` against the installed JAX (the oracle, imported here only): the same
keys, bits and draws, compared bit for bit (float32 bit patterns, not to a tolerance: the floats
are made by the same float32 operations, fused-multiply-adds where XLA's CPU kernel fuses, so
any difference is a bug), and the same printed text and error messages in programs."""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction

import numpy as np
import pytest
from chainrule.engine.dialects import jax_random_bits as rb
from chainrule.engine.dialects import jax_random_floats as rf
from chainrule.engine.trace import trace_program

jax = pytest.importorskip("jax")
random = jax.random

# What chainrule reproduces: JAX's defaults. Another test module may have changed them in this
# process (tests/engine/test_forward_mode_tangents.py turns x64 on at import), so each test here
# runs with them and puts back what it found.
DEFAULTS = {"jax_enable_x64": False, "jax_threefry_partitionable": True,
            "jax_default_prng_impl": "threefry2x32"}


@pytest.fixture(autouse=True)
def _jax_defaults():
    found = {name: getattr(jax.config, name) for name in DEFAULTS}
    for name, value in DEFAULTS.items():
        jax.config.update(name, value)
    yield
    for name, value in found.items():
        jax.config.update(name, value)


SEEDS = [0, 1, 2, 3, 7, 42, 1234, 2**31 - 1, 2**32 - 1, -1, -2**31, 2**40 + 5]
SHAPES = [(), (1,), (3,), (7,), (8,), (9,), (3, 4), (2, 3, 5)]


def _bits_equal(ours: np.ndarray, theirs) -> bool:
    theirs = np.asarray(theirs)
    return ours.shape == theirs.shape and ours.dtype.itemsize == theirs.dtype.itemsize and \
        np.array_equal(np.ascontiguousarray(ours).view(np.uint32),
                       np.ascontiguousarray(theirs).view(np.uint32))


def _jax_stdout(source: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, {})   # the oracle is the real framework, by design
    return out.getvalue()


def _ours(source: str) -> str:
    t = trace_program(source)
    assert t.error is None, t.error
    return t.stdout


# ---------------------------------------------------------------- keys and bits


def test_key_data_from_seeds_as_jax():
    for seed in SEEDS:
        assert _bits_equal(rb.seed_words(seed), random.key_data(random.key(seed))), seed


@pytest.mark.parametrize("shape", SHAPES)
def test_random_bits_as_jax(shape):
    for seed in SEEDS:
        assert _bits_equal(rb.bits32(rb.seed_words(seed), shape),
                           random.bits(random.key(seed), shape)), seed


def test_split_and_fold_in_chains_as_jax():
    """A chain of splits (into 2, 3, a (2, 2) grid, 1 and 0 keys) and fold_ins, each step from
    the last key of the one before."""
    ours, theirs = rb.seed_words(5), random.key(5)
    steps = [2, 3, (2, 2), "fold 7", 1, "fold 4294967295", 2, "fold 0", (3, 1), 0]
    for step in steps:
        if isinstance(step, str):
            data = int(step.split()[1])
            ours, theirs = rb.fold_in(ours, data), random.fold_in(theirs, data)
        else:
            shape = step if isinstance(step, tuple) else (step,)
            all_ours, all_theirs = rb.split(ours, shape), random.split(theirs, step)
            assert _bits_equal(all_ours, random.key_data(all_theirs)), step
            if not all_ours.size:
                break
            ours, theirs = all_ours.reshape(-1, 2)[-1], all_theirs.reshape(-1)[-1]
        assert _bits_equal(ours, random.key_data(theirs)), step


# ---------------------------------------------------------------- floats


def _fma_by_fractions(a: np.float32, b: np.float32, c: np.float32) -> np.float32:
    """a*b + c rounded once to float32 (ties to even), from exact rational arithmetic."""
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    guess = np.float32(float(exact))
    inf = np.float32(np.inf)
    near = [np.nextafter(guess, -inf), guess, np.nextafter(guess, inf)]
    return min(near, key=lambda r: (abs(Fraction(float(r)) - exact), int(r.view(np.uint32)) & 1))


def test_fma_rounds_once():
    """Rounding the float64 sum to float32 again would be wrong where it lands on a float32
    midpoint: (1 + 2**-23) * (1 - 2**-23) * 2**-24 + (1 + 2**-23) is just below the midpoint
    1 + 1.5 * 2**-23, whose tie goes up to 1 + 2**-22."""
    one_up = np.float32(1 + 2**-23)
    a, b = np.array([one_up]), np.array([np.float32((1 - 2**-23) * 2**-24)])
    assert rf._fma(a, b, np.array([one_up]))[0] == one_up
    rng = np.random.default_rng(0)
    a = rng.standard_normal(4000).astype(np.float32)
    b = (rng.standard_normal(4000) * 2.0 ** rng.integers(-30, 0, 4000)).astype(np.float32)
    c = rng.standard_normal(4000).astype(np.float32)
    got = rf._fma(a, b, c)
    assert all(got[i] == _fma_by_fractions(a[i], b[i], c[i]) for i in range(4000))


@pytest.mark.parametrize("shape", [(), (3,), (7,), (30, 40), (2, 3, 4)])
def test_normal_bit_for_bit(shape):
    for seed in SEEDS:
        words = rb.seed_words(seed)
        assert _bits_equal(rf.normal(rb.bits32(words, shape)),
                           random.normal(random.key(seed), shape)), seed


def test_normal_tails_bit_for_bit():
    """100,000 draws: about 340 in erfinv's tail polynomial (|u| > 0.9966, w >= 5) and many in
    both branches of log1p (|u*u| below and above sqrt(2) - 1)."""
    for seed in (0, 11):
        ours = rf.normal(rb.bits32(rb.seed_words(seed), (100_000,)))
        assert np.sum(np.abs(ours) > 2.93) > 100   # the tail branch is exercised
        assert _bits_equal(ours, random.normal(random.key(seed), (100_000,)))


def test_erfinv_over_a_grid_of_every_uniform_value():
    """Every 64th of the 2**23 values normal's uniform can take, through XLA's erf_inv."""
    mantissas = np.arange(0, 2**23, 64, dtype=np.uint32) << np.uint32(9)
    u = rf.uniform(mantissas, np.nextafter(np.float32(-1), np.float32(0)), np.float32(1))
    theirs = jax.jit(lambda x: jax.lax.erf_inv(x) * np.float32(np.sqrt(2)))(u)
    assert _bits_equal(rf.normal(mantissas), theirs)


@pytest.mark.parametrize("bounds", [(0.0, 1.0), (-1.0, 1.0), (-3.5, 2.25), (0.1, 0.7),
                                    (-1e3, 1e-3), (5.0, 5.0), (2.0, -1.0)])
def test_uniform_bit_for_bit(bounds):
    lo, hi = bounds
    for seed in SEEDS:
        for shape in ((), (9,), (3, 4)):
            ours = rf.uniform(rb.bits32(rb.seed_words(seed), shape), np.float32(lo),
                              np.float32(hi))
            theirs = random.uniform(random.key(seed), shape, minval=lo, maxval=hi)
            assert _bits_equal(ours, theirs), (seed, shape)


@pytest.mark.parametrize("name", ["exponential", "gumbel", "laplace", "logistic"])
def test_log_based_samplers_bit_for_bit(name):
    """XLA's float32 log and log1p (Cephes, as its CPU kernels compute them) under JAX's
    compositions; 50,000 draws reach both log1p branches and the far tails."""
    for seed in SEEDS[:6]:
        for shape in ((), (7,), (50_000,)):
            with np.errstate(divide="ignore", invalid="ignore"):
                ours = getattr(rf, name)(rb.bits32(rb.seed_words(seed), shape))
            assert _bits_equal(ours, getattr(random, name)(random.key(seed), shape)), seed


@pytest.mark.parametrize("bounds", [(-1.5, 2.0), (-2.0, 2.0), (0.0, 1.0), (-0.3, 0.1),
                                    (-5.0, 5.0), (1.0, 4.0), (-10.0, -2.0), (3.9, 6.0)])
def test_truncated_normal_bit_for_bit(bounds):
    """XLA's float32 erf of the bounds (inside and beyond its clamp at 3.7439213), the uniform
    between, erfinv, and the clip just inside the bounds."""
    lo, hi = (np.float32(b) for b in bounds)
    for seed in SEEDS[:6]:
        for shape in ((), (5,), (20_000,)):
            ours = rf.truncated_normal(rb.bits32(rb.seed_words(seed), shape), lo, hi)
            theirs = random.truncated_normal(random.key(seed), bounds[0], bounds[1], shape)
            assert _bits_equal(ours, theirs), seed


# ---------------------------------------------------------------- programs


PROGRAM = """
import jax
import jax.numpy as jnp
from jax import random
key = random.key(0)
print(key)
print(repr(key))
key, W_key, b_key = random.split(key, 3)
print(W_key)
print(random.normal(W_key, (3,)), random.normal(b_key, ()))
print(repr(random.normal(W_key, (2, 3))))
ks = random.split(key, 4)
print(ks)
print(ks[1:], ks[-1], ks[9])
print(ks.shape, ks[0].shape, len(ks), ks.dtype)
print(random.split(key, (2, 2)))
for k in random.split(key, 2):
    print(random.normal(k))
k2 = random.PRNGKey(7)
print(k2, repr(k2))
a, b = random.split(k2)
print(a, repr(b))
print(random.split(k2, 3))
print(random.normal(k2, (4,)))
print(random.uniform(a, (2, 3), minval=-2.0, maxval=5.0))
print(random.uniform(a, (2,), jnp.float32))
print(random.fold_in(key, 3), random.fold_in(k2, 2**32 - 1))
print(random.key_data(ks))
print(random.bernoulli(key, 0.3, (6,)))
print(random.bernoulli(key, jnp.array([0.1, 0.5, 0.9])))
print(random.randint(key, (6,), -3, 100))
print(random.randint(key, (2, 3), 0, 2**31 - 1))
print(random.randint(key, (4,), 5, 2))
print(random.randint(key, (5,), -2**31, 2**31 - 1))
print(random.permutation(key, 8))
print(random.permutation(key, jnp.array([1., 2., 3., 4.])))
print(random.choice(key, 10, (4,)))
print(random.choice(key, 10, (2, 2), replace=False))
print(random.choice(key, jnp.array([1., 2., 3.]), (2,)))
print(random.normal(random.key(2**31 - 1), (2,)), random.normal(random.key(-1)))
print(k2.dtype, repr(k2.dtype), ks.dtype, repr(ks.dtype), k2.shape, k2[1], f"{k2} {ks[0]}")
print(jax.vmap(lambda k: random.normal(k, (2,)))(random.split(key, 3)))
print(jax.vmap(random.uniform)(random.split(k2, 2)))
print(jax.jit(lambda k: random.uniform(k))(k2))
print(random.exponential(key, (4,)), random.gumbel(key, (2, 2)))
print(random.laplace(key, (3,)), random.logistic(k2))
logits = jnp.array([[0.1, 2.0, -1.0], [1.5, 0.2, 0.3]])
print(random.categorical(key, logits), random.categorical(key, logits, axis=0))
print(random.categorical(key, logits, shape=(4, 2)))
print(random.categorical(k2, jnp.array([0.2, 0.3, 0.5]), shape=(6,)))
print(random.rademacher(key, (6,)), repr(random.bits(key, (3,))), random.bits(k2))
print(random.truncated_normal(key, -1.0, 2.5, (4,)), random.truncated_normal(k2, 0, 1))
"""


def test_program_prints_what_jax_prints():
    assert _ours(PROGRAM) == _jax_stdout(PROGRAM)


ERRORS = [
    "random.normal(random.split(random.key(0)), (3,))",
    "random.split(random.split(random.key(0)))",
    "random.normal(0, (3,))",
    "random.key(jnp.array([1, 2]))",
    "random.key(1.5)",
    "random.key(random.key(0))",
    "random.split(random.key(0))[0][0]",
    "random.split(random.key(0), 3)[0, 0]",
    "random.split(random.key(0), 3)[1.5]",
    "jax.vmap(random.normal)(random.key(0))",
    "random.normal(random.key(0), (2, 'x'))",
    "random.choice(random.key(0), 'a')",
    "random.categorical(random.key(0), 'a')",
    "random.fold_in(random.key(0), -3)",
    "random.fold_in(random.key(0), 2**33)",
    "random.normal(random.key(0), (2,), jnp.int32)",
    "random.uniform(random.key(0), (2,), jnp.int32)",
    "random.bernoulli(random.key(0), 1, (2,))",
    "random.randint(random.key(0), (2,), 0, 3, jnp.float32)",
    "random.choice(random.key(0), 0, (2,))",
    "random.choice(random.key(0), 3, (5,), replace=False)",
    "random.choice(random.key(0), 3, 5)",
    "random.permutation(random.key(0), 2.5)",
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_in_jax_words(call):
    source = "import jax\nimport jax.numpy as jnp\nfrom jax import random\ntry:\n" + \
        f"    {call}\n" + "".join(f"except {kind} as e:\n    print('{kind}', e)\n" for kind in
                                 ("TypeError", "ValueError", "OverflowError", "IndexError"))
    theirs = _jax_stdout(source).strip()
    t = trace_program(source)
    assert t.error is None, t.error
    kind, _, message = theirs.partition(" ")
    ours_kind, _, ours_message = t.stdout.strip().partition(" ")
    assert ours_kind == kind
    assert message.split(". Got ")[0].split("; got ")[0] in ours_message


@pytest.mark.parametrize("call", ["random.normal(random.key(0), (10**9,))",
                                  "random.split(random.key(0), 10**8)",
                                  "random.uniform(random.key(0), (10**5, 10**5))",
                                  "random.permutation(random.key(0), 10**12)",
                                  "random.normal(random.key(0), (-1,))"])
def test_huge_or_bad_shapes_are_refused_in_words(call):
    t = trace_program(f"import jax\nfrom jax import random\nx = {call}\n")
    assert t.error is not None
    assert "limit" in t.error["message"] or "non-negative" in t.error["message"]


@pytest.mark.parametrize("call", [
    "random.normal(k, None)", "random.uniform(k, 2.5)", "random.split(k, k)",
    "random.categorical(k, jnp.ones(3), axis='x')", "random.categorical(k, {})",
    "random.categorical(k, [1, 'x'])", "random.choice(k, 5, (2,), axis='a')",
    "random.permutation(k, jnp.ones(3), axis=None)", "random.key_data(jnp.array([1, 2]))",
    "random.normal(k, (2,), 'float16')", "random.uniform(k, (2,), minval=jnp.ones(2))",
    "random.bits(k, (2,), 'uint8')", "random.gumbel(k, (2,), mode='high')",
    "ks + 1", "jnp.sum(ks)", "float(k)", "len(set([k, k]))",
])
def test_odd_arguments_never_crash_the_engine(call):
    """Whatever a program passes, an answer in words (a value or a clear error), never an
    engine exception (found by running every function with every kind of odd argument)."""
    source = ("import jax\nimport jax.numpy as jnp\nfrom jax import random\nk = random.key(0)\n"
              f"ks = random.split(k)\nx = {call}\nprint(x)\n")
    t = trace_program(source)
    assert t.error is None or "internal error" not in t.error["message"], t.error
