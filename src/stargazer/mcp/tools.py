"""What each MCP tool does, bound to the modules tasks and workflows are discovered from."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from stargazer.access import quote
from stargazer.mcp.discovery import Entry, discover, summary
from stargazer.mcp.inputs import _allowed_file, _bounded, resolve_inputs
from stargazer.mcp.records import _jsonable, asset_record


class Stargazer:
    """The tools, bound to the task and workflow modules they discover from.

    Args:
        tasks_module: Where tasks are discovered (its `__all__`).
        workflows_module: Where workflows are discovered (its `__all__`).
        notebooks_dir: The folder `list_notebooks` reads.
    """

    def __init__(
        self,
        tasks_module: str = "stargazer.tasks",
        workflows_module: str = "stargazer.workflows",
        notebooks_dir: Path | None = None,
    ) -> None:
        self.tasks_module = tasks_module
        self.workflows_module = workflows_module
        self.notebooks_dir = notebooks_dir
        self._flyte_ready = False

    def tasks(self) -> dict[str, Entry]:
        """The tasks, by name."""
        return discover(self.tasks_module)

    def workflows(self) -> dict[str, Entry]:
        """The workflows, by name."""
        return discover(self.workflows_module)

    def find(self, name: str, *, kind: str | None = None) -> Entry:
        """A task or workflow by exported name or Flyte name (`gatk_env.align`).

        Raises:
            ToolError: No such name, or (with `kind`) it is the other kind.
        """
        if len(name) > 200:
            raise ToolError(f"no task or workflow is named {quote(name, 60)!r} (see list_tasks)")
        pools = {"task": self.tasks(), "workflow": self.workflows()}
        for pool_kind, pool in pools.items():
            for entry in pool.values():
                if name in (entry.name, entry.task.name):
                    if kind is not None and pool_kind != kind:
                        raise ToolError(f"{name!r} is a {pool_kind}: use run_{pool_kind}")
                    return entry
        wanted = [kind] if kind else list(pools)
        known = sorted(n for k in wanted for n in pools[k])
        raise ToolError(
            f"no {kind or 'task or workflow'} named {name!r}; known: "
            f"{', '.join(known) or '(none yet)'} (see list_tasks / list_workflows)"
        )

    def describe(self, name: str) -> dict[str, Any]:
        """Full docstring and signature of a task or workflow."""
        entry = self.find(name)
        kind = "workflow" if entry.module == self.workflows_module else "task"
        return {
            **summary(entry),
            "kind": kind,
            "signature": f"{entry.name}{inspect.signature(entry.task.func)}",
            "docstring": inspect.cleandoc(entry.task.func.__doc__ or ""),
            "module": entry.task.func.__module__,
        }

    def _init_flyte(self) -> None:
        if not self._flyte_ready:
            import flyte

            flyte.init_from_config()
            self._flyte_ready = True

    async def run(self, name: str, inputs: dict[str, Any], kind: str) -> dict[str, Any]:
        """Validate inputs, run through `flyte.run`, return the outputs as JSON."""
        import anyio
        import flyte

        entry = self.find(name, kind=kind)
        _bounded(inputs, "inputs")
        kwargs = resolve_inputs(entry, inputs or {})

        def run_blocking() -> tuple[Any, list[Any]]:
            self._init_flyte()
            run = flyte.run(entry.task, **kwargs)
            return run, list(run.outputs())

        try:
            run, outputs = await anyio.to_thread.run_sync(run_blocking)
        except (ToolError, KeyboardInterrupt):
            raise
        except Exception as err:
            raise ToolError(f"{kind} {entry.name} failed: {type(err).__name__}: {err}") from err
        from stargazer.utils import execution_context

        where = execution_context().mode
        # A local run has no record to look up; a remote run links to the cluster's UI.
        link = (
            (getattr(run, "url", None) or getattr(run, "name", None)) if where == "remote" else None
        )
        return {
            "name": entry.name,
            "where": where,
            "run": link,
            "outputs": [_jsonable(value) for value in outputs],
        }

    def query(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """Asset records matching metadata filters (`kind`, `sample_id`, ...)."""
        from stargazer.types import assemble

        if not isinstance(filters, dict):
            raise ToolError(
                f"filters must be an object such as {{'kind': 'reads'}}, got {filters!r}"
            )
        try:
            found = assemble(**filters)
        except (TypeError, ValueError) as err:
            raise ToolError(f"bad asset query {filters!r}: {err}") from err
        return [asset_record(asset) for asset in found]

    async def add(
        self,
        path: str,
        asset_type: str,
        metadata: dict[str, Any],
        companions: dict[str, str] | None,
    ) -> dict[str, Any]:
        """Register a local file (and companions) as a new asset of the given type."""
        import stargazer.types
        from stargazer.errors import InvalidAssetError

        exported = [getattr(stargazer.types, name) for name in stargazer.types.__all__]
        classes = {
            c.__name__: c
            for c in exported
            if inspect.isclass(c) and issubclass(c, stargazer.types.Asset) and c.kind
        }
        by_key = {key.lower(): c for name, c in classes.items() for key in (name, c.kind)}
        asset_class = by_key.get(asset_type.lower()) if len(asset_type) <= 64 else None
        if asset_class is None:
            raise ToolError(
                f"unknown asset type {quote(asset_type, 64)!r}; use one of "
                f"{', '.join(sorted(classes))}"
            )
        _bounded(metadata, "metadata")
        _bounded(companions, "companions")
        if companions is not None and not isinstance(companions, dict):
            raise ToolError(f"companions must map roles to paths, got {quote(repr(companions))}")
        source = _allowed_file(path, "path")
        checked = {
            str(role): str(_allowed_file(value, f"companion {quote(str(role))!r}"))
            for role, value in (companions or {}).items()
        }
        fields = {"parents": [], "tool": "user", "tool_version": "", **(metadata or {})}
        try:
            asset = await asset_class.create(str(source), companions=checked, **fields)
        except (InvalidAssetError, TypeError, ValueError, FileNotFoundError) as err:
            raise ToolError(
                f"could not add {quote(path)} as {asset_class.__name__}: {quote(str(err), 2000)}"
            ) from err
        return asset_record(asset)

    def notebooks(self) -> list[dict[str, str]]:
        """The marimo notebooks of the workspace, with their titles."""
        folder = self.notebooks_dir
        if folder is None or not folder.is_dir():
            raise ToolError(
                f"no notebooks folder at {folder}: start `stargazer mcp` from a Stargazer checkout"
            )
        found = []
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(folder)
            if any(part.startswith(("_", ".")) for part in relative.parts):
                continue
            found.append(
                {
                    "path": f"{folder.name}/{relative.as_posix()}",
                    "title": _notebook_title(path),
                    "open": f"stargazer note {folder.name}/{relative.as_posix()}",
                }
            )
        return found


def _notebook_title(path: Path) -> str:
    match = re.search(r"^\s*#\s+(.+)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return match.group(1).strip() if match else path.stem
