"""Assets and task outputs as JSON: what the tools return."""

from __future__ import annotations

import dataclasses
from typing import Any


def _asset_base() -> type:
    from stargazer.types import Asset

    return Asset


def _kind(asset_class: type) -> str:
    return str(getattr(asset_class, "kind", asset_class.__name__.lower()))


def _jsonable(value: Any) -> Any:
    """A JSON-friendly form of a task output: assets as their records, paths as strings."""
    if isinstance(value, _asset_base()):
        return asset_record(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def asset_record(asset: Any) -> dict[str, Any]:
    """An asset as a JSON object: its id, type, kind and every field of its record."""
    fields = {
        field.name: _jsonable(getattr(asset, field.name))
        for field in dataclasses.fields(asset)
        if not field.name.startswith("_")
    }
    return {"type": type(asset).__name__, "kind": _kind(type(asset)), **fields}
