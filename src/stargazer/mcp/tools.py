"""What each MCP tool does, bound to the modules tasks and workflows are discovered from."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from stargazer.access import quote
from stargazer.invoke import (
    Catalog,
    Entry,
    asset_record,
    convert_inputs,
    details,
    flatten,
    output_record,
    pairs_of,
)
from stargazer.mcp.inputs import allowed_file, bounded, tool_errors


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
        self.catalog = Catalog(tasks_module, workflows_module)
        self.notebooks_dir = notebooks_dir
        self._flyte_ready = False

    def tasks(self) -> dict[str, Entry]:
        """The tasks, by name."""
        return self.catalog.entries("task")

    def workflows(self) -> dict[str, Entry]:
        """The workflows, by name."""
        return self.catalog.entries("workflow")

    def find(self, name: str, *, kind: str | None = None) -> Entry:
        """A task or workflow by exported name or Flyte name (`gatk_env.align`).

        Raises:
            ToolError: No such name, or (with `kind`) it is the other kind.
        """
        with tool_errors():
            return self.catalog.find(name, kind=kind)

    def describe(self, name: str) -> dict[str, Any]:
        """Full docstring and signature of a task or workflow."""
        return details(self.find(name))

    def _init_flyte(self) -> None:
        if not self._flyte_ready:
            import flyte

            flyte.init_from_config()
            self._flyte_ready = True

    async def run(
        self, name: str, inputs: dict[str, Any], kind: str, latest: bool = False
    ) -> dict[str, Any]:
        """Convert inputs as `stargazer run` does, run through `flyte.run`, return records."""
        import anyio
        import flyte

        entry = self.find(name, kind=kind)
        bounded(inputs, "inputs")
        with tool_errors():
            converted = convert_inputs(entry, pairs_of(entry, inputs or {}), latest=latest)

        def run_blocking() -> tuple[Any, list[Any]]:
            self._init_flyte()
            run = flyte.run(entry.task, **converted.kwargs)
            return run, [output_record(value) for value in flatten(run.outputs())]

        try:
            run, outputs = await anyio.to_thread.run_sync(run_blocking)
        except (ToolError, KeyboardInterrupt):
            raise
        except Exception as err:  # any failure of the task is the caller's answer, not a crash
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
            "inputs": [note.strip() for note in converted.notes],
            "outputs": outputs,
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
        bounded(metadata, "metadata")
        bounded(companions, "companions")
        if companions is not None and not isinstance(companions, dict):
            raise ToolError(f"companions must map roles to paths, got {quote(repr(companions))}")
        source = allowed_file(path, "path")
        checked = {
            str(role): str(allowed_file(value, f"companion {quote(str(role))!r}"))
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
