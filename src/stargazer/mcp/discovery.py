"""The tasks and workflows the server exposes, found in a package's `__all__`, described.

A new or promoted task listed in `stargazer.tasks.__all__` (or `stargazer.workflows.__all__`)
is a tool input without touching the server.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import types
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stargazer.mcp.records import _asset_base, _jsonable, _kind

if TYPE_CHECKING:
    from flyte import TaskTemplate


@dataclasses.dataclass(frozen=True)
class Entry:
    """A task or workflow the server exposes.

    Attributes:
        name: The name in its package's `__all__` (what clients pass as `name`).
        task: The Flyte task template.
        module: The package it was discovered in (`stargazer.tasks` or `stargazer.workflows`).
    """

    name: str
    task: TaskTemplate
    module: str


def discover(module_name: str) -> dict[str, Entry]:
    """The Flyte tasks listed in a module's `__all__`, by name.

    Args:
        module_name: A module such as `stargazer.tasks`.

    Returns:
        Each exported Flyte task, keyed by its exported name; other exports are skipped.
    """
    import flyte

    module = importlib.import_module(module_name)
    found = {}
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name, None)
        if isinstance(obj, flyte.TaskTemplate):
            found[name] = Entry(name=name, task=obj, module=module_name)
    return found


def _hints(entry: Entry) -> dict[str, Any]:
    return typing.get_type_hints(entry.task.func)


def _unwrap(annotation: Any) -> tuple[Any, bool, bool]:
    """Split an annotation into (inner type, is a list, accepts None)."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) == 1:
            annotation = members[0]
            origin = typing.get_origin(annotation)
    if origin in (list, Sequence, tuple) and typing.get_args(annotation):
        return typing.get_args(annotation)[0], True, optional
    return annotation, False, optional


def _asset_class(annotation: Any) -> tuple[type | None, bool]:
    """The asset class a parameter takes (and whether it takes a list), or (None, False)."""
    inner, many, _ = _unwrap(annotation)
    if inspect.isclass(inner) and issubclass(inner, _asset_base()):
        return inner, many
    return None, False


def _type_name(annotation: Any) -> str:
    if inspect.isclass(annotation) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return re.sub(r"\b[\w.]+\.(\w+)", r"\1", str(annotation).replace("typing.", ""))


def _first_line(doc: str | None) -> str:
    return (inspect.cleandoc(doc).splitlines() or [""])[0] if doc else ""


def parameters(entry: Entry) -> list[dict[str, Any]]:
    """The typed parameters of a task, in signature order.

    Each has `name`, `type`, `required`, `default` (when not required) and, for asset
    parameters, `asset_kind` and `many` (a list of assets).
    """
    hints = _hints(entry)
    described = []
    for name, param in inspect.signature(entry.task.func).parameters.items():
        annotation = hints.get(name, Any)
        item: dict[str, Any] = {
            "name": name,
            "type": _type_name(annotation),
            "required": param.default is inspect.Parameter.empty,
        }
        if param.default is not inspect.Parameter.empty:
            item["default"] = _jsonable(param.default)
        asset_class, many = _asset_class(annotation)
        if asset_class is not None:
            item["asset_kind"] = _kind(asset_class)
            item["many"] = many
        described.append(item)
    return described


def summary(entry: Entry) -> dict[str, Any]:
    """Name, one-line description, typed parameters and environment of a task."""
    return {
        "name": entry.name,
        "description": _first_line(entry.task.func.__doc__),
        "parameters": parameters(entry),
        "returns": _type_name(_hints(entry).get("return", Any)),
        "environment": entry.task.parent_env_name,
        "flyte_name": entry.task.name,
    }
