"""The corpus comparator must tell a match from a difference (hand-made outcomes, PyTorch's own
print formats as the expected text)."""

from __future__ import annotations

from tests.corpus.compare import differences, same_line


def run(stdout="", error=None, variables=None):
    return {"stdout": stdout, "error": error, "variables": variables or {}}


def tvar(shape, values, requires_grad=False, grad=None):
    return {"shape": shape, "dtype": "float32", "requires_grad": requires_grad, "values": values,
            "grad": grad, "has_grad": grad is not None}


def cvar(shape, data, requires_grad=False, grad=None):
    return {"shape": shape, "data": data, "requires_grad": requires_grad, "grad": grad}


def test_printed_numbers_compare_as_numbers_in_the_same_format():
    assert same_line("tensor([1., 2.])", "tensor([1., 2.])")
    assert not same_line("tensor([1., 2.])", "tensor([1.0000, 2.0000])")
    assert not same_line("tensor([1., 2.])", "tensor([1., 3.])")
    assert same_line("tensor([0.3333])", "tensor([0.3334])")        # rounding of a tie
    assert not same_line("tensor([0.3333])", "tensor([0.3336])")
    assert same_line("0.6931471824645996", "0.6931471805599453")    # float32 vs float64 .item()
    assert not same_line("tensor(2.)", "tensor(2.) ")
    assert not same_line("<AddBackward0 object at 0x7f01>", "<AddBackward0>")
    assert same_line("<AddBackward0 object at 0x7f01>", "<AddBackward0 object at 0x55aa>")
    assert not same_line("AddBackward0", "AddBackward1")


def test_random_snippets_compare_the_printed_text_with_numbers_masked():
    assert same_line("tensor([-0.1234,  1.5000])", "tensor([ 0.5000, -2.1000])", random=True)
    assert not same_line("tensor([0.1], requires_grad=True)", "tensor([0.1])", random=True)


def test_errors_values_and_grads():
    ok = run("x\n", None, {"x": tvar([2], [1.0, 2.0], True, [3.0, 4.0])})
    same = run("x\n", None, {"x": cvar([2], [1.0, 2.0], True, [3.0, 4.0])})
    assert differences(ok, same) == []
    bad_grad = run("x\n", None, {"x": cvar([2], [1.0, 2.0], True, [3.0, 4.1])})
    assert differences(ok, bad_grad)
    assert differences(ok, bad_grad, random=True) == []
    no_grad = run("x\n", None, {"x": cvar([2], [1.0, 2.0], True, None)})
    assert differences(ok, no_grad, random=True)
    assert differences(ok, run("x\n", None, {}))
    assert differences(ok, {"refused": "while loops are not part of chainrule's language"})
    err = {"type": "RuntimeError", "message": "a leaf Variable that requires grad is being used "
           "in an in-place operation."}
    assert differences(run(error=err), run(error={"kind": "runtime", "message": err["message"]})) \
        == []
    assert differences(run(error=err), run(error={"kind": "runtime", "message": "other"}))
    assert differences(run(error=err), run())
