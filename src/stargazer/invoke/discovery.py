"""Which tasks and workflows exist, and what their parameters are.

The tasks a front end offers are the Flyte tasks a package lists in `__all__`
(`stargazer.tasks`, `stargazer.workflows`), so a promoted task is reachable from the shell and
from MCP without touching either. `stargazer cache explain` also reaches tasks that are not
exported, by function name or as `module:name`.

    >>> catalog = Catalog()
    >>> entry = catalog.find("germline_variants", kind="workflow")  # doctest: +SKIP
    >>> [p.name for p in parameters(entry)]  # doctest: +SKIP
    ['reference', 'samples', 'cohort', 'threads']
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

from stargazer.errors import InputError

if TYPE_CHECKING:
    from flyte import AsyncFunctionTaskTemplate

#: The two kinds of entries, in the order names are looked up.
KINDS = ("task", "workflow")

#: Longer names are refused before any lookup (they are never task names).
MAX_NAME_CHARS = 200


@dataclasses.dataclass(frozen=True)
class Entry:
    """A task or workflow a front end can run.

    Attributes:
        name: The name in its package's `__all__` (what users type).
        task: The Flyte task template.
        module: The package it was found in (`stargazer.tasks`, `stargazer.workflows`).
        kind: "task" or "workflow".
    """

    name: str
    task: AsyncFunctionTaskTemplate[Any, Any, Any]
    module: str
    kind: str = "task"


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One parameter of a task, as the front ends read it.

    Attributes:
        name: The parameter name.
        annotation: Its full type annotation.
        inner: The type of one value (`Reads` for `list[Reads] | None`).
        many: It takes a list (or a homogeneous tuple, or a sequence).
        optional: It accepts None.
        required: It has no default.
        default: The default (None when required).
    """

    name: str
    annotation: Any
    inner: Any
    many: bool
    optional: bool
    required: bool
    default: Any = None

    @property
    def asset_class(self) -> type | None:
        """The asset class it takes, or None for a scalar parameter."""
        from stargazer.types import Asset

        if inspect.isclass(self.inner) and issubclass(self.inner, Asset):
            return self.inner
        return None

    @property
    def label(self) -> str:
        """The type as people read it: `list[Reads]`, `int`."""
        name = type_name(self.inner)
        return f"list[{name}]" if self.many else name


def unwrap(annotation: Any) -> tuple[Any, bool, bool]:
    """Split an annotation into (type of one value, takes a list, accepts None)."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) == 1:
            annotation = members[0]
            origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (list, Sequence) and arguments:
        return arguments[0], True, optional
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        return arguments[0], True, optional
    return annotation, False, optional


def type_name(annotation: Any) -> str:
    """A short name for a type: `Reads`, `int`, `dict[str, int]`."""
    if inspect.isclass(annotation) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return re.sub(r"\b[\w.]+\.(\w+)", r"\1", str(annotation).replace("typing.", ""))


def parameters(entry: Entry) -> list[Parameter]:
    """The parameters of a task, in signature order."""
    hints = typing.get_type_hints(entry.task.func)
    found = []
    for name, param in inspect.signature(entry.task.func).parameters.items():
        annotation = hints.get(name, Any)
        inner, many, optional = unwrap(annotation)
        required = param.default is inspect.Parameter.empty
        found.append(
            Parameter(
                name=name,
                annotation=annotation,
                inner=inner,
                many=many,
                optional=optional,
                required=required,
                default=None if required else param.default,
            )
        )
    return found


def discover(module_name: str, kind: str = "task") -> dict[str, Entry]:
    """The Python-function Flyte tasks a module lists in `__all__`, by exported name."""
    import flyte

    module = importlib.import_module(module_name)
    found = {}
    for name in getattr(module, "__all__", []):
        value = getattr(module, name, None)
        if isinstance(value, flyte.AsyncFunctionTaskTemplate):
            found[name] = Entry(name=name, task=value, module=module_name, kind=kind)
    return found


class Catalog:
    """The tasks and workflows of two packages, looked up by name.

    Args:
        tasks_module: Where tasks are listed (its `__all__`).
        workflows_module: Where workflows are listed (its `__all__`).
    """

    def __init__(
        self,
        tasks_module: str = "stargazer.tasks",
        workflows_module: str = "stargazer.workflows",
    ) -> None:
        self.tasks_module = tasks_module
        self.workflows_module = workflows_module

    def entries(self, kind: str) -> dict[str, Entry]:
        """The tasks ("task") or the workflows ("workflow"), by name."""
        module = self.tasks_module if kind == "task" else self.workflows_module
        return discover(module, kind)

    def find(self, name: str, kind: str | None = None) -> Entry:
        """A task or workflow by exported name or Flyte name (`gatk_env.align`).

        Args:
            name: The name to look up.
            kind: "task" or "workflow" to accept only that kind; None accepts both.

        Raises:
            InputError: No such name, or it is of the other kind.
        """
        if len(name) > MAX_NAME_CHARS:
            from stargazer.access import quote

            raise InputError(f"no task or workflow is named {quote(name, 60)!r}")
        pools = {pool: self.entries(pool) for pool in KINDS}
        for pool, entries in pools.items():
            for entry in entries.values():
                if name in (entry.name, entry.task.name):
                    if kind is not None and pool != kind:
                        raise InputError(f"{name!r} is a {pool}, not a {kind}")
                    return entry
        wanted = [kind] if kind else list(KINDS)
        known = sorted(known for pool in wanted for known in pools[pool])
        raise InputError(
            f"no {kind or 'task or workflow'} named {name!r}; known: "
            f"{', '.join(known) or '(none yet)'}"
        )


def all_tasks() -> dict[str, Any]:
    """Every task of `stargazer.tasks` and `stargazer.workflows`, exported or not, by name."""
    import pkgutil

    import stargazer.tasks
    import stargazer.workflows

    found: dict[str, Any] = {}
    for package in (stargazer.tasks, stargazer.workflows):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if hasattr(value, "native_interface") and callable(getattr(value, "func", None)):
                    found.setdefault(value.func.__name__, value)
    return dict(sorted(found.items()))


def load_task(name: str) -> Entry:
    """A task by function name (`mark_duplicates`) or as `module:name` (your own modules).

    Raises:
        InputError: The module cannot be imported, the name is not a Flyte task, or no task
            has this function name.
    """
    if ":" in name:
        module_name, _, attribute = name.partition(":")
        try:
            value = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as err:
            raise InputError(f"cannot load {name}: {err}") from err
        if not hasattr(value, "native_interface"):
            raise InputError(f"{name} is not a Flyte task")
        return Entry(name=attribute, task=value, module=module_name)
    tasks = all_tasks()
    if name not in tasks:
        raise InputError(f"no task named {name!r}; known: {', '.join(tasks)} (or give module:name)")
    return Entry(name=name, task=tasks[name], module=tasks[name].func.__module__)
