"""One boundary violation, printed as `file:line:col CODE message`."""

from __future__ import annotations

from dataclasses import dataclass

#: The fix every "uses a notebook" finding suggests.
FIX = "move the code into src/stargazer (see `stargazer promote-task`)"


@dataclass(frozen=True, order=True)
class Finding:
    """One boundary violation.

    Attributes:
        path: The file, as it was given (relative paths stay relative).
        line: 1-based line of the offending expression.
        col: 1-based column.
        code: The rule (`SG001` ... `SG010`).
        message: What is wrong and how to fix it.
    """

    path: str
    line: int
    col: int
    code: str
    message: str

    def format(self) -> str:
        """`file:line:col CODE message`, the form editors and pre-commit link to."""
        return f"{self.path}:{self.line}:{self.col} {self.code} {self.message}"
