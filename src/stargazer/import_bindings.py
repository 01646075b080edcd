"""What an import statement binds: each local name and the import behind it, read with `ast`.

Shared by the boundary check (which dotted name does `il.import_module` stand for?) and
promote-task (which import does a promoted function need?).

    >>> import ast
    >>> statement = ast.parse("from os import path as p").body[0]
    >>> [(name, spec.render(), spec.qualified) for name, spec in import_bindings(statement)]
    [('p', 'from os import path as p', 'os.path')]
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportSpec:
    """An import that binds one name: `import a.b`, `import a as b`, `from a import b as c`."""

    module: str
    member: str | None = None
    asname: str | None = None

    @property
    def bound(self) -> str:
        """The local name the import binds."""
        if self.asname:
            return self.asname
        return self.member if self.member else self.module.split(".")[0]

    @property
    def qualified(self) -> str:
        """The dotted name the bound local name stands for (`import a.b` binds `a`)."""
        if self.member is not None:
            return f"{self.module}.{self.member}"
        return self.module if self.asname else self.module.split(".")[0]

    @property
    def imported(self) -> str:
        """The full dotted name the statement imports (`a.b` for `import a.b`)."""
        return self.module if self.member is None else f"{self.module}.{self.member}"

    def render(self) -> str:
        """The import statement."""
        alias = f" as {self.asname}" if self.asname else ""
        if self.member is None:
            return f"import {self.module}{alias}"
        return f"from {self.module} import {self.member}{alias}"


def import_bindings(node: ast.AST) -> Iterator[tuple[str, ImportSpec | None]]:
    """The names an `import` or `from ... import` statement binds, each with its import.

    A relative import (`from . import x`) has no absolute module, so its spec is None. Any
    other node binds nothing here.
    """
    if isinstance(node, ast.Import):
        for alias in node.names:
            spec = ImportSpec(alias.name, None, alias.asname)
            yield spec.bound, spec
    elif isinstance(node, ast.ImportFrom):
        for alias in node.names:
            if node.level or not node.module:
                yield alias.asname or alias.name, None
            else:
                spec = ImportSpec(node.module, alias.name, alias.asname)
                yield spec.bound, spec
