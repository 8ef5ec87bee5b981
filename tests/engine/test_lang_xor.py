"""`^` is Python's exclusive or (ints, bools) and PyTorch's bitwise_xor (int/bool tensors);
in a typed expression with free variables, `x^2` means a power and is refused with the hint."""

from __future__ import annotations

import pytest
import torch
from chainrule.engine.errors import RefusedError
from chainrule.engine.lang import run_program


def _stdout(source: str) -> str:
    result = run_program(source)
    assert result.error is None, result.error
    return result.stdout


@pytest.mark.parametrize("expr", ["2 ^ 3", "True ^ False", "True ^ True", "7 ^ -2", "5 ^ True"])
def test_numbers_xor_as_python_does(expr: str) -> None:
    oracle = {"2 ^ 3": 2 ^ 3, "True ^ False": True ^ False, "True ^ True": True ^ True,
              "7 ^ -2": 7 ^ -2, "5 ^ True": 5 ^ True}[expr]
    assert _stdout(f"print({expr})") == f"{oracle}\n"


def test_int_and_bool_tensors_xor_as_pytorch_does() -> None:
    a, b = torch.tensor([1, 2, 3]), torch.tensor([3, 2, 1])
    p, q = torch.tensor([True, False]), torch.tensor([True, True])
    c = a.clone()
    c ^= b
    expected = f"{a ^ b}\n{p ^ q}\n{c}\n"
    assert _stdout("import torch\na = torch.tensor([1, 2, 3])\nb = torch.tensor([3, 2, 1])\n"
                   "p = torch.tensor([True, False])\nq = torch.tensor([True, True])\n"
                   "print(a ^ b)\nprint(p ^ q)\na ^= b\nprint(a)\n") == expected


def test_float_tensors_get_pytorchs_error() -> None:
    with pytest.raises(RuntimeError) as oracle:
        torch.tensor([1.0]) ^ torch.tensor([1.0])
    result = run_program("import torch\nx = torch.tensor([1.0])\ny = x ^ x\n")
    assert result.error is not None and str(oracle.value) in str(result.error)


@pytest.mark.parametrize("source", ["x^2 + sin(x*y)", "y = x\ny ^= 2\n"])
def test_a_typed_expression_caret_is_a_power_typo(source: str) -> None:
    with pytest.raises(RefusedError) as refused:
        run_program(source)
    assert "for powers write **" in str(refused.value)
    assert refused.value.line == 1 or refused.value.line == 2
