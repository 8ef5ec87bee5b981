"""Errors a learner sees. Each carries a kind and, where known, the source position."""

from __future__ import annotations


class ChainruleError(Exception):
    """Base class: `kind` groups errors for the page; `line`/`col` are 1-based.

    `python_type` is the Python exception class a learner's `try/except` sees (PyTorch raises
    RuntimeError for most autograd problems, Python raises TypeError, NameError...); a raise
    site may name another one (`ArgumentError(msg, python_type="ValueError")`). `catchable`
    is False for errors a program must never swallow (limits, refusals, engine bugs)."""

    kind = "error"
    python_type = "RuntimeError"
    catchable = True

    def __init__(self, message: str, line: int | None = None, col: int | None = None,
                 end_line: int | None = None, end_col: int | None = None, *,
                 python_type: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line, self.col, self.end_line, self.end_col = line, col, end_line, end_col
        if python_type is not None:
            self.python_type = python_type

    def at(self, span: tuple[int, int, int, int] | None) -> ChainruleError:
        """Attach a source span unless one is already set; returns self for `raise e.at(span)`."""
        if span is not None and self.line is None:
            self.line, self.col, self.end_line, self.end_col = span
        return self

    def to_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "line": self.line, "col": self.col,
                "end_line": self.end_line, "end_col": self.end_col}


class RefusedError(ChainruleError):
    """The program is refused before it runs (syntax, construct outside the language): HTTP 400."""

    kind = "refused"
    catchable = False


class SyntaxProblem(RefusedError):
    kind = "syntax"


class LimitError(ChainruleError):
    """A resource limit was hit (ops, elements, time)."""

    kind = "limit"
    catchable = False


class RuntimeProblem(ChainruleError):
    """Raised while running, where PyTorch would raise: the graph so far is still returned."""

    kind = "runtime"


class ShapeError(RuntimeProblem):
    kind = "shape"


class BackwardError(RuntimeProblem):
    kind = "backward"


class NameProblem(RuntimeProblem):
    kind = "name"
    python_type = "NameError"


class ArgumentError(RuntimeProblem):
    kind = "argument"
    python_type = "TypeError"
