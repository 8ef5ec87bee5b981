"""Property-based fuzzing of the interpreter and the trace (issue #5): programs written from the
language's grammar, and the gallery's examples mutated token by token, never crash, never
produce JSON that `json.dumps(allow_nan=False)` rejects, and finish within the time limit.
See invariants.check for the exact properties, and grammar.py for what is generated."""

from __future__ import annotations

import pytest
from grammar import EXAMPLES, inputs, mutated_examples, programs, tokens, torchless_programs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import budget, check

FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.filter_too_much,
                                                   HealthCheck.data_too_large],
            derandomize=False)


@settings(max_examples=budget(0.45), **FUZZ)
@given(st.one_of(programs(), programs(), programs(), torchless_programs()), inputs(),
       st.integers(0, 2**64 - 1))
def test_grammar_programs_keep_every_invariant(source: str, values: dict, seed: int) -> None:
    check(source, values, seed)


@settings(max_examples=budget(0.35), **FUZZ)
@given(mutated_examples(), inputs())
def test_mutated_examples_keep_every_invariant(source: str, values: dict) -> None:
    check(source, values)


@pytest.mark.parametrize("stem", sorted(EXAMPLES))
def test_the_examples_themselves_run_clean(stem: str) -> None:
    """The mutation seeds: every example traces without error (06 fails as PyTorch does)."""
    trace = check(EXAMPLES[stem])
    assert trace is not None
    assert trace["error"] is None or stem == "06_non_scalar_backward", trace["error"]


def test_tokens_round_trip() -> None:
    for source in EXAMPLES.values():
        assert "".join(tokens(source)) == source


def test_the_grammar_reaches_deep_into_the_engine() -> None:
    """A generator that only produced refusals or first-line errors would prove nothing: over
    150 (derandomized) programs, most run, many without error, some record several ops, and
    together they run backward passes and hit runtime errors."""
    examples: list[str] = []

    @settings(max_examples=150, database=None, **{**FUZZ, "derandomize": True})
    @given(programs())
    def sample(source: str) -> None:
        examples.append(source)
    sample()
    traces = [t for t in (check(src, {"x": 0.5}) for src in examples) if t is not None]
    ops = [sum(n["kind"] == "op" for n in t["nodes"]) for t in traces]
    clean = sum(t["error"] is None for t in traces)
    backward = sum(t["backward_start"] is not None for t in traces)
    stats = (len(examples), len(traces), clean, sum(ops), max(ops), backward)
    assert len(traces) >= 0.8 * len(examples), stats
    assert clean >= 20 and sum(ops) >= 50 and max(ops) >= 5 and backward >= 20, stats
    assert clean < len(traces), stats   # and some end in runtime errors


# Programs the fuzzers found, kept as regression seeds (each ran into an internal error).
FOUND = [
    "a = torch.arange(0, 1e308, -1)",                 # NumPy: Maximum allowed size exceeded
    "a = torch.arange(1e308, -1e308, -1e300)",        # OverflowError: float inf to integer
    "a = torch.ones(2, 3)\nb = a.shape[::0]",          # ValueError: slice step cannot be zero
    "a = torch.sum(torch.ones(2, 3), dim=True)",      # TypeError from NumPy (fixed in e2dde55)
    "a = torch.ones(" + ", ".join(["1"] * 65) + ")",  # NumPy: at most 64 dimensions
    "a = torch.zeros(0, 10**18, 10**18)",             # NumPy: array is too big
]


@pytest.mark.parametrize("body", FOUND)
def test_programs_the_fuzzers_found(body: str) -> None:
    trace = check("import torch\n" + body + "\n")
    assert trace is not None and trace["error"] is not None


@pytest.mark.parametrize("reset, shown", [("None", None), ("torch.tensor(5.0)", 5.0)])
def test_resetting_a_leafs_grad_after_its_own_backward(reset: str, shown: float | None) -> None:
    """The fuzzer found it: the trace read `a.grad` when it was built, after the program ran
    (None: AttributeError). The graph shows what backward computed (d a / d a = 1); the
    variable shows `a.grad` as the program left it, as PyTorch's `.grad` would."""
    trace = check("import torch\na = torch.randn((), requires_grad=True)\na.backward()\n"
                  f"a.grad = {reset}\n")
    assert trace is not None and trace["error"] is None
    node = trace["variables"]["a"]["node"]
    grads = {n["id"]: n["grad"] for n in trace["nodes"]}
    assert grads[node]["data"] == 1.0
    assert trace["variables"]["a"]["grad"] == shown
