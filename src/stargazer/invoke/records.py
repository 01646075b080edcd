"""Assets and task outputs as JSON records, the same for the shell and for MCP.

- `asset_record`: what an asset *is* (its type, kind and every field of its record). Reading it
  touches no file, so listing a thousand assets of a remote store downloads nothing.
- `output_record`: an asset a run just produced: its `asset_record` plus `path`, the local path
  of its primary file (materialised on the way, as the shell prints it).

`stargazer run --json` and the MCP tools `run_task` / `run_workflow` return output records;
`query_assets` returns asset records.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def kind_of(asset_class: type) -> str:
    """The kind of an asset class (`reads`), or its lowercased name for the base class."""
    return str(getattr(asset_class, "kind", "") or asset_class.__name__.lower())


def jsonable(value: Any) -> Any:
    """A JSON-friendly form of a value: assets as records, dataclasses as objects, rest as text."""
    from stargazer.types import Asset

    if isinstance(value, Asset):
        return asset_record(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def asset_record(asset: Any) -> dict[str, Any]:
    """An asset as a JSON object: `type`, `kind` and every field of its record."""
    fields = {
        field.name: jsonable(getattr(asset, field.name))
        for field in dataclasses.fields(asset)
        if not field.name.startswith("_")
    }
    return {"type": type(asset).__name__, "kind": kind_of(type(asset)), **fields}


def flatten(outputs: Any) -> list[Any]:
    """A run's outputs as a flat list (tuples and lists of outputs are opened)."""
    if isinstance(outputs, tuple | list):
        return [item for part in outputs for item in flatten(part)]
    return [outputs]


def output_record(value: Any) -> Any:
    """One output of a run: an asset as its record plus `path`; anything else as JSON."""
    from stargazer.types import Asset

    if isinstance(value, Asset):
        return {**asset_record(value), "path": str(value.path)}
    return jsonable(value)
