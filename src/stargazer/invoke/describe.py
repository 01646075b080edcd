"""What a task takes and does, for listings: JSON for MCP, text lines for the shell.

Both are read from the same `parameters`, so `stargazer run` (without a workflow) and the MCP
tools `list_tasks` / `describe_task` show the same names, types and defaults.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

from stargazer.invoke.discovery import Entry, parameters, type_name
from stargazer.invoke.records import jsonable, kind_of


def first_line(doc: str | None) -> str:
    """The first line of a docstring ("" without one)."""
    return (inspect.cleandoc(doc).splitlines() or [""])[0] if doc else ""


def parameter_records(entry: Entry) -> list[dict[str, Any]]:
    """The typed parameters of a task, in signature order, as JSON objects.

    Each has `name`, `type`, `required`, `default` (when not required) and, for asset
    parameters, `asset_kind` and `many` (a list of assets).
    """
    described = []
    for param in parameters(entry):
        item: dict[str, Any] = {
            "name": param.name,
            "type": type_name(param.annotation),
            "required": param.required,
        }
        if not param.required:
            item["default"] = jsonable(param.default)
        if param.asset_class is not None:
            item["asset_kind"] = kind_of(param.asset_class)
            item["many"] = param.many
        described.append(item)
    return described


def summary(entry: Entry) -> dict[str, Any]:
    """Name, one-line description, typed parameters and environment of a task."""
    returns = typing.get_type_hints(entry.task.func).get("return", Any)
    return {
        "name": entry.name,
        "description": first_line(entry.task.func.__doc__),
        "parameters": parameter_records(entry),
        "returns": type_name(returns),
        "environment": entry.task.parent_env_name,
        "flyte_name": entry.task.name,
    }


def details(entry: Entry) -> dict[str, Any]:
    """`summary` plus kind, signature, full docstring and module."""
    return {
        **summary(entry),
        "kind": entry.kind,
        "signature": f"{entry.name}{inspect.signature(entry.task.func)}",
        "docstring": inspect.cleandoc(entry.task.func.__doc__ or ""),
        "module": entry.task.func.__module__,
    }


def describe_text(entry: Entry) -> str:
    """A task for the shell: its first docstring line, then one `-i NAME=...` line per input."""
    lines = [f"{entry.name}: {first_line(entry.task.func.__doc__)}"]
    for param in parameters(entry):
        suffix = "required" if param.required else f"default {param.default!r}"
        lines.append(f"    -i {param.name}=...   {param.label}, {suffix}")
    return "\n".join(lines)
