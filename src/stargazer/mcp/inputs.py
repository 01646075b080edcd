"""Tool inputs checked before anything runs: signature, types, asset references, sizes, paths.

Scalars are validated against the task's signature; an asset parameter takes an asset id
(``"reads-3f2a..."``, as `query_assets` returns) or a metadata query (``{"sample_id": "s1"}``,
which must match exactly one asset of the parameter's type). JSON arguments are bounded in
size, and a path is accepted only under the allowed roots. Every failure is a `ToolError`
whose message says what to fix.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from stargazer.access import quote
from stargazer.mcp.discovery import Entry, _asset_class, _hints, _type_name, _unwrap
from stargazer.mcp.records import _kind

#: The largest JSON argument (metadata, companions) a tool accepts, in bytes.
MAX_ARGUMENT_BYTES = 64 * 1024


def _allowed(entry: Entry) -> str:
    names = list(inspect.signature(entry.task.func).parameters)
    return ", ".join(names) or "(none)"


def resolve_inputs(entry: Entry, inputs: dict[str, Any]) -> dict[str, Any]:
    """Check inputs against the task's signature and turn asset references into assets.

    Args:
        entry: The task to run.
        inputs: Parameter name -> scalar, asset id, metadata query, or a list of those.

    Returns:
        Keyword arguments for `flyte.run`.

    Raises:
        ToolError: An unknown or missing parameter, a value of the wrong type, or an asset
            reference that matches no asset (or, for a single asset, more than one).
    """
    if not isinstance(inputs, dict):
        raise ToolError(f"inputs must be an object of parameter -> value, got {inputs!r}")
    signature = inspect.signature(entry.task.func)
    unknown = sorted(set(inputs) - set(signature.parameters))
    if unknown:
        raise ToolError(
            f"{entry.name} has no parameter {', '.join(unknown)}; its parameters are "
            f"{_allowed(entry)} (see describe_task)"
        )
    missing = [
        name
        for name, param in signature.parameters.items()
        if param.default is inspect.Parameter.empty and name not in inputs
    ]
    if missing:
        raise ToolError(
            f"{entry.name} needs {', '.join(missing)}: pass them in inputs (see describe_task)"
        )
    hints = _hints(entry)
    return {
        name: _resolve_value(entry, name, hints.get(name, Any), value)
        for name, value in inputs.items()
    }


def _resolve_value(entry: Entry, name: str, annotation: Any, value: Any) -> Any:
    asset_class, many = _asset_class(annotation)
    if asset_class is not None:
        _, _, optional = _unwrap(annotation)
        if value is None and optional:
            return None
        if many:
            refs = value if isinstance(value, list) else [value]
            found = [a for ref in refs for a in _resolve_assets(entry, name, asset_class, ref)]
            if not found:
                raise ToolError(f"{entry.name}.{name}: no {_kind(asset_class)} asset matches")
            return found
        matches = _resolve_assets(entry, name, asset_class, value)
        if len(matches) != 1:
            ids = ", ".join(a.id for a in matches[:5])
            raise ToolError(
                f"{entry.name}.{name}: the query {value!r} matches {len(matches)} "
                f"{_kind(asset_class)} assets ({ids}); narrow it or pass one asset id"
            )
        return matches[0]
    return _validate_scalar(entry, name, annotation, value)


def _validate_scalar(entry: Entry, name: str, annotation: Any, value: Any) -> Any:
    import pydantic

    if annotation is Any:
        return value
    try:
        return pydantic.TypeAdapter(annotation).validate_python(value, strict=True)
    except pydantic.ValidationError as err:
        problems = "; ".join(e["msg"] for e in err.errors())
        raise ToolError(
            f"{entry.name}.{name} must be {_type_name(annotation)}, got {value!r} ({problems})"
        ) from err
    except pydantic.PydanticSchemaGenerationError as err:
        raise ToolError(
            f"{entry.name}.{name} has type {_type_name(annotation)}, which the MCP server cannot "
            "build from JSON; run this task from Python instead"
        ) from err


def _resolve_assets(entry: Entry, name: str, asset_class: type, ref: Any) -> list[Any]:
    """Assets of `asset_class` for one reference: an id (str) or a metadata query (dict)."""
    from stargazer.types import Asset, assemble

    kind = _kind(asset_class)
    if isinstance(ref, str):
        try:
            asset = Asset.load(ref)
        except (KeyError, LookupError, FileNotFoundError, ValueError) as err:
            raise ToolError(
                f"{entry.name}.{name}: no asset with id {ref!r} ({err}); find ids with query_assets"
            ) from err
        if not isinstance(asset, asset_class):
            raise ToolError(
                f"{entry.name}.{name} takes a {kind} asset, but {ref!r} is a "
                f"{_kind(type(asset))} asset"
            )
        return [asset]
    if isinstance(ref, dict):
        if ref.get("kind", kind) != kind:
            raise ToolError(f"{entry.name}.{name} takes {kind} assets, not {ref['kind']!r}")
        query = {**ref, "kind": kind}
        try:
            return list(assemble(**query))
        except (TypeError, ValueError) as err:
            raise ToolError(f"{entry.name}.{name}: bad query {ref!r}: {err}") from err
    raise ToolError(
        f"{entry.name}.{name} takes a {kind} asset: pass an asset id (string) or a metadata "
        f"query (object such as {{'sample_id': 's1'}}), got {ref!r}"
    )


def _bounded(value: Any, what: str) -> None:
    """Refuse a JSON argument bigger than `MAX_ARGUMENT_BYTES` before looking inside it."""
    import json

    size = len(json.dumps(value, default=str))
    if size > MAX_ARGUMENT_BYTES:
        raise ToolError(
            f"{what} is too large: {size} bytes as JSON, at most {MAX_ARGUMENT_BYTES}; "
            "pass asset ids or short metadata queries, not file contents"
        )


def _allowed_file(path: Any, what: str) -> Path:
    """The resolved path of an existing file under the allowed roots, or a ToolError."""
    from stargazer.access import check_path

    try:
        resolved = check_path(path, what=what)
    except (ValueError, PermissionError) as err:
        raise ToolError(str(err)) from err
    if not resolved.is_file():
        raise ToolError(
            f"{what} {quote(str(path))}: no such file; pass the path of a file in the "
            "workspace or a data folder"
        )
    return resolved
