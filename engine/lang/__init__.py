"""The safe interpreter of chainrule's snippet language (`../shared/language.md`).

A whitelisted walk over Python's `ast`: never `eval`/`exec`/`compile` to code, never `getattr`
with a user's string (names resolve through the tables in `engine/namespace.py`).

    check_program(source, limits) -> ast.Module      refuses (RefusedError/SyntaxProblem, with
                                                      line and column) before anything runs
    run_program(source, inputs, seed, limits) -> ProgramResult
                                                      raises RefusedError for refused programs and
                                                      nothing else: runtime errors are returned

Runtime errors stop the program; the result keeps everything recorded up to them. An engine bug
(a Python exception that is not a ChainruleError) is returned as an `InternalProblem` (kind
"internal") and logged on the "chainrule.lang" logger: tests treat that kind as a failure.

Two kinds of program (design.md). A typed expression (no framework used, e.g.
`x**2 + sin(x*y)`): names never assigned are free variables, and when the program ends without
error and never called `backward()`, the last assignment whose value was a tensor that requires
grad is treated as if followed by `out.backward()`, inside that assignment's span. A framework
program (uses torch, nn, F, np…): Python's rules, nothing added — its backward is only offered
(`offer_backward`: the name of its last scalar tensor that requires grad), and the usual imports
it leaves out are assumed, with a note. `backward_calls` counts the program's own `backward()`
and `torch.autograd.grad` calls (attempted, including ones that failed), not the implicit one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from chainrule.engine import dialects
from chainrule.engine.backward import backward
from chainrule.engine.errors import ArgumentError, ChainruleError, RefusedError
from chainrule.engine.lang.check import Positions, RefusedLimit, check_source
from chainrule.engine.lang.interpreter import InternalProblem, Interpreter, internal
from chainrule.engine.limits import Limits
from chainrule.engine.random.state import ProgramRandom
from chainrule.engine.tensor import Tape, at_span, recording

__all__ = ["InternalProblem", "Positions", "ProgramResult", "RefusedLimit", "check_program",
           "run_program"]


@dataclass
class ProgramResult:
    tape: Tape
    variables: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    error: ChainruleError | None = None
    free_variables: dict[str, float] = field(default_factory=dict)
    implicit_backward: bool = False
    backward_calls: int = 0
    framework: bool = False
    offer_backward: str | None = None
    notes: list[str] = field(default_factory=list)


def check_program(source: str, limits: Limits) -> ast.Module:
    """Parse and check `source`; raise RefusedError/SyntaxProblem (with line, col) if refused."""
    return check_source(source, limits).tree


def run_program(source: str, inputs: dict[str, float] | None = None, seed: int = 0,
                limits: Limits | None = None, tape: Tape | None = None) -> ProgramResult:
    """`tape`: the tape to record on (engine/fd_check.py passes one that moves a leaf)."""
    limits = limits if limits is not None else Limits()
    try:
        checked = check_source(source, limits)
    except RefusedError:
        raise
    except Exception as e:  # a bug in the checker: report it, never raise it
        return ProgramResult(tape=Tape(limits=limits), error=internal(e))
    tape = tape if tape is not None else Tape(limits=limits)
    result = ProgramResult(tape=tape)
    try:
        tape.rng = ProgramRandom(_seed(seed))
        tape.request_seed = _seed(seed)   # Python's `random`, unseeded (engine/python_random)
        interp = Interpreter(checked, tape, dict(inputs or {}))
        result.framework = checked.info.framework
        with recording(tape), dialects.speaking(checked.info.dialect):
            error = interp.run()
            if error is None and interp.backward_calls == 0:
                if checked.info.framework:
                    result.offer_backward = interp.offered_backward()
                else:
                    root = interp.implicit_root()
                    if root is not None:
                        result.implicit_backward = True
                        error = _implicit_backward(*root)
        result.notes = list(interp.notes) + list(tape.dialect_notes)
        result.variables = interp.variables()
        result.stdout = "".join(interp.stdout)
        result.free_variables = dict(interp.free_values)
        result.backward_calls = interp.backward_calls
        result.error = error
    except ChainruleError as e:
        result.error = e
    except Exception as e:  # an engine bug outside any statement: never escape
        result.error = internal(e)
    return result


def _implicit_backward(root: Any, span: Any) -> ChainruleError | None:
    try:
        with at_span(span):
            backward(root, implicit=True)
    except ChainruleError as e:
        return e.at(span)
    except Exception as e:
        return internal(e).at(span)
    return None


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ArgumentError(f"seed must be a whole number, got {seed!r}")
    return int(seed) & 0xFFFFFFFFFFFFFFFF
