"""The MCP server: Stargazer's tools registered on an `MCPServer` (stdio or HTTP)."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from stargazer.invoke import summary
from stargazer.mcp.log_limit import limit_log_lines
from stargazer.mcp.tools import Stargazer

#: Instructions shown to the client when it connects.
INSTRUCTIONS = """\
Stargazer runs bioinformatics tasks (Flyte v2) on typed assets kept in a content-addressed store.
Call list_tasks / list_workflows to see what exists, describe_task for a full docstring,
query_assets to find input asset ids, then run_task or run_workflow with inputs given as
scalars, asset ids, or metadata queries such as {"sample_id": "s1"} (or the text
"sample_id=s1", as `stargazer run -i` takes); latest=true takes the newest when a query matches
several. add_asset registers a local file as a new asset; only files in the workspace or the
data folders the user allowed (STARGAZER_DATA_DIRS) can be added. list_notebooks shows the
marimo notebooks of this workspace."""


def create_server(stargazer: Stargazer | None = None) -> MCPServer:
    """The MCP server with Stargazer's tools.

    Args:
        stargazer: The tool implementations; by default discovery from `stargazer.tasks`
            and `stargazer.workflows` with no notebooks folder.

    Returns:
        An `MCPServer`; call `.run()` for stdio or `.run("streamable-http", ...)`.

    Long because each tool is a small nested function, so that MCP reads its signature and
    docstring as the tool's schema and the whole tool list reads in one place; the work
    itself is in `Stargazer`.
    """
    from stargazer import __version__

    impl = stargazer or Stargazer()
    server: MCPServer = MCPServer(
        "stargazer", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    limit_log_lines()

    @server.tool()
    def list_tasks() -> list[dict[str, Any]]:
        """List Stargazer tasks: name, one-line description, typed parameters, environment."""
        return [summary(entry) for entry in impl.tasks().values()]

    @server.tool()
    def list_workflows() -> list[dict[str, Any]]:
        """List Stargazer workflows (tasks that call tasks), described like list_tasks."""
        return [summary(entry) for entry in impl.workflows().values()]

    @server.tool()
    def describe_task(name: str) -> dict[str, Any]:
        """Full docstring, signature and parameters of a task or workflow."""
        return impl.describe(name)

    @server.tool()
    async def run_task(
        name: str, inputs: dict[str, Any] | None = None, latest: bool = False
    ) -> dict[str, Any]:
        """Run a task through flyte.run; return its outputs (assets as id, metadata and path).

        inputs maps parameter names to scalars, asset ids, or metadata queries such as
        {"sample_id": "s1"} or "sample_id=s1"; a list parameter takes a list of those. A query
        for one asset must match exactly one, unless latest=true takes the newest (for a
        list: the newest per sample). The same rules as `stargazer run -i NAME=VALUE`.
        """
        return await impl.run(name, inputs or {}, kind="task", latest=latest)

    @server.tool()
    async def run_workflow(
        name: str, inputs: dict[str, Any] | None = None, latest: bool = False
    ) -> dict[str, Any]:
        """Run a workflow through flyte.run; inputs and latest as for run_task."""
        return await impl.run(name, inputs or {}, kind="workflow", latest=latest)

    @server.tool()
    def query_assets(filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Find assets by metadata, e.g. {"kind": "alignment", "sample_id": "s1"}.

        A list value means any of its values. No filters lists every asset. Free-form labels:
        {"labels": {"batch": "b1"}} or {"label.batch": "b1"}; a bare key is a typed field.
        """
        try:
            return impl.query(filters or {})
        except OSError as err:  # an unreachable or refusing remote store: one line, no trace
            raise ToolError(str(err)) from err

    @server.tool()
    async def add_asset(
        path: str,
        type: str,
        metadata: dict[str, Any] | None = None,
        companions: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Validate a local file and register it as an asset (Reads, Reference, AnnData, ...).

        metadata holds the type's fields (sample_id, build, ...); companions maps roles such
        as "r2" or "bai" to file paths. Every path must be inside the workspace or a data
        folder the user allowed; others are refused and nothing is registered.
        """
        return await impl.add(path, type, metadata or {}, companions)

    @server.tool()
    def list_notebooks() -> list[dict[str, str]]:
        """List the workspace's marimo notebooks with their titles and how to open them."""
        return impl.notebooks()

    return server
