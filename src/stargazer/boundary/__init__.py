"""The boundary rule, checked on source text with `ast` (nothing is imported or executed).

Notebooks never export, only import; the SDK's packages import down their layers only. Every
kind of violation has a code, and `stargazer check-boundary` reports them all:

Outside `notebooks/` (src, tests, tools), nothing uses a notebook:

- `SG001` a dynamic import of a notebook: `importlib.import_module("notebooks.x")`,
  `__import__("notebooks.x")`, `importlib.util.spec_from_file_location(..., "notebooks/x.py")`.
- `SG002` running a notebook file in-process: `runpy.run_path`/`run_module`, `exec(...)`.
- `SG003` a `sys.path` (or `site.addsitedir`, `PYTHONPATH`) change that puts `notebooks/` on
  the import path.
- `SG004` marimo loading a notebook app from SDK code (`marimo._ast.load.load_app` and
  friends). Tests may run notebooks through marimo, so `tests/` is exempt from this one.
- `SG005` a static `import notebooks...` / `from notebooks... import ...` (ruff's TID251 says
  the same in the editor; this check needs no ruff config).

Inside `notebooks/`, only the public SDK (`surface.PUBLIC_API`) is imported:

- `SG010` a private part of the SDK (`stargazer.types._base`, `from stargazer.store import
  _index`).
- `SG011` a package off the public surface (`stargazer.store`, `stargazer.cli`, ...).

Inside `src/stargazer`, imports point down the layers (`surface.LAYERS`):

- `SG020` an import of a package in a higher layer (`stargazer.types` importing
  `stargazer.invoke`).
- `SG021` a package that is not placed in the layers.

`SG000` is a file that does not parse. A string "refers to notebooks" when it is a dotted
module name starting with `notebooks` or a path with a `notebooks` component; names assigned
such a value in the same file count too (`NOTEBOOKS = ROOT / "notebooks"`).

    >>> findings = check_source("import runpy; runpy.run_path('notebooks/x.py')", "a.py")
    >>> [(f.line, f.code) for f in findings]
    [(1, 'SG002')]
"""

from stargazer.boundary.check import CHECKS, check_paths, check_source
from stargazer.boundary.files import (
    SKIPPED_DIRS,
    is_notebook_path,
    is_test_path,
    iter_python_files,
    refers_to_notebooks,
    sdk_module,
    workspace_root,
)
from stargazer.boundary.finding import Finding
from stargazer.boundary.surface import LAYERS, PUBLIC_API, is_public, layer_of

__all__ = [
    "CHECKS",
    "LAYERS",
    "PUBLIC_API",
    "SKIPPED_DIRS",
    "Finding",
    "check_paths",
    "check_source",
    "is_notebook_path",
    "is_public",
    "is_test_path",
    "iter_python_files",
    "layer_of",
    "refers_to_notebooks",
    "sdk_module",
    "workspace_root",
]
